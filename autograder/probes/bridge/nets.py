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


def init_weights(net: dict[str, Any], seed: int) -> list[tuple[str, np.ndarray]]:
    """PyTorch-layout parameters of ``net`` (``nn.Sequential`` names, ``state_dict`` order),
    drawn like PyTorch's default initialisation (uniform, bound 1/sqrt(fan_in)), from the
    test's seed: the PyTorch and the TensorFlow worker and the grader all draw the same weights,
    and no answer carries over from one submission's grading to another's."""
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


def batch(net: dict[str, Any], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """An NCHW float32 batch and int64 labels for ``net``."""
    rng = np.random.default_rng([seed, 1])
    classes = [size for kind, size in net["layers"] if kind == "dense"][-1]
    x = rng.normal(size=(net["batch"], *net["input"])).astype(np.float32)
    return x, rng.integers(0, classes, net["batch"]).astype(np.int64)


# -- the inputs of the other bridge probes, drawn from the probe's seed --------------------------
# Each probe draws with ``ctx.rng`` (``np.random.default_rng(seed)``); the grader draws the same
# from the test's seed, so every verdict checks against inputs it made itself, never against
# inputs an observation reports.


def layout_batches(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """An NCHW and an NHWC float32 batch with N, C, H, W all different."""
    nchw = rng.normal(size=(2, 3, 4, 5)).astype(np.float32)
    return nchw, rng.normal(size=(2, 4, 5, 3)).astype(np.float32)


CHANNELS_LAST_CONVS = ((3, 4), (4, 5))
"""(in, out) of the two 3x3 "same" convolutions (ReLU between) of the channels-last probe."""


def channels_last_case(rng: np.random.Generator) -> tuple[np.ndarray, list[np.ndarray]]:
    """The channels-last probe's NCHW batch and its convolutions' [weight, bias, weight, bias]."""
    x = rng.normal(size=(2, 3, 6, 7)).astype(np.float32)
    params: list[np.ndarray] = []
    for c_in, c_out in CHANNELS_LAST_CONVS:
        bound = 1.0 / np.sqrt(c_in * 9)
        params.append(rng.uniform(-bound, bound, (c_out, c_in, 3, 3)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, c_out).astype(np.float32))
    return x, params


def parity_cases(rng: np.random.Generator) -> dict[str, dict[str, dict[str, Any]]]:
    """Three results per case for ``parity_report``: "agree" (differences of known, distinct
    sizes, all within tolerance), "grads_off" and "loss_off" (one quantity beyond it). Float64,
    so that the nudges are exact."""
    h, w, c = feature_shape(PARITY_NET)
    shapes = [(3, 3, 3, 4), (4,), (h * w * c, 7), (7,)]
    logits = rng.normal(size=(PARITY_NET["batch"], 7))
    loss = float(rng.uniform(1.0, 3.0))
    grads = [rng.normal(scale=0.1, size=shape) for shape in shapes]

    def nudged(*changes: tuple[str, float, int]) -> dict[str, Any]:
        out_logits, out_grads, out_loss = logits.copy(), [g.copy() for g in grads], loss
        for key, size, at in changes:
            if key == "logits":
                out_logits.flat[at] += size
            elif key == "grads":
                out_grads[at].flat[-1] += size
            else:
                out_loss += size
        return {"logits": out_logits, "loss": out_loss, "grads": out_grads}

    # in "agree" the largest logits difference is between tf2 and tf1 (5e-7), not with PyTorch
    return {
        "agree": {
            "pytorch": nudged(),
            "tf2": nudged(("logits", 3e-7, 4)),
            "tf1": nudged(("logits", -2e-7, 4), ("grads", -2e-7, 2)),
        },
        "grads_off": {"pytorch": nudged(), "tf2": nudged(), "tf1": nudged(("grads", 2e-3, 0))},
        "loss_off": {"pytorch": nudged(("loss", 5e-5, 0)), "tf2": nudged(), "tf1": nudged()},
    }  # fmt: skip


PARITY_SCALES = {"tight": 1e-3, "loose": 1e4}
"""parity_report is also asked with the given tolerances scaled by these: "agree" is not within
tolerances a thousand times tighter, every case is within ten thousand times looser, so a report
whose ``ok`` ignores its ``tolerances`` argument shows."""


def scaled_tolerances(tolerances: dict[str, float], scale: float) -> dict[str, float]:
    return {k: float(v) * scale for k, v in tolerances.items()}


def accumulation_problem(
    rng: np.random.Generator, n: int, d: int = 7, classes: int = 5
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Inputs (n, d), labels, and the linear model's starting weight (classes, d) and bias."""
    x = rng.normal(size=(n, d)).astype(np.float32)
    y = rng.integers(0, classes, n).astype(np.int64)
    w0 = rng.uniform(-0.4, 0.4, (classes, d)).astype(np.float32)
    return x, y, w0, rng.uniform(-0.4, 0.4, classes).astype(np.float32)


def stale_grads(net: dict[str, Any], seed: int) -> list[tuple[str, np.ndarray]]:
    """Gradients the parity probe leaves on the PyTorch model before ``forward_backward_torch``
    (as an earlier backward would): "the gradients for one batch" must not include them."""
    rng = np.random.default_rng([seed, 41])
    return [
        (name, rng.normal(scale=0.05, size=w.shape).astype(np.float32))
        for name, w in init_weights(net, seed)
    ]


def place_values(rng: np.random.Generator) -> np.ndarray:
    """The (3, 2) float32 values of the tensor the placement probes move."""
    return rng.normal(size=(3, 2)).astype(np.float32)


PLACE_MODULE_SHAPES = ((3, 2), (3,), (1, 3), (1,))
"""Parameter shapes of the module the PyTorch placement probe moves: Linear(2, 3), ReLU,
Linear(3, 1), in ``parameters()`` order."""


def place_module_values(rng: np.random.Generator) -> list[np.ndarray]:
    """That module's float32 parameters, drawn after :func:`place_values` from the same rng."""
    return [rng.normal(size=s).astype(np.float32) for s in PLACE_MODULE_SHAPES]
