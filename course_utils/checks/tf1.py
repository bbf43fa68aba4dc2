"""Public checks for assignment 3 (TF1 static graph): small fixed examples, not hidden tests."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from course_utils.checks.pytorch import _plot, _stats
from course_utils.checks.runner import CheckFailed, current_run, need
from course_utils.practice import common
from course_utils.practice import tf1 as practice
from course_utils.practice.common import fixed

SEED = 20_26
"""Seed of the fixed instances (any fixed number: the instance is the check's own)."""


def _handles(ns: dict[str, Any], lr: float = 1e-2) -> dict[str, Any]:
    handles = need(ns, "build_graph")(input_shape=(8, 8, 1), num_classes=10, lr=lr)
    missing = {
        "graph",
        "x",
        "y",
        "training",
        "logits",
        "loss",
        "train_op",
        "accuracy",
        "init",
    } - set(handles)
    if missing:
        raise CheckFailed(
            f"build_graph's dict lacks {sorted(missing)}. Likely cause: a handle not returned "
            "(the docstring lists them all)"
        )
    return handles


def _graph(ns: dict[str, Any]) -> str:
    import tensorflow as tf

    h = _handles(ns)
    again = _handles(ns)
    if again["graph"] is h["graph"] or h["graph"] is tf.compat.v1.get_default_graph():
        raise common.fail(
            "a new tf.Graph from every build_graph call",
            "the same (default) graph each time",
            "build_graph adds to the default graph: build in a new tf.Graph()",
        )
    if h["x"].shape.as_list()[0] is not None:
        raise common.fail(
            "a None batch axis in the x placeholder",
            f"shape {h['x'].shape}",
            "a fixed batch size in the placeholder: use shape [None, ...]",
        )
    with tf.compat.v1.Session(graph=h["graph"]) as s:
        s.run(h["init"])
        zeros = np.zeros((3, 8, 8, 1), np.float32)
        logits = s.run(h["logits"], {h["x"]: zeros, h["training"]: False})
    if logits.shape != (3, 10):
        raise CheckFailed(f"3 images should give (3, 10) logits, got {logits.shape}")
    return "placeholders with a None batch axis; (N, 10) logits"


def _loss(ns: dict[str, Any]) -> str:
    import tensorflow as tf

    h = _shared_handles(ns)
    x = np.random.default_rng(0).normal(size=(16, 8, 8, 1)).astype(np.float32)
    y = np.arange(16) % 10
    with tf.compat.v1.Session(graph=h["graph"]) as s:
        s.run(h["init"])
        feed = {
            h["x"]: x,
            h["y"]: y,
            h["training"]: False,
        }  # a training placeholder may have no default
        before = s.run(h["loss"], feed)
        try:
            s.run(h["train_op"], feed)
        except tf.errors.FailedPreconditionError as exc:
            raise common.fail(
                "train_op to run right after the graph's init",
                f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}",
                "init created before the optimizer: global_variables_initializer() covers only "
                "the variables that exist when it is made, not the optimizer's own; make init "
                "last, after train_op",
            ) from None
        for _ in range(19):
            s.run(h["train_op"], feed)
        after = s.run(h["loss"], feed)
    if not after < before:
        raise CheckFailed(
            f"20 train_op steps on one batch did not lower the loss ({before:.3f} -> {after:.3f})"
        )
    return f"train_op lowers the loss: {before:.3f} -> {after:.3f}"


def _evaluate(ns: dict[str, Any]) -> str:
    import tensorflow as tf

    h = _handles(ns)
    with tf.compat.v1.Session(graph=h["graph"]) as s:
        s.run(h["init"])
        ops = len(h["graph"].get_operations())
        result = need(ns, "evaluate")(
            h, s, np.zeros((5, 8, 8, 1), np.float32), np.zeros(5, np.int64), 2
        )
        if len(h["graph"].get_operations()) != ops:
            raise common.fail(
                "no new operations in the graph",
                f"{len(h['graph'].get_operations()) - ops} new ones after evaluate",
                "ops (tf.reduce_mean, ...) created inside evaluate: run tensors made in "
                "build_graph",
            )
    if set(result) < {"loss", "accuracy"}:
        raise CheckFailed("evaluate should return {'loss', 'accuracy'}")
    return "evaluate runs existing tensors only"


