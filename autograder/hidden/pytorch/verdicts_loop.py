"""Verdicts for placement, the ``train`` step and the ``report`` step (grader side, numpy only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from autograder.hidden.base import Verdict, failed, passed
from autograder.hidden.common import numerics as num
from autograder.probes.common import instances as inst

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


def machine_has_cuda() -> bool:
    """Does the grader's own machine have an NVIDIA GPU? A placement reply that says its target
    was CUDA is believed only there (the worker runs on this machine)."""
    return Path("/proc/driver/nvidia/version").exists()


def foreign_target(target: str, what: str) -> str | None:
    """Why a reply's target device is not one this machine sends probes to (None if it is):
    the emulated device's ``meta`` anywhere, CUDA only where the grader sees an NVIDIA GPU."""
    if target == "meta" or (target == "cuda" and machine_has_cuda()):
        return None
    return (
        f"the {what} run reported the target {target!r}, which is not where this machine sends "
        "it: the probe's reply was not its own"
    )


EMULATED_NOTE = (
    "while grading, device='meta' is an emulated device that keeps float32 values with "
    f"{inst.MANTISSA_BITS} mantissa bits, so the values show whether a copy was made there"
)
"""Said with every verdict the emulated device decides (pytorch placement, bridge ``place``)."""

_ON_EMULATED = (
    "(this check runs {function} with device='meta'; " + EMULATED_NOTE + ". It computes and "
    "refuses to mix its tensors with CPU ones as a GPU does)"
)


