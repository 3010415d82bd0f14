"""naspred's own learning-curve benchmarks: the file format, its loader, and the
command that makes one (``naspred make-benchmark``).

Format (``naspred-learning-curves``, version 1): JSON lines, UTF-8.

* Line 1, the header::

    {"format": "naspred-learning-curves", "version": 1,
     "space": "nasbench201", "dataset": "cifar10", "variant": "lc",
     "protocol": {...every TrainingProtocol field...},
     "data": {"source": "cifar10_sample.npz", "train_images": 4660, "val_images": 846},
     "created_by": "naspred 0.1.0 (torch 2.x)"}

* Then one line per finished arch, in the order they finished::

    {"arch": "(2, 0, 2, 3, 3, 2)", "seed": 0, "epochs": 12,
     "train_loss": [...], "train_accuracy": [...],
     "val_loss": [...], "val_accuracy": [...],
     "epoch_time": [...], "eval_time": [...],
     "params": 0.0583, "flops": 8.05, "total_time": 41.2, "device": "cpu",
     "proxies": {"jacov": -61.2, ...}, "proxy_time": {"jacov": 0.05, ...}}

  ``arch`` is the space's benchmark key; every list has ``epochs`` entries (the
  header protocol's ``epochs``): per epoch the mean train loss and accuracy over
  the epoch's minibatches, the validation loss and accuracy (percent) on the
  held-out split after the epoch, and the seconds spent training (``epoch_time``)
  and validating (``eval_time``, optional). ``params``/``flops`` are millions in
  the space's benchmark convention (null if unknown). A diverged loss is null.
  ``proxies``/``proxy_time`` (present when the protocol names ``proxies``) hold the
  zero-cost proxy scores of the network at initialisation and their seconds.
  Other fields are kept by the file and ignored by the loader.

Each record is appended, flushed and fsync-ed as its arch finishes, so a killed
run loses at most the archs in flight: run the same command again and it skips
the archs already in the file. A kill in the middle of a write leaves a partial
last line (no newline); it is dropped with a warning on reading and cut off
before the next append.

:func:`load_learning_curves` turns a file into a :class:`~naspred.benchmarks.task.Task`
with ``curves`` (``(n_archs, epochs)`` arrays), ``val_accuracy`` the last epoch's
validation accuracy, proxies ``params`` and ``flops``, and the target
``train_time`` (seconds of training over all epochs). The task is named
``space/dataset-variant`` (``nasbench201/cifar10-lc``; ``variant`` is optional in
the header and defaults to ``lc``), so it never shadows the published benchmark's
task of the same space and dataset.

**Live scores beside the file.** ``NAME.zc.json`` next to ``NAME.jsonl``
(:func:`live_scores_file`) holds proxy scores of the file's archs measured on the
space's *standard* network, as ``naspred proxies compute`` measures every Suite-Zero
task (NB201: C=16, N=5, 32x32), in the Suite-Zero layout with ``val_accuracy`` null and
failures as Suite-Zero's marker. When it is there, those scores are the task's proxies
under their registered names, and the scores the records store (measured on the
benchmark's own, smaller training network) stay in the task with the suffix
``_lcnet`` (:data:`TRAINING_NETWORK_SUFFIX`: ``jacov_lcnet``), so no name means two
networks. ``params``/``flops`` stay the records'. An arch the live file lacks has its
live proxies missing; an arch the benchmark lacks is an error. The shipped benchmark
carries the live table's scores (``studies/live_table.py --ship``).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from naspred.benchmarks.task import Task
from naspred.errors import BenchmarkFileError, JournalError
from naspred.journal import read_lines

log = logging.getLogger(__name__)

FORMAT = "naspred-learning-curves"
VERSION = 1
#: Per-epoch lists every record has, in the Task's ``curves`` under the same names.
CURVES: tuple[str, ...] = ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "epoch_time")
#: Per-epoch lists a record may have (kept as curves when every record has them).
OPTIONAL_CURVES: tuple[str, ...] = ("eval_time",)
EXPECTED = (
    f'JSON lines: a header {{"format": "{FORMAT}", "version": {VERSION}, "space", "dataset", '
    '"protocol": {..., "epochs": E}}, then one object per arch {"arch": key, '
    + ", ".join(f'"{c}": [E numbers]' for c in CURVES)
    + ', "params", "flops"} (see naspred.benchmarks.learning_curves)'
)
#: Task-name suffix of a learning-curve benchmark whose header names none: its
#: accuracies come from naspred's own training, not from the published benchmark.
DEFAULT_VARIANT = "lc"
GET_IT = "make one with `naspred make-benchmark --out FILE ...` (see its --help)"


# ---- reading --------------------------------------------------------------------------


def _read_lines(path: Path) -> tuple[list[tuple[int, str]], int, bool]:
    """Complete lines, the byte offset where they end, and whether a torn last line was
    dropped (the journal's one rule, :func:`naspred.journal.read_lines`)."""
    try:
        return read_lines(path)
    except JournalError as err:
        raise BenchmarkFileError(path, "not a UTF-8 text file", EXPECTED, GET_IT) from err


def _parse_header(path: Path, lines: list[tuple[int, str]]) -> dict[str, Any]:
    if not lines:
        raise BenchmarkFileError(path, "empty file (no header line)", EXPECTED, GET_IT)
    _, first = lines[0]
    try:
        header = json.loads(first)
    except json.JSONDecodeError as err:
        raise BenchmarkFileError(
            path, f"line 1 is not a JSON header ({err.msg})", EXPECTED, GET_IT
        ) from err
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        found = header.get("format") if isinstance(header, dict) else type(header).__name__
        raise BenchmarkFileError(
            path, f"line 1 is not a {FORMAT} header (format: {found!r})", EXPECTED, GET_IT
        )
    version = header.get("version")
    if version != VERSION:
        raise BenchmarkFileError(
            path,
            f"format version {version!r}; this naspred reads version {VERSION}",
            EXPECTED,
            "upgrade naspred, or remake the file with this version",
        )
    for name in ("space", "dataset", "protocol"):
        if name not in header:
            raise BenchmarkFileError(path, f"header has no {name!r}", EXPECTED, GET_IT)
    protocol = header["protocol"]
    if not isinstance(protocol, dict) or not isinstance(protocol.get("epochs"), int):
        raise BenchmarkFileError(
            path, "header 'protocol' has no integer 'epochs'", EXPECTED, GET_IT
        )
    return header


def _number(value: object, path: Path, where: str) -> float:
    if value is None:
        return np.nan
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BenchmarkFileError(path, f"{where} is {value!r}, not a number", EXPECTED)
    return float(value)


def _parse_record(path: Path, lineno: int, text: str, epochs: int) -> dict[str, Any]:
    where = f"line {lineno}"
    try:
        record = json.loads(text)
    except json.JSONDecodeError as err:
        raise BenchmarkFileError(path, f"{where} is not valid JSON ({err.msg})", EXPECTED) from err
    if not isinstance(record, dict) or not isinstance(record.get("arch"), str):
        raise BenchmarkFileError(path, f"{where} is not an arch record (no 'arch' key)", EXPECTED)
    where = f"{where} (arch {record['arch']!r})"
    out: dict[str, Any] = {"arch": record["arch"]}
    for name in CURVES + OPTIONAL_CURVES:
        if name not in record:
            if name in OPTIONAL_CURVES:
                continue
            raise BenchmarkFileError(path, f"{where} has no {name!r}", EXPECTED)
        values = record[name]
        if not isinstance(values, list):
            raise BenchmarkFileError(path, f"{where} {name!r} is not a list", EXPECTED)
        if len(values) != epochs:
            raise BenchmarkFileError(
                path,
                f"{where} {name!r} has {len(values)} entries, expected {epochs} "
                "(the header protocol's epochs)",
                EXPECTED,
            )
        out[name] = [_number(v, path, f"{where} {name}[{i}]") for i, v in enumerate(values)]
    if "epochs" in record and record["epochs"] != epochs:
        raise BenchmarkFileError(
            path,
            f"{where} says epochs={record['epochs']!r}, the header protocol {epochs}",
            EXPECTED,
        )
    for name in ("params", "flops"):
        out[name] = _number(record.get(name), path, f"{where} {name}")
    for field in ("proxies", "proxy_time"):
        values = record.get(field, {})
        if not isinstance(values, dict):
            raise BenchmarkFileError(path, f"{where} {field!r} is not an object", EXPECTED)
        out[field] = {k: _number(v, path, f"{where} {field}.{k}") for k, v in values.items()}
    return out


def read_learning_curves(path: str | Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The header and the parsed arch records of a learning-curve file (lists of floats,
    NaN for null), validated; a partial last line is dropped with a warning."""
    path = Path(path)
    if not path.is_file():
        raise BenchmarkFileError(path, "file not found", EXPECTED, GET_IT)
    lines, _, _ = _read_lines(path)
    header = _parse_header(path, lines)
    epochs = header["protocol"]["epochs"]
    records, seen = [], {}
    for lineno, text in lines[1:]:
        record = _parse_record(path, lineno, text, epochs)
        if record["arch"] in seen:
            raise BenchmarkFileError(
                path,
                f"arch {record['arch']!r} appears twice (lines {seen[record['arch']]} and "
                f"{lineno})",
                "one line per arch",
            )
        seen[record["arch"]] = lineno
        records.append(record)
    return header, records


def load_learning_curves(path: str | Path) -> Task:
    """The :class:`Task` of a learning-curve file (see the module docstring)."""
    path = Path(path)
    header, records = read_learning_curves(path)
    if not records:
        raise BenchmarkFileError(path, "holds a header but no finished arch yet", EXPECTED, GET_IT)
    names = list(CURVES) + [c for c in OPTIONAL_CURVES if all(c in r for r in records)]
    curves = {name: np.array([r[name] for r in records], dtype=float) for name in names}
    # proxies scored at initialisation (the protocol's ``proxies``), where every record has them
    scored = set.intersection(*(set(r["proxies"]) for r in records))
    keys = tuple(r["arch"] for r in records)
    live = _live_scores(path, header, keys)
    # with live scores beside the file, the names mean the standard network's scores and
    # the training network's keep theirs under a suffix, so no name means two things
    suffix = TRAINING_NETWORK_SUFFIX if live is not None else ""
    proxies = {name: np.array([r[name] for r in records]) for name in ("params", "flops")}
    proxies |= {
        name + suffix: np.array([r["proxies"][name] for r in records]) for name in sorted(scored)
    }
    times = {
        name + suffix: np.array([r["proxy_time"].get(name, np.nan) for r in records])
        for name in scored
    }
    missing: dict[str, np.ndarray] = {}
    failed: dict[str, np.ndarray] = {}
    if live is not None:
        for name in live.proxy_names:
            if name in proxies:  # params/flops: the records' benchmark convention stays
                continue
            proxies[name] = live.proxies[name]
            times[name] = live.proxy_times[name]
            if name in live.proxy_missing:
                missing[name] = live.proxy_missing[name]
            if name in live.proxy_failed:
                failed[name] = live.proxy_failed[name]
    task = Task(
        space=str(header["space"]),
        dataset=str(header["dataset"]),
        keys=keys,
        val_accuracy=curves["val_accuracy"][:, -1].copy(),
        targets={"train_time": np.nansum(curves["epoch_time"], axis=1)},
        proxies=proxies,
        proxy_times=times,
        proxy_missing=missing,
        proxy_failed=failed,
        curves=curves,
        source=str(path),
        variant=str(header.get("variant", DEFAULT_VARIANT)),
    )
    log.info("loaded %d archs x %d epochs from %s", len(task), task.n_epochs, path)
    return task


#: Name suffix of the proxies a record stores (scored on the benchmark's own training
#: network) when live scores of the standard network sit beside the file.
TRAINING_NETWORK_SUFFIX = "_lcnet"
#: File name ending of the live scores beside a learning-curve file ``NAME.jsonl``.
LIVE_SCORES_SUFFIX = ".zc.json"


def live_scores_file(path: str | Path) -> Path:
    """Where the live proxy scores of the learning-curve file ``path`` are kept:
    ``NAME.zc.json`` beside ``NAME.jsonl`` (see :func:`load_learning_curves`)."""
    path = Path(path)
    return path.with_name(path.stem + LIVE_SCORES_SUFFIX)


def _live_scores(path: Path, header: dict[str, Any], keys: tuple[str, ...]) -> Task | None:
    """The live scores beside ``path`` aligned with ``keys`` (NaN and missing for an arch
    they lack), or None when there is no such file."""
    from naspred.benchmarks.suite_zero import load_suite_zero

    file = live_scores_file(path)
    if not file.is_file():
        return None
    # every key is checked against the benchmark's own below (no space import needed)
    tasks = load_suite_zero(file, check_keys=False)
    space, dataset = str(header["space"]), str(header["dataset"])
    if len(tasks) != 1 or (tasks[0].space, tasks[0].dataset) != (space, dataset):
        found = ", ".join(f"{t.space}/{t.dataset}" for t in tasks)
        raise BenchmarkFileError(
            file,
            f"holds {found}; the learning-curve file beside it is {space}/{dataset}",
            f"the Suite-Zero layout with the one task {space}/{dataset}",
            "regenerate it with `python studies/live_table.py --ship`, or remove it",
        )
    live = tasks[0]
    where = {k: i for i, k in enumerate(keys)}
    extra = [k for k in live.keys if k not in where]
    if extra:
        raise BenchmarkFileError(
            file,
            f"scores {len(extra)} arch(s) the learning-curve file lacks, e.g. {extra[0]}",
            "scores for archs of the learning-curve file only",
            "regenerate it with `python studies/live_table.py --ship`, or remove it",
        )
    rows = np.array([where[k] for k in live.keys], dtype=int)
    absent = np.ones(len(keys), dtype=bool)
    absent[rows] = False

    def aligned(values: np.ndarray, fill: Any) -> np.ndarray:
        out = np.full(len(keys), fill, dtype=values.dtype)
        out[rows] = values
        return out

    proxies = {n: aligned(v, np.nan) for n, v in live.proxies.items()}
    times = {n: aligned(v, np.nan) for n, v in live.proxy_times.items()}
    missing = {n: absent | aligned(live.proxy_missing.get(n, np.zeros(len(rows), bool)), False)
               for n in proxies}  # fmt: skip
    missing = {n: m for n, m in missing.items() if m.any()}
    failed = {n: aligned(m, False) for n, m in live.proxy_failed.items()}
    return Task(
        space, dataset, keys, np.full(len(keys), np.nan), {}, proxies, times, missing,
        source=str(file), proxy_failed=failed,
    )  # fmt: skip


#: Where learning-curve benchmarks that install with naspred live (package data).
EMBEDDED_DIR = Path(__file__).resolve().parent.parent / "data" / "learning_curves"


def embedded_learning_curves(directory: str | Path | None = None) -> list[Task]:
    """The learning-curve benchmarks shipped with naspred (``*.jsonl`` in
    :data:`EMBEDDED_DIR`, or ``directory``), one task each, sorted by file name."""
    files = sorted(Path(directory or EMBEDDED_DIR).glob("*.jsonl"))
    return [load_learning_curves(path) for path in files]
