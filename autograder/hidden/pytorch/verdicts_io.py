"""Verdicts for the ``download`` and ``data`` steps (grader side, numpy only)."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograder.hidden.base import Verdict, failed, passed
from autograder.hidden.common import numerics as num
from autograder.hidden.common import verdicts_data as data
from autograder.probes.common import instances as inst

# -- download ---------------------------------------------------------------------------------


# -- data -------------------------------------------------------------------------------------


def _expected_x(
    images: np.ndarray, mean: np.ndarray, std: np.ndarray, scale: float = 255.0
) -> np.ndarray:
    """What preprocess returns; ``scale=1.0``: the images normalised without scaling first."""
    x = images.astype(np.float32) / scale
    if x.ndim == 3:
        x = x[..., None]
    return ((x - mean) / std).transpose(0, 3, 1, 2)  # (N, H, W, C) -> (N, C, H, W)


def preprocess_channel_axis(obs: dict[str, Any], seed: int) -> Verdict:
    images = inst.grey_images(seed)
    got = data.preprocess_case(obs, "grey")
    n, h, w = images.shape
    shape = tuple(got["x"].get("shape", ()))
    if shape == (n, h, w):
        return failed(
            f"grey images (N, H, W) = {images.shape} came out as {shape}: the channel axis is "
            "missing. Convolutions expect (N, C, H, W), here with C = 1."
        )
    if shape == (n, h, w, 1):
        return failed(
            f"grey images came out as {shape}: that is NHWC; PyTorch expects (N, 1, H, W)"
        )
    if shape != (n, 1, h, w):
        return failed(
            f"grey images of shape {images.shape} should become (N, 1, H, W) = {(n, 1, h, w)}, got {shape}"
        )
    expected = _expected_x(images, inst.GREY_MEAN, inst.GREY_STD)
    message = num.non_finite_message("`preprocess`", got["x_values"], "preprocessing grey images")
    if message:
        return failed(message)
    if not num.close(got["x_values"], expected, atol=1e-4, rtol=1e-5):
        unscaled = _expected_x(images, inst.GREY_MEAN, inst.GREY_STD, scale=1.0)
        if num.close(got["x_values"], unscaled, atol=1e-3, rtol=1e-5):
            return failed(_NOT_SCALED)
        return failed("values are not (images / 255 - mean) / std with the given mean and std")
    return passed()


_NOT_SCALED = (
    "the images were not scaled to [0, 1] before normalising: the values are (images - mean) / "
    "std with pixels of 0..255, while mean and std are on the [0, 1] scale. Divide by 255 first."
)


def preprocess_permute(obs: dict[str, Any], seed: int) -> Verdict:
    images = inst.colour_images(seed)
    got = data.preprocess_case(obs, "colour")
    n, h, w, c = images.shape
    shape = tuple(got["x"].get("shape", ()))
    if shape == (n, h, w, c):
        return failed(
            f"colour images (N, H, W, C) = {images.shape} kept the NHWC layout; PyTorch expects (N, C, H, W)"
        )
    if shape != (n, c, h, w):
        return failed(
            f"colour images of shape {images.shape} should become (N, C, H, W) = {(n, c, h, w)}, got {shape}"
        )
    expected = _expected_x(images, inst.COLOUR_MEAN, inst.COLOUR_STD)
    values = got["x_values"]
    message = num.non_finite_message("`preprocess`", values, "preprocessing colour images")
    if message:
        return failed(message)
    if num.close(values, expected, atol=1e-4, rtol=1e-5):
        return passed()
    unscaled = _expected_x(images, inst.COLOUR_MEAN, inst.COLOUR_STD, scale=1.0)
    if num.close(values, unscaled, atol=1e-3, rtol=1e-5):
        return failed(_NOT_SCALED)
    x01 = images.astype(np.float32) / 255.0
    normalised_nhwc = (x01 - inst.COLOUR_MEAN) / inst.COLOUR_STD
    if num.close_to_any(
        values, (normalised_nhwc.reshape(n, c, h, w), x01.reshape(n, c, h, w)), atol=1e-4, rtol=1e-5
    ):
        return failed(
            "the shape is (N, C, H, W) but the pixels are scrambled: the channel axis was changed "
            "with reshape/view, which keeps the memory order. Moving an axis is a permutation "
            "(permute / transpose), not a reshape."
        )
    scrambled_stats = (
        (x01.reshape(n, c, h, w).transpose(0, 2, 3, 1) - inst.COLOUR_MEAN) / inst.COLOUR_STD
    ).reshape(n, c, h, w)
    if num.close(values, scrambled_stats, atol=1e-4, rtol=1e-5):
        return failed(
            "the pixels were reshaped into (N, C, H, W) before normalising: a reshape is not a permutation of axes"
        )
    return failed(
        "values are not (images / 255 - mean) / std, channel by channel, moved to (N, C, H, W)"
    )


def preprocess_dtypes(obs: dict[str, Any], seed: int) -> Verdict:
    problems = []
    for name, images, mean, std in (
        ("grey", inst.grey_images(seed), inst.GREY_MEAN, inst.GREY_STD),
        ("colour", inst.colour_images(seed), inst.COLOUR_MEAN, inst.COLOUR_STD),
    ):
        got = data.preprocess_case(obs, name)
        labels = inst.labels(seed, len(images))
        problems += data.stored_dtype_problems(got, _expected_x(images, mean, std), labels)
        x, y = got["x"], got["y"]
        if x.get("kind") != "tensor" or y.get("kind") != "tensor":
            problems.append(f"expected torch tensors, got {x.get('type')} and {y.get('type')}")
    if problems:
        return failed("; ".join(dict.fromkeys(problems)))
    return passed()


def _flat(ids_per_epoch: dict[str, Any]) -> list[int]:
    return list(ids_per_epoch["ids"])


def loaders_train(obs: dict[str, Any], seed: int) -> Verdict:
    n, batch = inst.BATCHING["n_train"], inst.BATCHING["batch"]  # the grader's, not the reply's
    a1, a2, b1, c1 = (_flat(obs[k]) for k in ("a1", "a2", "b1", "c1"))
    test_ids = set(inst.batching_test_ids(seed).tolist())
    if a1 and set(a1) <= test_ids:
        return failed(
            "the first loader make_loaders returns yields the test samples: the loaders are "
            "swapped (return (train_loader, test_loader), in that order)"
        )
    if len(a1) > n or len(set(a1)) != len(a1) or len(a1) < n - batch + 1:
        return failed(
            f"one training epoch should visit each of the {n} samples once; it visited {len(a1)} ({len(set(a1))} distinct)"
        )
    if any(s > batch for s in obs["a1"]["sizes"]) or obs["a1"]["sizes"][0] != batch:
        return failed(
            f"training batches should hold batch_size={batch} samples, got sizes {obs['a1']['sizes']}"
        )
    if a1 == sorted(a1):
        return failed(
            "the training loader is not shuffled: every epoch sees the samples in file order, so "
            "batches are correlated (often sorted by class) and SGD zig-zags. Use shuffle=True."
        )
    if a1 == a2:
        return failed(
            "the training order is the same in every epoch: reshuffle each epoch (shuffle=True does)",
            0.5,
        )
    if a1 != b1:
        return failed(
            "two loaders built with the same seed give different training orders: the order is not "
            "reproducible. Seed the shuffling, e.g. DataLoader(..., generator=torch.Generator().manual_seed(seed))",
            0.5,
        )
    if a1 == c1:
        return failed(
            "a different seed gives the same training order: the seed argument is ignored", 0.5
        )
    if obs["a1"]["dtypes"] != ["float32/int64"]:
        return failed(
            f"batches should keep float32 images and int64 labels, got {obs['a1']['dtypes']}"
        )
    return passed()


def loaders_test(obs: dict[str, Any], seed: int) -> Verdict:
    n, batch = inst.BATCHING["n_test"], inst.BATCHING["batch"]
    ids = _flat(obs["test"])
    expected = inst.batching_test_ids(seed).tolist()  # the probe's test samples, in file order
    if sorted(ids) != sorted(expected):
        return failed(
            f"the test loader should yield each of the {n} test samples exactly once, got {len(ids)} (drop_last?)"
        )
    if ids != expected:
        return failed(
            "the test loader is shuffled: evaluation order then changes between runs and "
            "predictions no longer line up with the stored labels. Use shuffle=False for test data."
        )
    if obs["test"]["sizes"][0] != batch:
        return failed(
            f"test batches should hold batch_size={batch} samples, got {obs['test']['sizes']}"
        )
    return passed()
