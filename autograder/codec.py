"""A safe wire format for observations: JSON plus numeric numpy arrays, never pickle.

The worker runs untrusted code, so whatever it sends may be forged. Decoding must never execute
anything, never raise anything but :class:`CodecError`, and never allocate without bound: only
plain JSON types and arrays of numeric dtypes come back, and a frame over any of the
:class:`Limits` is refused *before* it is built. What is checked, and how cheaply:

- bytes: the channel reads the 4-byte length header first and refuses a frame over
  ``max_bytes`` without reading its payload (the caller then kills the worker: the stream is
  out of step). :func:`decode` checks the length again.
- only ASCII (the encoder escapes every other character), so the text costs one byte a
  character; ``\\u`` escapes (text Python stores at 2 or 4 bytes a character) are counted and
  capped by ``max_escaped_chars``.
- objects (containers + scalars + keys): every JSON value or key follows ``[``, ``{``, ``,`` or
  ``:``, so ``1 +`` their count (``bytes.count``, C speed) bounds the objects from above; base64
  array data contains none of them. Only when that bound is over the limit *and* the frame has
  strings is the exact count taken outside the strings, which are found by splitting at the
  quotes once the two escapes holding a quote or a backslash are overwritten (C speed).
- nesting depth: from the brackets outside strings (``bytes.translate`` keeps only them, a
  numpy cumulative sum gives the depth), done only once the counts are under the limits.
- string length: every string is measured before parsing; only an array's ``data`` may be
  longer than ``max_string_chars`` (up to the base64 size of ``max_array_bytes``, and only
  base64 characters).
- arrays: dtype from a numeric allow-list; ``shape`` a list of at most ``max_array_dims``
  non-negative ints whose product is at most ``max_array_elements`` and whose size in bytes is
  at most ``max_array_bytes``; the base64 text must have exactly the length that dtype and shape
  imply before it is decoded.
- ``{"__float__": ...}`` only carries ``"nan"``, ``"inf"``, ``"-inf"`` (what the encoder writes
  for non-finite floats); bare ``NaN``/``Infinity`` literals, and numbers of more than 64
  characters, are refused.

Limits and why. Largest honest frames, measured 2026-12-01 by recording every frame the grader
decoded while grading the reference, one correct alternative and two mutants of each assignment
(16 submissions, 304 frames; objects = the ``1 + count([{,:)`` bound the pre-scan uses;
depth counts a scalar inside a container as one more level, so brackets nest no deeper):

    assignment   bytes     depth  objects  text string  array elements  array bytes  dims
    pytorch      212,760   7      508      220          9,600           38,400       4
    tf2          212,634   7      508      75           9,600           38,400       4
    tf1          212,634   6      213      75           9,600           38,400       4
    bridge       27,590    8      609      44           945             3,780        4

    limit (LIMITS)       value      margin over the largest honest value
    max_bytes            16 MiB     79x (and room for the ``load`` request's code, ~13 KB today)
    max_depth            32         4x (deeper needs no honest observation; cheap to allow)
    max_objects          100,000    164x; at most ~20 MB of Python objects per frame
    max_string_chars     4 Mi       the grader's ``load`` request carries the learner's code
                                    (13,127 characters for the PyTorch reference): 300x that
    max_escaped_chars    4 Mi       same code, if it holds non-Latin-1 text (4 bytes a char max)
    max_array_elements   2 Mi       218x
    max_array_bytes      8 MiB      218x
    max_array_dims       8          2x

Worst case, a frame the limits accept costs the reader about 16 MiB (its bytes) + 16 MiB (the
text) + ~20 MB (objects) + 16 MiB (strings) + 8 MiB (an array): under 100 MB, against ~3 GB
for a 63 MB frame of empty lists before these limits. The same limits hold where the worker
reads (the grader's requests, a probe child's answers), which are no bigger.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from course_utils.errors import CourseError

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
_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
_MAX_NUMBER_CHARS = 64
_MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one frame may hold. See the module docstring and docs/security.md for the honest
    maxima these are chosen from."""

    max_bytes: int = 16 * _MIB
    max_depth: int = 32
    max_objects: int = 100_000
    max_string_chars: int = 4 * _MIB
    max_escaped_chars: int = 4 * _MIB
    max_array_elements: int = 2 * _MIB
    max_array_bytes: int = 8 * _MIB
    max_array_dims: int = 8


