"""Public checks for assignment 2 (TensorFlow 2): small fixed instances; hints, not hidden tests.

Each step's default check calls every function of the step: fixed instances of the practice
checks (the same every call) plus the checks below, which watch how ``train_step`` and ``fit``
run (traces, the ``training`` flag, metric resets) with a small spy model. Practice mode adds
fresh random instances on top.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import partial
from typing import Any
from unittest import mock

import numpy as np

from course_utils.checks.pytorch import _plot, _stats
from course_utils.checks.runner import need
from course_utils.practice import common
from course_utils.practice import tf2 as practice
from course_utils.practice.common import fail, fixed, returns

SEED = 20_26
"""Seed of the fixed instances (any fixed number: the instance is the check's own)."""


def _tf():  # noqa: ANN202 - imported on use: checking a torch notebook never imports tensorflow
    import tensorflow as tf

    return tf


def _keras():  # noqa: ANN202
    import keras

    return keras


@contextlib.contextmanager
def _eagerly() -> Iterator[None]:
    """Run every tf.function eagerly (no tracing: fast on tiny instances). The checks that are
    about tracing run outside it."""
    tf = _tf()
    before = tf.config.functions_run_eagerly()
    tf.config.run_functions_eagerly(True)
    try:
        yield
    finally:
        tf.config.run_functions_eagerly(before)


def _sgd_step(ns: dict[str, Any]) -> str:
    with _eagerly():
        return practice._train_step(ns, rng=np.random.default_rng(SEED))


def _build_model(ns: dict[str, Any]) -> str:
    keras = _keras()
    model = need(ns, "build_model")(input_shape=(8, 8, 1), num_classes=10)
    returns(model, keras.Model, "build_model", "a keras.Model")
    return practice._model(ns, rng=np.random.default_rng(SEED))


@contextlib.contextmanager
def _gpus(available: bool) -> Iterator[None]:
    """Make TensorFlow's "which GPUs are there?" questions answer one GPU, or none."""
    tf = _tf()
    real = tf.config.list_physical_devices

    def listed(kind: str | None = None) -> list[Any]:
        if kind is not None and kind.upper() == "GPU":
            return [tf.config.PhysicalDevice("/physical_device:GPU:0", "GPU")] if available else []
        return real(kind) if kind is not None else real()

    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.object(tf.config, "list_physical_devices", listed))
        stack.enter_context(
            mock.patch.object(tf.config.experimental, "list_physical_devices", listed)
        )
        yield


def _get_device(ns: dict[str, Any]) -> str:
    get_device = need(ns, "get_device")
    cases = [
        (True, {}, "GPU", "'/CPU:0' hard-coded: ask tf.config.list_physical_devices('GPU')"),
        (False, {}, "CPU", "'/GPU:0' written literally: fall back to '/CPU:0' without a GPU"),
        (True, {"prefer_gpu": False}, "CPU", "prefer_gpu ignored, or '/GPU:0' written literally"),
    ]
    for gpu, kwargs, want, cause in cases:
        call = f"get_device({', '.join(f'{k}={v}' for k, v in kwargs.items())})"
        with _gpus(gpu):
            got = get_device(**kwargs)
        returns(got, str, call, "a device name such as '/GPU:0' or '/CPU:0'")
        if want not in got.upper():
            raise fail(
                f"{call} to name the {want} on a machine {'with' if gpu else 'without'} a GPU",
                repr(got),
                cause,
            )
    return "the GPU when there is one and it is wanted, else the CPU"


def _optimizer(ns: dict[str, Any]) -> str:
    keras = _keras()
    opt = need(ns, "make_optimizer")(0.01)
    returns(opt, keras.optimizers.Optimizer, "make_optimizer", "a keras optimizer")
    return practice._loss(ns, rng=np.random.default_rng(SEED))


def _metrics(ns: dict[str, Any]) -> str:
    keras = _keras()
    metrics = need(ns, "make_metrics")()
    returns(metrics, dict, "make_metrics", "a dict {'loss': ..., 'accuracy': ...} of metrics")
    if not {"loss", "accuracy"} <= set(metrics) or not all(
        isinstance(m, keras.metrics.Metric) for m in metrics.values()
    ):
        raise fail(
            "keras metrics under the keys 'loss' and 'accuracy'",
            f"keys {sorted(metrics)}",
            "a different dict from the docstring's",
        )
    labels, logits = np.array([0, 1, 2]), np.array([[2.0, 0, 0], [0, 2.0, 0], [2.0, 0, 0]])
    accuracy: float | str
    try:
        metrics["accuracy"].update_state(labels, logits)
        accuracy = float(metrics["accuracy"].result())
    except Exception as exc:  # noqa: BLE001 - learner objects
        accuracy = f"{type(exc).__name__}"
    if not isinstance(accuracy, float) or abs(accuracy - 2 / 3) > 1e-6:
        raise fail(
            "accuracy 2/3 for integer labels [0, 1, 2] and logits whose argmax is [0, 1, 0]",
            f"{accuracy}",
            "the accuracy metric is not keras.metrics.SparseCategoricalAccuracy() (Accuracy() "
            "compares the labels with the raw outputs)",
        )
    return practice._evaluate(ns, rng=np.random.default_rng(SEED))


