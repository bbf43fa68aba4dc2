"""The hidden tests of the ``tf1`` assignment. Grader side: numpy only."""

from __future__ import annotations

from functools import partial

from autograder.hidden.base import HiddenTest, Suite
from autograder.hidden.common import verdicts_data as data
from autograder.hidden.common import verdicts_report as rep
from autograder.hidden.tf1 import verdicts_graph as g
from autograder.hidden.tf2 import verdicts_tf as tf2


def _t(name: str, step: str, points: float, probe: str, verdict, doing: str, **kw) -> HiddenTest:  # noqa: ANN001
    return HiddenTest(
        name=name, step=step, points=points, probe=probe, verdict=verdict, doing=doing, **kw
    )


_GRAPH = {"timeout_s": 60, "diagnose": g.init_error_hint}

TESTS = [
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
        "graph_is_its_own",
        "model",
        1,
        "graph",
        g.graph_is_own_and_complete,
        "building two graphs",
        **_GRAPH,
    ),
    _t(
        "placeholders_any_batch_size",
        "model",
        2,
        "graph",
        g.placeholders_any_batch,
        "building the graph",
        **_GRAPH,
    ),
    _t(
        "logits_shape",
        "model",
        2,
        "graph",
        g.logits_shape,
        "running the graph on batches of 1, 5 and 13",
        **_GRAPH,
    ),
    _t(
        "loss_is_mean_cross_entropy",
        "loss_opt",
        2,
        "graph",
        g.loss_is_cross_entropy,
        "running loss and accuracy",
        **_GRAPH,
    ),
    _t(
        "optimizer_uses_lr",
        "loss_opt",
        1,
        "graph_lr",
        g.learning_rate_used,
        "building graphs with two learning rates",
        **_GRAPH,
    ),
    _t(
        "evaluate_values",
        "metric",
        2,
        "evaluate_graph",
        g.evaluate_values,
        "evaluating a graph with known outputs on batches of 5, 5, 2",
        **_GRAPH,
    ),
    _t(
        "evaluate_runs_existing_graph",
        "metric",
        2,
        "evaluate_graph",
        g.evaluate_runs_existing_graph,
        "evaluating a graph",
        **_GRAPH,
    ),
    _t(
        "train_initialises_once",
        "train",
        2,
        "train_graph",
        g.train_initialises_once,
        "training for 3 epochs",
        **_GRAPH,
    ),
    _t(
        "train_graph_does_not_grow",
        "train",
        2,
        "train_graph",
        g.train_graph_does_not_grow,
        "training for 3 epochs",
        **_GRAPH,
    ),
    _t(
        "train_feeds_training_split",
        "train",
        2,
        "train_graph",
        g.train_feeds_training_split,
        "training for 3 epochs",
        **_GRAPH,
    ),
    _t(
        "train_learns_digits",
        "train",
        1,
        "train_graph",
        g.train_learns,
        "training for 3 epochs",
        **_GRAPH,
    ),
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
    assignment="tf1",
    version="tf1-1",
    probes_module="autograder.hidden.tf1.probes",
    blocked_modules=["torch", "jax"],
    tests=TESTS,
)
