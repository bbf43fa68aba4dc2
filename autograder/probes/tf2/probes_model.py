"""TF2 probes for ``data`` (layout, tf.data), ``model``, ``loss_opt``, ``metric`` (worker side)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any
from unittest import mock

import keras
import numpy as np
import tensorflow as tf

from autograder.probes.common import instances as inst
from autograder.probes.common import probes_data
from autograder.probes.common.observe import as_float, describe, evaluation, to_numpy
from autograder.probes.tf2.spies import built_spy, dataset
from autograder.worker.probe_api import (
    ProbeContext,
    contract_error,
    describe_exception,
    run_learner,
)

# -- data -------------------------------------------------------------------------------------


def datasets(ctx: ProbeContext) -> dict[str, Any]:
    n_train, n_test, batch = (inst.BATCHING[k] for k in ("n_train", "n_test", "batch"))
    test_ids = inst.batching_test_ids(ctx.seed).astype(np.float32)

    def arrays() -> tuple[np.ndarray, ...]:
        ids = np.arange(n_train, dtype=np.float32)[:, None, None, None]
        x_train = np.broadcast_to(ids, (n_train, 3, 3, 1))
        x_test = np.broadcast_to(test_ids[:, None, None, None], (n_test, 3, 3, 1))
        return x_train.copy(), np.arange(n_train) % 10, x_test.copy(), np.arange(n_test) % 10

    return probes_data.batching(ctx, "make_datasets", arrays, n_train, n_test, batch=batch)


# -- devices and model ------------------------------------------------------------------------


def _device_kind(value: Any) -> str:
    match = re.search(r"(GPU|CPU)", str(value), flags=re.IGNORECASE)
    return match.group(1).upper() if match else f"not a device: {str(value)[:40]!r}"


def strict_two_cpus() -> None:
    """Two logical CPUs and soft placement off, so a tensor placed on a device that does not
    exist fails instead of silently landing elsewhere. Logical devices can only be made before
    the child's first op; when that has passed, the child keeps one CPU."""
    cpus = tf.config.list_physical_devices("CPU")
    with contextlib.suppress(RuntimeError, ValueError):
        tf.config.set_logical_device_configuration(
            cpus[0], [tf.config.LogicalDeviceConfiguration()] * 2
        )
    tf.config.set_soft_device_placement(False)


def get_device_real(ctx: ProbeContext) -> dict[str, Any]:
    """Ask for devices on this machine, then *use* the answer with soft placement off and two
    logical CPUs: a device that does not exist fails here instead of silently moving to the CPU."""
    strict_two_cpus()
    default = ctx.call("get_device")
    placed, error = "", None
    try:
        with tf.device(str(default)):
            placed = (tf.constant([1.0, 2.0]) * 2.0).device
    except Exception as exc:  # noqa: BLE001 - an unknown or absent device
        error = f"{type(exc).__name__}: {str(exc)[:160]}"
    return {
        "gpu_available": bool(tf.config.list_physical_devices("GPU")),
        "logical_cpus": len(tf.config.list_logical_devices("CPU")),
        "default": _device_kind(default),
        "no_gpu_wanted": _device_kind(ctx.call("get_device", prefer_gpu=False)),
        "placed_on": _device_kind(placed) if placed else "",
        "placement_error": error,
    }


@contextlib.contextmanager
def _pretend_gpu() -> Iterator[None]:
    """Every usual "is there a GPU?" question answers yes; nothing touches a GPU."""
    real_physical, real_logical = tf.config.list_physical_devices, tf.config.list_logical_devices
    gpu_physical = tf.config.PhysicalDevice(name="/physical_device:GPU:0", device_type="GPU")
    gpu_logical = tf.config.LogicalDevice(name="/device:GPU:0", device_type="GPU")

    def physical(device_type=None):  # noqa: ANN001, ANN202
        found = real_physical(device_type)
        return found + [gpu_physical] if device_type in (None, "GPU") else found

    def logical(device_type=None):  # noqa: ANN001, ANN202
        found = real_logical(device_type)
        return found + [gpu_logical] if device_type in (None, "GPU") else found

    patches: list[Any] = [
        mock.patch.object(tf.config, "list_physical_devices", physical),
        mock.patch.object(tf.config, "list_logical_devices", logical),
        mock.patch.object(tf.config.experimental, "list_physical_devices", physical),
        mock.patch.object(tf.test, "is_gpu_available", lambda *a, **k: True),
        mock.patch.object(tf.test, "gpu_device_name", lambda: "/device:GPU:0"),
    ]
    with contextlib.ExitStack() as stack:
        for patch in patches:
            stack.enter_context(patch)
        yield


