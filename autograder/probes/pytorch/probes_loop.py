"""Probes for the ``train`` and ``report`` steps (worker side)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from autograder.probes.common import instances as inst
from autograder.probes.common import probes_report
from autograder.probes.pytorch.probes_nn import placement_run
from autograder.probes.pytorch.spies import SpyLinear, as_float, describe, loader, to_numpy
from autograder.worker.probe_api import ProbeContext, trusted_code

SGD_LR = 0.5


def _sgd_epoch(
    ctx: ProbeContext, n: int, training: bool, events: list[str] | None = None
) -> dict[str, Any]:
    """train_one_epoch with plain SGD on the linear spy model (mode set by ``training``) over the
    first ``n`` samples of the seed's linear problem, in batches of 5: what it returned and the
    parameters after it. With ``events``, log into it in order each backward pass that reached
    the weight and each step, with or without a gradient to apply (for messages only)."""
    x, y, weight, bias = inst.linear_problem(ctx.seed)
    model = SpyLinear(weight, bias)
    model.train(training)
    opt = torch.optim.SGD(model.parameters(), lr=SGD_LR)
    if events is not None:
        model.linear.weight.register_hook(lambda grad: events.append("backward"))
        opt.register_step_pre_hook(lambda optimizer, *_: events.append(_step_event(optimizer)))
    returned = ctx.call(
        "train_one_epoch",
        model,
        loader(x[:n], y[:n], batch_size=5),
        nn.CrossEntropyLoss(),
        opt,
        torch.device("cpu"),
    )
    return {
        "returned": describe(returned),
        "value": as_float(returned),
        "weight": to_numpy(model.linear.weight),
        "bias": to_numpy(model.linear.bias),
    }


def _step_event(optimizer: torch.optim.Optimizer) -> str:
    grads = [p.grad for group in optimizer.param_groups for p in group["params"]]
    moved = any(g is not None and bool(g.abs().max() > 0) for g in grads)
    return "step" if moved else "step without gradient"


def train_sgd(ctx: ProbeContext) -> dict[str, Any]:
    """One epoch (12 samples) in train mode: the parameters after it tell how gradients were
    handled (the grader replays correct and mistaken variants in numpy); the mode is
    train_mode's to probe. The events only word a failure."""
    events: list[str] = []
    return {**_sgd_epoch(ctx, 12, training=True, events=events), "events": events[:200]}


def train_mode(ctx: ProbeContext) -> dict[str, Any]:
    """One batch of train_one_epoch on the spy model left in eval mode, as evaluate() leaves
    it: the loss of that batch (computed before any step, so however gradients are handled) and
    the parameters after the step show, through the spy's train-mode gain, which mode it ran."""
    return _sgd_epoch(ctx, 5, training=False)


def train_placement(ctx: ProbeContext) -> dict[str, Any]:
    return placement_run(ctx, "train_one_epoch")


def fit_placement(ctx: ProbeContext) -> dict[str, Any]:
    return placement_run(ctx, "fit")


def _digits_tensors(seed: int) -> tuple[torch.Tensor, ...]:
    from course_utils.data import digits_path, load_npz, stratified_split

    images, labels = load_npz(digits_path())
    train_idx, test_idx = stratified_split(labels, 0.2, seed)
    x = images.astype(np.float32)[:, None] / 255.0  # (N, 8, 8) -> (N, 1, 8, 8)
    mean, std = x[train_idx].mean(), x[train_idx].std()
    x = (x - mean) / std
    y = labels.astype(np.int64)
    return (
        torch.from_numpy(x[train_idx]),
        torch.from_numpy(y[train_idx]),
        torch.from_numpy(x[test_idx]),
        torch.from_numpy(y[test_idx]),
    )


class _StepLosses(nn.CrossEntropyLoss):
    """The loss fit is given: records each training call's loss and batch size, one list per
    epoch (an evaluation logged since the last call starts a new one), for the grader to check
    the history's ``train_loss`` against. Bounded: a loop gone wild records no more."""

    def __init__(self, evaluations: list[dict[str, Any]]) -> None:
        super().__init__()
        self.evaluations, self.seen = evaluations, -1
        self.epochs: list[list[list[float | int | None]]] = []

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        loss = super().forward(logits, target)
        if torch.is_grad_enabled() and sum(map(len, self.epochs)) < 2_000:
            if len(self.evaluations) != self.seen:
                self.seen = len(self.evaluations)
                self.epochs.append([])
            self.epochs[-1].append([as_float(loss.detach()), int(target.shape[0])])
        return loss


def fit_run(ctx: ProbeContext, trusted: str) -> dict[str, Any]:
    """fit() with a trusted model, loss, optimizer and evaluate (its source comes with the
    request: ``hidden/common/trusted.py``), on the digits: does it learn, and does its history
    say what happened?"""
    torch.manual_seed(ctx.seed % 2**31)
    x_train, y_train, x_test, y_test = _digits_tensors(ctx.seed % 1000)
    gen = torch.Generator().manual_seed(ctx.seed % 2**31)
    train_loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x_train, y_train), batch_size=32, shuffle=True, generator=gen
    )
    test_loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x_test, y_test), batch_size=128
    )
    hidden, out = nn.Linear(64, 64), nn.Linear(64, 10)
    model = nn.Sequential(nn.Flatten(), hidden, nn.ReLU(), out)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    log: list[dict[str, float]] = []
    loaders = {"train": train_loader, "test": test_loader}
    # fit looks `evaluate` up in its module at call time: the trusted one stands in
    stand_ins = trusted_code(trusted, torch=torch, nn=nn)
    vars(ctx.module)["evaluate"] = stand_ins["pytorch_evaluate"](log, loaders)
    loss_fn = _StepLosses(log)
    cpu = torch.device("cpu")
    history = ctx.call("fit", model, train_loader, test_loader, loss_fn, opt, cpu, 3)
    entries = []
    if isinstance(history, list | tuple):
        for entry in history:
            if isinstance(entry, dict):
                entries.append({str(k): as_float(v) for k, v in entry.items()})
            else:
                entries.append({"__type__": describe(entry)["type"]})
    return {
        "history_type": describe(history)["type"],
        "entries": entries if isinstance(history, list | tuple) else None,
        "evaluations": log,
        "steps": loss_fn.epochs,
        "weights": [  # the grader computes the test accuracy from them (x @ w + b layouts)
            hidden.weight.detach().numpy().T.copy(),
            hidden.bias.detach().numpy().copy(),
            out.weight.detach().numpy().T.copy(),
            out.bias.detach().numpy().copy(),
        ],
    }


PROBES = {
    **probes_report.PROBES,
    "train_sgd": train_sgd,
    "train_mode": train_mode,
    "train_placement": train_placement,
    "fit_placement": fit_placement,
    "fit_run": fit_run,
}
