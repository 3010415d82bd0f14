"""Making a learning-curve benchmark (``naspred make-benchmark``): pick archs, train them,
and append one record per finished arch to a file in the format of
:mod:`naspred.benchmarks.learning_curves`."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from naspred.benchmarks.learning_curves import (
    DEFAULT_VARIANT,
    FORMAT,
    VERSION,
    _parse_header,
    _read_lines,
    load_learning_curves,
    read_learning_curves,
)
from naspred.benchmarks.task import Task
from naspred.errors import BenchmarkFileError, InvalidInputError
from naspred.experiments.picking import distinct_archs
from naspred.experiments.training import DataSource, TrainingProtocol, build_space, train_arch
from naspred.experiments.units import Unit, run_units
from naspred.journal import Journal, append_lines, prepare_append

log = logging.getLogger(__name__)


def _created_by() -> str:
    import torch

    from naspred import __version__

    return f"naspred {__version__} (torch {torch.__version__})"


def make_header(
    space: str,
    protocol: TrainingProtocol,
    data: dict[str, Any] | None = None,
    variant: str = DEFAULT_VARIANT,
) -> dict[str, Any]:
    """The header line of a new learning-curve file (its task is named
    ``space/dataset-variant``)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "space": space,
        "dataset": protocol.dataset,
        "variant": variant,
        "protocol": protocol.to_dict(),
        "data": data or {},
        "created_by": _created_by(),
    }


# ---- writing --------------------------------------------------------------------------


class LearningCurveWriter:
    """Appends arch records to a learning-curve file, one durable line at a time.

    Opening an existing file checks that it was made for the same space, dataset and
    protocol (raising :class:`BenchmarkFileError` naming the differing fields), cuts
    off a partial last line, and collects the archs already done (:attr:`done`).
    """

    def __init__(self, path: str | Path, header: dict[str, Any]) -> None:
        self.path = Path(path)
        self.done: set[str] = set()
        if self.path.is_file() and self.path.stat().st_size > 0:
            self._resume(header)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._append(header)

    def _resume(self, header: dict[str, Any]) -> None:
        lines, cut, _ = _read_lines(self.path)
        if not lines:  # killed while writing the header
            with self.path.open("r+b") as fh:
                fh.truncate(0)
            self._append(header)
            return
        old = _parse_header(self.path, lines)
        differ = [k for k in ("space", "dataset") if old[k] != header[k]]
        # the images too (by file name and counts, so a moved file still resumes)
        if old.get("data") and header.get("data") and old["data"] != header["data"]:
            differ.append("data")
        # fields added to the protocol since the file was made take their defaults
        old_p = {**TrainingProtocol().to_dict(), **old["protocol"]}
        new_p = header["protocol"]
        differ += [
            f"protocol.{k}" for k in sorted(set(old_p) | set(new_p)) if old_p.get(k) != new_p.get(k)
        ]
        if differ:
            raise BenchmarkFileError(
                self.path,
                "was made with different settings: "
                + ", ".join(
                    f"{k} {_get(old, k)!r} there vs {_get(header, k)!r} now" for k in differ
                ),
                "the same space, dataset, data and protocol to resume",
                "use another --out for a new benchmark, or the file's settings to resume it",
            )
        _, records = read_learning_curves(self.path)
        self.done = {r["arch"] for r in records}
        prepare_append(self.path, cut)
        log.info("%s: resuming, %d arch(s) already done", self.path, len(self.done))

    def _append(self, obj: dict[str, Any]) -> None:
        append_lines(self.path, [obj])

    def append(self, record: dict[str, Any]) -> None:
        """Write one finished arch's record (see :func:`train_arch`)."""
        self._append(record)
        self.done.add(record["arch"])


class _BenchmarkSink:
    """Where :func:`run_units` records a trained arch: its record goes to the
    benchmark file, a failure (with its error) to the failures journal beside it,
    ``<file>.failures.jsonl``, so the benchmark file holds only finished archs."""

    def __init__(self, writer: LearningCurveWriter, failures: Journal) -> None:
        self.writer, self.failures = writer, failures

    def status(self, key: str) -> str | None:
        if key in self.writer.done:
            return "ok"
        return "failed" if key in self.failures else None

    def record(self, unit: Unit, row: dict[str, Any]) -> None:
        if row["status"] == "ok":
            record = {k: v for k, v in row.items() if k != "status"}
            self.writer.append(record)
        else:
            self.failures.add({"arch": unit.key, **row})


def default_variant(out_path: str | Path) -> str:
    """The task-name suffix of a new benchmark file: ``lc-<file stem>``, so a user's
    benchmark never takes the name of the one that installs with naspred (``lc``)."""
    stem = re.sub(r"[^\w.-]+", "_", Path(out_path).name.split(".")[0]) or "curves"
    return f"{DEFAULT_VARIANT}-{stem}"


