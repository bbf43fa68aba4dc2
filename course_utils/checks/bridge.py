"""Public checks for assignment 4 (the bridge): small fixed examples, not hidden tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from course_utils.checks.runner import CheckFailed, need


def _layouts(ns: dict[str, Any]) -> str:
    import tensorflow as tf
    import torch

    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    want = x.transpose(0, 2, 3, 1)
    for kind, value, back in (
        ("numpy", x, np.asarray),
        ("torch", torch.from_numpy(x), lambda t: t.numpy()),
        ("tf", tf.constant(x), lambda t: t.numpy()),
    ):
        got = back(need(ns, "nchw_to_nhwc")(value))
        if got.shape != want.shape:
            raise CheckFailed(
                f"{kind}: (2, 3, 4, 5) NCHW should become (2, 4, 5, 3), got {got.shape}"
            )
        if not np.array_equal(got, want):
            raise CheckFailed(
                f"{kind}: right shape, wrong values: a reshape instead of a permutation?"
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
        raise CheckFailed(
            f"the batch should keep its logical shape (2, 3, 6, 7), got {tuple(y.shape)}"
        )
    if not y.is_contiguous(memory_format=torch.channels_last):
        raise CheckFailed("the batch is not stored channels-last (check its memory format)")
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
        raise CheckFailed(
            f"the Keras logits differ from PyTorch's by up to {gap:.3g} (allowed 1e-5): check the "
            "conv transposes and the flatten order of the first dense layer"
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
        raise CheckFailed(f"the three frameworks disagree: {report}")
    return f"PyTorch, TF2 and TF1 agree: {report}"


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
        raise CheckFailed(
            f"4 micro-batches of 2 with accum_steps=4 should equal one step on the batch of 8 "
            f"(largest difference {gap:.3g}): divide by k? step only every k?"
        )
    return "4 micro-batches == 1 batch of 8 (PyTorch)"


def _placement(ns: dict[str, Any]) -> str:
    import tensorflow as tf
    import torch

    moved = need(ns, "place")(torch.zeros(2), torch.device("meta"))
    if not isinstance(moved, torch.Tensor) or moved.device.type != "meta":
        raise CheckFailed("place(tensor, 'meta') should return the tensor on the meta device")
    copy = need(ns, "place")(tf.zeros(2), "/CPU:0")
    if not str(copy.device).endswith("CPU:0"):
        raise CheckFailed(f"place(tf_tensor, '/CPU:0') returned a tensor on {copy.device}")
    return "PyTorch moves, TensorFlow places"


def _difference(ns: dict[str, Any]) -> str:
    answer = need(ns, "placement_difference")()
    words = len(str(answer).split())
    if not isinstance(answer, str) or words < 25:
        raise CheckFailed(f"answer in a few sentences (a string of 25 words or more), got {words}")
    return f"{words} words (not auto-graded)"


CHECKS = {
    "layouts": {"layout conversions": _layouts, "channels-last memory format": _channels_last},
    "port": {"ported logits match": _port},
    "parity": {"three frameworks agree": _parity},
    "accumulation": {"accumulation equals a big batch": _accumulation},
    "placement": {"place": _placement, "the difference, in your words": _difference},
}
