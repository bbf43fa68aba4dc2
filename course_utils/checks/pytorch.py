"""Public checks for assignment 1 (PyTorch): small fixed instances; hints, not hidden tests.

Each step's default check calls every function of the step, on instances of its own: fixed
instances of the practice checks (the same every call) plus the checks below, which watch *how*
the learner's loops run (mode, gradients, devices) with small spy models. Practice mode adds
fresh random instances on top.
"""

from __future__ import annotations

import contextlib
import dis
from collections.abc import Iterator
from functools import partial
from typing import Any
from unittest import mock

from course_utils.checks.runner import CheckFailed, need
from course_utils.practice import common
from course_utils.practice import pytorch as practice
from course_utils.practice.common import fail, fixed, returns

SEED = 20_26
"""Seed of the fixed instances (any fixed number: the instance is the check's own)."""


def _torch():  # noqa: ANN202 - imported on use
    import torch

    return torch


def _build_model(ns: dict[str, Any]) -> str:
    torch = _torch()
    model = need(ns, "build_model")(in_channels=1, num_classes=10)
    returns(model, torch.nn.Module, "build_model", "an nn.Module")
    return practice._model(ns, rng=__import__("numpy").random.default_rng(SEED))


@contextlib.contextmanager
def _gpu_answer(available: bool) -> Iterator[None]:
    """Make the usual "is there a GPU?" questions answer ``available`` (nothing runs on it)."""
    torch = _torch()
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.object(torch.cuda, "is_available", lambda: available))
        stack.enter_context(mock.patch.object(torch.cuda, "device_count", lambda: int(available)))
        accel = getattr(torch, "accelerator", None)
        if accel is not None and hasattr(accel, "is_available"):
            stack.enter_context(mock.patch.object(accel, "is_available", lambda: available))
        yield


def _device_type(value: Any, call: str) -> str:
    torch = _torch()
    try:
        return torch.device(value).type
    except (TypeError, RuntimeError, ValueError):
        raise CheckFailed(
            f"{call} returned {value!r}; expected a torch.device. Likely cause: a missing or "
            "wrong return statement"
        ) from None


def _get_device(ns: dict[str, Any]) -> str:
    get_device = need(ns, "get_device")
    cases = [
        (True, {}, "cuda", "'cpu' hard-coded: ask torch.cuda.is_available()"),
        (False, {}, "cpu", "'cuda' hard-coded: fall back to the CPU when there is no GPU"),
        (True, {"prefer_gpu": False}, "cpu", "prefer_gpu ignored, or 'cuda' hard-coded"),
    ]
    for gpu, kwargs, want, cause in cases:
        call = f"get_device({', '.join(f'{k}={v}' for k, v in kwargs.items())})"
        with _gpu_answer(gpu):
            got = _device_type(get_device(**kwargs), call)
        if got != want:
            raise fail(
                f"{call} to be {want!r} on a machine {'with' if gpu else 'without'} a GPU",
                repr(got),
                cause,
            )
    return "the GPU when there is one and it is wanted, else the CPU"


def _compares_device_literal(fn: Any) -> bool:
    """Does ``fn`` (or a function defined in it) compare a device with the literal 'cuda'?"""
    code = getattr(fn, "__code__", None)
    if code is None:
        return False
    stack = [code]
    while stack:
        current = stack.pop()
        ops = list(dis.get_instructions(current))
        ops = [o for o in ops if o.opname not in ("CACHE", "PRECALL", "PUSH_NULL")]
        for i, op in enumerate(ops):
            if op.opname != "LOAD_CONST" or op.argval not in ("cuda", "cuda:0"):
                continue
            after = [o.opname for o in ops[i + 1 : i + 3]]
            compare = ("COMPARE_OP", "IS_OP")
            called = after[:1] == ["CALL"] and after[1:2] and after[1] in compare
            device_attr = (
                i > 0 and ops[i - 1].argval == "device" and after[:1] and after[0] in compare
            )
            if called or device_attr:
                return True
        stack += [c for c in current.co_consts if hasattr(c, "co_code")]
    return False


