"""Assignment 2 (TensorFlow 2 pipeline), written in the style of the TensorFlow 2 quickstart.

An independently written submission used to check that the grader gives full marks to correct
code whatever its style: a subclassed ``keras.Model`` with Conv2D / Flatten / Dense, an
``@tf.function`` training step with ``tf.GradientTape``, and ``keras.metrics`` objects that are
reset with ``reset_state()`` at the start of every epoch and evaluation.
"""

import hashlib
import os
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from keras import Model
from keras.layers import Conv2D, Dense, Flatten

from course_utils import DIGITS, load_npz, seed_everything, stratified_split

seed_everything(0)  # random, numpy and the framework, for runs you can repeat


# ---------------------------------------------------------------------------------------------
# Step 1: download
# ---------------------------------------------------------------------------------------------
def _sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def download(url, cache_dir, sha256):
    """Download ``url`` into ``cache_dir`` (once), verify its sha256, and return its ``Path``.

    Raises ``ValueError`` (leaving no file at the destination) when the digest does not match.
    """
    expected = sha256.strip().lower()
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    fname = os.path.basename(urllib.parse.unquote(urllib.parse.urlparse(url).path))
    if not fname:
        raise ValueError(f"cannot name a file after the URL {url!r}")
    target = cache_dir / fname

    # Reuse a verified cached copy; a copy with the wrong digest is removed.
    if target.is_file():
        if _sha256_file(target) == expected:
            return target
        target.unlink()

    tmp = tempfile.NamedTemporaryFile(dir=cache_dir, prefix=f".{fname}.", suffix=".tmp",
                                      delete=False)
    try:
        digest = hashlib.sha256()
        with tmp, urllib.request.urlopen(url) as response:
            for block in iter(lambda: response.read(1 << 16), b""):
                digest.update(block)
                tmp.write(block)
        if digest.hexdigest() != expected:
            raise ValueError(
                f"sha256 of {url} is {digest.hexdigest()}, expected {expected}"
            )
        os.replace(tmp.name, target)  # atomic rename within the same directory
    finally:
        if os.path.exists(tmp.name):
            os.remove(tmp.name)
    return target


# ---------------------------------------------------------------------------------------------
# Step 2: data
# ---------------------------------------------------------------------------------------------
def _channels_last(images):
    """(N, H, W) -> (N, H, W, 1); (N, H, W, C) is already channels last."""
    images = np.asarray(images)
    return images[..., np.newaxis] if images.ndim == 3 else images


def normalization_stats(x_train):
    """Per-channel mean and std (float32 arrays of shape (C,)) of uint8 images (N, H, W) or
    (N, H, W, C), on the [0, 1] scale. The std is the population one (numpy's default,
    ``ddof=0``); the sample one (``ddof=1``) is accepted too."""
    x = _channels_last(x_train).astype(np.float64) / 255.0
    return (x.mean(axis=(0, 1, 2)).astype(np.float32),
            x.std(axis=(0, 1, 2)).astype(np.float32))


def preprocess(images, labels, mean, std):
    """Scale and normalise images for Keras; labels as class indices.

    Args:
        images: uint8 (N, H, W) or (N, H, W, C); labels: integers (N,).
        mean, std: per-channel statistics (C,) on the [0, 1] scale, of the training images.

    Returns:
        (x, y): ``x`` float32 (N, H, W, C) holding ``(images / 255 - mean) / std`` (numpy array or
        tf tensor); ``y`` int64 (N,).
    """
    x = _channels_last(images).astype(np.float64) / 255.0
    mean = np.asarray(mean, dtype=np.float64).reshape(-1)
    std = np.asarray(std, dtype=np.float64).reshape(-1)
    x = ((x - mean) / std).astype(np.float32)
    y = np.asarray(labels).astype(np.int64)
    return x, y


def prepare_data(path, test_size=0.2, seed=0):
    """Load a course ``.npz``, split it (stratified, seeded), preprocess both splits with the
    training statistics. Returns a dict with x_train, y_train, x_test, y_test, mean, std."""
    images, labels = load_npz(path)
    train_idx, test_idx = stratified_split(labels, test_size=test_size, seed=seed)
    mean, std = normalization_stats(images[train_idx])
    x_train, y_train = preprocess(images[train_idx], labels[train_idx], mean, std)
    x_test, y_test = preprocess(images[test_idx], labels[test_idx], mean, std)
    return dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
                mean=mean, std=std)


