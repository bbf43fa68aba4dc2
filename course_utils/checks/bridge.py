"""Public checks for assignment 4 (the bridge): small fixed examples, not hidden tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from course_utils.checks.runner import CheckFailed, need
from course_utils.practice.common import fail, finite


def _layouts(ns: dict[str, Any]) -> str:
    import tensorflow as tf
    import torch

    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    want = x.transpose(0, 2, 3, 1)
    kinds = {"numpy": np.ndarray, "torch": torch.Tensor, "tf": tf.Tensor}
    for kind, value, back in (
        ("numpy", x, np.asarray),
        ("torch", torch.from_numpy(x), lambda t: t.numpy()),
        ("tf", tf.constant(x), lambda t: t.numpy()),
    ):
        for fn, arg in (("nchw_to_nhwc", value), ("nhwc_to_nchw", value)):
            out = need(ns, fn)(arg)
            if not isinstance(out, kinds[kind]):
                raise fail(
                    f"{fn} of a {kind} array to return a {kind} array",
                    f"a {type(out).__module__}.{type(out).__name__}",
                    "a conversion that does not return the same kind of array (np.transpose of "
                    "a tensor gives a numpy array: use x.permute for torch, tf.transpose for tf)",
                )
        got = back(need(ns, "nchw_to_nhwc")(value))
        if got.shape != want.shape:
            raise CheckFailed(
                f"{kind}: (2, 3, 4, 5) NCHW should become (2, 4, 5, 3), got {got.shape}"
            )
        if not np.array_equal(got, want):
            raise fail(
                f"{kind}: the values of x.transpose(0, 2, 3, 1)",
                "the right shape with the values in another order",
                "a reshape instead of a permutation (reshape keeps the bytes in place)",
            )
        round_trip = back(need(ns, "nhwc_to_nchw")(need(ns, "nchw_to_nhwc")(value)))
        if not np.array_equal(round_trip, x):
            raise CheckFailed(f"{kind}: nhwc_to_nchw(nchw_to_nhwc(x)) should give x back")
    return "numpy, torch and tf batches move their channel axis by permutation"


def _channels_last(ns: dict[str, Any]) -> str:
    import torch

    model = torch.nn.Conv2d(3, 4, 3)
    x = torch.randn(2, 3, 6, 7)
    model, y = need(ns, "to_channels_last")(model, x)
    if tuple(y.shape) != (2, 3, 6, 7):
        raise fail(
            "the batch's logical shape (2, 3, 6, 7) kept",
            f"{tuple(y.shape)}",
            "permute where a memory-format change was meant: "
            "x.to(memory_format=torch.channels_last) keeps the shape and changes the strides",
        )
    if not y.is_contiguous(memory_format=torch.channels_last):
        raise CheckFailed("the batch is not stored channels-last (check its memory format)")
    if not model.weight.is_contiguous(memory_format=torch.channels_last):
        raise fail(
            "the model's conv weights stored channels-last too",
            "conv weights in the default (NCHW) memory format",
            "the conv weights are not converted: model.to(memory_format=torch.channels_last)",
        )
    return "logical shape kept, values stored channels-last"


def twin_cnns(
    shape: tuple[int, int, int], filters: int, classes: int, hidden: int | None = None
) -> tuple[Any, Any]:
    """The same small CNN in PyTorch and in Keras, for an input of ``shape`` = (C, H, W) with H and
    W even: 3x3 conv (padding 1 / "same") -> ReLU -> 2x2 max-pool -> flatten -> dense(``hidden``,
    if given) -> dense(``classes``). PyTorch's weights are its default initialisation."""
    import keras
    from torch import nn

    c, h, w = shape
    flat = filters * (h // 2) * (w // 2)
    dense = [hidden, classes] if hidden else [classes]
    torch_layers = [nn.Conv2d(c, filters, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten()]
    for size_in, size_out in zip([flat, *dense[:-1]], dense, strict=True):
        torch_layers.append(nn.Linear(size_in, size_out))
    keras_layers = [
        keras.Input((h, w, c)),
        keras.layers.Conv2D(filters, 3, padding="same"),
        keras.layers.ReLU(),
        keras.layers.MaxPool2D(2),
        keras.layers.Flatten(),
        *(keras.layers.Dense(size) for size in dense),
    ]
    return nn.Sequential(*torch_layers), keras.Sequential(keras_layers)


def _small_nets() -> tuple[Any, Any, np.ndarray]:
    import torch

    torch.manual_seed(0)
    torch_model, keras_model = twin_cnns((2, 4, 6), filters=3, classes=5)
    x = np.random.default_rng(0).normal(size=(3, 2, 4, 6)).astype(np.float32)
    return torch_model, keras_model, x


def _port(ns: dict[str, Any]) -> str:
    torch_model, keras_model, x = _small_nets()
    weights = {k: v.detach().numpy() for k, v in torch_model.state_dict().items()}
    need(ns, "port_torch_to_keras")(weights, keras_model)
    import torch

    want = torch_model(torch.from_numpy(x)).detach().numpy()
    got = np.asarray(keras_model(x.transpose(0, 2, 3, 1)))
    gap = float(np.max(np.abs(got - want)))
    if gap > 1e-5:
        raise fail(
            "Keras logits equal to PyTorch's within 1e-5",
            f"differences up to {gap:.3g}",
            "conv weights reshaped instead of transposed (OIHW -> HWIO), or the dense layer after "
            "flatten not permuted from (C, H, W) to (H, W, C) order",
        )
    return f"Keras and PyTorch logits agree (largest difference {gap:.1e})"


def _parity(ns: dict[str, Any]) -> str:
    import torch

    torch_model, keras_model, x = _small_nets()
    y = np.array([0, 3, 4])
    weights = {k: v.detach().numpy() for k, v in torch_model.state_dict().items()}
    need(ns, "port_torch_to_keras")(weights, keras_model)
    out_torch = need(ns, "forward_backward_torch")(
        torch_model, torch.from_numpy(x), torch.from_numpy(y)
    )
    x_nhwc = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    out_tf2 = need(ns, "forward_backward_tf2")(keras_model, x_nhwc, y)
    out_tf1 = need(ns, "forward_backward_tf1")(keras_model.get_weights(), x_nhwc, y)
    grads = need(ns, "torch_to_keras_arrays")(out_torch["grads"], (2, 3, 3))
    report = need(ns, "parity_report")(
        {"pytorch": {**out_torch, "grads": grads}, "tf2": out_tf2, "tf1": out_tf1},
        {"logits": 1e-5, "loss": 1e-6, "grads": 1e-5},
    )
    if not report.get("ok"):
        raise fail(
            "the three frameworks to agree within the tolerances",
            f"{report}",
            "a loss summed instead of averaged, a softmax before the loss, or a forward pass "
            "outside the GradientTape in one of the three",
        )
    return f"PyTorch, TF2 and TF1 agree: {report}"


def _parity_fresh_grads(ns: dict[str, Any]) -> str:
    """forward_backward_torch twice on one model and batch: the same gradients both times."""
    import torch

    torch_model, _, x = _small_nets()
    y = torch.from_numpy(np.array([0, 3, 4]))
    fn = need(ns, "forward_backward_torch")
    first = {
        k: np.array(v, copy=True)
        for k, v in fn(torch_model, torch.from_numpy(x), y)["grads"].items()
    }
    second = fn(torch_model, torch.from_numpy(x), y)["grads"]
    worst = max(float(np.max(np.abs(np.asarray(second[k]) - g))) for k, g in first.items())
    if worst > 1e-6:
        raise fail(
            "the same gradients from a second call on the same model and batch",
            f"gradients that differ by up to {worst:.3g} (doubled?)",
            "backward() adds to the gradients the model already holds: zero them first "
            "(model.zero_grad())",
        )
    return "each call returns the gradients of its own batch"


def _accumulation(ns: dict[str, Any]) -> str:
    import torch
    from torch import nn

    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.normal(size=(8, 4)).astype(np.float32))
    y = torch.from_numpy(rng.integers(0, 3, 8))
    torch.manual_seed(0)
    big, small = nn.Linear(4, 3), nn.Linear(4, 3)
    small.load_state_dict(big.state_dict())
    opt = torch.optim.SGD(big.parameters(), lr=0.5)
    nn.functional.cross_entropy(big(x), y).backward()
    opt.step()
    loader = [(x[i : i + 2], y[i : i + 2]) for i in range(0, 8, 2)]
    need(ns, "train_with_accumulation")(
        small, loader, nn.CrossEntropyLoss(), torch.optim.SGD(small.parameters(), lr=0.5), "cpu", 4
    )
    gap = float((small.weight - big.weight).detach().abs().max())
    if gap > 1e-5:
        raise fail(
            "4 micro-batches of 2 with accum_steps=4 to equal one step on the batch of 8",
            f"weights that differ by up to {gap:.3g}",
            "the loss not divided by k, or step() / zero_grad() on every micro-batch instead "
            "of every k",
        )
    return "4 micro-batches == 1 batch of 8 (PyTorch)"


def _parity_flags(ns: dict[str, Any]) -> str:
    """parity_report on made-up results: logits off by +0.25 (tf2) and -0.25 (tf1), so the
    largest difference, 0.5, is between tf2 and tf1; ``ok`` must follow the tolerances given."""
    same = {"logits": np.zeros((2, 3)), "loss": 1.0, "grads": [np.zeros((3, 3))]}
    results = {
        "pytorch": same,
        "tf2": {**same, "logits": np.full((2, 3), 0.25)},
        "tf1": {**same, "logits": np.full((2, 3), -0.25)},
    }
    fn = need(ns, "parity_report")
    report = fn(results, {"logits": 1e-5, "loss": 1e-6, "grads": 1e-5})
    if not isinstance(report, dict) or report.get("ok") is not False:
        raise fail(
            "ok=False when the logits differ by 0.5 (tolerance 1e-5)",
            f"{report!r}"[:120],
            "'ok' should be computed from the differences and the tolerances, not set to True",
        )
    logits = finite(report.get("logits"), "parity_report's 'logits'")
    if abs(logits - 0.5) > 1e-9:
        raise fail(
            "'logits' 0.5: tf2 is 0.25 above PyTorch and tf1 0.25 below (0.5 apart)",
            f"{logits:g}",
            "not all three pairs compared (only each framework against PyTorch?)",
        )
    loose = fn(results, {"logits": 1.0, "loss": 1.0, "grads": 1.0})
    if not isinstance(loose, dict) or loose.get("ok") is not True:
        raise fail(
            "ok=True with tolerances of 1.0 for a largest difference of 0.5",
            f"{loose!r}"[:120],
            "the tolerances argument is ignored (a constant or PARITY_TOLERANCES used instead)",
        )
    return "all three pairs compared, ok follows the tolerances given"


def _tf_accumulation(ns: dict[str, Any]) -> str:
    import keras
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 4)).astype(np.float32)
    y = rng.integers(0, 3, 8)
    keras.utils.set_random_seed(0)
    big = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    small = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    small.set_weights(big.get_weights())
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    with tf.GradientTape() as tape:
        loss = loss_fn(y, big(x, training=True))
    grads = tape.gradient(loss, big.trainable_variables)
    want = [v.numpy() - 0.5 * g.numpy() for v, g in zip(big.trainable_variables, grads)]
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(2)  # 4 micro-batches of 2
    need(ns, "accumulate_gradients")(small, data, loss_fn, keras.optimizers.SGD(0.5), 4)
    gap = max(float(np.abs(v.numpy() - w).max()) for v, w in zip(small.trainable_variables, want))
    if not gap <= 1e-5:
        raise fail(
            "4 micro-batches of 2 with accum_steps=4 to equal one SGD step on the batch of 8",
            f"weights that differ by up to {gap:.3g}",
            "the loss not divided by k inside the tape, or gradients applied on every "
            "micro-batch instead of every k",
        )
    return "4 micro-batches == 1 batch of 8 (TensorFlow)"


