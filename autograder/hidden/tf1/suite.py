"""The hidden tests of the ``tf1`` assignment. Grader side: numpy only."""

from __future__ import annotations

from autograder.hidden.base import Suite
from autograder.hidden.common import suite_parts as parts
from autograder.hidden.common import trusted
from autograder.hidden.tf1 import verdicts_bn as bn
from autograder.hidden.tf1 import verdicts_graph as g
from autograder.hidden.tf2 import verdicts_tf as tf2

_t = parts.test
_GRAPH = {"timeout_s": 60, "diagnose": g.init_error_hint}

TESTS = [
    *parts.download_tests(),
    parts.stats_test(),
    _t("preprocess_channels_last", "data", 3, "preprocess", tf2.preprocess_channels_last, "preprocessing grey and colour images"),
    _t("preprocess_dtypes", "data", 1, "preprocess", tf2.preprocess_dtypes, "preprocessing images and labels"),
    *parts.split_tests("NHWC"),
    _t("graph_is_its_own", "model", 1, "graph", g.graph_is_own_and_complete, "building two graphs", **_GRAPH),
    _t("placeholders_any_batch_size", "model", 2, "graph", g.placeholders_any_batch, "building the graph", **_GRAPH),
    _t("logits_shape", "model", 2, "graph", g.logits_shape, "running the graph on batches of 1, 5 and 13", **_GRAPH),
    _t("loss_is_mean_cross_entropy", "loss_opt", 2, "graph", g.loss_is_cross_entropy, "running loss and accuracy", **_GRAPH),
    _t("optimizer_uses_lr", "loss_opt", 1, "graph_lr", g.learning_rate_used, "running one train_op step with each of two learning rates", **_GRAPH),
    _t("batch_norm_modes", "loss_opt", 2, "batch_norm", bn.batch_norm_modes, "normalising a (6, 3, 3, 4) batch with training True and False", **_GRAPH),
    _t("batch_norm_update_ops", "loss_opt", 1, "batch_norm", bn.batch_norm_update_ops, "running batch_norm's update ops once", **_GRAPH),
    _t("train_op_runs_update_ops", "loss_opt", 2, "bn_train_op", bn.train_op_runs_update_ops, "running minimize_with_updates' op once on a graph with batch norm", **_GRAPH),
    _t("evaluate_values", "metric", 2, "evaluate_graph", g.evaluate_values, "evaluating a graph with known outputs on batches of 5, 5, 2", **_GRAPH),
    _t("evaluate_runs_existing_graph", "metric", 2, "evaluate_graph", g.evaluate_runs_existing_graph, "evaluating a graph", **_GRAPH),
    _t("train_initialises_once", "train", 2, "train_graph", g.train_initialises_once, "training for 3 epochs", **_GRAPH, params=trusted.TF1_TRAIN),
    _t("train_graph_does_not_grow", "train", 2, "train_graph", g.train_graph_does_not_grow, "training for 3 epochs", **_GRAPH, params=trusted.TF1_TRAIN),
    _t("train_feeds_training_split", "train", 2, "train_graph", g.train_feeds_training_split, "training for 3 epochs", **_GRAPH, params=trusted.TF1_TRAIN),
    _t("train_feeds_training_true", "train", 1, "train_graph", g.train_feeds_training_true, "training for 3 epochs", **_GRAPH, params=trusted.TF1_TRAIN),
    _t("train_learns_digits", "train", 1, "train_graph", g.train_learns, "training for 3 epochs", **_GRAPH, params=trusted.TF1_TRAIN),
    *parts.report_tests(),
]  # fmt: skip

SUITE = Suite(
    assignment="tf1",
    version="tf1-6",
    probes_module="autograder.probes.tf1.probes",
    blocked_modules=["torch", "jax"],
    tests=TESTS,
)
