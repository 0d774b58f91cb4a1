"""`ipeval robustness`: how sure each decision of a year is, with a progress bar."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from app.cli.rubrics import fail
from app.core.database import make_engine, unit_of_work
from app.core.errors import ProblemError
from app.core.exports import write_row
from app.core.settings import get_settings
from app.evaluations import robustness as robustness_service


def robustness(
    year: Annotated[int, typer.Option(help="Evaluation year / 评价年度")],
    samples: Annotated[
        int | None, typer.Option(help="Sample budget (default: the rubric's [uncertainty])")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON")] = False,
    out: Annotated[Path | None, typer.Option(help="Also write an .xlsx report")] = None,
) -> None:
    """Robustness of a year's decisions: stability, fragile units, drivers / 决定稳健性分析.

    Computed on the year's current run and stored beside its evaluations.
    """
    engine = make_engine(get_settings())
    err = Console(stderr=True)
    try:
        with (
            Progress(
                TextColumn(f"[bold]{year}[/] samples"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err,
                disable=as_json,
            ) as bar,
            unit_of_work(engine) as session,
        ):
            task = bar.add_task("samples", total=None)

            def show(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            run, summary = robustness_service.compute_for_year(
                session, year, samples=samples, progress=show
            )
            run_id = run.id
    except ProblemError as exc:
        raise fail(exc) from None
    if out is not None:
        write_report(summary, out)
    if as_json:
        typer.echo(json.dumps({"run_id": run_id, **summary}, ensure_ascii=False, indent=2))
    else:
        typer.echo("\n".join(summary_lines(year, run_id, summary)))


def summary_lines(year: int, run_id: int | None, summary: dict[str, Any]) -> list[str]:
    """One line per unit (stability, nominal decision, what else may happen, drivers)."""
    lines = [
        f"year {year}, run {run_id}: {summary['samples']} samples, "
        f"{len(summary['factors'])} factors, seed {summary['seed']}, {summary['seconds']} s",
        f"fragile / 不稳健 (stability < {summary['uncertainty']['fragile_below']}): "
        f"{', '.join(summary['fragile']) or 'none / 无'}",
    ]
    for code, u in summary["units"].items():
        others = ", ".join(
            f"{k} {v:.1%}" for k, v in u["decisions"].items() if k != u["nominal"]["decision"]
        )
        drivers = ", ".join(
            f"{d['factor']} (ST {d['ST']:.2f})"
            for d in (u.get("drivers") or {}).get("decision", [])
        )
        flag = " FRAGILE" if u["fragile"] else ""
        lines.append(
            f"{code:<8} {u['nominal']['decision']:<24} stability {u['stability']:.3f}{flag}"
            + (f"  else {others}" if others else "")
            + (f"  drivers {drivers}" if drivers else "")
        )
    return lines


def write_report(summary: dict[str, Any], out: Path) -> None:
    """An .xlsx report: units, drivers, remove-one shifts, cohort sensitivity."""
    from openpyxl import Workbook

    book = Workbook()
    units = book.active
    assert units is not None
    units.title = "units 单位"
    write_row(
        units,
        [
            "unit",
            "basis_type",
            "nominal_decision",
            "stability",
            "fragile",
            "total",
            "total_p05",
            "total_p95",
            "rank",
            "rank_p05",
            "rank_p95",
            "decisions",
        ],
    )
    for code, u in summary["units"].items():
        write_row(
            units,
            [
                code,
                u["basis_type"],
                u["nominal"]["decision"],
                u["stability"],
                u["fragile"],
                u["nominal"]["total"],
                u["total"]["p05"],
                u["total"]["p95"],
                u["nominal"]["rank"],
                u["rank"]["p05"],
                u["rank"]["p95"],
                "; ".join(f"{k} {v:.3f}" for k, v in u["decisions"].items()),
            ],
        )
    drivers = book.create_sheet("drivers 影响因素")
    write_row(drivers, ["unit", "output", "factor", "S1", "ST"])
    for code, u in summary["units"].items():
        for output, rows in (u.get("drivers") or {}).items():
            for d in rows:
                write_row(drivers, [code, output, d["factor"], d["S1"], d["ST"]])
    removed = book.create_sheet("remove one 逐项剔除")
    write_row(removed, ["type", "code", "mean_abs_rank_shift", "max_abs_rank_shift", "decisions"])
    for r in summary["remove_one"]:
        changed = "; ".join(f"{k} → {v}" for k, v in r["decisions_changed"].items())
        write_row(
            removed,
            [r["type"], r["code"], r["mean_abs_rank_shift"], r["max_abs_rank_shift"], changed],
        )
    sens = book.create_sheet("sensitivity 敏感性")
    write_row(sens, ["factor", "S1", "S1_conf", "ST", "ST_conf"])
    for factor, si in ((summary.get("sensitivity") or {}).get("indices") or {}).items():
        write_row(sens, [factor, si["S1"], si["S1_conf"], si["ST"], si["ST_conf"]])
    book.save(out)


def register(cli: typer.Typer) -> None:
    cli.command("robustness")(robustness)
