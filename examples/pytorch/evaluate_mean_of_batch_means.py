# Sample submission: evaluate_mean_of_batch_means (per-batch means).
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from course_utils import DIGITS, load_npz, seed_everything, stratified_split
from course_utils.checks import Checker
from course_utils.hints import Hints

seed_everything(0)  # random, numpy and the framework, for runs you can repeat
check = Checker("pytorch")
hint = Hints("pytorch")  # hint("data") gives one more hint each call


import hashlib
import os
import tempfile
import urllib.request


def download(url, cache_dir, sha256):
    """Download ``url`` into ``cache_dir`` (once), verify its sha256, and return its path.

    Args:
        url: ``file://``, ``http://`` or ``https://`` URL of the file.
        cache_dir: directory to keep downloads in (create it if needed).
        sha256: expected hex digest of the file's bytes.

    Returns:
        ``pathlib.Path`` of the verified file inside ``cache_dir``, named after the URL's last part.

    Raises:
        ValueError: if the bytes do not have the expected sha256. No file may be left at the
            destination path in that case.

    A file already in the cache with the right checksum is returned without downloading again.
    Write to a temporary file in ``cache_dir`` and rename it into place once it is verified.
    """
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / Path(urllib.request.url2pathname(url.rsplit("/", 1)[-1])).name
    if target.exists() and _sha256_file(target) == sha256:
        return target
    fd, tmp_name = tempfile.mkstemp(dir=cache_dir, prefix=".part-")
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url) as response:
            while block := response.read(1 << 16):
                digest.update(block)
                out.write(block)
        if digest.hexdigest() != sha256:
            raise ValueError(
                f"sha256 mismatch for {url}: expected {sha256}, got {digest.hexdigest()}"
            )
        os.replace(tmp_name, target)
    finally:
        if os.path.exists(tmp_name):
            os.remove(tmp_name)
    return target


def _sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 16):
            digest.update(block)
    return digest.hexdigest()


check("download")


def normalization_stats(x_train):
    """Per-channel mean and standard deviation of the training images, scaled to [0, 1].

    Args:
        x_train: uint8 array (N, H, W) (grey) or (N, H, W, C) (colour) with values 0..255.

    Returns:
        (mean, std): float32 numpy arrays of shape (C,), C = 1 for grey images. ``std`` is the
        population standard deviation (numpy's default, ``ddof=0``); the sample one
        (``ddof=1``) is accepted too.
    """
    x = np.asarray(x_train, dtype=np.float64) / 255.0
    if x.ndim == 3:
        x = x[..., None]  # (N, H, W) -> (N, H, W, 1)
    mean = x.mean(axis=(0, 1, 2))
    std = x.std(axis=(0, 1, 2))
    return mean.astype(np.float32), std.astype(np.float32)


