"""Verdicts for ``fit``'s history and the ``report`` step (grader side, numpy only)."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from autograder.hidden.base import Verdict, failed, passed
from autograder.hidden.common import numerics as num
from autograder.probes.common import instances as inst


def _history_entries(obs: dict[str, Any]) -> list[dict[str, Any]] | str:
    entries = obs["entries"]
    if entries is None:
        return f"fit should return a list of dicts, got {obs['history_type']}"
    if len(entries) != 3:
        return f"fit(..., epochs=3) returned a history of {len(entries)} entries, expected one per epoch"
    for entry in entries:
        missing = {"epoch", "train_loss", "test_loss", "test_accuracy"} - set(entry)
        if missing:
            return f"history entries should have epoch, train_loss, test_loss, test_accuracy; missing {sorted(missing)}"
        if any(entry[k] is None for k in ("epoch", "train_loss", "test_loss", "test_accuracy")):
            return "history values should be numbers (floats), not tensors or strings"
    return entries


def fit_history(
    obs: dict[str, Any], seed: int, split: str = "loader", replayed: bool = False
) -> Verdict:
    """``split``: what the framework calls a split's batches (a PyTorch loader, a tf.data
    dataset), for the messages. ``replayed``: each ``train_loss`` must be the mean of the
    training losses recorded that epoch (``obs["steps"]``), not just positive."""
    entries = _history_entries(obs)
    if isinstance(entries, str):
        return failed(entries)
    for epoch, entry in enumerate(entries, start=1):
        message = num.first_non_finite(
            {k: entry[k] for k in ("train_loss", "test_loss", "test_accuracy")},
            f"in fit's history, epoch {epoch},",
            "training for 3 epochs",
        )
        if message:
            return failed(message)
    if [e["epoch"] for e in entries] != [1, 2, 3]:
        return failed(f"history epochs should be 1, 2, 3, got {[e['epoch'] for e in entries]}")
    tests = [e for e in obs["evaluations"] if e["loader"] == "test"]
    trains = [e for e in obs["evaluations"] if e["loader"] == "train"]
    if len(tests) < 3:
        return failed(
            f"fit should evaluate on the test {split} after every epoch; it did {len(tests)} "
            "time(s) in 3 epochs"
        )
    position = -1
    for epoch, entry in enumerate(entries, start=1):
        matches = [
            i
            for i, t in enumerate(tests)
            if i > position
            and num.close(entry["test_loss"], t["loss"], atol=1e-6)
            and num.close(entry["test_accuracy"], t["accuracy"], atol=1e-6)
        ]
        if not matches:
            if num.close_to_any(entry["test_loss"], [t["loss"] for t in trains], atol=1e-6):
                return failed(
                    f"the history's test metrics are those of the training {split}: train and "
                    "test are swapped"
                )
            return failed(
                f"epoch {epoch}: the history's test_loss/test_accuracy are not a test evaluation made after that epoch"
            )
        position = matches[0]
    if replayed:
        message = train_loss_problem(entries, obs["steps"])
        if message:
            return failed(message)
    elif not all(num.above(e["train_loss"], 0) for e in entries):
        return failed(
            "train_loss in the history should be the positive mean training loss of the epoch"
        )
    return passed()


def train_loss_problem(entries: list[dict[str, Any]], steps: list[list[list[Any]]]) -> str | None:
    """Is each epoch's ``train_loss`` the mean (over batches or over samples) of the training
    losses the probe recorded in that epoch (``steps``: per epoch, ``[loss, batch size]`` of each
    step)? The message names what the number is instead, where the grader can tell."""
    if len(steps) < len(entries) or any(not epoch for epoch in steps[: len(entries)]):
        return "fit trained on no batch in some epoch: every epoch trains on every batch"
    for i, entry in enumerate(entries):
        message = num.non_finite_message(
            f"in fit's history, epoch {i + 1}, 'train_loss'",
            entry["train_loss"],
            "training for 3 epochs",
            verb="is",
        )
        if message:
            return message
        if num.close_to_any(entry["train_loss"], _means(steps[i]), atol=1e-4):
            continue
        if i > 0 and num.close_to_any(
            entry["train_loss"], _means(sum(steps[: i + 1], [])), atol=1e-4
        ):
            return (
                f"epoch {i + 1}'s train_loss is the average since the first epoch: the training-loss "
                "metric is not reset between epochs. Call reset_state() at the start of each epoch."
            )
        if num.close(entry["train_loss"], entry.get("test_loss"), atol=1e-6):
            return (
                f"epoch {i + 1}'s train_loss is not the mean of that epoch's training losses: it "
                "is the epoch's test loss"
            )
        return f"epoch {i + 1}'s train_loss is not the mean of that epoch's step losses"
    return None


def _means(steps: list[list[Any]]) -> list[float]:
    """The mean of step losses over batches and over samples (both allowed)."""
    values = np.asarray([[np.nan if v is None else v for v in step] for step in steps], float)
    losses, sizes = values[:, 0], values[:, 1]
    return [float(losses.mean()), float((losses * sizes).sum() / sizes.sum())]


@functools.lru_cache(maxsize=4)
def digits_split(seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    """The digits as the probes split and standardise them (float32, the training split's
    statistics): train then test rows, flattened; their labels; the number of training rows."""
    from course_utils.data import digits_path, load_npz, stratified_split

    images, labels = load_npz(digits_path())
    train_idx, test_idx = stratified_split(labels, 0.2, seed % 1000)
    x = images.astype(np.float32)[..., None] / 255.0
    x = (x - x[train_idx].mean()) / x[train_idx].std()
    order = np.concatenate([train_idx, test_idx])
    return x[order].reshape(len(order), -1), labels[order].astype(np.int64), len(train_idx)


def _digits_test(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The test rows of ``digits_split`` (float64) and their labels."""
    x, labels, n_train = digits_split(seed)
    return x[n_train:].astype(np.float64), labels[n_train:]


