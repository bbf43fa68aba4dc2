"""A small schema language for the plain data a worker sends back (numpy + stdlib only).

Both sides import it: probes' packages declare what each probe returns
(``autograder/probes/<assignment>/schemas.py``), and the grader checks every reply against that
declaration (``autograder/hidden/validate.py``) before any verdict sees it.

``check(schema, value)`` answers None when ``value`` fits, else one message naming what was
expected, what was found and where (``obs['a']['lrs'][0]``). Checking never raises and never
recurses deeper than the schema (or an ``Any``'s ``max_depth``) allows.

Decisions, for whoever writes a schema:

- **Dicts are closed.** A key that a ``Dict`` names neither as required nor as optional is a
  misfit: verdicts iterate some dicts, and an observation should not carry what no probe sends.
  Dicts whose keys are data (metric names, epochs' entries) are ``Map(key, value, max_len)``.
- **Optional keys may be absent; a present key must fit.** A key that may hold None is
  ``Opt(...)``.
- **Numbers.** ``Int`` is an int (not a bool), ``Float`` a float, ``Num`` either (the wire format
  turns ``1.0`` into a float and ``1`` into an int, so use ``Num`` where a probe does not call
  ``float()`` itself). Non-finite floats fit: deciding about NaN is the verdicts' business.
- **Arrays** are numpy arrays after decoding: ``Array(kinds="f", ndim=2, max_size=...)`` checks
  the dtype's kind (``f`` float, ``i`` signed, ``u`` unsigned, ``b`` bool), the number of
  dimensions and the element count. Arrays made from what a learner returned get every numeric
  kind (``NUMERIC``): a wrong dtype is the verdict's finding, not a malformed reply.
- **Bounds.** Every ``Str`` and ``List`` has a maximum length (defaults below); ``Any`` accepts
  plain data up to ``max_depth`` levels and ``max_items`` elements. The codec already caps a
  frame at 64 MB; these bounds keep each value as small as an honest probe makes it.
- **Tuples** arrive as lists (JSON has no tuples): ``Tuple(a, b)`` is a list of exactly those.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

MAX_STR = 1000
"""Default longest string: type names, device names, short messages."""
MAX_LIST = 10_000
"""Default longest list."""
MAX_ARRAY = 10_000_000
"""Default largest array (elements)."""
NUMERIC = "biuf"
"""Every dtype kind the wire format carries."""


class Schema:
    """Base of every schema node; ``_misfit`` returns None or a message without the path."""

    def _misfit(self, value: object, path: str, depth: int) -> str | None:
        raise NotImplementedError

    def describe(self) -> str:
        """What the schema expects, in words, for messages."""
        raise NotImplementedError


def check(schema: Schema, value: object, path: str = "obs") -> str | None:
    """None when ``value`` fits ``schema``; else ``expected ..., got ... at <path>``."""
    try:
        return schema._misfit(value, path, 0)
    except RecursionError:  # a schema cannot nest this deep; a value alone cannot cause it
        return f"expected at most a few levels of nesting, got a value nested too deep at {path}"


def _got(value: object) -> str:
    """A short description of a value for messages (never its content)."""
    if isinstance(value, np.ndarray):
        return f"a {value.ndim}-dim {value.dtype} array of shape {tuple(value.shape)}"
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, str):
        return f"a string of {len(value)} characters"
    if isinstance(value, list | tuple | dict):
        return f"a {type(value).__name__} of {len(value)} items"
    if value is None:
        return "None"
    return f"a {type(value).__name__}"


def _mismatch(schema: Schema, value: object, path: str) -> str:
    return f"expected {schema.describe()}, got {_got(value)} at {path}"


@dataclass(frozen=True)
class _AnyValue(Schema):
    """Any plain data (None, bool, number, string, list, dict with string keys, array)."""

    max_depth: int = 4
    max_items: int = MAX_LIST
    max_len: int = MAX_STR

    def _misfit(self, value: object, path: str, depth: int) -> str | None:
        if value is None or isinstance(value, bool | int | float):
            return None
        if isinstance(value, str):
            if len(value) > self.max_len:
                return (
                    f"expected a string of at most {self.max_len} characters, "
                    f"got {_got(value)} at {path}"
                )
            return None
        if isinstance(value, np.ndarray):
            return None if value.dtype.kind in NUMERIC else _mismatch(self, value, path)
        if isinstance(value, list | dict):
            if depth >= self.max_depth:
                return (
                    f"expected plain data nested at most {self.max_depth} levels, "
                    f"got deeper nesting at {path}"
                )
            if len(value) > self.max_items:
                return f"expected at most {self.max_items} items, got {_got(value)} at {path}"
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(value, dict) and not isinstance(key, str):
                    return f"expected string keys, got a {type(key).__name__} key at {path}"
                found = self._misfit(item, f"{path}[{key!r}]", depth + 1)
                if found:
                    return found
            return None
        return _mismatch(self, value, path)

    def describe(self) -> str:
        return "plain data"


Any = _AnyValue()
"""Plain data nested at most 4 levels (``_AnyValue(max_depth=...)`` for another bound)."""


def AnyOf(max_depth: int = 4, max_items: int = MAX_LIST) -> Schema:  # noqa: N802 - a schema
    """Plain data with other bounds than ``Any``'s."""
    return _AnyValue(max_depth, max_items)


