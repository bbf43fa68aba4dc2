"""Assignment 4 (the bridge), in a plain, explicit style.

Layout changes are written as transposes with their axes spelled out, weights are converted in an
explicit loop over the parameters, gradients are accumulated by hand with a counter.
"""

import itertools
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf
import torch
from torch import nn

from course_utils import seed_everything

tf1 = tf.compat.v1
seed_everything(0)

NCHW_TO_NHWC_AXES = (0, 2, 3, 1)
NHWC_TO_NCHW_AXES = (0, 3, 1, 2)


# ---------------------------------------------------------------------------------------------
# Part 1: layouts
# ---------------------------------------------------------------------------------------------
def _is_torch_tensor(x):
    return isinstance(x, torch.Tensor)


def _is_tf_tensor(x):
    return tf.is_tensor(x) or isinstance(x, tf.Variable)


def _permute_axes(x, axes):
    if isinstance(x, np.ndarray):
        return np.transpose(x, axes)
    if _is_torch_tensor(x):
        return torch.permute(x, axes)
    if _is_tf_tensor(x):
        return tf.transpose(x, perm=list(axes))
    raise TypeError("expected a numpy array, a torch tensor or a tf tensor, got %r" % type(x))


def nchw_to_nhwc(x):
    """``(N, C, H, W) -> (N, H, W, C)`` for a numpy array, a torch tensor or a tf tensor; returns
    the same kind of array."""
    return _permute_axes(x, NCHW_TO_NHWC_AXES)


def nhwc_to_nchw(x):
    """``(N, H, W, C) -> (N, C, H, W)``, for the same three kinds of arrays."""
    return _permute_axes(x, NHWC_TO_NCHW_AXES)


def to_channels_last(model, x):
    """Return ``(model, x)`` in PyTorch's channels-last *memory format*: ``x`` keeps its logical
    shape ``(N, C, H, W)``, its values are stored NHWC; the model's conv weights likewise."""
    model = model.to(memory_format=torch.channels_last)
    x = x.contiguous(memory_format=torch.channels_last)
    return model, x


# ---------------------------------------------------------------------------------------------
# Part 2: port
# ---------------------------------------------------------------------------------------------
def torch_to_keras_arrays(torch_weights, feature_shape):
    """PyTorch parameters (``{name: array}``, state_dict order) -> the list of arrays Keras'
    ``set_weights`` wants. ``feature_shape`` is ``(H, W, C)`` of the map entering Flatten."""
    keras_arrays = []
    seen_conv = False
    first_dense_done = False
    for name in torch_weights:
        if name.endswith("num_batches_tracked"):
            continue  # a counter of PyTorch's batch norm; Keras has no such weight
        value = torch_weights[name]
        if _is_torch_tensor(value):
            value = value.detach().cpu().numpy()
        array = np.asarray(value)

        if array.ndim == 4:
            # conv kernel (out, in, kH, kW) -> (kH, kW, in, out)
            converted = np.transpose(array, (2, 3, 1, 0))
            seen_conv = True
        elif array.ndim == 2:
            out_features, in_features = array.shape
            if seen_conv and not first_dense_done and feature_shape is not None:
                # PyTorch flattened (C, H, W); Keras flattens (H, W, C): re-order the rows.
                height, width, channels = [int(d) for d in feature_shape]
                if height * width * channels != in_features:
                    raise ValueError(
                        "feature_shape %r does not match %d input features of %s"
                        % (tuple(feature_shape), in_features, name)
                    )
                w = array.reshape(out_features, channels, height, width)
                w = np.transpose(w, (2, 3, 1, 0))  # (H, W, C, out)
                converted = w.reshape(height * width * channels, out_features)
            else:
                converted = np.transpose(array, (1, 0))
            first_dense_done = True
        else:
            converted = array  # biases (and other 1-D parameters) keep their shape
        keras_arrays.append(np.ascontiguousarray(converted))
    return keras_arrays


def _flatten_feature_shape(keras_model):
    for layer in keras_model.layers:
        if isinstance(layer, keras.layers.Flatten):
            shape = layer.input.shape[1:]
            return tuple(int(d) for d in shape)
    return None


def port_torch_to_keras(torch_weights, keras_model):
    """Set ``keras_model``'s weights (in place) from the PyTorch parameters; return the model."""
    feature_shape = _flatten_feature_shape(keras_model)
    arrays = torch_to_keras_arrays(torch_weights, feature_shape)
    keras_model.set_weights(arrays)
    return keras_model


