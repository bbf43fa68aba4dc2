"""A safe wire format for observations: JSON plus numeric numpy arrays, never pickle.

The worker runs untrusted code, so whatever it sends may be forged. Decoding must never execute
anything or allocate without bound: only plain JSON types and arrays of numeric dtypes come back.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import numpy as np

from course_utils.errors import CourseError

MAX_FRAME_BYTES = 64 * 1024 * 1024
_ALLOWED_DTYPES = {
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
}
_ND = "__ndarray__"
_FLOAT = "__float__"


class CodecError(CourseError, ValueError):
    """A frame that is not valid observation data."""


def _encode(obj: Any) -> Any:
    if obj is None or isinstance(obj, bool | str):
        return obj
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        value = float(obj)
        return value if math.isfinite(value) else {_FLOAT: repr(value)}
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        arr = np.ascontiguousarray(obj)
        if arr.dtype.name not in _ALLOWED_DTYPES:
            arr = arr.astype(np.float64)
        return {
            _ND: {
                "dtype": arr.dtype.name,
                "shape": list(arr.shape),
                "data": base64.b64encode(arr.tobytes()).decode("ascii"),
            }
        }
    if isinstance(obj, dict):
        return {str(k): _encode(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_encode(v) for v in obj]
    return repr(obj)[:200]


def encode(obj: Any) -> bytes:
    """Serialise plain data (dicts, lists, numbers, strings, numpy arrays) to bytes."""
    return json.dumps(_encode(obj), allow_nan=False).encode("utf-8")


def _decode(obj: Any) -> Any:
    if isinstance(obj, dict):
        if set(obj) == {_ND}:
            spec = obj[_ND]
            dtype, shape, data = spec.get("dtype"), spec.get("shape"), spec.get("data")
            if dtype not in _ALLOWED_DTYPES or not isinstance(shape, list):
                raise CodecError(f"array with unsupported dtype {dtype!r}")
            if not all(isinstance(d, int) and d >= 0 for d in shape):
                raise CodecError(f"array with invalid shape {shape!r}")
            raw = base64.b64decode(data, validate=True)
            arr = np.frombuffer(raw, dtype=np.dtype(dtype))
            if arr.size != math.prod(shape):
                raise CodecError(f"array data does not match its shape {shape}")
            return arr.reshape(shape).copy()
        if set(obj) == {_FLOAT}:
            return float(obj[_FLOAT])
        return {k: _decode(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v) for v in obj]
    return obj


def decode(raw: bytes) -> Any:
    """Parse bytes made by :func:`encode`; raise CodecError on anything else."""
    if len(raw) > MAX_FRAME_BYTES:
        raise CodecError(f"frame of {len(raw)} bytes exceeds {MAX_FRAME_BYTES}")
    try:
        return _decode(json.loads(raw.decode("utf-8")))
    except CodecError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise CodecError(f"corrupt frame: {exc}") from None
