"""TF2 probes for the ``train`` step (worker side)."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from autograder.probes.common import instances as inst
from autograder.probes.common.observe import as_float, describe, to_numpy
from autograder.probes.tf2.spies import TraceMarkedLinear, built_spy
from autograder.worker.probe_api import ProbeContext, contract_error, trusted_code

SGD_LR = 0.5  # must match verdicts_train.SGD_LR


def train_step(ctx: ProbeContext) -> dict[str, Any]:
    """Three steps of plain SGD on a linear model (batches of 5, 5, 2) — the weights after them
    tell how gradients were taken — then three more same-shape steps to count traces."""
    x, y, weight, bias = inst.linear_problem(ctx.seed)
    model = built_spy(weight, bias, x.shape[1:])
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    opt = keras.optimizers.SGD(learning_rate=SGD_LR)
    opt.build(model.trainable_variables)
    losses = []
    for start in (0, 5, 10):
        xb, yb = tf.constant(x[start : start + 5]), tf.constant(y[start : start + 5])
        returned = ctx.call("train_step", model, xb, yb, loss_fn, opt)
        losses.append(as_float(returned))
    kernel, bias_after = (to_numpy(v) for v in model.dense.weights)
    # three same-shape steps on a fresh spy whose logits say which trace ran them; with lr 0
    # each loss is the seed's logits times that trace's gain, whatever the update does
    marked = built_spy(weight, bias, x.shape[1:], kind=TraceMarkedLinear)
    marked_opt = keras.optimizers.SGD(learning_rate=0.0)
    marked_opt.build(marked.trainable_variables)
    trace_losses = [
        as_float(
            ctx.call(
                "train_step", marked, tf.constant(x[:5]), tf.constant(y[:5]), loss_fn, marked_opt
            )
        )
        for _ in range(3)
    ]
    return {
        "returned": describe(returned),
        "losses": losses,
        "weight": None if kernel is None else kernel.T,  # Keras (D, K) -> (K, D)
        "bias": bias_after,
        "calls": model.calls + marked.calls,
        "trace_losses": trace_losses,
    }


def _digits(
    seed: int, batch_size: int = 64
) -> tuple[tf.data.Dataset, tf.data.Dataset, np.ndarray, np.ndarray]:
    from course_utils.data import digits_path, load_npz, stratified_split

    images, labels = load_npz(digits_path())
    train_idx, test_idx = stratified_split(labels, 0.2, seed)
    x = images.astype(np.float32)[..., None] / 255.0  # (N, 8, 8) -> (N, 8, 8, 1)
    x = (x - x[train_idx].mean()) / x[train_idx].std()
    y = labels.astype(np.int64)
    train = (
        tf.data.Dataset.from_tensor_slices((x[train_idx], y[train_idx]))
        .shuffle(2000, seed=seed)
        .batch(batch_size, drop_remainder=True)
    )
    test = tf.data.Dataset.from_tensor_slices((x[test_idx], y[test_idx])).batch(128)
    return train, test, x[test_idx], y[test_idx]


def _mlp() -> keras.Model:
    return keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(10),
        ]
    )


def _weights(model: keras.Model) -> list[np.ndarray]:
    """The trusted MLP's kernels and biases after training: the grader computes the test
    accuracy from them."""
    return [np.asarray(w, np.float32) for w in model.get_weights()]


def _entries(history: Any) -> list[dict[str, Any]] | None:
    if not isinstance(history, list | tuple):
        return None
    return [
        {str(k): as_float(v) for k, v in e.items()}
        if isinstance(e, dict)
        else {"__type__": describe(e)["type"]}
        for e in history
    ]


class _RecordingStep:
    """Stands in for the learner's ``train_step`` in fit's probe: calls it and records each
    step's loss and batch size, one list per epoch (an evaluation logged since the last step
    starts a new one). It keeps the function's API: any other attribute is the learner's
    (``experimental_get_tracing_count``...), ``python_function`` records too, and inside a
    ``tf.function`` that fit makes around it the values are recorded each time the graph runs
    (``traces`` counts those traces)."""

    MAX_STEPS = 2_000

    def __init__(self, step: Any, evaluations: list[dict[str, Any]]) -> None:
        self._step, self._evaluations = step, evaluations
        self.seen, self.traces = -1, 0
        self.epochs: list[list[list[float | int]]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._run(self._step, args, kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._step, name)

    @property
    def python_function(self) -> Any:
        inner = self._step.python_function  # an AttributeError, as the learner's own would be

        def recorded(*args: Any, **kwargs: Any) -> Any:
            return self._run(inner, args, kwargs)

        return recorded

    def _run(self, fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        result = fn(*args, **kwargs)
        y = args[2] if len(args) > 2 else kwargs.get("y")
        if tf.executing_eagerly():
            self._record(result, _batch_size(y))
            return result
        self.traces += 1
        try:
            loss = tf.cast(tf.reshape(result, []), tf.float32)
        except (TypeError, ValueError):
            loss = tf.constant(float("nan"))
        tf.py_function(self._record, [loss, tf.shape(y)[0]], [])
        return result

    def _record(self, loss: Any, size: Any) -> None:
        if sum(map(len, self.epochs)) >= self.MAX_STEPS:
            return
        if len(self._evaluations) != self.seen:  # an evaluation since the last step: a new epoch
            self.seen = len(self._evaluations)
            self.epochs.append([])
        value = as_float(loss)
        self.epochs[-1].append([float("nan") if value is None else value, int(size)])


def _batch_size(y: Any) -> int:
    try:
        return int(tf.shape(y)[0])
    except (TypeError, ValueError, tf.errors.InvalidArgumentError):
        return 0


def fit_run(ctx: ProbeContext, trusted: str) -> dict[str, Any]:
    """fit() with a trusted model, loss, optimizer, metrics and evaluate: does it learn, does its
    history say what happened, and is the training-loss metric reset every epoch?"""
    keras.utils.set_random_seed(ctx.seed % 2**31)
    train, test, _, _ = _digits(ctx.seed % 1000)
    model = _mlp()
    opt = keras.optimizers.Adam(0.01)
    opt.build(model.trainable_variables)
    log: list[dict[str, Any]] = []
    step = _RecordingStep(ctx.fn("train_step"), log)
    # fit looks these names up in its module at call time: trusted stand-ins for other steps
    module = vars(ctx.module)
    stand_ins = trusted_code(trusted, tf=tf, keras=keras)
    module["evaluate"] = stand_ins["tf2_evaluate"](log, {"train": train, "test": test})
    module["train_step"] = step
    module["make_metrics"] = stand_ins["tf2_metrics"]
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    history = ctx.call("fit", model, train, test, loss_fn, opt, 3)
    return {
        "history_type": describe(history)["type"],
        "entries": _entries(history),
        "evaluations": log,
        "steps": step.epochs,
        "traces": step.traces,
        "weights": _weights(model),
    }


def fit_keras(ctx: ProbeContext) -> dict[str, Any]:
    keras.utils.set_random_seed(ctx.seed % 2**31)
    train, test, _, _ = _digits(ctx.seed % 1000)
    model = _mlp()
    module = vars(ctx.module)
    module["make_loss"] = lambda: keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    asked: list[float | None] = []

    def make_optimizer(lr: Any = 1e-2) -> Any:
        asked.append(as_float(lr))
        return keras.optimizers.Adam(max(float(lr), 3e-3))

    module["make_optimizer"] = make_optimizer
    history = ctx.call("fit_keras", model, train, test, 4, lr=inst.FIT_KERAS_LR)
    entries = _entries(history)
    if entries is None:
        raise contract_error(
            "fit_keras", "expected a list of per-epoch dicts, got " + describe(history)["type"]
        )
    optimizer = getattr(model, "optimizer", None)
    return {
        "entries": entries,
        "weights": _weights(model),
        "lrs_asked": asked[:10],
        "optimizer_lr": as_float(getattr(optimizer, "learning_rate", None)),
    }


PROBES = {"train_step": train_step, "fit_run": fit_run, "fit_keras": fit_keras}