# ---------------------------------------------------------------------------------------------
# Part 3: parity
# ---------------------------------------------------------------------------------------------
PARITY_TOLERANCES = {"logits": 1e-5, "loss": 1e-6, "grads": 1e-5}


def forward_backward_torch(model, x, y):
    """Logits, mean cross-entropy and its gradients for one batch, in PyTorch."""
    device = next(model.parameters()).device
    x = torch.as_tensor(x, dtype=torch.float32).to(device)
    y = torch.as_tensor(y).to(device=device, dtype=torch.int64)

    for p in model.parameters():
        p.grad = None
    logits = model(x)
    loss = nn.functional.cross_entropy(logits, y)
    loss.backward()

    grads = {}
    for name, p in model.named_parameters():
        if p.grad is None:
            grads[name] = np.zeros(tuple(p.shape), dtype=np.float32)
        else:
            grads[name] = p.grad.detach().cpu().numpy().copy()
    return {
        "logits": logits.detach().cpu().numpy(),
        "loss": float(loss.item()),
        "grads": grads,
    }


def forward_backward_tf2(model, x, y):
    """The same in TensorFlow 2, with a GradientTape."""
    x = tf.convert_to_tensor(x, dtype=tf.float32)
    y = tf.cast(tf.convert_to_tensor(y), tf.int64)
    variables = model.trainable_variables
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        per_sample = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        loss = tf.reduce_mean(per_sample)
    grads = tape.gradient(loss, variables)
    grad_arrays = []
    for v, g in zip(variables, grads):
        if g is None:
            grad_arrays.append(np.zeros(tuple(v.shape), dtype=np.float32))
        else:
            grad_arrays.append(np.asarray(tf.convert_to_tensor(g)))
    return {
        "logits": np.asarray(logits),
        "loss": float(loss.numpy()),
        "grads": grad_arrays,
    }


def forward_backward_tf1(weights, x, y):
    """The same as a TF1 graph built from ``[conv_kernel, conv_bias, dense_kernel, dense_bias]``."""
    conv_kernel, conv_bias, dense_kernel, dense_bias = [np.asarray(w, dtype=np.float32) for w in weights]
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y).astype(np.int64)

    graph = tf.Graph()
    with graph.as_default():
        x_ph = tf1.placeholder(tf.float32, shape=[None] + list(x.shape[1:]), name="x")
        y_ph = tf1.placeholder(tf.int64, shape=[None], name="y")

        W_conv = tf1.Variable(conv_kernel, name="conv/kernel")
        b_conv = tf1.Variable(conv_bias, name="conv/bias")
        W_dense = tf1.Variable(dense_kernel, name="dense/kernel")
        b_dense = tf1.Variable(dense_bias, name="dense/bias")
        variables = [W_conv, b_conv, W_dense, b_dense]

        h = tf.nn.conv2d(x_ph, W_conv, strides=[1, 1, 1, 1], padding="SAME")
        h = tf.nn.relu(h + b_conv)
        h = tf.nn.max_pool2d(h, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID")
        flat_dim = int(h.shape[1]) * int(h.shape[2]) * int(h.shape[3])
        h = tf.reshape(h, [-1, flat_dim])  # (H, W, C) order, as Keras' Flatten
        logits = tf.matmul(h, W_dense) + b_dense

        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y_ph, logits=logits)
        )
        grads = tf1.gradients(loss, variables)
        init = tf1.global_variables_initializer()

    with tf1.Session(graph=graph) as sess:
        sess.run(init)
        logits_value, loss_value, grad_values = sess.run(
            [logits, loss, grads], feed_dict={x_ph: x, y_ph: y}
        )
    return {
        "logits": np.asarray(logits_value),
        "loss": float(loss_value),
        "grads": [np.asarray(g) for g in grad_values],
    }


def _max_abs_diff(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b)))


def _grad_list(grads):
    if isinstance(grads, dict):
        return list(grads.values())
    return list(grads)


