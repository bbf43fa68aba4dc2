"""Does the emulated device behave like a GPU for the loops learners write: it computes, it
refuses CPU tensors of one or more dimensions in its operations, and its copies carry its
rounding, in every common style of moving data (``.to(device)``, ``non_blocking``, ``.to(x)``,
factory functions with ``device=``, ``model.to``, optimizers, ``.cpu().numpy()``)?"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from autograder.probes.common import instances as inst  # noqa: E402
from autograder.probes.pytorch.emulated import OnDevice, emulated, values_of  # noqa: E402

pytestmark = pytest.mark.torch
DEVICE = torch.device("meta")


def _problem():  # noqa: ANN202
    x = torch.from_numpy(np.random.default_rng(0).normal(size=(8, 6)).astype(np.float32))
    y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    model = torch.nn.Sequential(torch.nn.Linear(6, 3))
    return x, y, model


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_a_correct_loop_runs_and_its_values_carry_the_rounding(optimizer):
    x, y, model = _problem()
    start = [p.detach().clone() for p in model.parameters()]
    with emulated():
        model.to(DEVICE)
        assert all(
            isinstance(p, torch.nn.Parameter) and p.device == DEVICE for p in model.parameters()
        )
        opt = (torch.optim.SGD if optimizer == "sgd" else torch.optim.Adam)(
            model.parameters(), lr=0.1
        )
        xb, yb = x.to(DEVICE, non_blocking=True), y.to(device=DEVICE)
        assert isinstance(xb, OnDevice) and xb.device == DEVICE
        total = torch.zeros((), device=DEVICE)
        for _ in range(2):
            out = model(xb)
            loss = torch.nn.functional.cross_entropy(out, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.detach()
        correct = (out.argmax(dim=1) == yb).sum().item()
        host = out.detach().cpu().numpy()
    assert 0 <= correct <= 8 and host.shape == (8, 3)
    assert np.isfinite(total.item())
    moved = values_of(xb)
    assert np.array_equal(moved, inst.device_round(x.numpy()))
    assert not np.array_equal(moved, x.numpy())
    after = [values_of(p) for p in model.parameters()]
    assert any(not np.allclose(a, s.numpy()) for a, s in zip(after, start, strict=True))


@pytest.mark.parametrize(
    "mistake",
    [
        lambda model, x, y: model(x),  # batch never moved
        lambda model, x, y: torch.zeros(8, 3) + model(x.to(DEVICE)),  # new tensor on the CPU
        lambda model, x, y: torch.nn.functional.cross_entropy(model(x.to(DEVICE)), y),  # targets
    ],
    ids=["batch", "new_tensor", "targets"],
)
def test_cpu_tensors_meeting_the_device_raise_a_device_mismatch(mistake):
    x, y, model = _problem()
    with emulated(), pytest.raises(RuntimeError, match="two devices"):
        model.to(DEVICE)
        mistake(model, x, y)


def test_cpu_scalars_and_moves_by_example_are_allowed():
    x, y, model = _problem()
    with emulated():
        model.to(DEVICE)
        out = model(x.to(DEVICE))
        scaled = out * torch.tensor(2.0)  # a CPU scalar may meet a device tensor, as on CUDA
        targets = y.to(out.device)
        like = x.to(out)  # .to(other_tensor) takes its device and dtype
        hot = torch.nn.functional.one_hot(targets, 3).float()
        assert hot.device == DEVICE and like.device == DEVICE and scaled.device == DEVICE
        assert torch.equal(out.cpu(), torch.from_numpy(values_of(out)))


def test_the_device_is_off_outside_the_context():
    x, _, _ = _problem()
    with emulated():
        assert isinstance(x.to(DEVICE), OnDevice)
    plain = x.to(DEVICE)
    assert not isinstance(plain, OnDevice) and values_of(plain) is None


def test_copies_made_in_inference_mode_land_on_the_device_too():
    """Under ``torch.inference_mode`` nothing records autograd, so copies arrive as ``aten.to``
    overloads, not ``_to_copy``: they must land (and round) all the same."""
    x, _, model = _problem()
    with emulated():
        model.to(DEVICE)
        with torch.inference_mode():
            batch = x.clone()
            moved = batch.to(DEVICE)
            again = moved.to(DEVICE)
            back = model(moved).cpu()
    assert isinstance(moved, OnDevice) and again is moved
    assert np.array_equal(values_of(moved), inst.device_round(x.numpy()))
    assert type(back) is torch.Tensor


def test_a_dtype_change_on_the_device_does_not_round_again():
    """Only copies from another device land in the device's format; ``logits.float()`` or
    ``.double()`` there computes as usual, so a loss of converted logits is still exact."""
    x, _, _ = _problem()
    with emulated():
        moved = x.to(DEVICE) * 1.000001
        same = moved.float()
        wider = moved.double()
    assert same is moved
    assert np.array_equal(values_of(wider), values_of(moved).astype(np.float64))


def test_device_tensors_read_like_gpu_tensors():
    """numpy() refuses as on CUDA (with the same advice), repr names the device."""
    x, _, _ = _problem()
    with emulated():
        moved = x.to(DEVICE)
        with pytest.raises(TypeError, match="Use Tensor.cpu"):
            moved.numpy()
        assert "device='meta'" in repr(moved)