def _spy_model(calls: list[Any]) -> Any:
    """Flatten + Dense that records the ``training`` flag of every (traced or eager) call."""
    keras = _keras()

    class Spy(keras.Model):  # type: ignore[name-defined,misc]
        def __init__(self) -> None:
            super().__init__()
            self.flat = keras.layers.Flatten()
            self.dense = keras.layers.Dense(3)

        def call(self, x: Any, training: Any = None) -> Any:
            calls.append((training, _tf().executing_eagerly()))
            return self.dense(self.flat(x))

    model = Spy()
    model(np.zeros((1, 2, 2, 1), np.float32))
    calls.clear()
    return model


def _train_step_traces(ns: dict[str, Any]) -> str:
    tf, keras = _tf(), _keras()
    train_step = need(ns, "train_step")
    calls: list[Any] = []
    model = _spy_model(calls)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    opt = keras.optimizers.SGD(0.1)
    opt.build(model.trainable_variables)
    rng = np.random.default_rng(SEED)
    for _ in range(3):
        x = tf.constant(rng.normal(size=(4, 2, 2, 1)).astype(np.float32))
        y = tf.constant(rng.integers(0, 3, size=4))
        common.attempt(
            train_step,
            model,
            x,
            y,
            loss_fn,
            opt,
            expected="train_step to run on a model and optimizer built outside it",
            cause="variables are created inside tf.function (a tf.Variable, or a model or "
            "optimizer made in the step): build them outside and pass them in",
        )
    if not calls:
        raise fail("train_step to call the model", "no call", "the model is never called")
    if all(eager for _, eager in calls):
        raise fail(
            "train_step compiled with @tf.function (traced once, then run as a graph)",
            "the model called eagerly on every step",
            "the @tf.function decorator is missing",
        )
    if len(calls) > 1:
        raise fail(
            "one trace for 3 batches of the same shape",
            f"{len(calls)} traces (the Python body ran on every call)",
            "train_step retraces every step: a new tf.function made on each call, or a Python "
            "value that changes as an argument",
        )
    if calls[0][0] is not True:
        raise fail(
            "model(x, training=True) inside train_step",
            f"training={calls[0][0]!r}",
            "pass training=True: dropout and batch norm behave as in inference otherwise",
        )
    # a second model: a new trace, where a tf.Variable made in the step cannot be created again
    other = _spy_model([])
    opt2 = keras.optimizers.SGD(0.1)
    opt2.build(other.trainable_variables)
    common.attempt(
        train_step,
        other,
        x,
        y,
        loss_fn,
        opt2,
        expected="train_step to trace again for another model",
        cause="variables are created inside tf.function (a tf.Variable in the step): create "
        "them outside",
    )
    return "one trace for same-shaped batches, training=True, no variables made inside"


def _fit(ns: dict[str, Any]) -> str:
    """``fit`` with a stand-in ``train_step`` whose losses are known: 1.0 per batch in epoch 1,
    3.0 in epoch 2; a training-loss mean that is not reset reports 2.0 for epoch 2."""
    tf, keras = _tf(), _keras()
    fit = need(ns, "fit")
    need(ns, "train_step")
    epoch = {"n": 0, "batches": 0}

    def known_losses(model: Any, x: Any, y: Any, loss_fn: Any, optimizer: Any) -> Any:
        epoch["batches"] += 1
        return tf.constant(1.0 if epoch["batches"] <= 2 else 3.0)

    stand_in = tf.function(known_losses)  # a tf.function, as the learner's is (same API)
    real_function, made = tf.function, []

    def counting_function(*args: Any, **kwargs: Any) -> Any:
        made.append(1)
        return real_function(*args, **kwargs)

    keras.utils.set_random_seed(SEED)
    model = keras.Sequential(
        [keras.Input((2, 2, 1)), keras.layers.Flatten(), keras.layers.Dense(3)]
    )
    x = np.random.default_rng(SEED).normal(size=(8, 2, 2, 1)).astype(np.float32)
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)  # 2 batches per epoch
    x_test = np.random.default_rng(SEED + 1).normal(size=(4, 2, 2, 1)).astype(np.float32)
    y_test = np.array([2, 2, 1, 0])
    test = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(4)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    original = ns["train_step"]
    ns["train_step"] = stand_in
    try:
        with _eagerly(), mock.patch.object(tf, "function", counting_function):
            history = fit(model, data, test, loss_fn, keras.optimizers.SGD(0.1), 2)
    finally:
        ns["train_step"] = original
    if len(made) > 2:
        raise fail(
            "train_step traced once (at most once per epoch)",
            f"{len(made)} new tf.function objects in 2 epochs of 2 batches",
            "fit makes a new tf.function around train_step at every step, so it retraces every "
            "step: make it once, outside the loop, or decorate train_step itself",
        )
    returns(history, list, "fit", "a list with one dict per epoch")
    if len(history) != 2 or not all(isinstance(h, dict) for h in history):
        raise fail("2 dicts for 2 epochs", f"{len(history)} entries", "one entry per epoch")
    if epoch["batches"] != 4:
        raise fail("train_step called on 2 batches per epoch", f"{epoch['batches']} calls",
                   "fit does not call train_step once per training batch")  # fmt: skip
    got = common.finite(history[1].get("train_loss"), "history[1]['train_loss']")
    if abs(got - 3.0) > 1e-5:
        raise fail(
            "epoch 2's train_loss 3.0 (its batches' losses were 3.0)",
            f"{got:.4f}",
            "the training-loss mean is not reset between epochs (reset_state() at the start "
            "of each epoch)"
            if abs(got - 2.0) < 1e-5
            else "a wrong average of the batch losses",
        )
    _test_numbers(history, model, loss_fn, (x_test, y_test), (x, y))
    return "fit calls train_step per batch, resets its loss mean, evaluates on test_ds"


