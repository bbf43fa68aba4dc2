"""Image layouts: NCHW (PyTorch) and NHWC (TensorFlow), with errors that say what went wrong."""

from __future__ import annotations

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
