"""The one unit runner: every study is a list of :class:`Unit` run by :func:`run_units`.

A unit is one piece of a study with a key that names everything its result depends
on (task data, seed, predictor, size, ...), a picklable module-level function and
its arguments. :func:`run_units`

* skips every unit its sink already holds as finished (``ok`` or ``skipped``), so a
  killed study resumes where it stopped and never runs a finished unit twice;
* runs the rest through :func:`naspred.parallel.parallel_map` (``serial``, ``local``
  processes or ``ray``);
* records each result in the sink the moment it arrives (a :class:`~naspred.journal.Journal`
  by default: append-only, fsync-ed), in this process, so nothing finished is lost;
* turns an exception inside a unit into a ``failed`` row (error and traceback) and
  goes on; a failed unit counts as done on a rerun unless ``retry_failed=True``
  (``--retry-failed`` on the command line), which runs it again;
* turns :class:`SkipUnit` into a ``skipped`` row: the unit cannot run on this data
  (too few archs, say), which is a result, not an error.

A sink is anything with ``status(key) -> str | None`` (``None``: not there) and
``record(unit, row)``; :class:`JournalSink` is the usual one. The proxy-scoring and
learning-curve studies bring their own sinks, which write their published file
formats through the same journal functions.
"""

from __future__ import annotations

import logging
import traceback
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from naspred.errors import InvalidInputError, NaspredError
from naspred.journal import Journal
from naspred.parallel import Backend, parallel_map

log = logging.getLogger(__name__)

#: Statuses a finished unit can have.
OK, SKIPPED, FAILED = "ok", "skipped", "failed"


class SkipUnit(NaspredError):
    """Raised inside a unit that cannot run on its data; recorded as ``skipped``."""


@dataclass(frozen=True)
class Unit:
    """One piece of a study.

    Args:
        key: names everything the result depends on; unique within a run.
        fn: a module-level (picklable) function; ``fn(*args)`` returns the result
            fields as a mapping.
        args: its arguments.
        fields: fields recorded with the result whatever happens (study, task,
            seed, ...), so a failed or skipped row still says what it was.
    """

    key: str
    fn: Callable[..., Mapping[str, Any]]
    args: tuple[Any, ...] = ()
    fields: Mapping[str, Any] = field(default_factory=dict)


class Sink(Protocol):
    """Where a run records finished units and learns which are done."""

    def status(self, key: str) -> str | None:
        """``"ok"``, ``"skipped"`` or ``"failed"`` for a unit recorded before; None if not."""
        ...

    def record(self, unit: Unit, row: dict[str, Any]) -> None:
        """Keep ``row``, the result of ``unit``, durably where the sink can."""
        ...


class JournalSink:
    """A :class:`~naspred.journal.Journal` as a sink: one row per unit, keyed by it.

    Args:
        journal: the journal, or the path of one (None: in memory only).
    """

    def __init__(self, journal: Journal | str | Path | None) -> None:
        self.journal = journal if isinstance(journal, Journal) else Journal(journal)

    def status(self, key: str) -> str | None:
        """The recorded row's status (rows without one are ``ok``), or None."""
        row = self.journal.get(key)
        return None if row is None else str(row.get("status", OK))

    def record(self, unit: Unit, row: dict[str, Any]) -> None:
        """Append the row, keyed by the unit, at once."""
        self.journal.add({self.journal.key: unit.key, **row})


class MemorySink:
    """Results kept in memory as they are (no JSON round trip), for a study too quick
    to need resuming (the correlation study): ``rows[key]`` is each unit's row."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}

    def status(self, key: str) -> str | None:
        """The kept row's status, or None."""
        row = self.rows.get(key)
        return None if row is None else str(row["status"])

    def record(self, unit: Unit, row: dict[str, Any]) -> None:
        """Keep the row as it is."""
        self.rows[unit.key] = row


@dataclass
class RunReport:
    """What one :func:`run_units` call did."""

    units: int = 0  # asked for
    done_before: int = 0  # finished in the sink already, not run
    ran: int = 0
    failed: int = 0  # of those run
    retried: int = 0  # failed before, run again on request
    failures: list[str] = field(default_factory=list)  # "key: error" of this run's failures


