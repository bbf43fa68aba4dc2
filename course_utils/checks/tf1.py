"""Public checks for assignment 3 (TF1 static graph): small fixed examples, not hidden tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from course_utils.checks.pytorch import _download_roundtrip, _report
from course_utils.checks.runner import CheckFailed, need
from course_utils.checks.tf2 import _preprocess


def _handles(ns: dict[str, Any]) -> dict[str, Any]:
    handles = need(ns, "build_graph")(input_shape=(8, 8, 1), num_classes=10, lr=1e-2)
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
        raise CheckFailed(f"build_graph's dict lacks {sorted(missing)}")
    return handles


def _graph(ns: dict[str, Any]) -> str:
    import tensorflow as tf

    h = _handles(ns)
    if h["x"].shape.as_list()[0] is not None:
        raise CheckFailed(f"the x placeholder has a fixed batch size {h['x'].shape}: use None")
    with tf.compat.v1.Session(graph=h["graph"]) as s:
        s.run(h["init"])
        logits = s.run(h["logits"], {h["x"]: np.zeros((3, 8, 8, 1), np.float32)})
    if logits.shape != (3, 10):
        raise CheckFailed(f"3 images should give (3, 10) logits, got {logits.shape}")
    return "placeholders with a None batch axis; (N, 10) logits"


def _loss(ns: dict[str, Any]) -> str:
    import tensorflow as tf

    h = _handles(ns)
    x = np.random.default_rng(0).normal(size=(16, 8, 8, 1)).astype(np.float32)
    y = np.arange(16) % 10
    with tf.compat.v1.Session(graph=h["graph"]) as s:
        s.run(h["init"])
        before = s.run(h["loss"], {h["x"]: x, h["y"]: y})
        for _ in range(20):
            s.run(h["train_op"], {h["x"]: x, h["y"]: y})
        after = s.run(h["loss"], {h["x"]: x, h["y"]: y})
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
            raise CheckFailed(
                "evaluate added operations to the graph: only run tensors made in build_graph"
            )
    if set(result) < {"loss", "accuracy"}:
        raise CheckFailed("evaluate should return {'loss', 'accuracy'}")
    return "evaluate runs existing tensors only"


def _train(ns: dict[str, Any]) -> str:
    import tensorflow as tf

    h = _handles(ns)
    rng = np.random.default_rng(0)
    data: dict[str, np.ndarray] = {
        k: rng.normal(size=(20, 8, 8, 1)).astype(np.float32) for k in ("x_train", "x_test")
    }
    data.update(y_train=np.arange(20) % 10, y_test=np.arange(20) % 10)
    with tf.compat.v1.Session(graph=h["graph"]) as s:
        ops = len(h["graph"].get_operations())
        history = need(ns, "train")(h, s, data, batch_size=8, epochs=2, seed=0)
        if len(h["graph"].get_operations()) != ops:
            raise CheckFailed("the graph grew while training: create every op in build_graph")
    if len(history) != 2:
        raise CheckFailed("train(..., epochs=2) should return 2 history entries")
    return "two epochs, and the graph did not grow"


CHECKS = {
    "download": {"downloads and verifies": _download_roundtrip},
    "data": {"preprocess layout and dtypes": _preprocess},
    "model": {"graph handles and shapes": _graph},
    "loss_opt": {"train_op lowers the loss": _loss},
    "metric": {"evaluate": _evaluate},
    "train": {"train": _train},
    "report": {"report and plot": _report},
}
