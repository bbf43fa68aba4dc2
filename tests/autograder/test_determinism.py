"""Does grading the same bytes give the same record whatever the way? Warm workers two at a
time (how the mutant tests grade) against cold workers, also two at a time, for the reference,
every mutant and every alternative of every assignment; and warm workers one at a time for a
fixed sample of each. Scores, statuses and messages must be equal; only timings and memory may
differ."""

from __future__ import annotations

import pytest

from autograder.assignments import ASSIGNMENTS
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


ONE_AT_A_TIME = 6
"""Submissions per assignment graded again one at a time (the reference and every n-th)."""


def _differences(
    first: dict[str, SubmissionResult], second: dict[str, SubmissionResult]
) -> dict[str, dict]:
    differ = {}
    for name in second:
        a, b = _record(first[name]), _record(second[name])
        if a != b:
            tests = [(x, y) for x, y in zip(a.pop("tests"), b.pop("tests"), strict=True) if x != y]
            differ[name] = {"tests (first, second)": tests} | {
                k: (v, b[k]) for k, v in a.items() if v != b[k]
            }
    return differ


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_warm_and_cold_workers_give_the_same_records(graded_mutants, tmp_path, assignment):
    warm = graded_mutants(assignment)
    cold = grade_sources(mutant_sources(assignment), tmp_path, assignment, warm=None, jobs=2)
    assert sorted(cold) == sorted(warm)
    assert _differences(warm, cold) == {}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_one_at_a_time_and_two_at_a_time_give_the_same_records(
    graded_mutants, warm_pool, tmp_path, assignment
):
    warm = graded_mutants(assignment)
    names = sorted(warm)
    sample = {"reference"} | set(names[:: max(1, len(names) // (ONE_AT_A_TIME - 1))])
    sources = {k: v for k, v in mutant_sources(assignment).items() if k in sample}
    alone = grade_sources(sources, tmp_path, assignment, warm=warm_pool, jobs=1)
    assert sorted(alone) == sorted(sample)
    assert _differences(warm, alone) == {}


def test_a_tensorflow_graph_error_reads_the_same_whichever_variable_failed_first():
    """TF1 reports an uninitialised graph at whichever variable its executor reads first, with
    the Python traceback of that op's creation: the learner's error keeps the cause only."""
    from autograder.worker.probe_api import describe_exception

    def graph_error(node: str, variable: str) -> Exception:
        return RuntimeError(
            f"Graph execution error:\n\nDetected at node '{node}' defined at (most recent call "
            f'last):\n  File "<string>", line 1, in <module>\n    File "/x/boot.py", line 3\n'
            f"Node: '{node}'\nCould not find variable {variable}. This could mean that the "
            "variable has been deleted. In TF1, it can also mean the variable is uninitialized. "
            f"(Could not find resource: localhost/{variable})\n\t [[{{{{node {node}}}}}]]\n"
            f"Original stack trace for '{node}':\n  File \"/x/ops.py\", line 9"
        )

    first = describe_exception(graph_error("add/ReadVariableOp", "b"), "train")["message"]
    second = describe_exception(graph_error("Adam/update_w/ReadVariableOp_1", "w"), "train")
    assert first == second["message"]
    assert "uninitialized" in first and "File" not in first and "node" not in first.lower()
    plain = describe_exception(ValueError("Incompatible shapes: [7] vs. [13]"), "f")["message"]
    assert plain == "Incompatible shapes: [7] vs. [13]"


def test_a_file_error_reads_the_same_whatever_the_probes_folder_and_temporary_name():
    """An OSError quotes a path inside the probe's own folder (new every run) and often a
    temporary name with random characters: the learner's error keeps the folder inside the
    probe's and the name without its random part."""
    from autograder.worker.probe_api import describe_exception

    def missing(path: str) -> dict:
        return describe_exception(FileNotFoundError(2, "No such file or directory", path), "f")

    first = missing("/tmp/work/probe-ozy4zl6t/cache/nested/.part-sniic005")["message"]
    second = missing("/tmp/work/probe-k2j4aa0q/cache/nested/.part-x81kd_2a")["message"]
    assert first == second == "[Errno 2] No such file or directory: 'cache/nested/.part-*'"
    kept = missing("/tmp/work/probe-ozy4zl6t/cache/download.bin")["message"]
    assert kept.endswith("'cache/download.bin'")  # a real name is not mistaken for a random one
