"""Every error naspred raises on purpose, in one tree under :class:`NaspredError`.

Each message names the thing that is wrong and the fix. The CLI catches
:class:`NaspredError` alone: anything else escaping a command is a bug in
naspred and is shown with its traceback. Classes that replace a built-in error
also derive from it (``InvalidInputError`` is a ``ValueError``), so code that
catches the built-in keeps working.
"""

from __future__ import annotations

from pathlib import Path


class NaspredError(Exception):
    """Base class of naspred's own errors."""


class InvalidInputError(NaspredError, ValueError):
    """An argument or value that naspred cannot use (a bad size, option or shape)."""


class WrongTypeError(NaspredError, TypeError):
    """An argument of the wrong kind (an arch of another space, an unknown keyword)."""


class UnknownNameError(NaspredError, KeyError):
    """A name that no registry, task or file holds (proxy, predictor, space, target, ...)."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class UnknownTaskError(UnknownNameError):
    """A task name that no installed source provides."""


class UnknownArchError(UnknownNameError):
    """A benchmark holds no record of the queried arch."""


class MissingInfoError(UnknownNameError):
    """A predictor was not given a piece of side data it declares in ``needs``."""


class ArchKeyError(InvalidInputError):
    """A benchmark key that does not describe an architecture of the space."""


class ProxySpecError(InvalidInputError):
    """A user proxy given as ``module:function`` that cannot be imported or called."""


class NotFittedError(NaspredError, RuntimeError):
    """``query`` (or ``transform``) was called before ``fit``."""


class QueryBudgetError(NaspredError, RuntimeError):
    """A search asked the oracle for more queries than its budget allows."""


class DataUnavailableError(NaspredError, RuntimeError):
    """Requested data is not on disk and could not be fetched."""


class JournalError(NaspredError):
    """A journal or results store is damaged or was made with other settings."""


class BenchmarkFileError(NaspredError):
    """A benchmark file is missing or does not have the expected layout."""

    def __init__(self, path: str | Path, problem: str, expected: str = "", get_it: str = ""):
        self.path = Path(path)
        parts = [f"{self.path}: {problem}"]
        if expected:
            parts.append(f"expected: {expected}")
        if get_it:
            parts.append(f"get it: {get_it}")
        super().__init__("\n  ".join(parts))
