"""Are the NaN-safe comparisons of ``autograder/hidden/common/numerics.py`` right, and do the
verdicts built on them fail a non-finite observation with a message that names it?"""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograder.hidden.bridge import verdicts as bridge
from autograder.hidden.common import numerics as num
from autograder.hidden.common import verdicts_report as rep
from autograder.hidden.pytorch import verdicts_loop as loop
from autograder.hidden.pytorch import verdicts_nn as nn
from autograder.hidden.tf1 import verdicts_graph as tf1
from autograder.hidden.tf2 import verdicts_tf as tf2

NAN, INF = float("nan"), float("inf")
NON_FINITE = [NAN, INF, -INF]


@pytest.mark.parametrize("bad", [*NON_FINITE, None, "0.5", {"value": 0.5}, [0.5, None]])
def test_non_finite_or_non_numeric_is_never_close(bad):
    """Is NaN, ±inf, None or a non-number close to nothing, whatever the tolerance?"""
    assert not num.close(bad, 0.5, atol=1e9)
    assert not num.close(0.5, bad, atol=1e9)
    assert not num.finite(bad)


@pytest.mark.parametrize("bad", [*NON_FINITE, None])
def test_non_finite_is_within_no_bound(bad):
    """Does NaN (or ±inf, None) pass no threshold, in either direction?"""
    assert not num.at_least(bad, -1e300)
    assert not num.at_most(bad, 1e300)
    assert not num.above(bad, -1e300)


def test_finite_values_and_arrays():
    """Are ints, floats, bools, numpy scalars and arrays of them finite?"""
    for good in (0, 1.5, True, np.float32(2.0), [1.0, 2.0], np.zeros((2, 3))):
        assert num.finite(good)
    assert not num.finite(np.array([1.0, NAN, 3.0]))
    assert not num.finite(np.array([[1.0], [-INF]]))


def test_tolerances():
    """Are atol and rtol applied as |got - want| <= atol + rtol * |want|?"""
    assert num.close(1.0, 1.0)
    assert not num.close(1.0 + 1e-9, 1.0)
    assert num.close(1.00005, 1.0, atol=1e-4)
    assert not num.close(1.0002, 1.0, atol=1e-4)
    assert num.close(101.0, 100.0, rtol=0.01)
    assert not num.close(102.0, 100.0, rtol=0.01)
    assert num.close(1.5, 1.0, atol=0.25, rtol=0.25)
    assert not num.close(1.6, 1.0, atol=0.25, rtol=0.25)
    assert num.close(-1.00005, -1.0, atol=1e-4)


def test_arrays_compare_entry_by_entry():
    """Does one wrong or non-finite entry make an array not close, and a shape mismatch too?"""
    want = np.arange(6.0).reshape(2, 3)
    assert num.close(want + 1e-6, want, atol=1e-5)
    one_off = want.copy()
    one_off[1, 2] += 1
    assert not num.close(one_off, want, atol=1e-5)
    one_nan = want.copy()
    one_nan[0, 1] = NAN
    assert not num.close(one_nan, want, atol=1e9)
    assert not num.close(want.ravel(), want, atol=1e9)  # (6,) vs (2, 3)
    assert not num.close(want[:1], want, atol=1e9)  # (1, 3) would broadcast in np.allclose
    assert num.close([0.5, 0.5], 0.5)  # a scalar wanted of every entry
    assert not num.close(0.5, [0.5, 0.5])


def test_close_to_any():
    """Is a value close to one of several candidates, and NaN to none?"""
    assert num.close_to_any(2.0, (1.0, 2.0), atol=1e-9)
    assert not num.close_to_any(3.0, (1.0, 2.0), atol=1e-9)
    assert not num.close_to_any(NAN, (NAN, 1.0), atol=1e9)
    assert not num.close_to_any(1.0, (), atol=1e9)


def test_bounds():
    """Are at_least / at_most inclusive and above strict, for numbers and arrays?"""
    assert num.at_least(0.85, 0.85) and not num.at_least(0.8499, 0.85)
    assert num.at_most(1e-5, 1e-5) and not num.at_most(2e-5, 1e-5)
    assert num.above(1e-9, 0) and not num.above(0.0, 0)
    assert num.at_least([0.0, 1.0], 0) and not num.at_least([0.0, -1.0], 0)
    assert not num.at_least([0.0, NAN], 0)


@pytest.mark.parametrize(
    ("value", "named"),
    [
        (NAN, "returned nan (not a number) while"),
        (INF, "returned inf while"),
        (-INF, "returned -inf while"),
        (np.array([1.0, NAN, INF, 2.0]), "2 of 4 entries nan (not a number) / inf"),
    ],
)
def test_message_names_the_non_finite_value(value, named):
    """Does the message say which function gave what, doing what, and a likely cause?"""
    message = num.non_finite_message("`accuracy`", value, "computing accuracy of known logits")
    assert message is not None
    assert message.startswith("`accuracy` ")
    assert named in message
    assert "computing accuracy of known logits" in message
    assert "division by zero" in message


@pytest.mark.parametrize("value", [0.5, np.ones(3), None, "text"])
def test_no_message_for_finite_or_missing_values(value):
    """Is a finite value (or one other checks speak about) left without a NaN message?"""
    assert num.non_finite_message("`f`", value, "doing") is None


