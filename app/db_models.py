"""Imports every table model so that ``SQLModel.metadata`` is complete (migrations, tests)."""

from app.audit.models import AuditEvent
from app.auth.models import ApiToken
from app.batches.models import Batch
from app.evaluations.models import CohortRun, Evaluation, RunInput, YearRubric
from app.reviews.models import Review
from app.rubrics.models import RubricVersion
from app.submissions.models import Submission
from app.web.models import WebSession

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Batch",
    "CohortRun",
    "Evaluation",
    "Review",
    "RubricVersion",
    "RunInput",
    "Submission",
    "WebSession",
    "YearRubric",
]
