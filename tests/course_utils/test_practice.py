"""Practice mode: fresh random instances each call, failures that say expected vs observed,
and nothing of the hidden tests in what learners get."""

from __future__ import annotations

import ast
import os
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

REPEATS = 3  # fresh instances per step; a mistake must show on every one of them

# mutant -> the practice check that must catch it on every instance
CAUGHT = {
    "pytorch": {
        "download_no_checksum": ("download", "random file: verify, cache, refuse"),
        "download_no_cache": ("download", "random file: verify, cache, refuse"),
        "stats_from_all_data": ("data", "prepare_data uses training statistics"),
        "stats_from_test_split": ("data", "prepare_data uses training statistics"),
        "reshape_instead_of_permute": ("data", "preprocess random images to NCHW"),
        "missing_channel_axis": ("data", "preprocess random images to NCHW"),
        "float64_images": ("data", "preprocess random images to NCHW"),
        "float_labels": ("data", "preprocess random images to NCHW"),
        "test_loader_shuffled": ("data", "loaders on a random size"),
        "train_loader_unshuffled": ("data", "loaders on a random size"),
        "hardcoded_batch_in_view": ("model", "random sizes, samples independent"),
        "softmax_in_model": ("model", "random sizes, samples independent"),
        "softmax_before_loss": ("loss_opt", "cross-entropy on random logits"),
        "optimizer_for_another_model": ("loss_opt", "optimizer"),
        "lr_ignored": ("loss_opt", "optimizer"),
        "argmax_over_batch_axis": ("metric", "accuracy on random logits"),
        "evaluate_without_eval": ("metric", "evaluate, uneven batches"),
        "evaluate_mean_of_batch_means": ("metric", "evaluate, uneven batches"),
        "no_zero_grad": ("train", "one epoch against an SGD replay"),
        "zero_grad_between_backward_and_step": ("train", "one epoch against an SGD replay"),
        "zero_grad_once_per_epoch": ("train", "one epoch against an SGD replay"),
        "report_train_test_swapped": ("report", "random summary"),
    },
    "tf2": {
        "stats_from_all_data": ("data", "prepare_data uses training statistics"),
        "nchw_into_channels_last_model": ("data", "preprocess random images to NHWC"),
        "float64_images": ("data", "preprocess random images to NHWC"),
        "shuffle_after_batch": ("data", "datasets on a random size"),
        "test_dataset_shuffled": ("data", "datasets on a random size"),
        "softmax_in_model": ("model", "random sizes, samples independent"),
        "from_logits_missing": ("loss_opt", "cross-entropy on random logits"),
        "lr_ignored": ("loss_opt", "cross-entropy on random logits"),
        "metrics_not_reset": ("metric", "evaluate twice, uneven batches"),
        "evaluate_training_true": ("metric", "evaluate twice, uneven batches"),
        "forward_outside_tape": ("train", "train_step against an SGD step"),
        "report_train_test_swapped": ("report", "random summary"),
    },
    "tf1": {
        "stats_from_all_data": ("data", "prepare_data uses training statistics"),
        "fixed_batch_placeholder": ("model", "random sizes, samples independent"),
        "evaluate_builds_ops": ("metric", "evaluate, uneven batches"),
        "evaluate_mean_of_batch_means": ("metric", "evaluate, uneven batches"),
        "report_train_test_swapped": ("report", "random summary"),
    },
    "bridge": {
        "reshape_instead_of_permute": ("layouts", "random shapes in all three frameworks"),
        "permute_instead_of_memory_format": ("layouts", "channels-last on random shapes"),
        "conv_weights_reshaped": ("port", "a random CNN ported"),
        "dense_after_flatten_not_permuted": ("port", "a random CNN ported"),
        "parity_loss_summed": ("parity", "forward_backward_torch on a random linear model"),
        "accumulation_not_divided_by_k": ("accumulation", "random k, micro-batch size and steps"),
        "accumulation_steps_every_micro_batch": (
            "accumulation",
            "random k, micro-batch size and steps",
        ),
        "tf_accumulation_not_divided_by_k": (
            "accumulation",
            "random k, micro-batch size and steps",
        ),
        "place_hardcoded_cpu": ("placement", "random device spellings"),
    },
}


