"""TF1 probes: the learner's graph, and their evaluate / train run on trusted graphs (worker side).

Sessions are :class:`RecordingSession`: every ``run`` is logged (what was fetched, what was fed),
so probes can tell how often the initialiser ran, which split fed the training op, and whether
dropout was on during evaluation. Operation counts before and after tell whether the graph grew.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import tensorflow as tf

from autograder.probes.common import instances as inst
from autograder.probes.common.observe import describe
from autograder.worker.probe_api import (
    LearnerError,
    ProbeContext,
    contract_error,
    describe_exception,
    run_learner,
)

tf1 = tf.compat.v1
HANDLE_KEYS = ("graph", "x", "y", "training", "logits", "loss", "train_op", "accuracy", "init")


def _row_hashes(x: np.ndarray) -> set[str]:
    return {hashlib.sha1(np.ascontiguousarray(row).tobytes()).hexdigest() for row in np.asarray(x)}


class RecordingSession(tf.compat.v1.Session):  # type: ignore[name-defined]
    """A Session that logs each run: fetched names, fed names, and which split fed ``x``."""

    def __init__(self, graph: tf.Graph, splits: dict[str, set[str]] | None = None):
        super().__init__(graph=graph)
        self.log: list[dict[str, Any]] = []
        self.splits = splits or {}

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):  # noqa: ANN001, ANN201
        names = [getattr(f, "name", str(f)) for f in tf.nest.flatten(fetches)]
        fed: dict[str, Any] = {}
        for key, value in (feed_dict or {}).items():
            name = getattr(key, "name", str(key))
            if np.ndim(value) == 0:
                fed[name] = repr(np.asarray(value).item())
            elif self.splits and np.ndim(value) == 4:
                rows = _row_hashes(value)
                fed[name] = {split: len(rows & hashes) for split, hashes in self.splits.items()}
            else:
                fed[name] = list(np.shape(value))
        self.log.append({"fetches": names, "feeds": fed})
        return super().run(fetches, feed_dict, options, run_metadata)


def _handles(ctx: ProbeContext, **kwargs: Any) -> dict[str, Any]:
    handles = ctx.call("build_graph", **kwargs)
    if not isinstance(handles, dict) or not all(k in handles for k in HANDLE_KEYS):
        got = sorted(map(str, handles)) if isinstance(handles, dict) else describe(handles)["type"]
        raise contract_error(
            "build_graph", f"expected a dict with {', '.join(HANDLE_KEYS)}; got {got}"
        )
    return handles


def _lr_constants(graph: tf.Graph) -> list[float]:
    found = []
    for op in graph.get_operations():
        if op.type == "Const":
            try:
                value = tf.make_ndarray(op.get_attr("value"))
            except (ValueError, TypeError):
                continue
            if value.size == 1 and value.dtype.kind == "f":
                found.append(float(value.reshape(())))
    return found


def graph(ctx: ProbeContext) -> dict[str, Any]:
    """Build the learner's graph; run its logits, loss and accuracy on known inputs; then build a
    second one to see whether the two stay apart."""
    first = _handles(ctx, input_shape=(8, 8, 3), num_classes=7, lr=0.0123)
    g = first["graph"]
    x_shape = first["x"].shape.as_list() if hasattr(first["x"], "shape") else None
    obs: dict[str, Any] = {
        "is_graph": isinstance(g, tf.Graph),
        "is_default_graph": g is tf1.get_default_graph(),
        "x_shape": x_shape,
        "y_shape": first["y"].shape.as_list() if hasattr(first["y"], "shape") else None,
    }
    rng = np.random.default_rng(ctx.seed)
    runs = {}
    fixed = x_shape[0] if x_shape and isinstance(x_shape[0], int) else None
    with tf1.Session(graph=g) as session:
        run_learner("build_graph", session.run, first["init"])
        for name, n in (("1", 1), ("5", 5), ("13", 13), ("fit", fixed or 13)):
            x = rng.normal(size=(n, 8, 8, 3)).astype(np.float32)
            y = rng.integers(0, 7, size=n).astype(np.int64)
            try:
                logits, loss, acc = session.run(
                    [first["logits"], first["loss"], first["accuracy"]],
                    {first["x"]: x, first["y"]: y, first["training"]: False},
                )
                runs[name] = {"logits": logits, "loss": float(loss), "accuracy": float(acc), "y": y}
            except Exception as exc:  # noqa: BLE001 - e.g. a fixed batch size
                runs[name] = {"error": describe_exception(exc, "session.run")}
    obs["runs"] = runs
    try:
        second = ctx.call("build_graph", input_shape=(8, 8, 3), num_classes=7, lr=0.0123)
        obs["separate_graphs"] = isinstance(second, dict) and second.get("graph") is not g
        obs["second_error"] = None
    except LearnerError as exc:
        obs["separate_graphs"], obs["second_error"] = False, exc.info
    return obs


def graph_lr(ctx: ProbeContext) -> dict[str, Any]:
    handles = _handles(ctx, input_shape=(8, 8, 1), num_classes=10, lr=0.037)
    g = handles["graph"]
    return {"lrs": _lr_constants(g) if isinstance(g, tf.Graph) else [], "lr_given": 0.037}


def _linear_graph(weight: np.ndarray, bias: np.ndarray, input_shape: tuple[int, ...], lr: float):
    """Trusted handles: a linear model with known weights, dropout behind ``training``."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf1.placeholder(tf.float32, [None, *input_shape], name="x")
        y = tf1.placeholder(tf.int64, [None], name="y")
        training = tf1.placeholder_with_default(False, [], name="training")
        w = tf1.get_variable("w", initializer=tf.constant(weight.T))
        b = tf1.get_variable("b", initializer=tf.constant(bias))
        flat = tf.reshape(x, [-1, int(np.prod(input_shape))])
        flat = tf.cond(training, lambda: tf.nn.dropout(flat, rate=0.5), lambda: flat)
        logits = tf.matmul(flat, w) + b
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        )
        train_op = tf1.train.AdamOptimizer(lr).minimize(loss)
        accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), y), tf.float32))
        init = tf1.global_variables_initializer()
    return dict(graph=graph, x=x, y=y, training=training, logits=logits, loss=loss,
                train_op=train_op, accuracy=accuracy, init=init)  # fmt: skip


