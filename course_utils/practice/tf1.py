"""Practice checks for assignment 3 (TF1 static graph): fresh random instances on every call."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from course_utils.checks.runner import need
from course_utils.practice import common
from course_utils.practice.common import fail


def _graph(ns: dict[str, Any], rng: np.random.Generator) -> str:
    import tensorflow as tf

    channels, classes, n = (
        int(rng.choice([1, 3])),
        int(rng.integers(2, 13)),
        int(rng.integers(1, 9)),
    )
    h = need(ns, "build_graph")(input_shape=(8, 8, channels), num_classes=classes, lr=1e-2)
    x = rng.normal(size=(n, 8, 8, channels)).astype(np.float32)
    with tf.compat.v1.Session(graph=h["graph"]) as s:
        s.run(h["init"])
        logits = common.attempt(
            s.run,
            h["logits"],
            {h["x"]: x, h["training"]: False},  # a training placeholder may have no default
            expected=f"logits {(n, 'num_classes')} for {n} images",
            cause="a fixed batch size in the placeholder or a reshape (use None / -1)",
        )
        single = np.concatenate(
            [s.run(h["logits"], {h["x"]: x[i : i + 1], h["training"]: False}) for i in range(n)]
        )
    if logits.shape != (n, classes):
        raise fail(f"logits {(n, classes)}", f"{logits.shape}", "a fixed batch size or class count")
    if not np.allclose(logits, single, atol=1e-5):
        raise fail("samples independent of their batch", "mixed samples", "a reshape across N")
    return f"{n} x 8 x 8 x {channels} -> {n} x {classes}"


def _evaluate(ns: dict[str, Any], rng: np.random.Generator) -> str:
    import tensorflow as tf

    n, batch, classes = int(rng.integers(9, 30)), int(rng.integers(2, 8)), int(rng.integers(2, 6))
    while n % batch == 0:
        n += 1
    h = need(ns, "build_graph")(input_shape=(8, 8, 1), num_classes=classes, lr=1e-2)
    x = rng.normal(size=(n, 8, 8, 1)).astype(np.float32)
    with tf.compat.v1.Session(graph=h["graph"]) as s:
        s.run(h["init"])
        logits = s.run(h["logits"], {h["x"]: x, h["training"]: False}).astype(np.float64)
        y = common.uneven_labels(logits.argmax(1), batch, classes)
        ops = len(h["graph"].get_operations())
        got = need(ns, "evaluate")(h, s, x, y, batch)
        grown = len(h["graph"].get_operations()) - ops
    if grown:
        raise fail("no new graph operations", f"{grown} new ones", "ops created inside evaluate")
    per_sample = common.cross_entropy(logits, y)
    loss = float(per_sample.mean())
    starts = range(0, n, batch)
    batch_means = float(np.mean([per_sample[i : i + batch].mean() for i in starts]))
    got_loss = common.finite(got["loss"], "evaluate's loss")
    if abs(got_loss - loss) > 1e-4 * max(1.0, abs(loss)):
        averaged = abs(got_loss - batch_means) <= 1e-4 * max(1.0, abs(batch_means))
        raise fail(
            f"loss {loss:.4f} over {n} samples in batches of {batch} (training=False)",
            f"{got_loss:.4f}",
            "a mean of batch means (the last batch is smaller)"
            if averaged
            else "dropout on in evaluate (training=True fed), or samples skipped",
        )
    acc = float(np.mean(logits.argmax(1) == y))
    if abs(common.finite(got["accuracy"], "evaluate's accuracy") - acc) > 1e-6:
        raise fail(
            f"accuracy {acc:.4f} over {n} samples in batches of {batch}",
            f"{got['accuracy']:.4f}",
            "a mean of batch means (the last batch is smaller), or samples skipped",
        )
    return f"exact loss and accuracy over {n} samples, no graph growth"


PRACTICE = {
    "download": {"random file: verify, cache, refuse": common.download},
    "data": {
        "statistics of random images": common.normalization_stats,
        "prepare_data uses training statistics": common.prepare_data,
        "preprocess random images to NHWC": partial(common.preprocess, layout="NHWC"),
    },
    "model": {"random sizes, samples independent": _graph},
    "loss_opt": {},
    "metric": {"evaluate, uneven batches": _evaluate},
    "train": {},
    "report": {"random summary": common.report, "TensorBoard scalars": common.tensorboard},
}
