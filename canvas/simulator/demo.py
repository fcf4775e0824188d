"""Student 1, the rich demo student: every shape of Canvas data the dashboard meets.

Six active courses: weighted and unweighted, drop rules, a 260-assignment course
with 15 groups (group paging + big embedded lists), hide_final_grades, grading
periods, every submission state, hostile HTML in names, BIGINT ids, undated work;
each course's own grading scheme (percent with +/- letters, one points-based), a
letter-only course (restrict_quantitative_data), class score statistics where the
course shows them. Three concluded courses in two past terms (final grades; the
student sets credit hours, Canvas has none).
"""

from __future__ import annotations

import random
from datetime import datetime

from canvas.simulator.builder import Spec, Term, UserBuilder
from canvas.simulator.store import UserData

# Course ids (10_000 * n + k): 10001 Calculus (own +/- percent scheme), 10002 Biology (no letter
# grades), 10003 History (letter-only), 10004 Data Structures (points-based scheme), 10005 French
# (hidden totals), BIG_COURSE_ID Ethics; concluded: 10007, 10008 (last term), 10009 (the one before).
PLUS_MINUS_SCHEME = [("A", 0.93), ("A-", 0.9), ("B+", 0.87), ("B", 0.83), ("B-", 0.8), ("C+", 0.77),
                     ("C", 0.73), ("C-", 0.7), ("D+", 0.67), ("D", 0.63), ("D-", 0.6), ("F", 0.0)]
# A points-based standard (0-4 points, scaling_factor 4): Canvas stores and sends it as fractions.
POINTS_SCHEME = [("A", 0.9), ("B", 0.75), ("C", 0.5), ("D", 0.25), ("F", 0.0)]
LAST_TERM = Term(998, "Fall Term (simulated)", -250, -110)  # ended by date: soft-concluded
EARLIER_TERM = Term(997, "Spring Term, last year (simulated)", -420, -280, completed=True)
CONCLUDED_COURSE_IDS = (10_007, 10_008, 10_009)
BIG_COURSE_ID = 90_000_000_001  # > 2**31: exercises BIGINT columns
BIG_ASSIGNMENT_ID = 90_000_000_002
HOSTILE_NAME = '<b>Lab</b> & "Quiz" <script>alert(1)</script>'
HOSTILE_DESCRIPTION = (
    '<p>Read <a href="javascript:alert(1)">this</a> first.</p>'
    '<img src=x onerror="alert(1)"><script>alert("desc")</script>'
)


def profile(user_id: int) -> dict:
    return {
        "id": user_id,
        "name": "Zoë Ångström",
        "short_name": "Zoë",
        "sortable_name": "Ångström, Zoë",
        "title": None,
        "bio": None,
        "primary_email": "zoe.angstrom@example.edu",
        "login_id": "zangstrom",
        "integration_id": None,
        "avatar_url": "https://canvas.example.edu/images/messages/avatar-50.png",
        "locale": "en",
        "effective_locale": "en",
        "lti_user_id": "sim-lti-user-1",
        "time_zone": "America/Denver",
    }


def build(seed: int, anchor: datetime) -> UserData:
    rng = random.Random(f"canvas-sim/{seed}/1")
    b = UserBuilder(1, rng, anchor, profile(100_001))
    _calculus(b)
    _biology(b)
    _history(b)
    _data_structures(b)
    _french(b)
    _ethics(b)
    # Past terms come last so every value generated above stays as it was.
    _linear_algebra(b)
    _writing(b)
    _psychology(b)
    return b.data


def _calculus(b: UserBuilder) -> None:
    """Weighted (25/20/45/10) with drop_lowest, drop_highest and never_drop."""
    c = b.course(1, "Calculus II — Section 3", "MATH 221-03", weighted=True, scheme=PLUS_MINUS_SCHEME)
    hw = b.group(c, "Homework", 25, drop_lowest=2)
    quiz = b.group(c, "Quizzes", 20, drop_lowest=1, drop_highest=1)
    exams = b.group(c, "Exams", 45, drop_lowest=1)
    part = b.group(c, "Participation", 10)
    for i in range(1, 11):
        due = -63 + 7 * i
        status = "graded" if due < -2 else "unsubmitted"
        status = {3: "late", 6: "missing", 8: "submitted"}.get(i, status)
        b.assignment(c, hw, Spec(f"Homework {i}: §{i + 4}.{i % 3 + 1} Integrals", 10, due, status))
    for i in range(1, 7):
        due = -52 + 10 * i
        status = "graded" if due < -2 else "unsubmitted"
        b.assignment(c, quiz, Spec(f"Quiz {i}", 20, due, status, types=("online_quiz",)))
    b.assignment(c, exams, Spec("Midterm Exam", 100, -28, pct=0.81, never_drop=True, rubric=True))
    b.assignment(c, exams, Spec("Exam 2 (take-home)", 100, -4, "pending", types=("online_quiz",)))
    b.assignment(c, exams, Spec("Final Exam", 150, 44, "unsubmitted", types=("on_paper",)))
    b.assignment(c, part, Spec("Participation", 10, None, grading_type="letter_grade", pct=0.9))


