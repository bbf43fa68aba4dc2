"""Probes for the ``model``, ``loss_opt`` and ``metric`` steps (worker side)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any
from unittest import mock

import torch
from torch import nn

from autograder.probes.common import instances as inst
from autograder.probes.common.observe import evaluation
from autograder.probes.pytorch import emulated
from autograder.probes.pytorch.spies import (
    SpyLinear,
    SpyLoss,
    as_float,
    describe,
    loader,
    placed,
    target_device,
    to_numpy,
)
from autograder.worker.probe_api import LearnerError, ProbeContext, describe_exception


def _device_type(value: Any) -> str:
    try:
        return torch.device(value).type
    except (TypeError, RuntimeError, ValueError):
        return f"not a device: {describe(value)['type']}"


def get_device_real(ctx: ProbeContext) -> dict[str, Any]:
    return {
        "cuda_available": torch.cuda.is_available(),
        "default": _device_type(ctx.call("get_device")),
        "no_gpu_wanted": _device_type(ctx.call("get_device", prefer_gpu=False)),
    }


@contextlib.contextmanager
def _pretend_gpu() -> Iterator[None]:
    """Make every usual "is there a GPU?" question answer yes, without touching a GPU."""
    patches: list[Any] = [
        mock.patch.object(torch.cuda, "is_available", lambda: True),
        mock.patch.object(torch.cuda, "device_count", lambda: 1),
    ]
    accel = getattr(torch, "accelerator", None)
    if accel is not None:
        if hasattr(accel, "is_available"):
            patches.append(mock.patch.object(accel, "is_available", lambda: True))
        if hasattr(accel, "current_accelerator"):
            patches.append(
                mock.patch.object(
                    accel, "current_accelerator", lambda *a, **k: torch.device("cuda")
                )
            )
    with contextlib.ExitStack() as stack:
        for patch in patches:
            stack.enter_context(patch)
        yield


def get_device_pretend_gpu(ctx: ProbeContext) -> dict[str, Any]:
    with _pretend_gpu():
        default = ctx.call("get_device")
        no_gpu = ctx.call("get_device", prefer_gpu=False)
    return {"default": _device_type(default), "no_gpu_wanted": _device_type(no_gpu)}


def _walk(obj: Any, path: str, out: list[dict[str, Any]]) -> None:
    kind = "Tensor" if type(obj) is emulated.OnDevice else type(obj).__name__
    entry: dict[str, Any] = {"path": path, "type": kind}
    if isinstance(obj, torch.Tensor):
        entry["device"] = obj.device.type
        entry["values"] = emulated.values_of(obj)
    elif isinstance(obj, dict):
        for key, value in obj.items():
            _walk(value, f"{path}[{key!r}]", out)
    elif isinstance(obj, list | tuple):
        for i, value in enumerate(obj):
            _walk(value, f"{path}[{i}]", out)
    else:
        entry["value"] = repr(obj)[:40]
    out.append(entry)


def to_device(ctx: ProbeContext) -> dict[str, Any]:
    images, pair, single_values = (torch.from_numpy(a) for a in inst.nested_values(ctx.seed))
    obj = {
        "images": images,
        "pair": (pair, [torch.arange(3), 7, "label"]),
        "count": 5,
    }
    device = target_device()
    before: list[dict[str, Any]] = []
    after: list[dict[str, Any]] = []
    _walk(obj, "obj", before)
    with placed(device):
        moved = ctx.call("to_device", obj, device)
        _walk(moved, "obj", after)
        single = ctx.call("to_device", single_values, device)
    return {
        "single_values": emulated.values_of(single),
        "target": device.type,
        "before": before,
        "after": after,
        "single": describe(single).get("device", "not a tensor"),
    }


def _forward(model: nn.Module, x: torch.Tensor) -> dict[str, Any]:
    try:
        out = model(x)
    except BaseException as exc:  # noqa: BLE001 - learner forward may raise anything
        return {"error": describe_exception(exc, "forward")}
    return {
        "out": describe(out),
        "values": to_numpy(out) if isinstance(out, torch.Tensor) else None,
    }


def model_forward(ctx: ProbeContext) -> dict[str, Any]:
    model = ctx.call("build_model", in_channels=3, num_classes=7)
    if not isinstance(model, nn.Module):
        return {"is_module": False, "returned": describe(model)}
    model.eval()
    gen = torch.Generator().manual_seed(ctx.seed)
    shapes = {}
    with torch.no_grad():
        for n in inst.MODEL_BATCHES:  # NHWC in the instances: a PyTorch batch is NCHW
            batch_nchw = torch.from_numpy(inst.model_batch(ctx.seed, n).transpose(0, 3, 1, 2))
            shapes[str(n)] = _forward(model, batch_nchw.contiguous())
        x = torch.randn(9, 3, 8, 8, generator=gen)
        batch = _forward(model, x)
        singles = [_forward(model, x[i : i + 1]) for i in range(len(x))]
    default_model = ctx.call("build_model")
    default_model.eval()
    with torch.no_grad():
        default = _forward(default_model, torch.randn(6, 1, 8, 8, generator=gen))
    return {
        "is_module": True,
        "shapes": shapes,
        "batch": batch,
        "singles": singles,
        "default": default,
    }


def model_gradients(ctx: ProbeContext) -> dict[str, Any]:
    model = ctx.call("build_model", in_channels=2, num_classes=5)
    if not isinstance(model, nn.Module):
        return {"is_module": False, "returned": describe(model)}
    model.train()
    x = torch.randn(4, 2, 8, 8, generator=torch.Generator().manual_seed(ctx.seed))
    x.requires_grad_(True)
    try:
        out = model(x)
        out.float().pow(2).sum().backward()
    except BaseException as exc:  # noqa: BLE001
        raise LearnerError(describe_exception(exc, "build_model")) from None
    params = dict(model.named_parameters())
    return {
        "train_out": {"out": describe(out), "values": to_numpy(out.detach())},
        "is_module": True,
        "n_params": len(params),
        "without_grad": [n for n, p in params.items() if p.requires_grad and p.grad is None],
        "zero_grad": [
            n for n, p in params.items() if p.grad is not None and not bool(p.grad.abs().max() > 0)
        ],
        "frozen": [n for n, p in params.items() if not p.requires_grad],
        "input_reached": x.grad is not None and bool(x.grad.abs().max() > 0),
    }


def loss(ctx: ProbeContext) -> dict[str, Any]:
    logits_np, targets_np = inst.classification(ctx.seed, 6, 5)
    loss_fn = ctx.call("make_loss")
    logits = torch.from_numpy(logits_np).requires_grad_(True)
    try:
        value = loss_fn(logits, torch.from_numpy(targets_np))
    except BaseException as exc:  # noqa: BLE001
        raise LearnerError(describe_exception(exc, "make_loss")) from None
    info = describe(value)
    grad = None
    if isinstance(value, torch.Tensor) and value.requires_grad and value.numel() == 1:
        value.backward()
        grad = to_numpy(logits.grad)
    return {
        "value": as_float(value),
        "returned": info,
        "grad": grad,
        "model_log_probs": _model_log_probs(ctx),
    }


def _model_log_probs(ctx: ProbeContext) -> bool:
    """Does the learner's model end in log_softmax (rows of exp(output) sum to 1, outputs <= 0)?"""
    try:
        model = ctx.fn("build_model")()
        model.eval()
        with torch.no_grad():
            out = model(torch.randn(4, 1, 8, 8, generator=torch.Generator().manual_seed(ctx.seed)))
        return bool(
            torch.all(out <= 0) and torch.allclose(out.exp().sum(1), torch.ones(4), atol=1e-4)
        )
    except BaseException:  # noqa: BLE001 - a broken model is judged by the model step
        return False


