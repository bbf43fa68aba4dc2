"""Datasets the course knows: the bundled digits file and real dataset URLs for online classrooms.

The digits data (scikit-learn's 1,797 8x8 handwritten digits, grey levels scaled to 0..255)
ship inside the package, so the learner's real download code runs offline through a ``file://`` URL.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from course_utils.errors import UnknownDatasetError

_DATA_DIR = Path(__file__).resolve().parent / "datasets"


@dataclass(frozen=True)
class Dataset:
    """One entry of the dataset registry."""

    name: str
    """Registry key, e.g. ``"digits"``."""
    url: str
    """Where to fetch it: ``file://``, ``http://`` or ``https://``."""
    sha256: str
    """Hex digest the downloaded file must have."""
    size: int
    """Size in bytes (0 when unknown)."""
    description: str = ""


DIGITS = Dataset(
    name="digits",
    url=(_DATA_DIR / "digits.npz").as_uri(),
    sha256="810215dfd144c7fe236415d5541d82c209702171387f86bca2a7bef2e026d328",
    size=46087,
    description="scikit-learn digits: images uint8 (1797, 8, 8) in 0..255, labels uint8 (1797,)",
)

WORDS = Dataset(
    name="words",
    url=(_DATA_DIR / "words.npz").as_uri(),
    sha256="b4ae90823772cf503f21c2aba1f77273ca1674d9c3957be7bdce86175b2420c6",
    size=33833,
    description=(
        "common words of 8 languages (en de fr es it nl pl fi), 600 each, 3-14 characters: "
        "words unicode (4800,), labels uint8 (4800,), languages (8,); from wordfreq 3.1.1, "
        "CC BY-SA 4.0 (course_utils/datasets/make_words.py)"
    ),
)
"""Variable-length sequences for the sequences assignment (a word's language from its
characters)."""

REGISTRY: dict[str, Dataset] = {
    d.name: d
    for d in (
        DIGITS,
        WORDS,
        Dataset(
            name="mnist-train-images",
            url="https://storage.googleapis.com/cvdf-datasets/mnist/train-images-idx3-ubyte.gz",
            sha256="440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            size=9912422,
            description="MNIST training images (idx3, gzip); needs internet",
        ),
        Dataset(
            name="fashion-mnist-train-images",
            url="http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-images-idx3-ubyte.gz",
            sha256="3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            size=26421880,
            description="Fashion-MNIST training images (idx3, gzip); needs internet",
        ),
    )
}


def digits_path() -> Path:
    """Path of the bundled digits file (what the ``file://`` URL of ``DIGITS`` points to)."""
    return _DATA_DIR / "digits.npz"


def get_dataset(name: str) -> Dataset:
    """Look a dataset up by name; the error lists the names that exist."""
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise UnknownDatasetError(f"unknown dataset {name!r}; known datasets: {known}") from None


def sha256_of(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def load_npz(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read ``images`` and ``labels`` from a course ``.npz`` file."""
    with np.load(path) as data:
        return data["images"], data["labels"]


def stratified_split(
    labels: np.ndarray, test_size: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a seeded, stratified train/test split.

    Every class contributes ``round(count * test_size)`` samples to the test split, so the class
    balance of both splits matches the whole set. The same ``seed`` gives the same split.

    Returns:
        (train_idx, test_idx): sorted int64 index arrays, disjoint, covering ``range(len(labels))``.

    >>> tr, te = stratified_split(np.array([0, 0, 0, 0, 1, 1, 1, 1]), test_size=0.25, seed=1)
    >>> len(tr), len(te)
    (6, 2)
    """
    labels = np.asarray(labels)
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be in (0, 1), got {test_size}")
    rng = np.random.default_rng(seed)
    test_parts = []
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        n_test = int(round(len(members) * test_size))
        test_parts.append(rng.permutation(members)[:n_test])
    test_idx = np.sort(np.concatenate(test_parts)).astype(np.int64)
    train_idx = np.setdiff1d(np.arange(len(labels)), test_idx).astype(np.int64)
    return train_idx, test_idx
