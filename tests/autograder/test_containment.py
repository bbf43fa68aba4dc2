"""Every failure stays where it happened: a verdict that raises costs its test (an error record
with the reason, logged with the traceback), a failure while grading one submission costs that
submission, and a batch always ends with one record per file and exit code 0."""

from __future__ import annotations

import dataclasses
import json
import logging

import pytest

import autograder.grade
import autograder.suites
from autograder.cli import main
from autograder.engines import grade_on_worker
from autograder.exports import gradescope
from autograder.grade import grade_file
from autograder.hidden.base import judge
from autograder.results import SubmissionResult
from autograder.suites import get_suite
from tests.conftest import reference_code_of

PYTORCH = get_suite("pytorch")
QUICK = ("get_device_without_gpu", "get_device_with_gpu")
"""Two cheap probes of the PyTorch suite: a small suite grades in seconds."""


def _raises(exc: BaseException):  # noqa: ANN202
    def verdict(obs, seed):  # noqa: ANN001, ANN202
        raise exc

    return verdict


@pytest.mark.parametrize(
    "exc",
    [
        AttributeError("'list' object has no attribute 'get'"),
        RuntimeError("boom"),
        RecursionError(),
    ],
    ids=["AttributeError", "RuntimeError", "RecursionError"],
)
def test_a_verdict_that_raises_is_that_tests_error_and_is_logged(exc, caplog):
    """Does any exception of a verdict become the test's error with the reason, and a log entry
    with the traceback for the grader's developers?"""
    test = next(t for t in PYTORCH.tests if t.name == "get_device_without_gpu")
    test = dataclasses.replace(test, verdict=_raises(exc))
    obs = {"cuda_available": False, "default": "cpu", "no_gpu_wanted": "cpu"}
    with caplog.at_level(logging.ERROR, logger="dlcourse.grader"):
        result = judge(test, {"status": "ok", "obs": obs}, 0, schema_of=PYTORCH.schema_of)
    assert result.status == "error" and result.score == 0
    assert "the grader could not judge this observation" in result.message
    assert type(exc).__name__ in result.message
    (record,) = [r for r in caplog.records if r.name == "dlcourse.grader"]
    assert record.exc_info is not None and record.exc_info[0] is type(exc)


def _small_suite(verdicts: dict[str, object]):  # noqa: ANN202
    tests = [
        dataclasses.replace(t, verdict=verdicts.get(t.name, t.verdict))
        for t in PYTORCH.tests
        if t.name in QUICK
    ]
    return dataclasses.replace(PYTORCH, tests=tests)


@pytest.fixture
def small_suite(monkeypatch):
    """``install(verdicts)``: grading "pytorch" uses the two quick tests, with these verdicts."""

    def install(verdicts: dict[str, object]) -> None:
        suite = _small_suite(verdicts)
        monkeypatch.setattr(autograder.grade, "get_suite", lambda name: suite)
        monkeypatch.setattr(autograder.suites, "get_suite", lambda name: suite)

    return install


def _submissions(tmp_path, n: int = 3) -> list[str]:
    code = reference_code_of("pytorch")
    paths = []
    for i in range(n):
        path = tmp_path / f"learner{i}.py"
        path.write_text(code, encoding="utf-8")
        paths.append(str(path))
    return paths


@pytest.mark.torch
@pytest.mark.parametrize("engine", [["--jobs", "2"], ["--cold"]], ids=["pool", "cold"])
def test_a_batch_goes_on_when_verdicts_raise(tmp_path, small_suite, capsys, engine):
    """With one verdict raising AttributeError and another RecursionError, does a batch of
    three end with exit 0 and one record per file, the raising tests as errors?"""
    small_suite(
        {
            QUICK[0]: _raises(AttributeError("'list' object has no attribute 'get'")),
            QUICK[1]: _raises(RecursionError("maximum recursion depth exceeded")),
        }
    )
    out = tmp_path / "out"
    args = ["grade", *_submissions(tmp_path), "--assignment", "pytorch", "--out", str(out)]
    assert main([*args, *engine]) == 0
    records = sorted(out.glob("*.json"))
    assert [r.stem for r in records] == ["learner0", "learner1", "learner2"]
    for record in records:
        tests = json.loads(record.read_text())["tests"]
        assert [t["status"] for t in tests] == ["error", "error"]
        assert all("the grader could not judge this observation" in t["message"] for t in tests)


