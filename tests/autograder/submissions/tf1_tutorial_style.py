"""Assignment 3 (TF1 static graph), written the way a TF1-era tutorial writes it.

Placeholders, variables made from truncated-normal / zeros initialisers, tf.nn ops, an
AdamOptimizer, ``sess.run(train_op, feed_dict=...)`` loops, and the initialiser created last.
"""

import hashlib
import os
import tempfile
import urllib.request
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from course_utils import DIGITS, load_npz, seed_everything, stratified_split

tf1 = tf.compat.v1
seed_everything(0)

# Hyper-parameters of the network, tutorial style: module-level constants.
CONV1_FILTERS = 16
CONV2_FILTERS = 32
HIDDEN_UNITS = 64
DROPOUT_RATE = 0.25
INIT_STDDEV = 0.1
GRAPH_SEED = 0


# ---------------------------------------------------------------------------------------------
# Step 1: download
# ---------------------------------------------------------------------------------------------
def _file_sha256(path):
    sha = hashlib.sha256()
    f = open(path, "rb")
    try:
        while True:
            chunk = f.read(65536)
            if not chunk:
                break
            sha.update(chunk)
    finally:
        f.close()
    return sha.hexdigest()


def download(url, cache_dir, sha256):
    """Download ``url`` into ``cache_dir`` (once), verify its sha256 (``ValueError`` and no file
    left behind on a mismatch), and return its ``Path``."""
    cache_dir = Path(cache_dir)
    if not cache_dir.exists():
        os.makedirs(str(cache_dir), exist_ok=True)
    filename = url.rstrip("/").split("/")[-1]
    target = cache_dir / filename
    expected = sha256.lower()

    # A verified copy in the cache is reused as it is.
    if target.is_file():
        if _file_sha256(target) == expected:
            return target

    fd, tmp_name = tempfile.mkstemp(dir=str(cache_dir), prefix="." + filename + ".", suffix=".part")
    sha = hashlib.sha256()
    try:
        out = os.fdopen(fd, "wb")
        try:
            response = urllib.request.urlopen(url)
            try:
                while True:
                    chunk = response.read(65536)
                    if not chunk:
                        break
                    sha.update(chunk)
                    out.write(chunk)
            finally:
                response.close()
        finally:
            out.close()
        actual = sha.hexdigest()
        if actual != expected:
            raise ValueError(
                "sha256 mismatch for %s: expected %s, got %s" % (url, expected, actual)
            )
        os.replace(tmp_name, str(target))
    except BaseException:
        if os.path.exists(tmp_name):
            os.remove(tmp_name)
        raise
    return target


# ---------------------------------------------------------------------------------------------
# Step 2: data
# ---------------------------------------------------------------------------------------------
def _as_nhwc(images):
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[:, :, :, np.newaxis]
    return images


def normalization_stats(x_train):
    """Per-channel mean and std, float32 (C,), of uint8 images on the [0, 1] scale."""
    pixels = _as_nhwc(x_train).astype(np.float64) / 255.0
    mean = pixels.mean(axis=(0, 1, 2))
    std = pixels.std(axis=(0, 1, 2))
    return mean.astype(np.float32), std.astype(np.float32)


def preprocess(images, labels, mean, std):
    """``(x float32 (N, H, W, C) = (images / 255 - mean) / std, y int64 (N,))`` as numpy arrays."""
    pixels = _as_nhwc(images).astype(np.float32) / np.float32(255.0)
    mean = np.asarray(mean, dtype=np.float32).reshape(1, 1, 1, -1)
    std = np.asarray(std, dtype=np.float32).reshape(1, 1, 1, -1)
    x = ((pixels - mean) / std).astype(np.float32)
    y = np.asarray(labels).astype(np.int64)
    return x, y


