"""One course term with real files: a roster, per-learner folders with hand-in times, a course
file with due dates, a late policy and an extension, an override that survives a regrade, and
the Canvas and Moodle grade imports, checked against those systems' documented columns."""

from __future__ import annotations

import csv
import json
import os
from datetime import UTC, datetime

import pytest

from autograder.cli import EXIT_OK, EXIT_USAGE, main
from autograder.reports.course import Course, CourseFileError
from autograder.reports.lms import CANVAS_HEAD, MOODLE_HEAD
from tests.conftest import ROOT

pytestmark = pytest.mark.torch

DUE = datetime(2026, 10, 2, 21, 59, tzinfo=UTC)  # 23:59 at +02:00
COURSE = """
[late]
percent_per_day = 10
zero_after_days = 3
grace_minutes = 15

[assignments.pytorch]
due = 2026-10-02T23:59:00+02:00
title = "A1 PyTorch (1234)"

[extensions.carol]
pytorch = 2
"""
ROSTER = (
    "id,name,email,lms_id\n"
    "alice,Alice Doe,alice@uni.edu,101\n"
    "bob,Bob Ray,bob@uni.edu,102\n"
    "carol,Carol Kim,carol@uni.edu,103\n"
    "dave,Dave Poe,dave@uni.edu,104\n"
)


def _hand_in(root, learner: str, text: str, days_after_due: float) -> None:
    folder = root / learner
    folder.mkdir(parents=True)
    path = folder / "01_pytorch_pipeline.ipynb"
    path.write_text(text)
    when = DUE.timestamp() + days_after_due * 86_400
    os.utime(path, (when, when))


def test_the_late_policy_grace_zero_and_extensions():
    course = Course.from_dict(
        {
            "late": {"percent_per_day": 10, "zero_after_days": 3, "grace_minutes": 15},
            "assignments": {"pytorch": {"due": "2026-10-02T23:59:00+02:00"}},
            "extensions": {"carol": {"pytorch": 2}, "dan": {"pytorch": "2026-10-09T12:00:00Z"}},
        }
    )

    def at(days: float) -> str:
        return datetime.fromtimestamp(DUE.timestamp() + days * 86_400, UTC).isoformat()

    assert course.lateness("alice", "pytorch", at(-1)).penalty_percent == 0
    assert course.lateness("alice", "pytorch", at(10 / 1440)).days_late == 0  # in the grace
    assert course.lateness("alice", "pytorch", at(0.5)).days_late == 1
    late = course.lateness("bob", "pytorch", at(1.5))
    assert (late.days_late, late.penalty_percent) == (2, 20)
    assert course.lateness("bob", "pytorch", at(3.5)).penalty_percent == 100  # past 3 days
    assert course.lateness("carol", "pytorch", at(1.5)).days_late == 0  # two days more
    assert course.lateness("dan", "pytorch", at(6)).days_late == 0
    assert course.lateness("alice", "tf2", at(30)).days_late == 0  # no due date: never late
    assert course.lateness("alice", "pytorch", "").days_late == 0  # no hand-in time known


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"assignments": {"pytroch": {"due": "2026-10-02T23:59:00Z"}}}, "no such assignment"),
        ({"assignments": {"pytorch": {"due": "2026-10-02T23:59:00"}}}, "has no time zone"),
        ({"assignments": {"pytorch": {"due": "soon"}}}, "expected a date-time"),
        ({"late": {"percent_per_day": -5}}, "expected a number >= 0"),
    ],
)
def test_a_course_file_mistake_is_named(data, words):
    with pytest.raises(CourseFileError, match=words):
        Course.from_dict(data)