def _small_net(seed: int) -> tuple[nn.Module, torch.Tensor]:
    """``instances.optimizer_net``: the net with the seed's weights, and its batch."""
    values = inst.optimizer_net(seed)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    with torch.no_grad():
        for param, key in zip(model.parameters(), ("w1", "b1", "w2", "b2"), strict=True):
            param.copy_(torch.from_numpy(values[key]))
    return model, torch.from_numpy(values["x"])


def _flat(tensors: list[torch.Tensor]) -> list[float]:
    return [float(v) for v in torch.cat([t.reshape(-1).double() for t in tensors]).tolist()]


def optimizer(ctx: ProbeContext) -> dict[str, Any]:
    """Two optimizers, lr a and b, each over its own copy of the same small net (weights and
    batch from the seed), one step after the backward of sum(outputs**2): what the step did to
    the parameters, measured on the probe's own tensors. The grader knows the gradients."""
    out: dict[str, Any] = {}
    for run, lr in inst.OPTIMIZER_LRS.items():
        model, batch = _small_net(ctx.seed)
        opt = ctx.call("make_optimizer", model, lr)
        if not isinstance(opt, torch.optim.Optimizer):
            return {"is_optimizer": False, "returned": describe(opt)}
        model_ids = {id(p) for p in model.parameters()}
        opt_ids = {id(p) for group in opt.param_groups for p in group["params"]}
        before = [p.detach().clone() for p in model.parameters()]
        model(batch).pow(2).sum().backward()
        try:
            opt.step()
        except BaseException as exc:  # noqa: BLE001
            raise LearnerError(describe_exception(exc, "make_optimizer")) from None
        after = [p.detach().clone() for p in model.parameters()]
        out[run] = {
            "lrs": [float(g.get("lr", float("nan"))) for g in opt.param_groups],
            "n_model": len(model_ids),
            "n_shared": len(model_ids & opt_ids),
            "type": type(opt).__name__,
            "step": _flat([a - b for a, b in zip(after, before)]),
        }
    out["is_optimizer"] = True
    return out


