"""Grade the grader: the reference gets full marks, every mistake costs the intended step's points
with feedback naming the misconception, and correct code in other styles keeps full marks."""

from __future__ import annotations

import pytest

from autograder.assignments import get_assignment
from autograder.build import load_mutants
from autograder.suites import get_suite
from tests.conftest import ROOT

pytestmark = pytest.mark.torch

MUTANTS = load_mutants(get_assignment("pytorch"), ROOT)
MISTAKES = [m for m in MUTANTS if m.step is not None]
ALTERNATIVES = [m for m in MUTANTS if m.step is None]


def test_reference_gets_full_marks(pytorch_graded):
    """Does the reference solution pass every hidden test?"""
    result = pytorch_graded["reference"]
    failures = [(t.name, t.status, t.message) for t in result.tests if t.status != "passed"]
    assert failures == []
    assert result.score == result.max_score == sum(t.points for t in get_suite("pytorch").tests)


@pytest.mark.parametrize("mutant", MISTAKES, ids=[m.name for m in MISTAKES])
def test_mistake_costs_its_step_only(pytorch_graded, mutant):
    """Does this typical mistake lose points in its own step, and only there?"""
    result = pytorch_graded[mutant.name]
    lost = {step for step, s in result.steps.items() if s.score < s.max_score}
    assert lost == {mutant.step}, [
        (t.name, t.message) for t in result.tests if t.status != "passed"
    ]


@pytest.mark.parametrize("mutant", MISTAKES, ids=[m.name for m in MISTAKES])
def test_mistake_feedback_names_misconception(pytorch_graded, mutant):
    """Does a failed test's message name the misconception (not just 'wrong')?"""
    result = pytorch_graded[mutant.name]
    messages = [t.message for t in result.tests if t.step == mutant.step and t.status != "passed"]
    assert any(mutant.misconception.lower() in m.lower() for m in messages), messages


@pytest.mark.parametrize("mutant", ALTERNATIVES, ids=[m.name for m in ALTERNATIVES])
def test_correct_alternative_style_gets_full_marks(pytorch_graded, mutant):
    """Is correct code in another style graded as correct?"""
    result = pytorch_graded[mutant.name]
    assert [(t.name, t.message) for t in result.tests if t.status != "passed"] == []


def test_every_course_spec_mistake_has_a_mutant():
    """Is each PyTorch mistake of course-spec.md covered by at least one mutant?"""
    names = {m.name for m in MISTAKES}
    required = {
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
    }  # fmt: skip
    assert required <= names, required - names


def test_mistakes_never_earn_more_than_reference(pytorch_graded):
    """Can a mutant ever score above the reference (e.g. through a lucky verdict)?"""
    top = pytorch_graded["reference"].score
    assert all(r.score <= top for r in pytorch_graded.values())
