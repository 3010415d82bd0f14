"""Proxy-scoring runs: many archs, many proxies, written as they finish, resumable.

:func:`compute_task_scores` picks the archs of one task (a seeded sample of its
keys, or given keys), scores them with :func:`naspred.proxies.score_archs` in
chunks spread over workers by :func:`naspred.parallel.parallel_map`, and writes
the scores into a NAS-Bench-Suite-Zero json file (Krishnakumar et al., NeurIPS
2022 Datasets and Benchmarks)::

    {space: {dataset: {arch_key: {proxy: {"score": s, "time": t}, "val_accuracy": acc}}}}

so that the output directory loads with :func:`naspred.benchmarks.load_suite_zero`
and feeds ``naspred correlations --suite-zero-dir DIR`` unchanged.

Crash safety. Next to ``zc_<space>.json`` live two append-only JSON-lines files:

* ``zc_<space>.journal.jsonl`` -- one line per scored arch (its proxies' scores and
  times, its ground truth from the task, and the run's settings), appended, flushed
  and fsynced as each chunk comes back. It is the write-ahead log: nothing is lost
  once a line is there, and the json can be rebuilt from it alone. (A line with no
  scores only records ground truth that an older journal line lacked.)
* ``zc_<space>.failures.jsonl`` -- one line per proxy that raised or gave a
  non-finite score on an arch (its score is stored as ``null``, i.e. NaN).

After each chunk the json is rewritten from its previous content plus the journal,
to a temporary file that then replaces it (``os.replace``, atomic), so the json is
always a complete, loadable file. A killed run leaves at worst a last journal line
cut short (dropped on restart, that arch is scored again); a rerun with the same
arguments reads the json and the journal and skips every (arch, proxy) pair already
there. Settings that change scores (seed, batch size, data source, torch thread
count) are recorded in each journal line; resuming with different ones is refused
rather than mixing them in one file (journals from before the thread count was
recorded resume with any count). One run at a time may write a given file.

Non-finite scores are written as ``null``, as the Suite-Zero release does (JSON
has no NaN). Population proxies (``voting``) are recomputed over all the task's
scored archs in the file after the last chunk.
"""

from __future__ import annotations

import json
import logging
import math
import time
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from naspred.benchmarks.suite_zero import FAILURE_MARKER
from naspred.benchmarks.task import TARGET, Task
from naspred.errors import InvalidInputError, NaspredError
from naspred.experiments.picking import distinct_archs, seeded_subset
from naspred.experiments.units import Unit, run_units
from naspred.journal import (
    append_lines,
    finite_or_none,
    parse_line,
    read_lines,
    read_objects,
    write_json_atomic,
)
from naspred.parallel import Backend, default_n_jobs

log = logging.getLogger(__name__)

#: Settings that change scores; a resumed run must use the same ones. The torch
#: thread count changes them in the last digits (reductions are summed in another
#: order), so a journal mixing two counts would not be one run's scores.
SETTINGS = ("seed", "batch_size", "data", "fresh_batches", "torch_threads")


def _settings_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """A journal row's settings (rows from before ``fresh_batches`` existed used one
    shared batch; rows from before ``torch_threads`` was recorded have None there,
    and resume with any count)."""
    return {k: row.get(k, False if k == "fresh_batches" else None) for k in SETTINGS}


def _same_legacy_pool(before: str, now: str) -> bool:
    """Whether ``before``, a data label of a journal from before content digests (a
    source with its path, e.g. ``sample /a/x.npz``), names the pool ``now`` is."""
    from naspred.data.images import pool_name

    if "sha256:" in before or before == "none" or now == "none":
        return False
    return pool_name(before) == now.split(": ", 1)[0]


def scoring_threads(backend: str, torch_threads: int | None) -> int | None:
    """The torch threads a scoring run's proxies will use: ``torch_threads`` in the
    workers of ``local``/``ray``, this process's count with ``serial`` (which leaves
    the process as it is); None where it is the workers' torch default."""
    if backend == "serial":
        import torch

        return int(torch.get_num_threads())
    return torch_threads


@dataclass
class RunSummary:
    """What a :func:`compute_task_scores` call did."""

    task: str
    out_json: Path
    archs: int
    proxies: list[str]
    scored: int = 0  # archs scored by this call
    skipped: int = 0  # archs whose requested proxies were all there already
    failures: int = 0  # (arch, proxy) failures recorded by this call
    chunks_failed: int = 0  # chunks that failed as a whole (their archs stay unscored)
    seconds: float = 0.0
    data: str = ""
    files: list[Path] = field(default_factory=list)


