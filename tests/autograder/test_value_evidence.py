"""Do the hidden tests that docs/evidence.md counts as ``recomputed`` refuse what a forger can
send without computing the answer, and still pass the honest values?"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.hidden.base import judge
from autograder.probes.common import instances as inst
from autograder.suites import get_suite

LAYOUTS = {"pytorch": "NCHW", "tf2": "NHWC", "tf1": "NHWC"}


def _judge(assignment: str, name: str, obs: dict):  # noqa: ANN202
    suite = get_suite(assignment)
    (test,) = [t for t in suite.tests if t.name == name]
    reply = {"status": "ok", "elapsed_s": 0.1, "obs": obs}
    return judge(test, reply, suite.seed_for(test), schema_of=suite.schema_of)


def _prepared(assignment: str, x_train: np.ndarray, x_test: np.ndarray) -> dict:
    run = {
        "x_train": x_train,
        "y_train": None,
        "x_test": x_test,
        "y_test": None,
        "x_train_info": {"type": "numpy.ndarray", "kind": "other"},
    }
    return {"is_dict": True, "a": run, "b": run, "c": run}


def _honest(assignment: str, ddof: int = 0) -> tuple[np.ndarray, np.ndarray]:
    suite = get_suite(assignment)
    (test,) = [t for t in suite.tests if t.name == "stats_from_training_split"]
    images, _ = inst.split_dataset(suite.seed_for(test))
    raw = images.astype(np.float64) / 255
    train, test_ids = np.arange(0, 150), np.arange(150, 200)
    mean, std = raw[train].mean(), raw[train].std(ddof=ddof)
    x = (
        ((raw - mean) / std)[:, None]
        if LAYOUTS[assignment] == "NCHW"
        else ((raw - mean) / std)[..., None]
    )
    return x[train].astype(np.float32), x[test_ids].astype(np.float32)


@pytest.mark.parametrize("assignment", sorted(LAYOUTS))
def test_training_statistics_are_recomputed_from_the_data(assignment):
    """A literal with mean 0 and std 1 and the right images shuffled pixel by pixel (mean 0 and
    std 1 too) fail; the data file's images standardised with the training split's statistics
    pass, with ddof 0 or 1."""
    x_train, x_test = _honest(assignment)
    for ddof in (0, 1):
        result = _judge(
            assignment,
            "stats_from_training_split",
            _prepared(assignment, *_honest(assignment, ddof)),
        )
        assert result.score == result.max_score, result.message
    literal = np.array([-1.0, 1.0]).reshape(1, 1, 1, 2)
    forged = _judge(
        assignment, "stats_from_training_split", _prepared(assignment, literal, literal)
    )
    assert forged.score == 0
    shuffled = np.random.default_rng(0).permutation(x_train.ravel()).reshape(x_train.shape)
    result = _judge(
        assignment, "stats_from_training_split", _prepared(assignment, shuffled, x_test)
    )
    assert result.score == 0 and "not the data file's images" in result.message


@pytest.mark.parametrize(
    ("assignment", "name"),
    [("pytorch", "test_loader_in_order"), ("tf2", "test_dataset_in_order")],
)
def test_the_test_split_order_is_the_seeds(assignment, name):
    """The order a test split must keep is a seed's permutation of the probe's samples: the
    grader's sequence passes; the sizes the reply claims (once believed: ``n_test=0`` and no
    ids passed) and another seed's order fail."""
    suite = get_suite(assignment)
    (test,) = [t for t in suite.tests if t.name == name]
    seed, batch = suite.seed_for(test), inst.BATCHING["batch"]

    def epoch(ids: list[int]) -> dict:
        batches = [ids[i : i + batch] for i in range(0, len(ids), batch)]
        return {"ids": ids, "sizes": [len(b) for b in batches], "batches": batches, "dtypes": []}

    def obs(test_ids: list[int], n_test: int) -> dict:
        train = epoch(list(range(inst.BATCHING["n_train"])))
        runs = {k: train for k in ("a1", "a2", "b1", "c1")}
        return {"n_train": 43, "n_test": n_test, "batch": batch, **runs, "test": epoch(test_ids)}

    right = inst.batching_test_ids(seed).tolist()
    assert _judge(assignment, name, obs(right, len(right))).score == test.points
    assert _judge(assignment, name, obs([], 0)).score == 0
    other = inst.batching_test_ids(seed + 1).tolist()
    assert other != right and _judge(assignment, name, obs(other, len(other))).score == 0


def _preprocessed(assignment: str, seed: int, x_dtype: str, y_dtype: str) -> dict:
    out = {}
    for name, images, mean, std in (
        ("grey", inst.grey_images(seed), inst.GREY_MEAN, inst.GREY_STD),
        ("colour", inst.colour_images(seed), inst.COLOUR_MEAN, inst.COLOUR_STD),
    ):
        x = images.astype(np.float32) / 255.0
        x = ((x[..., None] if x.ndim == 3 else x) - mean) / std
        if LAYOUTS[assignment] == "NCHW":
            x = x.transpose(0, 3, 1, 2)
        x, y = x.astype(x_dtype), inst.labels(seed, len(images)).astype(y_dtype)
        described = {"type": "torch.Tensor", "kind": "tensor"}
        out[name] = {
            "pair": True,
            "x": {**described, "dtype": "float32", "shape": list(x.shape)},
            "y": {**described, "dtype": "int64", "shape": list(y.shape)},
            "x_values": x,
            "y_values": y,
            "x_bytes": np.frombuffer(x.tobytes(), np.uint8).copy(),
            "y_bytes": np.frombuffer(y.tobytes(), np.uint8).copy(),
        }
    return out


@pytest.mark.parametrize("assignment", sorted(LAYOUTS))
def test_dtypes_are_read_from_the_stored_bytes(assignment):
    """float32 images and int64 labels stored as such pass; float64 images or float labels fail
    although the reply's dtype names say float32 and int64; names with no bytes earn nothing."""
    suite = get_suite(assignment)
    (test,) = [t for t in suite.tests if t.name == "preprocess_dtypes"]
    seed = suite.seed_for(test)
    honest = _preprocessed(assignment, seed, "float32", "int64")
    assert _judge(assignment, "preprocess_dtypes", honest).status == "passed"
    doubles = _judge(
        assignment, "preprocess_dtypes", _preprocessed(assignment, seed, "float64", "int64")
    )
    assert doubles.score == 0 and "float64" in doubles.message
    float_labels = _preprocessed(assignment, seed, "float32", "float32")
    assert _judge(assignment, "preprocess_dtypes", float_labels).score == 0
    names_only = {k: {**v, "x_bytes": None, "y_bytes": None} for k, v in honest.items()}
    assert _judge(assignment, "preprocess_dtypes", names_only).score == 0