def get_device_pretend_gpu(ctx: ProbeContext) -> dict[str, Any]:
    with _pretend_gpu():
        default = ctx.call("get_device")
        no_gpu = ctx.call("get_device", prefer_gpu=False)
    return {"default": _device_kind(default), "no_gpu_wanted": _device_kind(no_gpu)}


def _forward(model: Any, x: np.ndarray) -> dict[str, Any]:
    try:
        out = model(x, training=False)
    except BaseException as exc:  # noqa: BLE001
        return {"error": describe_exception(exc, "forward")}
    return {"out": describe(out), "values": to_numpy(out)}


def model_forward(ctx: ProbeContext) -> dict[str, Any]:
    model = ctx.call("build_model", input_shape=(8, 8, 3), num_classes=7)
    if not isinstance(model, keras.Model):
        return {"is_module": False, "returned": describe(model)}
    rng = np.random.default_rng(ctx.seed)
    shapes = {str(n): _forward(model, inst.model_batch(ctx.seed, n)) for n in inst.MODEL_BATCHES}
    x = rng.normal(size=(9, 8, 8, 3)).astype(np.float32)
    batch = _forward(model, x)
    singles = [_forward(model, x[i : i + 1]) for i in range(len(x))]
    default_model = ctx.call("build_model")
    default = _forward(default_model, rng.normal(size=(6, 8, 8, 1)).astype(np.float32))
    return {
        "is_module": True,
        "shapes": shapes,
        "batch": batch,
        "singles": singles,
        "default": default,
    }


def model_gradients(ctx: ProbeContext) -> dict[str, Any]:
    model = ctx.call("build_model", input_shape=(8, 8, 2), num_classes=5)
    if not isinstance(model, keras.Model):
        return {"is_module": False, "returned": describe(model)}
    x = np.random.default_rng(ctx.seed).normal(size=(4, 8, 8, 2)).astype(np.float32)

    inputs = tf.constant(x)

    def grads() -> tuple[Any, list[Any]]:
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            out = model(inputs, training=True)
            loss = tf.reduce_sum(tf.square(tf.cast(out, tf.float32)))
        return out, tape.gradient(loss, [*model.trainable_variables, inputs])

    out, (*gradients, input_grad) = run_learner("build_model", grads)
    names = [v.path if hasattr(v, "path") else v.name for v in model.trainable_variables]
    return {
        "train_out": {"out": describe(out), "values": to_numpy(out)},
        "is_module": True,
        "n_params": len(names),
        "without_grad": [n for n, g in zip(names, gradients) if g is None],
        "zero_grad": [
            n
            for n, g in zip(names, gradients)
            if g is not None and not bool(np.abs(tf.convert_to_tensor(g).numpy()).max() > 0)
        ],
        "frozen": [],
        "input_reached": input_grad is not None and bool(np.abs(input_grad.numpy()).max() > 0),
    }


# -- loss and optimizer -----------------------------------------------------------------------


def loss(ctx: ProbeContext) -> dict[str, Any]:
    logits, targets = inst.classification(ctx.seed, 6, 5)
    loss_fn = ctx.call("make_loss")
    config = {}
    with contextlib.suppress(Exception):
        config = {
            k: v for k, v in loss_fn.get_config().items() if isinstance(v, bool | int | float | str)
        }
    logits_t = tf.constant(logits)
    with tf.GradientTape() as tape:
        tape.watch(logits_t)
        value = run_learner("make_loss", loss_fn, tf.constant(targets), logits_t)
    grad = None
    with contextlib.suppress(Exception):
        grad = to_numpy(tape.gradient(value, logits_t))
    return {
        "value": as_float(value),
        "returned": describe(value),
        "grad": grad,
        "config": config,
        "model_log_probs": False,
    }