class _RecordingSession:
    """A session that records what each ``run`` fetched and fed, and passes everything on."""

    def __init__(self, session: Any):
        self._session = session
        self.runs: list[tuple[list[Any], dict[Any, Any]]] = []

    def run(self, fetches: Any, feed_dict: Any = None, *args: Any, **kwargs: Any) -> Any:
        flat = list(fetches.values()) if isinstance(fetches, dict) else (
            list(fetches) if isinstance(fetches, list | tuple) else [fetches]
        )  # fmt: skip
        self.runs.append((flat, dict(feed_dict or {})))
        return self._session.run(fetches, feed_dict, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    def __enter__(self) -> _RecordingSession:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _train(ns: dict[str, Any]) -> str:
    """Training batches are told apart from test ones by their values: the training images are
    in [0, 1), the test images in [10, 11)."""
    import tensorflow as tf

    h = _handles(ns)
    rng = np.random.default_rng(0)
    data: dict[str, np.ndarray] = {
        "x_train": rng.random((20, 8, 8, 1)).astype(np.float32),
        "x_test": (10 + rng.random((12, 8, 8, 1))).astype(np.float32),
        "y_train": np.arange(20) % 10,
        "y_test": np.arange(12) % 10,
    }
    with tf.compat.v1.Session(graph=h["graph"]) as real:
        session = _RecordingSession(real)
        ops = len(h["graph"].get_operations())
        history = need(ns, "train")(h, session, data, batch_size=8, epochs=2, seed=0)
        grown = len(h["graph"].get_operations()) - ops
    if grown:
        raise common.fail(
            "a graph that does not grow while training",
            f"{grown} new operations after train",
            "ops created inside the training loop (tf.reduce_mean, an optimizer, ...): create "
            "every op in build_graph",
        )
    inits = sum(any(f is h["init"] for f in fetched) for fetched, _ in session.runs)
    steps = [feed for fetched, feed in session.runs if any(f is h["train_op"] for f in fetched)]
    if inits != 1:
        raise common.fail(
            "the initializer run once, before the first step",
            f"{inits} runs of init for {len(steps)} training steps",
            "the initializer is never run"
            if inits == 0
            else "the initializer runs every step (or every epoch): it resets the weights",
        )
    fed = [np.asarray(feed.get(h["x"])) for feed in steps if h["x"] in feed]
    if not steps or not fed:
        raise common.fail("train_op run on fed batches", "no training step", "train_op not run")
    modes = [bool(np.asarray(feed.get(h["training"], False))) for feed in steps]
    if not all(modes):
        raise common.fail(
            "every training step fed handles['training']: True",
            f"{modes.count(False)} of {len(steps)} steps without it (training defaults to False)",
            "dropout never on while training: feed training=True with every training batch",
        )
    if any(batch.max() >= 5 for batch in fed):
        raise common.fail(
            "train_op fed batches of data['x_train']",
            "batches of data['x_test']",
            "the wrong split fed to train_op (train on the training split only)",
        )
    evaluated = [
        np.asarray(feed[h["x"]])
        for fetched, feed in session.runs
        if h["x"] in feed and not any(f is h["train_op"] for f in fetched)
    ]
    if not any(batch.min() >= 5 for batch in evaluated):
        raise common.fail(
            "the test numbers from evaluate on data['x_test'], data['y_test'] after each epoch",
            "evaluation runs on training batches only" if evaluated else "no evaluation run",
            "train evaluates on the training split, not the test split"
            if evaluated
            else "the history's test numbers are not computed with the session",
        )
    common.returns(history, list, "train", "a list with one dict per epoch")
    if len(history) != 2:
        raise common.fail("2 history entries for epochs=2", f"{len(history)}", "one per epoch")
    return "init once, training batches only, two epochs, and the graph did not grow"


_SHARED: list[tuple[int, Any, dict[str, Any]]] = []


def _shared_handles(ns: dict[str, Any]) -> dict[str, Any]:
    """One graph of the learner's ``build_graph`` (lr 1e-2) for the loss_opt checks of one
    ``check("loss_opt")`` call, which only run it in sessions of their own: building it once
    keeps the call well under a second. The next call builds anew (a helper of build_graph may
    have been redefined in between)."""
    build, run = need(ns, "build_graph"), current_run()
    if _SHARED and _SHARED[0][0] == run and _SHARED[0][1] is build:
        return _SHARED[0][2]
    handles = _handles(ns)
    _SHARED[:] = [(run, build, handles)]
    return handles


def _loss_value(ns: dict[str, Any]) -> str:
    import tensorflow as tf

    h = _shared_handles(ns)
    rng = np.random.default_rng(SEED)
    x = rng.normal(size=(6, 8, 8, 1)).astype(np.float32)
    y = np.array([0, 1, 2, 3, 4, 5])
    feed = {h["x"]: x, h["y"]: y, h["training"]: False}
    with tf.compat.v1.Session(graph=h["graph"]) as s:
        s.run(h["init"])
        logits, loss = s.run([h["logits"], h["loss"]], feed)
        _accuracy(s, h, feed, logits, y)
    want = float(common.cross_entropy(logits, y).mean())
    got = common.finite(loss, "the loss tensor")
    if abs(got - want) > 1e-4 * max(1.0, want):
        raise common.fail(
            f"the mean cross-entropy {want:.5f} of the batch's logits",
            f"{got:.5f}" + (" (6 times the mean)" if abs(got - 6 * want) < 1e-3 * want else ""),
            "the loss summed over the batch (reduce_sum) instead of averaged (reduce_mean)"
            if abs(got - 6 * want) < 1e-3 * want
            else "a softmax before the cross-entropy, or the wrong labels",
        )
    return "loss is the batch's mean cross-entropy"


def _accuracy(
    session: Any, h: dict[str, Any], feed: dict, logits: np.ndarray, y: np.ndarray
) -> None:
    """The accuracy tensor on the same feed: the fraction of arg-max predictions that match y."""
    import tensorflow as tf

    expected = "the accuracy tensor to be the fraction of arg-max predictions that match y"
    cause = "an argmax over axis 0 (the batch) instead of axis 1 (the classes)"
    try:
        got = float(session.run(h["accuracy"], feed))
    except tf.errors.InvalidArgumentError as exc:
        raise common.fail(expected, f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}",
                          cause) from None  # fmt: skip
    want = float((logits.argmax(axis=1) == y).mean())
    if abs(got - want) > 1e-6:
        raise common.fail(expected, f"{got:.4f} instead of {want:.4f}", cause)