def output_path(out_dir: str | Path, space: str) -> Path:
    """``out_dir/zc_<space>.json``, the file name ``load_suite_zero`` looks for."""
    return Path(out_dir) / f"zc_{space}.json"


def sidecar_paths(out_json: str | Path) -> tuple[Path, Path]:
    """The journal and failures files next to ``out_json`` (not matched by ``zc_*.json``)."""
    out_json = Path(out_json)
    stem = out_json.name[: -len(".json")] if out_json.name.endswith(".json") else out_json.name
    return (
        out_json.with_name(f"{stem}.journal.jsonl"),
        out_json.with_name(f"{stem}.failures.jsonl"),
    )


def expand_proxies(names: Iterable[str]) -> tuple[list[str], list[str]]:
    """``(per_arch, population)`` names: each proxy checked against the registry, and
    the members a population proxy combines added to the per-arch list."""
    from naspred.proxies import get_proxy

    per_arch: list[str] = []
    population: list[str] = []

    def add(name: str) -> None:
        proxy = get_proxy(name)
        for dep in proxy.depends:
            add(dep)
        target = population if proxy.population else per_arch
        if name not in target:
            target.append(name)

    for name in names:
        add(name)
    return per_arch, population


def select_keys(
    task: Task | None,
    space_name: str,
    n_archs: int | None,
    keys: Sequence[str] | None,
    seed: int,
) -> list[str]:
    """The arch keys to score, in a fixed order (so a rerun picks the same ones).

    ``keys`` if given (in any form the space reads, returned as benchmark keys); else
    a seeded sample of ``n_archs`` of the task's keys without replacement (all of
    them, in file order, when ``n_archs`` is None or at least the task's size);
    without a task, ``n_archs`` distinct archs sampled from the space.
    """
    from naspred.spaces import get_space

    space = get_space(space_name)
    if keys is not None:
        # any form the space reads, stored by its benchmark key; ArchKeyError names a bad one
        return list(dict.fromkeys(space.from_key(key).to_key() for key in keys))
    if task is not None:
        if n_archs is None or n_archs >= len(task):
            return list(task.keys)
        rows = seeded_subset(len(task), n_archs, seed)
        return [task.keys[i] for i in rows]
    if n_archs is None:
        raise InvalidInputError("without a task (ground truth), give n_archs or keys")
    return distinct_archs(space, n_archs, seed, distinct="key")


# ---- the unit of parallel work -------------------------------------------------------


@dataclass(frozen=True)
class ScoreChunk:
    """A few archs to score in one unit of work; the minibatch travels with it, so
    every worker scores on the same images and needs no data files (Ray nodes may not
    have them). ``x``/``y`` hold one batch for all archs, or one per arch (an extra
    first axis: ``fresh_batches``). ``extra`` holds ``(size, x, y)`` for each batch
    size a proxy fixes for itself (:func:`naspred.proxies.engine.own_batch_sizes`),
    laid out as ``x``/``y``."""

    space: str
    dataset: str
    keys: tuple[str, ...]
    proxies: tuple[str, ...]
    x: np.ndarray | None  # one batch for all archs, or one per arch (an extra first axis)
    y: np.ndarray | None
    seed: int
    device: str
    extra: tuple[tuple[int, np.ndarray, np.ndarray], ...] = ()


