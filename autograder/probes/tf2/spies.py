"""Trusted Keras helpers for TF2 probes: a linear model whose mode shows in its outputs, and
that records whether it runs eagerly or traced."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from autograder.probes.common import instances as inst

# Call logs live outside the model: Keras would otherwise track (and wrap) list attributes.
CALLS: dict[int, list[dict[str, Any]]] = {}


class SpyLinear(keras.Model):
    """Flatten + Dense with given weights whose logits carry ``instances.TRAINING_GAIN`` when
    called with ``training=True`` (a Python bool or a tensor), so the mode of each call shows in
    values the grader recomputes; records ``training``, eager/traced and the input shape."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray):
        super().__init__()
        self.flatten = keras.layers.Flatten()
        self.dense = keras.layers.Dense(
            weight.shape[0],
            kernel_initializer=keras.initializers.Constant(weight.T),  # (K, D) -> Keras (D, K)
            bias_initializer=keras.initializers.Constant(bias),
        )
        CALLS[id(self)] = []

    @property
    def calls(self) -> list[dict[str, Any]]:
        return CALLS[id(self)]

    def call(self, x, training=None):  # noqa: ANN001, ANN201 - Keras signature
        CALLS[id(self)].append(
            {
                "training": repr(training) if isinstance(training, bool | type(None)) else "tensor",
                "eager": bool(tf.executing_eagerly()),
                "input_shape": [int(d) if d is not None else -1 for d in x.shape],
            }
        )
        out = self.dense(self.flatten(x))
        if training is None or isinstance(training, bool):
            return out * inst.TRAINING_GAIN if training else out
        gain = tf.where(tf.cast(training, tf.bool), inst.TRAINING_GAIN, 1.0)
        return out * tf.cast(gain, out.dtype)


class TraceMarkedLinear(SpyLinear):
    """A SpyLinear whose logits carry ``instances.trace_gain(k)`` in its k-th trace (its Python
    ``call`` runs once per trace, or at every call when eager: gain 1), so how often a
    ``tf.function`` traced shows in the losses the grader replays, not in a count it reads."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray):
        super().__init__(weight, bias)
        TRACES[id(self)] = []

    def call(self, x, training=None):  # noqa: ANN001, ANN201 - Keras signature
        trace = 0
        if not tf.executing_eagerly():  # one trace = one graph, however often it calls us
            graphs = TRACES[id(self)]
            graph = tf.compat.v1.get_default_graph()
            # by identity, holding each graph: a freed graph's id may be reused by the next
            known = [i for i, g in enumerate(graphs) if g is graph]
            if not known:
                graphs.append(graph)
            trace = (known[0] if known else len(graphs) - 1) + 1
        return super().call(x, training=training) * inst.trace_gain(trace)


TRACES: dict[int, list[Any]] = {}
"""The graphs each TraceMarkedLinear was traced into, in order, kept alive (outside the model,
as CALLS)."""


def built_spy(
    weight: np.ndarray,
    bias: np.ndarray,
    input_shape: tuple[int, ...],
    kind: type[SpyLinear] = SpyLinear,
) -> SpyLinear:
    """A SpyLinear (or ``kind``) whose variables exist already (built eagerly), with an empty
    call log."""
    model = kind(weight, bias)
    model(np.zeros((1, *input_shape), np.float32))
    CALLS[id(model)].clear()
    return model


def dataset(x: np.ndarray, y: np.ndarray, batch_size: int) -> tf.data.Dataset:
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size)
