"""Verdicts for placement, the ``train`` step and the ``report`` step (grader side, numpy only)."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograder.hidden.base import Verdict, failed, passed
from autograder.hidden.pytorch import instances as inst
from autograder.hidden.pytorch import numerics as num

SGD_LR = 0.5  # must match probes_loop.SGD_LR
_MISMATCH = (
    "same device",
    "expected device",
    "two devices",
    "Expected object of device",
    "device type",
)
_CUDA = ("CUDA", "cuda", "NVIDIA")


def _kind(device: str) -> str:
    return str(device).split(":")[0]


def device_error_hint(info: dict[str, Any]) -> str | None:
    """Name the misconception behind a device-related exception, if it is one."""
    message = str(info.get("message", ""))
    if any(s in message for s in _MISMATCH):
        return (
            "two tensors on different devices met in one operation: a batch or a new tensor "
            "(torch.zeros, torch.tensor, torch.arange...) is on the default device while the model "
            "is elsewhere. Move batches with .to(device) and create new tensors with device=..."
        )
    if any(s in message for s in _CUDA):
        return "a hard-coded 'cuda' device: use the device you are given, so the code runs without a GPU too"
    return None


def placement(obs: dict[str, Any], function: str) -> Verdict:
    """Where did batches, labels and parameters meet the model, and how did the run end?"""
    target, ended = obs["target"], obs["ended"]
    where = (
        f"(this check runs {function} with device='meta', PyTorch's device without data, which "
        "catches placement bugs on a machine without a GPU)"
        if target == "meta"
        else f"(this check runs {function} on the GPU)"
    )
    message = str((ended or {}).get("message", ""))
    if ended and any(s in message for s in _CUDA) and target != "cuda":
        return failed(
            f"{function} used CUDA although it was given device={target!r}: a hard-coded 'cuda'? {where}"
        )
    forwards, losses = obs["forwards"], obs["losses"]
    if not forwards:
        if ended:
            hint = device_error_hint(ended) or f"{ended.get('type')}: {message[:160]}"
            return failed(f"{function} stopped before running the model: {hint} {where}")
        return failed(f"{function} never ran the model on the loader's batches")
    first = forwards[0]
    if _kind(first["param_device"]) != target:
        return failed(
            f"the model's parameters were on {first['param_device']!r} while device={target!r} was "
            f"given: {function} should move the model with model.to(device) {where}"
        )
    if _kind(first["input_device"]) != target:
        return failed(
            f"the batch reached the model on {first['input_device']!r} although device={target!r} "
            "was given: the batch was never moved (x.to(device)), or a device was hard-coded. "
            f"{where}"
        )
    if losses and _kind(losses[0]["targets_device"]) != target:
        return failed(
            f"the targets reached the loss on {losses[0]['targets_device']!r}: move y to the device, "
            "and create tensors made from it (one-hot targets, masks...) with device=..., not on "
            f"the default device {where}"
        )
    if ended and any(s in message for s in _MISMATCH):
        return failed(
            "after the forward pass, a tensor on the default device met one on the target device: "
            f"a tensor made inside the loop (torch.zeros, torch.tensor, ...) without device=... {where}"
        )
    benign = target == "meta" and "meta" in message
    if ended and not benign:
        return failed(f"{function} raised {ended.get('type')}: {message[:200]} {where}")
    return passed()


def evaluate_placement(obs: dict[str, Any], seed: int) -> Verdict:
    return placement(obs, "evaluate")


def train_placement(obs: dict[str, Any], seed: int) -> Verdict:
    return placement(obs, "train_one_epoch")


def fit_placement(obs: dict[str, Any], seed: int) -> Verdict:
    return placement(obs, "fit")


# -- train ------------------------------------------------------------------------------------


def _replays(seed: int) -> dict[str, tuple]:
    x, y, weight, bias = inst.linear_problem(seed)
    return {
        variant: num.sgd_epoch(x, y, weight, bias, SGD_LR, 5, variant)
        for variant in ("correct", "accumulate", "zero_before_step")
    }


def _matching_variant(obs: dict[str, Any], seed: int) -> str | None:
    got_w, got_b = np.asarray(obs["weight"], np.float64), np.asarray(obs["bias"], np.float64)
    for variant, (w, b, _, _) in _replays(seed).items():
        if np.allclose(got_w, w, atol=1e-4) and np.allclose(got_b, b, atol=1e-4):
            return variant
    return None


def train_zero_grad(obs: dict[str, Any], seed: int) -> Verdict:
    variant = _matching_variant(obs, seed)
    if variant == "correct":
        return passed()
    if variant == "accumulate":
        return failed(
            "gradients accumulate across batches: backward() adds into .grad, and the parameters "
            "moved as if every step used the sum of all gradients so far. Call optimizer.zero_grad() "
            "once per batch (not never, not once per epoch)."
        )
    if variant == "zero_before_step":
        return failed(
            "the parameters never changed: the gradients were zeroed between backward() and step() "
            "(or step() was never called). Zero before backward(), or after step()."
        )
    return failed(
        "after one epoch the parameters are not those of one optimizer step per batch: are batches "
        "skipped, is step() or backward() called twice, or is the loss computed on something else?"
    )


def train_mean_loss(obs: dict[str, Any], seed: int) -> Verdict:
    returned = obs["returned"]
    if returned.get("kind") == "tensor" and returned.get("has_graph"):
        return failed(
            "train_one_epoch returned a tensor that still carries a graph: the loss tensors were "
            "summed with their graphs, which keeps every batch's graph alive until the end of the "
            "epoch. Accumulate loss.item() instead."
        )
    if obs["value"] is None:
        return failed(
            f"train_one_epoch should return the mean loss as a float, got {returned.get('type')}"
        )
    variant = _matching_variant(obs, seed) or "correct"
    _, _, losses, sizes = _replays(seed)[variant]
    by_sample = float((losses * sizes).sum() / sizes.sum())
    by_batch = float(losses.mean())
    if min(abs(obs["value"] - by_sample), abs(obs["value"] - by_batch)) < 1e-4:
        return passed()
    if (
        abs(obs["value"] - float((losses * sizes).sum())) < 1e-3
        or abs(obs["value"] - float(losses.sum())) < 1e-4
    ):
        return failed("train_one_epoch returned the sum of the losses, not their mean")
    return failed(
        f"the returned mean training loss {obs['value']:.4f} is not the mean of the losses of the epoch's batches"
    )


def train_mode(obs: dict[str, Any], seed: int) -> Verdict:
    if not obs["calls"]:
        return failed("train_one_epoch never ran the model")
    if not all(c["training"] for c in obs["calls"]):
        return failed(
            "training ran with the model in eval mode: evaluate() switched it to eval() and "
            "train() mode was never restored, so dropout and batch norm behave as at test time. "
            "Call model.train() at the start of each epoch."
        )
    return passed()


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


def fit_history(obs: dict[str, Any], seed: int) -> Verdict:
    entries = _history_entries(obs)
    if isinstance(entries, str):
        return failed(entries)
    if [e["epoch"] for e in entries] != [1, 2, 3]:
        return failed(f"history epochs should be 1, 2, 3, got {[e['epoch'] for e in entries]}")
    tests = [e for e in obs["evaluations"] if e["loader"] == "test"]
    trains = [e for e in obs["evaluations"] if e["loader"] == "train"]
    if len(tests) < 3:
        return failed(
            f"fit should evaluate on the test loader after every epoch; it did {len(tests)} time(s) in 3 epochs"
        )
    position = -1
    for epoch, entry in enumerate(entries, start=1):
        matches = [
            i
            for i, t in enumerate(tests)
            if i > position
            and abs(entry["test_loss"] - t["loss"]) < 1e-6
            and abs(entry["test_accuracy"] - t["accuracy"]) < 1e-6
        ]
        if not matches:
            if any(abs(entry["test_loss"] - t["loss"]) < 1e-6 for t in trains):
                return failed(
                    "the history's test metrics are those of the training loader: train and test are swapped"
                )
            return failed(
                f"epoch {epoch}: the history's test_loss/test_accuracy are not a test evaluation made after that epoch"
            )
        position = matches[0]
    if not all(np.isfinite(e["train_loss"]) and e["train_loss"] > 0 for e in entries):
        return failed(
            "train_loss in the history should be the positive mean training loss of the epoch"
        )
    return passed()


def fit_learns(obs: dict[str, Any], seed: int) -> Verdict:
    accuracy = obs["final_accuracy"]
    if accuracy >= 0.85:
        return passed()
    return failed(
        f"with a model, loss and optimizer known to work, fit reached only {accuracy:.1%} test "
        "accuracy on the digits after 3 epochs (a working loop reaches well over 90%): does it train "
        "every epoch, on every batch, with the optimizer it was given?"
    )


# -- report -----------------------------------------------------------------------------------

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
    train, test = inst.final_metrics(seed)
    if (
        abs(values["train_accuracy"] - test["accuracy"]) < 1e-9
        and abs(values["test_accuracy"] - train["accuracy"]) < 1e-9
    ):
        return failed(
            "train and test are swapped in the report: the training numbers are reported as test "
            "numbers. The test numbers are the ones that say how the model does on unseen data."
        )
    for split, metrics in (("train", train), ("test", test)):
        for key in ("loss", "accuracy"):
            if abs(values[f"{split}_{key}"] - metrics[key]) > 1e-9:
                return failed(
                    f"report's {split}_{key} is not the {key} of the {split} metrics it was given"
                )
    gap = train["accuracy"] - test["accuracy"]
    if abs(values["generalization_gap"] + gap) < 1e-9:
        return failed(
            "the generalization gap has the wrong sign: it is train accuracy minus test accuracy"
        )
    if abs(values["generalization_gap"] - gap) > 1e-9:
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
        if not any(
            y.shape == series.shape and np.allclose(y, series * s, atol=1e-6)
            for y in ys
            for s in scales
        ):
            missing.append(name)
    if missing:
        return failed(
            f"the figure has no curve with the history's {', '.join(missing)} (one point per epoch)"
        )
    return passed()


def tensorboard_scalars(obs: dict[str, Any], seed: int) -> Verdict:
    if not obs["n_files"]:
        return failed(
            "no TensorBoard event file was written under log_dir (use SummaryWriter(log_dir) and close it)"
        )
    scalars = {tag: np.asarray(points, np.float64) for tag, points in obs["scalars"].items()}
    missing = []
    for name, series in _series(seed).items():
        found = False
        for points in scalars.values():
            if points.ndim != 2 or len(points) != len(series):
                continue
            order = np.argsort(points[:, 0], kind="stable")
            steps, values = points[order, 0], points[order, 1]
            if np.allclose(values, series, atol=1e-5) and (
                np.array_equal(steps, np.arange(1, len(series) + 1))
                or np.array_equal(steps, np.arange(len(series)))
            ):
                found = True
        if not found:
            missing.append(name)
    if missing:
        return failed(
            f"the event files hold no scalar series for {', '.join(missing)} with one value per "
            f"epoch (tags found: {sorted(scalars)[:6]})"
        )
    return passed()
