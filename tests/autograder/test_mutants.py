"""Grade the grader: the reference gets full marks, every mistake costs the intended step's points
with feedback naming the misconception, and correct code in other styles keeps full marks."""

from __future__ import annotations

import pytest

from autograder.assignments import ASSIGNMENTS, get_assignment
from autograder.build import load_mutants
from autograder.suites import get_suite
from tests.conftest import ROOT

pytestmark = [pytest.mark.torch, pytest.mark.tensorflow]

CASES = [(a, m) for a in ASSIGNMENTS for m in load_mutants(get_assignment(a), ROOT)]
MISTAKES = [(a, m) for a, m in CASES if m.step is not None]
ALTERNATIVES = [(a, m) for a, m in CASES if m.step is None]


def _ids(cases):  # noqa: ANN001, ANN202
    return [f"{a}-{m.name}" for a, m in cases]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_gets_full_marks(graded_mutants, assignment):
    """Does the reference solution pass every hidden test?"""
    result = graded_mutants(assignment)["reference"]
    failures = [(t.name, t.status, t.message) for t in result.tests if t.status != "passed"]
    assert failures == []
    assert result.score == result.max_score == sum(t.points for t in get_suite(assignment).tests)


@pytest.mark.parametrize(("assignment", "mutant"), MISTAKES, ids=_ids(MISTAKES))
def test_mistake_costs_its_step_only(graded_mutants, assignment, mutant):
    """Does this typical mistake lose points in its own step, and only there?"""
    result = graded_mutants(assignment)[mutant.name]
    lost = {step for step, s in result.steps.items() if s.score < s.max_score}
    assert lost == {mutant.step}, [
        (t.name, t.message) for t in result.tests if t.status != "passed"
    ]


@pytest.mark.parametrize(("assignment", "mutant"), MISTAKES, ids=_ids(MISTAKES))
def test_mistake_feedback_names_misconception(graded_mutants, assignment, mutant):
    """Does a failed test's message name the misconception (not just 'wrong')?"""
    result = graded_mutants(assignment)[mutant.name]
    messages = [t.message for t in result.tests if t.step == mutant.step and t.status != "passed"]
    assert any(mutant.misconception.lower() in m.lower() for m in messages), messages


@pytest.mark.parametrize(("assignment", "mutant"), ALTERNATIVES, ids=_ids(ALTERNATIVES))
def test_correct_alternative_style_gets_full_marks(graded_mutants, assignment, mutant):
    """Is correct code in another style graded as correct?"""
    result = graded_mutants(assignment)[mutant.name]
    assert [(t.name, t.message) for t in result.tests if t.status != "passed"] == []


REQUIRED = {
    "pytorch": {
        "no_zero_grad", "zero_grad_between_backward_and_step", "zero_grad_once_per_epoch",
        "get_device_hardcoded_cuda", "get_device_hardcoded_cpu", "train_batch_not_moved",
        "fit_model_not_moved", "train_tensor_on_default_device", "device_equals_cuda",
        "reshape_instead_of_permute", "missing_channel_axis", "float64_images", "float_labels",
        "stats_from_all_data", "stats_from_test_split", "test_loader_shuffled",
        "train_loader_unshuffled", "softmax_before_loss", "softmax_in_model",
        "hardcoded_batch_in_view", "optimizer_for_another_model", "lr_ignored",
        "argmax_over_batch_axis", "evaluate_without_eval", "evaluate_without_no_grad",
        "evaluate_mean_of_batch_means", "train_mode_not_restored",
        "loss_tensors_summed_with_graph", "report_train_test_swapped",
    },
    "tf2": {
        "metrics_not_reset", "forward_outside_tape", "training_flag_missing",
        "retracing_every_step", "from_logits_missing", "nchw_into_channels_last_model",
        "hardcoded_gpu", "variable_inside_tf_function", "shuffle_after_batch",
        "test_dataset_shuffled", "stats_from_all_data", "float64_images", "train_loss_not_reset",
    },
    "tf1": {
        "ops_created_in_loop", "init_every_step", "init_never", "fixed_batch_placeholder",
        "wrong_split_fed", "evaluate_dropout_on", "evaluate_builds_ops", "default_graph",
    },
    "bridge": {
        "conv_weights_reshaped", "dense_after_flatten_not_permuted",
        "accumulation_not_divided_by_k", "accumulation_steps_every_micro_batch",
        "tf_accumulation_not_divided_by_k", "tf_accumulation_applies_every_batch",
        "permute_instead_of_memory_format", "reshape_instead_of_permute",
    },
}  # fmt: skip


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_course_spec_mistake_has_a_mutant(assignment):
    """Is each mistake of course-spec.md for this assignment covered by a mutant?"""
    assert assignment in REQUIRED, f"list course-spec's mistakes for {assignment!r} in REQUIRED"
    names = {m.name for a, m in MISTAKES if a == assignment}
    assert REQUIRED[assignment] <= names, REQUIRED[assignment] - names


@pytest.mark.parametrize("assignment", ASSIGNMENTS.values(), ids=lambda a: a.name)
def test_every_step_has_a_mistake_and_the_assignment_an_alternative(assignment):
    """Does every step of the record have a mutant that costs it, and is there correct code in
    another style? (A missing ``solutions/mutants_<name>.py`` holds none.)"""
    mutants = load_mutants(assignment, ROOT)
    assert (ROOT / assignment.mutants).exists(), f"{assignment.mutants} is missing"
    assert [s for s in assignment.steps if not any(m.step == s for m in mutants)] == []
    assert any(m.step is None for m in mutants), "no correct alternative"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_mistakes_never_earn_more_than_reference(graded_mutants, assignment):
    """Can a mutant ever score above the reference (e.g. through a lucky verdict)?"""
    graded = graded_mutants(assignment)
    top = graded["reference"].score
    assert all(r.score <= top for r in graded.values())
