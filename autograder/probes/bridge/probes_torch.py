"""Bridge probes in the PyTorch worker (TensorFlow is a stand-in there: ``worker/standins.py``)."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch
from torch import nn

from autograder.probes.bridge import nets
from autograder.probes.bridge.plain import forward_backward_out, observe
from autograder.probes.common.observe import as_float, describe
from autograder.probes.common.settings import torch_settings as global_state  # noqa: F401
from autograder.probes.pytorch import emulated
from autograder.worker import standins
from autograder.worker.probe_api import ProbeContext, contract_error

ABSENT = ["tensorflow", "keras", "tf_keras"]


def prepare_worker() -> None:
    """Once per worker, before learner code: one thread (fork-safe), optimizers imported, and
    TensorFlow replaced by stand-ins so the learner's two-framework notebook loads."""
    torch.set_num_threads(1)
    torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)
    standins.install(ABSENT)


def seed_child(seed: int) -> None:
    torch.manual_seed(seed % 2**63)
    np.random.seed(seed % 2**32)
    random.seed(seed)
    standins.strict()


def build(net: dict[str, Any], seed: int) -> nn.Sequential:
    """``net`` as an ``nn.Sequential`` with the weights of ``nets.init_weights(net, seed)``."""
    c, h, w = net["input"]
    layers: list[nn.Module] = []
    features = 0
    for kind, size in net["layers"]:
        if kind == "conv":
            layers.append(nn.Conv2d(c, size, 3, padding=1))
            c = size
        elif kind == "relu":
            layers.append(nn.ReLU())
        elif kind == "pool":
            layers.append(nn.MaxPool2d(2))
            h, w = h // 2, w // 2
        elif kind == "flatten":
            layers.append(nn.Flatten())
            features = c * h * w
        else:
            layers.append(nn.Linear(features, size))
            features = size
    model = nn.Sequential(*layers)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in nets.init_weights(net, seed)})
    return model


def _tensors(net: dict[str, Any], seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = nets.batch(net, seed)
    return torch.from_numpy(x), torch.from_numpy(y)


def _memory_order(t: torch.Tensor) -> np.ndarray:
    """``t``'s values in the order they are stored (dimensions by decreasing stride), flat."""
    strides = t.stride()
    order = sorted(range(t.dim()), key=lambda d: -strides[d])
    return t.detach().permute(*order).contiguous().numpy().ravel()


# -- layouts -----------------------------------------------------------------------------------


def layouts_torch(ctx: ProbeContext) -> dict[str, Any]:
    """Both conversions on numpy arrays and torch tensors with N, C, H, W all different."""
    nchw, nhwc = nets.layout_batches(ctx.rng)
    cases = {
        "numpy": (nchw.copy(), nhwc.copy()),
        "torch": (torch.from_numpy(nchw.copy()), torch.from_numpy(nhwc.copy())),
    }
    obs: dict[str, Any] = {}
    for kind, (a, b) in cases.items():
        obs[f"{kind}_to_nhwc"] = observe(ctx.call("nchw_to_nhwc", a))
        obs[f"{kind}_to_nchw"] = observe(ctx.call("nhwc_to_nchw", b))
    return obs


def channels_last(ctx: ProbeContext) -> dict[str, Any]:
    """What ``to_channels_last`` returns: the batch's values and the order its values and the
    conv weights' are stored in, and the returned model's outputs on the returned batch."""
    x_np, params = nets.channels_last_case(ctx.rng)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 5, 3, padding=1))
    with torch.no_grad():
        for param, value in zip(model.parameters(), params, strict=True):
            param.copy_(torch.from_numpy(value))
    out = ctx.call("to_channels_last", model, torch.from_numpy(x_np))
    if not isinstance(out, tuple | list) or len(out) != 2:
        raise contract_error("to_channels_last", f"expected (model, x), got {type(out).__name__}")
    new_model, new_x = out
    obs: dict[str, Any] = {"x": observe(new_x)}
    if not isinstance(new_x, torch.Tensor) or not isinstance(new_model, nn.Module):
        return obs
    conv_weights = [m.weight for m in new_model.modules() if isinstance(m, nn.Conv2d)]
    obs.update(
        x_stored=_memory_order(new_x),
        weights_stored=[_memory_order(w) for w in conv_weights],
    )
    try:
        with torch.no_grad():
            obs["after"] = observe(new_model(new_x))
    except Exception as exc:  # noqa: BLE001 - e.g. a permuted batch the conv cannot read
        obs["after_error"] = f"{type(exc).__name__}: {str(exc)[:200]}"
    return obs


# -- parity ------------------------------------------------------------------------------------