def _biology(b: UserBuilder) -> None:
    """Unweighted points, no grading scheme (letter grades null), hostile names."""
    c = b.course(2, "Introduction to Biology", "BIO 101", standard=False, statistics=False)
    labs = b.group(c, "Labs")
    quizzes = b.group(c, "Quizzes", drop_lowest=1)
    exams = b.group(c, "Exams")
    b.assignment(c, labs, Spec(HOSTILE_NAME, 5, -40, grading_type="pass_fail", pct=1.0,
                               description=HOSTILE_DESCRIPTION))
    b.assignment(c, labs, Spec("Lab 2: Osmosis & Diffusion", 5, -33, grading_type="pass_fail"))
    b.assignment(c, labs, Spec("Lab 3: Enzymes", 5, -26, "excused", grading_type="pass_fail"))
    b.assignment(c, labs, Spec("Lab 4: Photosynthesis", 5, -12, "submitted"))
    b.assignment(c, labs, Spec("Lab 5: Mitosis", 5, 2, "early", grading_type="pass_fail"))
    b.assignment(c, labs, Spec("Lab 6: Genetics", 5, 9, "unsubmitted", grading_type="pass_fail"))
    b.assignment(c, labs, Spec("Lab safety reading", 0, -60, "unsubmitted", types=("not_graded",),
                               grading_type="not_graded"))
    for i, due in enumerate((-45, -31, -17, -3, 6), start=1):
        status = "graded" if due < 0 else "unsubmitted"
        b.assignment(c, quizzes, Spec(f"Quiz {i}", 10, due, status, types=("online_quiz",)))
    b.assignment(c, quizzes, Spec("Practice quiz (ungraded)", 10, -20, omit=True,
                                  types=("online_quiz",)))
    b.assignment(c, exams, Spec("Midterm", 100, -21, pct=0.88))
    b.assignment(c, exams, Spec("Final", 100, 48, "unsubmitted", types=("on_paper",)))
    b.assignment(c, exams, Spec("Extra-credit reflection", 5, None, "unsubmitted"))


def _history(b: UserBuilder) -> None:
    """Grading periods (unweighted set), a hidden (unposted) grade; letter-only for the student."""
    periods = [("Quarter 1", -75.0, -14.0), ("Quarter 2", -14.0, 60.0)]
    c = b.course(3, "World History: Ancient Civilizations", "HIST 110", periods=periods, letters_only=True)
    essays = b.group(c, "Essays")
    reading = b.group(c, "Reading Responses", drop_lowest=1)
    tests = b.group(c, "Tests")
    b.assignment(c, essays, Spec("Essay: Ramses II & the Hittites — Qadesh (1274 BCE)", 50, -50))
    b.assignment(c, essays, Spec("Essay: Ἰλιάς and the Bronze Age collapse", 50, -8, "hidden",
                                 pct=0.74))
    b.assignment(c, essays, Spec("Essay: Rome’s Republic → Empire", 50, 12, "unsubmitted"))
    for i, due in enumerate(range(-70, 30, 9), start=1):
        status = "graded" if due < -2 else "unsubmitted"
        status = "late" if i == 5 else status
        b.assignment(c, reading, Spec(f"Réponse {i}: Herodotus, book {i}", 10, due, status,
                                      types=("online_text_entry",)))
    b.assignment(c, tests, Spec("Unit test 1", 80, -30, grading_type="percent"))
    b.assignment(c, tests, Spec("Unit test 2", 80, 5, "unsubmitted", grading_type="percent"))


def _data_structures(b: UserBuilder) -> None:
    """260 assignments in 15 groups: paging of groups and huge embedded lists."""
    c = b.course(4, "Data Structures & Algorithms", "CS 2110", scheme=POINTS_SCHEME, scaling_factor=4.0)
    for m in range(1, 13):
        g = b.group(c, f"Module {m}: exercises", drop_lowest=2 if m % 3 == 0 else 0)
        for k in range(1, 21):
            due = -60 + 7 * (m - 1) + k * 0.3
            status = b.past_status() if due < -2 else "unsubmitted"
            if -2 <= due < 0:
                status = "submitted"
            b.assignment(c, g, Spec(f"Exercise {m}.{k}", 2, due, status, types=("online_text_entry",)))
    labs = b.group(c, "Labs")
    for i in range(1, 13):
        due = -55 + 8 * i
        status = "graded" if due < -2 else "unsubmitted"
        b.assignment(c, labs, Spec(f"Lab {i}", 20, due, status, rubric=i % 2 == 0))
    projects = b.group(c, "Projects")
    for i, due in enumerate((-40, -10, 13, 40), start=1):
        status = "graded" if due < 0 else "unsubmitted"
        b.assignment(c, projects, Spec(f"Project {i}", 100, due, status, rubric=True))
    exams = b.group(c, "Exams")
    for i, due in enumerate((-35, -1, 20, 55), start=1):
        status = "graded" if due < -2 else ("pending" if due < 0 else "unsubmitted")
        b.assignment(c, exams, Spec(f"Exam {i}", 100, due, status, types=("online_quiz",)))