def parity_report(results, tolerances=PARITY_TOLERANCES):
    """Largest pairwise absolute difference of logits, loss and grads, and whether all are
    within ``tolerances``."""
    names = list(results)
    worst = {"logits": 0.0, "loss": 0.0, "grads": 0.0}
    for first, second in itertools.combinations(names, 2):
        r1 = results[first]
        r2 = results[second]

        d = _max_abs_diff(r1["logits"], r2["logits"])
        if d > worst["logits"]:
            worst["logits"] = d

        d = abs(float(r1["loss"]) - float(r2["loss"]))
        if d > worst["loss"]:
            worst["loss"] = d

        g1 = _grad_list(r1["grads"])
        g2 = _grad_list(r2["grads"])
        if len(g1) != len(g2):
            worst["grads"] = float("inf")
        else:
            for i in range(len(g1)):
                d = _max_abs_diff(g1[i], g2[i])
                if d > worst["grads"]:
                    worst["grads"] = d

    ok = True
    for key in ("logits", "loss", "grads"):
        if not worst[key] <= tolerances[key]:
            ok = False
    return {"logits": worst["logits"], "loss": worst["loss"], "grads": worst["grads"], "ok": ok}


# ---------------------------------------------------------------------------------------------
# Part 4: accumulation
# ---------------------------------------------------------------------------------------------
def train_with_accumulation(model, loader, loss_fn, optimizer, device, accum_steps):
    """One epoch over ``loader`` with an optimizer step every ``accum_steps`` micro-batches."""
    model.to(device)
    model.train()
    optimizer.zero_grad()

    counter = 0
    loss_total = 0.0
    num_batches = 0
    for x, y in loader:
        x = x.to(device)
        y = y.to(device)
        logits = model(x)
        loss = loss_fn(logits, y)
        (loss / accum_steps).backward()  # .grad adds up over the micro-batches
        loss_total += loss.item()
        num_batches += 1
        counter += 1
        if counter == accum_steps:
            optimizer.step()
            optimizer.zero_grad()
            counter = 0
    if counter != 0:
        # An incomplete group at the end: drop its gradients rather than take a mis-scaled step.
        optimizer.zero_grad()
    return loss_total / num_batches


def accumulate_gradients(model, dataset, loss_fn, optimizer, accum_steps):
    """The same in TensorFlow 2: summed tape gradients, applied every ``accum_steps`` batches."""
    variables = model.trainable_variables
    accumulated = [tf.zeros_like(v) for v in variables]
    counter = 0
    loss_total = 0.0
    num_batches = 0
    for x, y in dataset:
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss = loss_fn(y, logits)
        grads = tape.gradient(loss, variables)
        for i in range(len(variables)):
            if grads[i] is not None:
                accumulated[i] = accumulated[i] + tf.convert_to_tensor(grads[i]) / accum_steps
        loss_total += float(loss.numpy())
        num_batches += 1
        counter += 1
        if counter == accum_steps:
            optimizer.apply_gradients(list(zip(accumulated, variables)))
            accumulated = [tf.zeros_like(v) for v in variables]
            counter = 0
    return loss_total / num_batches


# ---------------------------------------------------------------------------------------------
# Part 5: placement
# ---------------------------------------------------------------------------------------------
def place(obj, device):
    """PyTorch: ``obj`` moved to ``device`` (returned). TensorFlow: a copy of ``obj`` on it."""
    if isinstance(obj, (torch.Tensor, nn.Module)):
        return obj.to(device)
    if _is_tf_tensor(obj):
        with tf.device(device):
            return tf.identity(obj)
    raise TypeError("place expects a torch tensor or module, or a tf tensor; got %r" % type(obj))


def placement_difference():
    """In a few sentences: how do PyTorch and TensorFlow differ in putting data and computation
    on a device?"""
    return (
        "PyTorch moves data explicitly: tensor.to(device) returns a new tensor on that device "
        "(the original stays where it was), while module.to(device) moves the module's parameters "
        "in place and returns the same module; nothing is moved for you, every operand of an "
        "operation must already be on the same device, and mixing a CPU and a CUDA tensor raises "
        "an error. TensorFlow places operations instead of moving data: when you say nothing, an "
        "op runs on the GPU if one exists (else the CPU), and with tf.device(...) you choose where "
        "the ops created inside run; operands living elsewhere are copied over implicitly. With "
        "soft placement (on by default in eager mode) naming a device that does not exist, or an "
        "op without a kernel for it, silently falls back to another device (the CPU) instead of "
        "failing."
    )
