"""Practice checks for assignment 4 (the bridge): fresh random instances on every call."""

from __future__ import annotations

from typing import Any

import numpy as np

from course_utils.checks.bridge import twin_cnns
from course_utils.checks.runner import need
from course_utils.practice import common
from course_utils.practice.common import as_numpy, attempt, fail, log_softmax


def _distinct(rng: np.random.Generator, count: int = 4) -> list[int]:
    return [int(v) for v in rng.choice(np.arange(2, 9), size=count, replace=False)]


def _layouts(ns: dict[str, Any], rng: np.random.Generator) -> str:
    import tensorflow as tf
    import torch

    n, c, h, w = _distinct(rng)
    x = rng.normal(size=(n, c, h, w)).astype(np.float32)
    want = x.transpose(0, 2, 3, 1)
    for kind, wrap in (("numpy", np.asarray), ("torch", torch.from_numpy), ("tf", tf.constant)):
        got = as_numpy(
            attempt(
                need(ns, "nchw_to_nhwc"),
                wrap(x),
                expected=f"a {kind} (N, H, W, C)",
                cause="an op of another framework on this kind of array",
            )
        )
        if got.shape != want.shape:
            raise fail(f"shape {want.shape} from {kind} {x.shape}", f"{got.shape}", "wrong axes")
        if not np.array_equal(got, want):
            cause = (
                "a reshape (it keeps the memory order) instead of a permutation"
                if np.array_equal(got, x.reshape(want.shape))
                else "a permutation with the wrong axes"
            )
            raise fail(f"x[n, c, h, w] at [n, h, w, c] ({kind})", "values elsewhere", cause)
        back = as_numpy(need(ns, "nhwc_to_nchw")(wrap(np.ascontiguousarray(want))))
        if not np.array_equal(back, x):
            raise fail(
                f"nhwc_to_nchw to undo nchw_to_nhwc ({kind})",
                "another array",
                "the axes (0, 3, 1, 2)",
            )
    return f"numpy, torch and tf {x.shape} <-> {want.shape}"


def _channels_last(ns: dict[str, Any], rng: np.random.Generator) -> str:
    import torch

    n, c, h, w = _distinct(rng)
    x = torch.from_numpy(rng.normal(size=(n, c, h, w)).astype(np.float32))
    model = torch.nn.Conv2d(c, int(rng.integers(2, 6)), 3, padding=1)
    _, y = need(ns, "to_channels_last")(model, x)
    if tuple(y.shape) != (n, c, h, w):
        raise fail(
            f"logical shape {(n, c, h, w)}",
            f"{tuple(y.shape)}",
            "a permute instead of a memory format change",
        )
    if not y.is_contiguous(memory_format=torch.channels_last):
        raise fail("NHWC strides", f"strides {y.stride()}", "the memory format was not changed")
    return f"{(n, c, h, w)} kept, strides {y.stride()}"


def _port(ns: dict[str, Any], rng: np.random.Generator) -> str:
    import torch

    c, h, w = int(rng.integers(1, 4)), 2 * int(rng.integers(2, 5)), 2 * int(rng.integers(2, 5))
    while w == h:
        w += 2
    f, hidden, classes = (int(v) for v in rng.integers(2, 7, size=3))
    torch.manual_seed(int(rng.integers(2**31)))
    # no ReLU between the dense layers: a few dead units could hide a bad port
    torch_model, keras_model = twin_cnns((c, h, w), f, classes, hidden=hidden)
    weights = {k: v.detach().numpy() for k, v in torch_model.state_dict().items()}
    need(ns, "port_torch_to_keras")(weights, keras_model)
    x = rng.normal(size=(int(rng.integers(2, 6)), c, h, w)).astype(np.float32)
    want = torch_model(torch.from_numpy(x)).detach().numpy()
    got = np.asarray(keras_model(np.ascontiguousarray(x.transpose(0, 2, 3, 1))))
    gap = float(np.max(np.abs(got - want)))
    if not gap <= 1e-5:  # NaN logits fail too
        raise fail(
            f"PyTorch's logits to 1e-5 for a {c}x{h}x{w} input",
            f"differences up to {gap:.3g}",
            "a conv kernel reshaped instead of transposed, or the first dense layer's rows not "
            "re-ordered from (C, H, W) to (H, W, C)",
        )
    return f"{c}x{h}x{w}, {f} filters: logits agree to {gap:.1e}"