def prepare_data(path, test_size=0.2, seed=0):
    """Load, split (stratified, seeded), preprocess with training statistics: a dict with
    x_train, y_train, x_test, y_test, mean, std."""
    images, labels = load_npz(path)
    train_idx, test_idx = stratified_split(labels, test_size, seed)
    mean, std = normalization_stats(images[train_idx])
    x_train, y_train = preprocess(images[train_idx], labels[train_idx], mean, std)
    x_test, y_test = preprocess(images[test_idx], labels[test_idx], mean, std)
    return {
        "x_train": x_train,
        "y_train": y_train,
        "x_test": x_test,
        "y_test": y_test,
        "mean": mean,
        "std": std,
    }


# ---------------------------------------------------------------------------------------------
# Steps 3 and 4: the whole graph
# ---------------------------------------------------------------------------------------------
def _dense(h, units, name):
    w = tf1.get_variable(f"{name}/kernel", [h.shape[-1], units], initializer=tf1.glorot_uniform_initializer())
    b = tf1.get_variable(f"{name}/bias", [units], initializer=tf1.zeros_initializer())
    return tf.matmul(h, w) + b


def weight_variable(shape, name):
    return tf1.get_variable(
        name, shape, dtype=tf.float32,
        initializer=tf1.truncated_normal_initializer(stddev=INIT_STDDEV),
    )


def bias_variable(shape, name):
    return tf1.Variable(tf1.zeros(shape, dtype=tf.float32), name=name)


def conv2d(x, W):
    return tf.nn.conv2d(x, W, strides=[1, 1, 1, 1], padding="SAME")


def max_pool_2x2(x):
    return tf.nn.max_pool2d(x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")


def build_graph(input_shape=(8, 8, 1), num_classes=10, lr=1e-3):
    """Define the model, loss, training op and metrics in a new graph.

    Returns a dict of handles: ``graph`` (the new ``tf.Graph``), placeholders ``x`` float32
    (None, *input_shape), ``y`` int64 (None,), ``training`` bool scalar; tensors ``logits``
    (None, num_classes), ``loss`` (mean cross-entropy), ``accuracy``; ops ``train_op`` (one
    optimizer step with learning rate ``lr``) and ``init`` (initialise all variables).
    """
    height, width, channels = [int(d) for d in input_shape]
    graph = tf.Graph()
    with graph.as_default():
        tf1.set_random_seed(GRAPH_SEED)

        # Inputs
        x = tf1.placeholder(tf.float32, shape=[None, height, width, channels], name="x")
        y = tf1.placeholder(tf.int64, shape=[None], name="y")
        training = tf1.placeholder(tf.bool, shape=[], name="training")

        # First convolutional layer
        W_conv1 = weight_variable([3, 3, channels, CONV1_FILTERS], "conv1/weights")
        b_conv1 = bias_variable([CONV1_FILTERS], "conv1/biases")
        h_conv1 = tf.nn.relu(conv2d(x, W_conv1) + b_conv1)
        h_pool1 = max_pool_2x2(h_conv1)

        # Second convolutional layer
        W_conv2 = weight_variable([3, 3, CONV1_FILTERS, CONV2_FILTERS], "conv2/weights")
        b_conv2 = bias_variable([CONV2_FILTERS], "conv2/biases")
        h_conv2 = tf.nn.relu(conv2d(h_pool1, W_conv2) + b_conv2)
        h_pool2 = max_pool_2x2(h_conv2)

        # Densely connected layer
        flat_dim = int(np.prod(h_pool2.shape[1:]))
        h_pool2_flat = tf.reshape(h_pool2, [-1, flat_dim])
        W_fc1 = weight_variable([flat_dim, HIDDEN_UNITS], "fc1/weights")
        b_fc1 = bias_variable([HIDDEN_UNITS], "fc1/biases")
        h_fc1 = tf.nn.relu(tf.matmul(h_pool2_flat, W_fc1) + b_fc1)

        # Dropout, on for training steps only
        h_fc1_drop = tf.cond(
            training,
            lambda: tf.nn.dropout(h_fc1, rate=DROPOUT_RATE),
            lambda: tf.identity(h_fc1),
        )

        # Readout layer
        W_fc2 = weight_variable([HIDDEN_UNITS, num_classes], "fc2/weights")
        b_fc2 = bias_variable([num_classes], "fc2/biases")
        logits = tf.add(tf.matmul(h_fc1_drop, W_fc2), b_fc2, name="logits")

        # Loss and optimizer
        cross_entropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        loss = tf.reduce_mean(cross_entropy, name="loss")
        optimizer = tf1.train.AdamOptimizer(learning_rate=lr)
        train_op = optimizer.minimize(loss)

        # Accuracy
        correct_prediction = tf.equal(tf.argmax(logits, 1), y)
        accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32), name="accuracy")

        # Created last: covers the optimizer's slot variables too.
        init = tf1.global_variables_initializer()

    return {
        "graph": graph,
        "x": x,
        "y": y,
        "training": training,
        "logits": logits,
        "loss": loss,
        "accuracy": accuracy,
        "train_op": train_op,
        "init": init,
    }


