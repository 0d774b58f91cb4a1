"""`ipeval score`: score a cohort offline (no database) from a wide CSV.

The command is a thin shell over :func:`score_file`, which does the work with keyword-only
arguments so that it can be called and tested without the command line.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path
from typing import Annotated

import typer

from scoring import (
    CohortError,
    Rubric,
    RubricError,
    ScoredCohort,
    cohort_from_csv,
    load_rubric,
    load_shipped,
    score_cohort,
)

_REF = re.compile(r"^[a-z][a-z0-9-]*@[1-9][0-9]*$")


class ScoreInputError(Exception):
    """Bad command input, with Chinese and English lines ready to print."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def resolve_rubric(ref: str, *, rubrics_dir: Path) -> Rubric:
    """A rubric from a file path or an ``id@version`` shipped under ``rubrics_dir``."""
    if _REF.match(ref) and not Path(ref).exists():
        return load_shipped(ref, root=rubrics_dir)
    return load_rubric(Path(ref))


def year_of(data: Path, year: int | None) -> int:
    """The evaluation year: ``--year``, else a ``year`` column that is the same on every row."""
    if year is not None:
        return year
    with data.open(encoding="utf-8-sig", newline="") as fh:
        years = {row.get("year", "").strip() for row in csv.DictReader(fh)}
    if len(years) == 1 and (only := years.pop()).isdigit():
        return int(only)
    raise ScoreInputError(
        [
            "错误：无法确定评价年度；请用 --year 指定，或在数据中加一列 year（各行相同）",
            "error: cannot tell the evaluation year; pass --year or add a 'year' column with "
            "the same value on every row",
        ]
    )


def score_file(*, rubric: str, data: Path, year: int | None, rubrics_dir: Path) -> ScoredCohort:
    """Load the rubric and the CSV and score the cohort; raises on any input problem."""
    loaded = resolve_rubric(rubric, rubrics_dir=rubrics_dir)
    cohort = cohort_from_csv(loaded, data, year=year_of(data, year))
    return score_cohort(loaded, cohort)


def summary_lines(result: ScoredCohort) -> list[str]:
    """A readable table: one line per unit, then its reason path."""
    lines = [
        f"rubric {result.rubric.id}@{result.rubric.version} sha256 {result.rubric.sha256[:12]}  "
        f"year {result.year}  inputs {result.inputs_sha256[:12]}",
    ]
    for u in result.units:
        totals = "  ".join(
            f"{e.type[:4]} {e.total:5.1f}" if e.total is not None else f"{e.type[:4]}   n/a"
            for e in u.evaluations
        )
        d = u.decision
        flags = d.flags or (["borderline"] if d.borderline else [])
        flag = f" [{', '.join(flags)}]" if flags else ""
        lines.append(
            f"{u.unit:<10} {u.type:<14} {u.stage:<13} {totals}  → {d.outcome} "
            f"{d.to_type}/{d.to_stage}{flag}"
        )
        lines.extend(f"    {s.en} / {s.zh}" for s in d.reasons)
        lines.extend(f"    ! {e.en} / {e.zh}" for e in u.errors)
    for cap in result.caps:
        if cap.cap is None:
            continue
        lines.append(
            f"cap {cap.type}: {cap.allocated}/{cap.cap if cap.cap is not None else '-'} "
            f"({cap.policy}){' EXCEEDED' if cap.exceeded else ''}"
        )
    return lines


def write_report(result: ScoredCohort, out: Path) -> None:
    """An .xlsx report: decisions with reasons, and every node score per type."""
    from openpyxl import Workbook  # imported here: only --out needs it

    from app.core.exports import write_row

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "decisions 决定"
    write_row(
        sheet,
        [
            "unit",
            "type",
            "stage",
            "outcome",
            "to_type",
            "to_stage",
            "borderline",
            "reasons_en",
            "reasons_zh",
        ],
    )
    for u in result.units:
        d = u.decision
        write_row(
            sheet,
            [
                u.unit,
                u.type,
                u.stage,
                d.outcome,
                d.to_type,
                d.to_stage,
                d.borderline,
                "\n".join(s.en for s in d.reasons),
                "\n".join(s.zh for s in d.reasons),
            ],
        )
    scores = book.create_sheet("scores 得分")
    write_row(scores, ["unit", "type", "status", "node", "score"])
    for u in result.units:
        for e in u.evaluations:
            for node, value in e.scores.items():
                write_row(scores, [u.unit, e.type, e.status, node, value])
    meta = book.create_sheet("rubric 规则")
    write_row(meta, ["rubric_id", result.rubric.id])
    write_row(meta, ["version", result.rubric.version])
    write_row(meta, ["sha256", result.rubric.sha256])
    write_row(meta, ["inputs_sha256", result.inputs_sha256])
    write_row(meta, ["year", result.year])
    book.save(out)


def register(cli: typer.Typer) -> None:
    """Add the ``score`` command to the root command line."""

    @cli.command("score")
    def score(
        rubric: Annotated[
            str,
            typer.Option(help="Rubric file, or id@version shipped in the rubrics folder"),
        ],
        data: Annotated[
            Path,
            typer.Option(help="Wide CSV, one row per unit", exists=True, dir_okay=False),
        ],
        year: Annotated[
            int | None, typer.Option(help="Evaluation year (default: the data's year column)")
        ] = None,
        json_output: Annotated[
            bool, typer.Option("--json", help="Print the result as JSON (docs/score-output)")
        ] = False,
        out: Annotated[Path | None, typer.Option(help="Also write an .xlsx report")] = None,
        rubrics_dir: Annotated[
            Path | None, typer.Option(help="Folder of shipped rubrics (default: settings)")
        ] = None,
        max_problems: Annotated[
            int,
            typer.Option(min=0, help="List at most this many input problems (0: all) / 问题条数"),
        ] = 20,
    ) -> None:
        """Score a cohort from a CSV, offline / 离线评分."""
        if rubrics_dir is None:
            from app.core.settings import get_settings

            rubrics_dir = get_settings().rubrics_dir
        try:
            result = score_file(rubric=rubric, data=data, year=year, rubrics_dir=rubrics_dir)
        except (RubricError, CohortError) as exc:
            shown = exc.problems if max_problems == 0 else exc.problems[:max_problems]
            for p in shown:
                typer.echo(f"  - {p}", err=True)
            if len(shown) < len(exc.problems):
                more = len(exc.problems) - len(shown)
                typer.echo(
                    f"  … and {more} more (--max-problems 0 lists all) / 另有 {more} 处", err=True
                )
            kind = "评价规则 rubric" if isinstance(exc, RubricError) else "数据 data"
            typer.echo(f"error: {len(exc.problems)} problem(s) in the {kind}", err=True)
            raise typer.Exit(code=1) from None
        except ScoreInputError as exc:
            for line in exc.lines:
                typer.echo(line, err=True)
            raise typer.Exit(code=1) from None
        if out is not None:
            write_report(result, out)
        if json_output:
            sys.stdout.buffer.write(result.to_json() + b"\n")
            sys.stdout.flush()
        else:
            typer.echo("\n".join(summary_lines(result)))
