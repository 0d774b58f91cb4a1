"""Examples of every request body and success response in the OpenAPI document.

One worked case runs through them: Jiangsu (江苏省, 320000) uploads its 2024 workbook, scored
under ``strong-province@2``; it totals 86.4, ranks 2nd among the supporting pilots and is
proposed to pass; an evaluator confirms. :func:`example_for` is what ``app.openapi`` puts
beside each schema, and :data:`SCHEMA_EXAMPLES` become the component schemas' ``examples``;
``tests/api/test_openapi_examples.py`` checks every example against its schema, so an
example cannot drift from the model it shows.
"""

from __future__ import annotations

from typing import Any

RUBRIC_SHA = "9c1d4e7a2b3f5a6c8d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e"
INPUT_SHA = "5e2a9f0c1b3d4e5f60718293a4b5c6d7e8f9012a3b4c5d6e7f8091a2b3c4d5e6"
RESULT_SHA = "b7e3c1a90d2f4e6a8c0b1d3f5e7a9c0b2d4f6e8a0c1b3d5f7e9a1c3b5d7f9e0a"
FILE_SHA = "2f6b8d0e1a3c5e7f9b1d3f5a7c9e0b2d4f6a8c0e1b3d5f7a9c1e3b5d7f9a0c2e"
WHEN = "2025-03-14T09:30:00Z"
JIANGSU = {"province_code": "320000", "province_name_zh": "江苏省", "province_name_en": "Jiangsu"}
ENGINE_PASS = {"decision": "pass", "target_type": None, "by": "engine", "review_id": None}

_SUBMISSION = {
    **JIANGSU,
    "year": 2024,
    "version_no": 2,
    "sha256": FILE_SHA,
    "filename": "江苏省-2024-填报.xlsx",
    "size_bytes": 48213,
    "rubric_id": "strong-province",
    "rubric_version": 2,
    "rubric_sha256": RUBRIC_SHA,
    "template_version": "2024.1",
    "id": 41,
    "previous_id": 37,
    "is_current": True,
    "uploaded_at": WHEN,
}
_REPORT = {
    "valid": True,
    "errors": [],
    "warnings": [
        {
            "code": "value_jump",
            "location": {"sheet": "指标 Indicators", "cell": "C12"},
            "message_zh": "C12 比上年增长 64%，请核实。",
            "message_en": "C12 grew 64% on last year; please check it.",
        }
    ],
}
_EVALUATION_ROW = {
    **JIANGSU,
    "year": 2024,
    "unit_type": "supporting",
    "total": 86.4,
    "rank": 2,
    "decision": "pass",
    "target_type": None,
    "borderline": False,
    "rubric_sha256": RUBRIC_SHA,
    "input_sha256": INPUT_SHA,
    "stability": 0.97,
    "fragile": False,
    "id": 312,
    "run_id": 58,
    "submission_id": 41,
    "review": None,
    "proposed": ENGINE_PASS,
    "final": ENGINE_PASS,
}
_YEAR_RUBRIC = {
    "year": 2024,
    "rubric_id": "strong-province",
    "rubric_version": 2,
    "rubric_sha256": RUBRIC_SHA,
    "source": "admin",
    "batch_id": None,
    "reason": "2024 年起按第 2 版规则评价 / scored under version 2 from 2024",
    "rubric": "strong-province@2",
    "assigned_at": WHEN,
}
_RUBRIC_VERSION = {
    "rubric_id": "strong-province",
    "version": 2,
    "sha256": RUBRIC_SHA,
    "title_zh": "知识产权强省建设试点评估规则",
    "title_en": "IP-strong-province pilot evaluation rubric",
    "id": 2,
    "is_current": True,
    "published_at": WHEN,
}
_BATCH = {
    "rubric_id": "strong-province",
    "rubric_version": 2,
    "rubric_sha256": RUBRIC_SHA,
    "dry_run": False,
    "id": 7,
    "years": [2022, 2023],
    "status": "done",
    "years_done": 2,
    "units_done": 64,
    "units_total": 64,
    "created_at": "2025-03-14T09:30:00Z",
    "started_at": "2025-03-14T09:30:01Z",
    "finished_at": "2025-03-14T09:31:12Z",
    "promoted_at": None,
    "heartbeat_at": "2025-03-14T09:31:12Z",
    "error": None,
    "unit_problems": {},
    "summary": {"units": 64, "decision_changed": 3, "max_score_delta": 2.8},
    "rubric": "strong-province@2",
    "progress": {
        "years_done": 2,
        "years_total": 2,
        "units_done": 64,
        "units_total": 64,
        "fraction": 1.0,
    },
    "elapsed_seconds": 71.0,
    "runs": [61, 62],
    "diff_summary": {"units": 64, "decision_changed": 3, "max_score_delta": 2.8},
    "stale_reviews": [],
    "heartbeat_age_seconds": None,
    "runner_alive": None,
    "assigned_years": {"2022": {"before": "strong-province@1", "after": "strong-province@2"}},
}
_ROUND = {
    "id": 3,
    "year": 2024,
    "rubric": "strong-province@2",
    "opens_at": "2025-04-01T00:00:00Z",
    "deadline": "2025-04-30T16:00:00Z",
    "policy": {"panel_size_min": 3, "aggregation": "median", "dispute_spread": 2},
}
_EVIDENCE = {
    **{k: v for k, v in JIANGSU.items() if k == "province_code"},
    "year": 2024,
    "submission_id": 41,
    "appeal_id": None,
    "kind": "task",
    "target": "T3",
    "sha256": FILE_SHA,
    "size_bytes": 182044,
    "media_type": "application/pdf",
    "filename": "知识产权保护中心建设批复.pdf",
    "late": False,
    "id": 9,
    "uploaded_at": WHEN,
}
_NOTICE = {
    "year": 2024,
    "seq": 1,
    "sha256": RESULT_SHA,
    "supersedes_id": None,
    "appeal_id": None,
    "id": 4,
    "published_at": "2025-05-20T02:00:00Z",
}
_APPEAL = {
    "notice_id": 4,
    "year": 2024,
    "province_code": "410000",
    "status": "filed",
    "original_decision": "reclassify",
    "original_target_type": "characteristic",
    "outcome": None,
    "new_decision": None,
    "new_target_type": None,
    "new_notice_id": None,
    "id": 2,
    "reason": "2024 年专利质押融资额漏报，佐证材料已补交 / "
    "pledge financing was left out; evidence added",
    "outcome_reason": "",
    "override_reason": "",
    "filed_at": "2025-05-27T06:15:00Z",
    "decided_at": None,
}
_REGISTER_ENTRY = {
    "province_code": "320000",
    "year": 2021,
    "unit_type": "supporting",
    "stage": "demonstration",
    "since_year": 2021,
    "source": "decision",
    "decided_year": 2020,
    "review_id": 120,
    "synthetic": False,
    "id": 55,
    "reason": "2020 年评估通过，进入示范阶段 / passed in 2020: demonstration stage",
    "created_at": WHEN,
}
_REVIEW = {
    **JIANGSU,
    "year": 2024,
    "action": "confirm",
    "final_decision": "pass",
    "final_target_type": None,
    "proposed_decision": "pass",
    "proposed_target_type": None,
    "id": 88,
    "evaluation_id": 312,
    "created_at": WHEN,
    "reason": "指标与佐证一致 / indicators match the evidence",
    "comments": "",
    "grades": {"T3": "done", "T5": "partial"},
    "stale": False,
    "stale_diff": None,
}

