"""Canvas's drop rules: which scores in one assignment group are dropped.

Canvas does not drop the lowest raw score. It keeps the subset whose group ratio
(kept scores + never-drop scores) / (kept totals + never-drop totals) is best,
following Kane & Kane, "Dropping Lowest Grades" (as Canvas's calculators do).

This is a port of Canvas's bisection (``keepHelper`` in
``AssignmentGroupGradeCalculator.ts``) run in exact ``Fraction`` arithmetic. We
bisect like Canvas instead of using another exact optimiser because, when several
subsets tie on the best ratio, Canvas's answer depends on which side of the optimum
the last bisection step lands, and the chosen subset changes the group's points.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple

# Float bisection stops after ~1075 halvings; exact bisection needs no more.
_MAX_STEPS = 1100


@dataclass(frozen=True)
class DropRules:
    """An assignment group's ``rules``: counts to drop and ids that never drop."""

    drop_lowest: int = 0
    drop_highest: int = 0
    never_drop: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Item:
    """One candidate score in a group: ``score`` out of ``total`` points."""

    id: str
    score: Fraction
    total: Fraction


def id_key(assignment_id: str) -> tuple[int, int, str]:
    """Sort key for assignment ids: numeric like Canvas's JS (``a - b``)."""
    if assignment_id.isdigit():
        return (0, int(assignment_id), "")
    return (1, 0, assignment_id)


def apply_drop_rules(items: Sequence[Item], rules: DropRules) -> tuple[list[Item], list[Item]]:
    """Split ``items`` into (kept, dropped) the way Canvas does for one variant."""
    if not (rules.drop_lowest or rules.drop_highest):
        return list(items), []
    scaled = _scale(items)
    never = [c for c in scaled if c.item.id in rules.never_drop]
    candidates = sorted((c for c in scaled if c.item.id not in rules.never_drop), key=lambda c: c.key)
    if not candidates:
        return [c.item for c in never], []

    # Clamp against this variant's list, so at least one droppable item survives.
    drop_lowest = min(rules.drop_lowest, len(candidates) - 1)
    drop_highest = rules.drop_highest
    if drop_lowest + drop_highest >= len(candidates):
        drop_highest = 0
    keep_high = len(candidates) - drop_lowest
    keep_low = keep_high - drop_highest

    # JS checks only the droppable items for points (Ruby also looks at never-drop).
    if any(c.t > 0 for c in candidates):
        max_total = max(c.item.total for c in candidates)
        kept = _keep(candidates, never, keep_high, max_total, highest=True)
        kept = _keep(kept, never, keep_low, max_total, highest=False)
    else:
        kept = _drop_unpointed(candidates, keep_high, keep_low)

    kept_ids = {c.item.id for c in kept}
    dropped = [c.item for c in candidates if c.item.id not in kept_ids]
    return [i for i in items if i.id in kept_ids or i.id in rules.never_drop], dropped


class _Cand(NamedTuple):
    """An item with score and total scaled to integers by a shared factor."""

    item: Item
    s: int
    t: int
    key: tuple[int, int, str]


def _scale(items: Sequence[Item]) -> list[_Cand]:
    # One common denominator turns every s - q·t comparison into integer math,
    # which keeps the exact bisection fast; ratios and signs are unchanged.
    factor = 1
    for i in items:
        factor = math.lcm(factor, i.score.denominator, i.total.denominator)
    return [_Cand(i, int(i.score * factor), int(i.total * factor), id_key(i.id)) for i in items]


def _drop_unpointed(candidates: list[_Cand], keep_high: int, keep_low: int) -> list[_Cand]:
    # No ratio exists without points: sort by score (ties by ascending id), keep
    # the keep_high highest and of those the keep_low lowest.
    ordered = sorted(candidates, key=lambda c: (c.s, c.key))
    return ordered[-keep_high:][:keep_low]


def _keep(
    candidates: list[_Cand],
    never: list[_Cand],
    keep: int,
    max_total: Fraction,
    *,
    highest: bool,
) -> list[_Cand]:
    """Canvas's keepHelper: the ``keep`` items giving the best (or worst) ratio."""
    keep = max(1, keep)
    if len(candidates) <= keep:
        return list(candidates)
    everything = [*candidates, *never]
    pointed = [c for c in everything if c.t != 0]
    unpointed = [c for c in everything if c.t == 0]
    if not pointed:
        # Ruby's guard for a drop-highest phase left with only zero-point items
        # (JS would compute NaN here): keep the highest scores.
        return sorted(candidates, key=lambda c: (c.s, c.key))[-keep:]

    ratios = sorted(Fraction(c.s, c.t) for c in pointed)
    q_low = ratios[0]
    q_high = _estimate_q_high(pointed, unpointed, ratios)
    q_mid = (q_low + q_high) / 2
    threshold = Fraction(1) / (2 * keep * max_total**2)
    value, kept = _big_f(q_mid, candidates, never, keep, highest)
    for _ in range(_MAX_STEPS):
        if q_high - q_low < threshold:
            break
        if value < 0:
            q_high = q_mid
        else:
            q_low = q_mid
        q_mid = (q_low + q_high) / 2
        value, kept = _big_f(q_mid, candidates, never, keep, highest)
    return kept


def _estimate_q_high(pointed: list[_Cand], unpointed: list[_Cand], ratios: list[Fraction]) -> Fraction:
    # Zero-point items push the ratio above any single item's, so bound it by
    # full marks (or the extra credit already earned) plus every unpointed score.
    if unpointed:
        possible = sum(c.t for c in pointed)
        best = max(possible, sum(c.s for c in pointed))
        return Fraction(best + sum(c.s for c in unpointed), possible)
    return ratios[-1]


def _big_f(
    q: Fraction, candidates: list[_Cand], never: list[_Cand], keep: int, highest: bool
) -> tuple[int, list[_Cand]]:
    """F(q) times q's (positive) denominator: the best ``keep`` values of
    ``s - q·t`` plus the never-drop terms. Only its sign and the kept set matter."""
    num, den = q.numerator, q.denominator
    rated = [(c.s * den - num * c.t, c) for c in candidates]
    # Equal values keep the lower assignment id, as in Canvas's JS sort.
    if highest:
        rated.sort(key=lambda pair: (-pair[0], pair[1].key))
    else:
        rated.sort(key=lambda pair: (pair[0], pair[1].key))
    kept = rated[:keep]
    total = sum(v for v, _ in kept) + sum(c.s * den - num * c.t for c in never)
    return total, [c for _, c in kept]
