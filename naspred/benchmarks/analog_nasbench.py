"""Loader for AnalogNAS-Bench, embedded through its pip package ``analog-nasbench``.

Benmeziane et al., "AnalogNAS-Bench: A NAS Benchmark for Analog In-Memory
Computing", 2025. The package ships all 15,625 NAS-Bench-201 cells trained on
CIFAR-10, with the digital ("baseline") accuracy and accuracies under
post-training quantisation, quantisation-aware training, hardware noise, analog
deployment and conductance drift over time.

The package's arch tuples use NB201's Suite-Zero edge order and op indices
(0 skip_connect, 1 none, 2 nor_conv_3x3, 3 nor_conv_1x1, 4 avg_pool_3x3): of
the 120 op orderings, only this one makes its baseline accuracy agree with
NB201's CIFAR-10 validation accuracy (Spearman 0.98 over all 15,625 cells; the
next best ordering reaches 0.77) — ``tests/test_benchmarks.py`` checks this.
"""

from __future__ import annotations

import importlib.util
import pickle
from pathlib import Path

import numpy as np

from naspred.benchmarks.task import Task, summary_row
from naspred.errors import BenchmarkFileError

SPACE = "nasbench201"
DATASET = "analognas_cifar10"
GET_IT = "pip install analog-nasbench"
ACCURACIES = ("ptq_accuracy", "qat_accuracy", "noisy_accuracy", "analog_accuracy")
DRIFT_TIMES = (60, 3600, 86400, 2592000)


class _Record:
    """Stands in for the package's record class while unpickling.

    The package's own module imports ``pkg_resources``, which current setuptools no
    longer ships, so we read its data file without importing it.
    """

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):  # noqa: ANN201 - pickle protocol
        if module.startswith("analognasbench"):
            return _Record
        return super().find_class(module, name)


def data_file() -> Path | None:
    """Path of the package's pickled records (``data.anb``), or None if it is not installed."""
    spec = importlib.util.find_spec("analognasbench")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data.anb"


def is_available() -> bool:
    """Whether ``analog-nasbench`` is installed with its data file."""
    path = data_file()
    return path is not None and path.is_file()


def read_records(path: Path | None = None) -> dict[tuple[int, ...], _Record]:
    """The package's raw records keyed by op-index tuple."""
    path = path or data_file()
    if path is None or not path.is_file():
        raise BenchmarkFileError(path or "analognasbench/data.anb", "not found", "", GET_IT)
    try:
        with path.open("rb") as fh:
            records = _Unpickler(fh).load()
    except (pickle.UnpicklingError, EOFError, AttributeError) as err:
        raise BenchmarkFileError(
            path, f"unreadable ({err})", "the package's pickled records", GET_IT
        ) from err
    if not isinstance(records, dict) or not records:
        raise BenchmarkFileError(path, "holds no records", "a dict of arch tuple -> record", GET_IT)
    return records


def _drift(value: object) -> float:
    """Drift measurements are stored as objects with a ``value`` (and uncertainty)."""
    return float(getattr(value, "value", value))


#: Its targets besides ``val_accuracy``, and its proxies (computed from our networks).
TARGETS = (*ACCURACIES, *(f"analog_drift_{t}s" for t in DRIFT_TIMES))
PROXIES = ("params", "flops")


def summarise_analog_nasbench(path: Path | None = None) -> list[dict[str, object]]:
    """The row ``naspred tasks`` lists (:func:`~naspred.benchmarks.task.summary_row`),
    from the record count: :func:`load_analog_nasbench` also builds a network per cell
    for its params and FLOPs."""
    n = len(read_records(path))
    source = str(path or data_file())
    return [summary_row(f"{SPACE}/{DATASET}", n, dict.fromkeys(PROXIES, n), TARGETS, source=source)]


def load_analog_nasbench(path: Path | None = None) -> list[Task]:
    """One task, ``nasbench201/analognas_cifar10``: digital accuracy as ``val_accuracy``
    (the package stores no separate validation split), the analog accuracies and
    drift as further targets, all in percent; ``params`` and ``flops`` (millions, the
    Suite-Zero convention) of the NB201 CIFAR-10 network we build for each cell."""
    from naspred.spaces.nasbench201 import NasBench201Arch, NasBench201Space

    records = read_records(path)
    archs = sorted(records)
    bad = [a for a in archs if len(a) != 6 or not all(0 <= int(o) <= 4 for o in a)]
    if bad:
        raise BenchmarkFileError(path or data_file(), f"arch {bad[0]} is not an NB201 cell")
    keys = tuple(str(tuple(int(o) for o in a)) for a in archs)
    targets = {
        name: np.array([float(getattr(records[a], name)) for a in archs]) for name in ACCURACIES
    }
    for t in DRIFT_TIMES:
        targets[f"analog_drift_{t}s"] = np.array(
            [_drift(getattr(records[a], f"analog_drift_{t}")) for a in archs]
        )
    val = np.array([float(records[a].baseline_accuracy) for a in archs])
    space = NasBench201Space()
    cost = np.array([space.complexity(NasBench201Arch(tuple(a)), "cifar10") for a in archs])
    proxies = dict(zip(PROXIES, cost.T, strict=True))  # complexity() is (params, flops)
    return [Task(SPACE, DATASET, keys, val, targets, proxies, source=str(path or data_file()))]
