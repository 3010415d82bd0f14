"""Reading a benchmark's pickle without running what it holds.

A pickle may name any importable global and call it while loading (``os.system``
with an argument, say), so a downloaded file must not go through ``pickle.load``.
:func:`load_restricted` admits only the globals a format needs and refuses any other
before looking it up, naming the file and the global.
"""

from __future__ import annotations

import gzip
import pickle
from collections.abc import Collection
from pathlib import Path
from typing import Any

from naspred.errors import BenchmarkFileError

#: The globals a pickled numpy array needs (``numpy.core`` before numpy 2, ``numpy._core``
#: after; ``_frombuffer`` for protocol 5), for formats that store arrays.
NUMPY_GLOBALS: frozenset[tuple[str, str]] = frozenset(
    {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        *(
            (f"numpy.{core}.{module}", name)
            for core in ("core", "_core")
            for module, name in (
                ("multiarray", "_reconstruct"),
                ("multiarray", "scalar"),
                ("numeric", "_frombuffer"),
            )
        ),
    }
)


class _Forbidden(pickle.UnpicklingError):
    """A pickle named a global outside the format's admitted ones."""


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file: Any, allowed: Collection[tuple[str, str]], encoding: str) -> None:
        super().__init__(file, encoding=encoding)
        self.allowed = allowed

    def find_class(self, module: str, name: str) -> Any:  # noqa: D102 - pickle protocol
        if (module, name) not in self.allowed:
            raise _Forbidden(f"{module}.{name}")  # never imported, so never run
        return super().find_class(module, name)


def load_restricted(
    path: str | Path,
    allowed: Collection[tuple[str, str]],
    *,
    admits: str,
    hints: tuple[str, ...] = (),
    encoding: str = "ASCII",
    gzipped: bool = False,
) -> Any:
    """The object in the pickle ``path``, built only from the globals in ``allowed``.

    Args:
        path: the pickle file.
        allowed: ``(module, name)`` of every global the format needs (builtin
            containers, numbers and strings need none).
        admits: what ``allowed`` amounts to, in words, for the error message.
        hints: the expected layout and where to get the file, for the error message.
        encoding: how Python 2 strings are decoded (``"bytes"`` keeps them bytes, as
            the CIFAR batches need).
        gzipped: the file is a gzip of the pickle (as NAS-Bench-360's
            ``s2_cifar100.gz``); it is unpacked while read.

    Raises:
        BenchmarkFileError: the file is missing, not a readable pickle, or names a
            global outside ``allowed`` (refused unlooked-up: loading it runs no code).
    """
    path = Path(path)
    if not path.is_file():
        raise BenchmarkFileError(path, "file not found", *hints)
    try:
        with gzip.open(path, "rb") if gzipped else path.open("rb") as fh:
            return _RestrictedUnpickler(fh, allowed, encoding).load()
    except _Forbidden as err:
        raise BenchmarkFileError(
            path,
            f"refused: the pickle names the global {err}, which this format does not "
            f"need (only {admits} are admitted, so that loading it cannot run code)",
            *hints,
        ) from None
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError,
            IndexError, gzip.BadGzipFile) as err:  # fmt: skip
        raise BenchmarkFileError(
            path, f"not a readable pickle ({type(err).__name__}: {err})", *hints
        ) from err