#: component schema name -> one example; a collection (``Page_X_``) wraps the example of X
SCHEMA_EXAMPLES: dict[str, Any] = {
    "Health": {
        "status": "ok",
        "version": "0.9.0",
        "database": {
            "backend": "postgresql",
            "reachable": True,
            "revision": "0031",
            "head": "0031",
            "at_head": True,
            "error": None,
        },
    },
    "Me": {
        "token_id": 12,
        "role": "province",
        "province_code": "320000",
        "label": "江苏省知识产权局",
    },
    "AuditEventPublic": {
        "actor_token_id": 3,
        "actor_role": "evaluator",
        "actor_province": None,
        "action": "review.confirm",
        "outcome": "ok",
        "object_type": "evaluation",
        "object_id": "312",
        "before_sha256": None,
        "after_sha256": RESULT_SHA,
        "request_id": "4b1f0c5e9d2a4f6b8e3a7c1d2e5f6a7b",
        "id": 1207,
        "at": WHEN,
        "detail": {"decision": "pass", "province_code": "320000", "year": 2024},
        "actor_province_name_zh": None,
        "actor_province_name_en": None,
    },
    "SubmissionPublic": _SUBMISSION,
    "SubmissionDetail": {
        **_SUBMISSION,
        "report": _REPORT,
        "values": {"I01": 38.6, "I02": 2.41, "I07": 1290},
    },
    "ReviewResult": {
        **_REVIEW,
        "recomputed": False,
        "reviewed_evaluation_id": 312,
        "proposal": {
            "evaluation_id": 312,
            "decision": "pass",
            "target_type": None,
            "total": 86.4,
            "borderline": False,
        },
        "regraded": {"T5": {"was": None, "now": "partial"}},
    },
    "ReviewPublic": _REVIEW,
    "EvaluationRow": _EVALUATION_ROW,
    "EvaluationDetail": {
        **_EVALUATION_ROW,
        "result_sha256": RESULT_SHA,
        "result_encoding": 1,
        "result": {
            "unit": "320000",
            "name": "江苏省",
            "type": "supporting",
            "stage": "demonstration",
            "decision": {"outcome": "pass", "route": "standard", "borderline": False},
        },
        "run_status": "current",
        "run": {
            "id": 58,
            "status": "current",
            "rubric": "strong-province@2",
            "rubric_sha256": RUBRIC_SHA,
            "input_sha256": INPUT_SHA,
            "batch_id": None,
            "created_at": WHEN,
            "input_not_collected": None,
        },
        "current": True,
        "superseded_by": None,
        "current_url": "/api/v1/evaluations/2024/320000",
        "robustness": None,
        "robustness_status": None,
    },
    "YearRubricPublic": _YEAR_RUBRIC,
    "YearRubricBody": {
        "rubric": "strong-province@2",
        "reason": "2024 年起按第 2 版规则评价 / score 2024 under version 2",
    },
    "RubricAssignment": {
        "assignment": _YEAR_RUBRIC,
        "previous": "strong-province@1",
        "changed": True,
        "run_id": 58,
        "stale_reviews": [80, 81],
    },
    "RubricVersionPublic": _RUBRIC_VERSION,
    "RubricVersionDetail": {
        **_RUBRIC_VERSION,
        "spec": {
            "id": "strong-province",
            "version": 2,
            "type_order": ["leading", "supporting", "characteristic"],
        },
    },
    "BatchCreate": {"rubric": "strong-province@2", "years": [2022, 2023], "dry_run": False},
    "BatchView": _BATCH,
    "RoundCreate": {
        "year": 2024,
        "rubric": "strong-province@2",
        "opens_at": "2025-04-01T00:00:00Z",
        "deadline": "2025-04-30T16:00:00Z",
    },
    "RoundSummary": _ROUND,
    "PanelAssign": {"province": "320000", "evaluators": [5, 6, 9], "chair": 5, "appeal_id": 0},
    "PanelPublic": {
        "province_code": "320000",
        "appeal_id": 0,
        "members": [
            {"id": 21, "province_code": "320000", "appeal_id": 0, "evaluator_id": 5, "chair": True},
            {
                "id": 22,
                "province_code": "320000",
                "appeal_id": 0,
                "evaluator_id": 6,
                "chair": False,
            },
            {
                "id": 23,
                "province_code": "320000",
                "appeal_id": 0,
                "evaluator_id": 9,
                "chair": False,
            },
        ],
    },
    "MemberGrades": {
        "grades": {"T3": "done", "T5": "partial"},
        "comments": "T5 仅完成一半 / T5 half done",
    },
    "Recorded": {"id": 17, "kind": "grades"},
    "Settlement": {
        "task": "T5",
        "status": "partial",
        "reason": "合议：平台已建成、尚未运行 / built, not yet running",
        "appeal_id": 0,
    },
    "ChairDecision": {
        "action": "confirm",
        "decision": None,
        "target_type": None,
        "reason": "",
        "comments": "",
    },
    "DissentCreate": {"text": "T5 应评为未完成 / T5 should be not started", "appeal_id": 0},
    "EvidencePublic": _EVIDENCE,
    "NoticeCreate": {"year": 2024},
    "NoticePublic": _NOTICE,
    "NoticeDetail": {
        **_NOTICE,
        "decisions": [
            {"province_code": "320000", "decision": "pass", "target_type": None},
            {"province_code": "410000", "decision": "reclassify", "target_type": "characteristic"},
        ],
    },
    "AppealCreate": {"notice_id": 4, "reason": _APPEAL["reason"]},
    "AppealPublic": _APPEAL,
    "ProgrammeState": {
        "province_code": "320000",
        "province_name": "江苏省",
        "year": 2024,
        "unit_type": "supporting",
        "stage": "demonstration",
        "since_year": 2021,
        "source": "decision",
        "entry_id": 55,
        "synthetic": False,
    },
    "RegisterEntryPublic": _REGISTER_ENTRY,
    # declared here, not on the model: FastAPI drops the nulls of a model's examples
    "PromotionPreview": {
        "batch_id": 3,
        "rubric": "strong-province@2",
        "promotable": True,
        "refusal": None,
        "years": [
            {
                "year": 2020,
                "rubric_now": "strong-province@1",
                "source_now": "first_scoring",
                "assigned_at": "2026-11-30T08:00:00Z",
                "rubric_after": "strong-province@2",
                "changes_rubric": True,
                "outdated": False,
                "becomes_stale": [
                    {
                        "review_id": 41,
                        "province_code": "620000",
                        "name_zh": "甘肃省",
                        "name_en": "Gansu",
                        "action": "confirm",
                        "final_decision": "exit",
                        "final_target_type": None,
                        "proposed_before": ["exit", None],
                        "proposed_after": ["pass", None],
                    }
                ],
                "no_longer_stale": [],
            }
        ],
    },
}

