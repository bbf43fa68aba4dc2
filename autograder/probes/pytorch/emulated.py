"""A second device on a machine without a GPU, for placement probes: ``torch.device("meta")``
that keeps its data.

Tensors "on" the emulated device are :class:`OnDevice` wrappers: they report ``device='meta'``,
hold a CPU tensor, and compute every operation on it. Like a GPU, the device refuses to mix its
tensors with CPU tensors of one or more dimensions (CPU scalars are allowed), and stores float32
values in a narrower format: a copy onto it keeps :data:`MANTISSA_BITS` bits of mantissa (like
TF32). So the values a loop computes show where it computed them: the grader recomputes them
from the seed with the same rounding (``instances.device_round``), and values computed from
batches that were never moved (or from a copy the code rounded itself, on the CPU) differ.

:func:`emulated` switches the device on for one call: whatever would make a tensor on ``meta``
(``Tensor.to``, ``Module.to``, factory functions with ``device=``, new tensors inside composite
operations) then makes it on the emulated device.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_map

from autograder.probes.common.instances import device_round

DEVICE = torch.device("meta")


def _round(t: torch.Tensor) -> torch.Tensor:
    """float32 values as the device stores them (``instances.device_round``)."""
    if t.dtype != torch.float32:
        return t
    return torch.from_numpy(device_round(t.detach().contiguous().numpy()))


class OnDevice(torch.Tensor):
    """A tensor on the emulated device: reports ``meta``, computes on ``_host`` (CPU)."""

    _host: torch.Tensor

    @staticmethod
    def __new__(cls, inner: torch.Tensor) -> OnDevice:
        wrapper = torch.Tensor._make_wrapper_subclass(  # type: ignore[attr-defined]
            cls,
            inner.size(),
            strides=inner.stride(),
            storage_offset=inner.storage_offset(),
            dtype=inner.dtype,
            layout=inner.layout,
            device=DEVICE,
            requires_grad=False,  # autograd records above the wrapper, never on its data
        )
        wrapper._host = inner
        return wrapper

    def numpy(self, *, force: bool = False) -> Any:  # type: ignore[override]
        """As on a GPU: no numpy view of device memory."""
        raise TypeError(
            "can't convert meta device type tensor to numpy. Use Tensor.cpu() to copy the tensor "
            "to host memory first."
        )

    def __repr__(self) -> str:  # type: ignore[override]
        text = repr(self._host)
        return text[:-1] + ", device='meta')" if text.endswith(")") else text

    def tolist(self) -> Any:  # type: ignore[override]
        """As on a GPU: the values, copied to the host (a subclass has no ``tolist``)."""
        return self._host.tolist()

    def __tensor_flatten__(self) -> tuple[list[str], None]:
        return ["_host"], None

    @classmethod
    def __torch_dispatch__(  # type: ignore[override]
        cls, func: Any, types: Any, args: Any = (), kwargs: Any = None
    ) -> Any:
        kwargs = kwargs or {}
        _check_same_device(func, args, kwargs)
        if func.overloadpacket in _COPIES:
            return _to_copy(args[0], _copy_options(args, kwargs))
        if func is torch.ops.aten.detach.default:
            return OnDevice(args[0]._host.detach())
        unwrapped = tree_map(_unwrap, (args, kwargs))
        out = func(*unwrapped[0], **_on_cpu(unwrapped[1]))
        if _mutates(func):
            return args[0] if isinstance(args[0], OnDevice) else out
        return tree_map(_wrap, out)


def _unwrap(x: Any) -> Any:
    return x._host if isinstance(x, OnDevice) else x


def _wrap(x: Any) -> Any:
    return OnDevice(x) if isinstance(x, torch.Tensor) and not isinstance(x, OnDevice) else x


def _on_cpu(kwargs: dict[str, Any]) -> dict[str, Any]:
    if "device" in kwargs and kwargs["device"] is not None:
        return {**kwargs, "device": torch.device("cpu")}
    return kwargs


def _mutates(func: Any) -> bool:
    schema = func._schema
    return (
        bool(schema.arguments)
        and schema.arguments[0].is_out is False
        and any(a.alias_info is not None and a.alias_info.is_write for a in schema.arguments[:1])
    )


def _check_same_device(func: Any, args: Any, kwargs: Any) -> None:
    found: list[torch.Tensor] = []
    tree_map(lambda x: found.append(x) if isinstance(x, torch.Tensor) else None, (args, kwargs))
    on = any(isinstance(t, OnDevice) for t in found)
    off = [t for t in found if not isinstance(t, OnDevice) and t.dim() > 0]
    if on and off and func.overloadpacket not in _COPIES:
        raise RuntimeError(
            "Expected all tensors to be on the same device, but found at least two devices, "
            f"meta and {off[0].device}! (in {func.__name__})"
        )


_COPIES = (torch.ops.aten._to_copy, torch.ops.aten.to)
"""Copies to a device: ``_to_copy`` under autograd, the ``to`` overloads where nothing records
(inference mode, no autograd key), with the device and dtype as keywords or positionally."""


def _copy_options(args: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The device, dtype and memory format one of :data:`_COPIES` is asked for."""
    options = {
        k: kwargs[k] for k in ("device", "dtype", "memory_format") if kwargs.get(k) is not None
    }
    for a in args[1:]:
        if isinstance(a, torch.Tensor):  # to(other): its device and dtype
            options.setdefault("device", DEVICE if isinstance(a, OnDevice) else a.device)
            options.setdefault("dtype", a.dtype)
        elif isinstance(a, torch.device):
            options.setdefault("device", a)
        elif isinstance(a, torch.dtype):
            options.setdefault("dtype", a)
    return options


def _to_copy(source: torch.Tensor, kwargs: dict[str, Any]) -> torch.Tensor:
    device = kwargs.get("device")
    inner = source._host if isinstance(source, OnDevice) else source
    options = {k: v for k, v in kwargs.items() if k in ("dtype", "memory_format")}
    if device is not None and torch.device(device).type != "meta":
        return inner.to(device=device, **options)
    copied = inner.to(**options)
    if isinstance(source, OnDevice):  # already there: a dtype change computes, nothing lands
        return source if copied is inner else OnDevice(copied)
    if copied is inner:
        copied = inner.clone()
    return OnDevice(_round(copied))


def values_of(t: Any) -> Any:
    """A numpy copy of a CPU tensor's or an emulated-device tensor's values; None for anything
    else (a real meta tensor has none, a GPU tensor is not read here)."""
    if type(t) is OnDevice:
        t = t._host
    if type(t) is not torch.Tensor and not isinstance(t, torch.nn.Parameter):
        return None
    if t.device.type != "cpu":
        return None
    return t.detach().numpy().copy()


def _is_meta(device: Any) -> bool:
    return device is not None and torch.device(device).type == "meta"


class _Mode(TorchDispatchMode):
    """While on, every operation that would make a tensor on ``meta`` (a copy there, a factory
    function, a new tensor inside a composite operation) makes it on the emulated device."""

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        if func.overloadpacket in _COPIES:
            options = _copy_options(args, kwargs)
            if _is_meta(options.get("device")):
                return _to_copy(args[0], options)
        elif _is_meta(kwargs.get("device")):
            out = func(*args, **{**kwargs, "device": torch.device("cpu")})
            return tree_map(_wrap, out)
        return func(*args, **kwargs)


@contextlib.contextmanager
def emulated() -> Iterator[None]:
    """While on, copies to ``torch.device('meta')`` land on the emulated device."""
    with _Mode():
        yield
