# ---
# dlcourse:
#   assignment: bridge
#   title: "Assignment 4: the bridge between PyTorch and TensorFlow"
# ---

# %% [markdown]
# # Assignment 4: the bridge — layouts, porting, parity, accumulation and placement
#
# You have now written the same pipeline three times. This assignment makes you prove you know
# *why* the frameworks differ, by making the same network give the same numbers in all three:
#
# | | PyTorch | TensorFlow 2 / Keras | TF1 graph |
# |---|---|---|---|
# | image batch | `(N, C, H, W)` | `(N, H, W, C)` | `(N, H, W, C)` |
# | conv weight | `(out, in, kH, kW)` | `(kH, kW, in, out)` | `(kH, kW, in, out)` |
# | dense weight | `(out, in)`, `y = x W^T + b` | `(in, out)`, `y = x W + b` | `(in, out)` |
# | flatten of a feature map | `(C, H, W)` order | `(H, W, C)` order | what you `reshape` |
# | gradients | `.grad`, accumulate until zeroed | returned by `GradientTape` | `tf.gradients` ops |
# | devices | you move tensors and modules | ops are placed (`tf.device`) | ops are placed |
#
# Every row is a place where code that "runs" can still be wrong: a reshape where a transpose is
# needed keeps every shape right and scrambles every number. The hidden tests use shapes where
# N, C, H and W all differ, so no layout mistake passes by luck.
#
# Both frameworks are imported below, but grading runs your PyTorch parts in a PyTorch process
# and your TensorFlow parts in a TensorFlow process (together they need more memory than a
# grading container has). So keep each function to its own framework's objects: in the PyTorch
# process `tf.is_tensor(x)` is always False, in the TensorFlow process `isinstance(x,
# torch.Tensor)` is.
#
# `check("<step>")` after each part, `hint("<step>")` when stuck.

# %%
import itertools
import os

# TensorFlow's start-up messages stay out of the notebook: its C++ logs below warnings, and the
# oneDNN notice, which it prints before any log level applies (the grader runs without oneDNN too)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras
import numpy as np
import tensorflow as tf
import torch
from torch import nn

from course_utils import seed_everything
from course_utils.checks import Checker
from course_utils.hints import Hints

tf1 = tf.compat.v1
seed_everything(0)  # random, numpy and the framework, for runs you can repeat
check = Checker("bridge")
hint = Hints("bridge")

# %% [markdown]
# ## Part 1 `layouts` — a permutation, never a reshape
#
# `x.reshape(N, H, W, C)` of an `(N, C, H, W)` batch has the right shape and the wrong numbers: a
# reshape keeps the order of the values in memory and only re-reads them with other strides. A
# layout change *moves* values: pixel `(n, c, h, w)` must land at `(n, h, w, c)`. That is
# `np.transpose` / `torch.permute` / `tf.transpose` with the axis order `(0, 2, 3, 1)` (and
# `(0, 3, 1, 2)` back).
#
# PyTorch also has a second, different idea: the **memory format**. `x.contiguous(memory_format=
# torch.channels_last)` keeps the *logical* shape `(N, C, H, W)` (so every layer still works) and
# only stores the values in NHWC order in memory (the strides change). That is what GPUs' tensor
# cores like (see the measurement at the end); a `permute` there would hand an `(N, H, W, C)`
# tensor to a `Conv2d` that reads axis 1 as channels.

# %%
def nchw_to_nhwc(x):
    """``(N, C, H, W) -> (N, H, W, C)`` for a numpy array, a torch tensor or a tf tensor; returns
    the same kind of array."""
    # BEGIN SOLUTION
    if isinstance(x, np.ndarray):
        return np.transpose(x, (0, 2, 3, 1))
    if isinstance(x, torch.Tensor):
        return x.permute(0, 2, 3, 1)
    return tf.transpose(x, (0, 2, 3, 1))
    # END SOLUTION


def nhwc_to_nchw(x):
    """``(N, H, W, C) -> (N, C, H, W)``, for the same three kinds of arrays."""
    # BEGIN SOLUTION
    if isinstance(x, np.ndarray):
        return np.transpose(x, (0, 3, 1, 2))
    if isinstance(x, torch.Tensor):
        return x.permute(0, 3, 1, 2)
    return tf.transpose(x, (0, 3, 1, 2))
    # END SOLUTION


def to_channels_last(model, x):
    """Return ``(model, x)`` in PyTorch's channels-last *memory format*: ``x`` keeps its logical
    shape ``(N, C, H, W)``, its values are stored NHWC; the model's conv weights likewise."""
    # BEGIN SOLUTION
    model = model.to(memory_format=torch.channels_last)
    return model, x.contiguous(memory_format=torch.channels_last)
    # END SOLUTION


