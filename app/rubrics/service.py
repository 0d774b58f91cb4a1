"""Rubric versions: publish (validated, immutable, deduplicated by content hash), list, get,
and which version of each rubric id is current.

Services add and flush; the caller (request or CLI command) owns the transaction.
"""

from __future__ import annotations

import re
from functools import lru_cache

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import service as audit_service
from app.auth.service import Principal
from app.core.errors import Conflict, Location, NotFound, ProblemError
from app.core.listing import Rows, Window, fetch_page
from app.core.params import MAX_INT32
from app.core.settings import Settings
from app.rubrics.models import RubricVersion
from scoring.rubric import (
    Rubric,
    RubricError,
    list_shipped,
    load_rubric,
    load_shipped,
    shipped_path,
)

_REF = re.compile(r"^(?P<id>[a-z][a-z0-9-]*)@(?P<version>[1-9][0-9]{0,9})$")
_TITLE_MAX = 200


class RubricInvalid(ProblemError):
    """A submitted rubric failed validation: every problem, with its key path."""

    def __init__(self, error: RubricError) -> None:
        problems = [
            {
                "location": {"field": p.path},
                "code": "rubric_invalid",
                "message_zh": f"{p.path}：{p.message_zh}",
                "message_en": f"{p.path}: {p.message_en}",
            }
            for p in error.problems
        ]
        paths = ", ".join(p.path for p in error.problems[:10])
        more = "" if len(error.problems) <= 10 else f" (+{len(error.problems) - 10})"
        super().__init__(
            code="rubric_invalid",
            title="Unprocessable Content",
            status=422,
            detail_en=(
                f"The rubric has {len(error.problems)} problem(s) at: {paths}{more}. "
                "Correct each key named in 'errors' and publish again."
            ),
            detail_zh=(
                f"评价规则有 {len(error.problems)} 处错误：{paths}{more}。"
                "请按 errors 中列出的键逐一更正后重新发布。"
            ),
            extra={"errors": problems},
        )


def parse_ref(ref: str) -> tuple[str, int]:
    """Split ``"id@version"``; a malformed reference is a 422 naming the field ``rubric``."""
    match = _REF.match(ref.strip())
    if match is None or int(match["version"]) > MAX_INT32:
        raise ProblemError(
            code="rubric_ref_invalid",
            title="Unprocessable Content",
            status=422,
            detail_en=f"'{ref}' is not a rubric reference; write id@version, "
            "e.g. strong-province@2.",
            detail_zh=f"'{ref}' 不是有效的评价规则引用；格式为 编号@版本，例如 strong-province@2。",
            location=Location(field="rubric"),
        )
    return match["id"], int(match["version"])


def validate(source_toml: str) -> Rubric:
    """Parse and validate TOML text; raise :class:`RubricInvalid` listing every problem."""
    # load_rubric takes a one-line string without '=' for a file path. A request body must
    # never be read as a path on the server, so the text always carries a newline (a trailing
    # newline does not change what a TOML document means).
    text = source_toml if source_toml.endswith("\n") else source_toml + "\n"
    try:
        return load_rubric(text)
    except RubricError as exc:
        raise RubricInvalid(exc) from exc


def rubric_of(version: RubricVersion) -> Rubric:
    """The scoring library's :class:`Rubric` for a stored version.

    Parsed once per process and content: a stored version never changes, and a batch or an
    upload burst asks for the same version for every year it scores.
    """
    return _parse_stored(version.source_toml)


@lru_cache(maxsize=16)
def _parse_stored(source_toml: str) -> Rubric:
    # Rubric and its spec are immutable, so one parsed object can be shared by every caller.
    return validate(source_toml)


