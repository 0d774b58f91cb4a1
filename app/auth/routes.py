"""Who am I: the principal behind the request's token."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from app.auth.deps import CurrentUser

router = APIRouter(tags=["auth"])


class Me(BaseModel):
    token_id: int
    role: str
    province_code: str | None
    label: str


@router.get("/me", response_model=Me, summary="Who am I")
def me(principal: CurrentUser) -> Me:
    """The role and province of the token making this request."""
    return Me(
        token_id=principal.id,
        role=principal.role.value,
        province_code=principal.province_code,
        label=principal.label,
    )