@pytest.mark.torch
def test_a_batch_goes_on_when_grading_one_submission_fails(tmp_path, small_suite, monkeypatch):
    """When grading one of three submissions raises (below grade_file), is that one an error
    record with the reason, the other two graded, and the exit code 0?"""
    small_suite({})
    real = autograder.grade._run_suite

    def run_suite(suite, extracted, *args):  # noqa: ANN001, ANN202
        if "learner1" in args[1].submission:
            raise RuntimeError("a reply nothing foresaw")
        return real(suite, extracted, *args)

    monkeypatch.setattr(autograder.grade, "_run_suite", run_suite)
    out = tmp_path / "out"
    paths = _submissions(tmp_path)
    code = main(["grade", *paths, "--assignment", "pytorch", "--out", str(out), "--jobs", "2"])
    assert code == 0
    results = {p.stem: json.loads(p.read_text()) for p in sorted(out.glob("*.json"))}
    assert sorted(results) == ["learner0", "learner1", "learner2"]
    assert "a reply nothing foresaw" in results["learner1"]["error"]
    assert {t["status"] for t in results["learner1"]["tests"]} == {"error"}
    assert all(t["status"] == "passed" for t in results["learner0"]["tests"])
    assert all(t["status"] == "passed" for t in results["learner2"]["tests"])


@pytest.fixture
def failing_run_suite(monkeypatch):
    def run_suite(*args):  # noqa: ANN002, ANN202
        raise KeyError("peer")

    monkeypatch.setattr(autograder.grade, "_run_suite", run_suite)


def test_grade_file_turns_any_failure_into_an_error_record(tmp_path, failing_run_suite, caplog):
    """Does grade_file return an error record (every test an error with the reason, logged)
    instead of raising when something below it fails?"""
    path = tmp_path / "learner.py"
    path.write_text("def get_device():\n    return 'cpu'\n")
    with caplog.at_level(logging.ERROR, logger="dlcourse.grader"):
        result = grade_file(path, "pytorch")
    assert result.error and "KeyError" in result.error and "please report it" in result.error
    assert len(result.tests) == len(PYTORCH.tests)
    assert all(t.status == "error" and "KeyError" in t.message for t in result.tests)
    assert any(r.exc_info for r in caplog.records if r.name == "dlcourse.grader")


def test_a_dask_task_and_gradescope_return_the_error_record(tmp_path, failing_run_suite):
    """Do the other engines get the same record: a Dask task's result and Gradescope's
    results.json (score 0, the reason), never an exception?"""
    record = SubmissionResult.from_dict(grade_on_worker("learner.py", b"x = 1\n", "pytorch"))
    assert "KeyError" in (record.error or "") and record.tests
    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / "learner.py").write_text("x = 1\n")
    data = gradescope.run(tmp_path, "pytorch")
    assert data["score"] == 0 and "KeyError" in data["output"]
    assert (tmp_path / "results" / "results.json").is_file()


FORGE = """

class _Forge:  # runs at load time: the class body survives extraction
    import sys as _sys  # the grader's modules are hidden: reach the probes through the frames

    _frame = _sys._getframe()
    while "probes" not in _frame.f_locals:
        _frame = _frame.f_back
    _frame.f_locals["probes"].PROBES["get_device_real"] = lambda ctx: {
        "cuda_available": False, "default": ["cpu"], "no_gpu_wanted": "cpu"
    }
"""


@pytest.mark.torch
def test_a_probe_rewritten_at_load_time_voids_the_tests_and_the_batch_goes_on(
    tmp_path, small_suite
):
    """When load-time code replaces a probe in its registry (to answer in the wrong shape), is
    every test an error that names the replaced entry, and the batch's exit code 0? (Malformed
    answers that reach the grader: tests/security/test_hostile_frames.py.)"""
    small_suite({})
    path = tmp_path / "forger.py"
    path.write_text(reference_code_of("pytorch") + FORGE, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["grade", str(path), "--assignment", "pytorch", "--out", str(out)]) == 0
    tests = json.loads((out / "forger.json").read_text())["tests"]
    assert tests and all(t["status"] == "error" for t in tests)
    assert all("PROBES['get_device_real']" in t["message"] for t in tests), tests[0]["message"]


class _Unprintable(Exception):
    def __str__(self) -> str:
        raise ValueError("no message for you")


def test_an_exception_without_a_readable_message_is_still_contained(tmp_path, monkeypatch):
    """Is an exception whose ``str()`` itself raises still turned into an error record?"""

    def run_suite(*args):  # noqa: ANN002, ANN202
        raise _Unprintable()

    monkeypatch.setattr(autograder.grade, "_run_suite", run_suite)
    path = tmp_path / "learner.py"
    path.write_text("x = 1\n")
    result = grade_file(path, "pytorch")
    assert result.error and "_Unprintable: (no readable message)" in result.error