def _lr_used(ns: dict[str, Any]) -> str:
    """One train_op step with lr 1e-2 and with lr 1 from the same weights: the weights must
    move about a hundred times further with the larger rate (Adam's first step is lr per
    weight; plain SGD's scales with lr too)."""
    import tensorflow as tf

    rng = np.random.default_rng(SEED)
    x = rng.normal(size=(6, 8, 8, 1)).astype(np.float32)
    y = np.array([0, 1, 2, 3, 4, 5])
    moves = []
    for h in (_shared_handles(ns), _handles(ns, lr=1.0)):  # lr 1e-2, then lr 1
        with h["graph"].as_default():
            variables = tf.compat.v1.trainable_variables()
        with tf.compat.v1.Session(graph=h["graph"]) as s:
            s.run(h["init"])
            before = s.run(variables)
            s.run(h["train_op"], {h["x"]: x, h["y"]: y, h["training"]: False})
            after = s.run(variables)
        moves.append(max(float(np.abs(a - b).max()) for a, b in zip(after, before)))
    if not moves[1] > 10 * moves[0]:
        raise common.fail(
            "a step about 100 times larger with lr=1 than with lr=0.01",
            f"largest weight changes {moves[0]:.2g} and {moves[1]:.2g}",
            "the lr argument is ignored (a learning rate written into the optimizer)",
        )
    return "train_op's step follows lr"


