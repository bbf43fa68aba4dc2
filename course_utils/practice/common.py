"""Practice checks that need no framework, and the helpers every practice module shares.

Each check takes the learner's namespace and a ``numpy.random.Generator`` that is new on every
``check()`` call, so the instance (sizes, shapes, values) changes each time.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from course_utils.checks.runner import CheckFailed, need


def fail(expected: str, observed: str, cause: str) -> CheckFailed:
    """A practice failure that says what was expected, what was observed and why, likely."""
    return CheckFailed(f"expected {expected}; observed {observed}. Likely cause: {cause}")


KNOWN_CAUSES = {
    "singleton tf.variables": "variables are created inside tf.function (a tf.Variable, or a "
    "model or optimizer made in the step): create them outside and pass them in",
    "not compiled with cuda": "a hard-coded 'cuda' on a machine without a GPU: use the device "
    "argument",
}
"""Error texts (lower case) whose cause is known whatever the check expected."""


def attempt(fn: Any, *args: Any, expected: str, cause: str, **kwargs: Any) -> Any:
    """Call learner code; an exception becomes a practice failure with the likely cause."""
    try:
        return fn(*args, **kwargs)
    except (NotImplementedError, CheckFailed):
        raise
    except Exception as exc:  # noqa: BLE001 - learner code may raise anything
        text = str(exc).lower()
        known = [c for needle, c in KNOWN_CAUSES.items() if needle in text]
        observed = f"{type(exc).__name__}: {str(exc)[:200]}"
        raise fail(expected, observed, known[0] if known else cause) from None


def as_numpy(value: Any) -> np.ndarray:
    """A learner's array or tensor (numpy, torch, tf) as a numpy array."""
    if hasattr(value, "detach"):
        value = value.detach().cpu()
    if hasattr(value, "numpy"):
        value = value.numpy()
    return np.asarray(value)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise log-probabilities, in float64, computed stably."""
    shifted = np.asarray(logits, np.float64) - np.max(logits, axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def cross_entropy(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Per-sample cross-entropy of raw logits (N, K) against class indices (N,)."""
    return -log_softmax(logits)[np.arange(len(targets)), targets]


def random_images(rng: np.random.Generator, channels: int | None = None) -> np.ndarray:
    """uint8 images with all-different N, H, W (grey (N, H, W) or colour (N, H, W, 3))."""
    n, h, w = (int(v) for v in rng.choice(np.arange(2, 12), size=3, replace=False))
    c = int(rng.choice([1, 3])) if channels is None else channels
    shape = (n, h, w) if c == 1 else (n, h, w, c)
    return rng.integers(0, 256, size=shape, dtype=np.uint8)


def model_sizes(rng: np.random.Generator) -> tuple[int, int, int]:
    """(channels, classes, batch) for a model instance: 1 or 3 channels, 2-12 classes, N 1-8."""
    return int(rng.choice([1, 3])), int(rng.integers(2, 13)), int(rng.integers(1, 9))


def uneven_labels(predicted: np.ndarray, batch: int, classes: int) -> np.ndarray:
    """Labels that make the model right on every sample of the short last batch and wrong on all
    the others: then the mean of batch accuracies (1 / number of batches) can never equal the
    exact accuracy (last batch size / n), whatever the random sizes."""
    n = len(predicted)
    wrong = (predicted + 1) % classes
    labels = wrong.copy()
    last = n - n % batch if n % batch else n - batch
    labels[last:] = predicted[last:]
    return labels


