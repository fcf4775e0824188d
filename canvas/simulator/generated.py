"""Students n >= 2: smaller, randomly generated (but seed-deterministic) data.

Each gets ``courses_per_user`` courses of 12-20 assignments in 2-4 groups, with a
mix of weighted/unweighted courses, drop rules and submission states.
"""

from __future__ import annotations

import random
from datetime import datetime

from canvas.simulator.builder import Spec, UserBuilder, canvas_user_id
from canvas.simulator.store import UserData

FIRST = ("Ana", "Ben", "Chloé", "Dmitri", "Emeka", "Fatima", "Grace", "Hiro",
         "Inès", "Jonas", "Kai", "Léa", "Mateo", "Nia", "Omar", "Priya")  # fmt: skip
LAST = ("Andersen", "Brown", "Castillo", "Dubois", "Eriksen", "Fujita", "García",
        "Heinz", "Ivanova", "Jones", "Kowalski", "Łukasz", "Müller", "Nguyen")  # fmt: skip
ZONES = ("America/New_York", "America/Chicago", "America/Denver",
         "America/Los_Angeles", "Europe/London", "Asia/Tokyo")  # fmt: skip
SUBJECTS = (
    ("Chemistry", "CHEM"), ("Physics", "PHYS"), ("Statistics", "STAT"),
    ("Economics", "ECON"), ("Psychology", "PSYC"), ("Literature", "ENGL"),
    ("Sociology", "SOCI"), ("Linear Algebra", "MATH"), ("Art History", "ARTH"),
    ("Philosophy", "PHIL"), ("Databases", "CS"), ("Spanish", "SPAN"),
)  # fmt: skip
GROUP_NAMES = ("Homework", "Quizzes", "Projects", "Exams", "Labs", "Participation")


def profile(n: int, rng: random.Random) -> dict:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    login = f"{first[0]}{last}{n}".lower()
    return {
        "id": canvas_user_id(n),
        "name": f"{first} {last}",
        "short_name": first,
        "sortable_name": f"{last}, {first}",
        "title": None,
        "bio": None,
        "primary_email": f"student{n}@example.edu",
        "login_id": login,
        "integration_id": None,
        "avatar_url": "https://canvas.example.edu/images/messages/avatar-50.png",
        "locale": None,
        "effective_locale": "en",
        "lti_user_id": f"sim-lti-user-{n}",
        "time_zone": rng.choice(ZONES),
    }


def _weights(rng: random.Random, count: int) -> list[int]:
    """Random group weights in steps of 5 that sum to exactly 100."""
    cuts = sorted(rng.sample(range(1, 20), count - 1))
    bounds = [0, *cuts, 20]
    return [5 * (bounds[i + 1] - bounds[i]) for i in range(count)]


def build(n: int, seed: int, anchor: datetime, courses_per_user: int) -> UserData:
    rng = random.Random(f"canvas-sim/{seed}/{n}")
    b = UserBuilder(n, rng, anchor, profile(n, rng))
    subjects = rng.sample(SUBJECTS, min(courses_per_user, len(SUBJECTS)))
    for k in range(1, courses_per_user + 1):
        title, code = subjects[(k - 1) % len(subjects)]
        level = 100 * rng.randint(1, 4) + rng.randint(0, 99)
        weighted = rng.random() < 0.5
        cid = b.course(
            k,
            f"{title} {level}" if k <= len(subjects) else f"{title} {level} ({k})",
            f"{code} {level}",
            weighted=weighted,
            hide_final_grades=rng.random() < 0.05,
            standard=rng.random() < 0.7,
            time_zone=b.data.profile["time_zone"],
        )
        group_count = rng.randint(2, 4)
        names = rng.sample(GROUP_NAMES, group_count)
        weights = _weights(rng, group_count) if weighted else [0] * group_count
        groups = [
            b.group(cid, name, w, drop_lowest=1 if rng.random() < 0.3 else 0)
            for name, w in zip(names, weights, strict=True)
        ]
        for i in range(1, rng.randint(12, 20) + 1):
            gid = groups[(i - 1) % group_count]
            due = None if rng.random() < 0.06 else round(rng.uniform(-70, 45), 2)
            if due is None:
                status = rng.choice(("graded", "unsubmitted"))
            elif due < -3:
                status = b.past_status()
            elif due < 0:
                status = rng.choice(("submitted", "unsubmitted"))
            else:
                status = "early" if rng.random() < 0.1 else "unsubmitted"
            gtype = rng.choices(("points", "percent", "letter_grade", "pass_fail"),
                                (80, 8, 6, 6))[0]  # fmt: skip
            points = rng.choice((5, 10, 10, 20, 25, 50, 100))
            b.assignment(cid, gid, Spec(f"{title} task {i}", points, due, status, gtype))
    return b.data
