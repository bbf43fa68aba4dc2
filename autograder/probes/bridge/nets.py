"""The small networks the bridge tests use, described as plain data, and the PyTorch -> Keras
weight conversion in numpy. Trusted code: imported by both workers and by the grader; no
framework import here (each worker builds the networks with its own framework)."""

from __future__ import annotations

from typing import Any

import numpy as np

Layer = tuple[str, int]
"""``("conv", out_channels)`` (3x3, stride 1, zero padding 1 / "same"), ``("relu", 0)``,
``("pool", 0)`` (2x2 max pool), ``("flatten", 0)``, ``("dense", out_features)``."""

# Asymmetric shapes (N, C, H, W all different) so that no layout mistake passes by luck.
PORT_NETS: list[dict[str, Any]] = [
    {
        "batch": 5,
        "input": (3, 6, 10),
        "layers": [("conv", 4), ("relu", 0), ("pool", 0), ("conv", 7), ("relu", 0),
                   ("flatten", 0), ("dense", 9), ("relu", 0), ("dense", 6)],
    },
    {
        "batch": 3,
        "input": (2, 5, 4),
        "layers": [("conv", 6), ("relu", 0), ("flatten", 0), ("dense", 7)],
    },
]  # fmt: skip
PARITY_NET: dict[str, Any] = {
    "batch": 5,
    "input": (3, 6, 8),
    "layers": [("conv", 4), ("relu", 0), ("pool", 0), ("flatten", 0), ("dense", 7)],
}
"""conv -> ReLU -> max-pool -> flatten -> dense: what ``forward_backward_tf1`` builds by hand."""


def feature_shape(net: dict[str, Any]) -> tuple[int, int, int]:
    """(H, W, C) of the feature map that enters the flatten layer (Keras order)."""
    c, h, w = net["input"]
    for kind, size in net["layers"]:
        if kind == "flatten":
            break
        if kind == "conv":
            c = size
        elif kind == "pool":
            h, w = h // 2, w // 2
    return h, w, c


def torch_to_keras(weights: list[tuple[str, np.ndarray]], net: dict[str, Any]) -> list[np.ndarray]:
    """PyTorch parameters (``state_dict`` order) -> Keras ``get_weights()`` order and layouts:
    conv OIHW -> HWIO, linear (out, in) -> (in, out), and for the first linear layer after the
    flatten, rows re-ordered from PyTorch's (C, H, W) flattening to Keras' (H, W, C)."""
    h, w, c = feature_shape(net)
    out: list[np.ndarray] = []
    dense_seen = 0
    for _, array in weights:
        a = np.asarray(array)
        if a.ndim == 4:
            out.append(a.transpose(2, 3, 1, 0))
        elif a.ndim == 2:
            if dense_seen == 0:
                a = a.reshape(a.shape[0], c, h, w).transpose(0, 2, 3, 1).reshape(a.shape[0], -1)
            dense_seen += 1
            out.append(a.T)
        else:
            out.append(a)
    return [np.ascontiguousarray(a) for a in out]


NET_SEED = 20261127
"""Weights and batches come from this seed, in numpy, so the PyTorch and the TensorFlow worker
build the very same networks without passing arrays between them."""


def init_weights(net: dict[str, Any], seed: int = NET_SEED) -> list[tuple[str, np.ndarray]]:
    """PyTorch-layout parameters of ``net`` (``nn.Sequential`` names, ``state_dict`` order),
    drawn like PyTorch's default initialisation (uniform, bound 1/sqrt(fan_in))."""
    rng = np.random.default_rng(seed)
    c, h, w = net["input"]
    weights: list[tuple[str, np.ndarray]] = []
    features = 0
    for index, (kind, size) in enumerate(net["layers"]):
        if kind == "conv":
            shape: tuple[int, ...] = (size, c, 3, 3)
            c = size
        elif kind == "dense":
            shape = (size, features)
            features = size
        else:
            if kind == "pool":
                h, w = h // 2, w // 2
            elif kind == "flatten":
                features = c * h * w
            continue
        bound = 1.0 / np.sqrt(np.prod(shape[1:]))
        weights.append((f"{index}.weight", rng.uniform(-bound, bound, shape).astype(np.float32)))
        weights.append((f"{index}.bias", rng.uniform(-bound, bound, shape[0]).astype(np.float32)))
    return weights


def batch(net: dict[str, Any], seed: int = NET_SEED) -> tuple[np.ndarray, np.ndarray]:
    """An NCHW float32 batch and int64 labels for ``net``."""
    rng = np.random.default_rng([seed, 1])
    classes = [size for kind, size in net["layers"] if kind == "dense"][-1]
    x = rng.normal(size=(net["batch"], *net["input"])).astype(np.float32)
    return x, rng.integers(0, classes, net["batch"]).astype(np.int64)
