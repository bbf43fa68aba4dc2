# ---
# dlcourse:
#   assignment: tf2
#   title: "Assignment 2: the same pipeline in TensorFlow 2"
# ---

# %% [markdown]
# # Assignment 2: the same pipeline in TensorFlow 2
#
# The seven steps of assignment 1 again — download, data, model, loss and optimizer, metric,
# train, report — now the TensorFlow 2 way. The ideas are the same; what changes is *who does
# what for you*, and that is where new mistakes hide:
#
# | | PyTorch | TensorFlow 2 |
# |---|---|---|
# | execution | eager; the graph is recorded as you go | eager by default; `tf.function` traces Python into a graph |
# | image layout | NCHW | **NHWC** (channels last) |
# | gradients | `loss.backward()` *adds* into `.grad`: zero them | each `GradientTape` computes fresh gradients: nothing to zero |
# | running state you must reset | `.grad` | **metric objects** (`keras.metrics.Mean`, accuracy): they accumulate until `reset_state()` |
# | train vs eval behaviour | `model.train()` / `model.eval()` (a mode that sticks) | `model(x, training=True/False)` on every call |
# | devices | explicit `.to(device)` | placed for you (GPU if there is one); `tf.device("/GPU:0")` to choose |
#
# Run each step's `check("<step>")` cell after you write it; `check()` shows all steps;
# `hint("<step>")` gives one more hint each call. Practising alone? `practice()` (from
# `course_utils`) adds practice checks on fresh random instances to every `check`.

# %%
import hashlib
import os
import tempfile
import urllib.request
from pathlib import Path

# TensorFlow's start-up messages stay out of the notebook: its C++ logs below warnings, and the
# oneDNN notice, which it prints before any log level applies (the grader runs without oneDNN too)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from course_utils import DIGITS, load_npz, seed_everything, stratified_split
from course_utils.checks import Checker
from course_utils.hints import Hints

seed_everything(0)  # random, numpy and the framework, for runs you can repeat
check = Checker("tf2")
hint = Hints("tf2")  # hint("data") gives one more hint each call

# %% [markdown]
# ## Step 1 `download`
#
# Exactly as in assignment 1: verify the sha256, write to a temporary file and rename it into
# place, reuse a verified cached copy. (`keras.utils.get_file(fname, origin, file_hash=...,
# cache_dir=...)` does the same job, if you prefer the Keras helper.)

# %%
def download(url, cache_dir, sha256):
    """Download ``url`` into ``cache_dir`` (once), verify its sha256, and return its ``Path``.

    The file is saved in ``cache_dir`` under the URL's last part.
    Raises ``ValueError`` (leaving no file at the destination) when the digest does not match.
    """
    # BEGIN SOLUTION
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / url.rsplit("/", 1)[-1]
    if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == sha256:
        return target
    fd, tmp_name = tempfile.mkstemp(dir=cache_dir, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url) as response:
            data = response.read()
            out.write(data)
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ValueError(f"sha256 mismatch for {url}")
        os.replace(tmp_name, target)
    finally:
        if os.path.exists(tmp_name):
            os.remove(tmp_name)
    return target
    # END SOLUTION


# %%
check("download")

# %% [markdown]
# ## Step 2 `data`: NHWC, and `tf.data`
#
# Keras convolutions default to **channels last**: a batch is (N, H, W, C). Grey images (N, H, W)
# need a trailing channel axis; colour images in (N, H, W, C) are already right. Feeding an NCHW
# batch to a channels-last model is silent when the numbers line up (8x8 images with 8 channels
# would even run): the model convolves over the wrong axes. Normalise with statistics of the
# *training* split only, as before.
#
# `tf.data` builds an input pipeline from small steps, and **their order matters**:
# `shuffle(...).batch(...)` shuffles samples and then groups them, so every epoch sees new batches;
# `batch(...).shuffle(...)` only shuffles the order of batches that were fixed once — the same
# samples always travel together. Pass a `seed` to `shuffle` for reproducibility (it reshuffles
# every epoch by default), and never shuffle the test set.

# %%
def normalization_stats(x_train):
    """Per-channel mean and std (float32 arrays of shape (C,)) of uint8 images (N, H, W) or
    (N, H, W, C), on the [0, 1] scale. The std is the population one (numpy's default,
    ``ddof=0``); the sample one (``ddof=1``) is accepted too."""
    # BEGIN SOLUTION
    x = np.asarray(x_train, dtype=np.float64) / 255.0
    if x.ndim == 3:
        x = x[..., None]
    return x.mean(axis=(0, 1, 2)).astype(np.float32), x.std(axis=(0, 1, 2)).astype(np.float32)
    # END SOLUTION


