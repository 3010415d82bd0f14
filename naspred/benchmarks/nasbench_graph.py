"""Loader for NAS-Bench-Graph, embedded through its pip package ``nas-bench-graph``.

Qin et al., "NAS-Bench-Graph: Benchmarking Graph Neural Architecture Search",
NeurIPS 2022 Datasets and Benchmarks. The package ships, for nine node-
classification datasets, one record per architecture (26,206; 2,021 for
``proteins``) with validation and test performance, latency and parameters.
"""

from __future__ import annotations

import importlib.util
import pickle
from pathlib import Path

import numpy as np

from naspred.benchmarks.task import Task, summary_row
from naspred.errors import BenchmarkFileError, InvalidInputError

SPACE = "nasbench_graph"
DATASETS: tuple[str, ...] = (
    "cora",
    "citeseer",
    "pubmed",
    "cs",
    "physics",
    "photo",
    "computers",
    "arxiv",
    "proteins",
)
GET_IT = "pip install nas-bench-graph"


def bench_dir() -> Path | None:
    """Where the installed package keeps its tables, or None if it is not installed."""
    spec = importlib.util.find_spec("nas_bench_graph")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "light"


def is_available() -> bool:
    """Whether ``nas-bench-graph`` is installed with its table directory."""
    directory = bench_dir()
    return directory is not None and directory.is_dir()


#: Proxy and target name -> the field of a package record that holds it.
PROXY_FIELDS = {"params": "para", "latency": "latency"}
TARGET_FIELDS = {"test_accuracy": "perf"}


def _chosen(datasets: tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    unknown = sorted(set(datasets or ()) - set(DATASETS))
    if unknown:
        raise InvalidInputError(f"unknown NAS-Bench-Graph dataset(s) {unknown}; known: {DATASETS}")
    return tuple(datasets or DATASETS)


def _read_bench(name: str) -> tuple[Path, dict]:
    """The package's table of dataset ``name``: its path and its records by hash."""
    directory = bench_dir()
    if directory is None:
        raise BenchmarkFileError("nas_bench_graph", "package not installed", "", GET_IT)
    path = directory / f"{name}.bench"
    if not path.is_file():
        raise BenchmarkFileError(
            path, "file not found", "the package's light/<dataset>.bench", GET_IT
        )
    try:
        with path.open("rb") as fh:
            return path, pickle.load(fh)
    except (pickle.UnpicklingError, EOFError) as err:
        raise BenchmarkFileError(path, f"unreadable ({err})", "a pickled dict", GET_IT) from err


def summarise_nasbench_graph(
    datasets: tuple[str, ...] | list[str] | None = None,
) -> list[dict[str, object]]:
    """The rows ``naspred tasks`` lists for these datasets (:func:`~naspred.benchmarks.task.
    summary_row`), from each table's record count: enumerating the architectures, which
    :func:`load_nasbench_graph` does, takes seconds."""
    rows = []
    for name in _chosen(datasets):
        path, bench = _read_bench(name)
        n = len(bench)
        proxies = dict.fromkeys(PROXY_FIELDS, n)
        rows.append(summary_row(f"{SPACE}/{name}", n, proxies, TARGET_FIELDS, source=str(path)))
    return rows


def load_nasbench_graph(datasets: tuple[str, ...] | list[str] | None = None) -> list[Task]:
    """One task per dataset; ``val_accuracy``/``test_accuracy`` in percent,
    ``params`` (millions) and ``latency`` (seconds) as proxies."""
    from naspred.spaces.nasbench_graph import archs_by_hash

    chosen = _chosen(datasets)
    archs = archs_by_hash()
    tasks = []
    for name in chosen:
        path, bench = _read_bench(name)
        hashes = sorted(bench)
        missing = [h for h in hashes if h not in archs]
        if missing:
            raise BenchmarkFileError(path, f"record key {missing[0]} is no known architecture")

        def column(field: str, hashes=hashes, bench=bench) -> np.ndarray:
            return np.array([float(bench[h][field]) for h in hashes])

        tasks.append(
            Task(
                space=SPACE,
                dataset=name,
                keys=tuple(archs[h].to_key() for h in hashes),
                val_accuracy=100.0 * column("valid_perf"),
                targets={t: 100.0 * column(f) for t, f in TARGET_FIELDS.items()},
                proxies={p: column(f) for p, f in PROXY_FIELDS.items()},
                source=str(path),
            )
        )
    return tasks
