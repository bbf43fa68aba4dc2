"""Verdicts on models and optimizers that hold for any framework (grader side, numpy only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograder.hidden.base import Verdict, failed, passed
from autograder.hidden.common import numerics as num
from autograder.probes.common import instances as inst

WORDS = {
    "pytorch": {
        "model": "a torch.nn.Module",
        "optimizer": "a torch.optim optimizer",
        "call": "build_model(in_channels=3, num_classes=7)",
        "default": "build_model() with its defaults should map (N, 1, 8, 8) grey images to (N, 10) logits",
        "flatten": "x.flatten(1), x.view(x.size(0), -1) or nn.Flatten()",
        "inference": "in eval mode",
        "training": "in training mode",
        "loss": "CrossEntropyLoss applies log-softmax itself and expects raw logits",
        "make_optimizer": "make_optimizer(model, lr={lr})",
    },
    "tf2": {
        "model": "a keras.Model",
        "optimizer": "a keras optimizer",
        "call": "build_model(input_shape=(8, 8, 3), num_classes=7)",
        "default": "build_model() with its defaults should map (N, 8, 8, 1) grey images to (N, 10) logits",
        "flatten": "keras.layers.Flatten() or a reshape to (batch, -1)",
        "inference": "with training=False",
        "training": "with training=True",
        "loss": "SparseCategoricalCrossentropy(from_logits=True) applies the softmax itself and "
        "expects raw logits",
        "make_optimizer": "make_optimizer(lr={lr})",
    },
}
"""How the shared model verdicts speak of each framework's objects and calls."""


def model_shapes(obs: dict[str, Any], seed: int, framework: str = "pytorch") -> Verdict:
    w = WORDS[framework]
    if not obs.get("is_module"):
        return failed(
            f"build_model should return {w['model']}, got {obs.get('returned', {}).get('type')}"
        )
    broken, working = [], []
    for n, result in obs["shapes"].items():
        if "error" in result:
            broken.append(f"N={n}: {result['error']['type']}: {result['error']['message'][:120]}")
        elif result["out"].get("shape") != [int(n), 7]:
            broken.append(f"N={n}: output {result['out'].get('shape')}")
        else:
            working.append(n)
    if broken:
        hint = (
            f" It works for N={', '.join(working)} only: a batch size hard-coded in a view/reshape? "
            f"Flatten all but the batch axis ({w['flatten']})."
            if working
            else ""
        )
        return failed(
            f"{w['call']} should give (N, 7) logits for any batch size N; "
            f"got {'; '.join(broken[:3])}.{hint}"
        )
    default = obs["default"]
    if "error" in default or default["out"].get("shape") != [6, 10]:
        return failed(w["default"])
    return _rows_judged(obs, seed, framework) or passed()


def _rows_judged(obs: dict[str, Any], seed: int, framework: str) -> Verdict | None:
    """The evidence both the shape and the logits tests rest on: the logits of the batch of 13
    differ from row to row (the output depends on the image), and the batch of 26, the same
    images each twice in an order drawn from the seed, gets the same rows again. A table of
    numbers that no function of the images computed fails this; a model of any architecture in
    eval mode passes it (a sample-mixing one too: each image appears twice, the batch's
    statistics are those of the 13). None when it holds."""
    first, again = (obs["shapes"][n] for n in ("13", "26"))
    if "error" in first or "error" in again:
        return failed("the model could not be run on a batch (see the shape test)")
    message = rows_again_problem(
        first["values"],
        again["values"],
        seed,
        ("the model", "computing logits of a batch", "returned"),
        "the same 13 images, shuffled and each given twice as a batch of 26, did not get "
        f"their own logits again {WORDS[framework]['inference']}: the output for an image "
        "changes from call to call or with its place in the batch (dropout or noise active "
        "outside training, a state the forward pass changes, or a reshape that mixes the "
        "batch axis?)",
    )
    return failed(message) if message else None


