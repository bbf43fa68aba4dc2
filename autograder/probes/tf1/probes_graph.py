"""TF1 probes: the learner's graph, and their evaluate / train run on trusted graphs (worker side).

The trusted graphs' numbers are ones the grader recomputes: evaluate runs on known weights, and
train's session (:class:`_StepLog`) records the rows and labels fed to each training step so
the grader can replay Adam. Whether learner code adds operations shows by running it again on a
finalized copy of the graph, where that raises.
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
    trusted_code,
)

tf1 = tf.compat.v1
DROPOUT_SEED = 2026
"""Graph seed of the trusted graphs: their dropout (when fed training=True) draws the same
masks in every process, so a record never depends on how its worker started."""
HANDLE_KEYS = ("graph", "x", "y", "training", "logits", "loss", "train_op", "accuracy", "init")


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
        labels = {n: rng.integers(0, 7, size=n).astype(np.int64) for n in (1, 5, 13)}
        labels[26] = labels[13][inst.rows_again(ctx.seed)]
        for name, n in (("1", 1), ("5", 5), ("13", 13), ("26", 26), ("fit", fixed or 13)):
            if name == "fit":
                x = rng.normal(size=(n, 8, 8, 3)).astype(np.float32)
                y = rng.integers(0, 7, size=n).astype(np.int64)
            else:  # 26 is the batch of 13 again, each image twice: its logits are those rows
                x, y = inst.model_batch(ctx.seed, n), labels[n]
            runs[name] = _run(session, first, x, y, training=False)
        # the other mode: the learner's training runs the graph with training fed True
        x, y = inst.model_batch(ctx.seed, 13), labels[13]
        runs["training"] = _run(session, first, x, y, training=True)
    obs["runs"] = runs
    try:
        second = ctx.call("build_graph", input_shape=(8, 8, 3), num_classes=7, lr=0.0123)
        obs["separate_graphs"] = isinstance(second, dict) and second.get("graph") is not g
        obs["second_error"] = None
    except LearnerError as exc:
        obs["separate_graphs"], obs["second_error"] = False, exc.info
    return obs


def _run(
    session: Any, h: dict[str, Any], x: np.ndarray, y: np.ndarray, training: bool
) -> dict[str, Any]:
    """The learner's logits and loss on one feed, then its accuracy on the same feed (a broken
    accuracy is the metric's fault, not the model's); or what the run raised."""
    feed = {h["x"]: x, h["y"]: y, h["training"]: training}
    try:  # e.g. a fixed batch size, a broken branch behind the training flag
        logits, loss = session.run([h["logits"], h["loss"]], feed)
    except Exception as exc:  # noqa: BLE001
        return {"error": describe_exception(exc, "session.run")}
    run: dict[str, Any] = {"logits": logits, "loss": float(loss), "accuracy": None, "y": y}
    try:
        run["accuracy"] = float(session.run(h["accuracy"], feed))
    except Exception as exc:  # noqa: BLE001 - e.g. an argmax over the batch axis
        run["accuracy_error"] = describe_exception(exc, "session.run")
    return run


def graph_lr(ctx: ProbeContext) -> dict[str, Any]:
    """The learner's graph built with each of the grader's learning rates
    (``instances.OPTIMIZER_LRS``): the learner's own ``init``, the same seed-drawn values in the
    trainable variables of both, then one run of the learner's ``train_op`` on the same seed
    batch with ``training`` False. The grader compares the two steps (their ratio is the rates'
    for the first step of SGD, momentum, Adam, RMSProp or Adagrad) with each other and with the
    gradient; an ``init`` made before the optimizer fails here, as in the learner's training."""
    out: dict[str, Any] = {}
    for run, lr in inst.OPTIMIZER_LRS.items():
        # each build in a default graph of its own: one that adds to the default graph is the
        # model step's mistake (graph_is_its_own), not this test's
        with tf.Graph().as_default():
            handles = _handles(ctx, input_shape=(8, 8, 1), num_classes=10, lr=lr)
        if not isinstance(handles["graph"], tf.Graph):
            raise contract_error("build_graph", "handles['graph'] should be a tf.Graph")
        shape = handles["x"].shape.as_list() if hasattr(handles["x"], "shape") else None
        n = shape[0] if shape and isinstance(shape[0], int) else 13  # a fixed batch: the model's
        x = inst.model_images(ctx.seed, n, channels=1)
        y = (inst.rng(ctx.seed, 27).permutation(n) % 10).astype(np.int64)
        out[run] = _one_step(handles, x, y, ctx.seed)
    return out