def _to_device(ns: dict[str, Any]) -> str:
    torch = _torch()
    to_device = need(ns, "to_device")
    meta = torch.device("meta")  # another device than the CPU on any machine; nothing runs
    obj = {"x": torch.zeros(2), "pair": (torch.ones(3), [torch.arange(2), 7, "label"])}
    moved = to_device(obj, meta)
    returns(moved, dict, "to_device", "a dict for a dict (containers keep their type)")
    pair = moved.get("pair")
    if not isinstance(pair, tuple) or not isinstance(pair[1], list):
        raise fail(
            "a tuple to stay a tuple and a list a list (containers keep their type)",
            f"{type(pair).__name__}",
            "containers rebuilt as another type",
        )
    tensors = [moved["x"], pair[0], pair[1][0]]
    if any(not isinstance(t, torch.Tensor) or t.device.type != "meta" for t in tensors):
        raise fail(
            "every nested tensor on the target device",
            f"devices {[getattr(t, 'device', type(t).__name__) for t in tensors]}",
            "nested containers not walked (recurse into dicts, lists and tuples)",
        )
    if pair[1][1:] != [7, "label"]:
        raise fail("non-tensors returned unchanged", repr(pair[1][1:]), "values converted")
    if _compares_device_literal(to_device):
        raise fail(
            "device comparisons by type (device.type == 'cuda')",
            "a comparison with torch.device('cuda')",
            "a GPU tensor's device is cuda:0, and torch.device('cuda:0') == "
            "torch.device('cuda') is False",
        )
    return "nested tensors moved, containers and other values kept"


class _Spy:
    """Flatten + Linear recording, per forward: mode, grad mode, input and parameter device."""

    def __new__(cls, inputs: int = 4, classes: int = 3) -> Any:
        torch = _torch()

        class SpyNet(torch.nn.Module):  # type: ignore[name-defined,misc]
            def __init__(self) -> None:
                super().__init__()
                self.linear = torch.nn.Linear(inputs, classes)
                self.calls: list[dict[str, Any]] = []

            def forward(self, x: Any) -> Any:
                self.calls.append(
                    {
                        "training": self.training,
                        "grad": torch.is_grad_enabled(),
                        "input": x.device.type,
                        "params": self.linear.weight.device.type,
                    }
                )
                return self.linear(x.flatten(1))

        return SpyNet()


def _spy_loss(calls: list[dict[str, str]]) -> Any:
    torch = _torch()

    def loss_fn(logits: Any, targets: Any) -> Any:
        calls.append({"logits": logits.device.type, "targets": targets.device.type})
        return torch.nn.functional.cross_entropy(logits, targets)

    return loss_fn


def _on_meta(fn: Any, *args: Any) -> str | None:
    """Run a learner loop whose device is ``meta``: a correct loop gets as far as its first
    ``.item()`` (nothing is computed there). Returns the error that ended it, if any."""
    try:
        fn(*args)
    except (NotImplementedError, CheckFailed):
        raise
    except Exception as exc:  # noqa: BLE001 - learner code; the meta device ends every loop
        return f"{type(exc).__name__}: {exc}"
    return None


def _placement(calls: list[dict[str, Any]], losses: list[dict[str, str]], ended: str | None,
               name: str) -> None:  # fmt: skip
    if ended and "cuda" in ended.lower() and not calls:
        raise fail(
            f"{name} to run on the device it is given",
            ended[:120],
            "a hard-coded 'cuda' (use the device argument)",
        )
    if not calls:
        raise fail(f"{name} to call the model", f"no forward pass ({ended})", "see the error")
    first = calls[0]
    if first["input"] != first["params"]:
        raise fail(
            f"batches on the model's device ({first['params']}) inside {name}",
            f"a batch on {first['input']}",
            "the batch is never moved (x, y = x.to(device), y.to(device)), or a hard-coded device"
            if first["params"] == "meta"
            else "the model is never moved to the device (model.to(device))",
        )
    for call in losses[:1]:
        if call["logits"] != call["targets"]:
            raise fail(
                "logits and targets on the same device in the loss",
                f"logits on {call['logits']}, targets on {call['targets']}",
                "the targets never moved, or a tensor made inside the loop on the default "
                "device (pass device=... or use .to(device))",
            )


def _evaluate_spy(ns: dict[str, Any]) -> str:
    torch = _torch()
    model = _Spy()
    losses: list[dict[str, str]] = []
    x, y = torch.zeros(6, 1, 2, 2), torch.tensor([0, 1, 2, 0, 1, 2])
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=4)
    model.to("meta").train()
    ended = _on_meta(need(ns, "evaluate"), model, loader, _spy_loss(losses), torch.device("meta"))
    _placement(model.calls, losses, ended, "evaluate")
    first = model.calls[0]
    if first["training"]:
        raise fail("eval mode in evaluate", "training mode", "model.eval() is missing")
    if first["grad"]:
        raise fail(
            "no autograd graph while evaluating",
            "gradients enabled in the forward pass",
            "torch.no_grad() (or torch.inference_mode()) is missing around the loop",
        )
    return "eval mode, no gradients, batches on the model's device"


