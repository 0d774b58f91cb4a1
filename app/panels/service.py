"""Review rounds and panel assignment, with conflict-of-interest exclusion.

A round is one year under one rubric; its policy (panel size, aggregation, dispute spread,
late policy, appeal window) is the rubric's ``[review]`` table as in force when the round
was opened. An admin assigns each province a panel of exactly ``panel_size`` evaluators, one
of them chair. An evaluator affiliated with a province (``affiliation`` on its token) is never
assigned to that province's panel and may not review it: the refusal is audited and says why
in Chinese and English. An appeal's re-review panel shares no member with the first panel.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlmodel import Session, col, select

from app.audit import service as audit_service
from app.auth.models import ApiToken, Role
from app.auth.service import Principal
from app.core.errors import Location, NotFound, ProblemError
from app.core.listing import Rows, Window, fetch_page
from app.core.params import MAX_INT32, PlainText, Year
from app.masterdata import UnknownProvinceError, resolve_province
from app.notices.models import Appeal
from app.panels.models import PanelMember, ReviewRound
from app.rubrics import service as rubrics_service
from scoring import Rubric
from scoring.rubric import ReviewPolicy


class RoundCreate(BaseModel):
    """Open a review round: the year, the rubric (``id@version``) and the submission window."""

    model_config = ConfigDict(extra="forbid")

    year: Year
    rubric: PlainText = Field(max_length=80, examples=["strong-province@2"])
    opens_at: datetime
    deadline: datetime

    @model_validator(mode="after")
    def _window(self) -> RoundCreate:
        if self.deadline <= self.opens_at:
            raise ValueError("deadline must be after opens_at / 截止时间须晚于开始时间")
        if self.opens_at.tzinfo is None or self.deadline.tzinfo is None:
            raise ValueError("give times with a UTC offset, e.g. 2020-11-30T16:00:00Z")
        return self


class PanelAssign(BaseModel):
    """A province's panel: evaluator token ids (``panel_size`` of them) and its chair."""

    model_config = ConfigDict(extra="forbid")

    province: PlainText = Field(max_length=40)
    evaluators: list[int] = Field(min_length=1, max_length=15)
    chair: int = Field(ge=1, le=MAX_INT32)
    appeal_id: int = Field(default=0, ge=0, le=MAX_INT32)


def _refused(code: str, en: str, zh: str, *, field: str, status: int = 409) -> ProblemError:
    titles = {403: "Forbidden", 409: "Conflict"}
    return ProblemError(
        code=code,
        title=titles.get(status, "Unprocessable Content"),
        status=status,
        detail_en=en,
        detail_zh=zh,
        location=Location(field=field),
        audited=True,
    )


def policy_of(review_round: ReviewRound) -> ReviewPolicy:
    return ReviewPolicy.model_validate(review_round.policy)


def rubric_of(session: Session, review_round: ReviewRound) -> Rubric:
    return rubrics_service.rubric_of(
        rubrics_service.get(session, review_round.rubric_id, review_round.rubric_version)
    )


def province_code(raw: str, field: str = "body.province") -> str:
    try:
        return resolve_province(raw).code
    except UnknownProvinceError as exc:
        raise ProblemError(
            code="unknown_province",
            title="Unprocessable Content",
            status=422,
            detail_en=f"Unknown province '{raw}'; give a GB/T 2260 code or a name.",
            detail_zh=f"未知省份“{raw}”；请填写行政区划代码或名称。",
            location=Location(field=field),
        ) from exc


def create(session: Session, principal: Principal, body: RoundCreate) -> ReviewRound:
    """Open the round of ``body.year`` under ``body.rubric``; one per year and rubric."""
    row = rubrics_service.get_by_ref(session, body.rubric)
    rubric = rubrics_service.rubric_of(row)
    existing = session.exec(
        select(ReviewRound).where(
            ReviewRound.year == body.year,
            ReviewRound.rubric_id == row.rubric_id,
            ReviewRound.rubric_version == row.version,
        )
    ).first()
    if existing is not None:
        raise _refused(
            "round_exists",
            f"Round {existing.id} already reviews {body.year} under {rubric.ref}.",
            f"{body.year} 年度按 {rubric.ref} 的评审轮次已存在（编号 {existing.id}）。",
            field="body.year",
        )
    review_round = ReviewRound(
        year=body.year,
        rubric_id=row.rubric_id,
        rubric_version=row.version,
        rubric_sha256=row.sha256,
        policy=rubric.review.model_dump(mode="json"),
        opens_at=body.opens_at,
        deadline=body.deadline,
        created_by=principal.id,
    )
    session.add(review_round)
    session.flush()
    audit_service.record(
        session,
        principal,
        "round.create",
        "review_round",
        review_round.id,
        after_sha256=row.sha256,
        detail={"year": body.year, "rubric": rubric.ref, "policy": review_round.policy},
    )
    return review_round


def get(session: Session, round_id: int) -> ReviewRound:
    review_round = session.get(ReviewRound, round_id)
    if review_round is None:
        raise NotFound("review round", "评审轮次", round_id)
    return review_round


def list_rounds(
    session: Session, year: int | None = None, window: Window | None = None
) -> Rows[ReviewRound]:
    query = select(ReviewRound).order_by(col(ReviewRound.year), col(ReviewRound.id))
    if year is not None:
        query = query.where(ReviewRound.year == year)
    return fetch_page(session, query, window)


def round_of_year(session: Session, year: int) -> ReviewRound | None:
    """The newest round of ``year`` (the one whose window and policy apply)."""
    return session.exec(
        select(ReviewRound).where(ReviewRound.year == year).order_by(col(ReviewRound.id).desc())
    ).first()


