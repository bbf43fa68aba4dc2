"""Image layouts: NCHW (PyTorch) and NHWC (TensorFlow), with errors that say what went wrong."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from course_utils.backends import get_backend
from course_utils.errors import CourseError

NCHW_TO_NHWC = (0, 2, 3, 1)  # (N, C, H, W) -> (N, H, W, C)
NHWC_TO_NCHW = (0, 3, 1, 2)  # (N, H, W, C) -> (N, C, H, W)


class LayoutError(CourseError, ValueError):
    """An array does not have the layout a step expects."""


def nchw_to_nhwc(x: Any) -> Any:
    """Move the channel axis last: a permutation of axes, never a reshape."""
    _require_rank(x, 4, "(N, C, H, W)")
    return get_backend(x).permute(x, NCHW_TO_NHWC)


def nhwc_to_nchw(x: Any) -> Any:
    """Move the channel axis to position 1: a permutation of axes, never a reshape."""
    _require_rank(x, 4, "(N, H, W, C)")
    return get_backend(x).permute(x, NHWC_TO_NCHW)


def require_images(x: Any, layout: str, channels: int | None = None) -> None:
    """Raise a LayoutError that explains the problem unless ``x`` is a 4-dim image batch.

    ``layout`` is ``"NCHW"`` or ``"NHWC"``; ``channels`` (optional) is the expected channel count.
    """
    shape = get_backend(x).shape(x)
    _require_rank(x, 4, f"({', '.join(layout)})")
    c = shape[layout.index("C")]
    if channels is not None and c != channels:
        other = shape[3] if layout == "NCHW" else shape[1]
        hint = (
            f"; the {'last' if layout == 'NCHW' else 'second'} axis has {other}: "
            f"is this batch in {'NHWC' if layout == 'NCHW' else 'NCHW'}?"
            if other == channels
            else ""
        )
        raise LayoutError(
            f"expected {layout} with {channels} channel(s) on axis {layout.index('C')}, "
            f"got shape {shape}{hint}"
        )


def _require_rank(x: Any, rank: int, described: str) -> None:
    shape = get_backend(x).shape(x)
    if len(shape) != rank:
        hint = ": did you forget the channel axis?" if len(shape) == rank - 1 else ""
        raise LayoutError(
            f"expected a {rank}-dim {described} array, got {len(shape)}-dim {shape}{hint}"
        )


@dataclass
class LayoutTiming:
    """Milliseconds per forward + backward of a conv stack, per precision and memory format."""

    device: str
    torch_version: str
    batch: int
    size: int
    rows: list[dict[str, Any]] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"conv stack fwd+bwd, batch {self.batch}, {self.size}x{self.size}, {self.device}"]
        lines += [
            f"{r['mode']:>14}: NCHW {r['NCHW']:8.2f} ms   "
            f"channels_last {r['channels_last']:8.2f} ms   ({r['NCHW'] / r['channels_last']:.2f}x)"
            for r in self.rows
        ]
        return "\n".join(lines)


def time_conv_layouts(
    iters: int = 50, batch: int = 64, size: int = 56, channels: int = 64
) -> LayoutTiming:
    """Time a 5-conv stack (with batch norm) forward + backward in NCHW and in channels-last
    memory format, on the GPU when there is one (then also TF32, bf16 and fp16 autocast)."""
    import platform

    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    modes: list[tuple[str, Any, bool]] = [("fp32", None, False)]
    if device == "cuda":
        modes += [
            ("tf32", None, True),
            ("bf16 autocast", torch.bfloat16, True),
            ("fp16 autocast", torch.float16, True),
        ]
    name = torch.cuda.get_device_name(0) if device == "cuda" else platform.processor() or "cpu"
    timing = LayoutTiming(name, torch.__version__, batch, size)
    for mode, dtype, tf32 in modes:
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
        times = {}
        for layout, fmt in (
            ("NCHW", torch.contiguous_format),
            ("channels_last", torch.channels_last),
        ):
            torch.manual_seed(0)
            model = _conv_stack(channels).to(device).to(memory_format=fmt)
            x = torch.randn(batch, 3, size, size, device=device).to(memory_format=fmt)
            times[layout] = _time_steps(model, x, iters, dtype, device)
        timing.rows.append({"mode": mode, **{k: round(v, 2) for k, v in times.items()}})
    return timing


def _conv_stack(channels: int) -> Any:
    from torch import nn

    layers: list[nn.Module] = [nn.Conv2d(3, channels, 3, padding=1), nn.ReLU()]
    for _ in range(4):
        layers += [nn.Conv2d(channels, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU()]
    return nn.Sequential(*layers)


def _time_steps(model: Any, x: Any, iters: int, autocast_dtype: Any, device: str) -> float:
    import torch

    def step() -> None:
        with torch.autocast(
            device_type=device, dtype=autocast_dtype, enabled=autocast_dtype is not None
        ):
            out = model(x)
        out.float().sum().backward()

    for _ in range(3):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(iters):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - started) / iters * 1000
