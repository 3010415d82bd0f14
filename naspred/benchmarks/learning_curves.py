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
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from naspred.benchmarks.task import Task
from naspred.errors import BenchmarkFileError

if TYPE_CHECKING:  # training imports torch: loading a file must not
    from naspred.benchmarks.training import DataSource, TrainingProtocol

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


def _created_by() -> str:
    import torch

    from naspred import __version__

    return f"naspred {__version__} (torch {torch.__version__})"


def make_header(
    space: str, protocol: TrainingProtocol, data: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The header line of a new learning-curve file."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "space": space,
        "dataset": protocol.dataset,
        "variant": DEFAULT_VARIANT,
        "protocol": protocol.to_dict(),
        "data": data or {},
        "created_by": _created_by(),
    }


def _read_lines(path: Path) -> tuple[list[tuple[int, str]], int, bool]:
    """Complete lines ``(line number, text)``, the byte offset where the complete part
    ends, and whether a partial last line (a write cut by a kill) was dropped."""
    raw = path.read_bytes()
    cut = raw.rfind(b"\n") + 1
    tail = raw[cut:]
    dropped = False
    if tail.strip():
        # a last line without its newline is a kill mid-write, unless it is a whole
        # JSON object (a hand-written file may lack the final newline)
        try:
            json.loads(tail)
            cut = len(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            dropped = True
            log.warning(
                "%s: dropping a partial last line of %d bytes (a write cut short, "
                "e.g. by a kill); its arch will be trained again on resume",
                path,
                len(tail),
            )
    try:
        text = raw[:cut].decode("utf-8")
    except UnicodeDecodeError as err:
        raise BenchmarkFileError(path, "not a UTF-8 text file", EXPECTED, GET_IT) from err
    lines = [(i, line) for i, line in enumerate(text.splitlines(), start=1) if line.strip()]
    return lines, cut, dropped


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
    proxies = {name: np.array([r[name] for r in records]) for name in ("params", "flops")}
    proxies |= {name: np.array([r["proxies"][name] for r in records]) for name in sorted(scored)}
    times = {
        name: np.array([r["proxy_time"].get(name, np.nan) for r in records]) for name in scored
    }
    task = Task(
        space=str(header["space"]),
        dataset=str(header["dataset"]),
        keys=tuple(r["arch"] for r in records),
        val_accuracy=curves["val_accuracy"][:, -1].copy(),
        targets={"train_time": np.nansum(curves["epoch_time"], axis=1)},
        proxies=proxies,
        proxy_times=times,
        curves=curves,
        source=str(path),
        variant=str(header.get("variant", DEFAULT_VARIANT)),
    )
    log.info("loaded %d archs x %d epochs from %s", len(task), task.n_epochs, path)
    return task


#: Where learning-curve benchmarks that install with naspred live (package data).
EMBEDDED_DIR = Path(__file__).resolve().parent.parent / "data" / "learning_curves"


def embedded_learning_curves(directory: str | Path | None = None) -> list[Task]:
    """The learning-curve benchmarks shipped with naspred (``*.jsonl`` in
    :data:`EMBEDDED_DIR`, or ``directory``), one task each, sorted by file name."""
    files = sorted(Path(directory or EMBEDDED_DIR).glob("*.jsonl"))
    return [load_learning_curves(path) for path in files]


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
        lines, cut, dropped = _read_lines(self.path)
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
        from naspred.benchmarks.training import TrainingProtocol

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
        size = self.path.stat().st_size
        if dropped or cut < size:
            with self.path.open("r+b") as fh:
                fh.truncate(cut)
        elif size and not self.path.read_bytes().endswith(b"\n"):
            with self.path.open("ab") as fh:
                fh.write(b"\n")
        log.info("%s: resuming, %d arch(s) already done", self.path, len(self.done))

    def _append(self, obj: dict[str, Any]) -> None:
        line = json.dumps(obj, allow_nan=False) + "\n"
        # one write of the whole line, then flush and fsync: a kill leaves at most
        # a partial last line, which the reader drops
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())

    def append(self, record: dict[str, Any]) -> None:
        """Write one finished arch's record (see :func:`train_arch`)."""
        self._append(record)
        self.done.add(record["arch"])


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

    Archs are drawn uniformly (a seeded permutation of all archs where the space can
    enumerate them, else seeded ``sample``) and one is kept per isomorphism class
    (``arch.canonical()``), so no two keys are the same network: for NAS-Bench-201
    at most 6,466 archs. The kept arch is the one drawn, not the class's
    representative, so classes are picked in proportion to their size, as uniform
    sampling from the benchmark would.
    """
    from naspred.benchmarks.training import TrainingProtocol, build_space

    if n_archs < 1:
        raise ValueError(f"n_archs must be >= 1, got {n_archs}")
    built = build_space(space, protocol or TrainingProtocol())
    rng = np.random.default_rng(seed)
    try:
        pool = built.all_archs()
        candidates = (pool[i] for i in rng.permutation(len(pool)))
    except NotImplementedError:
        candidates = (built.sample(rng) for _ in range(100 * n_archs))
    keys, classes = [], set()
    for arch in candidates:
        cls = arch.canonical().to_key()
        if cls in classes:
            continue
        classes.add(cls)
        keys.append(arch.to_key())
        if len(keys) == n_archs:
            return keys
    raise ValueError(
        f"only {len(keys)} distinct {space} networks found, {n_archs} asked; ask for fewer"
    )


def _train_job(job: tuple[str, str, TrainingProtocol, int, DataSource, str]) -> dict[str, Any]:
    """One arch (top level, so worker processes can unpickle it)."""
    from naspred.benchmarks.training import train_arch

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

    Returns:
        The Task of the whole file (archs of earlier runs included).
    """
    from naspred.benchmarks.training import DataSource, TrainingProtocol, build_space
    from naspred.parallel import parallel_map

    protocol = protocol or TrainingProtocol()
    if not isinstance(data, DataSource):
        data = DataSource.from_path(data, protocol.dataset)
    if (keys is None) == (n_archs is None):
        raise ValueError("give exactly one of keys= or n_archs=")
    if keys is None:
        keys = select_archs(space, int(n_archs), seed, protocol)  # type: ignore[arg-type]
    keys = list(dict.fromkeys(keys))  # de-duplicated, order kept
    built = build_space(space, protocol)
    for key in keys:
        built.from_key(key)  # a bad key fails here, before any training
    # load once here: a missing file fails now, not in every worker
    train_x, _, val_x, _ = data.load()
    info = {
        "source": Path(data.npz or data.root or "").name,
        "train_images": int(protocol.train_size or len(train_x)),
        "val_images": int(protocol.val_size or len(val_x)),
    }
    writer = LearningCurveWriter(out_path, make_header(space, protocol, info))
    todo = [k for k in keys if k not in writer.done]
    log.info(
        "%s: %d arch(s) asked, %d already done, %d to train",
        out_path,
        len(keys),
        len(keys) - len(todo),
        len(todo),
    )
    jobs = [(space, key, protocol, seed, data, device) for key in todo]
    parallel_map(
        _train_job,
        jobs,
        backend=backend,  # type: ignore[arg-type]
        n_jobs=n_jobs,
        progress=progress,
        desc=f"training {space} archs",
        on_result=lambda _i, record: writer.append(record),
        torch_threads=torch_threads,
    )
    return load_learning_curves(out_path)
