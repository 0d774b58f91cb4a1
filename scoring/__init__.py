"""Pure scoring library: rubric schema and loading, the vectorised scoring pipeline.

Imports stdlib, numpy, scipy and pydantic only. It reads no settings, clock or database;
the only files it reads are rubric files and data files handed to it explicitly.

Public API::

    from scoring import load_shipped, cohort_from_csv, score_cohort
    rubric = load_shipped("strong-province@1", root=Path("rubrics"))
    cohort = cohort_from_csv(rubric, Path("cohort.csv"), year=2020)
    result = score_cohort(rubric, cohort)
    result.to_json()  # bytes, byte-identical for identical inputs
"""

from scoring.data import (
    CohortData,
    CohortError,
    DataProblem,
    cohort_from_csv,
    cohort_from_records,
)
from scoring.engine import inputs_sha256, score_cohort
from scoring.result import CohortResult, ScoredCohort, json_schema
from scoring.rubric import (
    Rubric,
    RubricError,
    RubricProblem,
    TaskSpec,
    list_shipped,
    load_rubric,
    load_shipped,
)

__all__ = [
    "CohortData",
    "CohortError",
    "CohortResult",
    "DataProblem",
    "Rubric",
    "RubricError",
    "RubricProblem",
    "ScoredCohort",
    "TaskSpec",
    "cohort_from_csv",
    "cohort_from_records",
    "inputs_sha256",
    "json_schema",
    "list_shipped",
    "load_rubric",
    "load_shipped",
    "score_cohort",
]
