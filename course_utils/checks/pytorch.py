"""Public checks for assignment 1 (PyTorch). Small fixed examples; hints, not hidden tests."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from course_utils.checks.runner import CheckFailed, need


def _download_roundtrip(ns: dict[str, Any]) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "hello.bin"
        src.write_bytes(b"hello, digits")
        digest = hashlib.sha256(b"hello, digits").hexdigest()
        path = need(ns, "download")(src.as_uri(), Path(tmp) / "cache", digest)
        if not Path(path).is_file() or Path(path).read_bytes() != b"hello, digits":
            raise CheckFailed(
                "the returned path should be the downloaded file, with the same bytes"
            )
        try:
            need(ns, "download")(src.as_uri(), Path(tmp) / "cache2", "0" * 64)
        except Exception:  # noqa: BLE001 - any error is the right reaction here
            return "downloads, and refuses a wrong checksum"
        raise CheckFailed("a wrong sha256 was accepted: compare the digest and raise an error")


def _preprocess_shapes(ns: dict[str, Any]) -> str:
    torch = __import__("torch")
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    x, y = need(ns, "preprocess")(images, np.array([1, 2]), np.array([0.0]), np.array([1.0]))
    if tuple(x.shape) != (2, 1, 3, 4):
        raise CheckFailed(
            f"grey (2, 3, 4) images should become (2, 1, 3, 4) in NCHW, got {tuple(x.shape)}"
        )
    if x.dtype != torch.float32 or y.dtype != torch.int64:
        raise CheckFailed(f"expected float32 images and int64 labels, got {x.dtype} and {y.dtype}")
    return "grey images get a channel axis; dtypes are float32 / int64"


def _loaders_order(ns: dict[str, Any]) -> str:
    torch = __import__("torch")
    x = torch.arange(10, dtype=torch.float32).view(10, 1, 1, 1)
    y = torch.arange(10)
    train, test = need(ns, "make_loaders")(x, y, x, y, batch_size=4, seed=0)
    test_order = torch.cat([b[1] for b in test]).tolist()
    if test_order != list(range(10)):
        raise CheckFailed("the test loader should yield the samples in order (shuffle=False)")
    if torch.cat([b[1] for b in train]).tolist() == list(range(10)):
        raise CheckFailed("the training loader should shuffle (shuffle=True)")
    return "training batches shuffled, test batches in order"


def _model_shape(ns: dict[str, Any]) -> str:
    torch = __import__("torch")
    model = need(ns, "build_model")(in_channels=1, num_classes=10)
    out = model(torch.zeros(3, 1, 8, 8))
    if tuple(out.shape) != (3, 10):
        raise CheckFailed(f"(3, 1, 8, 8) images should give (3, 10) logits, got {tuple(out.shape)}")
    return "(N, 1, 8, 8) -> (N, 10)"


def _device(ns: dict[str, Any]) -> str:
    torch = __import__("torch")
    device = torch.device(need(ns, "get_device")(prefer_gpu=False))
    if device.type != "cpu":
        raise CheckFailed("get_device(prefer_gpu=False) should be the CPU")
    moved = need(ns, "to_device")((torch.zeros(1), [torch.ones(1)]), device)
    if not isinstance(moved, tuple) or not isinstance(moved[1], list):
        raise CheckFailed(
            "to_device should keep the container types (tuple stays tuple, list stays list)"
        )
    return "devices picked and nested tensors moved"


def _loss(ns: dict[str, Any]) -> str:
    torch = __import__("torch")
    loss = need(ns, "make_loss")()(torch.tensor([[10.0, 0.0], [0.0, 10.0]]), torch.tensor([0, 1]))
    if float(loss) > 1e-3:
        raise CheckFailed(
            f"confident correct logits should give a loss near 0, got {float(loss):.4f}"
        )
    return "near-zero loss for confident, correct logits"


def _optimizer(ns: dict[str, Any]) -> str:
    torch = __import__("torch")
    model = torch.nn.Linear(2, 2)
    opt = need(ns, "make_optimizer")(model, 0.05)
    ids = {id(p) for g in opt.param_groups for p in g["params"]}
    if ids != {id(p) for p in model.parameters()}:
        raise CheckFailed("the optimizer should hold exactly the model's parameters")
    if any(abs(g["lr"] - 0.05) > 1e-12 for g in opt.param_groups):
        raise CheckFailed("the optimizer should use the lr it is given")
    return "optimizer over the model's parameters with the given lr"


def _accuracy(ns: dict[str, Any]) -> str:
    torch = __import__("torch")
    value = need(ns, "accuracy")(
        torch.tensor([[2.0, 1.0, 0.0], [0.0, 1.0, 3.0]]), torch.tensor([0, 1])
    )
    if not isinstance(value, float) or abs(value - 0.5) > 1e-9:
        raise CheckFailed(f"one of two predictions is right: expected the float 0.5, got {value!r}")
    return "0.5 for one right prediction out of two"


def _evaluate(ns: dict[str, Any]) -> str:
    torch = __import__("torch")
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(1, 2))
    x = torch.zeros(3, 1, 1, 1)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x, torch.tensor([0, 1, 0])), batch_size=2
    )
    result = need(ns, "evaluate")(model, loader, torch.nn.CrossEntropyLoss(), torch.device("cpu"))
    if set(result) < {"loss", "accuracy"}:
        raise CheckFailed(
            f"evaluate should return {{'loss', 'accuracy'}}, got keys {sorted(result)}"
        )
    if model.training:
        raise CheckFailed("after evaluate the model is still in training mode: call model.eval()")
    return "returns loss and accuracy, model in eval mode"


def _train(ns: dict[str, Any]) -> str:
    torch = __import__("torch")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 2))
    x = torch.randn(32, 1, 2, 2)
    y = (x.flatten(1).sum(1) > 0).long()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=8)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    losses = [
        need(ns, "train_one_epoch")(
            model, loader, torch.nn.CrossEntropyLoss(), opt, torch.device("cpu")
        )
        for _ in range(5)
    ]
    if not all(isinstance(v, float) for v in losses):
        raise CheckFailed("train_one_epoch should return a Python float (loss.item())")
    if not losses[-1] < losses[0]:
        raise CheckFailed(
            f"the training loss did not go down over 5 epochs: {np.round(losses, 3).tolist()}"
        )
    return f"training loss goes down: {losses[0]:.3f} -> {losses[-1]:.3f}"


def _report(ns: dict[str, Any]) -> str:
    history = [{"epoch": 1, "train_loss": 1.0, "test_loss": 1.2, "test_accuracy": 0.5}]
    summary = need(ns, "report")(
        history, {"loss": 0.1, "accuracy": 0.99}, {"loss": 0.3, "accuracy": 0.9}
    )
    if abs(summary["train_accuracy"] - 0.99) > 1e-9 or abs(summary["test_accuracy"] - 0.9) > 1e-9:
        raise CheckFailed(
            "train_accuracy / test_accuracy should come from the train / test metrics"
        )
    fig = need(ns, "plot_history")(history)
    if not hasattr(fig, "axes"):
        raise CheckFailed("plot_history should return a matplotlib Figure")
    __import__("matplotlib.pyplot").pyplot.close(fig)
    return "summary keeps train and test apart; a figure is returned"


CHECKS = {
    "download": {"downloads and verifies": _download_roundtrip},
    "data": {
        "preprocess shapes and dtypes": _preprocess_shapes,
        "loaders shuffle only training data": _loaders_order,
    },
    "model": {"model output shape": _model_shape, "devices": _device},
    "loss_opt": {"loss on easy logits": _loss, "optimizer": _optimizer},
    "metric": {"accuracy": _accuracy, "evaluate": _evaluate},
    "train": {"one epoch learns": _train},
    "report": {"report and plot": _report},
}