def _one_step(h: dict[str, Any], x: np.ndarray, y: np.ndarray, seed: int) -> dict[str, Any]:
    g = h["graph"]
    with g.as_default():
        variables = tf1.trainable_variables()
        try:
            grads = tf.gradients(h["loss"], variables)
        except Exception as exc:  # noqa: BLE001 - e.g. a finalized graph, a loss of another graph
            return {"error": describe_exception(exc, "build_graph")}
    feed = {h["x"]: x, h["y"]: y, h["training"]: False}
    values = inst.rng(seed, 26)
    with tf1.Session(graph=g) as session:
        run_learner("build_graph", session.run, h["init"])
        for variable in variables:
            shape = variable.shape.as_list()
            if None in shape:
                unknown = ValueError(f"trainable variable {variable.name} has no static shape")
                return {"error": describe_exception(unknown, "build_graph")}
            dtype = variable.dtype.base_dtype.as_numpy_dtype
            variable.load(values.normal(scale=0.1, size=shape).astype(dtype), session)
        before = session.run(variables)
        found = iter(session.run([g_ for g_ in grads if g_ is not None], feed))
        gradient = [np.zeros(v.shape.as_list()) if g_ is None else next(found)
                    for g_, v in zip(grads, variables, strict=True)]  # fmt: skip
        try:
            session.run(h["train_op"], feed)
        except Exception as exc:  # noqa: BLE001 - the learner's op failed: the verdict says why
            return {"error": describe_exception(exc, "train_op")}
        after = session.run(variables)
    step = _flat([a - b for a, b in zip(after, before, strict=True)])
    grad = _flat(gradient)
    if step.size > LR_ENTRIES:  # the same seed entries in both runs: the shapes are the same
        kept = np.sort(inst.rng(seed, 28).choice(step.size, LR_ENTRIES, replace=False))
        step, grad = step[kept], grad[kept]
    return {"step": step, "grad": grad, "lrs": _lr_constants(g)}


LR_ENTRIES = 4096
"""At most this many entries of a step and its gradient travel (drawn from the seed)."""


def _flat(arrays: list[Any]) -> np.ndarray:
    return np.concatenate([np.ravel(a).astype(np.float64) for a in arrays] or [np.zeros(0)])


def _linear_graph(
    weight: np.ndarray,
    bias: np.ndarray,
    input_shape: tuple[int, ...],
    lr: float,
    dropout: bool = True,
    training_gain: float | None = None,
):
    """Trusted handles: a linear model with known weights, dropout behind ``training`` (none
    when ``dropout`` is False: training is then a replayable Adam run), and the variables as
    ``w`` and ``b``. With ``training_gain``, the logits are scaled by it while ``training`` is
    fed True, so whether the training steps ran in training mode shows in the weights after."""
    graph = tf.Graph()
    with graph.as_default():
        tf1.set_random_seed(DROPOUT_SEED)  # the same dropout masks warm and cold, run after run
        x = tf1.placeholder(tf.float32, [None, *input_shape], name="x")
        y = tf1.placeholder(tf.int64, [None], name="y")
        training = tf1.placeholder_with_default(False, [], name="training")
        w = tf1.get_variable("w", initializer=tf.constant(weight.T))
        b = tf1.get_variable("b", initializer=tf.constant(bias))
        flat = tf.reshape(x, [-1, int(np.prod(input_shape))])
        if dropout:
            flat = tf.cond(training, lambda: tf.nn.dropout(flat, rate=0.5), lambda: flat)
        logits = tf.matmul(flat, w) + b
        if training_gain is not None:  # the mode shows in the steps' values (the grader replays)
            gain = tf.cond(training, lambda: tf.constant(training_gain), lambda: tf.constant(1.0))
            logits = logits * gain
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        )
        train_op = tf1.train.AdamOptimizer(lr).minimize(loss)
        accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), y), tf.float32))
        init = tf1.global_variables_initializer()
    return dict(graph=graph, x=x, y=y, training=training, logits=logits, loss=loss,
                train_op=train_op, accuracy=accuracy, init=init, w=w, b=b)  # fmt: skip


