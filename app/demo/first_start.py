"""`ipeval run`'s preparation: publish the shipped rubrics, load the demo once, issue tokens once.

Every step is idempotent, so every start runs all of them and only the first one changes
anything: publishing recognises rubrics already stored by their hash, the demo load is
skipped once the audit log records a completed load, and the three first-start tokens are
created only while none of them exists. Tokens are stored only as hashes, so their
plaintext is written once to ``<data_dir>/demo-tokens.txt`` (mode 0600) for later starts to
point at.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from app.audit import service as audit_service
from app.auth import service as auth_service
from app.auth.models import Role
from app.core.database import unit_of_work
from app.core.settings import Settings
from app.demo import service as demo_service
from app.demo.scenario import DEMO_YEARS
from app.masterdata import get_province
from app.rubrics import service as rubrics_service

TOKEN_FILE = "demo-tokens.txt"
#: The province whose token the first start issues: Jiangsu, a first-batch leading pilot.
DEMO_PROVINCE = "320000"
FIRST_START_LABEL = "first start"

Loader = Callable[..., demo_service.LoadReport]


@dataclass(frozen=True)
class IssuedToken:
    role: str
    province_code: str | None
    token: str


@dataclass
class StartReport:
    """What a start did; ``tokens`` is set only on the start that created them."""

    published: list[str] = field(default_factory=list)
    demo: demo_service.LoadReport | None = None
    demo_skipped: str = ""
    tokens: list[IssuedToken] = field(default_factory=list)
    token_file: Path | None = None


def token_file(settings: Settings) -> Path:
    return settings.data_dir / TOKEN_FILE


def prepare(
    engine: Engine,
    settings: Settings,
    *,
    demo: bool = True,
    demo_years: Sequence[int] = DEMO_YEARS,
    loader: Loader = demo_service.load,
    progress: demo_service.Progress | None = None,
    base_url: str = "http://127.0.0.1:8000",
) -> StartReport:
    """Run the first-start steps that have not run yet (see the module docstring).

    The database must already be at the newest migration. In production no demo data is
    loaded and no tokens are issued (use ``ipeval token create``).
    """
    report = StartReport(token_file=token_file(settings))
    with unit_of_work(engine) as session:
        published = rubrics_service.publish_shipped(session, settings)
        report.published = [
            f"{row.rubric_id}@{row.version}" for row, created in published if created
        ]
    if settings.env == "production":
        report.demo_skipped = "production"
        return report
    with unit_of_work(engine) as session:
        loaded = demo_service.is_loaded(session)
    if not demo:
        report.demo_skipped = "not requested"
    elif loaded:
        report.demo_skipped = "already loaded"
    else:
        report.demo = loader(engine, settings, years=demo_years, progress=progress)
    report.tokens = _issue_tokens(engine, settings)
    if report.tokens:
        _write_token_file(token_file(settings), token_text(report.tokens, base_url))
    return report


def _issue_tokens(engine: Engine, settings: Settings) -> list[IssuedToken]:
    """One token per role, unless the first start already issued them (then none)."""
    with unit_of_work(engine) as session:
        existing = auth_service.list_tokens(session, include_revoked=True)
        if any(t.label.startswith(FIRST_START_LABEL) for t in existing):
            return []
        issued = []
        for role, province in (
            (Role.admin, None),
            (Role.evaluator, None),
            (Role.province, DEMO_PROVINCE),
        ):
            label = f"{FIRST_START_LABEL}: {role.value}" + (f" {province}" if province else "")
            row, plaintext = auth_service.create_token(
                session, settings, role=role, province_code=province, label=label
            )
            audit_service.record(
                session, None, "token.create", "api_token", row.id,
                detail={"role": row.role, "province_code": province, "label": label},
                system_actor="cli",
            )  # fmt: skip
            issued.append(IssuedToken(role.value, province, plaintext))
        return issued


def _write_token_file(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created with 0600 from the start (never readable by others, not even briefly).
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def token_text(tokens: Sequence[IssuedToken], base_url: str = "http://127.0.0.1:8000") -> str:
    """The tokens, where to go and a curl example, as printed and written to the file."""
    lines = [
        "# ipeval first-start API tokens / 首次启动生成的访问令牌",
        "# Shown once and stored only as hashes: keep this file private. Revoke with",
        "# `ipeval token revoke ID`; create more with `ipeval token create`.",
        "# 令牌仅显示一次，数据库只保存其散列值；请妥善保管本文件。",
        "",
    ]
    for t in tokens:
        who = t.role
        if t.province_code:
            who += f" {t.province_code} {get_province(t.province_code).name_en}"
        lines.append(f"{who:<28} {t.token}")
    admin = next((t.token for t in tokens if t.role == "admin"), "<admin token>")
    lines += [
        "",
        f"API documentation / 接口文档: {base_url}/docs",
        "Example / 示例:",
        f'  curl -H "Authorization: Bearer {admin}" "{base_url}/api/v1/evaluations?year=2020"',
        "",
    ]
    return "\n".join(lines)


def describe(report: StartReport, base_url: str) -> str:
    """What `ipeval run` prints after preparing: what happened, then the tokens or their file."""
    lines = []
    if report.published:
        lines.append(f"ipeval: published rubrics {', '.join(report.published)}")
    if report.demo is not None:
        d = report.demo
        lines.append(
            f"ipeval: demo cohort loaded ({d.created} workbooks, years {list(d.years)}, "
            f"{d.seconds:.0f} s) / 演示数据已加载"
        )
    elif report.demo_skipped == "production":
        lines.append("ipeval: production: no demo data, no tokens (use `ipeval token create`)")
    if report.tokens:
        lines += ["", token_text(report.tokens, base_url)]
        lines.append(f"(also written to {report.token_file}, mode 0600 / 已写入该文件)")
    elif report.token_file is not None and report.demo_skipped != "production":
        if report.token_file.exists():
            lines += [
                f"ipeval: first-start tokens are in {report.token_file} / 首次启动令牌见该文件:",
                "",
                # the file holds the first start's address: show the one served now
                re.sub(r"https?://[^/\s\"]+", base_url, report.token_file.read_text("utf-8")),
            ]
        else:
            lines.append(
                f"ipeval: {report.token_file} is gone; create a token with "
                "`ipeval token create --role admin` / 令牌文件不存在，请重新创建令牌"
            )
    lines.append(f"ipeval: open {base_url}/docs  (API under /api/v1)")
    return "\n".join(lines)