def score_chunk(chunk: ScoreChunk) -> dict[str, Any]:
    """Score one chunk with :func:`naspred.proxies.score_archs` (runs in a worker):
    ``{"keys", "scores": {proxy: [...]}, "times": {...}, "failures": [{"proxy", "arch",
    "error"}]}``; a proxy that fails on an arch comes back as data, never raised. The
    one proxy-scoring path of the studies (``proxies compute`` and ``compare``)."""
    import torch

    from naspred.proxies import ProxyFailure, score_archs
    from naspred.spaces import get_space

    space = get_space(chunk.space)
    archs = [space.from_key(k) for k in chunk.keys]
    failures: list[ProxyFailure] = []
    per_arch_batch = chunk.y is not None and chunk.y.ndim == 2
    groups = [[i] for i in range(len(archs))] if per_arch_batch else [list(range(len(archs)))]
    scores: dict[str, list[float]] = {}
    times: dict[str, list[float]] = {}

    def pick(x: np.ndarray, y: np.ndarray, rows: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = (x[rows[0]], y[rows[0]]) if per_arch_batch else (x, y)
        return torch.from_numpy(x), torch.from_numpy(y)

    for rows in groups:
        batch = None
        if chunk.x is not None and chunk.y is not None:
            batch = pick(chunk.x, chunk.y, rows)
        own = {n: pick(x, y, rows) for n, x, y in chunk.extra}
        found: list[ProxyFailure] = []
        got, took = score_archs(
            space,
            [archs[i] for i in rows],
            list(chunk.proxies),
            chunk.dataset,
            batch,
            seed=chunk.seed,
            device=chunk.device,
            failures=found,
            batches=own,
        )
        failures += [replace(f, index=rows[f.index]) if f.index >= 0 else f for f in found]
        for name in got:
            scores.setdefault(name, []).extend(got[name])
            times.setdefault(name, []).extend(took[name])
    return {
        "keys": list(chunk.keys),
        "torch_threads": int(torch.get_num_threads()),  # what these scores were computed with
        "scores": {name: [float(v) for v in values] for name, values in scores.items()},
        "times": {name: [float(v) for v in values] for name, values in times.items()},
        "failures": [
            {"proxy": f.proxy, "arch": f.arch, "error": f.error} for f in failures if f.index >= 0
        ],
    }


# ---- the run ------------------------------------------------------------------------


def compute_task_scores(
    task: Task | str,
    proxies: Sequence[str],
    n_archs: int | None = None,
    out_json: str | Path | None = None,
    *,
    keys: Sequence[str] | None = None,
    dataset: str | None = None,
    seed: int = 0,
    batch_size: int = 32,
    device: str = "cpu",
    backend: Backend = "local",
    n_jobs: int | None = None,
    data_root: str | Path | None = None,
    npz: str | Path | None = None,
    download: bool = False,
    chunk_size: int | None = None,
    torch_threads: int | None = 1,
    progress: bool = True,
    fresh_batches: bool = False,
    retry_failed: bool = False,
    address: str | None = None,
) -> RunSummary:
    """Score archs of one task with ``proxies`` into a Suite-Zero json, resumably.

    Args:
        task: a :class:`Task` (its keys are sampled and its ``val_accuracy`` and other
            targets written with the scores), or a task name ``"space/dataset"`` (or a
            space name with ``dataset=``) to score archs without ground truth
            (``val_accuracy`` is then ``null``).
        proxies: registered proxy names (``voting`` pulls in its members).
        n_archs: how many archs to sample (seeded by ``seed``); None: all of the task's.
        out_json: the output file, conventionally ``DIR/zc_<space>.json``
            (:func:`output_path`); it may already hold other tasks and scores.
        keys: score exactly these arch keys instead of a sample.
        seed: arch sample, weight initialisation and minibatch choice.
        batch_size: minibatch size of the data-dependent proxies.
        fresh_batches: draw a new minibatch for every arch (seeded by ``seed`` and the
            arch key), as NAS-Bench-Suite-Zero's runner does (it takes the next batch
            of a shuffled loader per arch), instead of one shared batch. Shared
            batches compare archs on the same images, so batch-sensitive proxies rank
            with less noise; fresh ones reproduce the stored scores' protocol.
        dataset: the dataset, when ``task`` is a space name.
        device: ``"cpu"`` or ``"cuda"`` (each worker puts its networks there).
        backend: ``"local"``, ``"serial"`` or ``"ray"`` (:func:`naspred.parallel.parallel_map`).
        n_jobs: workers (None: every CPU this process may use).
        data_root: the directory of the dataset's published files (a torchvision-format
            CIFAR directory, ImageNet16-120's batches, NAS-Bench-360's svhn, scifar100 or
            ninapro files; :func:`naspred.data.images.load_images`); with neither it
            nor ``npz``, the ``naspred data fetch`` copy of the dataset.
        npz: an ``.npz`` image sample (instead of ``data_root``); with neither, the
            noise fallback of :meth:`naspred.data.images.BatchProvider.from_source`,
            with a warning.
        download: fetch CIFAR into ``data_root`` if it is missing.
        chunk_size: archs per unit of parallel work (and per journal write); default:
            small enough that each worker gets several chunks, at most 16.
        torch_threads: torch threads per worker (local, ray backends). The count the
            scores are computed with (this process's with ``serial``) is recorded in
            the journal; resuming with another is refused (:class:`NaspredError`).
        progress: show a progress bar.
        retry_failed: score again the archs where a requested proxy failed before
            (its score is null), e.g. after an out-of-memory error; by default a
            recorded failure counts as done.
        address: Ray cluster address (ray backend).

    Returns:
        A :class:`RunSummary`; the scores are in ``out_json``.
    """
    from naspred.data.images import BatchProvider

    started = time.perf_counter()
    truth, space_name, data_name = _resolve_task(task, dataset)
    if out_json is None:
        raise InvalidInputError("give out_json (e.g. output_path(out_dir, space))")
    out_json = Path(out_json)
    per_arch, population = expand_proxies(proxies)
    chosen = select_keys(truth, space_name, n_archs, keys, seed)

    from naspred.proxies import get_proxy, own_batch_sizes

    needs_data = any(get_proxy(p).needs for p in per_arch)
    # absolute paths, for workers that may run elsewhere than the cwd
    data_root = Path(data_root).resolve() if data_root is not None else None
    npz = Path(npz).resolve() if npz is not None else None
    x = y = None
    data_label = shown = "none"
    provider = None
    own_sizes = own_batch_sizes(per_arch, batch_size)
    shared_extra: tuple[tuple[int, np.ndarray, np.ndarray], ...] = ()
    if needs_data:
        provider = BatchProvider.from_source(data_name, data_root, npz, download, fallback=True)
        bx, by = provider.batch(batch_size, seed)
        x, y = bx.numpy(), by.numpy()
        # each drawn as the run's own would be at that size: a proxy's score does not
        # depend on which other proxies share its run
        shared_extra = tuple((n, *(t.numpy() for t in provider.batch(n, seed))) for n in own_sizes)
        # what the images are, not where: a moved or re-fetched copy still resumes
        data_label, shown = provider.identity, provider.source
    fresh = bool(fresh_batches and needs_data)
    settings = {
        "seed": seed,
        "batch_size": batch_size if needs_data else None,
        "data": data_label,
        "fresh_batches": fresh,
        "torch_threads": scoring_threads(backend, torch_threads),
    }

    journal_path, failures_path = sidecar_paths(out_json)
    store = _SuiteZeroFile(out_json, journal_path, failures_path)
    store.check_settings(space_name, data_name, settings)
    store.set_targets(space_name, data_name, chosen, truth)

    # which archs still lack a requested per-arch proxy (all of them are rescored: the
    # engine shares one network build and pass, so a partial arch costs about a full one)
    todo = [
        k for k in chosen if not store.has_all(space_name, data_name, k, per_arch, retry_failed)
    ]
    summary = RunSummary(
        task=f"{space_name}/{data_name}",
        out_json=out_json,
        archs=len(chosen),
        proxies=per_arch + population,
        skipped=len(chosen) - len(todo),
        data=shown,
        files=[out_json, journal_path, failures_path],
    )
    if summary.skipped:
        log.info("%s: %d of %d archs already scored", summary.task, summary.skipped, len(chosen))
    if todo:
        workers = 1 if backend == "serial" else n_jobs or default_n_jobs()
        size = chunk_size or max(1, min(16, math.ceil(len(todo) / (4 * workers))))
        chunks = [
            ScoreChunk(
                space_name,
                data_name,
                tuple(todo[i : i + size]),
                tuple(per_arch),
                *(_batches(provider, todo[i : i + size], batch_size, seed) if fresh else (x, y)),
                seed,
                device,
                tuple((n, *_batches(provider, todo[i : i + size], n, seed)) for n in own_sizes)
                if fresh
                else shared_extra,
            )
            for i in range(0, len(todo), size)
        ]

        units = [
            Unit(f"{summary.task}|chunk={i}|{c.keys[0]}", score_chunk, (c,))
            for i, c in enumerate(chunks)
        ]
        run = run_units(
            units,
            _ChunkSink(store, space_name, data_name, settings, summary),
            retry_failed=retry_failed,
            backend=backend,
            n_jobs=n_jobs,
            progress=progress,
            desc=f"{summary.task} ({len(todo)} archs, {size}/chunk)",
            torch_threads=torch_threads,
            address=address,
        )
        summary.chunks_failed = run.failed
    if population:
        store.population(space_name, data_name, population)
    store.write()
    summary.seconds = time.perf_counter() - started
    return summary


def _batches(
    provider: Any, keys: Sequence[str], batch_size: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """One minibatch per arch, ``(n_archs, batch, ...)``, each chosen by the run's seed
    and the arch key (so a resumed or reordered run draws the same ones)."""
    drawn = [provider.batch(batch_size, _key_seed(seed, key)) for key in keys]
    return np.stack([bx.numpy() for bx, _ in drawn]), np.stack([by.numpy() for _, by in drawn])


def _key_seed(seed: int, key: str) -> int:
    return int(np.random.SeedSequence([seed, zlib.crc32(key.encode())]).generate_state(1)[0])


def _resolve_task(task: Task | str, dataset: str | None) -> tuple[Task | None, str, str]:
    from naspred.spaces import space_names

    if isinstance(task, Task):
        return task, task.space, task.dataset
    space, sep, data = str(task).partition("/")
    data = data if sep else dataset
    if not data:
        raise InvalidInputError(f"task {task!r}: give 'space/dataset' or dataset=")
    if space not in space_names():
        raise NaspredError(f"unknown search space {space!r}; known: {', '.join(space_names())}")
    return None, space, data


class _ChunkSink:
    """Where :func:`run_units` records a scored chunk: the Suite-Zero file's journal.

    Chunks are made from the archs still to score (the resume rule is per arch and
    proxy, :meth:`_SuiteZeroFile.has_all`), so none is done before it runs; a chunk
    that fails as a whole leaves its archs unscored for the next run.
    """

    def __init__(
        self,
        store: _SuiteZeroFile,
        space: str,
        dataset: str,
        settings: Mapping[str, Any],
        summary: RunSummary,
    ) -> None:
        self.store, self.space, self.dataset = store, space, dataset
        self.settings, self.summary = settings, summary

    def status(self, key: str) -> str | None:
        return None

    def record(self, unit: Unit, row: dict[str, Any]) -> None:
        if row["status"] != "ok":
            return  # logged and counted by run_units; the archs are scored on a rerun
        self.store.append(self.space, self.dataset, row, self.settings)
        self.summary.scored += len(row["keys"])
        self.summary.failures += len(row["failures"])


class _SuiteZeroFile:
    """The output json, its journal and its failures file (see the module docstring)."""

    def __init__(self, path: Path, journal: Path, failures: Path) -> None:
        self.path = path
        self.journal = journal
        self.failures = failures
        self.data: dict[str, Any] = {}
        self.settings: dict[tuple[str, str], dict[str, Any]] = {}
        self.targets: dict[tuple[str, str, str], dict[str, float | None]] = {}
        if path.exists():
            try:
                self.data = _translate_keys(json.loads(path.read_text()), to_file=False)
            except json.JSONDecodeError as err:
                raise NaspredError(
                    f"{path}: not valid JSON ({err.msg}); it is replaced atomically, so it was "
                    "not written by a naspred run -- choose another output directory"
                ) from err
        self.journaled_targets: dict[tuple[str, str], set[str]] = {}
        for row in read_objects(journal):
            self._merge(row)
            if row.get("targets"):
                where = (row["space"], row["dataset"])
                self.journaled_targets.setdefault(where, set()).add(row["arch"])
            if row["scores"]:
                self.settings[(row["space"], row["dataset"])] = _settings_of(row)

    def _records(self, space: str, dataset: str) -> dict[str, Any]:
        return self.data.setdefault(space, {}).setdefault(dataset, {})

    def _merge(self, row: Mapping[str, Any]) -> None:
        where = (row["space"], row["dataset"], row["arch"])
        record = self._records(row["space"], row["dataset"]).setdefault(
            row["arch"], dict(self.targets.get(where, {TARGET: None}))
        )
        for name, score in row["scores"].items():
            record[name] = {"score": score, "time": row["times"].get(name)}
        for name, value in (row.get("targets") or {}).items():
            if value is not None or record.get(name) is None:
                record[name] = value

    def check_settings(self, space: str, dataset: str, settings: Mapping[str, Any]) -> None:
        before = self.settings.get((space, dataset))
        if before is None:
            return
        threads = before["torch_threads"], settings.get("torch_threads")
        if None not in threads and threads[0] != threads[1]:
            raise NaspredError(
                f"{self.journal} holds {space}/{dataset} scores computed with "
                f"--torch-threads {threads[0]}, this run would use {threads[1]} (scores "
                f"differ in the last digits with the thread count); resume with "
                f"--torch-threads {threads[0]} or write to another --out directory"
            )
        # batch size and data source matter only when both runs used data
        names = SETTINGS if "none" not in (before["data"], settings["data"]) else ("seed",)
        names = tuple(k for k in names if k != "torch_threads")
        diff = {k: (before[k], settings[k]) for k in names if before[k] != settings[k]}
        if "data" in diff and _same_legacy_pool(before["data"], settings["data"]):
            log.warning(
                "%s records %s/%s's images by location only (%r, from before content "
                "digests); resuming on %r, matched by file name",
                self.journal, space, dataset, before["data"], settings["data"],
            )  # fmt: skip
            del diff["data"]
        if diff:
            changes = ", ".join(f"{k}: {a!r} -> {b!r}" for k, (a, b) in diff.items())
            raise NaspredError(
                f"{self.journal} holds {space}/{dataset} scores computed with other settings "
                f"({changes}); resume with the same settings or write to another directory"
            )

    def set_targets(self, space: str, dataset: str, keys: Sequence[str], task: Task | None) -> None:
        """Remember ``val_accuracy`` (and the task's other targets) of the chosen archs;
        a record gets them when its scores are written, so the json holds only scored
        archs. Records already in the file are brought up to date now."""
        rows = task.index(keys) if task is not None else None
        records = self._records(space, dataset)
        backfill = []
        for n, key in enumerate(keys):
            values: dict[str, float | None] = {TARGET: None}
            if task is not None and rows is not None:
                i = rows[n]
                values[TARGET] = finite_or_none(task.val_accuracy[i])
                values.update({name: finite_or_none(v[i]) for name, v in task.targets.items()})
            self.targets[(space, dataset, key)] = values
            if key in records:
                if key not in self.journaled_targets.get((space, dataset), set()):
                    backfill.append(
                        {
                            "space": space,
                            "dataset": dataset,
                            "arch": key,
                            "scores": {},
                            "times": {},
                            "targets": values,
                        }
                    )
                records[key].update(values)
        if backfill and task is not None:
            # journal lines from before targets were journaled: record them now, so a
            # json rebuilt from the journal alone keeps them
            append_lines(self.journal, backfill)
            self.journaled_targets.setdefault((space, dataset), set()).update(
                row["arch"] for row in backfill
            )

    def has_all(
        self, space: str, dataset: str, key: str, proxies: Sequence[str], scored: bool = False
    ) -> bool:
        """Whether the arch has a record of every proxy (with ``scored``: a finite score)."""
        record = self._records(space, dataset).get(key, {})
        return all(
            isinstance(record.get(p), dict) and (not scored or record[p]["score"] is not None)
            for p in proxies
        )

    def append(
        self, space: str, dataset: str, result: Mapping[str, Any], settings: Mapping[str, Any]
    ) -> None:
        """Journal one finished chunk (fsynced), merge it, and rewrite the json."""
        rows = []
        for i, key in enumerate(result["keys"]):
            rows.append(
                {
                    "space": space,
                    "dataset": dataset,
                    "arch": key,
                    "scores": {p: finite_or_none(v[i]) for p, v in result["scores"].items()},
                    "times": {p: finite_or_none(v[i]) for p, v in result["times"].items()},
                    "targets": self.targets.get((space, dataset, key)),
                    **settings,
                    # the count the worker reports having used (the same, unless unset)
                    "torch_threads": result.get("torch_threads", settings.get("torch_threads")),
                }
            )
        fails = [{"space": space, "dataset": dataset, **f} for f in result["failures"]]
        append_lines(self.journal, rows)
        self.journaled_targets.setdefault((space, dataset), set()).update(
            row["arch"] for row in rows if row["targets"]
        )
        if fails:
            append_lines(self.failures, fails)
        for row in rows:
            self._merge(row)
        self.settings[(space, dataset)] = _settings_of(rows[-1]) if rows else dict(settings)
        self.write()

    def population(self, space: str, dataset: str, names: Sequence[str]) -> None:
        """Recompute population proxies over every scored arch of the task in the file."""
        from naspred.proxies import get_proxy

        records = self._records(space, dataset)
        for name in names:
            proxy = get_proxy(name)
            scored = [
                k
                for k in records
                if all(isinstance(records[k].get(d), dict) for d in proxy.depends)
            ]
            if not scored:
                continue
            members = {
                d: np.array(
                    [records[k][d]["score"] for k in scored],
                    dtype=float,
                )
                for d in proxy.depends
            }
            t0 = time.perf_counter()
            try:
                values = np.asarray(proxy.fn(members), dtype=float)
            except Exception as err:  # a population proxy fails as a whole
                log.warning("population proxy %s failed on %s/%s: %r", name, space, dataset, err)
                append_lines(
                    self.failures,
                    [
                        {
                            "space": space,
                            "dataset": dataset,
                            "arch": "*",
                            "proxy": name,
                            "error": repr(err),
                        }
                    ],
                )
                values = np.full(len(scored), np.nan)
            share = (time.perf_counter() - t0) / len(scored)
            for key, value in zip(scored, values, strict=True):
                records[key][name] = {"score": finite_or_none(value), "time": share}

    def write(self) -> None:
        """Replace the json atomically (temp file in the same directory, then rename),
        keyed as Suite-Zero's files are (the journal keeps naspred's keys)."""
        write_json_atomic(self.path, _translate_keys(self.data, to_file=True))


def _translate_keys(data: dict[str, Any], to_file: bool) -> dict[str, Any]:
    """``{space: {dataset: {key: record}}}`` with each key as naspred's, or back as the
    record files' (:func:`naspred.spaces.record_key`)."""
    from naspred.spaces import record_key

    return {
        space: {
            dataset: {record_key(space, dataset, k, to_file=to_file): r for k, r in records.items()}
            for dataset, records in datasets.items()
        }
        for space, datasets in data.items()
    }


def write_live_scores(
    out_json: str | Path, dest: str | Path, proxies: Sequence[str] | None = None
) -> list[str]:
    """Write the scores of a ``proxies compute`` output as the live scores of a
    learning-curve benchmark (:func:`naspred.benchmarks.learning_curves.live_scores_file`).

    The file keeps the Suite-Zero layout the output has, with ``val_accuracy`` null
    (the benchmark's own training is its ground truth) and each recorded failure as
    Suite-Zero's failure marker, so a loader counts it as a failure; times are rounded
    to four significant digits.

    Args:
        out_json: the ``zc_<space>.json`` that ``proxies compute`` wrote, with its
            failures file beside it; it must hold one task.
        dest: the file to write (replaced atomically).
        proxies: the proxies to ship; None: every proxy scored on every arch of the
            output (a proxy scored on only some is left out, with a log line).

    Returns:
        The proxies written.

    Raises:
        InvalidInputError: the output holds more than one task, or a named proxy is
            not scored on every arch.
    """
    out_json = Path(out_json)
    data = json.loads(out_json.read_text())
    tasks = [(s, d, r) for s, ds in data.items() for d, r in ds.items()]
    if len(tasks) != 1:
        raise InvalidInputError(f"{out_json} holds {len(tasks)} tasks; ship one task at a time")
    space, dataset, records = tasks[0]
    complete = sorted(
        set.intersection(
            *({n for n, v in r.items() if isinstance(v, dict)} for r in records.values())
        )
    )
    if proxies is None:
        partial = sorted({n for r in records.values() for n in r if n not in complete} - {TARGET})
        if partial:
            log.info("not shipped (scored on some archs only): %s", ", ".join(partial))
        names = complete
    else:
        names = list(proxies)
        lacking = [n for n in names if n not in complete]
        if lacking:
            raise InvalidInputError(
                f"{', '.join(lacking)} not scored on every arch of {out_json}: finish the "
                "`naspred proxies compute` run first"
            )
    from naspred.spaces import record_key

    # read-only: a run may still be appending to the failures file
    failures_file = sidecar_paths(out_json)[1]
    lines = read_lines(failures_file)[0] if failures_file.is_file() else []
    failed = {
        (f["proxy"], record_key(space, dataset, f["arch"], to_file=True))
        for f in (parse_line(failures_file, n, text) for n, text in lines)
        if (f.get("space"), f.get("dataset")) == (space, dataset) and f.get("arch") != "*"
    }

    def entry(key: str, name: str) -> dict[str, Any]:
        score, seconds = records[key][name]["score"], records[key][name]["time"]
        if score is None and (name, key) in failed:
            score = FAILURE_MARKER
        return {"score": score, "time": None if seconds is None else float(f"{seconds:.4g}")}

    shipped = {key: {TARGET: None, **{n: entry(key, n) for n in names}} for key in records}
    write_json_atomic(dest, {space: {dataset: shipped}})
    return names
