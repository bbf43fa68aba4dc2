"""All TF2 probes, by name. Imported by the worker only (``Suite.probes_module``)."""

from __future__ import annotations

import importlib
import logging
import random

import numpy as np

from autograder.probes.common import probes_data, probes_report
from autograder.probes.common.settings import tensorflow_settings as global_state  # noqa: F401
from autograder.probes.tf2 import probes_model, probes_train


def prepare_worker() -> None:
    """Import TensorFlow, Keras and the report modules once, without running a single op:
    TensorFlow starts its runtime threads on the first op, and a forked child could not use them."""
    import tensorflow as tf

    tf.get_logger().setLevel(logging.ERROR)
    materialize_tf_keras()
    import matplotlib

    matplotlib.use("Agg")
    for name in ("keras", "matplotlib.pyplot", "tensorboard.compat.proto.event_pb2"):
        importlib.import_module(name)


def materialize_tf_keras() -> None:
    """``tf.keras`` starts as a lazy loader that replaces itself with the real module on first
    use; resolve it now, before the tamper baseline, so ``from tensorflow import keras`` in
    learner code is not mistaken for replacing a framework module. Likewise import
    ``tensorflow.summary`` and ``tensorflow.compat`` by those names: the first import of them
    (``keras.callbacks.TensorBoard`` does one) rebinds ``tf.summary`` and ``tf.compat`` to new
    module objects, which the tamper check took for learner code replacing them."""
    import tensorflow as tf

    _ = tf.keras.layers
    for name in ("tensorflow.summary", "tensorflow.compat"):
        importlib.import_module(name)


def seed_child(seed: int) -> None:
    """In each forked child, before the first op: one thread each way, seeded generators."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.random.set_seed(seed % 2**31)
    np.random.seed(seed % 2**32)
    random.seed(seed)


# Logical devices can only be made before a process's first op: this probe needs a fresh child.
SOLO_PROBES = frozenset({"get_device_real"})

PROBES = {
    **probes_data.PROBES,
    **probes_report.PROBES,
    **probes_model.PROBES,
    **probes_train.PROBES,
}
