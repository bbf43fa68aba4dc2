"""The bundled dataset, the registry and the split helper."""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pytest

import course_utils.data as data
from course_utils.data import (
    DIGITS,
    digits_path,
    get_dataset,
    load_npz,
    sha256_of,
    stratified_split,
)
from course_utils.errors import UnknownDatasetError


def test_bundled_digits_match_the_registry():
    """Does the shipped file have the sha256 and size the registry promises?"""
    assert sha256_of(digits_path()) == DIGITS.sha256
    assert digits_path().stat().st_size == DIGITS.size
    assert DIGITS.url == digits_path().as_uri()
    images, labels = load_npz(digits_path())
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8 and images.max() == 255
    assert labels.shape == (1797,) and set(np.unique(labels)) == set(range(10))


def test_bundled_words_match_the_registry():
    """Does the shipped word list have its registry sha256 and size, 600 words of 3 to 14
    characters per language, and no word in two languages?"""
    path = Path(data.WORDS.url.removeprefix("file://"))
    assert sha256_of(path) == data.WORDS.sha256 and path.stat().st_size == data.WORDS.size
    with np.load(path) as f:  # unicode arrays: no pickle needed
        words, labels, languages = f["words"], f["labels"], f["languages"]
    assert list(languages) == ["en", "de", "fr", "es", "it", "nl", "pl", "fi"]
    assert words.shape == labels.shape == (4800,) and labels.dtype == np.uint8
    assert np.bincount(labels).tolist() == [600] * 8
    assert all(3 <= len(w) <= 14 for w in words) and len(set(words)) == 4800
    assert get_dataset("words") is data.WORDS


def test_unknown_dataset_lists_the_known_ones():
    """Does a typo in a dataset name get the list of valid names?"""
    with pytest.raises(UnknownDatasetError, match="known datasets: digits"):
        get_dataset("digitz")


def test_stratified_split_is_seeded_disjoint_and_balanced():
    """Is the default 1,438 / 359 split stratified, disjoint, complete and reproducible?"""
    _, labels = load_npz(digits_path())
    train, test = stratified_split(labels, 0.2, seed=0)
    assert (len(train), len(test)) == (1438, 359)
    assert len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == len(labels)
    assert np.array_equal(test, stratified_split(labels, 0.2, seed=0)[1])
    assert not np.array_equal(test, stratified_split(labels, 0.2, seed=1)[1])
    per_class = np.bincount(labels[test]) / np.bincount(labels)
    assert np.all(np.abs(per_class - 0.2) < 0.01)


def test_docstring_examples():
    """Do the examples in course_utils.data's docstrings hold?"""
    assert doctest.testmod(data).failed == 0