def download(ns: dict[str, Any], rng: np.random.Generator) -> str:
    payload = rng.integers(0, 256, size=int(rng.integers(1, 300_000)), dtype=np.uint8).tobytes()
    name = f"file-{rng.integers(1_000_000)}.bin"
    digest = hashlib.sha256(payload).hexdigest()
    fn = need(ns, "download")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "server" / name
        src.parent.mkdir()
        src.write_bytes(payload)
        cache = Path(tmp) / "cache"
        path = Path(fn(src.as_uri(), cache, digest))
        if not path.is_file() or path.read_bytes() != payload:
            raise fail(
                f"the path of a file holding the {len(payload):,} downloaded bytes",
                f"{path} ({path.stat().st_size if path.is_file() else 'no file'} bytes)",
                "the file was not written completely, or another path was returned",
            )
        if path.name != name:
            raise fail(
                f"a file named after the URL's last part ({name})",
                path.name,
                "a fixed file name: two datasets would overwrite each other in the cache",
            )
        src.unlink()  # the "server" is gone: only the cache can answer now
        try:
            again = Path(fn(src.as_uri(), cache, digest))
        except Exception as exc:  # noqa: BLE001 - learner code
            raise fail(
                "the cached copy to be returned without downloading again",
                f"{type(exc).__name__} while fetching the URL a second time",
                "the cache is not consulted before downloading",
            ) from None
        if again != path:
            raise fail(f"the same cached path {path}", str(again), "the cache is not reused")
        bad = Path(tmp) / "server" / "corrupt.bin"
        bad.write_bytes(payload[::-1] + b"x")
        try:
            fn(bad.as_uri(), cache, digest)
        except Exception:  # noqa: BLE001 - any error is the right reaction
            leftover = cache / "corrupt.bin"
            if leftover.exists():
                raise fail(
                    "no file at the destination after a checksum mismatch",
                    f"{leftover.name} left in the cache",
                    "the file is written to its final name before it is verified",
                ) from None
            _cached_copy_verified(fn, src, payload, path, digest, cache)
            return (
                f"{len(payload):,} random bytes verified, cached and reused; corruption refused, "
                "a damaged cached copy replaced"
            )
        raise fail(
            "an error for bytes whose sha256 differs from the expected digest",
            "no error",
            "the digest is computed but never compared",
        )


def _cached_copy_verified(
    fn: Any, src: Path, payload: bytes, cached: Path, digest: str, cache: Path
) -> None:
    """A cached copy whose bytes were damaged is not the verified file: download fetches again."""
    src.write_bytes(payload)
    cached.write_bytes(b"damaged " + payload[:64])
    again = Path(fn(src.as_uri(), cache, digest))
    if not again.is_file() or hashlib.sha256(again.read_bytes()).hexdigest() != digest:
        raise fail(
            "a damaged cached copy to be downloaded again (only a verified copy is reused)",
            f"{again.name} returned with the damaged bytes",
            "a cached file reused without verifying its checksum",
        )


def normalization_stats(ns: dict[str, Any], rng: np.random.Generator) -> str:
    images = random_images(rng)
    channels = 1 if images.ndim == 3 else images.shape[-1]
    scaled = images.reshape(*images.shape[:3], channels).astype(np.float64) / 255.0
    mean, std = need(ns, "normalization_stats")(images)
    mean, std = as_numpy(mean).reshape(-1), as_numpy(std).reshape(-1)
    want_mean, want_std = scaled.mean(axis=(0, 1, 2)), scaled.std(axis=(0, 1, 2))
    if mean.shape != (channels,) or std.shape != (channels,):
        raise fail(
            f"mean and std of shape ({channels},) for images of shape {images.shape}",
            f"{mean.shape} and {std.shape}",
            "the statistics are not taken per channel (reduce over N, H and W only)",
        )
    if not (np.allclose(mean, want_mean, atol=1e-5) and np.allclose(std, want_std, atol=1e-5)):
        raise fail(
            f"mean {np.round(want_mean, 4).tolist()}, std {np.round(want_std, 4).tolist()}",
            f"mean {np.round(mean, 4).tolist()}, std {np.round(std, 4).tolist()}",
            "the images were not scaled to [0, 1] first, or the wrong axes were reduced",
        )
    return f"per-channel statistics of {images.shape} uint8 images"


def preprocess(ns: dict[str, Any], rng: np.random.Generator, layout: str) -> str:
    """``layout`` is the framework's: ``"NCHW"`` (PyTorch) or ``"NHWC"`` (TensorFlow).

    One grey and one colour batch of random sizes: a reshape passes on grey images by luck.
    """
    shapes = []
    for channels in (1, 3):
        images = random_images(rng, channels)
        _preprocess_one(ns, rng, layout, images)
        shapes.append(images.shape)
    return f"{shapes[0]} and {shapes[1]} uint8 -> {layout} float32, values exact"


