"""Public checks for assignment 2 (TensorFlow 2). Small fixed examples; hints, not hidden tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from course_utils.checks.pytorch import _download_roundtrip
from course_utils.checks.runner import CheckFailed, need


def _tf():  # noqa: ANN202 - imported on use: checking a torch notebook never imports tensorflow
    import tensorflow as tf

    return tf


def _preprocess(ns: dict[str, Any]) -> str:
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    x, y = need(ns, "preprocess")(images, np.array([1, 2]), np.array([0.0]), np.array([1.0]))
    if tuple(np.shape(x)) != (2, 3, 4, 1):
        raise CheckFailed(
            f"grey (2, 3, 4) images should become NHWC (2, 3, 4, 1), got {tuple(np.shape(x))}"
        )
    if np.asarray(x).dtype != np.float32 or np.asarray(y).dtype != np.int64:
        raise CheckFailed(
            "expected float32 images and int64 labels, "
            f"got {np.asarray(x).dtype}, {np.asarray(y).dtype}"
        )
    return "grey images get a trailing channel axis; float32 / int64"


def _datasets(ns: dict[str, Any]) -> str:
    x = np.arange(10, dtype=np.float32).reshape(10, 1, 1, 1)
    y = np.arange(10, dtype=np.int64)
    train, test = need(ns, "make_datasets")(x, y, x, y, batch_size=4, seed=0)
    if np.concatenate([b[1].numpy() for b in test]).tolist() != list(range(10)):
        raise CheckFailed("the test dataset should keep its order (no shuffle)")
    first = [sorted(b[1].numpy().tolist()) for b in train]
    if first[0] == [0, 1, 2, 3]:
        raise CheckFailed("the first training batch is samples 0-3: shuffle before batching")
    return "training data shuffled before batching, test data in order"


def _model(ns: dict[str, Any]) -> str:
    model = need(ns, "build_model")(input_shape=(8, 8, 1), num_classes=10)
    out = model(np.zeros((3, 8, 8, 1), np.float32), training=False)
    if tuple(out.shape) != (3, 10):
        raise CheckFailed(f"(3, 8, 8, 1) images should give (3, 10) logits, got {tuple(out.shape)}")
    device = need(ns, "get_device")(prefer_gpu=False)
    if "CPU" not in str(device).upper():
        raise CheckFailed(f"get_device(prefer_gpu=False) should be '/CPU:0', got {device!r}")
    return "(N, 8, 8, 1) -> (N, 10); get_device works"


def _loss(ns: dict[str, Any]) -> str:
    value = float(
        need(ns, "make_loss")()(np.array([0, 1]), np.array([[10.0, 0.0], [0.0, 10.0]], np.float32))
    )
    if value > 1e-3:
        raise CheckFailed(
            f"confident correct logits should give a loss near 0, got {value:.4f} (from_logits?)"
        )
    optimizer = need(ns, "make_optimizer")(0.05)
    if abs(float(optimizer.learning_rate) - 0.05) > 1e-9:
        raise CheckFailed("the optimizer should use the learning rate it is given")
    return "near-zero loss on confident logits; learning rate used"


def _metric(ns: dict[str, Any]) -> str:
    tf = _tf()
    import keras

    model = keras.Sequential(
        [keras.Input((1, 1, 1)), keras.layers.Flatten(), keras.layers.Dense(2)]
    )
    data = tf.data.Dataset.from_tensor_slices(
        (np.zeros((4, 1, 1, 1), np.float32), np.array([0, 1, 0, 1]))
    ).batch(2)
    metrics = need(ns, "make_metrics")()
    first = need(ns, "evaluate")(
        model, data, keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics
    )
    second = need(ns, "evaluate")(
        model, data, keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics
    )
    if abs(first["accuracy"] - 0.5) > 1e-6 or abs(second["accuracy"] - first["accuracy"]) > 1e-6:
        raise CheckFailed("evaluating twice should give the same numbers: reset the metrics first")
    return "evaluate resets its metrics"


def _train(ns: dict[str, Any]) -> str:
    tf = _tf()
    import keras

    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(32, 2, 2, 1)).astype(np.float32)
    y = (x.reshape(32, -1).sum(1) > 0).astype(np.int64)
    model = keras.Sequential(
        [keras.Input((2, 2, 1)), keras.layers.Flatten(), keras.layers.Dense(2)]
    )
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    opt = keras.optimizers.SGD(0.5)
    opt.build(model.trainable_variables)
    step = need(ns, "train_step")
    losses = [float(step(model, tf.constant(x), tf.constant(y), loss_fn, opt)) for _ in range(5)]
    if not losses[-1] < losses[0]:
        raise CheckFailed(f"the loss did not go down over 5 steps: {np.round(losses, 3).tolist()}")
    return f"loss goes down: {losses[0]:.3f} -> {losses[-1]:.3f}"


def _report(ns: dict[str, Any]) -> str:
    history = [{"epoch": 1, "train_loss": 1.0, "test_loss": 1.2, "test_accuracy": 0.5}]
    summary = need(ns, "report")(
        history, {"loss": 0.1, "accuracy": 0.99}, {"loss": 0.3, "accuracy": 0.9}
    )
    if abs(summary["test_accuracy"] - 0.9) > 1e-9:
        raise CheckFailed("test_accuracy should come from the test metrics")
    return "summary keeps train and test apart"


CHECKS = {
    "download": {"downloads and verifies": _download_roundtrip},
    "data": {
        "preprocess layout and dtypes": _preprocess,
        "datasets shuffle only training data": _datasets,
    },
    "model": {"model output shape and device": _model},
    "loss_opt": {"loss and optimizer": _loss},
    "metric": {"evaluate resets metrics": _metric},
    "train": {"train_step learns": _train},
    "report": {"report": _report},
}