def evaluate(ctx: ProbeContext) -> dict[str, Any]:
    """evaluate() on a trusted linear graph with known weights (dropout behind ``training``);
    then again, in one batch (so that how batch losses are averaged barely matters), on a fresh
    copy of that graph, finalized: an evaluate that adds operations raises there, and one that
    feeds training=True returns a loss the grader does not recompute."""
    x, y, weight, bias = inst.linear_problem(ctx.seed)
    handles = _linear_graph(weight, bias, x.shape[1:], 0.01)
    with tf1.Session(graph=handles["graph"]) as session:
        session.run(handles["init"])
        result = ctx.call("evaluate", handles, session, x, y, 5)
    if not isinstance(result, dict):
        return {"is_dict": False, "returned": describe(result)}
    fresh = _linear_graph(weight, bias, x.shape[1:], 0.01)
    finalized: dict[str, Any] = {}
    with tf1.Session(graph=fresh["graph"]) as session:
        session.run(fresh["init"])
        fresh["graph"].finalize()
        try:
            again = ctx.call("evaluate", fresh, session, x, y, len(x))  # one batch
        except LearnerError as exc:
            if exc.info["kind"] in ("missing", "not_implemented"):
                raise
            finalized["error"] = f"{exc.info['type']}: {exc.info['message']}"[:1000]
        else:
            if isinstance(again, dict):
                finalized.update(
                    loss=_float(again.get("loss")), accuracy=_float(again.get("accuracy"))
                )
    return {
        "is_dict": True,
        "loss": _float(result.get("loss")),
        "accuracy": _float(result.get("accuracy")),
        "finalized": finalized,
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


TRAIN_LR = 0.01
"""The trusted graph's Adam learning rate (the grader replays it: ``verdicts_graph.TRAIN_LR``)."""


class _StepLog(tf.compat.v1.Session):  # type: ignore[name-defined]
    """A Session that keeps, for each run of the training op, which rows of the
    data (by index into train + test, -1 for a row that is neither) and which labels were fed,
    and when the initialiser ran: the grader replays the training from that."""

    def __init__(self, handles: dict[str, Any], rows: dict[str, int]):
        super().__init__(graph=handles["graph"])
        self.handles, self.rows = handles, rows
        self.steps: list[dict[str, Any]] = []
        self.inits: list[int] = []

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):  # noqa: ANN001, ANN201
        names = {getattr(f, "name", str(f)) for f in tf.nest.flatten(fetches)}
        if self.handles["init"].name in names:
            self.inits.append(len(self.steps))
        if self.handles["train_op"].name in names:
            feeds = {getattr(k, "name", str(k)): v for k, v in (feed_dict or {}).items()}
            x = np.asarray(feeds.get(self.handles["x"].name, np.zeros((0, 8, 8, 1))))
            y = np.asarray(feeds.get(self.handles["y"].name, np.zeros(0))).reshape(-1)
            rows = [self.rows.get(_row_hash(row), -1) for row in x.reshape(len(x), -1)[:10_000]]
            self.steps.append({"rows": rows, "labels": [int(v) for v in y[:10_000]]})
        return super().run(fetches, feed_dict, options, run_metadata)


def _row_hash(row: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(row, np.float32).tobytes()).hexdigest()


def _train_run(
    ctx: ProbeContext, data: dict[str, np.ndarray], epochs: int, finalize: bool, trusted: str
) -> dict[str, Any]:
    """train() on a trusted graph (no dropout, Adam): the steps it ran, the weights after."""
    rng = np.random.default_rng(ctx.seed)
    weight = rng.normal(0, 0.01, size=(10, 64)).astype(np.float32)
    handles = _linear_graph(
        weight,
        np.zeros(10, np.float32),
        (8, 8, 1),
        TRAIN_LR,
        dropout=False,
        training_gain=inst.TRAINING_GAIN,
    )
    stacked = np.concatenate([data["x_train"], data["x_test"]]).reshape(-1, 64)
    rows: dict[str, int] = {}
    for index, row in enumerate(stacked):
        rows.setdefault(_row_hash(row), index)
    # train looks evaluate up at call time: the stand-in's source came with the request
    vars(ctx.module)["evaluate"] = trusted_code(trusted, tf1=tf1)["tf1_evaluate"]
    out: dict[str, Any] = {}
    with _StepLog(handles, rows) as session:
        if finalize:
            handles["graph"].finalize()
        try:
            history = ctx.call("train", handles, session, dict(data), 32, epochs, 5)
        except LearnerError as exc:
            if not finalize or exc.info["kind"] in ("missing", "not_implemented"):
                raise
            return {"error": f"{exc.info['type']}: {exc.info['message']}"[:1000]}
        w, b = tf1.Session.run(session, [handles["w"], handles["b"]])
        out.update(steps=session.steps[:2000], inits=session.inits[:2000], w=w, b=b)
    if isinstance(history, list | tuple):
        out["entries"] = [
            {str(k): _float(v) for k, v in e.items()} if isinstance(e, dict) else {}
            for e in history
        ]
    return out


def train(ctx: ProbeContext, trusted: str) -> dict[str, Any]:
    """train() on the digits with a trusted graph whose training the grader can replay: which
    rows and labels fed each step, when the initialiser ran, the weights after 3 epochs; then
    one epoch on a finalized copy of the graph (adding an operation raises there)."""
    data = _digits(ctx.seed % 1000)
    first = _train_run(ctx, data, 3, False, trusted)
    again = _train_run(ctx, data, 1, True, trusted)
    return {**first, "entries": first.get("entries"), "finalized": again}


PROBES = {"graph": graph, "graph_lr": graph_lr, "evaluate_graph": evaluate, "train_graph": train}