def publish(
    session: Session, source_toml: str, *, actor: Principal | None = None
) -> tuple[RubricVersion, bool]:
    """Store a new rubric version, or return the stored one with the same content.

    Returns ``(version, created)``. The same content (same canonical hash) is never stored
    twice; the same ``id@version`` with different content is a 409: published versions are
    immutable, so a change needs a new version number.
    """
    rubric = validate(source_toml)
    existing = get_by_sha256(session, rubric.sha256)
    if existing is not None:
        return existing, False
    _refuse_other_content(session, rubric)
    row = RubricVersion(
        rubric_id=rubric.id,
        version=rubric.version,
        sha256=rubric.sha256,
        title_zh=rubric.spec.name_zh[:_TITLE_MAX],
        title_en=rubric.spec.name_en[:_TITLE_MAX],
        source_toml=source_toml,
        is_current=False,
        published_by=actor.id if actor else None,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # Another transaction published the same rubric between our check and our insert
        # (possible on PostgreSQL; SQLite serialises writers).
        existing = get_by_sha256(session, rubric.sha256)
        if existing is not None:
            return existing, False
        _refuse_other_content(session, rubric)
        raise
    _audit(session, actor, "rubric.publish", row, after_sha256=row.sha256)
    return row, True


def _refuse_other_content(session: Session, rubric: Rubric) -> None:
    same_ref = _find(session, rubric.id, rubric.version)
    if same_ref is not None and same_ref.sha256 != rubric.sha256:
        raise Conflict(
            "rubric_version_exists",
            detail_en=(
                f"{rubric.ref} is already published with different content "
                f"(sha256 {same_ref.sha256[:12]}…). Published versions never change: "
                f"publish the change as version {_next_version(session, rubric.id)}."
            ),
            detail_zh=(
                f"{rubric.ref} 已以不同内容发布（sha256 {same_ref.sha256[:12]}…）。"
                f"已发布版本不可修改，请将修改作为第 {_next_version(session, rubric.id)} 版发布。"
            ),
            existing_sha256=same_ref.sha256,
        )


def _next_version(session: Session, rubric_id: str) -> int:
    versions = session.exec(
        select(RubricVersion.version).where(RubricVersion.rubric_id == rubric_id)
    ).all()
    return max(versions, default=0) + 1


def list_versions(
    session: Session, rubric_id: str | None = None, window: Window | None = None
) -> Rows[RubricVersion]:
    """Every published version (optionally of one rubric id), by id then version."""
    query = select(RubricVersion).order_by(col(RubricVersion.rubric_id), col(RubricVersion.version))
    if rubric_id is not None:
        query = query.where(RubricVersion.rubric_id == rubric_id)
    return fetch_page(session, query, window)


def _find(session: Session, rubric_id: str, version: int) -> RubricVersion | None:
    return session.exec(
        select(RubricVersion).where(
            RubricVersion.rubric_id == rubric_id, RubricVersion.version == version
        )
    ).first()


def get(session: Session, rubric_id: str, version: int) -> RubricVersion:
    """One published version; 404 if it was never published."""
    row = _find(session, rubric_id, version)
    if row is None:
        raise NotFound("published rubric version", "已发布的评价规则版本", f"{rubric_id}@{version}")
    return row


def get_by_ref(session: Session, ref: str) -> RubricVersion:
    """One published version by ``"id@version"``."""
    rubric_id, version = parse_ref(ref)
    return get(session, rubric_id, version)


def get_by_sha256(session: Session, sha256: str) -> RubricVersion | None:
    return session.exec(select(RubricVersion).where(RubricVersion.sha256 == sha256)).first()


def get_current(session: Session, rubric_id: str) -> RubricVersion:
    """The current version of ``rubric_id``; 404 if none is current."""
    row = session.exec(
        select(RubricVersion).where(
            RubricVersion.rubric_id == rubric_id, col(RubricVersion.is_current)
        )
    ).first()
    if row is None:
        raise NotFound("current rubric version for", "当前评价规则版本", rubric_id)
    return row


def set_current(
    session: Session, rubric_id: str, version: int, *, actor: Principal | None = None
) -> RubricVersion:
    """Make ``rubric_id@version`` the current version (audited). Idempotent."""
    target = get(session, rubric_id, version)
    if target.is_current:
        return target
    previous = session.exec(
        select(RubricVersion).where(
            RubricVersion.rubric_id == rubric_id, col(RubricVersion.is_current)
        )
    ).first()
    if previous is not None:
        previous.is_current = False
        session.add(previous)
        # Clear the old flag before setting the new one: the partial unique index allows at
        # most one current row per rubric id at every statement.
        session.flush()
    target.is_current = True
    session.add(target)
    session.flush()
    _audit(
        session,
        actor,
        "rubric.set_current",
        target,
        before_sha256=previous.sha256 if previous else None,
        after_sha256=target.sha256,
        detail={"previous_version": previous.version if previous else None},
    )
    return target


def publish_shipped(
    session: Session, settings: Settings, *, actor: Principal | None = None
) -> list[tuple[RubricVersion, bool]]:
    """Publish every rubric file under ``settings.rubrics_dir`` (idempotent).

    A rubric id with no current version gets the first version published here as current.
    """
    out = []
    for ref in list_shipped(root=settings.rubrics_dir):
        try:
            # load_shipped also checks that the file's id and version match its location
            load_shipped(ref, root=settings.rubrics_dir)
        except RubricError as exc:
            raise RubricInvalid(exc) from exc
        text = shipped_path(ref, root=settings.rubrics_dir).read_text(encoding="utf-8")
        row, created = publish(session, text, actor=actor)
        out.append((row, created))
        has_current = session.exec(
            select(RubricVersion.id).where(
                RubricVersion.rubric_id == row.rubric_id, col(RubricVersion.is_current)
            )
        ).first()
        if has_current is None:
            set_current(session, row.rubric_id, row.version, actor=actor)
    return out


def _audit(
    session: Session,
    actor: Principal | None,
    action: str,
    row: RubricVersion,
    *,
    before_sha256: str | None = None,
    after_sha256: str | None = None,
    detail: dict[str, object] | None = None,
) -> None:
    audit_service.record(
        session,
        actor,
        action,
        "rubric_version",
        f"{row.rubric_id}@{row.version}",
        before_sha256=before_sha256,
        after_sha256=after_sha256,
        detail=detail,
    )