def preprocess(images, labels, mean, std):
    """Scale and normalise images for Keras; labels as class indices.

    Args:
        images: uint8 (N, H, W) or (N, H, W, C); labels: integers (N,).
        mean, std: per-channel statistics (C,) on the [0, 1] scale, of the training images.

    Returns:
        (x, y): ``x`` float32 (N, H, W, C) holding ``(images / 255 - mean) / std`` (numpy array or
        tf tensor); ``y`` int64 (N,).
    """
    # BEGIN SOLUTION
    x = np.asarray(images, dtype=np.float32) / 255.0
    if x.ndim == 3:
        x = x[..., None]  # (N, H, W) -> (N, H, W, 1)
    x = (x - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return x.astype(np.float32), np.asarray(labels).astype(np.int64)
    # END SOLUTION


def prepare_data(path, test_size=0.2, seed=0):
    """Load a course ``.npz``, split it (stratified, seeded), preprocess both splits with the
    training statistics. Returns a dict with x_train, y_train, x_test, y_test, mean, std.

    ``course_utils.load_npz(path)`` returns the file's ``(images, labels)`` as numpy arrays
    (uint8 (N, H, W) and uint8 (N,)); ``stratified_split(labels, test_size, seed)`` returns the
    ``(train_idx, test_idx)`` index arrays."""
    # BEGIN SOLUTION
    images, labels = load_npz(path)
    train_idx, test_idx = stratified_split(labels, test_size, seed)
    mean, std = normalization_stats(images[train_idx])
    x_train, y_train = preprocess(images[train_idx], labels[train_idx], mean, std)
    x_test, y_test = preprocess(images[test_idx], labels[test_idx], mean, std)
    return dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test, mean=mean, std=std)
    # END SOLUTION


def make_datasets(x_train, y_train, x_test, y_test, batch_size, seed):
    """``tf.data`` datasets of (x, y) batches: training shuffled before batching (seeded,
    reshuffled each epoch), test in order."""
    # BEGIN SOLUTION
    train = (
        tf.data.Dataset.from_tensor_slices((x_train, y_train))
        .shuffle(len(x_train), seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
    )
    test = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(batch_size)
    return train, test
    # END SOLUTION


# %%
check("data")

# %% [markdown]
# ## Step 3 `model`: devices and a Keras model
#
# TensorFlow places operations for you: on a machine with a GPU, tensors and variables land on it
# without a single `.to(...)`. `get_device` still matters when you want to *choose*
# (`with tf.device(get_device()):`) and for logging; ask TensorFlow what exists
# (`tf.config.list_physical_devices("GPU")`) rather than writing `"/GPU:0"` — on a machine without
# one, soft placement quietly falls back to the CPU, or, with soft placement off, the code fails.
#
# A Keras model maps (N, H, W, C) to **logits** (N, num_classes). Sequential, functional or
# subclassed models are all fine. Layers such as `Dropout` and `BatchNormalization` read the
# `training` argument of each call.

# %%
def get_device(prefer_gpu=True):
    """``"/GPU:0"`` if a GPU exists and is wanted, else ``"/CPU:0"``."""
    # BEGIN SOLUTION
    if prefer_gpu and tf.config.list_physical_devices("GPU"):
        return "/GPU:0"
    return "/CPU:0"
    # END SOLUTION


def build_model(input_shape=(8, 8, 1), num_classes=10):
    """A Keras model from (N, *input_shape) float32 images (channels last) to (N, num_classes) logits."""
    # BEGIN SOLUTION
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            keras.layers.Conv2D(32, 3, padding="same"),  # (N, 8, 8, C) -> (N, 8, 8, 32)
            keras.layers.BatchNormalization(),
            keras.layers.ReLU(),
            keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(2),  # -> (N, 4, 4, 64)
            keras.layers.Flatten(),
            keras.layers.Dropout(0.25),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(num_classes),  # logits: no softmax here
        ]
    )
    # END SOLUTION


# %%
check("model")

# %% [markdown]
# ## Step 4 `loss_opt`
#
# Keras losses take `(y_true, y_pred)` — the other way round from PyTorch. With a model that
# outputs logits, say so: `SparseCategoricalCrossentropy(from_logits=True)`. The default,
# `from_logits=False`, expects probabilities: given logits it clips them into [1e-7, 1] and takes
# logs of nonsense, and training crawls or stalls. (A model ending in `softmax` with
# `from_logits=False` is consistent but numerically worse.)

# %%
def make_loss():
    """A Keras loss: ``loss(y_true (N,) int, logits (N, K)) -> scalar``, the mean cross-entropy."""
    # BEGIN SOLUTION
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    # END SOLUTION