def _placement(ns: dict[str, Any]) -> str:
    import tensorflow as tf
    import torch

    moved = need(ns, "place")(torch.zeros(2), torch.device("meta"))
    if not isinstance(moved, torch.Tensor) or moved.device.type != "meta":
        raise fail(
            "place(tensor, 'meta') to return the tensor on the meta device",
            f"{getattr(moved, 'device', type(moved).__name__)}",
            "a hard-coded device, or tensor.to(device)'s result dropped (it returns a new "
            "tensor: return it)",
        )
    from unittest import mock

    real_device, asked = tf.device, []

    def device(name: Any) -> Any:
        asked.append(name)
        return real_device(name)

    with mock.patch.object(tf, "device", device):
        copy = need(ns, "place")(tf.zeros(2), "/CPU:0")
    if "/CPU:0" not in asked:
        raise fail(
            "the TensorFlow copy made inside tf.device('/CPU:0')",
            f"tf.device called with {asked}" if asked else "no tf.device block",
            "the device is ignored: wrap the copy in `with tf.device(device):`",
        )
    if not str(copy.device).endswith("CPU:0"):
        raise CheckFailed(f"place(tf_tensor, '/CPU:0') returned a tensor on {copy.device}")
    return "PyTorch moves, TensorFlow places"


def _difference(ns: dict[str, Any]) -> str:
    answer = need(ns, "placement_difference")()
    words = len(str(answer).split())
    if not isinstance(answer, str) or words < 25:
        raise CheckFailed(f"answer in a few sentences (a string of 25 words or more), got {words}")
    return f"{words} words (not auto-graded)"


SEED = 20_26
"""Seed of the fixed practice instances (any fixed number: the instance is the check's own)."""


def _fixed(name: str) -> Any:
    """A fixed instance of a practice check (imported on use: the practice module imports this
    one)."""

    def run(ns: dict[str, Any]) -> str:
        from course_utils.practice import bridge as practice

        return getattr(practice, name)(ns, rng=np.random.default_rng(SEED))

    return run


CHECKS = {
    "layouts": {
        "layout conversions": _layouts,
        "channels-last memory format": _channels_last,
        "layouts: permutation on other shapes": _fixed("_layouts"),
    },
    "port": {"ported logits match": _port, "port: a CNN of other sizes": _fixed("_port")},
    "parity": {
        "three frameworks agree": _parity,
        "forward_backward_torch: this batch's gradients only": _parity_fresh_grads,
        "parity_report flags a disagreement": _parity_flags,
    },
    "accumulation": {
        "accumulation equals a big batch (PyTorch)": _accumulation,
        "accumulation equals a big batch (TensorFlow)": _tf_accumulation,
    },
    "placement": {"place": _placement, "the difference, in your words": _difference},
}
