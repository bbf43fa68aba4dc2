"""Gradebook, feedback pages and class analytics: one source of truth (the result records), bad
files reported and skipped, history kept on re-grading, nothing hidden shown to learners."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pytest

from autograder.cli import EXIT_OK, EXIT_SKIPPED, main
from autograder.isolation import hidden_files
from autograder.reports.analytics import analytics_html, summary
from autograder.reports.collect import collect
from autograder.reports.feedback import feedback_html
from autograder.reports.gradebook import Gradebook
from autograder.results import SubmissionResult, TestResult, write_result


def _result(name: str, train: float, sha: str = "a" * 64) -> SubmissionResult:
    return SubmissionResult(
        submission=f"{name}.ipynb",
        assignment="pytorch",
        tests=[
            TestResult("zero_grad_each_step", "train", train, 3.0,
                       "passed" if train == 3.0 else "failed",
                       "" if train == 3.0 else "gradients accumulate across batches"),
            TestResult("loss_is_mean_cross_entropy", "loss_opt", 2.0, 2.0, "passed"),
        ],
        suite_version="pytorch-1",
        content_sha256=sha,
    )  # fmt: skip


@pytest.fixture
def results_dir(tmp_path):
    out = tmp_path / "results"
    write_result(_result("alice", 3.0), out, "alice")
    write_result(_result("bob", 0.0), out, "bob")
    (out / "carol.json").write_text('{"submission": "carol.ipynb", "assignment": "pyt')
    (out / "dave.json").write_text('{"hello": "world"}')
    return out


def test_corrupt_and_foreign_files_are_reported_and_skipped_never_counted(results_dir):
    """Is a cut-short file and a non-result JSON each named as a problem and left out?"""
    found = collect(results_dir)
    assert sorted(found.results) == ["alice", "bob"]
    assert any(p.startswith("carol.json: not valid JSON") for p in found.problems)
    assert any(p.startswith("dave.json: not a dlcourse result") for p in found.problems)


def test_gradebook_cli_exports_one_row_per_learner_and_says_it_skipped(results_dir, tmp_path):
    """Does `dlcourse gradebook` write the CSV from the records, exiting 5 for the skipped?"""
    db, table = tmp_path / "gb.sqlite", tmp_path / "grades.csv"
    assert main(["gradebook", str(results_dir), "--db", str(db), "--csv", str(table)]) == (
        EXIT_SKIPPED
    )
    rows = list(csv.DictReader(table.open()))
    assert [(r["learner"], r["total"], r["train"], r["loss_opt"]) for r in rows] == [
        ("alice", "5", "3", "2"),
        ("bob", "2", "0", "2"),
    ]
    (results_dir / "carol.json").unlink()
    (results_dir / "dave.json").unlink()
    assert main(["gradebook", str(results_dir), "--db", str(db), "--csv", str(table)]) == EXIT_OK


def test_regrading_keeps_history_and_the_latest_wins(tmp_path):
    """Re-importing: unchanged stays one row; a new version becomes latest, the old one kept."""
    with Gradebook(tmp_path / "gb.sqlite") as book:
        assert book.record("bob", _result("bob", 0.0, "1" * 64)) == "added"
        assert book.record("bob", _result("bob", 0.0, "1" * 64)) == "unchanged"
        assert book.record("bob", _result("bob", 3.0, "2" * 64)) == "regraded"
        assert [(s, latest) for s, _, latest in book.history("bob", "pytorch")] == [
            (2.0, 0),
            (5.0, 1),
        ]
        assert [r["total"] for r in book.latest()] == [5.0]
        book.export_csv(tmp_path / "g.csv")
    rows = sqlite3.connect(tmp_path / "gb.sqlite").execute("SELECT COUNT(*) FROM tests").fetchone()
    assert rows == (4,)  # one row per submission x test, both versions
    assert list(csv.DictReader((tmp_path / "g.csv").open()))[0]["total"] == "5"


def test_a_gradebook_of_mixed_hidden_test_versions_says_so(tmp_path, capsys):
    """Records graded by two versions of the hidden tests: does `dlcourse gradebook` warn, name
    the learners of each version, and keep each row's version in the CSV?"""
    out = tmp_path / "results"
    write_result(_result("alice", 3.0), out, "alice")
    newer = _result("bob", 0.0)
    newer.suite_version = "pytorch-2"
    write_result(newer, out, "bob")
    db, table = tmp_path / "gb.sqlite", tmp_path / "grades.csv"
    assert main(["gradebook", str(out), "--db", str(db), "--csv", str(table)]) == EXIT_OK
    err = capsys.readouterr().err
    assert "pytorch mixes 2 versions of the hidden tests" in err
    assert "pytorch-1: 1 (alice)" in err and "pytorch-2: 1 (bob)" in err
    rows = list(csv.DictReader(table.open()))
    assert [(r["learner"], r["suite_version"]) for r in rows] == [
        ("alice", "pytorch-1"),
        ("bob", "pytorch-2"),
    ]
    write_result(_result("bob", 0.0, "b" * 64), out, "bob")  # regraded with pytorch-1
    assert main(["gradebook", str(out), "--db", str(db), "--csv", str(table)]) == EXIT_OK
    assert "mixes" not in capsys.readouterr().err


def test_feedback_page_shows_messages_and_hints_never_grader_internals():
    """Does the page carry each failure's message and a hint, escape learner text, and quote no
    grader-only file and not the seeds' salt?"""
    result = _result("bob", 0.0)
    result.tests[0].message = "gradients accumulate <script>alert(1)</script>"
    page = feedback_html("bob", result)
    assert "2 / 5" in page and "&lt;script&gt;" in page and "<script>" not in page
    assert "Hint:" in page and "0 / 3" in page
    assert "dlcourse-hidden-2026-11" not in page
    for path in hidden_files():
        for line in Path(path).read_text().splitlines():
            if len(line.strip()) > 40:
                assert line.strip() not in page


def test_an_unreadable_submissions_feedback_says_what_is_wrong_once():
    from autograder.results import TestResult

    error = "alice.ipynb is not valid notebook JSON (line 3, column 1); was it saved completely?"
    result = SubmissionResult(
        submission="alice.ipynb",
        assignment="pytorch",
        error=error,
        tests=[
            TestResult(f"t{i}", "train", 0.0, 1.0, "error", f"not graded: {error}")
            for i in range(9)
        ],
    )
    html = feedback_html("alice", result)
    assert html.count("not valid notebook JSON") == 1
    assert "Hint:" not in html


def test_analytics_counts_and_ranks_misconceptions():
    """Are scores, per-step full-mark rates and the most frequent failed test right, with
    empty submissions not counted as misconceptions?"""
    results = {f"l{i}": _result(f"l{i}", 0.0 if i < 3 else 3.0) for i in range(8)}
    empty = _result("empty", 0.0)
    empty.tests[1].score = 0.0
    results["empty"] = empty
    data = summary(results)
    assert data["graded"] == 9 and data["empty"] == 1
    assert data["step_rates"]["train"] == pytest.approx(5 / 9)
    top = data["misconceptions"][0]
    assert (top["test"], top["count"]) == ("zero_grad_each_step", 3)
    page = analytics_html(results, "Class")
    assert page.count("data:image/png;base64,") == 2
