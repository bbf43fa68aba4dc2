"""Probes for the ``download`` step and the framework-neutral parts of ``data`` (worker side)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from autograder.probes.common import instances as inst
from autograder.probes.common.observe import describe, to_numpy
from autograder.worker.probe_api import LearnerError, ProbeContext, contract_error, run_learner


def _source_file(ctx: ProbeContext) -> tuple[Path, bytes]:
    data = inst.payload(ctx.seed)
    src = ctx.subdir("remote") / f"dataset-{ctx.seed % 9973}.bin"
    src.write_bytes(data)
    return src, data


def _files_in(directory: Path) -> list[str]:
    if not directory.exists():
        return []
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())


def _path_facts(returned: Any, cache: Path) -> dict[str, Any]:
    facts: dict[str, Any] = {"returned": describe(returned), "is_path": isinstance(returned, Path)}
    if isinstance(returned, str | Path):
        path = Path(returned)
        facts["name"] = path.name[:255]
        facts["exists"] = path.is_file()
        facts["in_cache"] = path.resolve().is_relative_to(cache.resolve())
        facts["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
    return facts


def _call_or_raised(ctx: ProbeContext, name: str, *args: Any) -> tuple[Any, dict[str, Any] | None]:
    """(returned value, None), or (None, what was raised) when raising may be the right answer.
    A missing or unimplemented function still ends the probe."""
    try:
        return ctx.call(name, *args), None
    except LearnerError as exc:
        if exc.info["kind"] in ("missing", "not_implemented"):
            raise
        return None, exc.info


def download_fetch(ctx: ProbeContext) -> dict[str, Any]:
    src, data = _source_file(ctx)
    cache = ctx.scratch / "cache" / "nested"
    returned = ctx.call("download", src.as_uri(), str(cache), hashlib.sha256(data).hexdigest())
    return {**_path_facts(returned, cache), "cache_files": _files_in(cache)}


def download_bad_checksum(ctx: ProbeContext) -> dict[str, Any]:
    """Downloads in the order ``instances.checksum_schedule`` draws from the seed, each into a
    new cache: the right file with its digest, with another digest, or other bytes at the URL.
    The observation says what each call did, never which calls should have been refused."""
    src, data = _source_file(ctx)
    digest = hashlib.sha256(data).hexdigest()
    wrong = hashlib.sha256(data + b"tampered").hexdigest()
    calls = []
    for i, kind in enumerate(inst.checksum_schedule(ctx.seed)):
        src.write_bytes(inst.damaged_copy(data) if kind == "damaged_file" else data)
        expected = wrong if kind == "wrong_digest" else digest
        cache = ctx.subdir(f"cache-{i}")
        returned, raised = _call_or_raised(ctx, "download", src.as_uri(), str(cache), expected)
        calls.append(
            {
                **_path_facts(returned, cache),
                "raised": raised,
                "target_exists": (cache / src.name).exists(),
                "cache_files": _files_in(cache),
            }
        )
    return {"calls": calls}


def download_cache(ctx: ProbeContext) -> dict[str, Any]:
    src, data = _source_file(ctx)
    cache = ctx.subdir("cache")
    digest = hashlib.sha256(data).hexdigest()
    first = ctx.call("download", src.as_uri(), str(cache), digest)
    src.unlink()  # the "server" is gone: only the cache can answer now
    second, raised = _call_or_raised(ctx, "download", src.as_uri(), str(cache), digest)
    out = {
        "first": _path_facts(first, cache),
        "second": _path_facts(second, cache) if raised is None else None,
        "raised": raised,
    }
    if raised is None and isinstance(second, str | Path) and Path(second).is_file():
        # only a verified copy may be reused: a damaged one must be fetched again
        src.write_bytes(data)
        Path(second).write_bytes(inst.damaged_copy(data))
        third, damaged_raised = _call_or_raised(ctx, "download", src.as_uri(), str(cache), digest)
        out["damaged"] = _path_facts(third, cache) if damaged_raised is None else None
        out["damaged_raised"] = damaged_raised
    return out


def stats(ctx: ProbeContext) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, images in (
        ("colour", inst.colour_images(ctx.seed)),
        ("grey", inst.grey_images(ctx.seed)),
    ):
        result = ctx.call("normalization_stats", images.copy())
        if not isinstance(result, tuple | list) or len(result) != 2:
            out[name] = {"returned": describe(result), "pair": False}
            continue
        mean, std = (to_numpy(v) for v in result)
        out[name] = {
            "pair": True,
            "mean": None if mean is None else mean.astype(np.float64).reshape(-1),
            "std": None if std is None else std.astype(np.float64).reshape(-1),
            # the bytes they are stored in (a Python float for one channel is fine: none)
            "mean_bytes": None if isinstance(result[0], float) else _stored_bytes(result[0]),
            "std_bytes": None if isinstance(result[1], float) else _stored_bytes(result[1]),
        }
    return out


def prepare_data(ctx: ProbeContext) -> dict[str, Any]:
    images, labels = inst.split_dataset(ctx.seed)
    path = ctx.subdir("data") / "images.npz"
    np.savez(path, images=images, labels=labels)
    out: dict[str, Any] = {}
    for run, seed in (("a", 3), ("b", 3), ("c", 4)):
        result = ctx.call("prepare_data", str(path), test_size=0.25, seed=seed)
        if not isinstance(result, dict):
            return {"returned": describe(result), "is_dict": False}
        keys = ("x_train", "y_train", "x_test", "y_test")
        missing = [k for k in keys if k not in result]
        if missing:
            return {"is_dict": True, "missing": missing}
        run_out: dict[str, Any] = {k: to_numpy(result[k]) for k in keys}
        run_out["x_train_info"] = describe(result["x_train"])
        out[run] = run_out
    out["is_dict"] = True
    return out


def _stored_bytes(value: Any) -> np.ndarray | None:
    """The bytes ``value``'s numbers are stored in (C order, as the framework holds them): the
    grader decodes them with the dtype it expects, so the dtype shows in values, not a name."""
    arr = to_numpy(value)
    if arr is None or arr.dtype.kind not in "biuf":
        return None
    return np.frombuffer(np.ascontiguousarray(arr).tobytes(), np.uint8).copy()


def preprocess(ctx: ProbeContext) -> dict[str, Any]:
    out: dict[str, Any] = {}
    cases = (
        ("grey", inst.grey_images(ctx.seed), inst.GREY_MEAN, inst.GREY_STD),
        ("colour", inst.colour_images(ctx.seed), inst.COLOUR_MEAN, inst.COLOUR_STD),
    )
    for name, images, mean, std in cases:
        labels = inst.labels(ctx.seed, len(images))
        result = ctx.call("preprocess", images.copy(), labels.copy(), mean.copy(), std.copy())
        if not isinstance(result, tuple | list) or len(result) != 2:
            out[name] = {"pair": False, "returned": describe(result)}
            continue
        x, y = result
        out[name] = {
            "pair": True,
            "x": describe(x),
            "y": describe(y),
            "x_values": to_numpy(x),
            "y_values": to_numpy(y),
            "x_bytes": _stored_bytes(x),
            "y_bytes": _stored_bytes(y),
        }
    return out


def _epoch(batches: Any) -> dict[str, Any]:
    """One pass over a loader / dataset of (x, y) batches whose x carry sample ids."""
    ids, per_batch, dtypes = [], [], set()
    for batch in batches:
        x, y = batch[0], batch[1]
        arr = to_numpy(x)
        batch_ids = (
            [] if arr is None else [int(round(v)) for v in arr.reshape(arr.shape[0], -1)[:, 0]]
        )
        ids.extend(batch_ids)
        per_batch.append(batch_ids)
        dtypes.add(f"{describe(x).get('dtype', '?')}/{describe(y).get('dtype', '?')}")
    return {
        "ids": ids,
        "sizes": [len(b) for b in per_batch],
        "batches": per_batch,
        "dtypes": sorted(dtypes),
    }


def batching(
    ctx: ProbeContext, function: str, arrays: Any, n_train: int, n_test: int, batch: int
) -> dict[str, Any]:
    """Build the learner's train / test batches twice with one seed and once with another, and
    record which sample ids each pass yields. ``arrays()`` makes (x_train, y_train, x_test, y_test)
    whose x hold the sample id (test ids start at 1000)."""

    def make(seed: int) -> tuple[Any, Any]:
        result = ctx.call(function, *arrays(), batch_size=batch, seed=seed)
        if not isinstance(result, tuple | list) or len(result) != 2:
            raise contract_error(
                function, "expected (train, test), got " + describe(result)["type"]
            )
        return result[0], result[1]

    train_a, test_a = make(11)
    a1 = run_learner(function, _epoch, train_a)
    a2 = run_learner(function, _epoch, train_a)
    b1 = run_learner(function, _epoch, make(11)[0])
    c1 = run_learner(function, _epoch, make(12)[0])
    test = run_learner(function, _epoch, test_a)
    return {
        "n_train": n_train,
        "n_test": n_test,
        "batch": batch,
        "a1": a1,
        "a2": a2,
        "b1": b1,
        "c1": c1,
        "test": test,
    }


PROBES = {
    "download_fetch": download_fetch,
    "download_bad_checksum": download_bad_checksum,
    "download_cache": download_cache,
    "stats": stats,
    "prepare_data": prepare_data,
    "preprocess": preprocess,
}
