"""The hidden tests of the ``tf2`` assignment. Grader side: numpy only."""

from __future__ import annotations

from functools import partial

from autograder.hidden.base import Suite
from autograder.hidden.common import suite_parts as parts
from autograder.hidden.common import trusted
from autograder.hidden.common import verdicts_model as mdl
from autograder.hidden.common import verdicts_report as rep
from autograder.hidden.tf2 import verdicts_tf as tf2

_t = parts.test
_SLOW = {"timeout_s": 90}
_STEP = {"diagnose": tf2.variable_error_hint}

TESTS = [
    *parts.download_tests(),
    parts.stats_test(),
    _t("preprocess_channels_last", "data", 3, "preprocess", tf2.preprocess_channels_last, "preprocessing grey and colour images"),
    _t("preprocess_dtypes", "data", 1, "preprocess", tf2.preprocess_dtypes, "preprocessing images and labels"),
    *parts.split_tests("NHWC"),
    _t("train_dataset_shuffled_before_batching", "data", 2, "datasets", tf2.datasets_train, "iterating the training dataset"),
    _t("test_dataset_in_order", "data", 1, "datasets", tf2.datasets_test, "iterating the test dataset"),
    _t("get_device_without_gpu", "model", 1, "get_device_real", tf2.get_device_real, "asking for a device on this machine"),
    _t("get_device_with_gpu", "model", 1, "get_device_pretend_gpu", tf2.get_device_pretend_gpu, "asking for a device on a machine that reports a GPU"),
    _t("model_output_shape", "model", 2, "model_forward", partial(mdl.model_shapes, framework="tf2"), "running the model on batches of several sizes"),
    _t("model_outputs_logits", "model", 1, "model_forward", partial(mdl.model_logits, framework="tf2"), "running the model on a batch"),
    _t("model_samples_independent", "model", 1, "model_forward", partial(mdl.model_batch_independent, framework="tf2"), "running the model sample by sample"),
    _t("model_gradients_reach_variables", "model", 1, "model_gradients", partial(mdl.model_gradients, framework="tf2"), "differentiating through the model"),
    _t("loss_is_cross_entropy_on_logits", "loss_opt", 2, "loss", tf2.loss_from_logits, "computing the loss of known logits"),
    _t("optimizer_uses_lr", "loss_opt", 2, "optimizer", partial(mdl.optimizer_lr, gradient=mdl.variable_gradient, framework="tf2"), "building optimizers with two learning rates"),
    _t("optimizer_applies_updates", "loss_opt", 1, "optimizer", tf2.optimizer_updates, "applying a gradient"),
    _t("make_metrics_keras_metrics", "metric", 1, "make_metrics", tf2.make_metrics, "making the metrics"),
    _t("evaluate_values", "metric", 2, "evaluate_values", tf2.evaluate_values, "evaluating a model with known outputs on batches of 5, 5, 2"),
    _t("evaluate_resets_metrics", "metric", 2, "evaluate_values", tf2.evaluate_resets_metrics, "evaluating twice with the same metric objects"),
    _t("evaluate_training_false", "metric", 2, "evaluate_modes", tf2.evaluate_inference, "evaluating a model"),
    _t("train_step_gradients", "train", 3, "train_step", tf2.train_step_gradients, "taking three SGD steps", **_STEP),
    _t("train_step_training_true", "train", 2, "train_step", tf2.train_step_training_flag, "taking SGD steps", **_STEP),
    _t("train_step_traced_once", "train", 2, "train_step", tf2.train_step_traced_once, "calling train_step six times", **_STEP),
    _t("fit_resets_train_loss", "train", 2, "fit_run", tf2.fit_resets_train_loss, "fitting for 3 epochs", **_SLOW, params=trusted.TF2_FIT),
    _t("fit_history", "train", 1, "fit_run", tf2.fit_history, "fitting for 3 epochs", **_SLOW, params=trusted.TF2_FIT),
    _t("fit_learns_digits", "train", 1, "fit_run", rep.fit_learns, "fitting for 3 epochs", **_SLOW, params=trusted.TF2_FIT),
    _t("fit_keras_learns_digits", "train", 2, "fit_keras", tf2.fit_keras_learns, "compiling and fitting for 4 epochs", **_SLOW),
    *parts.report_tests(),
]  # fmt: skip

SUITE = Suite(
    assignment="tf2",
    version="tf2-6",
    probes_module="autograder.probes.tf2.probes",
    blocked_modules=["torch", "jax"],
    tests=TESTS,
)
