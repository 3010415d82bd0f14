"""The one journal: append-only JSON lines, fsync-ed per write, and atomic JSON files.

Every resumable thing naspred writes (a study's results store, the proxy-scoring
journal, a learning-curve benchmark, the failures beside them) is a JSON-lines file
written by :func:`append_lines`: one whole line per write, flushed and fsync-ed, so a
kill loses at most the line being written. :func:`read_lines` applies the one rule
for a torn last line, the same for every file:

* a last line without its newline that parses as a whole JSON value is kept (a
  hand-written file may lack the final newline); the next append starts a new line;
* a last line without its newline that does not parse is a write cut short by a
  kill: it is dropped with a warning, and cut off before the next append, so the
  unit it held is simply run again;
* any other line that does not parse is damage, not a kill: an error names the file
  and the line.

:class:`Journal` is a JSON-lines file of rows keyed by one field (``"unit"`` by
default), the latest row per key winning; it is what the unit runner
(:mod:`naspred.experiments.units`) records finished units in. It sits at the ground
floor (beside :mod:`naspred.parallel`) because benchmark loaders read journals too:
a learning-curve benchmark is one.

:func:`write_json_atomic` and :func:`write_text_atomic` replace a file whole (a
temporary file in the same directory, fsync-ed, then ``os.replace``).
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from naspred.errors import JournalError

log = logging.getLogger(__name__)


def finite_or_none(value: Any) -> float | None:
    """``value`` as a float, or None for a missing, NaN or infinite one (JSON has no
    NaN; the Suite-Zero release stores null for the same)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def jsonable(value: Any) -> Any:
    """A plain JSON value: numpy scalars unwrapped, NaN/inf as null, containers walked."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):  # numpy
        return jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def read_lines(path: str | Path) -> tuple[list[tuple[int, str]], int, bool]:
    """The complete lines of a JSON-lines file, by the torn-last-line rule above.

    Returns:
        ``(lines, end, torn)``: the non-blank complete lines as ``(line number,
        text)``; the byte offset where the complete part ends (where the next append
        must start); and whether a torn last line was dropped.

    Raises:
        JournalError: the file is not UTF-8 text.
    """
    path = Path(path)
    raw = path.read_bytes() if path.exists() else b""
    end = raw.rfind(b"\n") + 1
    tail = raw[end:]
    torn = False
    if tail.strip():
        try:
            json.loads(tail)
            end = len(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            torn = True
            log.warning(
                "%s: dropping a partial last line of %d bytes (a write cut short, e.g. by "
                "a kill); what it held will be computed again",
                path,
                len(tail),
            )
    try:
        text = raw[:end].decode("utf-8")
    except UnicodeDecodeError as err:
        raise JournalError(f"{path}: not a UTF-8 text file") from err
    lines = [(i, line) for i, line in enumerate(text.splitlines(), start=1) if line.strip()]
    return lines, end, torn


def parse_line(path: str | Path, number: int, text: str) -> Any:
    """One journal line as JSON; a line that does not parse names the file and line."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise JournalError(
            f"{path}: line {number} is not valid JSON ({err.msg}); the file is damaged "
            "(not just cut short by a kill): move it away to start afresh"
        ) from err


def prepare_append(path: str | Path, end: int) -> None:
    """Make ``path`` ready for appends after :func:`read_lines` said its complete part
    ends at byte ``end``: cut a torn tail, or end a newline-less last line."""
    path = Path(path)
    if not path.exists():
        return
    size = path.stat().st_size
    if end < size:
        with path.open("r+b") as fh:
            fh.truncate(end)
    elif size:
        with path.open("rb") as fh:
            fh.seek(size - 1)
            last = fh.read(1)
        if last != b"\n":
            with path.open("ab") as fh:
                fh.write(b"\n")


def append_lines(path: str | Path, objects: Iterable[Any]) -> None:
    """Append one JSON line per object in a single write, then flush and fsync."""
    path = Path(path)
    text = "".join(json.dumps(jsonable(obj), allow_nan=False) + "\n" for obj in objects)
    if not text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def read_objects(path: str | Path) -> list[Any]:
    """Every complete line of a JSON-lines file, parsed, and the file made ready for
    appends (the torn-line rule above)."""
    lines, end, _ = read_lines(path)
    objects = [parse_line(path, number, text) for number, text in lines]
    prepare_append(path, end)
    return objects


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Replace ``path`` with ``text`` in one step: a reader sees the old file or the new."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_json_atomic(path: str | Path, obj: Any) -> Path:
    """Replace ``path`` with ``obj`` as JSON (NaN/inf written as null), atomically."""
    return write_text_atomic(path, json.dumps(jsonable(obj), allow_nan=False))


class Journal:
    """Rows keyed by one field, kept in an append-only JSON-lines file.

    Opening reads the file (the torn-last-line rule of the module docstring) and
    keeps the latest row per key; :meth:`add` appends a row durably at once. With
    ``path=None`` the journal lives in memory only (a study run without a store).

    Args:
        path: the JSON-lines file (created on the first write), or None.
        key: the field that names a row's unit.
    """

    def __init__(self, path: str | Path | None, key: str = "unit") -> None:
        self.path = Path(path) if path is not None else None
        self.key = key
        self._rows: dict[str, dict[str, Any]] = {}
        if self.path is not None and self.path.is_dir():
            raise JournalError(f"{self.path} is a directory; give a file path for the journal")
        if self.path is not None and self.path.exists():
            for number, row in enumerate(read_objects(self.path), start=1):
                if not isinstance(row, dict) or key not in row:
                    raise JournalError(f"{self.path}: row {number} has no {key!r} field")
                self._rows[str(row[key])] = row

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._rows.values())

    def get(self, key: str) -> dict[str, Any] | None:
        """The latest row of ``key``, or None."""
        return self._rows.get(key)

    def add(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """Record one row at once (flushed and fsync-ed); returns it as stored."""
        if self.key not in row:
            raise JournalError(f"a journal row needs a {self.key!r} field")
        clean = jsonable(dict(row))
        if self.path is not None:
            append_lines(self.path, [clean])
        self._rows[str(clean[self.key])] = clean
        return clean

    def frame(self) -> pd.DataFrame:
        """Every row (the latest per key) as a DataFrame."""
        return pd.DataFrame(list(self._rows.values()))
