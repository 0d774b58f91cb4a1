"""Every cross-reference rule of the rubric loader, one broken rubric each."""

from __future__ import annotations

import pytest

from scoring import RubricError, load_rubric
from tests.scoring.scoring_builders import MINI

BASE = MINI.format(cap_l=5, cap_s=7, cap_c=6, policy="strict")

GROWTH = """
[[derived]]
kind = "{kind}"
code = "perf_growth"
name_zh = "增长"
name_en = "Growth"
of = "{of}"
{extra}
"""

TASKS = """
[[flags]]
code = "flag_tisc"
name_zh = "TISC"
name_en = "TISC"

[[tasks]]
code = "task_x1"
family = "annual"
name_zh = "任务"
name_en = "Task"
who = "{who}"
{extra}
deadline = "year_end"
source = "test"
"""


def _load(text: str) -> dict[str, str]:
    with pytest.raises(RubricError) as info:
        load_rubric(text)
    return {p.path: p.message_en for p in info.value.problems}


def _with(extra: str) -> str:
    # New top-level arrays go before the first [types.*] table.
    head, sep, tail = BASE.partition("[types.leading]")
    return head + extra + "\n" + sep + tail


@pytest.mark.parametrize(
    ("text", "path", "fragment"),
    [
        (
            BASE.replace('code = "demo_cities"', 'code = "perf_score"'),
            "inputs[1].code",
            "more than once",
        ),
        (BASE.replace("min = 0\nmax = 100", "min = 100\nmax = 0"), "inputs[0].max", "below min"),
        (
            BASE.replace('numerator = "demo_cities"', 'numerator = "demo_town"'),
            "derived[0].numerator",
            "not a declared input",
        ),
        (
            _with(GROWTH.format(kind="growth_base", of="perf_score", extra="")),
            "derived[2].of",
            'add "base"',
        ),
        (
            _with(GROWTH.format(kind="growth_prev", of="nothing_here", extra="")),
            "derived[2].of",
            "not a declared input",
        ),
        (
            _with(GROWTH.format(kind="growth_prev", of="perf_score", extra="annualise = true")),
            "derived[2].annualise",
            "already annual",
        ),
        (
            _with(
                '[[derived]]\nkind = "task_completion"\ncode = "task_done"\nname_zh = "x"\n'
                'name_en = "x"\nfamily = "all"\n'
            ),
            "derived[2].family",
            "declares no tasks",
        ),
        (_with(TASKS.format(who="type", extra="")), "tasks[0].pilot_type", "required"),
        (_with(TASKS.format(who="all", extra='flag = "flag_tisc"')), "tasks[0].flag", "only then"),
        (
            _with(TASKS.format(who="flag", extra='flag = "flag_nobody"')),
            "tasks[0].flag",
            "not a declared flag",
        ),
        (
            BASE.replace('reclassify_to = ["characteristic"]', 'reclassify_to = ["supporting"]'),
            "types.supporting.reclassify_to[0]",
            "another type",
        ),
        (
            BASE.replace('code = "s_perf"', 'code = "s_all"'),
            "types.supporting.pillars[0].indicators[0].code",
            "more than once",
        ),
        (
            BASE.replace("lower = 0, upper = 100 }", "lower = 100, upper = 0 }", 1),
            "types.leading.pillars[0].indicators[0].normalise.upper",
            "must exceed lower",
        ),
        (
            BASE.replace('field = "demo_city_share"\nthreshold = 60', 'field = "demo_city_share"'),
            "types.leading.gates[0]",
            "needs both field and threshold",
        ),
        (
            BASE.replace(
                'field = "demo_city_share"\nthreshold = 60',
                'field = "demo_town_share"\nthreshold = 60',
            ),
            "types.leading.gates[0].field",
            "not a declared input or derived field",
        ),
        (
            BASE.replace(
                "municipality = { exempt = true }",
                "municipality = { exempt = true, threshold = 1 }",
            ),
            "types.characteristic.gates[0].municipality",
            "either exempt",
        ),
        (
            BASE.replace(
                'municipality = { field = "demo_district_share", threshold = 60 }',
                'municipality = { field = "demo_city_share", threshold = 60 }',
            ),
            "types.leading.gates[0].municipality.field",
            "must not itself count",
        ),
        (
            BASE.replace(
                'municipality = { field = "demo_district_share", threshold = 60 }',
                'municipality = { field = "nowhere_share" }',
            ),
            "types.leading.gates[0].municipality.field",
            "not a declared input",
        ),
        (
            BASE.replace('code = "gate_count"\n', 'code = "gate_count"\nkind = "tasks_reported"\n'),
            "types.characteristic.gates[0]",
            "takes no field",
        ),
    ],
)
def test_each_cross_reference_rule(text: str, path: str, fragment: str) -> None:
    problems = _load(text)
    assert path in problems, problems
    assert fragment in problems[path]


def test_node_with_both_nodes_and_indicators() -> None:
    text = BASE.replace(
        "[[types.characteristic.pillars.indicators]]",
        '[[types.characteristic.pillars.nodes]]\ncode = "c_sub"\nname_zh = "s"\nname_en = "s"\n'
        'weight = 1\nindicators = [{ code = "c_sub_perf", name_zh = "x", name_en = "x", '
        'field = "perf_score", weight = 1, normalise = { method = "rank" } }]\n\n'
        "[[types.characteristic.pillars.indicators]]",
    )
    problems = _load(text)
    assert "types.characteristic.pillars[0]" in problems


def test_unreadable_file_is_a_rubric_error() -> None:
    with pytest.raises(RubricError, match="cannot read"):
        load_rubric("/nonexistent/rubric.toml")
