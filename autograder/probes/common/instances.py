"""Test inputs generated from a seed, shared by probes (worker) and verdicts (grader).

numpy only: the grader regenerates the inputs a probe used instead of trusting the worker's copy.
"""

from __future__ import annotations

import numpy as np


def rng(seed: int, salt: int = 0) -> np.random.Generator:
    return np.random.default_rng([seed, salt])


def payload(seed: int) -> bytes:
    """Bytes of a file to download."""
    r = rng(seed, 1)
    return r.bytes(int(r.integers(2_000, 9_000)))


def colour_images(seed: int) -> np.ndarray:
    """uint8 (N, H, W, C) with N, H, W, C all different and channels with different statistics."""
    r = rng(seed, 2)
    n, h, w, c = 6, 5, 7, 3
    scale = np.array([60.0, 120.0, 250.0])
    return r.uniform(0, 1, size=(n, h, w, c)).__mul__(scale).astype(np.uint8)


def grey_images(seed: int) -> np.ndarray:
    """uint8 (N, H, W) with N, H, W all different."""
    return rng(seed, 3).integers(0, 256, size=(5, 6, 4), dtype=np.uint8)


def labels(seed: int, n: int, classes: int = 10) -> np.ndarray:
    return rng(seed, 4).integers(0, classes, size=n).astype(np.uint8)


COLOUR_MEAN = np.array([0.2, 0.45, 0.6], np.float32)
COLOUR_STD = np.array([0.1, 0.25, 0.4], np.float32)
GREY_MEAN = np.array([0.3], np.float32)
GREY_STD = np.array([0.2], np.float32)