def _french(b: UserBuilder) -> None:
    """hide_final_grades: the enrollment carries no computed_* fields at all."""
    c = b.course(5, "Français intermédiaire II", "FREN 202", hide_final_grades=True,
                 time_zone="Europe/Paris")
    dictee = b.group(c, "Dictées", drop_lowest=1)
    comp = b.group(c, "Compositions")
    for i, due in enumerate((-42, -28, -14, 4, 11), start=1):
        status = "graded" if due < 0 else "unsubmitted"
        b.assignment(c, dictee, Spec(f"Dictée n° {i} — « Les Misérables »", 20, due, status,
                                     grading_type="letter_grade"))
    b.assignment(c, comp, Spec("Composition : « Mon été à Montréal »", 50, -20,
                               grading_type="letter_grade"))
    b.assignment(c, comp, Spec("Composition : l’écologie", 50, 25, "unsubmitted"))


def _ethics(b: UserBuilder) -> None:
    """Big ids, weighted with a group that has nothing graded yet (renormalised)."""
    c = b.course(6, "Ethics & Society: Ökonomie <em>und</em> Moral", "PHIL 240",
                 weighted=True, cid=BIG_COURSE_ID)
    papers = b.group(c, "Papers", 40)
    forum = b.group(c, "Discussion", 35, drop_lowest=1)
    final = b.group(c, "Final project", 25)
    b.assignment(c, papers, Spec("Paper 1: Kant’s categorical imperative", 100, -35,
                                 aid=BIG_ASSIGNMENT_ID, pct=0.86))
    b.assignment(c, papers, Spec("Paper 2: Utilitarianism", 100, -6, "late", pct=0.9))
    b.assignment(c, papers, Spec("Paper 3: Virtue ethics", 100, 13, "unsubmitted"))
    for i, due in enumerate((-30, -23, -16, -9, -2, 1, 5, 8), start=1):
        status = "graded" if due < -2 else "unsubmitted"
        status = {2: "excused", 3: "missing"}.get(i, status)
        b.assignment(c, forum, Spec(f"Forum post {i}", 5, due, status, grading_type="pass_fail",
                                    types=("discussion_topic",)))
    b.assignment(c, forum, Spec("Reflection journal", 5, None, "submitted",
                                types=("online_text_entry",)))
    b.assignment(c, final, Spec("Final project proposal", 20, 3, "unsubmitted"))
    b.assignment(c, final, Spec("Final project", 80, 50, "unsubmitted"))


def _linear_algebra(b: UserBuilder) -> None:
    """Concluded last term (by the term's end date), weighted, the +/- scheme."""
    c = b.course(7, "Linear Algebra I", "MATH 220", weighted=True, scheme=PLUS_MINUS_SCHEME, term=LAST_TERM)
    hw = b.group(c, "Homework", 40, drop_lowest=1)
    exams = b.group(c, "Exams", 60)
    for i in range(1, 7):
        b.assignment(c, hw, Spec(f"Problem set {i}", 10, -240 + 18 * i, "late" if i == 4 else "graded"))
    b.assignment(c, exams, Spec("Midterm", 100, -180, pct=0.84))
    b.assignment(c, exams, Spec("Final exam", 100, -118, pct=0.9))


def _writing(b: UserBuilder) -> None:
    """Concluded last term, unweighted, Canvas's default scheme."""
    c = b.course(8, "Academic Writing", "ENGL 105", term=LAST_TERM)
    essays = b.group(c, "Essays")
    for i, pct in enumerate((0.78, 0.85, 0.88, 0.91), start=1):
        b.assignment(c, essays, Spec(f"Essay {i}", 50, -235 + 30 * i, pct=pct, types=("online_text_entry",)))
    b.assignment(c, essays, Spec("Peer review", 10, -150, "excused"))


def _psychology(b: UserBuilder) -> None:
    """Concluded by the teacher (workflow_state "completed") the term before last."""
    c = b.course(9, "Introduction to Psychology", "PSYC 100", term=EARLIER_TERM)
    quizzes = b.group(c, "Quizzes", drop_lowest=1)
    exams = b.group(c, "Exams")
    for i in range(1, 6):
        b.assignment(c, quizzes, Spec(f"Quiz {i}", 20, -410 + 20 * i, types=("online_quiz",)))
    b.assignment(c, exams, Spec("Final exam", 100, -290, pct=0.76))
