"""Canvas's student course score (the API's ``computed_*`` fields), posted view.

Follows Canvas's ``lib/grade_calculator.rb`` (instructure/canvas-lms): exact fractions, drop rules that optimise the
group ratio (phase A keeps the best set, phase B the worst), weighted groups
renormalised over groups with points, and one half-up rounding at the end.
Pure: reads assignment/submission dicts as the simulator stores them.

An independent copy on purpose: this is the *simulated Canvas's* grade, written apart from the
dashboard's calculator (`canvas.analysis.grades`) and sharing no code with it, so the tests that
compare the dashboard's recomputation with "Canvas's" numbers compare two implementations. Do not
replace it with a call into `canvas.analysis` (that would make those tests compare a thing with itself).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

# Canvas's GradingStandard.default_grading_scheme (lower cutoffs in percent).
DEFAULT_SCHEME: tuple[tuple[str, int], ...] = (
    ("A", 94), ("A-", 90), ("B+", 87), ("B", 84), ("B-", 80), ("C+", 77),
    ("C", 74), ("C-", 70), ("D+", 67), ("D", 64), ("D-", 61), ("F", 0),
)  # fmt: skip


@dataclass(frozen=True)
class Item:
    """One counted assignment in one variant (current or final)."""

    id: int
    score: Fraction
    total: Fraction


def frac(value: Any) -> Fraction:
    # via str so 0.1 stays 1/10 instead of its binary approximation
    return Fraction(str(value)) if value is not None else Fraction(0)


def round2(value: Fraction | None) -> float | None:
    """Half-up to 2 dp (Canvas's rounding), exact up to the final float."""
    if value is None:
        return None
    sign = -1 if value < 0 else 1
    scaled = abs(value) * 100 + Fraction(1, 2)
    return sign * (scaled.numerator // scaled.denominator) / 100


def letter_for(percent: float | None, scheme: Sequence[Sequence[Any]] | None = None) -> str | None:
    """Course letter: highest band whose cutoff is <= the stored 2-dp score.

    `scheme` is a course's grading standard as the API sends it (fractions, e.g. ``[["A", 0.94], ...]``;
    points-based standards are stored as fractions too); None = Canvas's default."""
    if percent is None:
        return None
    bands = ([(str(n), Fraction(str(v)) * 100) for n, v in scheme] if scheme
             else [(n, Fraction(c)) for n, c in DEFAULT_SCHEME])
    bands.sort(key=lambda b: b[1], reverse=True)
    for letter, cutoff in bands:
        if Fraction(str(max(percent, 0))) >= cutoff:
            return letter
    return bands[-1][0]


# --- drop rules ---------------------------------------------------------------


def _ratio(items: Iterable[Item]) -> Fraction | None:
    items = list(items)
    total = sum((i.total for i in items), Fraction(0))
    if total == 0:
        return None
    return sum((i.score for i in items), Fraction(0)) / total


def _pick(cands: Sequence[Item], keep: int, q: Fraction, best: bool) -> list[Item]:
    # ties: ascending id first, so the highest id is the one dropped (JS specs)
    if best:
        order = sorted(cands, key=lambda i: (-(i.score - q * i.total), i.id))
    else:
        order = sorted(cands, key=lambda i: (i.score - q * i.total, i.id))
    return order[:keep]


def _optimal_subset(
    cands: Sequence[Item], keep: int, never: Sequence[Item], best: bool
) -> list[Item]:
    """Dinkelbach iteration: exact optimum of (kept + never) ratio over subsets."""
    if len(cands) <= keep:
        return list(cands)
    chosen = _pick(cands, keep, Fraction(0), best)
    q = _ratio([*chosen, *never])
    for _ in range(200):  # converges in a handful of steps; bound for safety
        if q is None:
            break
        chosen = _pick(cands, keep, q, best)
        nq = _ratio([*chosen, *never])
        if nq == q:
            break
        q = nq
    return chosen


def apply_drops(
    items: Sequence[Item], drop_lowest: int, drop_highest: int, never_drop: Iterable[int]
) -> list[Item]:
    """Kept items (never-drop ones included) after Canvas's drop rules."""
    never_ids = set(never_drop)
    never = [i for i in items if i.id in never_ids]
    cands = [i for i in items if i.id not in never_ids]
    if not cands:
        return never
    dl = max(0, min(drop_lowest, len(cands) - 1))
    dh = max(0, drop_highest)
    if dl + dh >= len(cands):
        dh = 0
    keep_high = len(cands) - dl
    keep_low = keep_high - dh
    if not any(i.total > 0 for i in cands):
        # no pointed item: the ratio is undefined, Canvas sorts by raw score
        asc = sorted(cands, key=lambda i: (i.score, i.id))
        return asc[len(asc) - keep_high :][:keep_low] + never
    kept = _optimal_subset(cands, keep_high, never, best=True)
    kept = _optimal_subset(kept, keep_low, never, best=False)
    return kept + never


# --- items from the stored records ----------------------------------------------


def counts(assignment: Mapping[str, Any]) -> bool:
    """Whether an assignment takes part in grading at all (grade-calc §2)."""
    return bool(
        assignment.get("published", True)
        and assignment.get("grading_type") != "not_graded"
        and list(assignment.get("submission_types") or []) != ["not_graded"]
        and not assignment.get("omit_from_final_grade")
    )


def visible_score(sub: Mapping[str, Any] | None) -> Fraction | None:
    """The score a student can see; None for ungraded or unposted grades."""
    if not sub or sub.get("score") is None or sub.get("posted_at") is None:
        return None
    return frac(sub["score"])


def _items(
    assignments: Iterable[Mapping[str, Any]], subs: Mapping[int, Mapping[str, Any]]
) -> tuple[dict[int, list[Item]], dict[int, list[Item]]]:
    current: dict[int, list[Item]] = {}
    final: dict[int, list[Item]] = {}
    for a in assignments:
        sub = subs.get(a["id"])
        if not counts(a) or (sub and sub.get("excused")):
            continue
        gid = a["assignment_group_id"]
        total = frac(a.get("points_possible"))
        score = visible_score(sub)
        pending = bool(sub and sub.get("workflow_state") == "pending_review")
        if score is not None and not pending:
            current.setdefault(gid, []).append(Item(a["id"], score, total))
        final.setdefault(gid, []).append(Item(a["id"], score or Fraction(0), total))
    return current, final


def _variant(
    groups: Sequence[Mapping[str, Any]], items: Mapping[int, list[Item]], weighted: bool
) -> Fraction | None:
    sums: list[tuple[Fraction, Fraction, Fraction]] = []
    for g in groups:
        rules = g.get("rules") or {}
        kept = apply_drops(
            items.get(g["id"], []),
            int(rules.get("drop_lowest") or 0),
            int(rules.get("drop_highest") or 0),
            rules.get("never_drop") or (),
        )
        score = sum((i.score for i in kept), Fraction(0))
        total = sum((i.total for i in kept), Fraction(0))
        sums.append((score, total, frac(g.get("group_weight"))))
    if not weighted:
        possible = sum((t for _, t, _ in sums), Fraction(0))
        if possible == 0:
            return None
        return sum((s for s, _, _ in sums), Fraction(0)) / possible * 100
    # weighted: groups without points drop out together with their weight
    relevant = [(s, t, w) for s, t, w in sums if t > 0]
    weight = sum((w for _, _, w in relevant), Fraction(0))
    if weight == 0:
        return None
    total = sum((s / t * w for s, t, w in relevant), Fraction(0))
    return total * 100 / weight if weight < 100 else total


def course_scores(
    groups: Sequence[Mapping[str, Any]],
    assignments: Iterable[Mapping[str, Any]],
    subs: Mapping[int, Mapping[str, Any]],
    weighted: bool,
    scheme: Sequence[Sequence[Any]] | None = None,
) -> dict[str, Any]:
    """computed_current/final score (2 dp) and letter grades (the course's scheme) for one course."""
    current, final = _items(assignments, subs)
    cur = round2(_variant(groups, current, weighted))
    fin = round2(_variant(groups, final, weighted))
    return {
        "current_score": cur,
        "final_score": fin,
        "current_grade": letter_for(cur, scheme),
        "final_grade": letter_for(fin, scheme),
    }