def batch_norm(h, training, name, momentum=0.9, epsilon=1e-3):
    """Batch norm the long way: variables, moments, then a cond on the mode."""
    depth = h.get_shape().as_list()[-1]
    with tf1.variable_scope(name):
        gamma = tf1.get_variable("gamma", shape=[depth], initializer=tf1.constant_initializer(1.0))
        beta = tf1.get_variable("beta", shape=[depth], initializer=tf1.constant_initializer(0.0))
        moving_mean = tf1.get_variable(
            "moving_mean", shape=[depth], initializer=tf1.constant_initializer(0.0), trainable=False
        )
        moving_variance = tf1.get_variable(
            "moving_variance", shape=[depth], initializer=tf1.constant_initializer(1.0), trainable=False
        )
    rank = len(h.get_shape().as_list())
    batch_mean = tf.reduce_mean(h, axis=list(range(rank - 1)))
    batch_variance = tf.reduce_mean(tf.square(h - batch_mean), axis=list(range(rank - 1)))
    update_mean = moving_mean.assign(momentum * moving_mean + (1.0 - momentum) * batch_mean)
    update_variance = moving_variance.assign(momentum * moving_variance + (1.0 - momentum) * batch_variance)
    tf1.add_to_collection(tf1.GraphKeys.UPDATE_OPS, update_mean)
    tf1.add_to_collection(tf1.GraphKeys.UPDATE_OPS, update_variance)

    def train_branch():
        return (h - batch_mean) / tf.sqrt(batch_variance + epsilon)

    def infer_branch():
        return (h - moving_mean) / tf.sqrt(moving_variance + epsilon)

    return gamma * tf.cond(training, train_branch, infer_branch) + beta


def minimize_with_updates(optimizer, loss):
    """As in the TF1 docs: the step depends on the batch-norm updates."""
    update_ops = tf1.get_collection(tf1.GraphKeys.UPDATE_OPS)
    with tf1.control_dependencies(update_ops):
        train_op = optimizer.minimize(loss)
    return train_op


# ---------------------------------------------------------------------------------------------
# Step 5: metric
# ---------------------------------------------------------------------------------------------
def evaluate(handles, session, x, y, batch_size):
    """Mean loss and accuracy over all samples of ``(x, y)``: ``{"loss", "accuracy"}`` floats."""
    num_samples = len(x)
    loss_sum = 0.0
    correct_sum = 0.0
    for start in range(0, num_samples, batch_size):
        batch_x = x[start:start + batch_size]
        batch_y = y[start:start + batch_size]
        batch_loss, batch_acc = session.run(
            [handles["loss"], handles["accuracy"]],
            feed_dict={
                handles["x"]: batch_x,
                handles["y"]: batch_y,
                handles["training"]: False,
            },
        )
        loss_sum += float(batch_loss) * len(batch_x)
        correct_sum += float(batch_acc) * len(batch_x)
    return {"loss": loss_sum / num_samples, "accuracy": correct_sum / num_samples}