def mlp_accuracy(weights: list[np.ndarray], seed: int) -> float | None:
    """Test accuracy, computed here, of the fit probes' trusted MLP (64 -> 64 ReLU -> 10) with
    the weights it ended with (``x @ w + b`` layouts), or None when they do not fit it."""
    x, y = _digits_test(seed)
    shapes = [(64, 64), (64,), (64, 10), (10,)]
    if len(weights) != 4 or [np.shape(w) for w in weights] != shapes:
        return None
    w1, b1, w2, b2 = (np.asarray(w, np.float64) for w in weights)
    logits = np.maximum(x @ w1 + b1, 0.0) @ w2 + b2
    if not num.finite(logits):
        return float("nan")
    return float((logits.argmax(1) == y).mean())


def fit_learns(obs: dict[str, Any], seed: int) -> Verdict:
    """The accuracy is the grader's, from the trusted model's weights after fit."""
    accuracy = mlp_accuracy(obs["weights"], seed)
    if accuracy is None:
        return failed("the trusted model's weights after fit do not have its layers' shapes")
    message = num.non_finite_message(
        "the test accuracy after `fit`",
        accuracy,
        "training a known-good model for 3 epochs",
        verb="is",
    )
    if message:
        return failed(message)
    if num.at_least(accuracy, 0.85):
        return passed()
    return failed(
        f"with a model, loss and optimizer known to work, fit reached only {accuracy:.1%} test "
        "accuracy on the digits after 3 epochs (a working loop reaches well over 90%): does it train "
        "every epoch, on every batch, with the optimizer it was given?"
    )


REPORT_KEYS = (
    "epochs",
    "train_loss",
    "train_accuracy",
    "test_loss",
    "test_accuracy",
    "generalization_gap",
)


