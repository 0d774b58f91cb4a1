"""HTTP routes of reviews: confirm or override an evaluation's proposed decision; history."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.auth.deps import AnyUser, EvaluatorUser
from app.core.errors import PROBLEM_JSON
from app.core.listing import Page, PagerDep
from app.core.params import IdPath
from app.deps import SessionDep, SettingsDep
from app.reviews import service as reviews_service
from app.reviews.models import ReviewPublic
from app.reviews.service import ReviewCreate

router = APIRouter(tags=["reviews"])


class Proposal(BaseModel):
    evaluation_id: int
    decision: str
    target_type: str | None
    total: float | None
    borderline: bool


class Regrade(BaseModel):
    was: str | None
    now: str


class ReviewResult(ReviewPublic):
    """The review recorded, and whether its grades made the engine re-compute the proposal."""

    recomputed: bool
    reviewed_evaluation_id: int
    proposal: Proposal
    regraded: dict[str, Regrade]


@router.post(
    "/evaluations/{evaluation_id}/review",
    status_code=201,
    response_model=ReviewResult,
    summary="Review an evaluation: grade, confirm or override",
    responses={
        409: {
            "description": "The evaluation is no longer current, or the grades changed the "
            "proposal a confirmation was about (the grades are kept; review the new evaluation)"
        }
    },
)
def create_review(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: EvaluatorUser,
    evaluation_id: IdPath,
    body: ReviewCreate,
) -> ReviewResult | JSONResponse:
    """Grade tasks (re-scoring the year when a status changes), comment, and confirm or override."""
    outcome = reviews_service.create(session, principal, evaluation_id, body, settings=settings)
    if outcome.refused is not None:
        # A response, not an exception: the applied grades and the re-score are committed.
        problem = outcome.refused.to_problem(instance=request.url.path)
        return JSONResponse(problem, status_code=problem["status"], media_type=PROBLEM_JSON)
    new = outcome.evaluation
    assert new.id is not None and outcome.reviewed.id is not None
    return ReviewResult.model_validate(
        {
            **ReviewPublic.model_validate(outcome.review, from_attributes=True).model_dump(),
            "recomputed": outcome.recomputed,
            "reviewed_evaluation_id": outcome.reviewed.id,
            "proposal": Proposal(
                evaluation_id=new.id,
                decision=new.decision,
                target_type=new.target_type,
                total=new.total,
                borderline=new.borderline,
            ),
            "regraded": {t: Regrade(was=w, now=n) for t, (w, n) in outcome.regraded.items()},
        }
    )


@router.get(
    "/evaluations/{evaluation_id}/reviews",
    response_model=Page[ReviewPublic],
    summary="List the reviews of an evaluation's province and year",
)
def list_reviews(
    session: SessionDep, principal: AnyUser, pager: PagerDep, evaluation_id: IdPath
) -> Page[ReviewPublic]:
    """Every review of the evaluation's province and year, newest first."""
    rows, total = reviews_service.list_for_evaluation(
        session, principal, evaluation_id, pager.window
    )
    return pager.page([ReviewPublic.model_validate(r, from_attributes=True) for r in rows], total)