def check_window(session: Session, year: int, now: datetime, what: str) -> bool:
    """Whether an upload for ``year`` at ``now`` is late; refuses it (audited) per policy."""
    review_round = round_of_year(session, year)
    if review_round is None or now <= review_round.deadline:
        return False
    policy = policy_of(review_round)
    if policy.late_policy == "flag":
        return True
    raise ProblemError(
        code="deadline_passed",
        title="Conflict",
        status=409,
        detail_en=f"The {year} submission window closed at {review_round.deadline:%Y-%m-%d %H:%M} "
        f"UTC; this rubric accepts no late {what}. Ask the national office.",
        detail_zh=f"{year} 年度报送已于 {review_round.deadline:%Y-%m-%d %H:%M}（UTC）截止；"
        "本评价规则不接受逾期报送，请联系国家局。",
        extra={"deadline": review_round.deadline.isoformat()},
        audited=True,
    )


def affiliation_of(session: Session, token_id: int) -> str | None:
    token = session.get(ApiToken, token_id)
    return token.affiliation if token is not None else None


def conflict(province: str, field: str, status: int = 409) -> ProblemError:
    """The refusal of an evaluator affiliated with ``province`` (audited)."""
    return _refused(
        "conflict_of_interest",
        f"The evaluator is affiliated with {province} and may not review it (conflict of "
        "interest); choose an evaluator from another province.",
        f"该评审人员隶属 {province}，须回避，不得评审本省；请选择其他省份的评审人员。",
        field=field,
        status=status,
    )


def labels_of(session: Session, token_ids: Sequence[int]) -> dict[int, str]:
    """Token id -> its label (the evaluator's name as the admin wrote it)."""
    rows = session.exec(select(ApiToken).where(col(ApiToken.id).in_(list(token_ids)))).all()
    return {t.id or 0: t.label for t in rows}


def _members(
    session: Session, round_id: int, province: str, appeal_id: int
) -> Sequence[PanelMember]:
    return session.exec(
        select(PanelMember)
        .where(
            PanelMember.round_id == round_id,
            PanelMember.province_code == province,
            PanelMember.appeal_id == appeal_id,
        )
        .order_by(col(PanelMember.id))
    ).all()


def members(
    session: Session, round_id: int, province: str, appeal_id: int = 0
) -> Sequence[PanelMember]:
    """The panel of a province (first review, or an appeal's re-review), in assignment order."""
    return _members(session, round_id, province, appeal_id)


def _check_evaluator(session: Session, token_id: int, province: str, field: str) -> None:
    token = session.get(ApiToken, token_id)
    if token is None or token.revoked_at is not None or token.role != Role.evaluator:
        raise _refused(
            "not_an_evaluator",
            f"Token {token_id} is not an active evaluator token; assign evaluators only.",
            f"令牌 {token_id} 不是有效的评审人员令牌；只能指派评审人员。",
            field=field,
            status=422,
        )
    if token.affiliation == province:
        raise conflict(province, field)


def assign(
    session: Session, principal: Principal, round_id: int, body: PanelAssign
) -> list[PanelMember]:
    """Set a province's panel; refused (and audited) on any conflict of interest."""
    review_round = get(session, round_id)
    policy = policy_of(review_round)
    province = province_code(body.province)
    evaluators = list(dict.fromkeys(body.evaluators))
    if len(evaluators) != policy.panel_size:
        raise _refused(
            "panel_size",
            f"A panel of this round has {policy.panel_size} members; {len(evaluators)} "
            "distinct evaluators were given.",
            f"本轮次每个评审组应有 {policy.panel_size} 名成员，实际提供 {len(evaluators)} 名。",
            field="body.evaluators",
            status=422,
        )
    if body.chair not in evaluators:
        raise _refused(
            "chair_not_member",
            "The chair must be one of the panel's evaluators.",
            "评审组组长必须是评审组成员之一。",
            field="body.chair",
            status=422,
        )
    for i, token_id in enumerate(evaluators):
        _check_evaluator(session, token_id, province, f"body.evaluators[{i}]")
    if _members(session, round_id, province, body.appeal_id):
        raise _refused(
            "panel_exists",
            f"{province} already has this panel in round {round_id}.",
            f"{province} 在评审轮次 {round_id} 中已有该评审组。",
            field="body.province",
        )
    if body.appeal_id:
        appeal = session.get(Appeal, body.appeal_id)
        if appeal is None or appeal.province_code != province or appeal.year != review_round.year:
            raise _refused(
                "appeal_mismatch",
                f"Appeal {body.appeal_id} is not an appeal of {province} for {review_round.year}.",
                f"复核申请 {body.appeal_id} 不是 {province} {review_round.year} 年度的申请。",
                field="body.appeal_id",
                status=422,
            )
        first = {m.evaluator_id for m in _members(session, round_id, province, 0)}
        shared = sorted(first & set(evaluators))
        if shared:
            raise _refused(
                "panel_not_independent",
                f"An appeal is re-reviewed by a different panel; evaluators {shared} sat on "
                "the first panel.",
                f"复核须由另一评审组进行；评审人员 {shared} 已参加首次评审。",
                field="body.evaluators",
            )
    rows = [
        PanelMember(
            round_id=round_id,
            province_code=province,
            appeal_id=body.appeal_id,
            evaluator_id=token_id,
            chair=token_id == body.chair,
            assigned_by=principal.id,
        )
        for token_id in evaluators
    ]
    session.add_all(rows)
    session.flush()
    audit_service.record(
        session,
        principal,
        "panel.assign",
        "review_round",
        round_id,
        detail={
            "province_code": province,
            "appeal_id": body.appeal_id,
            "evaluators": evaluators,
            "chair": body.chair,
        },
    )
    return rows