def make_datasets(x_train, y_train, x_test, y_test, batch_size, seed):
    """``tf.data`` datasets of (x, y) batches: training shuffled before batching (seeded,
    reshuffled each epoch), test in order."""
    n_train = int(x_train.shape[0])
    train_ds = (
        tf.data.Dataset.from_tensor_slices((x_train, y_train))
        .shuffle(n_train, seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
    )
    test_ds = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(batch_size)
    return train_ds, test_ds


# ---------------------------------------------------------------------------------------------
# Step 3: model
# ---------------------------------------------------------------------------------------------
def get_device(prefer_gpu=True):
    """``"/GPU:0"`` if a GPU exists and is wanted, else ``"/CPU:0"``."""
    if prefer_gpu and tf.config.list_physical_devices("GPU"):
        return "/GPU:0"
    return "/CPU:0"


class MyModel(Model):
    """The quickstart's model: a convolution, then two dense layers; returns logits."""

    def __init__(self, num_classes=10, **kwargs):
        super().__init__(**kwargs)
        self.conv1 = Conv2D(32, 3, padding="same", activation="relu")
        self.flatten = Flatten()
        self.d1 = Dense(128, activation="relu")
        self.d2 = Dense(num_classes)  # logits: no softmax

    def call(self, x, training=False):
        x = self.conv1(x)
        x = self.flatten(x)
        x = self.d1(x)
        return self.d2(x)


def build_model(input_shape=(8, 8, 1), num_classes=10):
    """A Keras model from (N, *input_shape) float32 images (channels last) to (N, num_classes) logits."""
    model = MyModel(num_classes=num_classes)
    # Create the variables now, outside any tf.function.
    model(tf.zeros((1, *input_shape), dtype=tf.float32), training=False)
    return model


# ---------------------------------------------------------------------------------------------
# Step 4: loss and optimizer
# ---------------------------------------------------------------------------------------------
def make_loss():
    """A Keras loss: ``loss(y_true (N,) int, logits (N, K)) -> scalar``, the mean cross-entropy."""
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def make_optimizer(lr):
    """A Keras optimizer with learning rate ``lr``."""
    return keras.optimizers.Adam(learning_rate=lr)


# ---------------------------------------------------------------------------------------------
# Step 5: metric
# ---------------------------------------------------------------------------------------------
def make_metrics():
    """``{"loss": keras.metrics.Mean(), "accuracy": keras.metrics.SparseCategoricalAccuracy()}``."""
    return {
        "loss": keras.metrics.Mean(name="test_loss"),
        "accuracy": keras.metrics.SparseCategoricalAccuracy(name="test_accuracy"),
    }


@tf.function(reduce_retracing=True)
def test_step(model, x, y, loss_fn):
    predictions = model(x, training=False)
    t_loss = loss_fn(y, predictions)
    return t_loss, predictions


def evaluate(model, dataset, loss_fn, metrics):
    """Mean loss and accuracy of ``model`` over ``dataset``, with the metrics of ``make_metrics``.

    The same metric objects are reused between calls: reset them first.
    Returns ``{"loss": float, "accuracy": float}``: the accuracy exactly over samples; the loss
    over samples, or as the mean of the batches' mean losses (what a ``keras.metrics.Mean`` fed
    each batch's loss gives): both are accepted.
    """
    test_loss, test_accuracy = metrics["loss"], metrics["accuracy"]
    test_loss.reset_state()
    test_accuracy.reset_state()

    for images, labels in dataset:
        t_loss, predictions = test_step(model, images, labels, loss_fn)
        batch_size = tf.cast(tf.shape(labels)[0], tf.float32)
        test_loss.update_state(t_loss, sample_weight=batch_size)
        test_accuracy.update_state(labels, predictions)

    return {"loss": float(test_loss.result()), "accuracy": float(test_accuracy.result())}


# ---------------------------------------------------------------------------------------------
# Step 6: train
# ---------------------------------------------------------------------------------------------
@tf.function(reduce_retracing=True)
def train_step(model, x, y, loss_fn, optimizer):
    """One optimisation step on the batch (x, y); returns the batch loss (a scalar tensor)."""
    with tf.GradientTape() as tape:
        # training=True is only needed if there are layers with different
        # behavior during training versus inference (e.g. Dropout).
        predictions = model(x, training=True)
        loss = loss_fn(y, predictions)
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    return loss


def fit(model, train_ds, test_ds, loss_fn, optimizer, epochs):
    """Train for ``epochs`` epochs with ``train_step``, evaluating on ``test_ds`` after each.

    Returns history: one dict per epoch, ``{"epoch": int (1-based), "train_loss": float (the
    mean of the epoch's ``train_step`` losses), "test_loss": float, "test_accuracy": float}``.
    """
    # Variables may only be created outside the tf.function (or on its first trace).
    if not model.built:
        x0, _ = next(iter(train_ds))
        model(x0, training=False)
    if not optimizer.built:
        optimizer.build(model.trainable_variables)

    train_loss = keras.metrics.Mean(name="train_loss")
    test_metrics = make_metrics()

    history = []
    for epoch in range(epochs):
        # Reset the metrics at the start of the next epoch
        train_loss.reset_state()

        for images, labels in train_ds:
            loss = train_step(model, images, labels, loss_fn, optimizer)
            train_loss.update_state(loss)

        results = evaluate(model, test_ds, loss_fn, test_metrics)
        history.append({
            "epoch": epoch + 1,
            "train_loss": float(train_loss.result()),
            "test_loss": results["loss"],
            "test_accuracy": results["accuracy"],
        })
    return history


def fit_keras(model, train_ds, test_ds, epochs, lr=3e-3):
    """The same training with ``model.compile`` and ``model.fit`` (loss from ``make_loss``,
    optimizer from ``make_optimizer(lr)``); returns a history in ``fit``'s format."""
    model.compile(
        optimizer=make_optimizer(lr),
        loss=make_loss(),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    h = model.fit(train_ds, validation_data=test_ds, epochs=epochs, verbose=0)
    return [
        {
            "epoch": i + 1,
            "train_loss": float(h.history["loss"][i]),
            "test_loss": float(h.history["val_loss"][i]),
            "test_accuracy": float(h.history["val_accuracy"][i]),
        }
        for i in range(len(h.history["loss"]))
    ]


# ---------------------------------------------------------------------------------------------
# Step 7: report
# ---------------------------------------------------------------------------------------------
def report(history, train_metrics, test_metrics):
    """``{"epochs", "train_loss", "train_accuracy", "test_loss", "test_accuracy",
    "generalization_gap"}`` (gap = train accuracy - test accuracy)."""
    train_acc = float(train_metrics["accuracy"])
    test_acc = float(test_metrics["accuracy"])
    return {
        "epochs": len(history),
        "train_loss": float(train_metrics["loss"]),
        "train_accuracy": train_acc,
        "test_loss": float(test_metrics["loss"]),
        "test_accuracy": test_acc,
        "generalization_gap": train_acc - test_acc,
    }


def plot_history(history):
    """A matplotlib Figure with train/test loss and test accuracy against the epoch."""
    epochs = [h["epoch"] for h in history]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    axes[0].plot(epochs, [h["train_loss"] for h in history], label="train")
    axes[0].plot(epochs, [h["test_loss"] for h in history], label="test")
    axes[0].set(xlabel="epoch", ylabel="loss", title="Loss")
    axes[0].legend()
    axes[1].plot(epochs, [h["test_accuracy"] for h in history], label="test")
    axes[1].set(xlabel="epoch", ylabel="accuracy", title="Test accuracy")
    axes[1].legend()
    fig.tight_layout()
    return fig


def log_to_tensorboard(history, log_dir):
    """TensorBoard scalars with ``tf.summary``: ``loss/train``, ``loss/test``, ``accuracy/test``
    at ``step = epoch``. Returns ``Path(log_dir)``."""
    writer = tf.summary.create_file_writer(str(log_dir))
    with writer.as_default():
        for h in history:
            step = int(h["epoch"])
            tf.summary.scalar("loss/train", h["train_loss"], step=step)
            tf.summary.scalar("loss/test", h["test_loss"], step=step)
            tf.summary.scalar("accuracy/test", h["test_accuracy"], step=step)
    writer.flush()
    writer.close()
    return Path(log_dir)