# ---------------------------------------------------------------------------------------------
# Step 6: train
# ---------------------------------------------------------------------------------------------
def train(handles, session, data, batch_size, epochs, seed):
    """Initialise the variables once, then train on ``data["x_train"], data["y_train"]``.

    Returns history: one ``{"epoch", "train_loss", "test_loss", "test_accuracy"}`` per epoch, the
    test numbers from ``evaluate`` on ``data["x_test"], data["y_test"]``.
    """
    x_train, y_train = data["x_train"], data["y_train"]
    x_test, y_test = data["x_test"], data["y_test"]
    num_train = len(x_train)
    rng = np.random.RandomState(seed)

    session.run(handles["init"])

    history = []
    for epoch in range(1, epochs + 1):
        perm = rng.permutation(num_train)
        epoch_loss_sum = 0.0
        for start in range(0, num_train, batch_size):
            idx = perm[start:start + batch_size]
            _, batch_loss = session.run(
                [handles["train_op"], handles["loss"]],
                feed_dict={
                    handles["x"]: x_train[idx],
                    handles["y"]: y_train[idx],
                    handles["training"]: True,
                },
            )
            epoch_loss_sum += float(batch_loss) * len(idx)
        test_metrics = evaluate(handles, session, x_test, y_test, batch_size)
        history.append({
            "epoch": epoch,
            "train_loss": epoch_loss_sum / num_train,
            "test_loss": test_metrics["loss"],
            "test_accuracy": test_metrics["accuracy"],
        })
    return history


# ---------------------------------------------------------------------------------------------
# Step 7: report
# ---------------------------------------------------------------------------------------------
def report(history, train_metrics, test_metrics):
    """``{"epochs", "train_loss", "train_accuracy", "test_loss", "test_accuracy",
    "generalization_gap"}``."""
    train_accuracy = float(train_metrics["accuracy"])
    test_accuracy = float(test_metrics["accuracy"])
    return {
        "epochs": len(history),
        "train_loss": float(train_metrics["loss"]),
        "train_accuracy": train_accuracy,
        "test_loss": float(test_metrics["loss"]),
        "test_accuracy": test_accuracy,
        "generalization_gap": train_accuracy - test_accuracy,
    }


def plot_history(history):
    """A matplotlib Figure: train/test loss and test accuracy against the epoch."""
    epochs = [h["epoch"] for h in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, [h["train_loss"] for h in history], marker="o", label="train loss")
    ax_loss.plot(epochs, [h["test_loss"] for h in history], marker="o", label="test loss")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("loss")
    ax_loss.legend()
    ax_acc.plot(epochs, [h["test_accuracy"] for h in history], marker="o", color="green",
                label="test accuracy")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy")
    ax_acc.legend()
    fig.tight_layout()
    return fig


def log_to_tensorboard(history, log_dir):
    """Scalars ``loss/train``, ``loss/test``, ``accuracy/test`` at ``step = epoch``, written with
    ``tf.compat.v1.summary.FileWriter``. Returns ``Path(log_dir)``."""
    log_dir = Path(log_dir)
    # FileWriter refuses to work eagerly: give it a graph of its own.
    with tf.Graph().as_default():
        writer = tf1.summary.FileWriter(str(log_dir))
        for h in history:
            summary = tf1.Summary(value=[
                tf1.Summary.Value(tag="loss/train", simple_value=float(h["train_loss"])),
                tf1.Summary.Value(tag="loss/test", simple_value=float(h["test_loss"])),
                tf1.Summary.Value(tag="accuracy/test", simple_value=float(h["test_accuracy"])),
            ])
            writer.add_summary(summary, global_step=int(h["epoch"]))
        writer.flush()
        writer.close()
    return log_dir
