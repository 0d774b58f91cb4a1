"""The diff of old against new outcomes, checked on hand-made cases."""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from app.batches.diff import Outcome, compare, gates_of, summarise
from app.batches.workbook import diff_workbook


def out(code, total, rank, decision, target=None, year=2020, **gates):
    return Outcome(code, year, total, rank, decision, target, gates)


OLD = [
    out("110000", 84.5, 1, "pass", "leading", city_share=True, tasks=True),
    out("320000", 81.0, 2, "pass", "leading", city_share=True, tasks=True),
    out("510000", 70.0, 3, "reclassify", "supporting", city_share=False, tasks=True),
]
NEW = [
    # 110000: 84.5 -> 86.25, rank 1 -> 1, still pass: changed (score only)
    out("110000", 86.25, 1, "pass", "leading", city_share=True, tasks=True),
    # 320000: 81.0 -> 78.5 (below 80), rank 2 -> 3, pass -> reclassify, city_share fails now
    out("320000", 78.5, 3, "reclassify", "supporting", city_share=False, tasks=True),
    # 510000: 70.0 -> 79.0, rank 3 -> 2, same decision; city_share passes now
    out("510000", 79.0, 2, "reclassify", "supporting", city_share=True, tasks=True),
    # 440000: new in this cohort
    out("440000", 60.0, 4, "exit", None),
]


def test_per_unit_changes_by_hand():
    changes = {c.province_code: c for c in compare(OLD, NEW)}
    bj, js, sc, gd = (changes[c] for c in ("110000", "320000", "510000", "440000"))
    # 86.25 - 84.5 = 1.75; rank 1 - 1 = 0
    assert (bj.kind, bj.score_delta, bj.rank_delta, bj.transition) == ("changed", 1.75, 0, None)
    # 78.5 - 81.0 = -2.5; rank 3 - 2 = +1 (moved down); pass -> reclassify
    assert (js.score_delta, js.rank_delta, js.transition) == (-2.5, 1, "pass→reclassify")
    assert js.target_type_changed and js.gates_newly_failed == ("city_share",)
    # 79.0 - 70.0 = 9.0; rank 2 - 3 = -1 (moved up); city_share now passes
    assert (sc.score_delta, sc.rank_delta, sc.decision_changed) == (9.0, -1, False)
    assert sc.gates_newly_passed == ("city_share",) and sc.gates_newly_failed == ()
    assert gd.kind == "added" and gd.old is None and gd.transition == "(none)→exit"


def test_summary_by_hand():
    s = summarise(compare(OLD, NEW))
    assert (s["units"], s["changed"], s["unchanged"], s["added"]) == (4, 3, 0, 1)
    # 320000 pass->reclassify and 440000 (none)->exit
    assert s["decisions_changed"] == 2
    assert s["transitions"] == {"(none)→exit": 1, "pass→reclassify": 1}
    assert s["gates_newly_failed"] == {"city_share": 1}
    assert s["gates_newly_passed"] == {"city_share": 1}
    assert s["ranks_changed"] == 2
    # |1.75| + |-2.5| + |9.0| = 13.25 over 3 compared units = 4.416667
    assert s["mean_abs_score_change"] == 4.416667 and s["max_abs_score_change"] == 9.0
    assert s["by_year"]["2020"]["decisions_changed"] == 2


def test_identical_outcomes_are_unchanged():
    changes = compare(OLD, OLD)
    assert {c.kind for c in changes} == {"unchanged"}
    assert summarise(changes)["decisions_changed"] == 0


def test_reclassify_to_another_type_counts_as_target_change():
    old = [out("210000", 65.0, 5, "reclassify", "supporting")]
    new = [out("210000", 65.0, 5, "reclassify", "characteristic")]
    (change,) = compare(old, new)
    assert change.kind == "changed" and not change.decision_changed
    assert summarise([change])["target_types_changed"] == 1


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["110000", "120000", "130000"]),
            st.floats(0, 100, allow_nan=False),
            st.sampled_from(["pass", "reclassify", "exit"]),
        ),
        unique_by=lambda t: t[0],
    )
)
def test_a_cohort_compared_with_itself_never_changes(units):
    outcomes = [out(code, total, 1, decision) for code, total, decision in units]
    assert all(c.kind == "unchanged" and c.score_delta == 0 for c in compare(outcomes, outcomes))


def test_gates_of_reads_the_considered_types_with_the_pass_score_as_a_gate():
    result = {
        "evaluations": [
            # leading: 78 < pass score 80 -> leading:pass_score fails
            {
                "type": "leading",
                "total": 78.0,
                "pass_score": 80.0,
                "gates": [{"code": "g1", "passed": False}],
            },
            # supporting: 78 >= 60 -> supporting:pass_score passes
            {
                "type": "supporting",
                "total": 78.0,
                "pass_score": 60.0,
                "gates": [{"code": "g1", "passed": True}],
            },
            # characteristic: no total (missing) -> characteristic:pass_score fails
            {"type": "characteristic", "total": None, "pass_score": 40.0, "gates": []},
        ],
        "decision": {"to_type": "supporting"},
    }
    assert gates_of(result, "leading") == {"leading:g1": False, "leading:pass_score": False}
    assert gates_of(result, "leading", ["leading", "supporting", "characteristic"]) == {
        "leading:g1": False,
        "leading:pass_score": False,
        "supporting:g1": True,
        "supporting:pass_score": True,
        "characteristic:pass_score": False,
    }
    # an entrant has no own type: the type it applied for (its decision's) stands in
    assert gates_of(result, "none") == {"supporting:g1": True, "supporting:pass_score": True}
    assert gates_of({}, "leading") == {}


def test_workbook_has_bilingual_headers_and_one_row_per_unit_year():
    changes = compare(OLD, NEW)
    data = diff_workbook(
        batch={"id": 7, "rubric_id": "strong-province", "rubric_version": 2, "years": [2020]},
        summary=summarise(changes),
        changes=changes,
        names={"320000": "江苏省"},
    )
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["摘要 Summary", "明细 Changes"]
    sheet = book["明细 Changes"]
    headers = [c.value for c in sheet[1]]
    assert headers[0] == "年度\nYear" and "新结论\nNew decision" in headers
    assert sheet.max_row == 1 + 4
    js = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[1] == "320000")
    assert js[2] == "江苏省" and js[10] == "pass" and js[11] == "reclassify:supporting"
    summary = {r[0]: r[1] for r in book["摘要 Summary"].iter_rows(values_only=True) if r}
    assert summary["结论变化 Decisions changed"] == 2
    assert summary["pass→reclassify"] == 1