def make_optimizer(lr):
    """A Keras optimizer with learning rate ``lr``."""
    # BEGIN SOLUTION
    return keras.optimizers.Adam(learning_rate=lr)
    # END SOLUTION


# %%
check("loss_opt")

# %% [markdown]
# ## Step 5 `metric`: stateful metrics and `training=False`
#
# Keras metrics are **stateful**: `update_state` adds a batch to running totals and `result()`
# reads them. That is handy — and it is TensorFlow's version of forgetting `zero_grad`: if you do
# not call `reset_state()` before a new evaluation, the numbers of every earlier evaluation are
# mixed in. `evaluate` gets the metrics from `make_metrics()` and must reset them first.
#
# Pass `training=False` so dropout is off and batch norm uses its moving statistics. (Weight the
# loss of each batch by its size for an exact mean over samples: `update_state(loss,
# sample_weight=batch_size)`.)

# %%
def make_metrics():
    """``{"loss": keras.metrics.Mean(), "accuracy": keras.metrics.SparseCategoricalAccuracy()}``."""
    # BEGIN SOLUTION
    return {"loss": keras.metrics.Mean(), "accuracy": keras.metrics.SparseCategoricalAccuracy()}
    # END SOLUTION


def evaluate(model, dataset, loss_fn, metrics):
    """Mean loss and accuracy of ``model`` over ``dataset``, with the metrics of ``make_metrics``.

    The same metric objects are reused between calls: reset them first.
    Returns ``{"loss": float, "accuracy": float}``: the accuracy exactly over samples; the loss
    over samples, or as the mean of the batches' mean losses (what a ``keras.metrics.Mean`` fed
    each batch's loss gives): both are accepted.
    """
    # BEGIN SOLUTION
    for metric in metrics.values():
        metric.reset_state()
    for x, y in dataset:
        logits = model(x, training=False)
        metrics["loss"].update_state(loss_fn(y, logits), sample_weight=tf.shape(y)[0])
        metrics["accuracy"].update_state(y, logits)
    return {name: float(metric.result()) for name, metric in metrics.items()}
    # END SOLUTION


# %%
check("metric")

# %% [markdown]
# ## Step 6 `train`: `GradientTape` and `tf.function`
#
# A `GradientTape` records the operations run *inside its `with` block*; `tape.gradient(loss,
# variables)` differentiates what it saw. A forward pass outside the block leaves the tape
# empty: the gradients are `None`, and Keras refuses to apply them ("No gradients provided").
# Each tape starts empty, so there is nothing to zero.
#
# `@tf.function` turns the step into a graph: the Python body runs once per new *input
# signature* (a **trace**), later calls run the graph. Retracing is slow, so keep the signature
# stable: tensors of the same shape and dtype (pass `reduce_retracing=True` to let the last,
# smaller batch share the graph), never a fresh Python number each step, never a new
# `tf.function` created inside a loop. Variables may be created only on the first trace: build
# the model and the optimizer outside (`optimizer.build(model.trainable_variables)`), and never
# create a `tf.Variable` inside the step. A new model or optimizer passed to the same
# `tf.function` is a new trace.
#
# `fit` keeps a `keras.metrics.Mean` of the training loss: reset it at the start of every epoch,
# or each epoch reports the average since the first.
#
# `fit_keras` does the same with Keras's own loop: `compile` then `fit`.

# %%
@tf.function(reduce_retracing=True)
def train_step(model, x, y, loss_fn, optimizer):
    """One optimisation step on the batch (x, y); returns the batch loss (a scalar tensor)."""
    # BEGIN SOLUTION
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss = loss_fn(y, logits)
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    return loss
    # END SOLUTION


def fit(model, train_ds, test_ds, loss_fn, optimizer, epochs):
    """Train for ``epochs`` epochs with ``train_step``, evaluating on ``test_ds`` after each.
    Call ``train_step`` as it is: wrapping it in a new ``tf.function`` at every step retraces
    every step (graded).

    Returns history: one dict per epoch, ``{"epoch": int (1-based), "train_loss": float (the
    mean of the epoch's ``train_step`` losses), "test_loss": float, "test_accuracy": float}``.
    """
    # BEGIN SOLUTION
    optimizer.build(model.trainable_variables)  # create its variables here, not inside train_step's graph
    metrics = make_metrics()
    train_loss = keras.metrics.Mean()
    history = []
    for epoch in range(1, epochs + 1):
        train_loss.reset_state()
        for x, y in train_ds:
            train_loss.update_state(train_step(model, x, y, loss_fn, optimizer), sample_weight=tf.shape(y)[0])
        result = evaluate(model, test_ds, loss_fn, metrics)
        history.append(
            {
                "epoch": epoch,
                "train_loss": float(train_loss.result()),
                "test_loss": result["loss"],
                "test_accuracy": result["accuracy"],
            }
        )
    return history
    # END SOLUTION


