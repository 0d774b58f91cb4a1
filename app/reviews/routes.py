"""HTTP routes of reviews: confirm or override an evaluation's proposed decision; history."""

from __future__ import annotations

from fastapi import APIRouter

from app.auth.deps import AnyUser, EvaluatorUser
from app.core.params import IdPath
from app.deps import SessionDep
from app.reviews import service as reviews_service
from app.reviews.models import ReviewPublic
from app.reviews.service import ReviewCreate

router = APIRouter(tags=["reviews"])


@router.post("/evaluations/{evaluation_id}/review", status_code=201, response_model=ReviewPublic)
def create_review(
    session: SessionDep, principal: EvaluatorUser, evaluation_id: IdPath, body: ReviewCreate
) -> ReviewPublic:
    """Grade tasks, comment, and confirm or override (with a reason) the proposed decision."""
    review = reviews_service.create(session, principal, evaluation_id, body)
    return ReviewPublic.model_validate(review, from_attributes=True)


@router.get("/evaluations/{evaluation_id}/reviews", response_model=list[ReviewPublic])
def list_reviews(
    session: SessionDep, principal: AnyUser, evaluation_id: IdPath
) -> list[ReviewPublic]:
    """Every review of the evaluation's province and year, newest first."""
    rows = reviews_service.list_for_evaluation(session, principal, evaluation_id)
    return [ReviewPublic.model_validate(r, from_attributes=True) for r in rows]