def test_a_term_from_roster_to_lms_export(tmp_path, capsys):
    ref = (ROOT / "examples" / "pytorch" / "reference.ipynb").read_text()
    weaker = ref.replace("lr=lr", "lr=0.5")
    term = tmp_path / "class"
    _hand_in(term, "alice", ref, -1)  # on time
    _hand_in(term, "bob", weaker, 1.5)  # two days late: -20 %
    _hand_in(term, "carol", ref, 1.5)  # late, but has two more days
    (tmp_path / "roster.csv").write_text(ROSTER)
    (tmp_path / "course.toml").write_text(COURSE)
    results = tmp_path / "results"
    grade = ["grade", str(term), "--assignment", "pytorch", "--out", str(results)]
    grade += ["--roster", str(tmp_path / "roster.csv")]
    assert main(grade) == EXIT_OK
    assert "no submission from (1): dave" in capsys.readouterr().err
    alice = json.loads((results / "alice.json").read_text())
    assert (
        alice["submitted_at"] == datetime.fromtimestamp(DUE.timestamp() - 86_400, UTC).isoformat()
    )

    # an override, refused when it names nothing real, kept across a regrade
    override = ["override", str(results), "alice", "--assignment", "pytorch"]
    assert main([*override, "--test", "fit_histroy", "--points", "0", "--comment", "x"]) == 2
    assert "has no test 'fit_histroy'" in capsys.readouterr().err
    assert main([*override, "--test", "fit_history", "--points", "0"]) == EXIT_USAGE
    assert "needs a comment" in capsys.readouterr().err
    ok = [*override, "--test", "fit_history", "--points", "0", "--comment", "history copied"]
    assert main(ok) == EXIT_OK
    assert main([*override, "--step", "report", "--points", "1", "--comment", "plot missing"]) == 0
    capsys.readouterr()
    assert main([*grade, "--force"]) == EXIT_OK
    assert main(["override", str(results), "--list"]) == EXIT_OK
    listed = capsys.readouterr().out
    assert "alice pytorch test fit_history = 0: history copied" in listed
    assert "alice pytorch step report = 1: plot missing" in listed

    # the gradebook: overrides and the late policy applied, raw and final side by side
    book = tmp_path / "grades.csv"
    canvas, moodle = tmp_path / "canvas.csv", tmp_path / "moodle.csv"
    argv = ["gradebook", str(results), "--db", str(tmp_path / "gb.sqlite"), "--csv", str(book)]
    argv += ["--course", str(tmp_path / "course.toml"), "--roster", str(tmp_path / "roster.csv")]
    assert main([*argv, "--canvas", str(canvas), "--moodle", str(moodle)]) == EXIT_OK
    rows = {r["learner"]: r for r in csv.DictReader(book.open())}
    assert rows["alice"]["total"] == "50"  # 56 - 1 (fit_history) - 5 (report 6 -> 1)
    assert rows["alice"]["report"] == "1" and "override" in rows["alice"]["overrides"]
    bob_raw = float(rows["bob"]["total"])
    assert (rows["bob"]["days_late"], rows["bob"]["penalty_percent"]) == ("2", "20")
    assert float(rows["bob"]["final"]) == pytest.approx(bob_raw * 0.8)
    assert (rows["carol"]["days_late"], rows["carol"]["final"]) == ("0", "56")

    # Canvas: its export's columns, a Points Possible row, the course file's title
    table = list(csv.reader(canvas.open()))
    assert table[0] == [*CANVAS_HEAD, "A1 PyTorch (1234)"]
    assert CANVAS_HEAD == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert table[1][0] == "Points Possible" and table[1][-1] == "56"
    by_id = {r[2]: r for r in table[2:]}
    assert by_id["alice"][:4] == ["Alice Doe", "101", "alice", "alice@uni.edu"]
    assert by_id["alice"][-1] == "50" and by_id["dave"][-1] == ""
    assert float(by_id["bob"][-1]) == pytest.approx(bob_raw * 0.8)
    # Moodle: identified by e-mail, a score and a feedback column per assignment
    table = list(csv.reader(moodle.open()))
    assert table[0] == [*MOODLE_HEAD, "A1 PyTorch (1234)", "A1 PyTorch (1234) (feedback)"]
    bob = next(r for r in table if r[2] == "bob")
    assert bob[3] == "bob@uni.edu" and "2 day(s) late: -20%" in bob[5]

    # the feedback page shows the override and its comment
    assert main(["feedback", str(results), "--out", str(tmp_path / "fb")]) == EXIT_OK
    page = (tmp_path / "fb" / "alice.html").read_text()
    assert "history copied" in page and "plot missing" in page
