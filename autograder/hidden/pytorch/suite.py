"""The hidden tests of the ``pytorch`` assignment: which probe, which verdict, how many points.

Grader side: imports numpy only. Probes are named by string and run in the worker.
"""

from __future__ import annotations

from functools import partial

from autograder.hidden.base import HiddenTest, Suite
from autograder.hidden.common import suite_parts as parts
from autograder.hidden.common import trusted
from autograder.hidden.common import verdicts_model as mdl
from autograder.hidden.common import verdicts_report as rep
from autograder.hidden.pytorch import verdicts_io as io
from autograder.hidden.pytorch import verdicts_loop as loop
from autograder.hidden.pytorch import verdicts_nn as nn
from autograder.hidden.pytorch.verdicts_loop import device_error_hint


def _t(name: str, step: str, points: float, probe: str, verdict, doing: str, **kw) -> HiddenTest:  # noqa: ANN001
    return HiddenTest(
        name=name, step=step, points=points, probe=probe, verdict=verdict, doing=doing, **kw
    )


TESTS = [
    *parts.download_tests(),
    parts.stats_test(),
    # download
    # data
    _t(
        "preprocess_adds_channel_axis",
        "data",
        2,
        "preprocess",
        io.preprocess_channel_axis,
        "preprocessing grey (N, H, W) images",
    ),
    _t(
        "preprocess_permutes_channels",
        "data",
        2,
        "preprocess",
        io.preprocess_permute,
        "preprocessing colour (N, H, W, C) images",
    ),
    _t(
        "preprocess_dtypes",
        "data",
        1,
        "preprocess",
        io.preprocess_dtypes,
        "preprocessing images and labels",
    ),
    *parts.split_tests("NCHW"),
    _t(
        "train_loader_shuffled_reproducibly",
        "data",
        1,
        "loaders",
        io.loaders_train,
        "iterating the training loader",
    ),
    _t("test_loader_in_order", "data", 1, "loaders", io.loaders_test, "iterating the test loader"),
    # model (and devices)
    _t(
        "get_device_without_gpu",
        "model",
        1,
        "get_device_real",
        nn.get_device_real,
        "asking for a device on this machine",
    ),
    _t(
        "get_device_with_gpu",
        "model",
        1,
        "get_device_pretend_gpu",
        nn.get_device_pretend_gpu,
        "asking for a device on a machine that reports a GPU",
    ),
    _t(
        "to_device_nested",
        "model",
        1,
        "to_device",
        nn.to_device,
        "moving nested tensors to a device",
    ),
    HiddenTest(
        name="device_compared_by_type",
        step="model",
        points=1,
        doing="reading how devices are compared",
        verdict=lambda obs, seed: nn.device_comparison(obs["code"]),
        static=nn.device_comparison,
        depends_on="get_device_without_gpu",
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
        "model_gradients_reach_parameters",
        "model",
        1,
        "model_gradients",
        mdl.model_gradients,
        "back-propagating through the model",
    ),
    # loss and optimizer
    _t(
        "loss_is_mean_cross_entropy",
        "loss_opt",
        2,
        "loss",
        nn.loss_value,
        "computing the loss of known logits",
    ),
    _t(
        "optimizer_over_model_parameters",
        "loss_opt",
        2,
        "optimizer",
        nn.optimizer_params,
        "building an optimizer for a model",
    ),
    _t(
        "optimizer_uses_lr",
        "loss_opt",
        1,
        "optimizer",
        partial(mdl.optimizer_lr, gradient=mdl.net_gradient),
        "building optimizers with two learning rates",
    ),
    # metric
    _t(
        "accuracy_over_classes",
        "metric",
        2,
        "accuracy",
        nn.accuracy_value,
        "computing accuracy of known logits",
    ),
    _t(
        "evaluate_exact_means",
        "metric",
        2,
        "evaluate_values",
        nn.evaluate_values,
        "evaluating a model with known outputs on batches of 5, 5, 2",
    ),
    _t(
        "evaluate_in_eval_mode",
        "metric",
        1,
        "evaluate_modes",
        nn.evaluate_eval_mode,
        "evaluating a model",
    ),
    _t(
        "evaluate_without_graph",
        "metric",
        1,
        "evaluate_modes",
        nn.evaluate_no_grad,
        "evaluating a model",
    ),
    _t(
        "evaluate_moves_batches",
        "metric",
        2,
        "evaluate_placement",
        loop.evaluate_placement,
        "evaluating on another device",
        diagnose=device_error_hint,
    ),
    # train
    _t(
        "train_zeroes_gradients_each_step",
        "train",
        3,
        "train_sgd",
        loop.train_zero_grad,
        "training one epoch with plain SGD",
    ),
    _t(
        "train_returns_mean_loss",
        "train",
        1,
        "train_sgd",
        loop.train_mean_loss,
        "training one epoch with plain SGD",
    ),
    _t(
        "train_restores_train_mode",
        "train",
        2,
        "train_mode",
        loop.train_mode,
        "training a model that evaluate() left in eval mode",
    ),
    _t(
        "train_moves_batches",
        "train",
        2,
        "train_placement",
        loop.train_placement,
        "training on another device",
        diagnose=device_error_hint,
    ),
    _t(
        "fit_moves_model",
        "train",
        1,
        "fit_placement",
        loop.fit_placement,
        "fitting a CPU model on another device",
        diagnose=device_error_hint,
    ),
    _t(
        "fit_history",
        "train",
        1,
        "fit_run",
        partial(rep.fit_history, replayed=True),
        "fitting for 3 epochs",
        timeout_s=60,
        params=trusted.PYTORCH_FIT,
    ),
    _t(
        "fit_learns_digits",
        "train",
        2,
        "fit_run",
        rep.fit_learns,
        "fitting for 3 epochs",
        timeout_s=60,
        params=trusted.PYTORCH_FIT,
    ),
    # report
    *parts.report_tests(),
]

SUITE = Suite(
    assignment="pytorch",
    version="pytorch-6",
    probes_module="autograder.probes.pytorch.probes",
    blocked_modules=["tensorflow", "keras", "jax"],
    tests=TESTS,
)
