"""Practice checks for assignment 2 (TensorFlow 2): fresh random instances on every call."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from course_utils.checks.runner import need
from course_utils.practice import common
from course_utils.practice.common import as_numpy, fail


def _keras():  # noqa: ANN202 - imported on use: a torch notebook never imports tensorflow
    import keras

    return keras


def _datasets(ns: dict[str, Any], rng: np.random.Generator) -> str:
    n, batch = int(rng.integers(13, 40)), int(rng.integers(3, 7))
    x = np.arange(n, dtype=np.float32).reshape(n, 1, 1, 1)
    y = np.arange(n, dtype=np.int64)
    train, test = need(ns, "make_datasets")(
        x, y, x, y, batch_size=batch, seed=int(rng.integers(99))
    )
    order = np.concatenate([as_numpy(b[1]) for b in test]).tolist()
    if order != list(range(n)):
        raise fail("the test samples in order", f"{order[:8]}...", "the test dataset shuffles")
    epochs = [[sorted(as_numpy(b[1]).tolist()) for b in train] for _ in range(2)]
    if sorted(v for b in epochs[0] for v in b) != list(range(n)):
        raise fail("every training sample once per epoch", "repeats or gaps", "repeat()/take()")
    contiguous = all(b == list(range(b[0], b[0] + len(b))) for b in epochs[0])
    if contiguous or epochs[0] == epochs[1]:
        raise fail(
            "batches of randomly mixed samples, new ones every epoch",
            "batches of consecutive samples" if contiguous else "the same batches every epoch",
            "shuffle() after batch() only reorders fixed batches: shuffle first, then batch",
        )
    return f"{n} samples: training shuffled before batching (batch {batch}), test in order"


def _model(ns: dict[str, Any], rng: np.random.Generator) -> str:
    channels, classes, n = (
        int(rng.choice([1, 3])),
        int(rng.integers(2, 13)),
        int(rng.integers(1, 9)),
    )
    _keras().utils.set_random_seed(int(rng.integers(2**31)))
    model = need(ns, "build_model")(input_shape=(8, 8, channels), num_classes=classes)
    x = rng.normal(size=(n, 8, 8, channels)).astype(np.float32)
    out = as_numpy(
        common.attempt(
            model,
            x,
            training=False,
            expected=f"logits of shape {(n, classes)} for input {x.shape}",
            cause="a batch size, channel count or class count written into the model",
        )
    )
    if out.shape != (n, classes):
        raise fail(
            f"logits of shape {(n, classes)} for input {x.shape}",
            f"{out.shape}",
            "a batch size, channel count or class count written into the model",
        )
    single = np.concatenate([as_numpy(model(x[i : i + 1], training=False)) for i in range(n)])
    if not np.allclose(out, single, atol=1e-5):
        raise fail(
            "each sample's logits independent of its batch (training=False)",
            f"a difference of {np.abs(out - single).max():.3g}",
            "a reshape that mixes samples of the batch",
        )
    if np.allclose(out.sum(axis=1), 1.0, atol=1e-4) and (out >= 0).all():
        raise fail("raw logits", "rows that sum to 1", "a softmax at the end of the model")
    return f"{n} x 8 x 8 x {channels} -> {n} x {classes}; samples independent"


def _loss(ns: dict[str, Any], rng: np.random.Generator) -> str:
    n, k = int(rng.integers(2, 17)), int(rng.integers(2, 11))
    logits = rng.normal(scale=3.0, size=(n, k)).astype(np.float32)
    targets = rng.integers(0, k, size=n)
    want = float(common.cross_entropy(logits, targets).mean())
    got = common.finite(need(ns, "make_loss")()(targets, logits), "the loss")
    if abs(got - want) > 1e-4:
        raise fail(
            f"mean cross-entropy {want:.5f} of random logits",
            f"{got:.5f}",
            "from_logits=True missing (the loss then treats logits as probabilities)",
        )
    lr = float(rng.uniform(0.001, 0.1))
    opt_lr = common.finite(need(ns, "make_optimizer")(lr).learning_rate, "the learning rate")
    if abs(opt_lr - lr) > 1e-7:
        raise fail(f"learning rate {lr:.5f}", f"{opt_lr:.5f}", "a hard-coded learning rate")
    return f"cross-entropy of {n} x {k} random logits exact; lr {lr:.5f} used"


def _evaluate(ns: dict[str, Any], rng: np.random.Generator) -> str:
    """Two datasets of uneven batches through the *same* metric objects, as ``fit`` does."""
    import tensorflow as tf

    keras = _keras()
    keras.utils.set_random_seed(int(rng.integers(2**31)))
    model = keras.Sequential([keras.Input((2, 2, 1)), keras.layers.Flatten(),
                              keras.layers.Dropout(0.5), keras.layers.Dense(3)])  # fmt: skip
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    metrics = need(ns, "make_metrics")()
    for call in (1, 2):
        n, batch = int(rng.integers(9, 30)), int(rng.integers(2, 8))
        while n % batch == 0:
            n += 1
        x = rng.normal(size=(n, 2, 2, 1)).astype(np.float32)
        logits = as_numpy(model(x, training=False)).astype(np.float64)
        y = common.uneven_labels(logits.argmax(1), batch, 3)
        per_sample = common.cross_entropy(logits, y)
        # the TF tutorials' mean of batch means is accepted for the loss; accuracy must be exact
        losses = [
            per_sample.mean(),
            np.mean([c.mean() for c in np.split(per_sample, range(batch, n, batch))]),
        ]
        acc = float(np.mean(logits.argmax(1) == y))
        data = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch)
        got = need(ns, "evaluate")(model, data, loss_fn, metrics)
        got = {k: common.finite(got.get(k), f"evaluate's {k}") for k in ("loss", "accuracy")}
        if abs(got["accuracy"] - acc) > 1e-6 or min(abs(got["loss"] - v) for v in losses) > 1e-3:
            raise fail(
                f"loss {losses[0]:.4f}, accuracy {acc:.4f} (dataset {call} of 2, same metrics)",
                f"loss {got['loss']:.4f}, accuracy {got['accuracy']:.4f}",
                "the metrics still hold the first dataset: reset_state() before evaluating"
                if call == 2
                else "training=True (dropout on) while evaluating, or a wrong average",
            )
    return "two datasets through the same metrics, each evaluated exactly"


def _train_step(ns: dict[str, Any], rng: np.random.Generator) -> str:
    import tensorflow as tf

    keras = _keras()
    n, lr = int(rng.integers(4, 12)), float(rng.uniform(0.05, 0.3))
    keras.utils.set_random_seed(int(rng.integers(2**31)))
    model = keras.Sequential(
        [keras.Input((2, 2, 1)), keras.layers.Flatten(), keras.layers.Dense(3)]
    )
    x = tf.constant(rng.normal(size=(n, 2, 2, 1)).astype(np.float32))
    y = tf.constant(rng.integers(0, 3, size=n))
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    with tf.GradientTape() as tape:
        want_loss = loss_fn(y, model(x, training=True))
    grads = tape.gradient(want_loss, model.trainable_variables)
    want = [v.numpy() - lr * g.numpy() for v, g in zip(model.trainable_variables, grads)]
    optimizer = keras.optimizers.SGD(lr)
    optimizer.build(model.trainable_variables)
    got_loss = float(
        common.attempt(
            need(ns, "train_step"),
            model,
            x,
            y,
            loss_fn,
            optimizer,
            expected="one SGD step on the batch's gradients",
            cause="the forward pass is outside the GradientTape, so the tape recorded nothing "
            "to differentiate",
        )
    )
    drift = max(float(np.abs(v.numpy() - w).max()) for v, w in zip(model.trainable_variables, want))
    if not drift <= 1e-5:  # NaN weights fail too
        raise fail(
            "the weights after one SGD step on the batch's gradient",
            f"weights that differ by up to {drift:.3g}",
            "the forward pass outside the GradientTape (no gradients), or gradients applied "
            "to other variables",
        )
    if abs(common.finite(got_loss, "the loss train_step returns") - float(want_loss)) > 1e-5:
        raise fail(f"the batch loss {float(want_loss):.5f}", f"{got_loss:.5f}", "a wrong return")
    return f"one step on {n} random samples matches a hand-made SGD step"


PRACTICE = {
    "download": {"random file: verify, cache, refuse": common.download},
    "data": {
        "statistics of random images": common.normalization_stats,
        "prepare_data uses training statistics": common.prepare_data,
        "preprocess random images to NHWC": partial(common.preprocess, layout="NHWC"),
        "datasets on a random size": _datasets,
    },
    "model": {"random sizes, samples independent": _model},
    "loss_opt": {"cross-entropy on random logits": _loss},
    "metric": {"evaluate twice, uneven batches": _evaluate},
    "train": {"train_step against an SGD step": _train_step},
    "report": {"random summary": common.report, "TensorBoard scalars": common.tensorboard},
}