LIMITS = Limits()
MAX_FRAME_BYTES = LIMITS.max_bytes


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


# -- the pre-scan: refuse before building --------------------------------------------------------

_BRACKETS = b"[]{}"
_NOT_BRACKETS = bytes(b for b in range(256) if b not in _BRACKETS)
_STEP = np.zeros(256, dtype=np.int8)
_STEP[[ord("["), ord("{")]] = 1
_STEP[[ord("]"), ord("}")]] = -1
_BASE64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="


def _refuse(what: str, got: int, limit: str, value: int) -> CodecError:
    return CodecError(
        f"frame refused: {what} {got} exceeds Limits.{limit}={value} (no honest probe sends "
        "that much; the worker sent something the grader never asked for)"
    )


def _object_bound(raw: bytes | bytearray) -> int:
    return 1 + sum(raw.count(c) for c in (b"[", b"{", b",", b":"))


def _unescape_quotes(raw: bytes | bytearray) -> bytes | bytearray:
    """The frame with every ``\\\\`` and ``\\"`` escape overwritten by ``__`` (left to right, as a
    JSON reader pairs them): its remaining quotes are exactly the strings' delimiters."""
    if b"\\" not in raw:
        return raw
    return raw.replace(b"\\\\", b"__").replace(b'\\"', b"__")


def _check_strings(cleaned: bytes | bytearray, limits: Limits) -> bytes | bytearray:
    """Measure every string (``cleaned`` from :func:`_unescape_quotes`, whose quote count the
    caller has bounded); return the frame with string contents removed, for exact structural
    counts and the depth. Splitting at the quotes, C speed: outside, inside, outside, ..."""
    if b'"' not in cleaned:
        return cleaned
    parts = cleaned.split(b'"')
    texts = parts[1::2]
    if max(map(len, texts)) > limits.max_string_chars:
        data_cap = 4 * math.ceil(limits.max_array_bytes / 3)
        for i in range(1, len(parts), 2):
            chars = len(parts[i])
            if chars <= limits.max_string_chars:
                continue
            is_data = parts[i - 1] == b": " and i >= 3 and parts[i - 2] == b"data"
            if not is_data or parts[i].translate(None, _BASE64):
                raise _refuse("a string of", chars, "max_string_chars", limits.max_string_chars)
            if chars > data_cap:
                raise _refuse("array data of", chars, "max_array_bytes (as base64)", data_cap)
    if b"\\u" in cleaned:  # text Python may store at 2 or 4 bytes a character
        escaped = sum(len(t) for t in texts if b"\\u" in t)
        if escaped > limits.max_escaped_chars:
            cap = limits.max_escaped_chars
            raise _refuse("text with \\u escapes of", escaped, "max_escaped_chars", cap)
    return b'""'.join(parts[0::2])


def _depth(structural: bytes | bytearray) -> int:
    opens = structural.count(b"[") + structural.count(b"{")
    closes = structural.count(b"]") + structural.count(b"}")
    if opens != closes:  # valid JSON balances them; closers alone are not bounded by max_objects
        raise CodecError(f"corrupt frame: {opens} opening and {closes} closing brackets")
    brackets = structural.translate(None, _NOT_BRACKETS)
    if not brackets:
        return 0
    steps = _STEP[np.frombuffer(brackets, dtype=np.uint8)]
    return int(np.cumsum(steps, dtype=np.int32).max())


def prescan(raw: bytes | bytearray, limits: Limits = LIMITS) -> None:
    """Refuse a frame over the limits from its raw bytes alone (C-speed counts, one regex pass,
    one numpy pass): nothing of it is built. Raises CodecError naming the limit."""
    if len(raw) > limits.max_bytes:
        raise _refuse("length", len(raw), "max_bytes", limits.max_bytes)
    if not raw.isascii():
        raise CodecError(
            "frame refused: it is not ASCII (the encoder escapes every other character); "
            "the worker sent bytes it did not encode"
        )
    cleaned = _unescape_quotes(raw)
    strings = cleaned.count(b'"') // 2  # every string is a key or a value: an object
    if strings > limits.max_objects:
        raise _refuse("string count", strings, "max_objects", limits.max_objects)
    bound = _object_bound(raw)
    if bound > limits.max_objects and strings == 0:
        raise _refuse("object count", bound, "max_objects", limits.max_objects)
    structural = _check_strings(cleaned, limits)
    if bound > limits.max_objects:  # strings may hold structural characters: count exactly
        bound = _object_bound(structural)
        if bound > limits.max_objects:
            raise _refuse("object count", bound, "max_objects", limits.max_objects)
    depth = _depth(structural)
    if depth > limits.max_depth:
        raise _refuse("nesting depth", depth, "max_depth", limits.max_depth)


