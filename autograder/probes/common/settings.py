"""The frameworks' process-wide settings a probe could change for the probes after it.

A probe child that runs several probes (``autograder.worker.hygiene``) compares these before and
after each one; any difference retires the child. Worker side; each reads only its framework.
"""

from __future__ import annotations

from typing import Any


def torch_settings() -> tuple[Any, ...]:
    import torch

    return (
        torch.get_default_dtype(),
        torch.is_grad_enabled(),
        torch.is_inference_mode_enabled(),
        torch.get_num_threads(),
        torch.are_deterministic_algorithms_enabled(),
        torch.is_anomaly_enabled(),
        str(torch.get_default_device()),
        torch.get_float32_matmul_precision(),
        torch.backends.cudnn.benchmark,
        torch.backends.cudnn.deterministic,
        torch.backends.cuda.matmul.allow_tf32,
    )


def tensorflow_settings() -> tuple[Any, ...]:
    import keras
    import tensorflow as tf
    from tensorflow.python.framework import config as tf_config

    determinism = getattr(tf_config, "is_op_determinism_enabled", lambda: None)
    return (
        tf.config.functions_run_eagerly(),
        tf.config.get_soft_device_placement(),
        tf.config.experimental.tensor_float_32_execution_enabled(),
        determinism(),
        tf.executing_eagerly(),
        len(tf.compat.v1.get_default_graph().get_operations()),
        keras.config.floatx(),
        keras.config.image_data_format(),
        keras.config.dtype_policy().name,
        keras.config.epsilon(),
        keras.config.backend(),
    )
