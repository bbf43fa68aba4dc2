"""Mutants of code the TF2 and TF1 notebooks share word for word (download, data, report):
each of ``mutants_tf2.py`` and ``mutants_tf1.py`` lists them first. Checked with both by
``tests/autograder/test_mutants.py``."""

from autograder.build import Mutant

COMMON = [
    Mutant(
        "download_cache_unverified",
        "download",
        "without verifying its checksum",
        [("    if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == sha256:\n", "    if target.exists():\n")],
    ),
    Mutant(
        "report_train_test_swapped",
        "report",
        "swapped",
        [
            (
                '        "train_loss": float(train_metrics["loss"]),\n'
                '        "train_accuracy": float(train_metrics["accuracy"]),\n'
                '        "test_loss": float(test_metrics["loss"]),\n'
                '        "test_accuracy": float(test_metrics["accuracy"]),',
                '        "train_loss": float(test_metrics["loss"]),\n'
                '        "train_accuracy": float(test_metrics["accuracy"]),\n'
                '        "test_loss": float(train_metrics["loss"]),\n'
                '        "test_accuracy": float(train_metrics["accuracy"]),',
            )
        ],
    ),
    Mutant(
        "download_fixed_name",
        "download",
        "named after the URL's last part",
        [('    target = cache_dir / url.rsplit("/", 1)[-1]\n', '    target = cache_dir / "download.bin"\n')],
    ),
    Mutant(
        "download_renamed_before_check",
        "download",
        "stayed at its final name",
        [
            (
                "        if hashlib.sha256(data).hexdigest() != sha256:\n"
                '            raise ValueError(f"sha256 mismatch for {url}")\n'
                "        os.replace(tmp_name, target)\n",
                "        os.replace(tmp_name, target)\n"
                "        if hashlib.sha256(data).hexdigest() != sha256:\n"
                '            raise ValueError(f"sha256 mismatch for {url}")\n',
            )
        ],
    ),
    Mutant(
        "stats_not_scaled",
        "data",
        "0..255 scale",
        [("    x = np.asarray(x_train, dtype=np.float64) / 255.0", "    x = np.asarray(x_train, dtype=np.float64)")],
    ),
    Mutant(
        "stats_float64",
        "data",
        "float64",
        [("    return x.mean(axis=(0, 1, 2)).astype(np.float32), x.std(axis=(0, 1, 2)).astype(np.float32)", "    return x.mean(axis=(0, 1, 2)), x.std(axis=(0, 1, 2))")],
    ),
    Mutant(
        "grey_without_channel_axis",
        "data",
        "add a trailing channel axis",
        [("    if x.ndim == 3:\n        x = x[..., None]  # (N, H, W) -> (N, H, W, 1)\n    x = (x - np", "    x = (x - np")],
    ),
    Mutant(
        "labels_int32",
        "data",
        "expected int64",
        [("np.asarray(labels).astype(np.int64)", "np.asarray(labels).astype(np.int32)")],
    ),
    Mutant(
        "plot_missing_test_loss",
        "report",
        "no curve",
        [('    ax_loss.plot(epochs, [h["test_loss"] for h in history], label="test")\n', "")],
    ),
]