def _bn_graph(ns: dict[str, Any], x: np.ndarray, momentum: float) -> dict[str, Any]:
    """The learner's batch_norm in a new graph on ``x``'s shape: its outputs in both modes, and
    the moving statistics after one run of its update ops."""
    import tensorflow as tf

    tf1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        h = tf1.placeholder(tf.float32, [None, *x.shape[1:]])
        training = tf1.placeholder_with_default(False, [])
        out = need(ns, "batch_norm")(h, training, "bn", momentum=momentum, epsilon=1e-3)
        if not isinstance(out, tf.Tensor):
            raise CheckFailed(
                f"batch_norm returned {type(out).__name__}; expected a tensor. Likely cause: a "
                "missing or wrong return statement"
            )
        updates = tf1.get_collection(tf1.GraphKeys.UPDATE_OPS)
        found = {v.op.name: v for v in tf1.global_variables()}
        trainable = {v.op.name for v in tf1.trainable_variables()}
        init = tf1.global_variables_initializer()
    with tf1.Session(graph=graph) as s:
        s.run(init)
        got = {"train": s.run(out, {h: x, training: True}), "infer": s.run(out, {h: x})}
        if updates:
            s.run(updates, {h: x, training: True})
        got["moving"] = {n: s.run(found[f"bn/{n}"]) for n in ("moving_mean", "moving_variance")
                         if f"bn/{n}" in found}  # fmt: skip
    return got | {"updates": len(updates), "trainable": trainable}


def _batch_norm(ns: dict[str, Any]) -> str:
    """batch_norm on a fixed (5, 2, 2, 3) batch: batch statistics in training, moving ones in
    inference, update ops in UPDATE_OPS that move them with the momentum given."""
    rng = np.random.default_rng(SEED)
    x = np.array([1.0, -3.0, 0.5]) + np.array([2.0, 0.5, 1.0]) * rng.normal(size=(5, 2, 2, 3))
    x = x.astype(np.float32)
    m = 0.7
    got = _bn_graph(ns, x, m)
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    want_train = (x - mean) / np.sqrt(var + 1e-3)
    want_infer = x / np.sqrt(1 + 1e-3)
    if not np.allclose(got["train"], want_train, atol=1e-4):
        flat = (x - x.mean()) / np.sqrt(x.var() + 1e-3)
        raise common.fail(
            "(h - batch mean) / sqrt(batch variance + epsilon), per channel, with training True",
            "other values",
            "the training flag ignored or inverted (the moving statistics used in training)"
            if np.allclose(got["train"], want_infer, atol=1e-4)
            else "one mean and variance over every axis, channels included (the statistics are "
            "per channel: every axis but the last)"
            if np.allclose(got["train"], flat, atol=1e-4)
            else "another formula, or gamma and beta not starting at 1 and 0",
        )
    if not np.allclose(got["infer"], want_infer, atol=1e-4):
        raise common.fail(
            "the moving statistics (mean 0, variance 1 before any update) with training False",
            "the batch's own statistics"
            if np.allclose(got["infer"], want_train, atol=1e-4)
            else "other values",
            "the training flag ignored: inference must not depend on the rest of the batch",
        )
    if not got["updates"]:
        raise common.fail(
            "the moving statistics' update ops in tf1.GraphKeys.UPDATE_OPS",
            "an empty collection",
            "the assign ops made but not added with tf1.add_to_collection(tf1.GraphKeys."
            "UPDATE_OPS, op): nothing can then run them",
        )
    if {"bn/moving_mean", "bn/moving_variance"} & got["trainable"]:
        raise common.fail(
            "non-trainable moving statistics",
            "trainable ones",
            "get_variable without trainable=False",
        )
    moving = got["moving"]
    if len(moving) < 2:
        raise common.fail(
            "variables bn/moving_mean and bn/moving_variance",
            "no such variables",
            "other names, or no variable scope named after the name argument",
        )
    want_mean, want_var = (1 - m) * mean, m + (1 - m) * var
    if not (np.allclose(moving["moving_mean"], want_mean, atol=1e-4)
            and np.allclose(moving["moving_variance"], want_var, atol=1e-4)):  # fmt: skip
        swapped = np.allclose(moving["moving_mean"], m * mean, atol=1e-4)
        raise common.fail(
            f"after one update with momentum {m}: moving = {m} * moving + {1 - m:.1f} * batch",
            f"moving mean {np.round(moving['moving_mean'], 3).tolist()} instead of "
            f"{np.round(want_mean, 3).tolist()}",
            "momentum and 1 - momentum swapped"
            if swapped
            else "the momentum argument ignored, "
            "or an update that does not assign to the variables",
        )
    return "batch statistics in training, moving ones in inference, updates in UPDATE_OPS"