def report_values(obs: dict[str, Any], seed: int) -> Verdict:
    if not obs.get("is_dict"):
        return failed(f"report should return a dict, got {obs.get('returned', {}).get('type')}")
    values = obs["values"]
    missing = [k for k in REPORT_KEYS if values.get(k) is None]
    if missing:
        return failed(f"report's dict lacks numeric {missing}")
    message = num.first_non_finite(
        {k: values[k] for k in REPORT_KEYS}, "`report`'s", "reporting known final metrics"
    )
    if message:
        return failed(message)
    train, test = inst.final_metrics(seed)
    if num.close(values["train_accuracy"], test["accuracy"], atol=1e-9) and num.close(
        values["test_accuracy"], train["accuracy"], atol=1e-9
    ):
        return failed(
            "train and test are swapped in the report: the training numbers are reported as test "
            "numbers. The test numbers are the ones that say how the model does on unseen data."
        )
    for split, metrics in (("train", train), ("test", test)):
        for key in ("loss", "accuracy"):
            if not num.close(values[f"{split}_{key}"], metrics[key], atol=1e-9):
                return failed(
                    f"report's {split}_{key} is not the {key} of the {split} metrics it was given"
                )
    gap = train["accuracy"] - test["accuracy"]
    if num.close(values["generalization_gap"], -gap, atol=1e-9):
        return failed(
            "the generalization gap has the wrong sign: it is train accuracy minus test accuracy"
        )
    if not num.close(values["generalization_gap"], gap, atol=1e-9):
        return failed("generalization_gap should be train accuracy minus test accuracy")
    if values["epochs"] != len(inst.history(seed)):
        return failed("report's epochs should be the number of entries in the history")
    return passed()


def _series(seed: int) -> dict[str, np.ndarray]:
    history = inst.history(seed)
    return {
        k: np.array([h[k] for h in history]) for k in ("train_loss", "test_loss", "test_accuracy")
    }


def plot_curves(obs: dict[str, Any], seed: int) -> Verdict:
    if not obs.get("is_figure"):
        return failed(
            f"plot_history should return a matplotlib Figure, got {obs.get('returned', {}).get('type')}"
        )
    ys = [np.asarray(line["y"]) for line in obs["lines"]]
    missing = []
    for name, series in _series(seed).items():
        scales = (1.0, 100.0) if name == "test_accuracy" else (1.0,)
        if not any(num.close(y, series * s, atol=1e-6, rtol=1e-5) for y in ys for s in scales):
            missing.append(name)
    if missing:
        return failed(
            f"the figure has no curve with the history's {', '.join(missing)} (one point per epoch)"
        )
    return passed()


TENSORBOARD_TAGS = {
    "train_loss": "loss/train",
    "test_loss": "loss/test",
    "test_accuracy": "accuracy/test",
}
"""The history key each TensorBoard tag of the contract holds."""


def tensorboard_scalars(obs: dict[str, Any], seed: int) -> Verdict:
    if not obs["n_files"]:
        return failed(
            "no TensorBoard event file was written under log_dir (use SummaryWriter(log_dir) and close it)"
        )
    scalars = {tag: np.asarray(points, np.float64) for tag, points in obs["scalars"].items()}
    epochs = np.asarray([h["epoch"] for h in inst.history(seed)], np.float64)
    missing, elsewhere, shifted = [], [], []
    for name, series in _series(seed).items():
        tag = TENSORBOARD_TAGS[name]
        found = {t: _series_steps(points, series) for t, points in scalars.items()}
        steps = found.get(tag)
        if steps is not None and np.array_equal(steps, epochs):
            continue
        if steps is not None:
            shifted.append(f"{tag!r} at steps {steps.astype(int).tolist()}")
        elif any(s is not None for s in found.values()):
            other = next(t for t, s in found.items() if s is not None)
            elsewhere.append(f"{name} under {other!r} instead of {tag!r}")
        else:
            missing.append(name)
    if missing:
        return failed(
            f"the event files hold no scalar series for {', '.join(missing)} with one value per "
            f"epoch (tags found, with their number of values: "
            f"{ {t: len(p) for t, p in sorted(scalars.items())[:6]} })"
        )
    if elsewhere:
        return failed(
            f"the history is logged under other tags than the contract's: {'; '.join(elsewhere)}. "
            "TensorBoard groups runs and dashboards by tag, so use the tags the docstring names."
        )
    if shifted:
        return failed(
            f"the scalars are logged at the wrong steps ({'; '.join(shifted)}), not at step = "
            f"epoch ({epochs.astype(int).tolist()}): the x axis must be the history's epoch "
            "number, not the position in the list"
        )
    return passed()


def _series_steps(points: np.ndarray, series: np.ndarray) -> np.ndarray | None:
    """The steps (in order) at which ``points`` (step, value) hold ``series``, or None."""
    if points.ndim != 2 or len(points) != len(series):
        return None
    order = np.argsort(points[:, 0], kind="stable")
    if not num.close(points[order, 1], series, atol=1e-5, rtol=1e-5):
        return None
    return points[order, 0]
