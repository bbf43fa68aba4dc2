"""Bridge probes in the TensorFlow worker (PyTorch is a stand-in there: ``worker/standins.py``)."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from autograder.probes.bridge import nets
from autograder.probes.bridge.plain import forward_backward_out, observe
from autograder.probes.common.observe import as_float, describe
from autograder.probes.common.settings import tensorflow_settings as global_state  # noqa: F401
from autograder.probes.tf2 import probes as tf2_probes
from autograder.probes.tf2.probes_model import strict_two_cpus
from autograder.worker import standins
from autograder.worker.probe_api import ProbeContext, run_learner

ABSENT = ["torch", "torchvision", "torchaudio"]


def prepare_worker() -> None:
    """Once per worker: TensorFlow and Keras imported (no op run: children are forked), and
    PyTorch replaced by stand-ins so the learner's two-framework notebook loads."""
    import tensorflow as tf

    tf.get_logger().setLevel(logging.ERROR)
    import keras  # noqa: F401

    tf2_probes.materialize_tf_keras()
    standins.install(ABSENT)


def seed_child(seed: int) -> None:
    tf2_probes.seed_child(seed)
    standins.strict()


def build(net: dict[str, Any], seed: int | None = None) -> Any:
    """``net`` as a Keras Sequential model; with ``nets.init_weights(net, seed)`` ported when a
    seed is given."""
    import keras

    c, h, w = net["input"]
    layers: list[Any] = [keras.Input((h, w, c))]
    for kind, size in net["layers"]:
        if kind == "conv":
            layers.append(keras.layers.Conv2D(size, 3, padding="same"))
        elif kind == "dense":
            layers.append(keras.layers.Dense(size))
        else:
            layers.append(
                {"relu": keras.layers.ReLU, "pool": keras.layers.MaxPool2D}.get(
                    kind, keras.layers.Flatten
                )()
            )
    model = keras.Sequential(layers)
    if seed is not None:
        model.set_weights(nets.torch_to_keras(nets.init_weights(net, seed), net))
    return model


def _nhwc(net: dict[str, Any], seed: int) -> tuple[np.ndarray, np.ndarray]:
    x, y = nets.batch(net, seed)
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1)), y


# -- layouts -----------------------------------------------------------------------------------


def layouts_tf(ctx: ProbeContext) -> dict[str, Any]:
    import tensorflow as tf

    nchw, nhwc = nets.layout_batches(ctx.rng)
    return {
        "tf_to_nhwc": observe(ctx.call("nchw_to_nhwc", tf.constant(nchw))),
        "tf_to_nchw": observe(ctx.call("nhwc_to_nchw", tf.constant(nhwc))),
    }


# -- port --------------------------------------------------------------------------------------


def port(ctx: ProbeContext) -> dict[str, Any]:
    """Port each network's PyTorch weights (drawn from the seed) into a freshly initialised Keras
    twin, then run it."""
    nets_out = []
    for net in nets.PORT_NETS:
        model = build(net)
        weights = {name: array.copy() for name, array in nets.init_weights(net, ctx.seed)}
        before = [np.array(w) for w in model.get_weights()]
        ctx.call("port_torch_to_keras", weights, model)
        after = [np.asarray(w) for w in model.get_weights()]
        x, _ = _nhwc(net, ctx.seed)
        logits = run_learner("port_torch_to_keras", model, x, training=False)
        nets_out.append(
            {
                "weights": after,
                "logits": np.asarray(logits),
                "unchanged": all(np.array_equal(a, b) for a, b in zip(before, after, strict=True)),
            }
        )
    return {"nets": nets_out}


# -- parity ------------------------------------------------------------------------------------


def parity_tf2(ctx: ProbeContext) -> dict[str, Any]:
    x, y = _nhwc(nets.PARITY_NET, ctx.seed)
    out = ctx.call("forward_backward_tf2", build(nets.PARITY_NET, ctx.seed), x, y)
    return forward_backward_out("forward_backward_tf2", out, named=False)


def parity_tf1(ctx: ProbeContext) -> dict[str, Any]:
    x, y = _nhwc(nets.PARITY_NET, ctx.seed)
    weights = nets.torch_to_keras(nets.init_weights(nets.PARITY_NET, ctx.seed), nets.PARITY_NET)
    out = ctx.call("forward_backward_tf1", weights, x, y)
    return forward_backward_out("forward_backward_tf1", out, named=False)


# -- accumulation ------------------------------------------------------------------------------


def accumulation_tf2(
    ctx: ProbeContext, k: int, micro: int, windows: int, lr: float
) -> dict[str, Any]:
    """Train a linear Keras model with ``accumulate_gradients`` on ``windows * k`` batches."""
    import keras
    import tensorflow as tf

    n = windows * k * micro
    x, y, w0, b0 = nets.accumulation_problem(ctx.rng, n)
    model = keras.Sequential([keras.Input((w0.shape[1],)), keras.layers.Dense(w0.shape[0])])
    model.set_weights([w0.T.copy(), b0])
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(micro)
    optimizer = keras.optimizers.SGD(learning_rate=lr)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    loss = ctx.call("accumulate_gradients", model, dataset, loss_fn, optimizer, k)
    w, b = model.get_weights()
    return {
        "w": np.asarray(w).T.copy(),
        "b": np.asarray(b),
        "steps": int(optimizer.iterations.numpy()),
        "loss": as_float(loss),
    }


# -- placement ---------------------------------------------------------------------------------


def place_tf(ctx: ProbeContext) -> dict[str, Any]:
    """``place`` a tensor made on /CPU:0 onto a second logical CPU, with soft placement off."""
    import tensorflow as tf

    strict_two_cpus()
    with tf.device("/CPU:0"):
        x = tf.constant(nets.place_values(ctx.rng))
    obs: dict[str, Any] = {}
    for target in ("/CPU:1", "/CPU:0"):
        moved = ctx.call("place", x, target)
        obs[target] = {**describe(moved), "values": observe(moved)["values"]}
    return obs


# Logical devices can only be made before a process's first op: this probe needs a fresh child.
SOLO_PROBES = frozenset({"place_tf"})

PROBES = {
    "layouts_tf": layouts_tf,
    "port": port,
    "parity_tf2": parity_tf2,
    "parity_tf1": parity_tf1,
    "accumulation_tf2": accumulation_tf2,
    "place_tf": place_tf,
}
