"""Hidden tests that every assignment shares (download, statistics, split, report)."""

from __future__ import annotations

from functools import partial

from autograder.hidden.base import HiddenTest
from autograder.hidden.common import verdicts_data as data
from autograder.hidden.common import verdicts_report as rep


def test(name: str, step: str, points: float, probe: str, verdict, doing: str, **kw) -> HiddenTest:  # noqa: ANN001
    """Shorthand for a probe-backed hidden test."""
    return HiddenTest(
        name=name, step=step, points=points, probe=probe, verdict=verdict, doing=doing, **kw
    )


def _cache_dir_missing(info: dict) -> str | None:
    """A download into a cache directory that does not exist yet ends in FileNotFoundError."""
    if info.get("type") == "FileNotFoundError" and "cache" in str(info.get("message", "")):
        return (
            "cache_dir does not exist yet and was never created: the docstring asks download "
            "to create it (Path(cache_dir).mkdir(parents=True, exist_ok=True))"
        )
    return None


def download_tests() -> list[HiddenTest]:
    return [
        test(
            "download_fetches_and_verifies",
            "download",
            2,
            "download_fetch",
            data.download_fetch,
            "downloading a file:// URL into a new cache directory",
            diagnose=_cache_dir_missing,
        ),
        test(
            "download_rejects_bad_checksum",
            "download",
            2,
            "download_bad_checksum",
            data.download_bad_checksum,
            "downloading a file whose sha256 does not match",
        ),
        test(
            "download_reuses_cache",
            "download",
            1,
            "download_cache",
            data.download_cache,
            "downloading a file that is already cached",
        ),
    ]


def stats_test() -> HiddenTest:
    return test(
        "stats_per_channel", "data", 1, "stats", data.stats, "computing normalisation statistics"
    )


def split_tests(layout: str) -> list[HiddenTest]:
    return [
        test(
            "split_stratified_and_seeded",
            "data",
            1,
            "prepare_data",
            partial(data.prepare_data_split, layout=layout),
            "preparing a small data file",
        ),
        test(
            "stats_from_training_split",
            "data",
            2,
            "prepare_data",
            data.prepare_data_stats,
            "preparing a small data file",
        ),
    ]


def report_tests() -> list[HiddenTest]:
    return [
        test(
            "report_keeps_splits_apart",
            "report",
            2,
            "report",
            rep.report_values,
            "reporting known metrics",
        ),
        test(
            "plot_shows_history", "report", 2, "plot", rep.plot_curves, "plotting a known history"
        ),
        test(
            "tensorboard_scalars",
            "report",
            2,
            "tensorboard",
            rep.tensorboard_scalars,
            "logging a known history to TensorBoard",
        ),
    ]