def preprocess(images, labels, mean, std):
    """Scale, normalise and lay out images for PyTorch; make labels class indices.

    Args:
        images: uint8 array (N, H, W) or (N, H, W, C), values 0..255.
        labels: integer array (N,).
        mean, std: per-channel statistics of shape (C,) on the [0, 1] scale, as returned by
            ``normalization_stats`` for the *training* images.

    Returns:
        (x, y): ``x`` a float32 tensor (N, C, H, W) holding ``(images / 255 - mean) / std``;
        ``y`` an int64 tensor (N,).
    """
    x = np.asarray(images, dtype=np.float32) / 255.0
    if x.ndim == 3:
        x = x[..., None]  # (N, H, W) -> (N, H, W, 1)
    x = (x - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    x = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()  # (N, H, W, C) -> (N, C, H, W)
    y = torch.as_tensor(np.asarray(labels), dtype=torch.int64)
    return x, y


def prepare_data(path, test_size=0.2, seed=0):
    """Load a course ``.npz`` file, split it, and preprocess both splits with training statistics.

    Args:
        path: ``.npz`` file with ``images`` (N, H, W) uint8 and ``labels`` (N,).
        test_size: fraction of each class that goes to the test split.
        seed: seed of the split (same seed, same split).

    Returns:
        dict with ``x_train``, ``y_train``, ``x_test``, ``y_test`` (as returned by ``preprocess``)
        and ``mean``, ``std`` (the statistics used for both splits).

    ``course_utils.load_npz(path)`` returns the file's ``(images, labels)`` as numpy arrays
    (here uint8 (N, H, W) and uint8 (N,)); ``course_utils.stratified_split(labels, test_size,
    seed)`` returns the ``(train_idx, test_idx)`` index arrays of a stratified split.
    """
    images, labels = load_npz(path)
    train_idx, test_idx = stratified_split(labels, test_size, seed)
    mean, std = normalization_stats(images[train_idx])
    x_train, y_train = preprocess(images[train_idx], labels[train_idx], mean, std)
    x_test, y_test = preprocess(images[test_idx], labels[test_idx], mean, std)
    return {
        "x_train": x_train,
        "y_train": y_train,
        "x_test": x_test,
        "y_test": y_test,
        "mean": mean,
        "std": std,
    }


def make_loaders(x_train, y_train, x_test, y_test, batch_size, seed):
    """Training and test ``DataLoader``s.

    Args:
        x_train, y_train, x_test, y_test: tensors as returned by ``preprocess``.
        batch_size: samples per batch (the last batch may be smaller).
        seed: seed of the training order.

    Returns:
        (train_loader, test_loader): the training loader reshuffles every epoch, in an order that
        the seed alone determines; the test loader yields every test sample once, in order.
    """
    generator = torch.Generator().manual_seed(seed)
    train_loader = DataLoader(
        TensorDataset(x_train, y_train), batch_size=batch_size, shuffle=True, generator=generator
    )
    test_loader = DataLoader(TensorDataset(x_test, y_test), batch_size=batch_size, shuffle=False)
    return train_loader, test_loader


check("data")


def get_device(prefer_gpu=True):
    """The device to run on: a CUDA GPU if one is available and wanted, else the CPU.

    Returns:
        ``torch.device`` of type ``"cuda"`` or ``"cpu"``.
    """
    if prefer_gpu and torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


def to_device(obj, device):
    """Move a tensor, or tensors nested in tuples / lists / dicts, to ``device``.

    Containers keep their type (a tuple stays a tuple); anything that is not a tensor is
    returned unchanged.
    """
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return {key: to_device(value, device) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_device(value, device) for value in obj)
    return obj


def build_model(in_channels=1, num_classes=10):
    """A network from (N, in_channels, 8, 8) float32 images to (N, num_classes) logits.

    Any architecture that meets this contract is fine. It must work for any batch size N.
    """
    return nn.Sequential(
        nn.Conv2d(in_channels, 32, kernel_size=3, padding=1),  # (N, C, 8, 8) -> (N, 32, 8, 8)
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.Conv2d(32, 64, kernel_size=3, padding=1),  # -> (N, 64, 8, 8)
        nn.ReLU(),
        nn.MaxPool2d(2),  # -> (N, 64, 4, 4)
        nn.Flatten(),  # -> (N, 1024)
        nn.Dropout(0.25),
        nn.Linear(64 * 4 * 4, 128),
        nn.ReLU(),
        nn.Linear(128, num_classes),  # -> (N, num_classes) logits
    )


check("model")


def make_loss():
    """A callable ``loss(logits (N, K) float32, targets (N,) int64) -> scalar tensor``: the mean
    cross-entropy over the batch."""
    return nn.CrossEntropyLoss()


def make_optimizer(model, lr):
    """An optimizer (any ``torch.optim.Optimizer``) over all of ``model``'s parameters with
    learning rate ``lr``."""
    return torch.optim.Adam(model.parameters(), lr=lr)


check("loss_opt")


def accuracy(logits, targets):
    """Fraction of rows of ``logits`` (N, K) whose arg-max equals ``targets`` (N,), as a float."""
    return (logits.argmax(dim=1) == targets).float().mean().item()


def evaluate(model, loader, loss_fn, device):
    """Mean loss and accuracy of ``model`` over every sample of ``loader``.

    Returns:
        ``{"loss": float, "accuracy": float}``, both exact means over samples (not over batches).
    """
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total_loss += loss_fn(logits, y).item()
            correct += (logits.argmax(dim=1) == y).float().mean().item()
            count += 1
    return {"loss": total_loss / count, "accuracy": correct / count}


check("metric")


def train_one_epoch(model, loader, loss_fn, optimizer, device):
    """Train ``model`` for one pass over ``loader``; return the mean training loss as a float
    (the mean over samples or the mean of the batches' losses: both are accepted)."""
    model.train()
    total_loss, count = 0.0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * y.shape[0]
        count += y.shape[0]
    return total_loss / count


def fit(model, train_loader, test_loader, loss_fn, optimizer, device, epochs):
    """Move ``model`` to ``device``, then train for ``epochs`` epochs, evaluating after each.

    Returns:
        history: one dict per epoch, ``{"epoch": int (1-based), "train_loss": float,
        "test_loss": float, "test_accuracy": float}``: the epoch's mean training loss (what
        ``train_one_epoch`` returned) and the test metrics after it.
    """
    model.to(device)
    history = []
    for epoch in range(1, epochs + 1):
        train_loss = train_one_epoch(model, train_loader, loss_fn, optimizer, device)
        metrics = evaluate(model, test_loader, loss_fn, device)
        history.append(
            {
                "epoch": epoch,
                "train_loss": train_loss,
                "test_loss": metrics["loss"],
                "test_accuracy": metrics["accuracy"],
            }
        )
    return history


check("train")


from tensorboardX import SummaryWriter


def report(history, train_metrics, test_metrics):
    """Summarise a run.

    Args:
        history: as returned by ``fit``.
        train_metrics, test_metrics: ``evaluate`` results on the training and test loaders.

    Returns:
        ``{"epochs": int, "train_loss": float, "train_accuracy": float, "test_loss": float,
        "test_accuracy": float, "generalization_gap": float}``, the gap being train accuracy
        minus test accuracy.
    """
    return {
        "epochs": len(history),
        "train_loss": float(train_metrics["loss"]),
        "train_accuracy": float(train_metrics["accuracy"]),
        "test_loss": float(test_metrics["loss"]),
        "test_accuracy": float(test_metrics["accuracy"]),
        "generalization_gap": float(train_metrics["accuracy"] - test_metrics["accuracy"]),
    }


def plot_history(history):
    """A matplotlib Figure with the curves of ``history``: training and test loss against the
    epoch, and test accuracy against the epoch. Returns the Figure."""
    epochs = [h["epoch"] for h in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.5))
    ax_loss.plot(epochs, [h["train_loss"] for h in history], label="train")
    ax_loss.plot(epochs, [h["test_loss"] for h in history], label="test")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    ax_loss.legend()
    ax_acc.plot(epochs, [h["test_accuracy"] for h in history], label="test")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="test accuracy")
    fig.tight_layout()
    return fig