RUBRIC_TOML = """id = "strong-province"
version = 2
name_zh = "知识产权强省建设试点评估规则"
name_en = "IP-strong-province pilot evaluation rubric"
type_order = ["leading", "supporting", "characteristic"]
"""

#: (METHOD, path) -> media type -> example of a request body without a schema of its own
REQUEST_EXAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/rubrics"): {"application/toml": RUBRIC_TOML, "text/plain": RUBRIC_TOML},
}

#: (METHOD, path) -> media type -> example of a response without a schema of its own
RESPONSE_EXAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/api/v1/health/live"): {"application/json": {"status": "ok"}},
    ("POST", "/api/v1/submissions"): {
        "application/json": {
            "submission": _SUBMISSION,
            "created": True,
            "restored": False,
            "dry_run": False,
            "run_id": 58,
            "evaluation": {
                "id": 312,
                "run_id": 58,
                "decision": "pass",
                "target_type": None,
                "total": 86.4,
                "rank": 2,
            },
            "warnings": _REPORT["warnings"],
            "report": None,
        }
    },
    ("GET", "/api/v1/submissions/{submission_id}/report"): {"application/json": _REPORT},
    ("GET", "/api/v1/rubrics/{rubric_id}/{version}.toml"): {
        "application/toml": RUBRIC_TOML,
        "text/plain": RUBRIC_TOML,
    },
    ("GET", "/api/v1/rubrics/{rubric_id}/{version}"): {"application/toml": RUBRIC_TOML},
    ("GET", "/api/v1/batches/{batch_id}/diff"): {
        "application/json": {
            "batch": _BATCH,
            "summary": {"units": 64, "decision_changed": 3, "max_score_delta": 2.8},
            "changes": [
                {
                    "province_code": "320000",
                    "year": 2023,
                    "kind": "changed",
                    "old": {"total": 84.1, "rank": 3, "decision": "pass", "target_type": None},
                    "new": {"total": 86.9, "rank": 2, "decision": "pass", "target_type": None},
                    # 86.9 - 84.1 = 2.8; rank 3 -> 2 is -1
                    "score_delta": 2.8,
                    "rank_delta": -1,
                    "decision_changed": False,
                }
            ],
            "stability": None,
        }
    },
    ("GET", "/api/v1/review-rounds/{round_id}"): {
        "application/json": {
            **_ROUND,
            "provinces": [
                {
                    "province_code": "320000",
                    "graded": 2,
                    "panel_size": 3,
                    "disputed": ["T5"],
                    "settled": [],
                    "confirmed": False,
                    "decision": None,
                }
            ],
        }
    },
    ("GET", "/api/v1/review-rounds/{round_id}/provinces/{province}"): {
        "application/json": {
            "round_id": 3,
            "province_code": "320000",
            "year": 2024,
            "evaluation_id": 312,
            "proposal": {"decision": "pass", "target_type": None, "total": 86.4},
            "grades_visible": False,
            "members": [
                {"evaluator_id": 5, "label": "评审专家 A", "chair": True, "submitted": True}
            ],
        }
    },
    ("POST", "/api/v1/review-rounds/{round_id}/provinces/{province}/decision"): {
        "application/json": {
            "review_id": 88,
            "evaluation_id": 312,
            "action": "confirm",
            "final_decision": "pass",
            "final_target_type": None,
            "grades": {"T3": "done", "T5": "partial"},
            "recomputed": False,
        }
    },
}


def _ref_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref", "")
    return ref.rsplit("/", 1)[-1] if ref.startswith("#/components/schemas/") else None


def example_for(
    part: dict[tuple[str, str], dict[str, Any]],
    method: str,
    path: str,
    media_type: str,
    schema: dict[str, Any],
    schemas: dict[str, Any],
) -> Any | None:
    """The example of a body or response (``part``: :data:`REQUEST_EXAMPLES` or
    :data:`RESPONSE_EXAMPLES`) of ``method path`` in ``media_type``, if any."""
    found = part.get((method.upper(), path), {})
    if media_type in found:
        return found[media_type]
    name = _ref_name(schema)
    if name is None:
        return None
    if name in SCHEMA_EXAMPLES:
        return SCHEMA_EXAMPLES[name]
    if name.startswith("Page_") and name[5:-1] in SCHEMA_EXAMPLES:
        return {"items": [SCHEMA_EXAMPLES[name[5:-1]]], "total": 1, "limit": 50, "offset": 0}
    declared = schemas.get(name, {}).get("examples")
    return declared[0] if declared else None
