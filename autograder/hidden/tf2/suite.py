"""The hidden tests of the ``tf2`` assignment. Grader side: numpy only."""

from __future__ import annotations

from functools import partial

from autograder.hidden.base import HiddenTest, Suite
from autograder.hidden.common import verdicts_data as data
from autograder.hidden.common import verdicts_model as mdl
from autograder.hidden.common import verdicts_report as rep
from autograder.hidden.tf2 import verdicts_tf as tf2


def _t(name: str, step: str, points: float, probe: str, verdict, doing: str, **kw) -> HiddenTest:  # noqa: ANN001
    return HiddenTest(
        name=name, step=step, points=points, probe=probe, verdict=verdict, doing=doing, **kw
    )


_SLOW = {"timeout_s": 90}

TESTS = [
    # download (shared with assignment 1)
    _t(
        "download_fetches_and_verifies",
        "download",
        2,
        "download_fetch",
        data.download_fetch,
        "downloading a file:// URL into a new cache directory",
    ),
    _t(
        "download_rejects_bad_checksum",
        "download",
        2,
        "download_bad_checksum",
        data.download_bad_checksum,
        "downloading a file whose sha256 does not match",
    ),
    _t(
        "download_reuses_cache",
        "download",
        1,
        "download_cache",
        data.download_cache,
        "downloading a file that is already cached",
    ),
    # data
    _t("stats_per_channel", "data", 1, "stats", data.stats, "computing normalisation statistics"),
    _t(
        "preprocess_channels_last",
        "data",
        3,
        "preprocess",
        tf2.preprocess_channels_last,
        "preprocessing grey and colour images",
    ),
    _t(
        "preprocess_dtypes",
        "data",
        1,
        "preprocess",
        tf2.preprocess_dtypes,
        "preprocessing images and labels",
    ),
    _t(
        "split_stratified_and_seeded",
        "data",
        1,
        "prepare_data",
        partial(data.prepare_data_split, layout="NHWC"),
        "preparing a small data file",
    ),
    _t(
        "stats_from_training_split",
        "data",
        2,
        "prepare_data",
        data.prepare_data_stats,
        "preparing a small data file",
    ),
    _t(
        "train_dataset_shuffled_before_batching",
        "data",
        2,
        "datasets",
        tf2.datasets_train,
        "iterating the training dataset",
    ),
    _t(
        "test_dataset_in_order",
        "data",
        1,
        "datasets",
        tf2.datasets_test,
        "iterating the test dataset",
    ),
    # model (and devices)
    _t(
        "get_device_without_gpu",
        "model",
        1,
        "get_device_real",
        tf2.get_device_real,
        "asking for a device on this machine",
    ),
    _t(
        "get_device_with_gpu",
        "model",
        1,
        "get_device_pretend_gpu",
        tf2.get_device_pretend_gpu,
        "asking for a device on a machine that reports a GPU",
    ),
    _t(
        "model_output_shape",
        "model",
        2,
        "model_forward",
        mdl.model_shapes,
        "running the model on batches of several sizes",
    ),
    _t(
        "model_outputs_logits",
        "model",
        1,
        "model_forward",
        mdl.model_logits,
        "running the model on a batch",
    ),
    _t(
        "model_samples_independent",
        "model",
        1,
        "model_forward",
        mdl.model_batch_independent,
        "running the model sample by sample",
    ),
    _t(
        "model_gradients_reach_variables",
        "model",
        1,
        "model_gradients",
        mdl.model_gradients,
        "differentiating through the model",
    ),
    # loss and optimizer
    _t(
        "loss_is_cross_entropy_on_logits",
        "loss_opt",
        2,
        "loss",
        tf2.loss_from_logits,
        "computing the loss of known logits",
    ),
    _t(
        "optimizer_uses_lr",
        "loss_opt",
        2,
        "optimizer",
        mdl.optimizer_lr,
        "building optimizers with two learning rates",
    ),
    _t(
        "optimizer_applies_updates",
        "loss_opt",
        1,
        "optimizer",
        tf2.optimizer_updates,
        "applying a gradient",
    ),
    # metric
    _t(
        "make_metrics_keras_metrics",
        "metric",
        1,
        "make_metrics",
        tf2.make_metrics,
        "making the metrics",
    ),
    _t(
        "evaluate_values",
        "metric",
        2,
        "evaluate_values",
        tf2.evaluate_values,
        "evaluating a model with known outputs on batches of 5, 5, 2",
    ),
    _t(
        "evaluate_resets_metrics",
        "metric",
        2,
        "evaluate_values",
        tf2.evaluate_resets_metrics,
        "evaluating twice with the same metric objects",
    ),
    _t(
        "evaluate_training_false",
        "metric",
        2,
        "evaluate_values",
        tf2.evaluate_inference,
        "evaluating a model",
    ),
    # train
    _t(
        "train_step_gradients",
        "train",
        3,
        "train_step",
        tf2.train_step_gradients,
        "taking three SGD steps",
        diagnose=tf2.variable_error_hint,
    ),
    _t(
        "train_step_training_true",
        "train",
        2,
        "train_step",
        tf2.train_step_training_flag,
        "taking SGD steps",
        diagnose=tf2.variable_error_hint,
    ),
    _t(
        "train_step_traced_once",
        "train",
        2,
        "train_step",
        tf2.train_step_traced_once,
        "calling train_step six times",
        diagnose=tf2.variable_error_hint,
    ),
    _t(
        "fit_resets_train_loss",
        "train",
        2,
        "fit_run",
        tf2.fit_resets_train_loss,
        "fitting for 3 epochs",
        **_SLOW,
    ),
    _t("fit_history", "train", 1, "fit_run", rep.fit_history, "fitting for 3 epochs", **_SLOW),
    _t("fit_learns_digits", "train", 1, "fit_run", rep.fit_learns, "fitting for 3 epochs", **_SLOW),
    _t(
        "fit_keras_learns_digits",
        "train",
        2,
        "fit_keras",
        tf2.fit_keras_learns,
        "compiling and fitting for 4 epochs",
        **_SLOW,
    ),
    # report (shared)
    _t(
        "report_keeps_splits_apart",
        "report",
        2,
        "report",
        rep.report_values,
        "reporting known metrics",
    ),
    _t("plot_shows_history", "report", 2, "plot", rep.plot_curves, "plotting a known history"),
    _t(
        "tensorboard_scalars",
        "report",
        2,
        "tensorboard",
        rep.tensorboard_scalars,
        "logging a known history to TensorBoard",
    ),
]

SUITE = Suite(
    assignment="tf2",
    version="tf2-1",
    probes_module="autograder.hidden.tf2.probes",
    blocked_modules=["torch", "jax"],
    tests=TESTS,
)
