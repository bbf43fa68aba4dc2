"""The results model and atomic writes."""

from __future__ import annotations

import json
from unittest import mock

import pytest

from autograder.results import SubmissionResult, TestResult, write_json_atomic, write_result


def _result():
    return SubmissionResult(
        submission="a.ipynb",
        assignment="pytorch",
        tests=[
            TestResult("t1", "data", 1.0, 2.0, "failed", "half"),
            TestResult("t2", "model", 3.0, 3.0, "passed"),
        ],
    )


def test_steps_and_totals_are_derived_from_tests():
    """Are step totals and the score computed from the tests (one source of truth)?"""
    data = _result().to_dict()
    assert data["score"] == 4.0 and data["max_score"] == 5.0
    assert data["steps"] == {
        "data": {"score": 1.0, "max_score": 2.0},
        "model": {"score": 3.0, "max_score": 3.0},
    }
    assert SubmissionResult.from_dict(data).to_dict() == data


def test_every_field_survives_a_round_trip_through_json():
    """Does a record read back from JSON (resume, Dask) keep every field, none left default?"""
    result = _result()
    result.elapsed_s, result.error, result.notes = 1.5, "e", ["n"]
    result.suite_version, result.content_sha256 = "v", "ab" * 32
    result.peak_rss_mb, result.sandbox = 123.4, "mount, net, pid"
    back = SubmissionResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert back == result


def test_a_failed_write_leaves_the_old_file_intact(tmp_path):
    """If writing is interrupted, is the previous complete file still there and no temp left?"""
    path = write_result(_result(), tmp_path, "a")
    before = path.read_text()
    with mock.patch("os.fsync", side_effect=KeyboardInterrupt), pytest.raises(KeyboardInterrupt):
        write_json_atomic(path, {"new": 1})
    assert path.read_text() == before
    assert json.loads(before)["submission"] == "a.ipynb"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]