def accuracy(ctx: ProbeContext) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, (n, k) in (("wide", (7, 5)), ("square", (6, 6))):
        logits, targets = inst.classification(ctx.seed, n, k, salt=10 + k)
        try:
            value = ctx.call("accuracy", torch.from_numpy(logits), torch.from_numpy(targets))
        except LearnerError as exc:
            if exc.info["kind"] == "missing":
                raise
            out[name] = {"error": exc.info}
            continue
        out[name] = {"value": as_float(value), "returned": describe(value)}
    return out


def _linear_setup(seed: int, batch_size: int):  # noqa: ANN202
    x, y, weight, bias = inst.linear_problem(seed)
    return SpyLinear(weight, bias), loader(x, y, batch_size)


def evaluate_values(ctx: ProbeContext) -> dict[str, Any]:
    model, data = _linear_setup(ctx.seed, batch_size=5)  # 12 samples: batches of 5, 5, 2
    model.train()
    result = ctx.call("evaluate", model, data, nn.CrossEntropyLoss(), torch.device("cpu"))
    return evaluation(result)


def evaluate_modes(ctx: ProbeContext) -> dict[str, Any]:
    """evaluate() in one batch on the spy model left in train mode: the spy's logit gains show
    in the loss which modes evaluate ran it in (one batch, so that how batch losses are averaged
    barely matters: that is evaluate_exact_means' to judge)."""
    x, y, weight, bias = inst.linear_problem(ctx.seed)
    model = SpyLinear(weight, bias)
    model.train()
    result = ctx.call(
        "evaluate", model, loader(x, y, len(x)), nn.CrossEntropyLoss(), torch.device("cpu")
    )
    return evaluation(result)


def placement_run(ctx: ProbeContext, function: str) -> dict[str, Any]:
    """Run a learner loop with the model on the target device and batches on the CPU.

    Records, at every forward and loss call, where inputs and parameters were, and how the run
    ended. On the ``meta`` device a correct loop ends at its first ``.item()``.
    """
    x, y, weight, bias = inst.linear_problem(ctx.seed)
    device = target_device()
    model = SpyLinear(weight, bias)
    model.record_values = True
    loss_fn = SpyLoss()
    data = loader(x, y, batch_size=4)
    ended: dict[str, Any] | None = None
    with placed(device):
        if function != "fit":
            model.to(device)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        args = {
            "evaluate": (model, data, loss_fn, device),
            "train_one_epoch": (model, data, loss_fn, opt, device),
            "fit": (model, data, data, loss_fn, opt, device, 1),
        }[function]
        try:
            ctx.call(function, *args)
        except LearnerError as exc:
            if exc.info["kind"] in ("missing", "not_implemented"):
                raise
            ended = exc.info
    return {"target": device.type, "forwards": model.calls, "losses": loss_fn.calls, "ended": ended}


def evaluate_placement(ctx: ProbeContext) -> dict[str, Any]:
    return placement_run(ctx, "evaluate")


PROBES = {
    "get_device_real": get_device_real,
    "get_device_pretend_gpu": get_device_pretend_gpu,
    "to_device": to_device,
    "model_forward": model_forward,
    "model_gradients": model_gradients,
    "loss": loss,
    "optimizer": optimizer,
    "accuracy": accuracy,
    "evaluate_values": evaluate_values,
    "evaluate_modes": evaluate_modes,
    "evaluate_placement": evaluate_placement,
}
