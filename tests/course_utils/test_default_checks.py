"""Default-mode checks (practice mode off): does the learner's own check(step) flag every
course-spec mistake on its step, with the likely cause, and still pass correct code?"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.assignments import get_assignment
from autograder.build import apply_edits, load_mutants
from autograder.extract import extract
from autograder.reader import CodeCell, Submission
from course_utils import practice
from course_utils.assignments import ASSIGNMENTS
from course_utils.checks import Checker
from tests.conftest import ROOT, reference_code_of

pytestmark = [pytest.mark.torch, pytest.mark.tensorflow]


def _namespace(code: str) -> dict:
    """The submission's definitions, as the grader extracts them (no training cells run)."""
    submission = Submission(path=Path("submission.py"), kind="script", cells=[CodeCell(0, code)])
    namespace: dict = {"__name__": "__main__"}
    exec(compile(extract(submission).code, "<submission>", "exec"), namespace)
    return namespace


_MUTANTS = {a: load_mutants(get_assignment(a), ROOT) for a in ASSIGNMENTS}
MISTAKES = [(a, m.name) for a in ASSIGNMENTS for m in _MUTANTS[a] if m.step is not None]
ALTERNATIVES = [(a, m.name) for a in ASSIGNMENTS for m in _MUTANTS[a] if m.step is None]
_CODE: dict[str, str] = {}


def _code(assignment: str, mutant: str | None = None) -> str:
    if assignment not in _CODE:
        _CODE[assignment] = reference_code_of(assignment)
    if mutant is None:
        return _CODE[assignment]
    (m,) = [m for m in _MUTANTS[assignment] if m.name == mutant]
    return apply_edits(_CODE[assignment], m)


@pytest.fixture(autouse=True)
def _practice_off():
    practice(False)
    yield
    practice(False)


def _outcome(assignment: str, mutant: str) -> dict:
    """The default check of the mutant's step: seed, failed messages, the report's text."""
    (step,) = [m.step for m in _MUTANTS[assignment] if m.name == mutant]
    report = Checker(assignment, _namespace(_code(assignment, mutant)))(step)
    failed = [r.message for r in report.results if not r.passed]
    return {"seed": report.practice_seed, "failed": failed, "text": repr(report), "step": step}


def _outcome_in_child(assignment: str, mutant: str) -> dict:
    """A mistake that changes the process for good (TF1's disable_eager_execution()) is checked
    in a child process, so the checks that run after it see a normal TensorFlow."""
    code = (
        "import json\n"
        "from tests.course_utils.test_default_checks import _outcome\n"
        f"print(json.dumps(_outcome({assignment!r}, {mutant!r})))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(("assignment", "mutant"), MISTAKES)
def test_default_check_flags_the_mistake_with_its_likely_cause(assignment, mutant):
    """Does the mistake fail its step's default check (no practice instances), with a message
    that names the likely cause?"""
    in_child = "disable_eager_execution" in _code(assignment, mutant)
    outcome = (_outcome_in_child if in_child else _outcome)(assignment, mutant)
    assert outcome["seed"] is None
    assert outcome["failed"], f"{mutant} passed check({outcome['step']!r}): {outcome['text']}"
    assert any("Likely cause" in m for m in outcome["failed"]), outcome["text"]


@pytest.mark.parametrize(("assignment", "mutant"), ALTERNATIVES)
def test_correct_alternative_passes_every_default_check(assignment, mutant):
    """Does correct code in another style pass every step's default check?"""
    check = Checker(assignment, _namespace(_code(assignment, mutant)))
    for step in check.steps:
        report = check(step)
        assert report.passed, f"{mutant}: {report!r}"


def test_return_type_is_checked_first():
    """Does a build_model that returns None hear that, not an error from inside the check?"""
    ns = _namespace(_code("pytorch")) | {"build_model": lambda in_channels=1, num_classes=10: None}
    result = Checker("pytorch", ns)("model").results[0]
    assert not result.passed
    assert result.message.startswith("build_model returned None; expected an nn.Module")


def test_nan_fails_and_says_so():
    """Does an accuracy of NaN fail, with a message that says it is not a finite number?"""
    ns = _namespace(_code("pytorch")) | {"accuracy": lambda logits, targets: math.nan}
    result = Checker("pytorch", ns)("metric").results[0]
    assert not result.passed and "not a finite number" in result.message, result


def test_data_check_calls_prepare_data():
    """Does check('data') fail when prepare_data crashes (it used to be never called)?"""

    def prepare_data(path, test_size=0.2, seed=0):
        raise RuntimeError("boom")

    ns = _namespace(_code("pytorch")) | {"prepare_data": prepare_data}
    report = Checker("pytorch", ns)("data")
    assert not report.passed and "boom" in repr(report)


def test_zeroing_between_backward_and_step_is_named_as_that():
    """Is zero_grad between backward() and step() named as that, not as 'not zeroed'?"""
    report = Checker(
        "pytorch", _namespace(_code("pytorch", "zero_grad_between_backward_and_step"))
    )("train")
    assert "between backward() and step()" in repr(report)