def test_first_non_finite_names_the_key():
    """Does the message for a dict name the key that was not finite?"""
    message = num.first_non_finite({"loss": 0.3, "accuracy": NAN}, "`evaluate`'s", "evaluating")
    assert message is not None and message.startswith("`evaluate`'s 'accuracy' is nan")
    assert num.first_non_finite({"loss": 0.3}, "`evaluate`'s", "evaluating") is None


# -- verdicts that let NaN through before --------------------------------------------------------


def _assert_fails_naming(verdict, name: str = "nan"):  # noqa: ANN001
    assert not verdict.passed, verdict
    assert name in verdict.message, verdict.message


@pytest.mark.parametrize("bad", NON_FINITE)
def test_pytorch_accuracy_non_finite(bad):
    """Does a NaN (or inf) accuracy fail with a message naming it (it passed before)?"""
    case = {"value": bad, "returned": {"kind": "float", "type": "builtins.float"}}
    verdict = nn.accuracy_value({"square": case, "wide": case}, 7)
    _assert_fails_naming(verdict, "nan" if math.isnan(bad) else "inf")
    assert "`accuracy`" in verdict.message


def test_report_of_nans():
    """Does a report whose values are all NaN fail, naming NaN?"""
    values = dict.fromkeys(rep.REPORT_KEYS, NAN)
    _assert_fails_naming(rep.report_values({"is_dict": True, "values": values}, 3))


def test_fit_learns_nan_accuracy():
    """Do NaN weights after fit (the grader computes the accuracy from them) fail saying so
    (not 'reached only nan%')?"""
    shapes = [(64, 64), (64,), (64, 10), (10,)]
    _assert_fails_naming(rep.fit_learns({"weights": [np.full(s, NAN) for s in shapes]}, 3))


@pytest.mark.parametrize("verdict", [nn.evaluate_values, tf2.evaluate_values, tf1.evaluate_values])
def test_evaluate_of_nans(verdict):
    """Does {'loss': nan, 'accuracy': nan} from evaluate fail, naming NaN, in every framework?"""
    obs = {"is_dict": True, "loss": NAN, "accuracy": NAN, "keys": ["loss", "accuracy"]}
    _assert_fails_naming(verdict(obs, 5))


def test_train_one_epoch_nan_loss():
    """Does a NaN mean training loss fail, naming NaN?"""
    obs = {"returned": {"kind": "float"}, "value": NAN, "weight": np.zeros((4, 3)), "bias": 0}
    _assert_fails_naming(loop.train_mean_loss(obs, 5))


def test_train_zero_grad_nan_weights():
    """Do parameters with a NaN entry fail with a message naming it?"""
    weight = np.zeros((4, 64))
    weight[1, 2] = NAN
    verdict = loop.train_zero_grad({"weight": weight, "bias": np.zeros(4)}, 5)
    _assert_fails_naming(verdict, "1 of 256 entries nan")


def test_tf1_logits_nan():
    """Do NaN logits fail the logits test instead of passing as 'not probabilities'?"""
    runs = {n: {"logits": np.full((int(n), 7), NAN)} for n in ("1", "5", "13", "26")}
    _assert_fails_naming(tf1.logits_shape({"runs": runs}, 5))


def test_bridge_parity_nan_gradient():
    """Does a NaN gradient in a parity result fail, naming which gradient?"""
    logits, grads = np.ones((2, 3)), [np.ones((3, 3)), np.ones(3)]
    got = {"logits": logits, "loss": 0.5, "grads": [grads[0], np.full(3, NAN)]}
    verdict = bridge._compare(got, logits, 0.5, grads, "forward_backward_torch")
    _assert_fails_naming(verdict, "`forward_backward_torch`'s grads 1 is an array")
    assert "nan" in verdict.message


def test_bridge_parity_report_nan():
    """Does a parity report of NaNs fail naming NaN (NaN was never 'above tolerance' before)?"""
    case = {"report": dict.fromkeys(("logits", "loss", "grads"), NAN), "ok": True}
    cases = dict.fromkeys(("agree", "grads_off", "loss_off"), case)
    tolerances = {"logits": 1e-5, "loss": 1e-6, "grads": 1e-5}
    _assert_fails_naming(bridge.parity_report({"cases": cases}, 0, tolerances))


def test_bridge_accumulation_nan_weights():
    """Do NaN weights after accumulation fail, naming NaN?"""
    obs = {"w": np.full((2, 3), NAN), "b": np.zeros(2), "loss": 0.5, "steps": 2}
    _assert_fails_naming(bridge.accumulation(obs, 0, k=2, micro=2, lr=0.1, windows=2))


def test_bridge_accumulation_nan_loss_with_right_updates():
    """Do right updates with a NaN returned loss keep half the points, as a wrong loss does,
    with a message naming NaN (a NaN loss passed before)?"""
    problem = bridge.accumulation_problem(0, k=2, micro=2, windows=2)
    w, b, _ = bridge.replay(problem, 2, 2, 0.1, "correct")
    verdict = bridge.accumulation(
        {"w": w, "b": b, "loss": NAN, "steps": 2}, 0, k=2, micro=2, lr=0.1, windows=2
    )
    _assert_fails_naming(verdict)
    assert verdict.fraction == 0.5


def test_descends_is_against_the_gradient_and_nan_safe():
    from autograder.hidden.common import numerics as nm

    grad = [0.5, -0.2, 1e-5]
    assert nm.descends([-0.05, 0.02, 0.3], grad)  # the flat entry does not count
    assert not nm.descends([0.01, 0.01, 0.01], grad)
    assert not nm.descends([float("nan"), 0.02, 0.0], grad)
    assert not nm.descends([-0.05, 0.02], grad)
