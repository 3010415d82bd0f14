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

from naspred.benchmarks.task import Task
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


def load_nasbench_graph(datasets: tuple[str, ...] | list[str] | None = None) -> list[Task]:
    """One task per dataset; ``val_accuracy``/``test_accuracy`` in percent,
    ``params`` (millions) and ``latency`` (seconds) as proxies."""
    from naspred.spaces.nasbench_graph import archs_by_hash

    directory = bench_dir()
    if directory is None:
        raise BenchmarkFileError("nas_bench_graph", "package not installed", "", GET_IT)
    unknown = sorted(set(datasets or ()) - set(DATASETS))
    if unknown:
        raise InvalidInputError(f"unknown NAS-Bench-Graph dataset(s) {unknown}; known: {DATASETS}")
    archs = archs_by_hash()
    tasks = []
    for name in datasets or DATASETS:
        path = directory / f"{name}.bench"
        if not path.is_file():
            raise BenchmarkFileError(
                path, "file not found", "the package's light/<dataset>.bench", GET_IT
            )
        try:
            with path.open("rb") as fh:
                bench = pickle.load(fh)
        except (pickle.UnpicklingError, EOFError) as err:
            raise BenchmarkFileError(path, f"unreadable ({err})", "a pickled dict", GET_IT) from err
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
                targets={"test_accuracy": 100.0 * column("perf")},
                proxies={"params": column("para"), "latency": column("latency")},
                source=str(path),
            )
        )
    return tasks
