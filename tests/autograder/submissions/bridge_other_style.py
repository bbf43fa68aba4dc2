"""A correct bridge submission written apart from the reference: TensorFlow checked first,
einsum and moveaxis, ports layer by layer, TF1 with get_variable, accumulation by hand-scaled
gradients, placement dispatched on the device string."""

import math

import numpy as np
import tensorflow as tf
import torch
import torch.nn.functional as F
from tensorflow import keras

DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
TOL = dict(logits=1e-5, loss=1e-6, grads=1e-5)


def _perm(x, order, spec):
    if tf.is_tensor(x):
        return tf.transpose(x, perm=list(order))
    if torch.is_tensor(x):
        return torch.einsum(spec, x)
    return np.ascontiguousarray(np.transpose(np.asarray(x), order))


def nchw_to_nhwc(x):
    return _perm(x, (0, 2, 3, 1), "nchw->nhwc")


def nhwc_to_nchw(x):
    return _perm(x, (0, 3, 1, 2), "nhwc->nchw")


def to_channels_last(model, x):
    model.to(memory_format=torch.channels_last)
    return model, x.to(memory_format=torch.channels_last)


def port_torch_to_keras(torch_weights, keras_model):
    tensors = list(torch_weights.values())
    cursor = 0
    feature = None
    flattened_once = False
    for layer in keras_model.layers:
        if isinstance(layer, keras.layers.Flatten):
            feature = layer.input.shape[1:]
            continue
        if not layer.weights:
            continue
        kernel, bias = np.asarray(tensors[cursor]), np.asarray(tensors[cursor + 1])
        cursor += 2
        if isinstance(layer, keras.layers.Conv2D):
            kernel = np.einsum("oihw->hwio", kernel)
        else:
            if feature is not None and not flattened_once:
                h, w, c = (int(d) for d in feature)
                kernel = np.moveaxis(kernel.reshape(-1, c, h, w), 1, 3).reshape(kernel.shape[0], -1)
                flattened_once = True
            kernel = kernel.transpose()
        layer.set_weights([kernel, bias])
    return keras_model


def forward_backward_torch(model, x, y):
    for p in model.parameters():
        p.grad = None
    out = model(x)
    loss = F.cross_entropy(out, y, reduction="mean")
    names, params = zip(*model.named_parameters())
    grads = torch.autograd.grad(loss, params)
    return dict(logits=out.detach(), loss=loss.detach(), grads=dict(zip(names, grads)))


def forward_backward_tf2(model, x, y):
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    with tf.GradientTape() as tape:
        out = model(tf.convert_to_tensor(x))
        loss = loss_fn(y, out)
    return dict(logits=out, loss=loss, grads=tape.gradient(loss, model.trainable_variables))


def forward_backward_tf1(weights, x, y):
    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        xs = tf.constant(x, tf.float32)
        ys = tf.constant(y, tf.int64)
        k, b, w, c = [v1.get_variable(f"p{i}", initializer=tf.constant(a)) for i, a in enumerate(weights)]
        feat = tf.nn.max_pool2d(tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(xs, k, 1, "SAME"), b)), 2, 2, "VALID")
        flat = tf.reshape(feat, [tf.shape(feat)[0], -1])
        logits = tf.nn.bias_add(tf.matmul(flat, w), c)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=ys, logits=logits))
        grads = v1.gradients(loss, [k, b, w, c])
        with v1.Session() as s:
            s.run(v1.global_variables_initializer())
            lo, ls, gs = s.run([logits, loss, grads])
    return {"logits": lo, "loss": ls, "grads": gs}


def parity_report(results, tolerances=TOL):
    names = list(results)
    out = {}
    for key in ("logits", "loss", "grads"):
        gaps = []
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                a, b = results[names[i]][key], results[names[j]][key]
                if key != "grads":
                    a, b = [a], [b]
                gaps += [float(np.abs(np.subtract(u, v)).max()) for u, v in zip(a, b)]
        out[key] = max(gaps)
    out["ok"] = bool(out["logits"] <= tolerances["logits"] and out["loss"] <= tolerances["loss"]
                     and out["grads"] <= tolerances["grads"])
    return out


def train_with_accumulation(model, loader, loss_fn, optimizer, device, accum_steps):
    losses = []
    batches = list(loader)
    for start in range(0, len(batches), accum_steps):
        model.zero_grad(set_to_none=True)
        window = batches[start:start + accum_steps]
        for x, y in window:
            loss = loss_fn(model(x.to(device)), y.to(device))
            loss.backward()
            losses.append(float(loss))
        for p in model.parameters():
            if p.grad is not None:
                p.grad.div_(len(window))
        optimizer.step()
    return sum(losses) / len(losses)


def accumulate_gradients(model, dataset, loss_fn, optimizer, accum_steps):
    acc, seen, losses = None, 0, []
    for x, y in dataset:
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        g = tape.gradient(loss, model.trainable_variables)
        acc = g if acc is None else [a + b for a, b in zip(acc, g)]
        losses.append(loss.numpy())
        seen += 1
        if seen == accum_steps:
            optimizer.apply_gradients([(a / accum_steps, v) for a, v in zip(acc, model.trainable_variables)])
            acc, seen = None, 0
    return float(np.mean(losses))


def place(obj, device):
    if isinstance(device, str) and device.startswith("/"):
        with tf.device(device):
            return tf.identity(obj)
    moved = obj.to(device)
    return moved
