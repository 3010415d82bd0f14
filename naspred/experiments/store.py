"""The results store: an append-only JSON-lines file, one finished unit of work a line.

Every unit is written (and fsynced) as soon as it finishes, so a study that is
killed loses at most the unit it was computing; on restart, the units already
in the store are skipped. A last line cut short by a kill is dropped with a
warning when the store is opened again, and that unit is simply run again.
"""

from __future__ import annotations

import json
import logging
import math
import os
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from naspred.benchmarks.task import Task
from naspred.errors import InvalidInputError, NaspredError

log = logging.getLogger(__name__)


class ResultsStore:
    """Rows keyed by a unit id (``row["unit"]``), persisted as JSON lines at ``path``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._rows: dict[str, dict[str, Any]] = {}
        if self.path.exists():
            for row in self._read():
                self._rows[row["unit"]] = row

    def _read(self) -> Iterator[dict[str, Any]]:
        text = self.path.read_text()
        lines = text.split("\n")
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                if number == len(lines):  # no newline after it: cut short by a kill
                    log.warning("%s: dropping an incomplete last line (interrupted run)", self.path)
                    self.path.write_text(text[: len(text) - len(line)])
                    continue
                raise NaspredError(
                    f"{self.path}: line {number} is not valid JSON ({err.msg}); "
                    "the store is damaged — move it away to start afresh"
                ) from err
            if not isinstance(row, dict) or "unit" not in row:
                raise NaspredError(f"{self.path}: line {number} has no 'unit' field")
            yield row

    def __contains__(self, unit: str) -> bool:
        return unit in self._rows

    def __len__(self) -> int:
        return len(self._rows)

    def add(self, row: dict[str, Any]) -> None:
        """Persist one finished unit at once (flushed and fsynced)."""
        if "unit" not in row:
            raise InvalidInputError("a results row needs a 'unit' id")
        clean = {k: _jsonable(v) for k, v in row.items()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as fh:
            fh.write(json.dumps(clean) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self._rows[row["unit"]] = clean

    def frame(self) -> pd.DataFrame:
        """Every stored row (latest per unit) as a DataFrame."""
        return pd.DataFrame(list(self._rows.values()))


def data_tag(task: Task, test_size: int) -> str:
    """What a study's results depend on besides their own settings: the task's data
    (:meth:`Task.digest`) and the test-set size. Stores key units by it, so a task
    whose data changed is evaluated afresh rather than read back stale."""
    return f"{task.digest()}-t{test_size}"


def current_rows(frame: pd.DataFrame, study: str, tags: dict[str, str]) -> pd.DataFrame:
    """The rows of ``study`` in ``frame`` computed on the tasks as they are now
    (``tags``: task name -> :func:`data_tag`); rows of other studies, other tasks,
    other data or untagged older stores are left out."""
    if frame.empty or "data" not in frame or "study" not in frame:
        return frame.iloc[0:0]
    now = frame["task"].map(tags)
    keep = (frame["study"] == study) & (frame["data"] == now)
    return frame[keep].reset_index(drop=True)


def failed_row(base: dict[str, Any], err: BaseException) -> dict[str, Any]:
    """The row recording that the unit ``base`` raised ``err`` (called in its
    ``except`` block, for the traceback), logged so a long run shows it at once."""
    log.warning("unit %s failed: %s", base["unit"], err)
    return {
        **base,
        "status": "failed",
        "error": f"{type(err).__name__}: {err}",
        "traceback": traceback.format_exc(limit=3),
    }


def _jsonable(value: Any) -> Any:
    """Plain JSON values; NaN/inf become null (JSON has no NaN)."""
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
