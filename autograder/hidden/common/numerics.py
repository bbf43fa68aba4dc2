"""Reference computations in numpy, for verdicts in the grader (never imports torch)."""

from __future__ import annotations

from typing import Any

import numpy as np


def log_softmax(logits: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64)
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def softmax(logits: np.ndarray) -> np.ndarray:
    return np.exp(log_softmax(logits))


def per_sample_cross_entropy(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    return -log_softmax(logits)[np.arange(len(targets)), targets]


def cross_entropy(logits: np.ndarray, targets: np.ndarray, reduction: str = "mean") -> float:
    per_sample = per_sample_cross_entropy(logits, targets)
    return float(per_sample.sum() if reduction == "sum" else per_sample.mean())


def ce_grad(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """d mean-CE / d logits."""
    grad = softmax(logits)
    grad[np.arange(len(targets)), targets] -= 1.0
    return grad / len(targets)


def batches(n: int, batch_size: int) -> list[slice]:
    return [slice(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]


def sgd_epoch(x, y, weight, bias, lr, batch_size, variant="correct", gain=1.0):  # noqa: ANN001, ANN201
    """Replay one epoch of SGD on a linear model whose logits are scaled by ``gain`` (the spy
    models' mode factor), correctly or with a named mistake.

    variants: ``correct``; ``accumulate`` (gradients never zeroed within the epoch);
    ``zero_before_step`` (gradients zeroed between backward and step: nothing changes).
    Returns (weight, bias, per-batch losses, batch sizes).
    """
    xf = x.reshape(len(x), -1).astype(np.float64)
    w, b = weight.astype(np.float64).copy(), bias.astype(np.float64).copy()
    gw_acc, gb_acc = np.zeros_like(w), np.zeros_like(b)
    losses, sizes = [], []
    for sl in batches(len(x), batch_size):
        logits = gain * (xf[sl] @ w.T + b)
        losses.append(cross_entropy(logits, y[sl]))
        sizes.append(sl.stop - sl.start)
        g = gain * ce_grad(logits, y[sl])
        gw, gb = g.T @ xf[sl], g.sum(axis=0)
        if variant == "accumulate":
            gw_acc, gb_acc = gw_acc + gw, gb_acc + gb
            gw, gb = gw_acc, gb_acc
        if variant == "zero_before_step":
            continue
        w, b = w - lr * gw, b - lr * gb
    return w, b, np.array(losses), np.array(sizes)


# -- NaN-safe comparisons of observed values ---------------------------------------------------
# Every comparison with NaN is False, so ``abs(got - want) > tol`` lets NaN through and
# ``got >= 0.85`` quietly rejects it without saying why. Verdicts compare observed values only
# through these helpers: a non-finite, missing or non-numeric value is never close, never above
# a bound, and :func:`non_finite_message` says what was returned.

LIKELY_NON_FINITE = "a division by zero, a log of 0, an empty batch, or updates that diverged"


def _numeric(x: Any) -> np.ndarray | None:
    """``x`` as a float64 array, or None when it is None, not numeric, or ragged."""
    if x is None or isinstance(x, str | bytes | dict):
        return None
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError):
        return None
    if arr.dtype.kind not in "biuf":
        return None
    return arr.astype(np.float64)


def finite(x: Any) -> bool:
    """Is ``x`` a number, or an array of numbers, with every entry finite (no NaN, no ±inf)?"""
    return _finite_array(x) is not None


def close(got: Any, want: Any, *, atol: float = 0.0, rtol: float = 0.0) -> bool:
    """Is ``got`` within ``atol + rtol * |want|`` of ``want``, entry by entry?

    False when ``got`` is None, not numeric, not finite, or of another shape than ``want``
    (a scalar ``want`` is compared with every entry of ``got``).
    """
    g, w = _finite_array(got), _finite_array(want)
    if g is None or w is None:
        return False
    if w.ndim and g.shape != w.shape:
        return False
    return bool(np.all(np.abs(g - w) <= atol + rtol * np.abs(w)))


def close_to_any(got: Any, wants: Any, *, atol: float = 0.0, rtol: float = 0.0) -> bool:
    """Is ``got`` :func:`close` to at least one of ``wants``?"""
    return any(close(got, w, atol=atol, rtol=rtol) for w in wants)


def _finite_array(x: Any) -> np.ndarray | None:
    arr = _numeric(x)
    return arr if arr is not None and bool(np.all(np.isfinite(arr))) else None


def at_least(got: Any, bound: float) -> bool:
    """Is ``got`` finite and ``>= bound`` (every entry, for an array)?"""
    arr = _finite_array(got)
    return arr is not None and bool(np.all(arr >= bound))


def at_most(got: Any, bound: float) -> bool:
    """Is ``got`` finite and ``<= bound`` (every entry, for an array)?"""
    arr = _finite_array(got)
    return arr is not None and bool(np.all(arr <= bound))


def above(got: Any, bound: float) -> bool:
    """Is ``got`` finite and strictly ``> bound`` (every entry, for an array)?"""
    arr = _finite_array(got)
    return arr is not None and bool(np.all(arr > bound))


def _describe_non_finite(x: Any) -> str | None:
    """``"nan (not a number)"``, ``"inf"``, ``"an array with 2 of 12 entries nan"``...; None when
    ``x`` is missing, not numeric, or finite (other checks speak about those)."""
    arr = _numeric(x)
    if arr is None or bool(np.all(np.isfinite(arr))):
        return None
    if arr.ndim == 0:
        value = float(arr)
        return "nan (not a number)" if np.isnan(value) else ("inf" if value > 0 else "-inf")
    kinds = [
        name
        for name, mask in (
            ("nan (not a number)", np.isnan(arr)),
            ("inf", np.isposinf(arr)),
            ("-inf", np.isneginf(arr)),
        )
        if mask.any()
    ]
    bad = int((~np.isfinite(arr)).sum())
    shape = list(arr.shape)
    return f"an array of shape {shape} with {bad} of {arr.size} entries {' / '.join(kinds)}"


def non_finite_message(what: str, value: Any, doing: str, verb: str = "returned") -> str | None:
    """A message for a non-finite observed ``value``, or None when it is finite (or missing).

    ``what`` names the value (a function: "`accuracy`", or a value with ``verb="is"``).

    >>> non_finite_message("`accuracy`", float("nan"), "computing accuracy of known logits")[:60]
    '`accuracy` returned nan (not a number) while computing accur'
    """
    description = _describe_non_finite(value)
    if description is None:
        return None
    return (
        f"{what} {verb} {description} while {doing}: a finite number was expected "
        f"(likely cause: {LIKELY_NON_FINITE})"
    )


def first_non_finite(values: dict[str, Any], what: str, doing: str) -> str | None:
    """The message for the first non-finite value of ``values`` (named ``what key``), if any."""
    for key, value in values.items():
        message = non_finite_message(f"{what} {key!r}", value, doing, verb="is")
        if message:
            return message
    return None


def descends(step: Any, grad: Any, *, min_grad: float = 1e-3, share: float = 0.9) -> bool:
    """Does ``step`` move against ``grad`` for at least ``share`` of the entries whose gradient
    is steeper than ``min_grad`` (True when none is)? False when either is not finite or their
    shapes differ."""
    s, g = _finite_array(step), _finite_array(grad)
    if s is None or g is None or s.shape != g.shape:
        return False
    steep = np.abs(g) > min_grad
    return bool(not steep.any() or np.mean(np.sign(s[steep]) == -np.sign(g[steep])) >= share)


def evaluation_means(
    logits: np.ndarray, targets: np.ndarray, batch_size: int
) -> tuple[tuple[float, float], tuple[float, float]]:
    """(loss, accuracy) of ``logits`` against ``targets``: the exact means over samples, and the
    means of per-batch means (batches of ``batch_size``, the mistake evaluate tests name)."""
    losses = per_sample_cross_entropy(logits, targets)
    correct = (logits.argmax(1) == targets).astype(np.float64)
    slices = batches(len(targets), batch_size)
    exact = (float(losses.mean()), float(correct.mean()))
    of_batches = (
        float(np.mean([losses[s].mean() for s in slices])),
        float(np.mean([correct[s].mean() for s in slices])),
    )
    return exact, of_batches


def from_outputs(
    loss: Any,
    accuracy: Any,
    means: tuple[tuple[float, float], tuple[float, float]],
    *,
    accuracy_atol: float,
) -> bool:
    """Is ``loss`` or ``accuracy`` one of ``means`` (:func:`evaluation_means`), i.e. computed from
    the model's outputs? An accuracy counts only when the true one is not 0 (a constant 0 is no
    evidence)."""
    exact, of_batches = means
    return close_to_any(loss, (exact[0], of_batches[0]), atol=1e-4) or (
        exact[1] > 0 and close_to_any(accuracy, (exact[1], of_batches[1]), atol=accuracy_atol)
    )