def _preprocess_one(
    ns: dict[str, Any], rng: np.random.Generator, layout: str, images: np.ndarray
) -> None:
    n, h, w = images.shape[:3]
    c = 1 if images.ndim == 3 else images.shape[-1]
    mean = rng.uniform(0.2, 0.6, size=c).astype(np.float32)
    std = rng.uniform(0.1, 0.4, size=c).astype(np.float32)
    labels = rng.integers(0, 10, size=n)
    x, y = need(ns, "preprocess")(images, labels, mean, std)
    x, y = as_numpy(x), as_numpy(y)
    nhwc = (images.reshape(n, h, w, c).astype(np.float32) / 255.0 - mean) / std
    want = nhwc.transpose(0, 3, 1, 2) if layout == "NCHW" else nhwc
    if x.shape != want.shape:
        raise fail(
            f"{layout} shape {want.shape} for images of shape {images.shape}",
            f"{x.shape}",
            "a missing channel axis (grey images need one of size 1) or the channel axis in "
            f"the wrong place for {layout}",
        )
    if x.dtype != np.float32 or y.dtype != np.int64:
        raise fail("float32 images and int64 labels", f"{x.dtype} and {y.dtype}", "a missing cast")
    if not np.allclose(x, want, atol=1e-4):
        if c > 1 and np.allclose(x, nhwc.reshape(want.shape), atol=1e-4):
            cause = (
                "the channel axis was moved with reshape/view, which keeps the bytes in place: "
                "permute the axes instead"
            )
        else:
            cause = "the scaling to [0, 1] or the per-channel (x - mean) / std is missing or wrong"
        i = tuple(int(v) for v in np.argwhere(~np.isclose(x, want, atol=1e-4))[0])
        raise fail(f"x[{i}] = {want[i]:.4f}", f"{x[i]:.4f}", cause)
    if not np.array_equal(y, labels):
        raise fail("the labels unchanged", "different labels", "labels were reordered or altered")


def prepare_data(ns: dict[str, Any], rng: np.random.Generator) -> str:
    """Statistics must come from the training split: the test images are made much brighter."""
    from course_utils.data import stratified_split

    classes, per_class = int(rng.integers(2, 5)), int(rng.integers(6, 12))
    labels = np.repeat(np.arange(classes), per_class)
    rng.shuffle(labels)
    h, w = (int(v) for v in rng.choice(np.arange(3, 9), size=2, replace=False))
    test_size, seed = float(rng.choice([0.25, 0.3, 0.4])), int(rng.integers(1000))
    train_idx, test_idx = stratified_split(labels, test_size, seed)
    images = rng.integers(0, 100, size=(len(labels), h, w), dtype=np.uint8)
    images[test_idx] += 150  # test images far brighter: leaked statistics show at once
    train_mean = images[train_idx].astype(np.float64).mean() / 255.0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "practice.npz"
        np.savez(path, images=images, labels=labels)
        data = need(ns, "prepare_data")(str(path), test_size=test_size, seed=seed)
    got = finite(as_numpy(data["mean"]).reshape(-1)[0], "the mean prepare_data returns")
    if abs(got - train_mean) > 1e-4:
        all_mean = images.astype(np.float64).mean() / 255.0
        test_mean = images[test_idx].astype(np.float64).mean() / 255.0
        source = (
            "all the data" if abs(got - all_mean) < 1e-4
            else "the test split" if abs(got - test_mean) < 1e-4
            else "neither split"
        )  # fmt: skip
        raise fail(
            f"the training split's mean {train_mean:.4f}",
            f"{got:.4f}, the mean of {source}",
            "statistics computed before splitting, or on the wrong split: that leaks the test "
            "set into training",
        )
    if len(as_numpy(data["y_test"])) != len(test_idx):
        raise fail(
            f"{len(test_idx)} test samples (stratified_split with test_size={test_size})",
            f"{len(as_numpy(data['y_test']))}",
            "test_size or seed not passed to stratified_split",
        )
    return f"{len(labels)} images split {len(train_idx)}/{len(test_idx)}; training statistics"