def fit_keras(model, train_ds, test_ds, epochs, lr=3e-3):
    """The same training with ``model.compile`` and ``model.fit`` (loss from ``make_loss``,
    optimizer from ``make_optimizer(lr)``); returns a history in ``fit``'s format."""
    # BEGIN SOLUTION
    model.compile(optimizer=make_optimizer(lr), loss=make_loss(), metrics=["accuracy"])
    # shuffle=False: train_ds reshuffles itself; Keras ignores shuffle=True for a Dataset, and warns
    h = model.fit(train_ds, validation_data=test_ds, epochs=epochs, shuffle=False, verbose=0)
    h = h.history
    return [
        {
            "epoch": i + 1,
            "train_loss": float(h["loss"][i]),
            "test_loss": float(h["val_loss"][i]),
            "test_accuracy": float(h["val_accuracy"][i]),
        }
        for i in range(epochs)
    ]
    # END SOLUTION


# %%
check("train")

# %% [markdown]
# ## Step 7 `report`
#
# As in assignment 1, with TensorFlow's own summary API: `writer =
# tf.summary.create_file_writer(log_dir)`, then inside `with writer.as_default():` call
# `tf.summary.scalar(tag, value, step=epoch)`. In JupyterLab: `%load_ext tensorboard` and
# `%tensorboard --logdir runs`.

# %%
def report(history, train_metrics, test_metrics):
    """``{"epochs", "train_loss", "train_accuracy", "test_loss", "test_accuracy",
    "generalization_gap"}`` (gap = train accuracy - test accuracy)."""
    # BEGIN SOLUTION
    return {
        "epochs": len(history),
        "train_loss": float(train_metrics["loss"]),
        "train_accuracy": float(train_metrics["accuracy"]),
        "test_loss": float(test_metrics["loss"]),
        "test_accuracy": float(test_metrics["accuracy"]),
        "generalization_gap": float(train_metrics["accuracy"] - test_metrics["accuracy"]),
    }
    # END SOLUTION


def plot_history(history):
    """A matplotlib Figure with train/test loss and test accuracy against the epoch."""
    # BEGIN SOLUTION
    epochs = [h["epoch"] for h in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.5))
    ax_loss.plot(epochs, [h["train_loss"] for h in history], label="train")
    ax_loss.plot(epochs, [h["test_loss"] for h in history], label="test")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    ax_loss.legend()
    ax_acc.plot(epochs, [h["test_accuracy"] for h in history])
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="test accuracy")
    fig.tight_layout()
    return fig
    # END SOLUTION


def log_to_tensorboard(history, log_dir):
    """TensorBoard scalars with ``tf.summary``: ``loss/train``, ``loss/test``, ``accuracy/test``
    at ``step = epoch``. Returns ``Path(log_dir)``."""
    # BEGIN SOLUTION
    writer = tf.summary.create_file_writer(str(log_dir))
    with writer.as_default():
        for h in history:
            tf.summary.scalar("loss/train", h["train_loss"], step=h["epoch"])
            tf.summary.scalar("loss/test", h["test_loss"], step=h["epoch"])
            tf.summary.scalar("accuracy/test", h["test_accuracy"], step=h["epoch"])
    writer.close()
    return Path(log_dir)
    # END SOLUTION


# %%
check("report")

# %% [markdown]
# ## The whole pipeline
#
# End to end on the digits (about 20 seconds on a laptop CPU); expect 97-99% test accuracy.

# %%
seed_everything(0)
keras.utils.set_random_seed(0)
path = download(DIGITS.url, Path.home() / ".cache" / "dlcourse", DIGITS.sha256)
data = prepare_data(path, test_size=0.2, seed=0)
train_ds, test_ds = make_datasets(
    data["x_train"], data["y_train"], data["x_test"], data["y_test"], batch_size=64, seed=0
)
model = build_model(input_shape=(8, 8, 1), num_classes=10)
loss_fn = make_loss()
optimizer = make_optimizer(3e-3)
with tf.device(get_device()):
    history = fit(model, train_ds, test_ds, loss_fn, optimizer, epochs=12)
summary = report(
    history,
    evaluate(model, train_ds, loss_fn, make_metrics()),
    evaluate(model, test_ds, loss_fn, make_metrics()),
)
print(summary)
plot_history(history)
log_dir = log_to_tensorboard(history, Path("runs") / "tf2")
print(f"TensorBoard logs in {log_dir} (view them: tensorboard --logdir runs)")