def _train_spy(ns: dict[str, Any]) -> str:
    torch = _torch()
    model = _Spy()
    losses: list[dict[str, str]] = []
    x, y = torch.zeros(6, 1, 2, 2), torch.tensor([0, 1, 2, 0, 1, 2])
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=4)
    model.to("meta").eval()  # as evaluate leaves it
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    ended = _on_meta(
        need(ns, "train_one_epoch"), model, loader, _spy_loss(losses), opt, torch.device("meta")
    )
    _placement(model.calls, losses, ended, "train_one_epoch")
    if not model.calls[0]["training"]:
        raise fail(
            "training mode in train_one_epoch, after evaluate left the model in eval mode",
            "eval mode",
            "model.train() is never called at the start of the epoch (train() mode never restored)",
        )
    return "training mode restored, batches and targets on the model's device"


def _train_returns(ns: dict[str, Any]) -> str:
    torch = _torch()
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 2))
    x = torch.randn(10, 1, 2, 2)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x, (x.sum((1, 2, 3)) > 0).long()), batch_size=4
    )
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    value = need(ns, "train_one_epoch")(
        model, loader, torch.nn.CrossEntropyLoss(), opt, torch.device("cpu")
    )
    if isinstance(value, torch.Tensor):
        raise fail(
            "the mean training loss as a Python float",
            f"a tensor{' that still holds its graph' if value.grad_fn is not None else ''}",
            "loss tensors summed with their graphs (total += loss): every batch's graph stays "
            "alive; add loss.item() instead",
        )
    returns(value, float, "train_one_epoch", "a float (the mean training loss)")
    common.finite(value, "the mean training loss")
    return "the mean loss comes back as a float"


def _zeroing(ns: dict[str, Any]) -> str:
    """The SGD replay of practice mode on a fixed instance, and zero_grad between backward()
    and step() told apart from gradients that pile up."""
    torch = _torch()
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3))
    before = [p.detach().clone() for p in model.parameters()]
    x = torch.randn(9, 1, 2, 2, generator=torch.Generator().manual_seed(1))
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x, torch.tensor([0, 1, 2] * 3)), batch_size=4
    )
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    events: list[str] = []  # in order: backward passes that reached the weights, and steps
    model[1].weight.register_hook(lambda grad: events.append("backward"))

    def before_step(optimizer: Any, *_: Any) -> None:
        grads = [p.grad for group in optimizer.param_groups for p in group["params"]]
        moved = any(g is not None and bool(g.abs().max() > 0) for g in grads)
        events.append("step" if moved else "step without gradient")

    opt.register_step_pre_hook(before_step)
    need(ns, "train_one_epoch")(
        model, loader, torch.nn.CrossEntropyLoss(), opt, torch.device("cpu")
    )
    if all(torch.equal(b, p) for b, p in zip(before, model.parameters())):
        raise fail("the weights to change after an epoch of SGD steps", "the same weights",
                   _why_unchanged(events))  # fmt: skip
    return practice._train(ns, rng=__import__("numpy").random.default_rng(SEED))


def _why_unchanged(events: list[str]) -> str:
    if not any(e.startswith("step") for e in events):
        return "optimizer.step() never called"
    if "backward" not in events:
        return (
            "no gradient reached the weights, so step() had nothing to apply (the logits "
            "detached, or turned into numbers with .item()/.numpy(), before the loss?)"
        )
    if events[0].startswith("step"):
        return (
            "optimizer.step() comes before loss.backward(): each step finds the gradients "
            "zero_grad() has just cleared (call backward() first, then step())"
        )
    return (
        "zero_grad() between backward() and step(): step() then sees zero gradients and "
        "nothing learns (zero before backward(), or after step())"
    )


