"""A SQLite gradebook: one row per submission x test; re-grading adds a new version (latest
wins, history kept); CSV export with one row per learner (total and per-step points)."""

from __future__ import annotations

import csv
import io
import sqlite3
import time
from pathlib import Path
from typing import Any

from autograder.assignments import ALL_STEPS
from autograder.reports.course import Course, Lateness
from autograder.results import SubmissionResult, write_text_atomic
from course_utils.errors import CourseError


class GradebookError(CourseError, ValueError):
    """A gradebook database this version cannot use."""


def final_score(row: dict[str, Any], course: Course) -> tuple[Lateness, float]:
    """A gradebook row's lateness under ``course`` and its score after the penalty."""
    lateness = course.lateness(row["learner"], row["assignment"], row["submitted_at"])
    final = round(row["total"] * (1 - lateness.penalty_percent / 100), 4)
    return lateness, final


def write_csv(path: str | Path, lines: list[list[str]]) -> Path:
    """Write rows as CSV atomically (a reader sees the old file or the whole new one)."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(lines)
    return write_text_atomic(path, text.getvalue())


SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY,
    learner TEXT NOT NULL,
    assignment TEXT NOT NULL,
    submission TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    suite_version TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    error TEXT NOT NULL,
    imported_at REAL NOT NULL,
    latest INTEGER NOT NULL,
    adjusted TEXT NOT NULL DEFAULT '',
    submitted_at TEXT NOT NULL DEFAULT '',
    UNIQUE (learner, assignment, content_sha256, suite_version, adjusted)
);
CREATE TABLE IF NOT EXISTS tests (
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    name TEXT NOT NULL,
    step TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    status TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (submission_id, name)
);
"""


class Gradebook:
    """``with Gradebook(path) as gb: gb.record(learner, result)``; one transaction per record."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path)
        self.db.executescript(SCHEMA)
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(submissions)")}
        if "adjusted" not in columns:
            self.db.close()
            raise GradebookError(
                f"{self.path} was made by an older dlcourse (no overrides or submission times): "
                "write a new one with --db; the result records are the source of truth"
            )

    def record(self, learner: str, result: SubmissionResult) -> str:
        """Add a graded submission; returns ``added``, ``regraded`` (older rows kept, no longer
        latest) or ``unchanged`` (this content and hidden-test version are already in)."""
        adjusted = "; ".join(n for n in result.notes if n.startswith("override:"))
        key = (learner, result.assignment, result.content_sha256, result.suite_version, adjusted)
        with self.db:
            row = self.db.execute(
                "SELECT id, latest FROM submissions WHERE learner=? AND assignment=? "
                "AND content_sha256=? AND suite_version=? AND adjusted=?",
                key,
            ).fetchone()
            if row is not None and row[1]:
                return "unchanged"
            older = self.db.execute(
                "UPDATE submissions SET latest=0 WHERE learner=? AND assignment=? AND latest=1",
                key[:2],
            ).rowcount
            if row is not None:  # an earlier version came back: it is the latest again
                self.db.execute("UPDATE submissions SET latest=1 WHERE id=?", (row[0],))
                return "regraded"
            cursor = self.db.execute(
                "INSERT INTO submissions (learner, assignment, submission, content_sha256, "
                "suite_version, adjusted, score, max_score, error, imported_at, latest, "
                "submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
                (*key[:2], result.submission, *key[2:], result.score, result.max_score,
                 result.error, time.time(), result.submitted_at),
            )  # fmt: skip
            self.db.executemany(
                "INSERT INTO tests VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (cursor.lastrowid, t.name, t.step, t.score, t.max_score, t.status, t.message)
                    for t in result.tests
                ],
            )
        return "regraded" if older else "added"

    def record_all(self, results: dict[str, SubmissionResult]) -> dict[str, int]:
        """Record each learner's result; returns how many were added, regraded, unchanged."""
        counts: dict[str, int] = {}
        for key, result in sorted(results.items()):
            outcome = self.record(result.learner or key, result)  # older records: the file name
            counts[outcome] = counts.get(outcome, 0) + 1
        return counts

    def latest(self, assignment: str | None = None) -> list[dict]:
        """Latest submission per learner (and assignment), with points per step."""
        query = (
            "SELECT s.id, s.learner, s.assignment, s.suite_version, s.submitted_at, s.adjusted, "
            "s.score, s.max_score, t.step, "
            "SUM(t.score), SUM(t.max_score) FROM submissions s JOIN tests t "
            "ON t.submission_id = s.id WHERE s.latest=1"
            + (" AND s.assignment=?" if assignment else "")
            + " GROUP BY s.id, t.step ORDER BY s.assignment, s.learner"
        )
        rows: dict[int, dict] = {}
        for row in self.db.execute(query, (assignment,) if assignment else ()):
            sid, learner, name, version, submitted, adjusted, score, max_score = row[:8]
            step, got, out_of = row[8:]
            entry = rows.setdefault(
                sid,
                {"learner": learner, "assignment": name, "total": score, "max": max_score,
                 "suite_version": version, "submitted_at": submitted, "overrides": adjusted,
                 "steps": {}},
            )  # fmt: skip
            entry["steps"][step] = (got, out_of)
        return list(rows.values())

    def mixed_versions(self) -> dict[str, dict[str, list[str]]]:
        """Assignments whose latest records were graded by more than one version of the hidden
        tests: ``{assignment: {suite_version: [learners]}}`` (empty when none is mixed)."""
        found: dict[str, dict[str, list[str]]] = {}
        for learner, assignment, version in self.db.execute(
            "SELECT learner, assignment, suite_version FROM submissions WHERE latest=1 "
            "ORDER BY assignment, suite_version, learner"
        ):
            found.setdefault(assignment, {}).setdefault(version, []).append(learner)
        return {a: versions for a, versions in found.items() if len(versions) > 1}

    def history(self, learner: str, assignment: str) -> list[tuple[float, float, int]]:
        """(score, imported_at, latest) of every version of a learner's submission, oldest first."""
        return self.db.execute(
            "SELECT score, imported_at, latest FROM submissions WHERE learner=? AND assignment=? "
            "ORDER BY id",
            (learner, assignment),
        ).fetchall()

    def export_csv(self, path: str | Path, course: Course | None = None) -> Path:
        """One row per learner and assignment: the total (overrides applied), max, the points
        of each step, the overrides, the version of the hidden tests that graded it; with a
        ``course``, when it was handed in, its due date, days late, the penalty and the final
        score."""
        rows = self.latest()
        steps = [s for s in ALL_STEPS if any(s in r["steps"] for r in rows)]
        late = ["submitted_at", "due", "days_late", "penalty_percent", "final"] if course else []
        header = ["learner", "assignment", "total", "max", *steps, *late, "overrides"]
        lines = [[*header, "suite_version"]]
        for r in rows:
            cells = [r["learner"], r["assignment"], f"{r['total']:g}", f"{r['max']:g}"]
            cells += [f"{r['steps'][s][0]:g}" if s in r["steps"] else "" for s in steps]
            if course is not None:
                lateness, final = final_score(r, course)
                due = lateness.due.isoformat() if lateness.due else ""
                cells += [r["submitted_at"], due, str(lateness.days_late)]
                cells += [f"{lateness.penalty_percent:g}", f"{final:g}"]
            lines.append([*cells, r["overrides"], r["suite_version"]])
        return write_csv(path, lines)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