def _test_numbers(history: list[Any], model: Any, loss_fn: Any, test: tuple, train: tuple) -> None:
    """The stand-in train_step leaves the model as it is, so every epoch's test numbers are the
    model's loss and accuracy on the test data (not on the training data)."""

    def numbers(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        logits = model(x, training=False)
        accuracy = float((np.asarray(logits).argmax(1) == y).mean())
        return float(loss_fn(y, logits)), accuracy

    want, on_train = numbers(*test), numbers(*train)
    for entry in history:
        got = tuple(common.finite(entry.get(k), f"history[{entry.get('epoch')!r}][{k!r}]")
                    for k in ("test_loss", "test_accuracy"))  # fmt: skip
        if not np.allclose(got, want, atol=1e-5):
            raise fail(
                f"test_loss {want[0]:.4f} and test_accuracy {want[1]:.4f} (the unchanged model "
                "evaluated on test_ds) in every epoch",
                f"{got[0]:.4f} and {got[1]:.4f} in epoch {entry.get('epoch')}",
                "fit evaluates on the training data, not on test_ds"
                if np.allclose(got, on_train, atol=1e-5)
                else "the test numbers are not evaluate(model, test_ds, ...) after the epoch",
            )


def _fit_keras(ns: dict[str, Any]) -> str:
    tf, keras = _tf(), _keras()
    keras.utils.set_random_seed(SEED)
    model = keras.Sequential(
        [keras.Input((2, 2, 1)), keras.layers.Flatten(), keras.layers.Dense(3)]
    )
    x = np.random.default_rng(SEED).normal(size=(8, 2, 2, 1)).astype(np.float32)
    data = tf.data.Dataset.from_tensor_slices((x, np.arange(8) % 3)).batch(4)
    lr = 0.0123
    with _eagerly():
        history = need(ns, "fit_keras")(model, data, data, 1, lr=lr)
    returns(history, list, "fit_keras", "a list with one dict per epoch, as fit returns")
    used = getattr(getattr(model, "optimizer", None), "learning_rate", None)
    if used is None or abs(float(np.asarray(used)) - lr) > 1e-6:
        raise fail(
            f"the model compiled with an optimizer of learning rate {lr} (fit_keras(..., lr={lr}))",
            "no optimizer" if used is None else f"learning rate {float(np.asarray(used)):g}",
            "the lr argument is ignored: pass it on (make_optimizer(lr))",
        )
    keys = {"epoch", "train_loss", "test_loss", "test_accuracy"}
    if len(history) != 1 or not keys <= set(history[0]):
        raise fail(f"1 entry with keys {sorted(keys)}", f"{history!r}"[:100],
                   "Keras's history (loss, val_loss, val_accuracy) not converted")  # fmt: skip
    for key in keys - {"epoch"}:
        common.finite(history[0][key], f"history[0][{key!r}]")
    return "compile / fit history in fit's format"


CHECKS = {
    "download": {"download: verify, cache, refuse corruption": fixed(common.download, SEED)},
    "data": {
        "normalization_stats: per-channel statistics": _stats,
        "prepare_data: training statistics only": fixed(common.prepare_data, SEED),
        "preprocess: grey and colour images to NHWC": fixed(
            partial(common.preprocess, layout="NHWC"), SEED
        ),
        "make_datasets: shuffle before batch, test in order": fixed(practice._datasets, SEED),
    },
    "model": {
        "build_model: logits, any batch size": _build_model,
        "get_device: GPU when there is one": _get_device,
    },
    "loss_opt": {"make_loss and make_optimizer: from_logits, lr": _optimizer},
    "metric": {"make_metrics and evaluate: reset, training=False, exact": _metrics},
    "train": {
        "train_step: one SGD step from a GradientTape": _sgd_step,
        "train_step: one trace, training=True, no variables inside": _train_step_traces,
        "fit: training loss reset every epoch": _fit,
        "fit_keras: history in fit's format": _fit_keras,
    },
    "report": {
        "report: train and test kept apart": fixed(common.report, SEED),
        "plot_history: a figure": _plot,
        "log_to_tensorboard: scalars per epoch": fixed(common.tensorboard, SEED),
    },
}