def _history(rng: np.random.Generator) -> list[dict[str, float]]:
    epochs = int(rng.integers(2, 7))
    return [
        {
            "epoch": e,
            "train_loss": float(rng.uniform(0.1, 2.0)),
            "test_loss": float(rng.uniform(0.1, 2.0)),
            "test_accuracy": float(rng.uniform(0.1, 1.0)),
        }
        for e in range(1, epochs + 1)
    ]


def report(ns: dict[str, Any], rng: np.random.Generator) -> str:
    history = _history(rng)
    train = {"loss": float(rng.uniform(0, 1)), "accuracy": float(rng.uniform(0.5, 1))}
    test = {"loss": float(rng.uniform(0, 1)), "accuracy": float(rng.uniform(0.5, 1))}
    summary = need(ns, "report")(history, dict(train), dict(test))
    want = {
        "epochs": len(history),
        "train_loss": train["loss"],
        "train_accuracy": train["accuracy"],
        "test_loss": test["loss"],
        "test_accuracy": test["accuracy"],
        "generalization_gap": train["accuracy"] - test["accuracy"],
    }
    for key, value in want.items():
        got = summary.get(key) if isinstance(summary, dict) else None
        if got is None or abs(finite(got, f"summary[{key!r}]") - value) > 1e-6:
            raise fail(
                f"summary[{key!r}] = {value:.4f}",
                "nothing" if got is None else f"{float(got):.4f}",
                "train and test numbers swapped, or the gap computed the other way round"
                if key in ("train_accuracy", "test_accuracy", "generalization_gap", "train_loss")
                else "the wrong source for this entry",
            )
    return f"summary of a {len(history)}-epoch run, train and test kept apart"


def tensorboard(ns: dict[str, Any], rng: np.random.Generator) -> str:
    from course_utils.events import settled_scalars

    history = _history(rng)
    with tempfile.TemporaryDirectory() as tmp:
        need(ns, "log_to_tensorboard")(history, str(Path(tmp) / "run"))
        # as the grader does: a writer left open still counts, once its thread has written
        scalars = settled_scalars(Path(tmp) / "run", expected=3 * len(history))
    for tag, key in (("loss/train", "train_loss"), ("loss/test", "test_loss"),
                     ("accuracy/test", "test_accuracy")):  # fmt: skip
        want = [[float(h["epoch"]), h[key]] for h in history]
        got = sorted(scalars.get(tag, []))
        if len(got) != len(want) or not np.allclose(got, want, atol=1e-5):
            raise fail(
                f"{len(want)} values under {tag!r} at steps {[h['epoch'] for h in history]}",
                f"{len(got)} values (tags written: {sorted(scalars) or 'none'})",
                "a wrong tag, or a wrong step (use the epoch)",
            )
    return f"{len(history)} epochs of scalars read back from the event files"


def fixed(check: Any, seed: int) -> Any:
    """A default-mode check: ``check`` on one fixed instance (a new generator seeded with
    ``seed`` on every call, so the instance is the same every time)."""

    def run(ns: dict[str, Any]) -> str:
        return check(ns, rng=np.random.default_rng(seed))

    return run


def finite(value: Any, what: str) -> float:
    """``value`` as a float; NaN, inf or a non-number is a failure that says so."""
    try:
        number = float(as_numpy(value))
    except (TypeError, ValueError):
        raise fail(f"a number for {what}", repr(value)[:80], "a wrong return value") from None
    if not np.isfinite(number):
        raise fail(
            f"a finite number for {what}",
            f"{number} (not a finite number)",
            "a division by zero, a log of 0 or a diverging computation",
        )
    return number


def returns(value: Any, types: Any, name: str, expected: str) -> Any:
    """Check a learner function's return type first: ``build_model returned None; expected an
    nn.Module``."""
    if not isinstance(value, types):
        raise CheckFailed(
            f"{name} returned {_short(value)}; expected {expected}. Likely cause: a missing or "
            "wrong return statement"
        )
    return value


def _short(value: Any) -> str:
    if value is None:
        return "None"
    text = repr(value)
    return f"a {type(value).__name__}" + (f" ({text[:60]})" if len(text) < 60 else "")