def _fit(ns: dict[str, Any]) -> str:
    torch = _torch()
    model = _Spy()
    losses: list[dict[str, str]] = []
    x, y = torch.zeros(6, 1, 2, 2), torch.tensor([0, 1, 2, 0, 1, 2])
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=4)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    ended = _on_meta(
        need(ns, "fit"), model, loader, loader, _spy_loss(losses), opt, torch.device("meta"), 1
    )
    _placement(model.calls, losses, ended, "fit")
    model = _Spy()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    cpu = torch.device("cpu")
    gen = torch.Generator().manual_seed(SEED)
    train = torch.utils.data.TensorDataset(torch.randn(6, 1, 2, 2, generator=gen), y)
    test = torch.utils.data.TensorDataset(torch.randn(5, 1, 2, 2, generator=gen), y[:5])
    train_loader = torch.utils.data.DataLoader(train, batch_size=4)
    steps: list[tuple[float, int]] = []
    history = need(ns, "fit")(
        model, train_loader, torch.utils.data.DataLoader(test), _step_loss(steps), opt, cpu, 2
    )
    returns(history, list, "fit", "a list with one dict per epoch")
    if len(history) != 2 or not all(isinstance(h, dict) for h in history):
        raise fail("2 dicts for 2 epochs", f"{len(history)} entries", "one entry per epoch")
    keys = {"epoch", "train_loss", "test_loss", "test_accuracy"}
    if not keys <= set(history[0]) or [h["epoch"] for h in history] != [1, 2]:
        raise fail(
            f"keys {sorted(keys)} and epochs [1, 2]",
            f"keys {sorted(history[0])}, epochs {[h.get('epoch') for h in history]}",
            "a history entry built differently from the docstring (epochs count from 1)",
        )
    for h in history:
        for key in keys - {"epoch"}:
            common.finite(h[key], f"history[{h['epoch'] - 1}][{key!r}]")
    _history_train_losses(history, steps, len(train_loader))
    return "fit moves the model to the device; one history entry per epoch"


def _step_loss(steps: list[tuple[float, int]]) -> Any:
    """A cross-entropy that records each training call's loss and batch size."""
    torch = _torch()

    def loss_fn(logits: Any, targets: Any) -> Any:
        loss = torch.nn.functional.cross_entropy(logits, targets)
        if torch.is_grad_enabled():
            steps.append((float(loss.detach()), len(targets)))
        return loss

    return loss_fn


def _history_train_losses(
    history: list[dict[str, Any]], steps: list[tuple[float, int]], batches: int
) -> None:
    """Each epoch's train_loss must be the mean (over batches or samples) of its step losses."""
    for i, entry in enumerate(history):
        epoch = steps[i * batches : (i + 1) * batches]
        if not epoch:
            raise fail(
                f"{batches} training steps in epoch {i + 1}",
                "none",
                "fit does not train every epoch (call train_one_epoch once per epoch)",
            )
        means = (
            sum(loss for loss, _ in epoch) / len(epoch),
            sum(loss * n for loss, n in epoch) / sum(n for _, n in epoch),
        )
        if not any(abs(entry["train_loss"] - m) <= 1e-4 for m in means):
            same_as_test = abs(entry["train_loss"] - entry["test_loss"]) <= 1e-6
            raise fail(
                f"history[{i}]['train_loss'] = {means[1]:.4f}, the mean of that epoch's training "
                "losses",
                f"{entry['train_loss']:.4f}",
                "the epoch's test loss was stored as its train_loss"
                if same_as_test
                else "train_loss is not what train_one_epoch returned for that epoch",
            )


def _optimizer(ns: dict[str, Any]) -> str:
    torch = _torch()
    opt = need(ns, "make_optimizer")(torch.nn.Linear(2, 2), 0.01)
    returns(opt, torch.optim.Optimizer, "make_optimizer", "a torch.optim.Optimizer")
    return practice._optimizer(ns, rng=__import__("numpy").random.default_rng(SEED))


def _plot(ns: dict[str, Any]) -> str:
    history = [
        {"epoch": 1, "train_loss": 1.0, "test_loss": 1.2, "test_accuracy": 0.5},
        {"epoch": 2, "train_loss": 0.6, "test_loss": 0.9, "test_accuracy": 0.7},
        {"epoch": 3, "train_loss": 0.3, "test_loss": 0.8, "test_accuracy": 0.75},
    ]
    fig = need(ns, "plot_history")(history)
    if not hasattr(fig, "axes") or not hasattr(fig, "savefig"):
        raise CheckFailed(
            f"plot_history returned {type(fig).__name__}; expected a matplotlib Figure. Likely "
            "cause: plt.show() or an Axes returned instead of the figure"
        )
    curves = [list(line.get_ydata()) for ax in fig.axes for line in ax.get_lines()]
    __import__("matplotlib.pyplot").pyplot.close(fig)
    for key in ("train_loss", "test_loss", "test_accuracy"):
        want = [h[key] for h in history]
        scales = (1.0, 100.0) if key == "test_accuracy" else (1.0,)
        if not any(
            len(y) == len(want) and all(abs(a - b * s) < 1e-6 for a, b in zip(y, want))
            for y in curves
            for s in scales
        ):
            raise fail(
                f"a curve of the history's {key} ({want})",
                f"{len(curves)} curve(s), none with those values",
                f"the {key} curve is missing (plot train and test loss, and test accuracy)",
            )
    return "a figure with the training and test loss and the test accuracy"


