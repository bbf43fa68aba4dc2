"""Does grading the same bytes give the same record whatever the way: warm workers two at a
time (how the mutant tests grade) against cold workers one at a time, for the reference, every
mutant and every alternative of every assignment? Scores, statuses and messages must be equal;
only timings and memory may differ."""

from __future__ import annotations

import pytest

from autograder.results import SubmissionResult
from tests.conftest import grade_sources, mutant_sources

pytestmark = [pytest.mark.torch, pytest.mark.tensorflow]


def _record(result: SubmissionResult) -> dict:
    return {
        "score": result.score,
        "max_score": result.max_score,
        "error": result.error,
        "sandbox": result.sandbox,
        "suite_version": result.suite_version,
        "tests": [(t.name, t.status, t.score, t.message) for t in result.tests],
        "notes": list(result.notes),
    }


@pytest.mark.parametrize("assignment", ["pytorch", "tf2", "tf1", "bridge"])
def test_warm_two_at_a_time_and_cold_one_at_a_time_give_the_same_records(
    graded_mutants, tmp_path, assignment
):
    warm = graded_mutants(assignment)
    cold = grade_sources(mutant_sources(assignment), tmp_path, assignment, warm=None, jobs=1)
    assert sorted(cold) == sorted(warm)
    differ = {}
    for name in warm:
        a, b = _record(warm[name]), _record(cold[name])
        if a != b:
            tests = [(x, y) for x, y in zip(a.pop("tests"), b.pop("tests"), strict=True) if x != y]
            differ[name] = {"tests (warm, cold)": tests} | {
                k: (v, b[k]) for k, v in a.items() if v != b[k]
            }
    assert differ == {}, differ
