"""Verdicts for the ``download`` step and the shared ``data`` checks (grader side, numpy only)."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from autograder.hidden.base import Verdict, failed, passed
from autograder.hidden.common import numerics as num
from autograder.probes.common import instances as inst


def _expected_sha(seed: int) -> str:
    return hashlib.sha256(inst.payload(seed)).hexdigest()


def download_fetch(obs: dict[str, Any], seed: int) -> Verdict:
    returned = obs["returned"]
    if not obs.get("is_path"):
        if returned.get("type") == "builtins.str" and obs.get("sha256") == _expected_sha(seed):
            return failed(
                "download returned a str; the contract is a pathlib.Path (wrap it in Path(...))",
                0.5,
            )
        return failed(f"download should return a pathlib.Path, got {returned.get('type')}")
    if not obs.get("exists"):
        return failed("the returned path does not exist after download")
    if not obs.get("in_cache"):
        return failed(
            "the file was not saved inside cache_dir (was the directory created and used?)"
        )
    if obs.get("sha256") != _expected_sha(seed):
        return failed(
            "the downloaded file's bytes differ from the source: was it written in text mode, or cut short?"
        )
    expected = f"dataset-{seed % 9973}.bin"  # the probe's URL ends with it
    if obs.get("name") != expected:
        return failed(
            f"the file is saved as {obs.get('name')!r}, not named after the URL's last part "
            f"({expected!r}) as the docstring asks: a fixed name makes two datasets overwrite "
            "each other in one cache",
            0.5,
        )
    leftovers = [f for f in obs.get("cache_files", []) if f.rsplit("/", 1)[-1] != expected]
    if leftovers:
        return failed(f"temporary files were left in the cache: {leftovers[:3]}", 0.5)
    return passed()


def download_bad_checksum(obs: dict[str, Any], seed: int) -> Verdict:
    """Each call of the probe is judged by what the grader's schedule gave it: a good call must
    return the verified file, a refused one must raise and leave nothing. Which calls are which
    the observation never says, so a reply that was not computed from the files cannot know."""
    schedule, calls = inst.checksum_schedule(seed), obs["calls"]
    if len(calls) != len(schedule):
        return failed(
            f"the probe made {len(schedule)} downloads but its reply describes {len(calls)}"
        )
    good = [call for kind, call in zip(schedule, calls, strict=True) if kind == "good"]
    if any(call.get("sha256") != _expected_sha(seed) for call in good):
        return failed(
            "download does not fetch a file with the right checksum yet, so its refusal of a wrong one cannot be judged"
        )
    for kind, call in zip(schedule, calls, strict=True):
        if kind == "good":
            continue
        if call.get("raised") is None:
            how = "another digest asked" if kind == "wrong_digest" else "the server's bytes changed"
            return failed(
                f"a file whose sha256 does not match was accepted ({how}): a corrupted or "
                "tampered download would silently become your training data. Compare the "
                "digest and raise."
            )
        if call.get("target_exists"):
            return failed(
                "the checksum error was raised, but the bad file stayed at its final name in the cache: "
                "the next run would trust it. Write to a temporary file and rename only after verifying.",
                0.5,
            )
        if call.get("cache_files"):
            return failed(
                f"the failed download left files behind in the cache: {call['cache_files'][:3]}",
                0.5,
            )
    return passed()


def download_cache(obs: dict[str, Any], seed: int) -> Verdict:
    if obs.get("raised") is not None:
        info = obs["raised"]
        return failed(
            "a second download of a file that is already in the cache with the right checksum "
            f"went to the network again (and failed there: {info.get('type')}). Reuse the cached copy."
        )
    second = obs.get("second") or {}
    if second.get("sha256") != _expected_sha(seed):
        return failed("the second call did not return the cached, verified file")
    if "damaged" not in obs:
        return failed(
            "the cached copy could not be checked again (the probe's reply is incomplete)"
        )
    if obs.get("damaged_raised") is not None:
        info = obs["damaged_raised"]
        return failed(
            "with the cached copy damaged and the file still online, download raised "
            f"{info.get('type')}: {str(info.get('message', ''))[:120]}. A cached file whose "
            "checksum does not match should be downloaded again"
        )
    damaged = obs.get("damaged") or {}
    if damaged.get("sha256") != _expected_sha(seed):
        damaged_bytes = inst.damaged_copy(inst.payload(seed))
        reused = damaged.get("sha256") == hashlib.sha256(damaged_bytes).hexdigest()
        return failed(
            "a cached file reused without verifying its checksum: the cached copy was damaged "
            "and download returned it as it was; the docstring asks that only a verified copy "
            "is reused (compare its sha256 before returning it, and download again otherwise)"
            if reused
            else "with the cached copy damaged, download did not return the verified file"
        )
    return passed()


def _channel_stats(images: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = _scaled_nhwc(images)
    return (
        x.mean(axis=(0, 1, 2)),
        x.std(axis=(0, 1, 2)),
        x.reshape(-1, x.shape[-1]).std(axis=0, ddof=1),
    )


def _scaled_nhwc(images: np.ndarray) -> np.ndarray:
    x = images.astype(np.float64) / 255.0
    return x[..., None] if x.ndim == 3 else x  # (N, H, W) -> (N, H, W, 1)


def _stats_dtype_problem(got: dict[str, Any]) -> str | None:
    """Are mean and std stored as float32? Read from their bytes, decoded as float32 they must
    be the values the reply shows (a Python float for one channel sends no bytes: fine)."""
    for what in ("mean", "std"):
        raw = got.get(f"{what}_bytes")
        if raw is None:
            continue
        if not _matches(_decoded(raw, "<f4"), got[what], atol=1e-6):
            double = _matches(_decoded(raw, "<f8"), got[what], atol=1e-9)
            return (
                f"normalization_stats returns the {what} as "
                f"{'float64' if double else 'another dtype than float32'}; the contract is float32 "
                "arrays (numpy computes in float64 by default: cast with .astype(np.float32), "
                "or every array normalised with it becomes float64 too)"
            )
    return None


def stats(obs: dict[str, Any], seed: int) -> Verdict:
    for name, images in (("colour", inst.colour_images(seed)), ("grey", inst.grey_images(seed))):
        got = obs[name]
        if not got.get("pair"):
            return failed("normalization_stats should return a pair (mean, std)")
        mean, std, std1 = _channel_stats(images)
        if got["mean"] is None or got["std"] is None:
            return failed("mean and std should be numbers or arrays")
        g_mean, g_std = np.asarray(got["mean"]), np.asarray(got["std"])
        if g_mean.size != mean.size or g_std.size != std.size:
            channels = mean.size
            shape = images.shape
            return failed(
                f"for images of shape {shape} expected {channels} per-channel value(s), got "
                f"{g_mean.size} mean(s) and {g_std.size} std(s): statistics are per channel, "
                "averaged over samples, height and width"
            )
        g_mean, g_std = g_mean.ravel(), g_std.ravel()  # a float for one channel is fine
        doing = f"computing normalisation statistics of {name} images of shape {images.shape}"
        for what, value in (("the mean", g_mean), ("the std", g_std)):
            if message := num.non_finite_message(f"normalization_stats' {what}", value, doing):
                return failed(message)
        if num.close(g_mean, mean * 255, rtol=1e-3, atol=1e-8) or num.close(
            g_std, std * 255, rtol=1e-3, atol=1e-8
        ):
            return failed(
                "the statistics are on the 0..255 scale; the contract is images scaled to [0, 1]"
            )
        if not num.close(g_mean, mean, atol=1e-4, rtol=1e-5):
            return failed(
                f"per-channel means of the {name} images are off (got {np.round(g_mean, 4).tolist()})"
            )
        if not num.close_to_any(g_std, (std, std1), atol=1e-4, rtol=1e-5):
            per_image = _scaled_nhwc(images).std(axis=(1, 2)).mean(axis=0)
            if num.close(g_std, per_image, atol=1e-4, rtol=1e-5):
                return failed(
                    f"the std of the {name} images is the average of each image's own standard "
                    "deviation: that leaves out how much the images differ from one another. "
                    "Take one std per channel over samples, height and width together."
                )
            return failed(
                f"per-channel standard deviations of the {name} images are off (got {np.round(g_std, 4).tolist()})"
            )
        if message := _stats_dtype_problem(got):
            return failed(message, 0.5)
    return passed()


def prepare_data_split(obs: dict[str, Any], seed: int, layout: str = "NCHW") -> Verdict:
    if not obs.get("is_dict"):
        return failed(
            "prepare_data should return a dict with x_train, y_train, x_test, y_test, mean, std"
        )
    if obs.get("missing"):
        return failed(f"prepare_data's dict lacks {obs['missing']}")
    images, labels = inst.split_dataset(seed)
    a, b, c = obs["a"], obs["b"], obs["c"]
    shapes = [tuple(np.shape(a[k])) for k in ("x_train", "x_test")]
    want = (1, 8, 8) if layout == "NCHW" else (8, 8, 1)
    if any(len(s) != 4 or s[1:] != want for s in shapes):
        return failed(f"x_train / x_test should be (N, {', '.join(map(str, want))}), got {shapes}")
    train_ids, test_ids = (
        inst.recover_ids(a["x_train"], layout),
        inst.recover_ids(a["x_test"], layout),
    )
    all_ids = np.concatenate([train_ids, test_ids])
    if len(all_ids) != len(labels) or len(set(all_ids.tolist())) != len(labels):
        return failed(
            f"the splits should hold every one of the {len(labels)} samples exactly once; got "
            f"{len(train_ids)} + {len(test_ids)} with {len(all_ids) - len(set(all_ids.tolist()))} repeated"
        )
    if not np.array_equal(np.asarray(a["y_train"]), labels[train_ids]) or not np.array_equal(
        np.asarray(a["y_test"]), labels[test_ids]
    ):
        return failed("labels no longer line up with their images after the split")
    per_class = np.bincount(labels[test_ids], minlength=5)
    expected = np.bincount(labels, minlength=5) * 0.25  # the probe's test_size
    if num.close(per_class, np.bincount(labels, minlength=5) * 0.75, atol=1):
        return failed(
            f"the test split holds {len(test_ids)} of the {len(labels)} samples with "
            "test_size=0.25: train and test are swapped (stratified_split returns (train, test))"
        )
    if not num.close(len(test_ids), expected.sum(), atol=len(expected)):
        return failed(
            f"the test split holds {len(test_ids)} of the {len(labels)} samples, expected about "
            f"{expected.sum():.0f} with test_size=0.25: is test_size passed on to the split?"
        )
    if not num.close(per_class, expected, atol=1):
        return failed(
            f"the test split is not stratified: {per_class.tolist()} test samples per class, expected about {expected.tolist()}"
        )
    if not np.array_equal(np.sort(inst.recover_ids(b["x_test"], layout)), np.sort(test_ids)):
        return failed("the same seed gave a different split: pass the seed to the split")
    if np.array_equal(np.sort(inst.recover_ids(c["x_test"], layout)), np.sort(test_ids)):
        return failed("a different seed gave the same split: the seed argument is ignored")
    return passed()


def _grey(x: np.ndarray) -> np.ndarray | None:
    """(N, 8, 8) from images with or without their channel axis, in either layout (a layout
    mistake costs the preprocessing and split tests, not this one)."""
    if x.ndim == 4 and x.shape[1] == 1:
        x = x[:, 0]
    elif x.ndim == 4 and x.shape[3] == 1:
        x = x[..., 0]
    return x if x.ndim == 3 and x.shape[1:] == (8, 8) else None


def _standardised_with_training_stats(x_train: np.ndarray, x_test: np.ndarray, seed: int) -> bool:
    """Are both splits the data file's own images (ids read from their pixels), standardised
    with the mean and std (ddof 0 or 1) of the training images, as the grader computes them?"""
    images, _ = inst.split_dataset(seed)
    train, test = _grey(x_train), _grey(x_test)
    if train is None or test is None:
        return False
    grey = [train, test]
    ids = [inst.recover_ids(g[:, None], "NCHW") for g in grey]
    if any(((i < 0) | (i >= len(images))).any() for i in ids):
        return False
    raw = [images[i].astype(np.float64) for i in ids]
    mean = raw[0].mean()
    for ddof in (0, 1):
        std = raw[0].std(ddof=ddof)
        if all(num.close(g, (r - mean) / std, atol=2e-3) for g, r in zip(grey, raw)):
            return True
    return False


def prepare_data_stats(obs: dict[str, Any], seed: int) -> Verdict:
    if not obs.get("is_dict") or obs.get("missing"):
        return failed(
            "prepare_data should return a dict with x_train, y_train, x_test, y_test, mean, std"
        )
    a = obs["a"]
    x_train, x_test = np.asarray(a["x_train"], np.float64), np.asarray(a["x_test"], np.float64)
    for split, values in (("x_train", x_train), ("x_test", x_test)):
        message = num.non_finite_message(
            f"prepare_data's {split}", values, "normalising a dataset with known statistics"
        )
        if message:
            return failed(message)
    # the values themselves, recomputed from the data file: the images of each split,
    # standardised with the training images' statistics
    if _standardised_with_training_stats(x_train, x_test, seed):
        return passed()
    train_mean, train_std = float(x_train.mean()), float(x_train.std())
    test_mean, test_std = float(x_test.mean()), float(x_test.std())
    both = np.concatenate([x_train.ravel(), x_test.ravel()])
    if num.close(test_mean, 0, atol=1e-3) and num.close(test_std, 1, atol=1e-2):
        return failed(
            "the normalisation statistics come from the test split: after normalising, the test "
            f"images have mean {test_mean:.4f} and std {test_std:.4f}, the training images "
            f"{train_mean:.4f} and {train_std:.4f}. Statistics are part of the model: compute them "
            "on the training split only."
        )
    if num.close(both.mean(), 0, atol=1e-3) and num.close(both.std(), 1, atol=1e-2):
        return failed(
            "the normalisation statistics come from all the data (training and test together): "
            f"the training images have mean {train_mean:.4f} and std {train_std:.4f} after "
            "normalising. Using test images to compute them leaks the test set into training; "
            "compute them on the training split only."
        )
    if num.close(train_mean, 0, atol=1e-3) and num.close(train_std, 1, atol=1e-2):
        return failed(
            "the training images come out with mean 0 and std 1, but their values are not the "
            "data file's images standardised with the training split's mean and std (one "
            "mean and one std over every pixel of the training images): check that each split "
            "keeps its own images and that both use the same two statistics"
        )
    return failed(
        f"after normalising, the training images have mean {train_mean:.4f} and std "
        f"{train_std:.4f}; with statistics of the training split they would be 0 and 1"
    )


def preprocess_case(obs: dict[str, Any], name: str) -> dict[str, Any]:
    """The ``grey`` / ``colour`` observation of the shared preprocess probe, if it was a pair."""
    got = obs[name]
    if not got.get("pair"):
        raise ValueError(
            f"preprocess should return a pair (x, y), got {got.get('returned', {}).get('type')}"
        )
    return got


def _decoded(raw: Any, dtype: str) -> np.ndarray | None:
    if raw is None or np.asarray(raw).size % np.dtype(dtype).itemsize:
        return None
    return np.frombuffer(np.asarray(raw, np.uint8).tobytes(), dtype)


def _matches(decoded: np.ndarray | None, want: np.ndarray | None, atol: float = 1e-4) -> bool:
    """Same number of values, equal as multisets (the layout is other tests' to judge)."""
    if decoded is None or want is None:
        return False
    want = np.asarray(want, np.float64).ravel()
    return decoded.size == want.size and num.close(np.sort(decoded), np.sort(want), atol=atol)


def stored_dtype_problems(got: dict[str, Any], x_want: np.ndarray, y_want: np.ndarray) -> list[str]:
    """What is wrong with the dtypes x and y are stored in, read from their bytes: decoded as
    float32 and int64 they must be the values the grader computes (in any layout: the layout is
    other tests' to judge) or, when those values are wrong (which the value tests report), the
    values the reply shows. A dtype name in the reply only words the message."""
    problems = []
    x_dtype, y_dtype = got["x"].get("dtype"), got["y"].get("dtype")
    raw_x, raw_y = got.get("x_bytes"), got.get("y_bytes")
    x_right = _matches(_decoded(raw_x, "<f4"), x_want)
    if not x_right and not _matches(_decoded(raw_x, "<f4"), got.get("x_values")):
        double = _matches(_decoded(raw_x, "<f8"), x_want) or _matches(
            _decoded(raw_x, "<f8"), got.get("x_values")
        )
        hint = " (numpy computes in float64 by default; the model's weights are float32)"
        named = "float64" if double else (x_dtype if x_dtype != "float32" else "not float32")
        problems.append(f"images are {named}, expected float32{hint if double else ''}")
    y_right = _matches(_decoded(raw_y, "<i8"), y_want, atol=0.0)
    if not y_right and not _matches(_decoded(raw_y, "<i8"), got.get("y_values"), atol=0.0):
        floats = any(_matches(_decoded(raw_y, f), y_want, atol=0.0) for f in ("<f4", "<f8"))
        hint = " (the loss wants int64 class indices, not floats)" if floats else ""
        named = y_dtype if y_dtype != "int64" else "not int64"
        problems.append(f"labels are {named}, expected int64{hint}")
    return problems