def _download(ns: dict[str, Any]) -> str:
    try:
        return fixed(common.download, SEED)(ns)
    except FileNotFoundError as exc:
        if "cache" not in str(exc):
            raise
        raise fail(
            "download to create cache_dir when it does not exist yet",
            f"FileNotFoundError: {exc}",
            "cache_dir is never created (Path(cache_dir).mkdir(parents=True, exist_ok=True))",
        ) from None


def _stats(ns: dict[str, Any]) -> str:
    """A fixed colour batch (the shared check may draw grey images): one float32 value per
    channel, then the shared check's values."""
    np = __import__("numpy")
    images = np.random.default_rng(SEED).integers(0, 256, size=(5, 4, 3, 3), dtype=np.uint8)
    for what, value in zip(("mean", "std"), need(ns, "normalization_stats")(images)):
        shape, dtype = np.shape(value), getattr(value, "dtype", type(value).__name__)
        if shape != (3,):
            raise fail(
                f"a {what} of shape (3,) for colour images of shape {images.shape}",
                f"shape {shape}",
                "the statistics are not taken per channel (reduce over N, H and W only)",
            )
        if dtype != np.float32:
            raise fail(
                f"the {what} as a float32 array",
                f"{dtype}",
                "numpy computes in float64 by default: a missing .astype(np.float32)",
            )
    return fixed(common.normalization_stats, SEED)(ns)


def _loader_seed(ns: dict[str, Any]) -> str:
    """One seed, one training order, rebuilt or not; another seed, another order."""
    torch = _torch()
    x = torch.arange(20, dtype=torch.float32).view(20, 1, 1, 1)

    def order(seed: int) -> list[int]:
        train, _ = need(ns, "make_loaders")(x, x[:, 0, 0, 0].long(), x, x[:, 0, 0, 0].long(),
                                            batch_size=4, seed=seed)  # fmt: skip
        torch.rand(3)  # other code that draws random numbers between building and training
        return torch.cat([b[1] for b in train]).tolist()

    first, again, other = order(7), order(7), order(8)
    if first != again:
        raise fail(
            "the same training order from two loaders built with seed=7",
            f"{first[:6]}... and {again[:6]}...",
            "the shuffling is not seeded with the seed argument (the global random state "
            "decides it): DataLoader(..., generator=torch.Generator().manual_seed(seed))",
        )
    if first == other:
        raise fail(
            "another training order with seed=8 than with seed=7",
            "the same order",
            "the seed argument is ignored (a fixed seed written into make_loaders)",
        )
    return "the seed alone decides the training order"


CHECKS = {
    "download": {"download: verify, cache, refuse corruption": _download},
    "data": {
        "normalization_stats: per-channel statistics": _stats,
        "prepare_data: training statistics only": fixed(common.prepare_data, SEED),
        "preprocess: grey and colour images to NCHW": fixed(
            partial(common.preprocess, layout="NCHW"), SEED
        ),
        "make_loaders: training shuffled, test in order": fixed(practice._loaders, SEED),
        "make_loaders: the seed decides the training order": _loader_seed,
    },
    "model": {
        "build_model: logits, any batch size": _build_model,
        "get_device: GPU when there is one": _get_device,
        "to_device: nested tensors": _to_device,
    },
    "loss_opt": {
        "make_loss: cross-entropy of raw logits": fixed(practice._loss, SEED),
        "make_optimizer: the model's parameters and lr": _optimizer,
    },
    "metric": {
        "accuracy: arg-max over classes": fixed(practice._accuracy, SEED),
        "evaluate: exact means over uneven batches": fixed(practice._evaluate, SEED),
        "evaluate: eval mode, no_grad, device": _evaluate_spy,
    },
    "train": {
        "train_one_epoch: returns the mean loss as a float": _train_returns,
        "train_one_epoch: gradients zeroed before each backward()": _zeroing,
        "train_one_epoch: training mode and device": _train_spy,
        "fit: model on the device, one entry per epoch": _fit,
    },
    "report": {
        "report: train and test kept apart": fixed(common.report, SEED),
        "plot_history: a figure": _plot,
        "log_to_tensorboard: scalars per epoch": fixed(common.tensorboard, SEED),
    },
}