def rows_again_problem(
    first: Any, again: Any, seed: int, naming: tuple[str, str, str], mismatch: str
) -> str | None:
    """Why the logits ``again`` of the batch of 26 (the 13 images of ``first`` each twice, in
    the order ``instances.rows_again`` draws) are not those of a function of the images: a
    non-finite value, the same row for every image, no (N, classes) shape, or (``mismatch``)
    rows that are not ``first``'s again. ``naming``: (what, doing, verb) for the non-finite
    message. None when they are. Shared by the PyTorch/TF2 model tests and TF1's feeds."""
    what, doing, verb = naming
    a, b = np.asarray(first, np.float64), np.asarray(again, np.float64)
    for values in (a, b):
        if message := num.non_finite_message(what, values, doing, verb=verb):
            return message
    if constant := constant_output(a):
        return constant
    rows = inst.rows_again(seed)
    if a.ndim != 2 or b.shape != (len(rows), a.shape[1]):
        return "the model's logits have no (N, classes) shape (see the shape test)"
    scale = max(1.0, float(np.abs(a).max()))
    return None if num.close(b, a[rows], atol=1e-4 * scale, rtol=1e-4) else mismatch


def constant_output(values: np.ndarray) -> str | None:
    """Why logits of a batch of different images that are all the same row show a model that
    ignores its input (None when they differ)."""
    if values.ndim != 2 or len(values) < 2:
        return None
    if num.close(values, np.broadcast_to(values[:1], values.shape), atol=1e-7, rtol=0):
        return (
            "the model gives the same logits for every image of the batch: its output does not "
            "depend on its input (a constant, a layer whose result is discarded, or an input "
            "multiplied by 0?), so it cannot learn"
        )
    return None


def model_logits(obs: dict[str, Any], seed: int, framework: str = "pytorch") -> Verdict:
    if not obs.get("is_module"):
        return failed("the model could not be run on a batch (see the shape test)")
    if judged := _rows_judged(obs, seed, framework):
        return judged
    values = np.asarray(obs["shapes"]["13"]["values"], np.float64)
    if (
        values.ndim == 2
        and num.at_least(values, 0)
        and num.close(values.sum(axis=1), 1.0, atol=1e-4, rtol=1e-5)
    ):
        return failed(
            "the model outputs probabilities (each row is >= 0 and sums to 1): it ends with a "
            f"softmax. {WORDS[framework]['loss']}; a second softmax flattens the gradients and "
            "training stalls."
        )
    return passed()


def model_batch_independent(obs: dict[str, Any], seed: int, framework: str = "pytorch") -> Verdict:
    if (
        not obs.get("is_module")
        or "error" in obs["batch"]
        or any("error" in s for s in obs["singles"])
    ):
        return failed("the model could not be run sample by sample (see the shape test)")
    batch = np.asarray(obs["batch"]["values"], np.float64)
    singles = np.concatenate([np.asarray(s["values"], np.float64) for s in obs["singles"]])
    doing = "computing logits of a batch and of its samples one by one"
    for what, values in (("the model (on the batch)", batch), ("the model (one by one)", singles)):
        if message := num.non_finite_message(what, values, doing):
            return failed(message)
    if constant := constant_output(batch):
        return failed(constant)
    if not num.close(batch, singles, atol=1e-4, rtol=1e-4):
        return failed(
            f"{WORDS[framework]['inference']}, a sample's logits depend on the other samples in "
            "its batch: the "
            "forward pass mixes samples (a reshape over the batch axis, or normalising over the batch?)"
        )
    return passed()


def model_gradients(obs: dict[str, Any], seed: int, framework: str = "pytorch") -> Verdict:
    if not obs.get("is_module"):
        return failed(f"build_model should return {WORDS[framework]['model']}")
    if judged := _train_mode_output(obs["train_out"], framework):
        return judged
    if obs["n_params"] == 0:
        return failed(
            "the model has no trainable parameters: layers must be attributes of the model (or in a Sequential)"
        )
    if obs["without_grad"]:
        return failed(
            f"no gradient reaches {obs['without_grad'][:3]}: part of the forward pass is cut from "
            "the graph (detach(), .numpy(), a new tensor made from an activation?) or the layer is unused"
        )
    if len(obs["zero_grad"]) == obs["n_params"]:
        return failed(
            "every parameter's gradient is exactly zero: the output does not depend on the "
            "parameters (an output multiplied by 0, or replaced by a constant?), so the model "
            "cannot learn"
        )
    if not obs["input_reached"]:
        return failed(
            "no gradient reaches the input: the model's output does not depend on the image (a "
            "constant, a learned bias alone, or an input multiplied by 0?), so it cannot learn "
            "anything about the images"
        )
    return passed()