def evaluate(ctx: ProbeContext) -> dict[str, Any]:
    x, y, weight, bias = inst.linear_problem(ctx.seed)
    handles = _linear_graph(weight, bias, x.shape[1:], 0.01)
    with RecordingSession(handles["graph"]) as session:
        session.run(handles["init"])
        ops = len(handles["graph"].get_operations())
        session.log.clear()
        result = ctx.call("evaluate", handles, session, x, y, 5)
        grown = len(handles["graph"].get_operations()) - ops
    if not isinstance(result, dict):
        return {"is_dict": False, "returned": describe(result)}
    training_fed = [r["feeds"].get(handles["training"].name) for r in session.log]
    return {
        "is_dict": True,
        "loss": _float(result.get("loss")),
        "accuracy": _float(result.get("accuracy")),
        "grown": grown,
        "training_fed": [t for t in training_fed if t is not None],
        "runs": len(session.log),
    }


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _digits(seed: int) -> dict[str, np.ndarray]:
    from course_utils.data import digits_path, load_npz, stratified_split

    images, labels = load_npz(digits_path())
    train_idx, test_idx = stratified_split(labels, 0.2, seed)
    x = images.astype(np.float32)[..., None] / 255.0  # (N, 8, 8) -> (N, 8, 8, 1)
    x = (x - x[train_idx].mean()) / x[train_idx].std()
    y = labels.astype(np.int64)
    return {
        "x_train": x[train_idx],
        "y_train": y[train_idx],
        "x_test": x[test_idx],
        "y_test": y[test_idx],
    }


def _trusted_evaluate(handles, session, x, y, batch_size):  # noqa: ANN001, ANN202
    loss, acc = tf1.Session.run(
        session, [handles["loss"], handles["accuracy"]], {handles["x"]: x, handles["y"]: y}
    )
    return {"loss": float(loss), "accuracy": float(acc)}


def train(ctx: ProbeContext) -> dict[str, Any]:
    """train() on the digits with a trusted graph: initialiser runs, graph growth, which split fed
    the training op, and whether the weights learned."""
    data = _digits(ctx.seed % 1000)
    rng = np.random.default_rng(ctx.seed)
    weight = rng.normal(0, 0.01, size=(10, 64)).astype(np.float32)
    handles = _linear_graph(weight, np.zeros(10, np.float32), (8, 8, 1), 0.01)
    splits = {"train": _row_hashes(data["x_train"]), "test": _row_hashes(data["x_test"])}
    vars(ctx.module)["evaluate"] = _trusted_evaluate  # train looks it up at call time
    with RecordingSession(handles["graph"], splits) as session:
        ops = len(handles["graph"].get_operations())
        history = ctx.call("train", handles, session, dict(data), 32, 3, 5)
        grown = len(handles["graph"].get_operations()) - ops
        final = _trusted_evaluate(handles, session, data["x_test"], data["y_test"], 0)
        log = session.log
    x_name, init_name, op_name = handles["x"].name, handles["init"].name, handles["train_op"].name
    init_runs = sum(1 for r in log for f in r["fetches"] if f == init_name)
    train_feeds = [r["feeds"].get(x_name) for r in log if op_name in r["fetches"]]
    entries = None
    if isinstance(history, list | tuple):
        entries = [
            {str(k): _float(v) for k, v in e.items()} if isinstance(e, dict) else {}
            for e in history
        ]
    return {
        "grown": grown,
        "init_runs": init_runs,
        "train_steps": len(train_feeds),
        "train_rows": {
            s: sum((f or {}).get(s, 0) for f in train_feeds if isinstance(f, dict)) for s in splits
        },
        "entries": entries,
        "final_accuracy": final["accuracy"],
    }


PROBES = {"graph": graph, "graph_lr": graph_lr, "evaluate_graph": evaluate, "train_graph": train}
