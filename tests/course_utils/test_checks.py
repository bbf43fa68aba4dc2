"""Public checks in the learner's kernel: pass on the reference, teach on stubs, reveal nothing."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from autograder.assignments import ASSIGNMENTS, BRIDGE_STEPS
from autograder.extract import extract
from autograder.reader import read_submission
from autograder.suites import get_suite
from course_utils.checks import Checker
from course_utils.hints import HINTS
from tests.conftest import ROOT

pytestmark = pytest.mark.torch


def test_each_assignment_checks_its_own_steps():
    """Does check() know the bridge's five parts, and refuse a pipeline step there?"""
    checker = Checker("bridge", {})
    assert checker.steps == BRIDGE_STEPS
    with pytest.raises(ValueError, match="layouts, port, parity, accumulation, placement"):
        checker("train")


@pytest.mark.parametrize("assignment", ASSIGNMENTS.values(), ids=lambda a: a.name)
def test_checks_practice_and_hints_cover_exactly_the_records_steps(assignment):
    """Does every step the assignment's record names have public checks, practice checks and
    hints, and no module hold a step the record does not name?"""
    steps = list(assignment.steps)
    assert list(importlib.import_module(assignment.checks).CHECKS) == steps
    assert sorted(importlib.import_module(assignment.practice).PRACTICE) == sorted(steps)
    assert sorted(HINTS[assignment.name]) == sorted(steps)


def _namespace(path):
    namespace: dict = {"__name__": "__main__"}
    exec(compile(extract(read_submission(path)).code, str(path), "exec"), namespace)
    return namespace


@pytest.fixture(scope="module")
def reference_ns():
    return _namespace(ROOT / "examples" / "pytorch" / "reference.ipynb")


@pytest.fixture(scope="module")
def stub_ns():
    return _namespace(ROOT / "assignments" / "01_pytorch_pipeline.ipynb")


CASES = [(a.name, s) for a in ASSIGNMENTS.values() for s in a.steps]
_CACHE: dict = {}


def _ns(kind: str, assignment: str) -> dict:
    if (kind, assignment) not in _CACHE:
        path = (
            ROOT / "examples" / assignment / "reference.ipynb"
            if kind == "reference"
            else ROOT / ASSIGNMENTS[assignment].notebook
        )
        _CACHE[kind, assignment] = _namespace(path)
    return _CACHE[kind, assignment]


@pytest.mark.parametrize(("assignment", "step"), CASES)
def test_reference_passes_every_public_check(step, assignment):
    """Does the reference pass the public checks of each step?"""
    report = Checker(assignment, _ns("reference", assignment))(step)
    assert report.passed, repr(report)


@pytest.mark.parametrize(("assignment", "step"), CASES)
def test_stub_checks_say_not_implemented(step, assignment):
    """Does the untouched notebook get 'not implemented yet', not a traceback?"""
    report = Checker(assignment, _ns("stub", assignment))(step)
    assert not report.passed
    assert all(r.status == "not implemented" for r in report.results), repr(report)


def test_check_without_step_shows_progress(reference_ns, stub_ns):
    """Does check() summarise all steps, in text and as an HTML table?"""
    progress = Checker("pytorch", {**stub_ns, "accuracy": reference_ns["accuracy"]})()
    text = repr(progress)
    assert text.startswith("progress: 0/7 steps") and "[ ] metric: 1/3 checks" in text
    assert "<table>" in progress._repr_html_()


def test_checker_finds_the_callers_namespace(reference_ns):
    """Does Checker('pytorch') with no namespace look at the notebook's globals?"""
    globals().update(accuracy=reference_ns["accuracy"])
    assert Checker("pytorch")("metric").results[0].passed


def test_public_checks_reveal_no_hidden_test():
    """Do public checks run without importing autograder, and print no hidden test's name?"""
    code = (
        "import sys\n"
        "from course_utils.checks import Checker\n"
        "ns = {}\n"
        "print(repr(Checker('pytorch', ns)()))\n"
        "print('autograder' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().endswith("False")
    for name in ASSIGNMENTS:
        for test in get_suite(name).tests:
            assert test.name not in out
        source = (ROOT / "course_utils" / "checks" / f"{name}.py").read_text()
        assert "autograder" not in source


def test_a_function_that_never_returns_is_stopped_with_a_message(monkeypatch):
    """A learner's ``download`` stuck in an endless loop (one that even swallows every
    Exception) does not hang the kernel: its check stops after the time limit and says why,
    and the next check runs."""
    import time

    from course_utils.checks import runner

    monkeypatch.setattr(runner, "TIME_LIMIT_S", 0.5)

    def download(url, cache_dir, sha256):  # noqa: ANN001, ANN202
        while True:
            try:
                time.sleep(0.01)
            except Exception:  # noqa: BLE001, S112 - what a learner might write
                continue

    started = time.perf_counter()
    report = Checker("pytorch", {"download": download})("download")
    assert time.perf_counter() - started < 5
    (result,) = report.results
    assert result.status == "timed out" and "endless loop" in result.message
    assert runner.run_check("next", lambda ns: "ran", {}).passed


@pytest.mark.tensorflow
def test_a_redefined_helper_of_build_graph_counts_at_the_next_check():
    """The TF1 loss_opt checks build the learner's graph once per check() call: after the
    learner fixes a helper that build_graph calls (its cell run again, build_graph's not), does
    the next check('loss_opt') see the fix?"""
    ns = _namespace(ROOT / "examples" / "tf1" / "reference.ipynb")  # build_graph's globals
    fixed = ns["_dense"]
    tf = ns["tf"]

    def summed_dense(h, units, name):  # every class the same logit: training cannot lower the loss
        dense = fixed(h, units, name)
        return dense * 0.0 + tf.reduce_sum(dense, 1, keepdims=True)

    ns["_dense"] = summed_dense
    assert not Checker("tf1", ns)("loss_opt").passed
    ns["_dense"] = fixed
    assert Checker("tf1", ns)("loss_opt").passed
