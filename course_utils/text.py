"""Text for the learner to read: a ``str`` that a notebook shows as text, not as a quoted repr."""

from __future__ import annotations

from typing import Any


class Text(str):
    """A ``str`` (compare, format, print it as one) that Jupyter displays without quotes or
    escaped newlines, as the last value of a cell."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))