def split_dataset(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A small 5-class image set whose samples carry their own id.

    Pixel (0, 0) is 0 and pixel (0, 1) is 255 in every image, pixel (0, 2) holds the sample id.
    Any per-split affine normalisation keeps the id recoverable: id = 255 * (p2 - p0) / (p1 - p0).
    Samples have very different brightness, so statistics of different subsets differ.
    """
    r = rng(seed, 5)
    n_per_class, classes = 40, 5
    n = n_per_class * classes
    brightness = r.uniform(0.15, 1.0, size=(n, 1, 1))
    images = (r.uniform(0, 255, size=(n, 8, 8)) * brightness).astype(np.uint8)
    images[:, 0, 0] = 0
    images[:, 0, 1] = 255
    images[:, 0, 2] = np.arange(n)
    labels_ = np.repeat(np.arange(classes), n_per_class).astype(np.uint8)
    order = r.permutation(n)
    images, labels_ = images[order], labels_[order]
    images[:, 0, 2] = np.arange(n)  # ids in file order
    return images, labels_


BATCHING = {"n_train": 43, "n_test": 21, "batch": 8}
"""The batching probes' sizes (loaders, datasets), the same on both sides of the channel."""


def batching_test_ids(seed: int) -> np.ndarray:
    """The ids the batching probes' test samples hold, in file order: a seed's permutation of
    1000 .. 1000 + n_test - 1 (so the order a test split must keep differs between seeds)."""
    return 1000 + rng(seed, 10).permutation(BATCHING["n_test"])


def recover_ids(x: np.ndarray, layout: str = "NCHW") -> np.ndarray:
    """Sample ids of normalised (N, 1, 8, 8) or (N, 8, 8, 1) images from :func:`split_dataset`."""
    grey = x[:, 0] if layout == "NCHW" else x[..., 0]  # -> (N, 8, 8)
    p0, p1, p2 = grey[:, 0, 0], grey[:, 0, 1], grey[:, 0, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.rint(255.0 * (p2 - p0) / (p1 - p0)).astype(np.int64)


def classification(seed: int, n: int, k: int, salt: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """float32 logits (n, k) and int64 targets (n,)."""
    r = rng(seed, salt)
    return (
        r.normal(0, 2.0, size=(n, k)).astype(np.float32),
        r.integers(0, k, size=n).astype(np.int64),
    )


OPTIMIZER_LRS = {"a": 0.0123, "b": 0.37}
"""The learning rates the optimizer probes build optimizers with (the grader's, never a reply's)."""


def optimizer_net(seed: int) -> dict[str, np.ndarray]:
    """The optimizer probe's small net, Linear(4, 3) -> ReLU -> Linear(3, 2) in PyTorch layout,
    and its batch: weights and inputs from the seed, so the grader knows the gradients."""
    r = rng(seed, 11)
    return {
        "x": r.normal(size=(5, 4)).astype(np.float32),
        "w1": r.uniform(-0.5, 0.5, (3, 4)).astype(np.float32),
        "b1": r.uniform(-0.5, 0.5, 3).astype(np.float32),
        "w2": r.uniform(-0.5, 0.5, (2, 3)).astype(np.float32),
        "b2": r.uniform(-0.5, 0.5, 2).astype(np.float32),
    }


def optimizer_variable(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A variable's starting values and the gradient the TF2 optimizer probe applies to it."""
    r = rng(seed, 12)
    return r.normal(size=6).astype(np.float32), r.normal(size=6).astype(np.float32)


TRAINING_GAIN = 1.5
"""The spy models scale their logits by this in training mode (PyTorch ``model.train()``, Keras
``training=True``), a deterministic stand-in for what dropout does, and by 1 otherwise."""
GRAD_GAIN = 1.25
"""The PyTorch spy scales its logits by this while autograd records (``torch.is_grad_enabled``)."""


def trace_gain(trace: int) -> float:
    """The logit gain of the TF2 trace probe's spy in its ``trace``-th trace (1-based), 1.0 when
    it runs eagerly: which trace each train_step call ran shows in the losses it returns."""
    return 1.0 if trace == 0 else 1.0 + 0.2 * trace


def spy_gain(training: bool, grad_enabled: bool) -> float:
    """The factor a spy model's logits carry: the mode of each call shows in its values, so the
    grader reads modes from numbers it recomputes, not from flags a reply reports."""
    return (TRAINING_GAIN if training else 1.0) * (GRAD_GAIN if grad_enabled else 1.0)


def metric_inputs(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What the make_metrics probe feeds the learner's metrics: 7 float32 losses (in two
    updates: 4, then 3), 9 int64 labels of 4 classes and float32 logits (9, 4)."""
    r = rng(seed, 31)
    losses = r.uniform(0.1, 3.0, size=7).astype(np.float32)
    labels = r.integers(0, 4, size=9).astype(np.int64)
    return losses, labels, r.normal(size=(9, 4)).astype(np.float32)


FIT_KERAS_LR = 4e-3
"""The learning rate the fit_keras probe asks for (not the function's default, 3e-3)."""


MODEL_BATCHES = (1, 5, 13, 26, 64)
"""Batch sizes the model probes run. The batch of 26 is the 13 images of the batch of 13, each
twice, in the order ``rows_again`` draws: its logits must be those rows again."""


def model_images(seed: int, n: int, channels: int = 3) -> np.ndarray:
    """float32 (n, 8, 8, channels) images for a model probe's batch of n (NHWC; the PyTorch
    probes transpose them); the batch of 26 is built from the batch of 13 (``model_batch``)."""
    return rng(seed, 24 + n).normal(size=(n, 8, 8, channels)).astype(np.float32)


def rows_again(seed: int, n: int = 13) -> np.ndarray:
    """The rows of the batch of n that make the batch of 2n: each index twice, seed order."""
    return rng(seed, 25).permutation(np.repeat(np.arange(n), 2))


def model_batch(seed: int, n: int, channels: int = 3) -> np.ndarray:
    """The model probes' batch of n images (NHWC): the batch of 26 repeats the batch of 13."""
    if n == 26:
        return model_images(seed, 13, channels)[rows_again(seed)]
    return model_images(seed, n, channels)


CHECKSUM_CALLS = 4
"""Downloads the bad-checksum probe makes, each into a cache of its own."""


def checksum_schedule(seed: int) -> list[str]:
    """What each of the bad-checksum probe's downloads gets, in order: ``good`` (the file and its
    digest), ``wrong_digest`` (the file, another digest) or ``damaged_file`` (other bytes at the
    URL, the file's digest). At least one good and one refused call, in an order drawn from the
    seed, so which calls a download must refuse is a value the grader recomputes, never a flag
    an observation could state once for all."""
    r = rng(seed, 23)
    kinds = ["good", r.choice(["wrong_digest", "damaged_file"]).item()]
    more = r.choice(["good", "wrong_digest", "damaged_file"], CHECKSUM_CALLS - 2)
    kinds += [str(k) for k in more]
    return [kinds[i] for i in r.permutation(CHECKSUM_CALLS)]


def damaged_copy(payload: bytes) -> bytes:
    """What the download-cache probe writes over a cached file before asking for it again."""
    return b"damaged cached copy " + payload[:64]


MANTISSA_BITS = 10
"""Mantissa bits the emulated device of the PyTorch placement probes keeps (like TF32), so the
values a loop computes there differ from the CPU's and show where they were computed."""


def device_round(values: np.ndarray) -> np.ndarray:
    """float32 ``values`` as the emulated device stores them: MANTISSA_BITS bits of mantissa,
    rounded half away from zero on the bits; other dtypes, NaN and inf unchanged."""
    a = np.asarray(values)
    if a.dtype != np.float32:
        return a
    bits = a.view(np.uint32).astype(np.uint64)
    drop = 23 - MANTISSA_BITS
    kept = ((bits + (1 << (drop - 1))) >> drop << drop).astype(np.uint32)
    rounded = kept.view(np.float32)
    return np.where(np.isfinite(a), rounded, a).astype(np.float32)


def nested_values(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """float32 leaves for the to_device probe (2x3, 4 and 3 values) whose device copies differ
    from them in the last mantissa bits (``device_round``)."""
    r = rng(seed, 29)
    return tuple(r.normal(0, 3, size=s).astype(np.float32) for s in ((2, 3), (4,), (3,)))  # type: ignore[return-value]


def linear_problem(seed: int, n: int = 12, c: int = 2, hw: int = 3, k: int = 4):
    """Inputs (n, c, hw, hw), int64 targets, and initial weights (k, c*hw*hw), bias (k,)."""
    r = rng(seed, 7)
    x = r.normal(0, 1, size=(n, c, hw, hw)).astype(np.float32)
    y = r.integers(0, k, size=n).astype(np.int64)
    weight = (r.normal(0, 0.5, size=(k, c * hw * hw))).astype(np.float32)
    bias = r.normal(0, 0.1, size=k).astype(np.float32)
    return x, y, weight, bias


def history(seed: int, epochs: int = 4) -> list[dict]:
    r = rng(seed, 8)
    train = np.sort(r.uniform(0.05, 2.0, size=epochs))[::-1]
    test = np.sort(r.uniform(0.2, 2.2, size=epochs))[::-1]
    acc = np.sort(r.uniform(0.3, 0.95, size=epochs))
    return [
        {
            "epoch": i + 1,
            "train_loss": round(float(train[i]), 4),
            "test_loss": round(float(test[i]), 4),
            "test_accuracy": round(float(acc[i]), 4),
        }
        for i in range(epochs)
    ]


def final_metrics(seed: int) -> tuple[dict, dict]:
    r = rng(seed, 9)
    train = {
        "loss": round(float(r.uniform(0.01, 0.2)), 4),
        "accuracy": round(float(r.uniform(0.95, 1.0)), 4),
    }
    test = {
        "loss": round(float(r.uniform(0.3, 0.9)), 4),
        "accuracy": round(float(r.uniform(0.6, 0.9)), 4),
    }
    return train, test


BN_MOMENTUM, BN_EPSILON = 0.8, 1e-3
"""What the TF1 batch-norm probes pass as ``momentum`` and ``epsilon`` (not the defaults, so a
function that ignores them shows)."""
BN_LR = 0.5
"""Learning rate of the trusted graph's plain gradient descent in the train-op probe."""


def bn_batch(seed: int) -> np.ndarray:
    """A (6, 3, 3, 4) NHWC batch whose channels have different means and spreads."""
    r = rng(seed, 31)
    centre = np.array([2.0, -1.0, 0.5, 4.0])
    spread = np.array([3.0, 0.5, 1.0, 2.0])
    return (centre + spread * r.normal(size=(6, 3, 3, 4))).astype(np.float32)


def bn_dense_problem(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Inputs (8, 5), int64 targets of 3 classes, and the weights (5, 3) and bias (3,) of a
    dense layer after batch norm."""
    r = rng(seed, 32)
    x = (np.array([1.0, -2.0, 0.0, 3.0, 0.5]) + r.normal(size=(8, 5)) * 2).astype(np.float32)
    y = r.integers(0, 3, size=8).astype(np.int64)
    weight = r.normal(0, 0.5, size=(5, 3)).astype(np.float32)
    bias = r.normal(0, 0.1, size=3).astype(np.float32)
    return x, y, weight, bias