def placement(obs: dict[str, Any], seed: int, function: str) -> Verdict:
    """Where did batches, labels and parameters meet the model, and how did the run end?

    On the emulated device (target ``meta``) the decision rests on values: the spies record
    what the model and the loss saw, and only copies made on the device carry its rounding
    (``instances.device_round``), which the grader applies to the seed's problem itself."""
    target, ended = obs["target"], obs["ended"]
    if problem := foreign_target(target, "placement"):
        return failed(problem)
    where = (
        _ON_EMULATED.format(function=function)
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
    if target == "meta":
        problem = _placed_values(first, losses, seed, function, where)
        if problem:
            return failed(problem)
    else:
        if _kind(first["param_device"]) != target:
            return failed(
                _MODEL_NOT_MOVED.format(
                    got=first["param_device"], target=target, function=function, where=where
                )
            )
        if _kind(first["input_device"]) != target:
            return failed(
                _BATCH_NOT_MOVED.format(got=first["input_device"], target=target, where=where)
            )
    if function == "fit":
        # fit's own part is moving the model before its first step; the batches and the loss of
        # later steps are train_one_epoch's and evaluate's, graded by their own tests
        return passed()
    if not losses and not ended:
        return failed(
            f"{function} ran the model but never computed the loss with the loss_fn it was given: "
            "the batches' targets never met the outputs, so nothing was evaluated or learned"
        )
    if losses and _kind(losses[0]["targets_device"]) != target and target == "cuda":
        return failed(_TARGETS_NOT_MOVED.format(got=losses[0]["targets_device"], where=where))
    if ended and any(s in message for s in _MISMATCH):
        return failed(
            "after the forward pass, a tensor on the default device met one on the target device: "
            f"a tensor made inside the loop (torch.zeros, torch.tensor, ...) without device=... {where}"
        )
    if ended:
        return failed(f"{function} raised {ended.get('type')}: {message[:200]} {where}")
    return passed()


_MODEL_NOT_MOVED = (
    "the model's parameters were on {got!r} while device={target!r} was given: {function} should "
    "move the model with model.to(device) {where}"
)
_BATCH_NOT_MOVED = (
    "the batch reached the model on {got!r} although device={target!r} was given: the batch was "
    "never moved (x.to(device)), or a device was hard-coded. {where}"
)
_TARGETS_NOT_MOVED = (
    "the targets reached the loss on {got!r}: move y to the device, and create tensors made from "
    "it (one-hot targets, masks...) with device=..., not on the default device {where}"
)


def _where(seen: Any, cpu_values: np.ndarray, said: str) -> str:
    """Where values the spy saw were, as far as their values tell: the CPU when they are the
    unrounded values, nowhere when there were none (a real meta tensor), else other values."""
    if num.close(seen, cpu_values.astype(np.float64)):
        return "cpu"
    if seen is None:
        return f"{said} (holding no values)"
    return f"{said} (holding values that are not the ones given)"


def _placed_values(
    first: dict[str, Any], losses: list[dict[str, Any]], seed: int, function: str, where: str
) -> str | None:
    """Why the values the spies saw were not computed on the emulated device (None if they were)."""
    x, y, weight, bias = inst.linear_problem(seed)
    on_device = [inst.device_round(a) for a in (x, weight, bias)]
    dx, dw, db = (a.astype(np.float64) for a in on_device)
    if not (num.close(first.get("weight"), dw) and num.close(first.get("bias"), db)):
        got = _where(first.get("weight"), weight, first["param_device"])
        return _MODEL_NOT_MOVED.format(got=got, target="meta", function=function, where=where)
    batches = [slice(i, i + 4) for i in range(0, len(x), 4)]
    rows = next(
        (b for b in batches if num.close(first.get("input"), dx[b])),
        None,
    )
    if rows is None:
        raw = next((x[b] for b in batches if num.close(first.get("input"), x[b])), x[:4])
        got = _where(first.get("input"), raw, first["input_device"])
        return _BATCH_NOT_MOVED.format(got=got, target="meta", where=where)
    if not losses:
        return None
    value = losses[0].get("value")
    logits = dx[rows].reshape(len(dx[rows]), -1) @ dw.T + db
    gains = {inst.spy_gain(t, g) for t in (False, True) for g in (False, True)}
    wants = [num.cross_entropy(logits * gain, y[rows]) for gain in gains]
    if not num.close_to_any(value, wants, rtol=1e-4, atol=1e-6):
        return _TARGETS_NOT_MOVED.format(got=losses[0]["targets_device"], where=where)
    return None


def evaluate_placement(obs: dict[str, Any], seed: int) -> Verdict:
    return placement(obs, seed, "evaluate")


def train_placement(obs: dict[str, Any], seed: int) -> Verdict:
    return placement(obs, seed, "train_one_epoch")


def fit_placement(obs: dict[str, Any], seed: int) -> Verdict:
    return placement(obs, seed, "fit")


# -- train ------------------------------------------------------------------------------------


TRAIN_MODE = inst.spy_gain(training=True, grad_enabled=True)
"""The spy's gain in a correct training step; ``EVAL_MODE``: left in eval mode, autograd on."""
EVAL_MODE = inst.spy_gain(training=False, grad_enabled=True)
_VARIANTS = ("correct", "accumulate", "zero_before_step")


def _replays(seed: int, gain: float) -> dict[str, tuple]:
    x, y, weight, bias = inst.linear_problem(seed)
    return {v: num.sgd_epoch(x, y, weight, bias, SGD_LR, 5, v, gain) for v in _VARIANTS}


def _matching(obs: dict[str, Any], seed: int) -> tuple[str, float] | None:
    """(variant, gain) of the replay the parameters after the epoch match, if any. A model
    trained in eval mode follows other steps (its logits lack the training gain): its mode shows
    in the parameters. Unchanged parameters (``zero_before_step``) match in both modes."""
    got_w, got_b = np.asarray(obs["weight"], np.float64), np.asarray(obs["bias"], np.float64)
    for gain in (TRAIN_MODE, EVAL_MODE):
        for variant, (w, b, _, _) in _replays(seed, gain).items():
            if num.close(got_w, w, atol=1e-4, rtol=1e-5) and num.close(
                got_b, b, atol=1e-4, rtol=1e-5
            ):
                return variant, gain
    return None


def _matching_variant(obs: dict[str, Any], seed: int) -> str | None:
    """The gradient handling the parameters show, in whichever mode the model trained (the mode
    is ``train_restores_train_mode``'s to judge)."""
    found = _matching(obs, seed)
    return found[0] if found else None


def _non_finite_parameters(obs: dict[str, Any]) -> str | None:
    doing = "training a linear model with known weights for one epoch"
    for name in ("weight", "bias"):
        message = num.non_finite_message(
            f"the model's {name} after `train_one_epoch`", obs[name], doing, verb="is"
        )
        if message:
            return message
    return None


def train_zero_grad(obs: dict[str, Any], seed: int) -> Verdict:
    if message := _non_finite_parameters(obs):
        return failed(message)
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
        return failed(_why_unchanged(obs.get("events", [])))
    return failed(
        "after one epoch the parameters are not those of one optimizer step per batch: are batches "
        "skipped, is step() or backward() called twice, or is the loss computed on something else?"
    )


def _why_unchanged(events: list[str]) -> str:
    """Why the parameters never moved, from the order of backward passes and steps the probe
    logged (wording only: the points rest on the parameters)."""
    steps = [e for e in events if e.startswith("step")]
    if not steps:
        return "the parameters never changed: optimizer.step() was never called"
    if "backward" not in events:
        return (
            "the parameters never changed: no gradient reached them, so every step() had "
            "nothing to apply. The loss does not depend on the parameters through the graph "
            "(logits detached, turned into numbers with .item()/.numpy(), or rebuilt as a new "
            "tensor?), or backward() was never called"
        )
    if events[0].startswith("step"):
        return (
            "the parameters never changed: optimizer.step() comes before loss.backward() in "
            "each batch, so it finds the gradients zero_grad() has just cleared. Call "
            "backward() first, then step()"
        )
    return (
        "the parameters never changed: the gradients were zeroed between backward() and step(). "
        "Zero before backward(), or after step()."
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
    message = num.non_finite_message(
        "`train_one_epoch`",
        obs["value"],
        "training a linear model with known weights for one epoch",
    )
    if message:
        return failed(message)
    variant, gain = _matching(obs, seed) or ("correct", TRAIN_MODE)
    _, _, losses, sizes = _replays(seed, gain)[variant]
    by_sample = float((losses * sizes).sum() / sizes.sum())
    by_batch = float(losses.mean())
    if num.close_to_any(obs["value"], (by_sample, by_batch), atol=1e-4):
        return passed()
    if num.close(obs["value"], float((losses * sizes).sum()), atol=1e-3) or num.close(
        obs["value"], float(losses.sum()), atol=1e-4
    ):
        return failed("train_one_epoch returned the sum of the losses, not their mean")
    return failed(
        f"the returned mean training loss {obs['value']:.4f} is not the mean of the losses of the epoch's batches"
    )


_EVAL_MODE_TRAINING = (
    "training ran with the model in eval mode: evaluate() switched it to eval() and train() mode "
    "was never restored, so dropout and batch norm behave as at test time (this check's model "
    "computes differently in the two modes). Call model.train() at the start of each epoch."
)


def _one_batch_mode(obs: dict[str, Any], seed: int) -> float | None:
    """The spy's gain in the probe's one-batch epoch: from the returned loss (the batch's loss
    before any step: a mean or a sum), else from the parameters after one SGD step."""
    x, y, weight, bias = inst.linear_problem(seed)
    x, y = x[:5], y[:5]
    for gain in (TRAIN_MODE, EVAL_MODE):
        logits = gain * (x.reshape(5, -1).astype(np.float64) @ weight.T + bias)
        loss = num.cross_entropy(logits, y)
        if num.close_to_any(obs["value"], (loss, loss * 5), atol=1e-5):
            return gain
    for gain in (TRAIN_MODE, EVAL_MODE):
        w, b, _, _ = num.sgd_epoch(x, y, weight, bias, SGD_LR, 5, "correct", gain)
        if num.close(obs["weight"], w, atol=1e-5) and num.close(obs["bias"], b, atol=1e-5):
            return gain
    return None


def train_mode(obs: dict[str, Any], seed: int) -> Verdict:
    """One batch from eval mode, as evaluate() leaves the model: the spy's logits carry a gain
    in train mode only, so the batch's loss (computed before any step, whatever the gradient
    handling) or the parameters after the step show the mode it trained in."""
    gain = _one_batch_mode(obs, seed)
    if gain is None:
        return failed(
            "on one batch, neither the returned loss nor the parameters after the step are those "
            "of the model in train or in eval mode, so the mode cannot be told: fix what the other "
            "train checks report first (model.train() at the start of each epoch is what this "
            "check looks for)"
        )
    if gain == EVAL_MODE:
        return failed(_EVAL_MODE_TRAINING)
    return passed()


# -- report -----------------------------------------------------------------------------------