def failures_path(out_path: str | Path) -> Path:
    """The failures journal beside a learning-curve file."""
    out_path = Path(out_path)
    return out_path.with_name(out_path.name + ".failures.jsonl")


def _get(header: dict[str, Any], dotted: str) -> Any:
    value: Any = header
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


# ---- making ---------------------------------------------------------------------------


def select_archs(
    space: str, n_archs: int, seed: int = 0, protocol: TrainingProtocol | None = None
) -> list[str]:
    """``n_archs`` keys of distinct networks, chosen by ``seed``.

    :func:`naspred.experiments.picking.distinct_archs` with one arch per isomorphism
    class, so no two keys are the same network (for NAS-Bench-201 at most 6,466).
    """
    built = build_space(space, protocol or TrainingProtocol())
    return distinct_archs(built, n_archs, seed, distinct="network")


def _train_job(job: tuple[str, str, TrainingProtocol, int, DataSource, str]) -> dict[str, Any]:
    """One arch (top level, so worker processes can unpickle it)."""
    space, key, protocol, seed, data, device = job
    return train_arch(space, key, protocol, seed, data, device)


def make_benchmark(
    space: str,
    out_path: str | Path,
    data: DataSource | str | Path,
    protocol: TrainingProtocol | None = None,
    *,
    keys: Sequence[str] | None = None,
    n_archs: int | None = None,
    seed: int = 0,
    device: str = "cpu",
    backend: str = "local",
    n_jobs: int | None = None,
    progress: bool = True,
    torch_threads: int | None = 1,
    retry_failed: bool = False,
    address: str | None = None,
    variant: str | None = None,
) -> Task:
    """Train archs of ``space`` under ``protocol`` and record their curves in ``out_path``.

    Args:
        space: registered space name (``"nasbench201"``).
        out_path: the learning-curve file; created, or resumed if it exists (its
            header must match: same space, dataset and protocol).
        data: the images: a :class:`DataSource`, or a path, an ``.npz`` sample or else a
            torchvision-format CIFAR directory of ``protocol.dataset``.
        protocol: how to train (default :class:`TrainingProtocol`).
        keys: the archs to train; or
        n_archs: how many distinct archs :func:`select_archs` picks with ``seed``.
        seed: picks the archs and seeds every arch's training (all archs share it, so
            they differ only in architecture).
        device: ``"cpu"`` or ``"cuda[:i]"``; with ``n_jobs`` > 1 on one GPU, that many
            networks train at once on it.
        backend: :func:`naspred.parallel.parallel_map` backend (``local``, ``serial``,
            ``ray``).
        n_jobs: workers (archs trained at once); None: one per CPU.
        progress: show a progress bar.
        torch_threads: torch threads per worker.
        retry_failed: train again the archs whose training failed before (recorded in
            :func:`failures_path`); by default they are skipped.
        address: Ray cluster address (ray backend).
        variant: the task-name suffix written into a new file's header (the task is
            ``space/dataset-variant``); default :func:`default_variant`. A file being
            resumed keeps its own.

    Returns:
        The Task of the whole file (archs of earlier runs included).
    """
    protocol = protocol or TrainingProtocol()
    if not isinstance(data, DataSource):
        data = DataSource.from_path(data, protocol.dataset)
    if (keys is None) == (n_archs is None):
        raise InvalidInputError("give exactly one of keys= or n_archs=")
    if keys is None:
        keys = select_archs(space, int(n_archs), seed, protocol)  # type: ignore[arg-type]
    built = build_space(space, protocol)
    # as benchmark keys, de-duplicated, order kept; a bad one fails here, before any training
    keys = list(dict.fromkeys(built.from_key(key).to_key() for key in keys))
    # load once here: a missing file fails now, not in every worker
    train_x, _, val_x, _ = data.load()
    info = {
        "source": Path(data.npz or data.root or "").name,
        "train_images": int(protocol.train_size or len(train_x)),
        "val_images": int(protocol.val_size or len(val_x)),
    }
    writer = LearningCurveWriter(
        out_path, make_header(space, protocol, info, variant or default_variant(out_path))
    )
    sink = _BenchmarkSink(writer, Journal(failures_path(out_path), key="arch"))
    units = [Unit(key, _train_job, ((space, key, protocol, seed, data, device),)) for key in keys]
    run = run_units(
        units,
        sink,
        retry_failed=retry_failed,
        backend=backend,  # type: ignore[arg-type]
        n_jobs=n_jobs,
        progress=progress,
        desc=f"training {space} archs",
        torch_threads=torch_threads,
        address=address,
    )
    log.info(
        "%s: %d arch(s) asked, %d done before, %d trained, %d failed",
        out_path,
        run.units,
        run.done_before,
        run.ran - run.failed,
        run.failed,
    )
    if run.failed:
        log.warning(
            "%d arch(s) failed to train (errors in %s); rerun with --retry-failed to try "
            "them again",
            run.failed,
            sink.failures.path,
        )
    return load_learning_curves(out_path)
