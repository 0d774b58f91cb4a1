"""Imports every table model so that ``SQLModel.metadata`` is complete (migrations, tests)."""

from app.audit.models import AuditEvent
from app.auth.models import ApiToken, AuthThrottle
from app.batches.models import Batch
from app.evaluations.models import CohortRun, Evaluation, RunInput, YearRubric
from app.evidence.models import EvidenceFile
from app.notices.models import Appeal, Notice
from app.panels.models import (
    PanelDecision,
    PanelDissent,
    PanelGrade,
    PanelMember,
    PanelSettlement,
    ReviewRound,
)
from app.programme.models import RegisterEntry
from app.reviews.models import Review
from app.rubrics.models import RubricVersion
from app.submissions.models import Submission
from app.web.models import WebSession

__all__ = [
    "ApiToken",
    "Appeal",
    "AuditEvent",
    "AuthThrottle",
    "Batch",
    "CohortRun",
    "Evaluation",
    "EvidenceFile",
    "Notice",
    "PanelDecision",
    "PanelDissent",
    "PanelGrade",
    "PanelMember",
    "PanelSettlement",
    "RegisterEntry",
    "Review",
    "ReviewRound",
    "RubricVersion",
    "RunInput",
    "Submission",
    "WebSession",
    "YearRubric",
]