# %%
check("layouts")

# %% [markdown]
# ## Part 2 `port` — copy a trained PyTorch CNN into Keras
#
# Weights cross frameworks the way they cross machines: exported as arrays (`state_dict` ->
# numpy, e.g. saved to an `.npz`), then loaded on the other side. `port_torch_to_keras` gets the
# PyTorch parameters as `{name: numpy array}` in `state_dict` order:
#
# ```python
# torch_weights = {k: v.detach().cpu().numpy() for k, v in torch_model.state_dict().items()}
# ```
#
# and a Keras model with the same layers in the same order (Conv2D `padding="same"` for
# `padding=1`, the same pooling, `Flatten`, `Dense`), and sets the Keras weights so that both
# give the same logits (to 1e-5) on the same images (NCHW for PyTorch, NHWC for Keras). Three
# conversions:
#
# 1. conv kernels `(out, in, kH, kW)` -> `(kH, kW, in, out)`: a transpose (a reshape gives the
#    right shape and scrambled filters);
# 2. dense kernels `(out, in)` -> `(in, out)`;
# 3. the first dense layer after the conv stack: PyTorch flattened a `(C, H, W)` feature map,
#    Keras flattens `(H, W, C)`, so the rows of that kernel must be re-ordered too. The Keras
#    `Flatten` layer knows the feature map's shape: `flatten.input.shape[1:]` is `(H, W, C)`.
#
# Biases keep their shape. `keras_model.get_weights()` lists each layer's kernel then bias, in
# layer order, which matches the `state_dict` order here.

# %%
def torch_to_keras_arrays(torch_weights, feature_shape):
    """PyTorch parameters (``{name: array}``, state_dict order) -> the list of arrays Keras'
    ``set_weights`` wants. ``feature_shape`` is ``(H, W, C)`` of the map entering Flatten."""
    # BEGIN SOLUTION
    h, w, c = feature_shape
    arrays, first_dense = [], True
    for value in torch_weights.values():
        a = np.asarray(value)
        if a.ndim == 4:
            arrays.append(np.transpose(a, (2, 3, 1, 0)))
        elif a.ndim == 2:
            if first_dense:
                a = a.reshape(a.shape[0], c, h, w).transpose(0, 2, 3, 1).reshape(a.shape[0], -1)
                first_dense = False
            arrays.append(a.T)
        else:
            arrays.append(a)
    return arrays
    # END SOLUTION


def port_torch_to_keras(torch_weights, keras_model):
    """Set ``keras_model``'s weights (in place) from the PyTorch parameters; return the model."""
    # BEGIN SOLUTION
    flatten = next(la for la in keras_model.layers if isinstance(la, keras.layers.Flatten))
    feature_shape = tuple(int(d) for d in flatten.input.shape[1:])
    keras_model.set_weights(torch_to_keras_arrays(torch_weights, feature_shape))
    return keras_model
    # END SOLUTION


# %%
check("port")

# %% [markdown]
# ## Part 3 `parity` — the same logits, loss and gradients in PyTorch, TF2 and TF1
#
# One network — 3x3 conv (zero padding 1 / `"same"`) + bias -> ReLU -> 2x2 max-pool -> flatten ->
# dense — with the same weights and the same batch, three ways. Each function returns
# `{"logits": (N, classes) array, "loss": float, "grads": ...}` with the mean cross-entropy over
# the batch and its gradients with respect to every parameter:
#
# - `forward_backward_torch(model, x_nchw, y)`: grads `{name: array}` like `named_parameters()`,
#   in PyTorch layouts;
# - `forward_backward_tf2(model, x_nhwc, y)`: a Keras model; grads a list in
#   `model.trainable_variables` order (Keras layouts), from a `GradientTape`;
# - `forward_backward_tf1(weights, x_nhwc, y)`: you build the network as a TF1 graph from the
#   Keras-layout arrays `[conv_kernel, conv_bias, dense_kernel, dense_bias]`
#   (`tf.compat.v1` variables and `tf.nn` ops; `tf.compat.v1.gradients`), run it in a session.
#
# `parity_report(results, tolerances)` then compares them: `results` maps `"pytorch"`, `"tf2"`,
# `"tf1"` to those dicts with all grads in Keras order and layouts (convert PyTorch's with
# `torch_to_keras_arrays`: gradients have the layout of their parameters). For each of
# `"logits"`, `"loss"`, `"grads"` it reports the largest absolute difference between any two of
# the three results (over every element of every gradient), and `"ok"`: every difference is
# within its tolerance.
#
# **Tolerances, and why.** Everything is float32 (about 7 significant digits). Logits and
# gradients are sums of a few hundred products of numbers of order 1, computed in different
# orders by different kernels: their rounding differs by ~1e-7 here, so 1e-5 leaves a margin of
# 100x and still catches any real mistake (a wrong layout changes values at order 0.1). The loss
# is one number of order 2 whose float32 spacing is 2.4e-7: 1e-6.

