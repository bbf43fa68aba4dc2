"""Verdicts of TF1 batch norm in a graph (grader side, numpy only): every expected value is
recomputed from the seed (``instances.bn_batch``, ``instances.bn_dense_problem``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograder.hidden.base import Verdict, failed, passed
from autograder.hidden.common import numerics as num
from autograder.probes.common import instances as inst

_TOL = {"atol": 1e-4, "rtol": 1e-4}
_UPDATES_NOT_RUN = (
    "Likely cause: optimizer.minimize(loss) without "
    "tf1.control_dependencies(tf1.get_collection(tf1.GraphKeys.UPDATE_OPS)): the update ops "
    "are in the graph, but nothing runs them"
)


def _normalised(x: np.ndarray, mean: np.ndarray, var: np.ndarray) -> np.ndarray:
    return (x - mean) / np.sqrt(var + inst.BN_EPSILON)


def _batch_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    axes = tuple(range(x.ndim - 1))
    return x.mean(axis=axes), x.var(axis=axes)


def _output_problem(obs: dict[str, Any], key: str, x: np.ndarray) -> str | None:
    got = np.asarray(obs[key])
    if got.shape != x.shape:
        return f"batch_norm returned shape {got.shape} for h of shape {x.shape}: expected h's shape"
    return num.non_finite_message("batch_norm", got, "normalising a batch")


def batch_norm_modes(obs: dict[str, Any], seed: int) -> Verdict:
    """Training mode normalises with the batch's per-channel mean and biased variance, inference
    (before any update) with the initial moving statistics 0 and 1; gamma and beta trainable,
    the moving statistics not."""
    x = inst.bn_batch(seed).astype(np.float64)
    for key in ("training", "inference"):
        if problem := _output_problem(obs, key, x):
            return failed(problem)
    mean, var = _batch_stats(x)
    want_train = _normalised(x, mean, var)
    want_infer = _normalised(x, np.zeros(4), np.ones(4))
    got_train, got_infer = np.asarray(obs["training"]), np.asarray(obs["inference"])
    if not num.close(got_train, want_train, **_TOL):
        if num.close(got_train, want_infer, **_TOL):
            return failed(
                "with training fed True, batch_norm normalised with the moving statistics (mean 0, "
                "variance 1 before any update), not the batch's. Likely cause: the training flag "
                "ignored or inverted (training uses the batch's mean and variance)"
            )
        flat = x.reshape(-1)
        if num.close(got_train, (x - flat.mean()) / np.sqrt(flat.var() + inst.BN_EPSILON), **_TOL):
            return failed(
                "batch_norm normalised with one mean and variance over every axis, channels "
                "included: the statistics are per channel (every axis but the last)"
            )
        unbiased = var * x[..., 0].size / (x[..., 0].size - 1)
        if num.close(got_train, _normalised(x, mean, unbiased), **_TOL):
            return failed(
                "batch_norm used the unbiased (n - 1) variance: the docstring asks for the biased "
                "one, as tf.nn.moments gives it"
            )
        return failed(
            "with training fed True, expected (h - batch mean) / sqrt(batch variance + epsilon) "
            "per channel, with gamma 1 and beta 0 at the start (and the epsilon argument); "
            f"observed values off by up to {float(np.max(np.abs(got_train - want_train))):.3g}"
        )
    if not num.close(got_infer, want_infer, **_TOL):
        if num.close(got_infer, want_train, **_TOL):
            return failed(
                "with training fed False, batch_norm normalised with the batch's own statistics: "
                "inference must use the moving mean and variance (else a prediction depends on "
                "the rest of its batch). Likely cause: the training flag ignored"
            )
        return failed(
            "with training fed False and no update run yet, expected h / sqrt(1 + epsilon) (moving "
            "mean 0, moving variance 1); observed values off by up to "
            f"{float(np.max(np.abs(got_infer - want_infer))):.3g}"
        )
    trainable = set(obs["trainable"])
    if trainable & {"moving_mean", "moving_variance"}:
        return failed(
            "the moving statistics are trainable variables: the optimizer would change them "
            "(create them with trainable=False)"
        )
    if not {"gamma", "beta"} <= trainable:
        return failed(f"expected trainable gamma and beta in scope 'bn'; found {sorted(trainable)}")
    return passed("training uses the batch's statistics, inference the moving ones")


def batch_norm_update_ops(obs: dict[str, Any], seed: int) -> Verdict:
    """The ops batch_norm put in UPDATE_OPS, run once on the seed batch, move the moving
    statistics to ``momentum * initial + (1 - momentum) * batch``; inference then uses them."""
    if obs["updates"] == 0:
        return failed(
            "batch_norm put no op in tf1.GraphKeys.UPDATE_OPS, so nothing can update the moving "
            "statistics: inference normalises with mean 0 and variance 1 forever. Likely cause: "
            "the assign ops made but not added with tf1.add_to_collection(tf1.GraphKeys."
            "UPDATE_OPS, op)"
        )
    missing = [n for n in ("moving_mean", "moving_variance") if n not in obs["moving"]]
    if missing:
        return failed(
            f"no variable {', '.join('bn/' + n for n in missing)}: expected moving_mean and "
            f"moving_variance in variable scope 'bn'; found {sorted(obs['variables'])[:8]}"
        )
    x = inst.bn_batch(seed).astype(np.float64)
    mean, var = _batch_stats(x)
    m = inst.BN_MOMENTUM
    got_mean = np.asarray(obs["moving"]["moving_mean"], np.float64)
    got_var = np.asarray(obs["moving"]["moving_variance"], np.float64)
    want_mean, want_var = (1 - m) * mean, m + (1 - m) * var
    if not (num.close(got_mean, want_mean, **_TOL) and num.close(got_var, want_var, **_TOL)):
        if num.close(got_mean, m * mean, **_TOL) and num.close(got_var, (1 - m) + m * var, **_TOL):
            return failed(
                "momentum and 1 - momentum swapped: moving = momentum * moving + (1 - momentum) "
                "* batch keeps most of the old value each step"
            )
        flat = x.reshape(-1)
        if num.close(got_mean, (1 - m) * flat.mean(), **_TOL):
            return failed(
                "the update ops moved every channel's statistics towards one mean and variance "
                "over every axis, channels included: the statistics are per channel"
            )
        if num.close(got_mean, np.zeros(4), atol=1e-7) and num.close(
            got_var, np.ones(4), atol=1e-7
        ):
            return failed(
                "running the ops in UPDATE_OPS left the moving mean and variance at 0 and 1: "
                "they must assign the moved values to the variables"
            )
        return failed(
            f"after one run of the update ops (momentum {m}), expected moving mean "
            f"{np.round(want_mean, 3).tolist()} and variance {np.round(want_var, 3).tolist()}; "
            f"observed {np.round(got_mean, 3).tolist()} and {np.round(got_var, 3).tolist()} "
            "(the momentum argument ignored?)"
        )
    if problem := _output_problem(obs, "inference_after", x):
        return failed(problem)
    if not num.close(obs["inference"], _normalised(x, np.zeros(4), np.ones(4)), **_TOL):
        # inference ignored the moving statistics before the update too: batch_norm_modes
        # grades that mistake; this test grades only the updates
        return passed("the update ops move the moving statistics")
    if not num.close(obs["inference_after"], _normalised(x, got_mean, got_var), **_TOL):
        return failed(
            "after the update, inference did not normalise with the updated moving statistics"
        )
    return passed("the update ops move the moving statistics; inference uses them")


def train_op_runs_update_ops(obs: dict[str, Any], seed: int) -> Verdict:
    """One run of the learner's op on a trusted graph: the trusted batch norm's moving
    statistics moved once, and the dense weights took one gradient-descent step (both
    recomputed)."""
    x, y, weight, bias = (a.astype(np.float64) if a.dtype.kind == "f" else a
                          for a in inst.bn_dense_problem(seed))  # fmt: skip
    m, lr = inst.BN_MOMENTUM, inst.BN_LR
    mean, var = _batch_stats(x)
    normed = _normalised(x, mean, var)
    grad = num.ce_grad(normed @ weight + bias, y)  # d(mean loss)/d(logits)
    want_w, want_b = weight - lr * normed.T @ grad, bias - lr * grad.sum(axis=0)
    got_mean, got_var = (np.asarray(obs[k], np.float64) for k in ("moving_mean", "moving_variance"))
    if got_mean.shape != mean.shape or np.asarray(obs["w"]).shape != weight.shape:
        return failed("the trusted graph's variables changed shape")
    if num.close(got_mean, np.zeros_like(mean), atol=1e-7) and num.close(
        got_var, np.ones_like(var), atol=1e-7
    ):
        return failed(
            "after one run of the training op the moving mean and variance are still 0 and 1: "
            f"batch norm's update ops did not run with it. {_UPDATES_NOT_RUN}"
        )
    if not (
        num.close(got_mean, (1 - m) * mean, **_TOL)
        and num.close(got_var, m + (1 - m) * var, **_TOL)
    ):
        return failed(
            "one run of the training op should run each update op once; the moving statistics "
            "moved by another amount (run twice, or an update op of your own?)"
        )
    if num.close(obs["w"], weight, atol=1e-7):
        return failed(
            "the training op ran the update ops but took no optimizer step (the weights did not "
            "change): return the op of optimizer.minimize(loss), made inside "
            "tf1.control_dependencies(update_ops)"
        )
    if not (num.close(obs["w"], want_w, **_TOL) and num.close(obs["b"], want_b, **_TOL)):
        return failed(
            "the weights after one run are not one step of the given optimizer on the given loss "
            "(another optimizer or loss, or several steps?)"
        )
    return passed("one run: one optimizer step and one update of the moving statistics")
