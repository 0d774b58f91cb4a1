"""Rubric schema, validation and loading.

Public API::

    from scoring.rubric import load_rubric, load_shipped, Rubric, RubricError
"""

from scoring.rubric.errors import RubricError, RubricProblem
from scoring.rubric.loader import list_shipped, load_rubric, load_shipped, shipped_path
from scoring.rubric.model import (
    TASK_STATUS_ALIASES,
    TASK_STATUSES,
    DataColumn,
    Rubric,
    TaskSpec,
    walk_nodes,
)
from scoring.rubric.schema import (
    Flag,
    Gate,
    Indicator,
    InputField,
    Node,
    ReviewPolicy,
    RubricSpec,
    Task,
    TypeSpec,
)

__all__ = [
    "TASK_STATUSES",
    "TASK_STATUS_ALIASES",
    "DataColumn",
    "Flag",
    "Gate",
    "Indicator",
    "InputField",
    "Node",
    "ReviewPolicy",
    "Rubric",
    "RubricError",
    "RubricProblem",
    "RubricSpec",
    "Task",
    "TaskSpec",
    "TypeSpec",
    "list_shipped",
    "load_rubric",
    "load_shipped",
    "shipped_path",
    "walk_nodes",
]