# %%
PARITY_TOLERANCES = {"logits": 1e-5, "loss": 1e-6, "grads": 1e-5}


def forward_backward_torch(model, x, y):
    """Logits, mean cross-entropy and its gradients for one batch, in PyTorch."""
    # BEGIN SOLUTION
    model.zero_grad()
    logits = model(x)
    loss = nn.functional.cross_entropy(logits, y)
    loss.backward()
    return {
        "logits": logits.detach().cpu().numpy(),
        "loss": loss.item(),
        "grads": {name: p.grad.detach().cpu().numpy() for name, p in model.named_parameters()},
    }
    # END SOLUTION


def forward_backward_tf2(model, x, y):
    """The same in TensorFlow 2, with a GradientTape."""
    # BEGIN SOLUTION
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        )
    grads = tape.gradient(loss, model.trainable_variables)
    return {"logits": logits.numpy(), "loss": float(loss), "grads": [g.numpy() for g in grads]}
    # END SOLUTION


def forward_backward_tf1(weights, x, y):
    """The same as a TF1 graph built from ``[conv_kernel, conv_bias, dense_kernel, dense_bias]``."""
    # BEGIN SOLUTION
    graph = tf.Graph()
    with graph.as_default():
        images = tf1.placeholder(tf.float32, [None, *x.shape[1:]])
        labels = tf1.placeholder(tf.int64, [None])
        variables = [tf1.Variable(np.asarray(w, np.float32)) for w in weights]
        kernel, bias, dense_kernel, dense_bias = variables
        h = tf.nn.relu(tf.nn.conv2d(images, kernel, strides=1, padding="SAME") + bias)
        h = tf.nn.max_pool2d(h, ksize=2, strides=2, padding="VALID")
        h = tf.reshape(h, [-1, int(np.prod(h.shape[1:]))])
        logits = tf.matmul(h, dense_kernel) + dense_bias
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
        )
        grads = tf1.gradients(loss, variables)
        init = tf1.global_variables_initializer()
    with tf1.Session(graph=graph) as session:
        session.run(init)
        out = session.run({"logits": logits, "loss": loss, "grads": grads}, {images: x, labels: y})
    return {"logits": out["logits"], "loss": float(out["loss"]), "grads": list(out["grads"])}
    # END SOLUTION


def parity_report(results, tolerances=PARITY_TOLERANCES):
    """Largest pairwise absolute difference of logits, loss and grads, and whether all are
    within ``tolerances``."""
    # BEGIN SOLUTION
    report = {}
    for key in ("logits", "loss", "grads"):
        worst = 0.0
        for a, b in itertools.combinations(results.values(), 2):
            pairs = zip(a[key], b[key], strict=True) if key == "grads" else [(a[key], b[key])]
            for u, v in pairs:
                worst = max(worst, float(np.max(np.abs(np.asarray(u) - np.asarray(v)))))
        report[key] = worst
    report["ok"] = all(report[key] <= tolerances[key] for key in ("logits", "loss", "grads"))
    return report
    # END SOLUTION


# %%
check("parity")

# %% [markdown]
# ## Part 4 `accumulation` — k micro-batches == one batch k times larger
#
# When a batch does not fit in memory, split it into `k` micro-batches and add up their
# gradients before one optimizer step. With a mean loss, the big batch's gradient is the *mean*
# of the micro-batches' gradients, so each micro-batch loss is divided by `k` before `backward`.
#
# - PyTorch accumulates by itself (`.grad` adds up until zeroed): divide the loss by `k`, call
#   `backward` on each micro-batch, and `step` + `zero_grad` only every `k` micro-batches.
#   This is the one place where *not* zeroing after every backward is right.
# - TensorFlow 2 returns fresh gradients from each tape: sum them yourself (divided by `k`) and
#   `apply_gradients` every `k` micro-batches.
#
# Both return the mean of the micro-batch losses (undivided). The number of micro-batches is a
# multiple of `k` in the tests.

# %%
def train_with_accumulation(model, loader, loss_fn, optimizer, device, accum_steps):
    """One epoch over ``loader`` with an optimizer step every ``accum_steps`` micro-batches."""
    # BEGIN SOLUTION
    model.train()
    optimizer.zero_grad()
    total, count = 0.0, 0
    for i, (x, y) in enumerate(loader, start=1):
        x, y = x.to(device), y.to(device)
        loss = loss_fn(model(x), y)
        (loss / accum_steps).backward()
        total, count = total + loss.item(), count + 1
        if i % accum_steps == 0:
            optimizer.step()
            optimizer.zero_grad()
    return total / max(count, 1)
    # END SOLUTION


