"""The simulator's grade math against worked cases of Canvas's rules (lib/grade_calculator.rb)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from canvas.simulator.scoring import Item, apply_drops, course_scores, letter_for, round2


def items(*rows: tuple[int, float, float]) -> list[Item]:
    return [Item(i, Fraction(str(s)), Fraction(str(t))) for i, s, t in rows]


def kept(rows, lowest=0, highest=0, never=()) -> list[int]:
    return sorted(i.id for i in apply_drops(items(*rows), lowest, highest, never))


def test_drop_lowest_optimises_the_group_ratio_not_the_raw_score() -> None:
    # 17/24 (70.8%) goes, not 7/10 (70%): 38/50 = 76% beats 48/64 = 75%
    assert kept([(1, 31, 40), (2, 17, 24), (3, 7, 10)], lowest=1) == [1, 3]


def test_never_drop_items_stay_in_the_ratio() -> None:
    assert kept([(1, 31, 40), (2, 19, 24), (3, 12, 16), (4, 6, 10)], lowest=1, never=[3, 4]) == [1, 3, 4]


def test_ties_drop_the_highest_id() -> None:
    assert kept([(2301, 10, 10), (2302, 10, 10), (2303, 10, 10)], lowest=1) == [2301, 2302]


def test_drop_counts_are_clamped_to_the_list() -> None:
    assert kept([(1, 5, 10)], lowest=3) == [1]  # at least one droppable item survives
    assert kept([(1, 5, 10), (2, 9, 10)], lowest=1, highest=1) == [2]  # drop_highest reset to 0


def test_drop_highest_keeps_the_worst_set() -> None:
    assert kept([(1, 10, 10), (2, 5, 10), (3, 8, 10)], highest=1) == [2, 3]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("93.825", 93.83), ("88.355", 88.36), ("60.125", 60.13), ("79.135", 79.14), ("58.445", 58.45)],
)
def test_half_up_rounding(value: str, expected: float) -> None:
    assert round2(Fraction(value)) == expected


@pytest.mark.parametrize(
    ("score", "letter"), [(94.0, "A"), (93.99, "A-"), (84.0, "B"), (60.99, "F"), (-5.0, "F"), (None, None)]
)
def test_default_scheme_letters(score: float | None, letter: str | None) -> None:
    assert letter_for(score) == letter


def _course(groups, rows, weighted):
    assignments, subs = [], {}
    for aid, gid, points, score, extra in rows:
        assignments.append({"id": aid, "assignment_group_id": gid, "points_possible": points,
                            "grading_type": "points", "submission_types": ["online_upload"], "published": True})
        subs[aid] = {"score": score, "posted_at": "2025-01-01T00:00:00Z" if score is not None else None,
                     "workflow_state": "graded" if score is not None else "unsubmitted", **extra}
    return course_scores(groups, assignments, subs, weighted)


def test_weighted_current_renormalises_final_counts_zero() -> None:
    groups = [{"id": 1, "group_weight": 50, "rules": {}}, {"id": 2, "group_weight": 50, "rules": {}}]
    out = _course(groups, [(10, 1, 10, 9, {}), (11, 2, 10, None, {})], weighted=True)
    assert (out["current_score"], out["final_score"]) == (90.0, 45.0)


def test_weights_below_100_scale_up() -> None:
    groups = [{"id": 1, "group_weight": 50, "rules": {}}, {"id": 2, "group_weight": 40, "rules": {}}]
    out = _course(groups, [(10, 1, 10, 10, {}), (11, 2, 10, None, {})], weighted=True)
    assert out["final_score"] == 55.56


def test_excused_pending_and_unposted() -> None:
    groups = [{"id": 1, "group_weight": 0, "rules": {}}]
    rows = [
        (10, 1, 10, 10, {}),
        (11, 1, 90, None, {"excused": True}),  # gone from both
        (12, 1, 10, 5, {"workflow_state": "pending_review"}),  # final only
        (13, 1, 10, 8, {"posted_at": None}),  # unposted: out of current, 0 in final
    ]
    out = _course(groups, rows, weighted=False)
    assert out["current_score"] == 100.0
    assert out["final_score"] == 50.0  # (10 + 5 + 0) / 30
