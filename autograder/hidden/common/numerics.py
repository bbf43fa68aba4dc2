"""Reference computations in numpy, for verdicts in the grader (never imports torch)."""

from __future__ import annotations

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


def sgd_epoch(x, y, weight, bias, lr, batch_size, variant="correct"):  # noqa: ANN001, ANN201
    """Replay one epoch of SGD on a linear model, correctly or with a named mistake.

    variants: ``correct``; ``accumulate`` (gradients never zeroed within the epoch);
    ``zero_before_step`` (gradients zeroed between backward and step: nothing changes).
    Returns (weight, bias, per-batch losses, batch sizes).
    """
    xf = x.reshape(len(x), -1).astype(np.float64)
    w, b = weight.astype(np.float64).copy(), bias.astype(np.float64).copy()
    gw_acc, gb_acc = np.zeros_like(w), np.zeros_like(b)
    losses, sizes = [], []
    for sl in batches(len(x), batch_size):
        logits = xf[sl] @ w.T + b
        losses.append(cross_entropy(logits, y[sl]))
        sizes.append(sl.stop - sl.start)
        g = ce_grad(logits, y[sl])
        gw, gb = g.T @ xf[sl], g.sum(axis=0)
        if variant == "accumulate":
            gw_acc, gb_acc = gw_acc + gw, gb_acc + gb
            gw, gb = gw_acc, gb_acc
        if variant == "zero_before_step":
            continue
        w, b = w - lr * gw, b - lr * gb
    return w, b, np.array(losses), np.array(sizes)