def parity_torch(ctx: ProbeContext) -> dict[str, Any]:
    model = build(nets.PARITY_NET, ctx.seed)
    params = dict(model.named_parameters())
    for name, grad in nets.stale_grads(nets.PARITY_NET, ctx.seed):
        params[name].grad = torch.from_numpy(grad)  # left over from an earlier backward
    x, y = _tensors(nets.PARITY_NET, ctx.seed)
    out = ctx.call("forward_backward_torch", model, x, y)
    return forward_backward_out("forward_backward_torch", out, named=True)


def parity_report(ctx: ProbeContext, tolerances: dict[str, float]) -> dict[str, Any]:
    """``parity_report`` on three agreeing results (differences of known, distinct sizes) and on
    results where one quantity disagrees beyond its tolerance (``nets.parity_cases``), with the
    given tolerances and with them scaled (``nets.PARITY_SCALES``)."""
    obs: dict[str, Any] = {"cases": {}}
    for name, results in nets.parity_cases(ctx.rng).items():
        report = ctx.call("parity_report", results, dict(tolerances))
        if not isinstance(report, dict):
            raise contract_error("parity_report", f"expected a dict, got {type(report).__name__}")
        obs["cases"][name] = {
            "report": {k: as_float(report.get(k)) for k in ("logits", "loss", "grads")},
            "ok": _ok(report),
        }
        for label, scale in nets.PARITY_SCALES.items():
            other = ctx.call("parity_report", results, nets.scaled_tolerances(tolerances, scale))
            obs["cases"][name][f"ok_{label}"] = _ok(other) if isinstance(other, dict) else None
    return obs


def _ok(report: dict[str, Any]) -> bool | None:
    ok = report.get("ok")
    return bool(ok) if isinstance(ok, bool | np.bool_) else None


# -- accumulation ------------------------------------------------------------------------------


class _CountingSGD(torch.optim.SGD):
    """SGD that counts its own steps (per instance: a probe child answers several probes)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.steps = 0

    def step(self, closure: Any = None) -> Any:
        self.steps += 1
        return super().step(closure)


# torch wraps an optimizer class's ``step`` (profiling hooks) the first time the class is
# instantiated: do it now, before the worker lists what learner code may not replace
_CountingSGD([torch.zeros(1, requires_grad=True)], lr=0.1)


def accumulation_torch(
    ctx: ProbeContext, k: int, micro: int, windows: int, lr: float
) -> dict[str, Any]:
    """Train a linear model with ``train_with_accumulation`` on ``windows * k`` micro-batches."""
    n = windows * k * micro
    x, y, w0, b0 = nets.accumulation_problem(ctx.rng, n)
    model = nn.Linear(w0.shape[1], w0.shape[0])
    with torch.no_grad():
        model.weight.copy_(torch.from_numpy(w0))
        model.bias.copy_(torch.from_numpy(b0))
    loader = [
        (torch.from_numpy(x[i : i + micro].copy()), torch.from_numpy(y[i : i + micro].copy()))
        for i in range(0, n, micro)
    ]
    optimizer = _CountingSGD(model.parameters(), lr=lr)
    loss_fn, device = nn.CrossEntropyLoss(), torch.device("cpu")
    loss = ctx.call("train_with_accumulation", model, loader, loss_fn, optimizer, device, k)
    return {
        "w": model.weight.detach().numpy(),
        "b": model.bias.detach().numpy(),
        "steps": optimizer.steps,
        "loss": as_float(loss),
    }


# -- placement ---------------------------------------------------------------------------------


def place_torch(ctx: ProbeContext) -> dict[str, Any]:
    """``place`` onto ``meta`` (the emulated device while grading: it computes and stores
    float32 values with fewer mantissa bits, so moved values show the move), given as a
    ``torch.device`` and as a string, for a tensor and for a module."""
    x = torch.from_numpy(nets.place_values(ctx.rng))
    params = [torch.from_numpy(a) for a in nets.place_module_values(ctx.rng)]
    obs: dict[str, Any] = {}
    with emulated.emulated():
        for label, device in (("device", torch.device("meta")), ("string", "meta")):
            moved = ctx.call("place", x, device)
            obs[f"tensor_{label}"] = {**describe(moved), "values": emulated.values_of(moved)}
            model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
            with torch.no_grad():
                for p, values in zip(model.parameters(), params, strict=True):
                    p.copy_(values)
            returned = ctx.call("place", model, device)
            obs[f"module_{label}"] = {
                "returned_module": isinstance(returned, nn.Module),
                "devices": sorted({p.device.type for p in model.parameters()}),
                "values": [emulated.values_of(p) for p in model.parameters()][:4],
            }
    obs["source_device"] = x.device.type
    return obs


PROBES = {
    "layouts_torch": layouts_torch,
    "channels_last": channels_last,
    "parity_torch": parity_torch,
    "parity_report": parity_report,
    "accumulation_torch": accumulation_torch,
    "place_torch": place_torch,
}
