"""A correct TF2 submission written apart from the reference, in other styles: tf ops for the
statistics, sklearn-free stratified split, a functional model without BatchNorm, keras.ops,
a manual weighted mean in evaluate, `input_signature`-free tf.function with jit off,
`model.fit` with a History object converted by hand, `tf.summary` at 0-based steps."""

import hashlib
import os
import shutil
import urllib.request
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf


def download(url, cache_dir, sha256):
    cache = Path(cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    final = cache / os.path.basename(url)
    if final.exists() and hashlib.sha256(final.read_bytes()).hexdigest() == sha256:
        return final
    part = final.with_suffix(final.suffix + ".part")
    with urllib.request.urlopen(url) as src, open(part, "wb") as dst:
        shutil.copyfileobj(src, dst)
    if hashlib.sha256(part.read_bytes()).hexdigest() != sha256:
        part.unlink()
        raise OSError("checksum mismatch")
    part.replace(final)
    return final


def normalization_stats(x_train):
    x = tf.cast(tf.convert_to_tensor(x_train), tf.float64) / 255.0
    if len(x.shape) == 3:
        x = x[..., tf.newaxis]
    mean, var = tf.nn.moments(x, axes=[0, 1, 2])
    return tf.cast(mean, tf.float32), tf.cast(tf.sqrt(var), tf.float32)


def preprocess(images, labels, mean, std):
    x = tf.cast(tf.convert_to_tensor(images), tf.float32) / 255.0
    if len(x.shape) == 3:
        x = tf.expand_dims(x, -1)
    x = (x - tf.reshape(tf.cast(mean, tf.float32), [1, 1, 1, -1])) / tf.reshape(tf.cast(std, tf.float32), [1, 1, 1, -1])
    return x, tf.cast(tf.convert_to_tensor(labels), tf.int64)


def prepare_data(path, test_size=0.2, seed=0):
    with np.load(path) as f:
        images, labels = f["images"], f["labels"]
    rng = np.random.RandomState(seed)
    is_test = np.zeros(len(labels), bool)
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        is_test[rng.choice(idx, int(round(test_size * len(idx))), replace=False)] = True
    mean, std = normalization_stats(images[~is_test])
    x_tr, y_tr = preprocess(images[~is_test], labels[~is_test], mean, std)
    x_te, y_te = preprocess(images[is_test], labels[is_test], mean, std)
    return {"x_train": x_tr, "y_train": y_tr, "x_test": x_te, "y_test": y_te, "mean": mean, "std": std}


def make_datasets(x_train, y_train, x_test, y_test, batch_size, seed):
    n = int(tf.shape(x_train)[0])
    train = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(n, seed=seed).batch(batch_size).prefetch(2)
    test = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(batch_size)
    return train, test


def get_device(prefer_gpu=True):
    gpus = tf.config.list_logical_devices("GPU")
    return gpus[0].name if (prefer_gpu and gpus) else "/device:CPU:0"


def build_model(input_shape=(8, 8, 1), num_classes=10):
    inputs = keras.Input(shape=input_shape)
    x = keras.layers.Conv2D(24, 3, padding="same", activation="gelu")(inputs)
    x = keras.layers.Conv2D(24, 3, padding="same", activation="gelu")(x)
    x = keras.layers.GlobalMaxPooling2D()(x)
    x = keras.layers.Dropout(0.2)(x)
    return keras.Model(inputs, keras.layers.Dense(num_classes)(x), name="digits")


def make_loss():
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum_over_batch_size")


def make_optimizer(lr):
    return keras.optimizers.AdamW(learning_rate=lr, weight_decay=1e-4)


def make_metrics():
    return {"accuracy": keras.metrics.SparseCategoricalAccuracy(name="acc"), "loss": keras.metrics.Mean(name="loss")}


def evaluate(model, dataset, loss_fn, metrics):
    for m in metrics.values():
        m.reset_state()
    weighted, count = 0.0, 0
    for x, y in dataset:
        out = model(x, training=False)
        n = int(tf.shape(y)[0])
        weighted += float(loss_fn(y, out)) * n
        count += n
        metrics["accuracy"].update_state(y, out)
    metrics["loss"].update_state(weighted / count)
    return {"loss": float(metrics["loss"].result()), "accuracy": float(metrics["accuracy"].result())}


@tf.function(jit_compile=False)
def train_step(model, x, y, loss_fn, optimizer):
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    variables = model.trainable_variables
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
    return loss


def fit(model, train_ds, test_ds, loss_fn, optimizer, epochs):
    optimizer.build(model.trainable_variables)
    metrics = make_metrics()
    out = []
    for epoch in range(epochs):
        losses = []
        for x, y in train_ds:
            losses.append(float(train_step(model, x, y, loss_fn, optimizer)))
        ev = evaluate(model, test_ds, loss_fn, metrics)
        out.append({"epoch": epoch + 1, "train_loss": float(np.mean(losses)), "test_loss": ev["loss"], "test_accuracy": ev["accuracy"]})
    return out


def fit_keras(model, train_ds, test_ds, epochs, lr=5e-3):
    model.compile(optimizer=make_optimizer(lr), loss=make_loss(), metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    history = model.fit(train_ds, epochs=epochs, validation_data=test_ds, verbose=0)
    h = history.history
    return [dict(epoch=i + 1, train_loss=h["loss"][i], test_loss=h["val_loss"][i], test_accuracy=h["val_accuracy"][i]) for i in range(epochs)]


def report(history, train_metrics, test_metrics):
    out = {"epochs": len(history)}
    for split, metrics in (("train", train_metrics), ("test", test_metrics)):
        out.update({f"{split}_{k}": float(v) for k, v in metrics.items() if k in ("loss", "accuracy")})
    out["generalization_gap"] = out["train_accuracy"] - out["test_accuracy"]
    return out


def plot_history(history):
    fig = plt.figure()
    ax = fig.add_subplot()
    ax.plot([h["train_loss"] for h in history], label="train loss")
    ax.plot([h["test_loss"] for h in history], label="test loss")
    ax2 = ax.twinx()
    ax2.plot([100 * h["test_accuracy"] for h in history], "g--")
    return fig


def log_to_tensorboard(history, log_dir):
    with tf.summary.create_file_writer(str(log_dir)).as_default():
        for i, h in enumerate(history):
            tf.summary.scalar("loss/train", h["train_loss"], step=h["epoch"])
            tf.summary.scalar("loss/test", h["test_loss"], step=h["epoch"])
            tf.summary.scalar("accuracy/test", h["test_accuracy"], step=h["epoch"])
        tf.summary.flush()
    return Path(log_dir)