@dataclass(frozen=True)
class Bool(Schema):
    def _misfit(self, value: object, path: str, depth: int) -> str | None:
        return None if isinstance(value, bool) else _mismatch(self, value, path)

    def describe(self) -> str:
        return "a bool"


@dataclass(frozen=True)
class Int(Schema):
    min: int | None = None

    def _misfit(self, value: object, path: str, depth: int) -> str | None:
        if not isinstance(value, int) or isinstance(value, bool):
            return _mismatch(self, value, path)
        if self.min is not None and value < self.min:
            return f"expected {self.describe()}, got {value} at {path}"
        return None

    def describe(self) -> str:
        return "an int" if self.min is None else f"an int >= {self.min}"


@dataclass(frozen=True)
class Float(Schema):
    def _misfit(self, value: object, path: str, depth: int) -> str | None:
        return None if isinstance(value, float) else _mismatch(self, value, path)

    def describe(self) -> str:
        return "a float"


@dataclass(frozen=True)
class Num(Schema):
    """An int or a float (not a bool)."""

    def _misfit(self, value: object, path: str, depth: int) -> str | None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return None
        return _mismatch(self, value, path)

    def describe(self) -> str:
        return "a number"


@dataclass(frozen=True)
class Str(Schema):
    max_len: int = MAX_STR
    choices: frozenset[str] | None = None

    def _misfit(self, value: object, path: str, depth: int) -> str | None:
        if not isinstance(value, str):
            return _mismatch(self, value, path)
        if len(value) > self.max_len:
            return (
                f"expected a string of at most {self.max_len} characters, got {_got(value)} "
                f"at {path}"
            )
        if self.choices is not None and value not in self.choices:
            return f"expected {self.describe()}, got {value[:40]!r} at {path}"
        return None

    def describe(self) -> str:
        if self.choices is not None:
            return "one of " + ", ".join(repr(c) for c in sorted(self.choices))
        return "a string"


def Choice(*choices: str) -> Str:  # noqa: N802 - a schema
    """One of these strings."""
    return Str(max(map(len, choices)), frozenset(choices))


@dataclass(frozen=True)
class Opt(Schema):
    """None, or a value that fits ``inner``."""

    inner: Schema

    def _misfit(self, value: object, path: str, depth: int) -> str | None:
        return None if value is None else self.inner._misfit(value, path, depth)

    def describe(self) -> str:
        return f"None or {self.inner.describe()}"


@dataclass(frozen=True)
class Array(Schema):
    """A numpy array of one of ``kinds`` (dtype kinds), ``ndim`` dimensions (any when None)."""

    kinds: str = NUMERIC
    ndim: int | None = None
    max_size: int = MAX_ARRAY

    def _misfit(self, value: object, path: str, depth: int) -> str | None:
        if not isinstance(value, np.ndarray):
            return _mismatch(self, value, path)
        if value.dtype.kind not in self.kinds or (
            self.ndim is not None and value.ndim != self.ndim
        ):
            return _mismatch(self, value, path)
        if value.size > self.max_size:
            return f"expected {self.describe()}, got {value.size} elements at {path}"
        return None

    def describe(self) -> str:
        names = {"f": "float", "i": "int", "u": "unsigned", "b": "bool"}
        kinds = (
            "numeric" if set(self.kinds) >= set(NUMERIC) else "/".join(names[k] for k in self.kinds)
        )
        dims = "" if self.ndim is None else f"{self.ndim}-dim "
        return f"a {dims}{kinds} array of at most {self.max_size} elements"