def accumulate_gradients(model, dataset, loss_fn, optimizer, accum_steps):
    """The same in TensorFlow 2: summed tape gradients, applied every ``accum_steps`` batches."""
    # BEGIN SOLUTION
    variables = model.trainable_variables
    summed = [tf.zeros_like(v) for v in variables]
    total, count = 0.0, 0
    for i, (x, y) in enumerate(dataset, start=1):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
            scaled = loss / accum_steps  # inside the tape, or it is not recorded
        grads = tape.gradient(scaled, variables)
        summed = [s + g for s, g in zip(summed, grads, strict=True)]
        total, count = total + float(loss), count + 1
        if i % accum_steps == 0:
            optimizer.apply_gradients(zip(summed, variables, strict=True))
            summed = [tf.zeros_like(v) for v in variables]
    return total / max(count, 1)
    # END SOLUTION


# %%
check("accumulation")

# %% [markdown]
# ## Part 5 `placement` — moving versus placing
#
# `place(obj, device)` puts a PyTorch tensor or module on `device` (a `torch.device` or a string
# such as `"cuda"`) and returns it; for a TensorFlow tensor it returns a copy made on `device`
# (a string such as `"/GPU:0"`).
#
# Then answer in `placement_difference()`: what is the difference between the two frameworks?
# (Think about: what `.to()` returns for a tensor and for a module; where a TensorFlow op runs
# when you say nothing; what soft placement does when the device you name does not exist; what
# happens in each framework when two operands sit on different devices.) It is not auto-graded.

# %%
def place(obj, device):
    """PyTorch: ``obj`` moved to ``device`` (returned). TensorFlow: a copy of ``obj`` on it."""
    # BEGIN SOLUTION
    if isinstance(obj, torch.Tensor | nn.Module):
        return obj.to(device)
    with tf.device(device):
        return tf.identity(obj)
    # END SOLUTION


def placement_difference():
    """In a few sentences: how do PyTorch and TensorFlow differ in putting data and computation
    on a device?"""
    # BEGIN SOLUTION
    return (
        "PyTorch never moves anything by itself: tensor.to(device) returns a new tensor (the old "
        "one stays where it was), module.to(device) moves the parameters in place, and an op on "
        "tensors from two devices is an error. TensorFlow places ops: a tensor is created where "
        "the op that made it ran, by default on the GPU when there is one; tf.device chooses for "
        "the ops inside the block, and with soft placement (on by default) a device that does not "
        "exist, or an op without a kernel there, silently falls back to another device; inputs "
        "are copied between devices as needed."
    )
    # END SOLUTION


# %%
check("placement")

# %% [markdown]
# ## Measure it: NCHW versus channels-last (not graded)
#
# Folklore says channels-first is "faster for GPUs". Measured on an NVIDIA H200 with PyTorch
# 2.11: six layers of Conv2d(128, 128, 3, padding=1, bias=False) + BatchNorm2d + ReLU, input
# (64, 128, 56, 56), forward + backward + SGD step, mean of 30 timed iterations after warm-up:
#
# | precision | NCHW | channels_last |
# |---|---|---|
# | fp32 | 20.1 ms | 20.9 ms |
# | TF32 | 9.4 ms | 6.2 ms |
# | bf16 autocast | 8.0 ms | 3.9 ms |
# | fp16 autocast | 6.6 ms | 3.1 ms |
#
# A different, smaller problem, the one the cell below times (`course_utils.layouts.
# time_conv_layouts`: a 3-to-64-channel convolution, then four 64-channel convolutions with batch
# norm and ReLU, input (64, 3, 56, 56), forward + backward), on an NVIDIA H100 with PyTorch 2.11,
# NCHW vs channels_last: fp32 7.70 vs 7.75 ms, TF32 5.11 vs 3.10 ms, bf16 4.57 vs 2.59 ms, fp16
# 4.02 vs 2.26 ms. The two measure different stacks: compare the ratios between layouts, not the
# times between GPUs.
#
# In plain fp32 the two are even; with tensor cores (TF32, bf16, fp16) channels-last is about
# 2x faster, because those kernels read NHWC. On a CPU the answer depends on the CPU and the
# library build. Run the cell and compare with your machine (a GPU is used when there is one).

# %%
from course_utils.layouts import time_conv_layouts

if torch.cuda.is_available():
    print(time_conv_layouts(iters=50))
else:  # a smaller problem, so the cell takes seconds on a laptop CPU
    print(time_conv_layouts(iters=5, batch=16, size=32))