def _namespace(code: str) -> dict:
    """The submission's definitions, as the grader extracts them (its training cells are not
    run: practice checks only call functions)."""
    submission = Submission(path=Path("submission.py"), kind="script", cells=[CodeCell(0, code)])
    namespace: dict = {"__name__": "__main__"}
    exec(compile(extract(submission).code, "<submission>", "exec"), namespace)
    return namespace


_CODE: dict[str, dict[str, str]] = {}


def _sources(assignment: str) -> dict[str, str]:
    if assignment not in _CODE:
        code = reference_code_of(assignment)
        _CODE[assignment] = {"reference": code} | {
            m.name: apply_edits(code, m) for m in load_mutants(get_assignment(assignment), ROOT)
        }
    return _CODE[assignment]


@pytest.fixture(autouse=True)
def _practice_on():
    practice()
    yield
    practice(False)


def _practice_results(report):
    return {r.name.removeprefix("practice: "): r for r in report.results if "practice" in r.name}


@pytest.mark.parametrize("assignment", list(ASSIGNMENTS))
def test_reference_passes_every_practice_check_on_fresh_instances(assignment):
    """Does the reference pass every practice check, on a new random instance each call?"""
    check = Checker(assignment, _namespace(_sources(assignment)["reference"]))
    for step in check.steps:
        seeds = set()
        for _ in range(REPEATS):
            report = check(step)
            assert report.passed, repr(report)
            seeds.add(report.practice_seed)
        assert len(seeds) == REPEATS, f"{step}: instances repeat: {seeds}"


@pytest.mark.parametrize(
    ("assignment", "mutant"), [(a, m) for a, caught in CAUGHT.items() for m in caught]
)
def test_practice_check_catches_the_mistake_with_expected_and_observed(assignment, mutant):
    """Does the mistake fail its practice check on every fresh instance, saying what was
    expected, what was observed, and the likely cause?"""
    step, name = CAUGHT[assignment][mutant]
    check = Checker(assignment, _namespace(_sources(assignment)[mutant]))
    for _ in range(REPEATS):
        result = _practice_results(check(step))[name]
        assert not result.passed, f"{mutant} passed {name!r}: {result.message}"
        assert result.status == "failed", result
        for part in ("expected", "observed", "Likely cause"):
            assert part in result.message, result.message


@pytest.mark.parametrize("assignment", list(ASSIGNMENTS))
def test_correct_alternatives_pass_every_practice_check(assignment):
    """Does correct code in another style (the alt_* variants) pass every practice check?"""
    for name, code in _sources(assignment).items():
        if not name.startswith("alt_"):
            continue
        check = Checker(assignment, _namespace(code))
        for step in check.steps:
            report = check(step)
            failed = [r for r in _practice_results(report).values() if not r.passed]
            assert not failed, f"{name}: {failed}"


def test_practice_is_off_by_default_and_the_environment_variable_turns_it_on():
    """Do plain checks stay as they were, and does DLCOURSE_PRACTICE=1 add practice checks?"""
    code = (
        "from course_utils.checks import Checker\n"
        "def report(h, tr, te):\n"
        "    return {}\n"
        "r = Checker('pytorch', globals())('report')\n"
        "print(sum('practice' in x.name for x in r.results), r.practice_seed)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DLCOURSE_PRACTICE"}
    off = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    on = subprocess.run(
        [sys.executable, "-c", code],
        env=env | {"DLCOURSE_PRACTICE": "1"},
        capture_output=True,
        text=True,
    )
    assert off.stdout.split() == ["0", "None"], off.stderr
    count, seed = on.stdout.split()
    assert int(count) == 2 and seed.isdigit(), on.stderr


def test_what_learners_import_never_touches_the_grader():
    """Does no module of course_utils (checks, hints, practice) import autograder?"""
    offenders = []
    for path in (ROOT / "course_utils").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "autograder"]
    assert not offenders
