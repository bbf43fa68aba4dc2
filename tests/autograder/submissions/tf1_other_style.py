"""A correct TF1 submission written apart from the reference: an MLP from tf.Variable,
MomentumOptimizer, a plain `placeholder` for `training` fed explicitly everywhere, a finalized
graph while training, np.average for exact means, a FileWriter at 0-based steps."""

import hashlib
import os
import urllib.request
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

v1 = tf.compat.v1


def download(url, cache_dir, sha256):
    os.makedirs(cache_dir, exist_ok=True)
    final = os.path.join(cache_dir, url.split("/")[-1])
    if os.path.exists(final) and hashlib.sha256(open(final, "rb").read()).hexdigest() == sha256:
        return Path(final)
    blob = urllib.request.urlopen(url).read()
    if hashlib.sha256(blob).hexdigest() != sha256:
        raise RuntimeError("bad checksum")
    tmp = final + ".tmp"
    with open(tmp, "wb") as f:
        f.write(blob)
    os.replace(tmp, final)
    return Path(final)


def normalization_stats(x_train):
    x = np.asarray(x_train, np.float64).reshape(len(x_train), -1, 1 if np.ndim(x_train) == 3 else np.shape(x_train)[-1]) / 255
    return x.mean(axis=(0, 1)).astype(np.float32), x.std(axis=(0, 1), ddof=1).astype(np.float32)


def preprocess(images, labels, mean, std):
    x = np.asarray(images, np.float32) / 255
    x = x.reshape(*x.shape[:3], -1)
    return ((x - mean) / std).astype(np.float32), np.asarray(labels, np.int64)


def prepare_data(path, test_size=0.2, seed=0):
    d = np.load(path)
    images, labels = d["images"], d["labels"]
    rng = np.random.default_rng(seed + 1)
    test = np.concatenate([rng.permutation(np.flatnonzero(labels == c))[: round(test_size * np.sum(labels == c))] for c in np.unique(labels)])
    train = np.setdiff1d(np.arange(len(labels)), test)
    mean, std = normalization_stats(images[train])
    xtr, ytr = preprocess(images[train], labels[train], mean, std)
    xte, yte = preprocess(images[test], labels[test], mean, std)
    return {"x_train": xtr, "y_train": ytr, "x_test": xte, "y_test": yte, "mean": mean, "std": std}


def build_graph(input_shape=(8, 8, 1), num_classes=10, lr=1e-3):
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, (None,) + tuple(input_shape))
        y = v1.placeholder(tf.int64, (None,))
        training = v1.placeholder(tf.bool, ())
        d = int(np.prod(input_shape))
        w1 = tf.Variable(v1.truncated_normal([d, 128], stddev=0.1))
        b1 = tf.Variable(tf.zeros([128]))
        w2 = tf.Variable(v1.truncated_normal([128, num_classes], stddev=0.1))
        b2 = tf.Variable(tf.zeros([num_classes]))
        h = tf.nn.relu(tf.matmul(tf.reshape(x, [-1, d]), w1) + b1)
        h = tf.cond(training, lambda: tf.nn.dropout(h, rate=0.2), lambda: tf.identity(h))
        logits = tf.matmul(h, w2) + b2
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        train_op = v1.train.MomentumOptimizer(lr, momentum=0.9).minimize(loss)
        accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, -1), y), tf.float32))
        init = v1.global_variables_initializer()
    return {"graph": g, "x": x, "y": y, "training": training, "logits": logits, "loss": loss,
            "train_op": train_op, "accuracy": accuracy, "init": init}


def batch_norm(h, training, name, momentum=0.9, epsilon=1e-3):
    # one mean/variance pair per channel, moving averages kept with assign_sub
    n = int(h.shape[-1])
    with tf.compat.v1.variable_scope(name):
        scale = tf.compat.v1.get_variable("gamma", initializer=tf.ones([n]))
        shift = tf.compat.v1.get_variable("beta", initializer=tf.zeros([n]))
        mu = tf.compat.v1.get_variable("moving_mean", initializer=tf.zeros([n]), trainable=False)
        sigma2 = tf.compat.v1.get_variable("moving_variance", initializer=tf.ones([n]), trainable=False)
    axes = [i for i in range(h.shape.ndims - 1)]
    m, v = tf.nn.moments(h, axes)
    tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.UPDATE_OPS, tf.compat.v1.assign_sub(mu, (1 - momentum) * (mu - m)))
    tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.UPDATE_OPS, tf.compat.v1.assign_sub(sigma2, (1 - momentum) * (sigma2 - v)))
    use_mean = tf.cond(training, lambda: m, lambda: tf.identity(mu))
    use_var = tf.cond(training, lambda: v, lambda: tf.identity(sigma2))
    return tf.nn.batch_normalization(h, use_mean, use_var, shift, scale, epsilon)


def minimize_with_updates(optimizer, loss):
    updates = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)
    step = optimizer.minimize(loss)
    return tf.group(step, *updates)


def evaluate(handles, session, x, y, batch_size):
    losses, accs, sizes = [], [], []
    for i in range(0, len(x), batch_size):
        l, a = session.run((handles["loss"], handles["accuracy"]),
                           {handles["x"]: x[i:i + batch_size], handles["y"]: y[i:i + batch_size], handles["training"]: False})
        losses.append(l)
        accs.append(a)
        sizes.append(len(x[i:i + batch_size]))
    return {"loss": float(np.average(losses, weights=sizes)), "accuracy": float(np.average(accs, weights=sizes))}


def train(handles, session, data, batch_size, epochs, seed):
    session.run(handles["init"])
    handles["graph"].finalize()
    rng = np.random.RandomState(seed)
    history = []
    for epoch in range(epochs):
        idx = rng.permutation(len(data["x_train"]))
        batch_losses = []
        for i in range(0, len(idx), batch_size):
            b = idx[i:i + batch_size]
            _, l = session.run([handles["train_op"], handles["loss"]],
                               {handles["x"]: data["x_train"][b], handles["y"]: data["y_train"][b], handles["training"]: True})
            batch_losses.append(l)
        ev = evaluate(handles, session, data["x_test"], data["y_test"], batch_size)
        history.append({"epoch": epoch + 1, "train_loss": float(np.mean(batch_losses)), "test_loss": ev["loss"], "test_accuracy": ev["accuracy"]})
    return history


def report(history, train_metrics, test_metrics):
    return {"epochs": len(history), "train_loss": train_metrics["loss"], "train_accuracy": train_metrics["accuracy"],
            "test_loss": test_metrics["loss"], "test_accuracy": test_metrics["accuracy"],
            "generalization_gap": train_metrics["accuracy"] - test_metrics["accuracy"]}


def plot_history(history):
    fig, axes = plt.subplots(2, 1)
    axes[0].plot([h["epoch"] for h in history], [h["train_loss"] for h in history])
    axes[0].plot([h["epoch"] for h in history], [h["test_loss"] for h in history])
    axes[1].plot([h["epoch"] for h in history], [h["test_accuracy"] for h in history])
    return fig


def log_to_tensorboard(history, log_dir):
    with tf.Graph().as_default():
        w = v1.summary.FileWriter(str(log_dir))
        for i, h in enumerate(history):
            for tag, key in (("loss/train", "train_loss"), ("loss/test", "test_loss"), ("accuracy/test", "test_accuracy")):
                w.add_summary(v1.Summary(value=[v1.Summary.Value(tag=tag, simple_value=h[key])]), h["epoch"])
        w.flush()
        w.close()
    return Path(log_dir)
