"""The bridge networks' forward and backward pass, in numpy, in the grader: the reference the
port and parity verdicts compare with. It lives with the hidden tests, so no worker (and no
learner code) has it or could answer in its place; float64 throughout.

The layers are those of ``nets.Layer``: 3x3 convolution with stride 1 and zero padding 1, ReLU,
2x2 max pool (floor), flatten in PyTorch's (C, H, W) order, dense ``x @ W.T + b``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder.hidden.common.numerics import ce_grad, cross_entropy
from autograder.probes.bridge import nets


@dataclass(frozen=True)
class Pass:
    """One forward and backward pass: logits, mean cross-entropy and the gradient of every
    parameter, named and ordered as PyTorch's ``named_parameters()``."""

    logits: np.ndarray
    loss: float
    grads: list[tuple[str, np.ndarray]]


def _conv(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Output and the 3x3 windows of the padded input, (N, C, 3, 3, H, W)."""
    _, _, h, wd = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    windows = np.stack(
        [np.stack([padded[:, :, i : i + h, j : j + wd] for j in range(3)], 2) for i in range(3)],
        2,
    )
    return np.einsum("ncijhw,ocij->nohw", windows, w) + b[None, :, None, None], windows


def _conv_back(
    grad: np.ndarray, windows: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of the input, the kernel and the bias of ``_conv``."""
    _, _, h, wd = grad.shape
    grad_w = np.einsum("nohw,ncijhw->ocij", grad, windows)
    grad_padded = np.zeros((grad.shape[0], w.shape[1], h + 2, wd + 2))
    for i in range(3):
        for j in range(3):
            grad_padded[:, :, i : i + h, j : j + wd] += np.einsum(
                "nohw,oc->nchw", grad, w[:, :, i, j]
            )
    return grad_padded[:, :, 1:-1, 1:-1], grad_w, grad.sum(axis=(0, 2, 3))


def _pool(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2x2 max pool and the one-hot position of each window's maximum, (N, C, H/2, W/2, 4)."""
    n, c, h, w = x.shape
    h2, w2 = h // 2, w // 2
    blocks = x[:, :, : 2 * h2, : 2 * w2].reshape(n, c, h2, 2, w2, 2).transpose(0, 1, 2, 4, 3, 5)
    blocks = blocks.reshape(n, c, h2, w2, 4)
    where = np.eye(4)[blocks.argmax(axis=-1)]
    return blocks.max(axis=-1), where


def _pool_back(grad: np.ndarray, where: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    n, c, h2, w2 = grad.shape
    blocks = (grad[..., None] * where).reshape(n, c, h2, w2, 2, 2).transpose(0, 1, 2, 4, 3, 5)
    out = np.zeros(shape)
    out[:, :, : 2 * h2, : 2 * w2] = blocks.reshape(n, c, 2 * h2, 2 * w2)
    return out


def forward_backward(net: dict[str, Any], seed: int) -> Pass:
    """``net`` with the weights ``nets.init_weights(net, seed)`` on ``nets.batch(net, seed)``."""
    weights = dict(nets.init_weights(net, seed))
    x, y = nets.batch(net, seed)
    a: np.ndarray = x.astype(np.float64)
    tape: list[tuple[int, str, Any]] = []
    for index, (kind, _) in enumerate(net["layers"]):
        w = weights.get(f"{index}.weight", np.zeros(0)).astype(np.float64)
        b = weights.get(f"{index}.bias", np.zeros(0)).astype(np.float64)
        if kind == "conv":
            a, windows = _conv(a, w, b)
            tape.append((index, kind, (windows, w)))
        elif kind == "relu":
            tape.append((index, kind, a > 0))
            a = np.maximum(a, 0.0)
        elif kind == "pool":
            shape = a.shape
            a, where = _pool(a)
            tape.append((index, kind, (where, shape)))
        elif kind == "flatten":
            tape.append((index, kind, a.shape))
            a = a.reshape(len(a), -1)
        else:
            tape.append((index, kind, (a, w)))
            a = a @ w.T + b
    logits = a
    grad = ce_grad(logits, y)
    grads: dict[str, np.ndarray] = {}
    for index, kind, saved in reversed(tape):
        if kind == "conv":
            windows, w = saved
            grad, grads[f"{index}.weight"], grads[f"{index}.bias"] = _conv_back(grad, windows, w)
        elif kind == "relu":
            grad = grad * saved
        elif kind == "pool":
            grad = _pool_back(grad, *saved)
        elif kind == "flatten":
            grad = grad.reshape(saved)
        else:
            inputs, w = saved
            grads[f"{index}.weight"], grads[f"{index}.bias"] = grad.T @ inputs, grad.sum(axis=0)
            grad = grad @ w
    ordered = [(name, grads[name]) for name in weights]
    return Pass(logits, cross_entropy(logits, y), ordered)


def conv(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A 3x3 "same" convolution of an NCHW batch with an OIHW kernel (PyTorch's layouts)."""
    return _conv(x, w, b)[0]


def logits(net: dict[str, Any], seed: int) -> np.ndarray:
    return forward_backward(net, seed).logits