def _parity(ns: dict[str, Any], rng: np.random.Generator) -> str:
    import torch
    from torch import nn

    n, d, classes = int(rng.integers(2, 9)), int(rng.integers(2, 7)), int(rng.integers(2, 6))
    torch.manual_seed(int(rng.integers(2**31)))
    linear = nn.Linear(d, classes)
    model = nn.Sequential(nn.Flatten(), linear)
    x = torch.from_numpy(rng.normal(size=(n, 1, 1, d)).astype(np.float32))
    y = torch.from_numpy(rng.integers(0, classes, n))
    out = need(ns, "forward_backward_torch")(model, x, y)
    logits = model(x)
    loss = nn.functional.cross_entropy(logits, y)
    grad_w = torch.autograd.grad(loss, linear.weight)[0].numpy()
    if abs(common.finite(out["loss"], "the loss") - loss.item()) > 1e-5:
        raise fail(
            f"the mean cross-entropy {loss.item():.5f}",
            f"{float(out['loss']):.5f}",
            "a sum over the batch, or a softmax before the loss",
        )
    got = as_numpy(out["grads"]["1.weight"])
    if not np.allclose(got, grad_w, atol=1e-5):
        raise fail(
            "d loss / d weight",
            "another gradient",
            "stale gradients (not zeroed) or a different loss",
        )
    return f"N={n}, {d} features, {classes} classes"


def _replay(x, y, w, b, lr, batch):  # noqa: ANN001, ANN202
    """SGD on a linear model, one step per ``batch`` samples (the big-batch reference)."""
    w, b = w.astype(np.float64).copy(), b.astype(np.float64).copy()
    for i in range(0, len(x), batch):
        xb, yb = x[i : i + batch].astype(np.float64), y[i : i + batch]
        p = np.exp(log_softmax(xb @ w.T + b))
        p[np.arange(len(yb)), yb] -= 1
        g = p / len(yb)
        w, b = w - lr * g.T @ xb, b - lr * g.sum(0)
    return w, b


def _accumulation(ns: dict[str, Any], rng: np.random.Generator) -> str:
    import keras
    import tensorflow as tf
    import torch
    from torch import nn

    k, micro, windows = int(rng.integers(2, 5)), int(rng.integers(2, 5)), int(rng.integers(1, 3))
    d, classes, lr = int(rng.integers(2, 6)), int(rng.integers(2, 5)), 0.5
    n = k * micro * windows
    x = rng.normal(size=(n, d)).astype(np.float32)
    y = rng.integers(0, classes, n)
    w0 = rng.uniform(-0.5, 0.5, (classes, d)).astype(np.float32)
    b0 = rng.uniform(-0.5, 0.5, classes).astype(np.float32)
    want_w, _ = _replay(x, y, w0, b0, lr, k * micro)
    cause = (
        "the loss not divided by k, a step on every micro-batch, or gradients zeroed between "
        "micro-batches"
    )
    model = nn.Linear(d, classes)
    with torch.no_grad():
        model.weight.copy_(torch.from_numpy(w0))
        model.bias.copy_(torch.from_numpy(b0))
    loader = [
        (torch.from_numpy(x[i : i + micro]), torch.from_numpy(y[i : i + micro]))
        for i in range(0, n, micro)
    ]
    need(ns, "train_with_accumulation")(
        model, loader, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=lr), "cpu", k
    )
    if not np.allclose(model.weight.detach().numpy(), want_w, atol=1e-5):
        raise fail(
            f"{windows} step(s) of a batch of {k * micro} (PyTorch, k={k})", "other weights", cause
        )
    keras_model = keras.Sequential([keras.Input((d,)), keras.layers.Dense(classes)])
    keras_model.set_weights([w0.T, b0])
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(micro)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    need(ns, "accumulate_gradients")(keras_model, dataset, loss_fn, keras.optimizers.SGD(lr), k)
    if not np.allclose(keras_model.get_weights()[0].T, want_w, atol=1e-5):
        raise fail(
            f"{windows} step(s) of a batch of {k * micro} (TF2, k={k})", "other weights", cause
        )
    return f"k={k}, micro-batches of {micro}, {windows} step(s): both frameworks"


def _placement(ns: dict[str, Any], rng: np.random.Generator) -> str:
    import tensorflow as tf
    import torch

    device = torch.device("meta") if rng.random() < 0.5 else "meta"
    shape = tuple(int(v) for v in rng.integers(1, 5, size=2))
    moved = need(ns, "place")(torch.zeros(shape), device)
    if not isinstance(moved, torch.Tensor) or moved.device.type != "meta":
        raise fail(
            f"a tensor on meta (device given as {device!r})",
            f"{getattr(moved, 'device', type(moved))}",
            "the result of .to() dropped, or a hard-coded device",
        )
    # A kernel has one CPU device (logical devices can only be made before TensorFlow starts), so
    # this catches a broken copy, not an ignored device; the hidden tests place onto a second CPU.
    target = str(rng.choice(["/CPU:0", "/device:CPU:0"]))
    copy = need(ns, "place")(tf.zeros(shape), target)
    if not str(getattr(copy, "device", "")).endswith("CPU:0"):
        raise fail(
            f"a tf tensor on {target}", f"{getattr(copy, 'device', None)}", "no tf.device block"
        )
    return f"{device!r} and {target}"


PRACTICE = {
    "layouts": {
        "random shapes in all three frameworks": _layouts,
        "channels-last on random shapes": _channels_last,
    },
    "port": {"a random CNN ported": _port},
    "parity": {"forward_backward_torch on a random linear model": _parity},
    "accumulation": {"random k, micro-batch size and steps": _accumulation},
    "placement": {"random device spellings": _placement},
}