def _train_mode_output(result: dict[str, Any], framework: str) -> Verdict | None:
    """The training-mode forward pass of 4 images (2 channels, 5 classes), the mode the shape
    tests never see: finite (4, 5) logits that differ between images. None when they are."""
    values = result.get("values")
    shape = None if values is None else list(np.shape(values))
    if shape != [4, 5]:
        return failed(
            f"{WORDS[framework]['training']} the model maps 4 images to "
            f"{shape or result['out'].get('type')}, "
            "not (4, 5) logits: a layer that behaves differently in training (dropout, "
            "batch norm, a branch on self.training / training=True) breaks the shape"
        )
    values = np.asarray(values, np.float64)
    if message := num.non_finite_message("the model in training mode", values, "a forward pass"):
        return failed(message)
    if constant := constant_output(values):
        return failed(f"{WORDS[framework]['training']}, {constant}")
    return None


def net_gradient(seed: int) -> np.ndarray:
    """The gradient of sum(outputs**2) for the PyTorch optimizer probe's small net
    (``instances.optimizer_net``), flat in ``model.parameters()`` order."""
    v = {k: a.astype(np.float64) for k, a in inst.optimizer_net(seed).items()}
    hidden = v["x"] @ v["w1"].T + v["b1"]
    out = np.maximum(hidden, 0.0) @ v["w2"].T + v["b2"]
    d_out = 2.0 * out
    d_hidden = (d_out @ v["w2"]) * (hidden > 0)
    parts = [d_hidden.T @ v["x"], d_hidden.sum(0), d_out.T @ np.maximum(hidden, 0.0), d_out.sum(0)]
    return np.concatenate([p.ravel() for p in parts])


def variable_gradient(seed: int) -> np.ndarray:
    """The gradient the TF2 optimizer probe applies (``instances.optimizer_variable``)."""
    return inst.optimizer_variable(seed)[1].astype(np.float64)


def steps_descend(obs: dict[str, Any], grad: np.ndarray) -> str | None:
    """Why the optimizer's first steps (runs a and b) are no descent along the gradient the
    grader computed, or None."""
    for run in ("a", "b"):
        step = np.asarray(obs[run]["step"], np.float64)
        if message := num.non_finite_message("optimizer.step()", step, "one step on known values"):
            return message
        if step.shape != grad.shape or not np.any(step != 0):
            return (
                "after the gradients and one optimizer step no parameter changed: the optimizer "
                "holds other parameters, or step() did nothing"
            )
        if not num.descends(step, grad):
            return (
                "the optimizer's step did not move the parameters against their gradients (the "
                "grader knows them: the weights and the batch come from the test's seed): a step "
                "that ignores the gradients (a constant added, the wrong sign?) does not descend "
                "the loss"
            )
    return None


def optimizer_lr(
    obs: dict[str, Any],
    seed: int,
    gradient: Callable[[int], np.ndarray],
    framework: str = "pytorch",
) -> Verdict:
    """The learning rates are the grader's (``instances.OPTIMIZER_LRS``): the first step with lr
    b must be b/a times the step with lr a, and both must descend the gradient the grader
    computes. What param_groups report only words the message."""
    if not obs.get("is_optimizer") or "a" not in obs:
        return failed(f"make_optimizer should return {WORDS[framework]['optimizer']}")
    lrs = inst.OPTIMIZER_LRS
    for run, lr in lrs.items():
        reported = obs[run]["lrs"]
        if not reported or not num.close(reported, lr, atol=1e-8, rtol=1e-5):
            return failed(
                f"{WORDS[framework]['make_optimizer'].format(lr=lr)} built an optimizer with lr "
                f"{sorted(set(reported))}: the lr argument is ignored (a hard-coded learning rate?)"
            )
    if message := steps_descend(obs, gradient(seed)):
        return failed(message)
    step_a, step_b = (np.asarray(obs[run]["step"], np.float64) for run in ("a", "b"))
    ratio = lrs["b"] / lrs["a"]
    # a step measured on float32 parameters (|p| < 8 here) carries up to half their ulp (5e-7),
    # which the ratio multiplies
    atol = 1e-6 + ratio * 5e-7
    if step_a.shape != step_b.shape or not num.close(step_b, step_a * ratio, atol=atol, rtol=1e-3):
        return failed(
            f"on the same values, the first step with lr={lrs['b']} is not {ratio:.3g}x the step "
            f"with lr={lrs['a']}: the optimizer does not use the learning rate it reports"
        )
    return passed()