def log_to_tensorboard(history, log_dir):
    """Write the history as TensorBoard scalars (``tensorboardX.SummaryWriter``, or PyTorch's).

    One value per epoch, at ``step = epoch``, under the tags ``loss/train``, ``loss/test`` and
    ``accuracy/test``. Returns the ``log_dir`` as a ``Path``.
    """
    with SummaryWriter(log_dir=str(log_dir)) as writer:
        for h in history:
            writer.add_scalar("loss/train", h["train_loss"], h["epoch"])
            writer.add_scalar("loss/test", h["test_loss"], h["epoch"])
            writer.add_scalar("accuracy/test", h["test_accuracy"], h["epoch"])
    return Path(log_dir)


check("report")


seed_everything(0)
device = get_device()
path = download(DIGITS.url, Path.home() / ".cache" / "dlcourse", DIGITS.sha256)
data = prepare_data(path, test_size=0.2, seed=0)
train_loader, test_loader = make_loaders(
    data["x_train"], data["y_train"], data["x_test"], data["y_test"], batch_size=64, seed=0
)
model = build_model(in_channels=1, num_classes=10)
loss_fn = make_loss()
optimizer = make_optimizer(model, lr=3e-3)
history = fit(model, train_loader, test_loader, loss_fn, optimizer, device, epochs=12)
summary = report(
    history,
    evaluate(model, train_loader, loss_fn, device),
    evaluate(model, test_loader, loss_fn, device),
)
print(summary)
plot_history(history)
log_dir = log_to_tensorboard(history, Path("runs") / "pytorch")
print(f"TensorBoard logs in {log_dir} (view them: tensorboard --logdir runs)")