def _train_op_updates(ns: dict[str, Any]) -> str:
    """minimize_with_updates on a small graph with an update op of its own in UPDATE_OPS: one run
    of the returned op runs that update once and takes one optimizer step."""
    import tensorflow as tf

    tf1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        w = tf1.get_variable("w", initializer=tf.constant([1.0, -2.0]))
        counter = tf1.get_variable("counter", initializer=tf.constant(0.0), trainable=False)
        tf1.add_to_collection(tf1.GraphKeys.UPDATE_OPS, tf1.assign_add(counter, 1.0))
        loss = tf.reduce_sum(tf.square(w))
        op = need(ns, "minimize_with_updates")(tf1.train.GradientDescentOptimizer(0.1), loss)
        init = tf1.global_variables_initializer()
    with tf1.Session(graph=graph) as s:
        s.run(init)
        s.run(op)
        runs, weights = s.run([counter, w])
    if runs == 0:
        raise common.fail(
            "the UPDATE_OPS to run with the training op",
            "an update op that never ran",
            "optimizer.minimize(loss) without tf1.control_dependencies(tf1.get_collection("
            "tf1.GraphKeys.UPDATE_OPS)): batch norm's moving statistics then stay at 0 and 1",
        )
    if not np.allclose(weights, [0.8, -1.6], atol=1e-5):
        raise common.fail(
            "one optimizer step (w = [1, -2] -> [0.8, -1.6])",
            f"w = {np.round(weights, 4).tolist()}",
            "no optimizer step in the returned op (the update ops returned alone?)",
        )
    return "one run: the update ops and one optimizer step"


CHECKS = {
    "download": {"download: verify, cache, refuse corruption": fixed(common.download, SEED)},
    "data": {
        "normalization_stats: per-channel statistics": _stats,
        "prepare_data: training statistics only": fixed(common.prepare_data, SEED),
        "preprocess: grey and colour images to NHWC": fixed(
            partial(common.preprocess, layout="NHWC"), SEED
        ),
    },
    "model": {
        "build_graph: handles, None batch axis": _graph,
        "build_graph: logits, any batch size": fixed(practice._graph, SEED),
    },
    "loss_opt": {
        "loss: mean cross-entropy": _loss_value,
        "train_op: uses lr": _lr_used,
        "train_op lowers the loss": _loss,
        "batch_norm: both modes, update ops": _batch_norm,
        "minimize_with_updates: runs the update ops": _train_op_updates,
    },
    "metric": {
        "evaluate: runs existing tensors only": _evaluate,
        "evaluate: exact accuracy over uneven batches": fixed(practice._evaluate, SEED),
    },
    "train": {"train: init once, training split, no graph growth": _train},
    "report": {
        "report: train and test kept apart": fixed(common.report, SEED),
        "plot_history: a figure": _plot,
        "log_to_tensorboard: scalars per epoch": fixed(common.tensorboard, SEED),
    },
}