def optimizer(ctx: ProbeContext) -> dict[str, Any]:
    """Two optimizers, lr a and b, each applying the seed's gradient once to a variable with
    the seed's values: what the step did (the grader knows the gradient)."""
    out: dict[str, Any] = {}
    start, grad = inst.optimizer_variable(ctx.seed)
    for run, lr in inst.OPTIMIZER_LRS.items():
        opt = ctx.call("make_optimizer", lr)
        if not isinstance(opt, keras.optimizers.Optimizer):
            return {"is_optimizer": False, "returned": describe(opt)}
        variable = keras.Variable(start.copy())
        run_learner("make_optimizer", opt.apply_gradients, [(tf.constant(grad), variable)])
        out[run] = {
            "lrs": [float(np.asarray(keras.ops.convert_to_numpy(opt.learning_rate)))],
            "type": type(opt).__name__,
            "step": [float(v) for v in (variable.numpy().astype(np.float64) - start)],
        }
    out["is_optimizer"] = True
    return out


# -- metric -----------------------------------------------------------------------------------


def _metrics(ctx: ProbeContext) -> Any:
    metrics = ctx.call("make_metrics")
    if not isinstance(metrics, dict):
        raise contract_error(
            "make_metrics", "expected a dict of Keras metrics, got " + describe(metrics)["type"]
        )
    return metrics


def make_metrics(ctx: ProbeContext) -> dict[str, Any]:
    """The learner's metrics fed seed-drawn losses, labels and logits: their results are values
    the grader computes (a mean of the losses, the share of rows whose argmax is the label)."""
    metrics = _metrics(ctx)
    out: dict[str, Any] = {
        "keys": sorted(map(str, metrics)),
        "types": {str(k): type(v).__name__ for k, v in metrics.items()},
        "are_metrics": all(isinstance(v, keras.metrics.Metric) for v in metrics.values()),
    }
    losses, labels, logits = inst.metric_inputs(ctx.seed)
    if out["are_metrics"] and {"loss", "accuracy"} <= set(metrics):
        try:
            metrics["loss"].update_state(losses[:4])
            metrics["loss"].update_state(losses[4:])
            metrics["accuracy"].update_state(labels, logits)
            out["loss_result"] = as_float(metrics["loss"].result())
            out["accuracy_result"] = as_float(metrics["accuracy"].result())
        except Exception as exc:  # noqa: BLE001 - the learner's metric objects may raise anything
            out["update_error"] = describe_exception(exc, "make_metrics")
    return out


def evaluate_values(ctx: ProbeContext) -> dict[str, Any]:
    """Evaluate a model with known outputs on batches of 5, 5, 2; then again, with the same metric
    objects, on a second dataset: the second result must not remember the first."""
    x, y, weight, bias = inst.linear_problem(ctx.seed)
    model = built_spy(weight, bias, x.shape[1:])
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    metrics = _metrics(ctx)
    first = ctx.call("evaluate", model, dataset(x, y, 5), loss_fn, metrics)
    second = ctx.call("evaluate", model, dataset(x[:7], (y[:7] + 1) % 4, 7), loss_fn, metrics)
    if not isinstance(first, dict) or not isinstance(second, dict):
        return {"is_dict": False, "returned": describe(first)}
    return {
        "is_dict": True,
        "loss": as_float(first.get("loss")),
        "accuracy": as_float(first.get("accuracy")),
        "second_loss": as_float(second.get("loss")),
        "second_accuracy": as_float(second.get("accuracy")),
        "keys": sorted(map(str, first)),
    }


def evaluate_modes(ctx: ProbeContext) -> dict[str, Any]:
    """evaluate() on the spy model in one batch: the spy's training gain shows in the loss
    whether evaluate called it with training=True (one batch, so that how batch losses are
    averaged barely matters: that is evaluate_values' to judge)."""
    x, y, weight, bias = inst.linear_problem(ctx.seed)
    model = built_spy(weight, bias, x.shape[1:])
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    result = ctx.call("evaluate", model, dataset(x, y, len(x)), loss_fn, _metrics(ctx))
    return evaluation(result)


PROBES = {
    "datasets": datasets,
    "get_device_real": get_device_real,
    "get_device_pretend_gpu": get_device_pretend_gpu,
    "model_forward": model_forward,
    "model_gradients": model_gradients,
    "loss": loss,
    "optimizer": optimizer,
    "make_metrics": make_metrics,
    "evaluate_values": evaluate_values,
    "evaluate_modes": evaluate_modes,
}
