"""Practice checks for assignment 1 (PyTorch): fresh random instances on every call."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from course_utils.checks.runner import need
from course_utils.practice import common
from course_utils.practice.common import fail


def _torch():  # noqa: ANN202 - imported on use
    import torch

    return torch


def _loaders(ns: dict[str, Any], rng: np.random.Generator) -> str:
    torch = _torch()
    n, batch = int(rng.integers(11, 40)), int(rng.integers(3, 8))
    while n % batch == 0:
        n += 1
    x = torch.arange(n, dtype=torch.float32).view(n, 1, 1, 1)
    y = torch.arange(n)
    train, test = need(ns, "make_loaders")(x, y, x, y, batch_size=batch, seed=int(rng.integers(99)))
    sizes = [len(b[1]) for b in test]
    want = [batch] * (n // batch) + [n % batch]
    if sizes != want:
        raise fail(f"test batches of sizes {want}", f"{sizes}", "batch_size not passed through")
    order = torch.cat([b[1] for b in test]).tolist()
    if order != list(range(n)):
        raise fail("the test samples in their order", f"{order[:8]}...", "the test loader shuffles")
    epochs = [torch.cat([b[1] for b in train]).tolist() for _ in range(2)]
    if sorted(epochs[0]) != list(range(n)):
        raise fail("every training sample once per epoch", f"{sorted(epochs[0])}", "sampling")
    if epochs[0] == list(range(n)) or epochs[0] == epochs[1]:
        raise fail(
            "a new random order of training samples every epoch",
            "the same order" if epochs[0] == epochs[1] else "the samples in order",
            "shuffle=True is missing on the training loader",
        )
    return f"{n} samples in batches of {batch}: training reshuffled per epoch, test in order"


def _model(ns: dict[str, Any], rng: np.random.Generator) -> str:
    torch = _torch()
    channels, classes, n = (
        int(rng.choice([1, 3])),
        int(rng.integers(2, 13)),
        int(rng.integers(1, 9)),
    )
    torch.manual_seed(int(rng.integers(2**31)))
    model = need(ns, "build_model")(in_channels=channels, num_classes=classes)
    x = torch.randn(n, channels, 8, 8)
    model.eval()
    with torch.no_grad():
        out = common.attempt(
            model,
            x,
            expected=f"logits of shape {(n, classes)} for input {tuple(x.shape)}",
            cause="a batch size or channel count written into the model (use x.flatten(1), "
            "in_channels and num_classes)",
        )
        if tuple(out.shape) != (n, classes):
            raise fail(
                f"logits of shape {(n, classes)} for input {tuple(x.shape)}",
                f"{tuple(out.shape)}",
                "a batch size or channel count written into the model (use x.flatten(1) and "
                "the in_channels / num_classes arguments)",
            )
        single = torch.cat([model(x[i : i + 1]) for i in range(n)])
    if torch.allclose(out.sum(dim=1), torch.ones(n), atol=1e-4) and bool((out >= 0).all()):
        raise fail(
            "raw logits (CrossEntropyLoss applies log-softmax itself)",
            "rows that sum to 1",
            "a softmax at the end of the model",
        )
    if not torch.allclose(out, single, atol=1e-5):
        raise fail(
            "each sample's logits not to depend on the rest of its batch (eval mode)",
            f"a difference of {float((out - single).abs().max()):.3g}",
            "a reshape that mixes samples of the batch",
        )
    _train_mode(model, torch.randn(4, channels, 8, 8), classes)
    return f"{n} x {channels} x 8 x 8 -> {n} x {classes}; samples independent; train mode too"


def _train_mode(model: Any, x: Any, classes: int) -> None:
    """Training mode, which training uses and eval-mode checks never see: (4, classes) finite
    logits that differ between the 4 images."""
    torch = _torch()
    expected = f"logits of shape {(len(x), classes)} that differ between images in training mode"
    cause = (
        "a layer that behaves differently in training (dropout with p=1, batch norm over the "
        "wrong axis, a branch on self.training)"
    )
    model.train()
    try:
        out = common.attempt(model, x, expected=expected, cause=cause)
    finally:
        model.eval()
    if tuple(out.shape) != (len(x), classes):
        raise fail(expected, f"{tuple(out.shape)}", cause)
    values = out.detach().double()
    if not bool(torch.isfinite(values).all()) or bool((values == values[:1]).all()):
        raise fail(expected, "the same logits for every image, or non-finite ones", cause)


def _loss(ns: dict[str, Any], rng: np.random.Generator) -> str:
    torch = _torch()
    n, k = int(rng.integers(2, 17)), int(rng.integers(2, 11))
    raw = rng.normal(scale=3.0, size=(n, k))
    targets = rng.integers(0, k, size=n)
    # log-softmax rows: cross-entropy of raw logits and NLL of log-probabilities agree on them
    logits = common.log_softmax(raw)
    want = float(common.cross_entropy(raw, targets).mean())
    got = float(
        need(ns, "make_loss")()(torch.tensor(logits, dtype=torch.float32), torch.tensor(targets))
    )
    if abs(common.finite(got, "the loss") - want) > 1e-4:
        raise fail(
            f"mean cross-entropy {want:.5f} on random logits",
            f"{got:.5f}",
            "softmax applied before CrossEntropyLoss (it applies log-softmax itself), or a sum "
            "instead of a mean",
        )
    return f"cross-entropy of {n} random rows of {k} logits exact"


def _optimizer(ns: dict[str, Any], rng: np.random.Generator) -> str:
    torch = _torch()
    model = torch.nn.Linear(int(rng.integers(2, 6)), int(rng.integers(2, 6)))
    lr = float(rng.uniform(0.001, 0.1))
    opt = need(ns, "make_optimizer")(model, lr)
    params = {id(p) for g in opt.param_groups for p in g["params"]}
    if params != {id(p) for p in model.parameters()}:
        raise fail(
            "an optimizer over exactly this model's parameters",
            f"{len(params)} parameters, not the model's {len(list(model.parameters()))}",
            "the optimizer was built for another model",
        )
    lrs = sorted({g["lr"] for g in opt.param_groups})
    if any(abs(v - lr) > 1e-12 for v in lrs):
        raise fail(f"lr {lr:.5f}", f"{lrs}", "a hard-coded learning rate")
    before = [p.detach().clone() for p in model.parameters()]
    model(torch.randn(4, model.in_features)).square().sum().backward()
    opt.step()
    if all(torch.equal(b, p) for b, p in zip(before, model.parameters())):
        raise fail("opt.step() to change the parameters", "no change", "a zero learning rate")
    return f"optimizer over the model's parameters, lr {lr:.5f}"


def _accuracy(ns: dict[str, Any], rng: np.random.Generator) -> str:
    torch = _torch()
    # more samples than classes: an arg-max over the batch axis has k entries, never n, so it
    # cannot be compared with the n targets and match by chance (as it could when n == k)
    k = int(rng.integers(2, 10))
    n = int(rng.integers(k + 3, 40))
    logits = rng.normal(size=(n, k))
    targets = rng.integers(0, k, size=n)
    want = float(np.mean(logits.argmax(1) == targets))
    got = common.attempt(
        need(ns, "accuracy"),
        torch.tensor(logits),
        torch.tensor(targets),
        expected=f"the float {want:.4f} for logits {(n, k)}",
        cause="arg-max over the batch axis (dim=0) instead of the class axis (dim=1)",
    )
    if not isinstance(got, float) or abs(common.finite(got, "the accuracy") - want) > 1e-6:
        raise fail(
            f"the float {want:.4f}",
            repr(got),
            "arg-max over the wrong axis, a count instead of a fraction, or a tensor instead of "
            "a float (.item())",
        )
    return f"accuracy of {n} random predictions over {k} classes exact"


def _evaluate(ns: dict[str, Any], rng: np.random.Generator) -> str:
    torch = _torch()
    n, batch = int(rng.integers(9, 30)), int(rng.integers(2, 8))
    while n % batch == 0:
        n += 1
    torch.manual_seed(int(rng.integers(2**31)))
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Dropout(0.5), torch.nn.Linear(4, 3))
    x = torch.randn(n, 1, 2, 2)
    model.eval()
    with torch.no_grad():
        logits = model(x)
    y = torch.as_tensor(common.uneven_labels(logits.argmax(1).numpy(), batch, 3))
    loss = float(torch.nn.functional.cross_entropy(logits, y))
    acc = float((logits.argmax(1) == y).float().mean())
    model.train()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch)
    got = need(ns, "evaluate")(model, loader, torch.nn.CrossEntropyLoss(), torch.device("cpu"))
    common.returns(got, dict, "evaluate", "a dict {'loss': float, 'accuracy': float}")
    got_acc = common.finite(got.get("accuracy"), "evaluate's accuracy")
    got_loss = common.finite(got.get("loss"), "evaluate's loss")
    if abs(got_acc - acc) > 1e-6 or abs(got_loss - loss) > 1e-5:
        raise fail(
            f"loss {loss:.5f}, accuracy {acc:.4f} over {n} samples in batches of {batch}",
            f"loss {got['loss']:.5f}, accuracy {got['accuracy']:.4f}",
            "a mean of batch means (the last batch is smaller), or dropout left on (model.eval())",
        )
    return f"exact means over {n} samples, last batch of {n % batch}"


def _train(ns: dict[str, Any], rng: np.random.Generator) -> str:
    torch = _torch()
    n, batch, lr = int(rng.integers(12, 30)), int(rng.integers(3, 6)), float(rng.uniform(0.05, 0.3))
    x = torch.tensor(rng.normal(size=(n, 1, 2, 2)), dtype=torch.float32)
    y = torch.tensor(rng.integers(0, 3, size=n))
    torch.manual_seed(int(rng.integers(2**31)))
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3))
    replay = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3))
    replay.load_state_dict(model.state_dict())
    loss_fn = torch.nn.CrossEntropyLoss()
    losses = []
    for start in range(0, n, batch):  # the reference replay: fresh gradients for every batch
        xb, yb = x[start : start + batch], y[start : start + batch]
        replay.zero_grad()
        loss = loss_fn(replay(xb), yb)
        loss.backward()
        losses.append(loss.item() * len(yb))
        with torch.no_grad():
            for p in replay.parameters():
                p -= lr * p.grad
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    got = need(ns, "train_one_epoch")(model, loader, loss_fn, opt, torch.device("cpu"))
    drift = max(
        float((a - b).detach().abs().max()) for a, b in zip(model.parameters(), replay.parameters())
    )
    if not drift <= 1e-5:  # NaN weights fail too
        raise fail(
            f"the weights of {-(-n // batch)} plain SGD steps, one per batch",
            f"weights that differ by up to {drift:.3g}",
            "gradients not zeroed before each backward() (they add up across batches), or a "
            "step skipped",
        )
    want = sum(losses) / n
    sizes = [min(batch, n - start) for start in range(0, n, batch)]
    batch_means = float(np.mean([v / size for v, size in zip(losses, sizes)]))  # also accepted
    if (
        not isinstance(got, float)
        or min(abs(common.finite(got, "the mean loss") - want), abs(got - batch_means)) > 1e-4
    ):
        raise fail(
            f"the mean training loss {want:.5f} as a float",
            repr(got),
            "the last batch's loss only, a sum instead of a mean, or a tensor instead of "
            "loss.item()",
        )
    return f"{-(-n // batch)} SGD steps match a replay; mean loss {want:.4f}"


PRACTICE = {
    "download": {"random file: verify, cache, refuse": common.download},
    "data": {
        "statistics of random images": common.normalization_stats,
        "prepare_data uses training statistics": common.prepare_data,
        "preprocess random images to NCHW": partial(common.preprocess, layout="NCHW"),
        "loaders on a random size": _loaders,
    },
    "model": {"random sizes, samples independent": _model},
    "loss_opt": {"cross-entropy on random logits": _loss, "optimizer": _optimizer},
    "metric": {"accuracy on random logits": _accuracy, "evaluate, uneven batches": _evaluate},
    "train": {"one epoch against an SGD replay": _train},
    "report": {"random summary": common.report, "TensorBoard scalars": common.tensorboard},
}
