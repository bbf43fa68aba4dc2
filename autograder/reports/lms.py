"""Grade-import CSVs for Canvas and Moodle, from the gradebook's latest rows and the roster.

- **Canvas** (Grades > Import): the columns of Canvas's own gradebook export, ``Student``,
  ``ID`` (the Canvas user id: the roster's ``lms_id``), ``SIS User ID`` (the roster's ``id``),
  ``SIS Login ID`` (its e-mail), ``Section``, then one column per assignment titled as in the
  course file (add `` (<Canvas assignment id>)`` to the title there to update an existing
  assignment; a new title creates one), and a second row ``Points Possible``.
- **Moodle** (Grades > Import > CSV file): ``First name``, ``Last name``, ``ID number`` (the
  roster's ``id``), ``Email address`` (map "Email address" to "email" when importing), then per
  assignment its score and a ``<title> (feedback)`` column that says what the score is made of.

Scores are final scores (overrides and the course file's late policy applied). Learners not on
the roster cannot be imported and are returned to be listed; roster learners without a record
get an empty cell, which both systems leave unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autograder.assignments import ASSIGNMENTS
from autograder.learners import Roster
from autograder.reports.course import Course
from autograder.reports.gradebook import final_score, write_csv

CANVAS_HEAD = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_HEAD = ["First name", "Last name", "ID number", "Email address"]


def _table(rows: list[dict[str, Any]], roster: Roster, course: Course) -> tuple[dict, list[str]]:
    """{(learner id, assignment): (final, max, feedback)} for roster learners, and the learners
    of ``rows`` the roster does not have."""
    scores, unknown = {}, []
    for row in rows:
        learner = roster.find(row["learner"])
        if learner is None:
            unknown.append(row["learner"])
            continue
        lateness, final = final_score(row, course)
        words = f"{row['total']:g}/{row['max']:g} from the autograder"
        if row["overrides"]:
            words += f" with overrides ({row['overrides']})"
        if lateness.days_late:
            words += f"; {lateness.days_late} day(s) late: -{lateness.penalty_percent:g}%"
        scores[learner.id, row["assignment"]] = (final, row["max"], words)
    return scores, sorted(set(unknown))


def _assignments(rows: list[dict[str, Any]]) -> list[str]:
    return [a for a in ASSIGNMENTS if any(r["assignment"] == a for r in rows)]


def canvas_csv(rows: list[dict[str, Any]], roster: Roster, course: Course, path: Path) -> list[str]:
    """Write Canvas's grade-import CSV; returns the learners left out (not on the roster)."""
    scores, unknown = _table(rows, roster, course)
    names = _assignments(rows)
    titles = [course.titles.get(a, ASSIGNMENTS[a].title) for a in names]
    maxima = {a: max((r["max"] for r in rows if r["assignment"] == a), default=0) for a in names}
    lines = [
        [*CANVAS_HEAD, *titles],
        ["Points Possible", "", "", "", "", *(f"{maxima[a]:g}" for a in names)],
    ]
    for learner in roster.learners:
        cells = [learner.name or learner.id, learner.lms_id, learner.id, learner.email, ""]
        for a in names:
            got = scores.get((learner.id, a))
            cells.append(f"{got[0]:g}" if got else "")
        lines.append(cells)
    write_csv(path, lines)
    return unknown


def moodle_csv(rows: list[dict[str, Any]], roster: Roster, course: Course, path: Path) -> list[str]:
    """Write a Moodle grade-import CSV; returns the learners left out (not on the roster)."""
    scores, unknown = _table(rows, roster, course)
    names = _assignments(rows)
    header = list(MOODLE_HEAD)
    for a in names:
        title = course.titles.get(a, ASSIGNMENTS[a].title)
        header += [title, f"{title} (feedback)"]
    lines = [header]
    for learner in roster.learners:
        first, _, last = learner.name.partition(" ")
        cells = [first, last, learner.id, learner.email]
        for a in names:
            got = scores.get((learner.id, a))
            cells += [f"{got[0]:g}", got[2]] if got else ["", ""]
        lines.append(cells)
    write_csv(path, lines)
    return unknown