@dataclass(frozen=True)
class List(Schema):
    item: Schema
    max_len: int = MAX_LIST

    def _misfit(self, value: object, path: str, depth: int) -> str | None:
        if not isinstance(value, list):
            return _mismatch(self, value, path)
        if len(value) > self.max_len:
            return f"expected {self.describe()}, got {_got(value)} at {path}"
        for i, item in enumerate(value):
            found = self.item._misfit(item, f"{path}[{i}]", depth + 1)
            if found:
                return found
        return None

    def describe(self) -> str:
        return f"a list of at most {self.max_len} items"


@dataclass(frozen=True)
class Tuple(Schema):
    """A list of exactly these items (a tuple on the worker side)."""

    items: tuple[Schema, ...]

    def __init__(self, *items: Schema):
        object.__setattr__(self, "items", items)

    def _misfit(self, value: object, path: str, depth: int) -> str | None:
        if not isinstance(value, list | tuple) or len(value) != len(self.items):
            return _mismatch(self, value, path)
        for i, (schema, item) in enumerate(zip(self.items, value, strict=True)):
            found = schema._misfit(item, f"{path}[{i}]", depth + 1)
            if found:
                return found
        return None

    def describe(self) -> str:
        return f"a list of exactly {len(self.items)} items"


@dataclass(frozen=True)
class Dict(Schema):
    """A dict with these keys: ``required`` must be there, ``optional`` may; no others."""

    required: Mapping[str, Schema] = field(default_factory=dict)
    optional: Mapping[str, Schema] = field(default_factory=dict)

    def _misfit(self, value: object, path: str, depth: int) -> str | None:
        if not isinstance(value, dict):
            return _mismatch(self, value, path)
        missing = [k for k in self.required if k not in value]
        if missing:
            return f"expected a dict with the key {missing[0]!r}, got no such key at {path}"
        for key, item in value.items():
            schema = self.required.get(key) if key in self.required else self.optional.get(key)
            if schema is None:
                return (
                    f"expected only the keys {self._keys()}, "
                    f"got the key {str(key)[:40]!r} at {path}"
                )
            found = schema._misfit(item, f"{path}[{key!r}]", depth + 1)
            if found:
                return found
        return None

    def _keys(self) -> str:
        return ", ".join(repr(k) for k in [*self.required, *self.optional])

    def describe(self) -> str:
        return f"a dict with the keys {self._keys()}"


@dataclass(frozen=True)
class Map(Schema):
    """A dict whose keys are data: at most ``max_len`` keys that fit ``key``, values ``value``."""

    value: Schema
    key: Str = Str(200)
    max_len: int = 1000

    def _misfit(self, value: object, path: str, depth: int) -> str | None:
        if not isinstance(value, dict):
            return _mismatch(self, value, path)
        if len(value) > self.max_len:
            return f"expected {self.describe()}, got {_got(value)} at {path}"
        for key, item in value.items():
            found = self.key._misfit(key, f"a key of {path}", depth + 1) or self.value._misfit(
                item, f"{path}[{key!r}]", depth + 1
            )
            if found:
                return found
        return None

    def describe(self) -> str:
        return f"a dict of at most {self.max_len} entries"


@dataclass(frozen=True)
class OneOf(Schema):
    """A value that fits one of ``options`` (tried in order; the message names the first
    option whose misfit lies deepest, the likely intended one)."""

    options: tuple[Schema, ...]

    def __init__(self, *options: Schema):
        object.__setattr__(self, "options", options)

    def _misfit(self, value: object, path: str, depth: int) -> str | None:
        misfits = []
        for option in self.options:
            found = option._misfit(value, path, depth)
            if found is None:
                return None
            misfits.append(found)
        return max(misfits, key=lambda m: m.rsplit(" at ", 1)[-1].count("["))

    def describe(self) -> str:
        return " or ".join(o.describe() for o in self.options)