# -- building ------------------------------------------------------------------------------------


def _number_text(text: str) -> str:
    if len(text) > _MAX_NUMBER_CHARS:
        raise CodecError(
            f"frame refused: a number of {len(text)} characters (at most {_MAX_NUMBER_CHARS})"
        )
    return text


def _parse_int(text: str) -> int:
    return int(_number_text(text))


def _parse_float(text: str) -> float:
    return float(_number_text(text))


def _parse_constant(name: str) -> float:
    raise CodecError(f"frame refused: bare {name} (the encoder writes non-finite floats tagged)")


def _decode_array(spec: Any, limits: Limits) -> np.ndarray:
    if not isinstance(spec, dict) or set(spec) != {"dtype", "shape", "data"}:
        raise CodecError("array refused: expected keys dtype, shape, data")
    dtype, shape, data = spec["dtype"], spec["shape"], spec["data"]
    if dtype not in _ALLOWED_DTYPES:
        raise CodecError(f"array refused: unsupported dtype {str(dtype)[:40]!r}")
    if not isinstance(shape, list) or len(shape) > limits.max_array_dims:
        got = len(shape) if isinstance(shape, list) else type(shape).__name__
        raise CodecError(f"array refused: shape of {got} dims (Limits.max_array_dims=8)")
    if not all(type(d) is int and d >= 0 for d in shape):
        raise CodecError(f"array refused: invalid shape {str(shape)[:80]}")
    count = math.prod(shape)
    if count > limits.max_array_elements:
        raise _refuse("array of elements", count, "max_array_elements", limits.max_array_elements)
    nbytes = count * np.dtype(dtype).itemsize
    if nbytes > limits.max_array_bytes:
        raise _refuse("array of bytes", nbytes, "max_array_bytes", limits.max_array_bytes)
    if not isinstance(data, str) or len(data) != 4 * math.ceil(nbytes / 3):
        got = len(data) if isinstance(data, str) else type(data).__name__
        raise CodecError(
            f"array refused: data does not match its shape {shape} and dtype {dtype} "
            f"(expected {4 * math.ceil(nbytes / 3)} base64 characters, got {got})"
        )
    try:
        raw = base64.b64decode(data, validate=True)
    except binascii.Error as exc:
        raise CodecError(f"array refused: data is not base64 ({exc})") from None
    if len(raw) != nbytes:
        raise CodecError(f"array refused: data of {len(raw)} bytes, shape needs {nbytes}")
    return np.frombuffer(raw, dtype=np.dtype(dtype)).reshape(shape).copy()


def _decode(obj: Any, limits: Limits = LIMITS) -> Any:
    if isinstance(obj, dict):
        if len(obj) == 1 and _ND in obj:
            return _decode_array(obj[_ND], limits)
        if len(obj) == 1 and _FLOAT in obj:
            value = obj[_FLOAT]
            if not isinstance(value, str) or value not in _NON_FINITE:
                raise CodecError(
                    f"frame refused: __float__ carries {str(value)[:20]!r}, expected one of "
                    "'nan', 'inf', '-inf'"
                )
            return _NON_FINITE[value]
        if not all(isinstance(k, str) for k in obj):
            raise CodecError("frame refused: a dict key that is not a string")
        return {k: _decode(v, limits) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v, limits) for v in obj]
    if isinstance(obj, str) and len(obj) > limits.max_string_chars:
        raise _refuse("a string of", len(obj), "max_string_chars", limits.max_string_chars)
    return obj


def decode(raw: bytes | bytearray, limits: Limits = LIMITS) -> Any:
    """Parse bytes made by :func:`encode`; raise CodecError (naming the limit) on anything else."""
    try:
        prescan(raw, limits)
        tree = json.loads(
            raw.decode("ascii"),
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
        return _decode(tree, limits)
    except CodecError:
        raise
    except RecursionError:
        raise CodecError("frame refused: nested too deeply to parse") from None
    except Exception as exc:  # noqa: BLE001 - whatever a forged frame trips, it is refused
        raise CodecError(f"corrupt frame: {type(exc).__name__}: {str(exc)[:200]}") from None