def run_units(
    units: Sequence[Unit],
    sink: Sink | Journal | str | Path | None,
    *,
    retry_failed: bool = False,
    backend: Backend = "serial",
    n_jobs: int | None = None,
    progress: bool = True,
    desc: str = "",
    torch_threads: int | None = 1,
    address: str | None = None,
) -> RunReport:
    """Run the units that ``sink`` does not hold as finished, recording each at once.

    Args:
        units: the study's units; their keys must be distinct.
        sink: a :class:`Sink`, a :class:`~naspred.journal.Journal`, or a journal path
            (None: an in-memory journal, for a run that need not resume).
        retry_failed: run units recorded as ``failed`` again (a transient error such
            as running out of memory); by default they count as done.
        backend: ``"serial"`` (this process; the default, as a study's units often
            share large in-memory tasks), ``"local"`` (worker processes) or ``"ray"``.
        n_jobs: workers for ``local``/``ray`` (see :func:`naspred.parallel.parallel_map`).
        progress: show a progress bar.
        desc: the bar's label.
        torch_threads: torch threads per worker (local, ray).
        address: Ray cluster address (ray backend).

    Returns:
        A :class:`RunReport`.
    """
    if not hasattr(sink, "record"):  # a Journal, a journal path or None
        sink = JournalSink(sink)  # type: ignore[arg-type]
    keys = [u.key for u in units]
    if len(set(keys)) != len(keys):
        twice = sorted(k for k, n in Counter(keys).items() if n > 1)
        raise InvalidInputError(f"unit keys must be distinct; repeated: {twice[:3]}")
    report = RunReport(units=len(units))
    todo: list[Unit] = []
    for unit in units:
        status = sink.status(unit.key)  # type: ignore[union-attr]
        if status is None:
            todo.append(unit)
        elif status == FAILED and retry_failed:
            report.retried += 1
            todo.append(unit)
        else:
            report.done_before += 1
    if report.done_before:
        log.info("%s: %d of %d units done before", desc or "run", report.done_before, len(units))

    def record(index: int, row: dict[str, Any]) -> None:
        unit = todo[index]
        sink.record(unit, row)  # type: ignore[union-attr]
        report.ran += 1
        if row["status"] == FAILED:
            report.failed += 1
            report.failures.append(f"{unit.key}: {row['error']}")
            log.warning("unit %s failed: %s", unit.key, row["error"])

    parallel_map(
        _run_one,
        todo,
        backend=backend,
        n_jobs=n_jobs,
        progress=progress,
        desc=desc,
        on_result=record,
        torch_threads=torch_threads,
        address=address,
    )
    return report


def _run_one(unit: Unit) -> dict[str, Any]:
    """``unit``'s row: its fields, a status, and its result or its error."""
    try:
        result = unit.fn(*unit.args)
    except SkipUnit as reason:
        return {**unit.fields, "status": SKIPPED, "error": str(reason)}
    except Exception as err:  # noqa: BLE001 - one failing unit must not end a long study
        return {
            **unit.fields,
            "status": FAILED,
            "error": f"{type(err).__name__}: {err}",
            "traceback": traceback.format_exc(limit=3),
        }
    return {**unit.fields, "status": OK, **result}


def data_tag(task: Any, test_size: int, reads: Sequence[str] | None = None) -> str:
    """What a study's results depend on besides their own settings: the task's data
    (:meth:`~naspred.benchmarks.Task.digest`) and the test-set size. Units are keyed
    by it, so a task whose data changed is evaluated afresh rather than read back stale.

    Args:
        task: the task.
        test_size: held-out archs per split.
        reads: None: the whole task. Else the ``info`` keys a predictor reads
            (:meth:`~naspred.predictors.DataNeeds.info_keys`, e.g. ``proxy:zen``,
            ``curve:val_accuracy``): only the main target, those proxies and (for a
            ``curve:`` key) the curves are hashed, so a unit stays valid when data it
            never reads changes. Proxies the task lacks are left out (such a unit
            is skipped or fails, whatever the tag).
    """
    if reads is None:
        return f"{task.digest()}-t{test_size}"
    proxies = [k.split(":", 1)[1] for k in reads if k.startswith("proxy:")]
    proxies = [name for name in proxies if name in task.proxies]
    curves = any(k.startswith("curve:") for k in reads)
    return f"{task.digest(proxies=proxies, curves=curves)}-t{test_size}"


def current_rows(frame: pd.DataFrame, study: str, tags: Mapping[str, str]) -> pd.DataFrame:
    """The rows of ``study`` in ``frame`` computed on the tasks as they are now
    (``tags``: task name -> :func:`data_tag`); rows of other studies, other tasks,
    other data or untagged older stores are left out."""
    if frame.empty or "data" not in frame or "study" not in frame:
        return frame.iloc[0:0]
    now = frame["task"].map(tags)
    keep = (frame["study"] == study) & (frame["data"] == now)
    return frame[keep].reset_index(drop=True)
