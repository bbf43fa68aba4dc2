"""Does a submission that answers NaN earn nothing? Every comparison with NaN is False, so a
verdict that fails on ``abs(got - want) > tol`` would let it through: the student notebook's
stubs plus functions that return NaN (or NaN arrays) must score no more than the plain stubs,
and the feedback must say that a NaN was returned."""

from __future__ import annotations

import pytest

from autograder.assignments import get_assignment
from autograder.extract import extract
from autograder.reader import read_submission
from autograder.results import SubmissionResult
from tests.conftest import ROOT, grade_sources

pytestmark = pytest.mark.slow

_NAN_METRICS = """

import numpy as _np

_NAN = float("nan")


def evaluate(*args, **kwargs):
    return {"loss": _NAN, "accuracy": _NAN}


def report(history, train_metrics, test_metrics):
    keys = ("epochs", "train_loss", "train_accuracy", "test_loss", "test_accuracy",
            "generalization_gap")
    return dict.fromkeys(keys, _NAN)
"""

_NAN_PYTORCH = """

def accuracy(logits, targets):
    return _NAN


def train_one_epoch(model, loader, loss_fn, optimizer, device):
    return _NAN
"""

_NAN_BRIDGE = """

import numpy as _np

_NAN = float("nan")


def _nan_like(shape):
    return _np.full(tuple(int(d) for d in shape), _NAN, _np.float32)


def forward_backward_torch(model, x, y):
    logits = model(x)
    grads = {name: _nan_like(p.shape) for name, p in model.named_parameters()}
    return {"logits": _nan_like(logits.shape), "loss": _NAN, "grads": grads}


def forward_backward_tf2(model, x, y):
    logits = model(x)
    grads = [_nan_like(v.shape) for v in model.trainable_variables]
    return {"logits": _nan_like(logits.shape), "loss": _NAN, "grads": grads}


def forward_backward_tf1(weights, x, y):
    logits = _nan_like((len(x), _np.shape(weights[-1])[0]))
    return {"logits": logits, "loss": _NAN, "grads": [_nan_like(_np.shape(w)) for w in weights]}


def parity_report(results, tolerances=None):
    return {"logits": _NAN, "loss": _NAN, "grads": _NAN, "ok": True}


def train_with_accumulation(model, loader, loss_fn, optimizer, device, accum_steps):
    return _NAN


def accumulate_gradients(model, dataset, loss_fn, optimizer, accum_steps):
    return _NAN
"""

NAN_FUNCTIONS = {
    "pytorch": _NAN_METRICS + _NAN_PYTORCH,
    "tf2": _NAN_METRICS,
    "tf1": _NAN_METRICS,
    "bridge": _NAN_BRIDGE,
}
"""What each assignment's NaN submission appends to the notebook's stubs."""

NAMES_NAN = {
    "pytorch": (
        "accuracy_over_classes",
        "evaluate_exact_means",
        "train_returns_mean_loss",
        "report_keeps_splits_apart",
    ),
    "tf2": ("evaluate_values", "report_keeps_splits_apart"),
    "tf1": ("evaluate_values", "report_keeps_splits_apart"),
    "bridge": ("parity_torch", "parity_tf2", "parity_tf1", "parity_report_values"),
}
"""Tests whose message must name NaN, per assignment."""

SUPPORT = {
    "tf2": """

def make_metrics():
    return {"loss": keras.metrics.Mean(), "accuracy": keras.metrics.SparseCategoricalAccuracy()}
""",
}
"""Genuine functions a NaN function needs to be reached at all (TF2's evaluate is given the
metrics of the learner's make_metrics): graded as a second pair, with and without the NaNs."""

_MARKS = {
    "pytorch": [pytest.mark.torch],
    "tf2": [pytest.mark.tensorflow],
    "tf1": [pytest.mark.tensorflow],
    "bridge": [pytest.mark.torch, pytest.mark.tensorflow],
}
ASSIGNMENTS = [pytest.param(a, marks=m, id=a) for a, m in _MARKS.items()]

_GRADED: dict[str, dict[str, SubmissionResult]] = {}


def stub_code(assignment: str) -> str:
    notebook = ROOT / get_assignment(assignment).notebook
    return extract(read_submission(notebook)).code


def _pairs(results: dict[str, SubmissionResult]) -> list[tuple[str, str]]:
    """(baseline, with NaN functions) pairs of submissions graded."""
    return [(b, f"{b}+nan") for b in ("stub", "support") if b in results]


@pytest.fixture
def graded(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """``graded(assignment)``: the plain stubs, the stubs with NaN functions and, where there is
    support code, both again with it; graded once a session."""

    def get(assignment: str) -> dict[str, SubmissionResult]:
        if assignment not in _GRADED:
            stub = stub_code(assignment)
            bases = {"stub": stub}
            if assignment in SUPPORT:
                bases["support"] = stub + SUPPORT[assignment]
            sources = dict(bases)
            for name, code in bases.items():
                sources[f"{name}+nan"] = code + NAN_FUNCTIONS[assignment]
            tmp = tmp_path_factory.mktemp(f"nan-{assignment}")
            _GRADED[assignment] = grade_sources(sources, tmp, assignment)
        return _GRADED[assignment]

    return get


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_nan_earns_no_more_than_the_stub(graded, assignment):
    """Does answering NaN score no more than the plain stubs (with the same support code), test
    by test?"""
    results = graded(assignment)
    assert results["stub"].score == 0
    for base, with_nan in _pairs(results):
        baseline, nan = results[base], results[with_nan]
        assert len(nan.tests) == len(baseline.tests)
        scores = {t.name: t.score for t in baseline.tests}
        gained = [(t.name, t.message) for t in nan.tests if t.score > scores[t.name]]
        assert gained == [], with_nan
        assert nan.score <= baseline.score


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_nan_feedback_names_nan(graded, assignment):
    """Do the tests of the NaN-returning functions say that a NaN came back?"""
    results = graded(assignment)
    nan = results[_pairs(results)[-1][1]]
    by_name = {t.name: t for t in nan.tests}
    for name in NAMES_NAN[assignment]:
        assert "nan (not a number)" in by_name[name].message, (name, by_name[name].message)
