"""Loaders for NAS-Bench-201's published training records, as learning-curve Tasks.

Two sources of the same measurements (Dong & Yang, "NAS-Bench-201: Extending the
Scope of Reproducible Neural Architecture Search", ICLR 2020; Dong et al.,
"NATS-Bench: Benchmarking NAS Algorithms for Architecture Topology and Size",
TPAMI 2021):

* :func:`load_nb201_full_training` reads NASLib's ``nb201_<dataset>_full_training.pickle``
  (github.com/automl/NASLib, ``naslib/data``)::

      {arch_str: {dataset_key: {"train_losses": [...], "eval_losses": [...],
                                "train_acc1es": [...], "eval_acc1es": [...],
                                "train_times": [...], "eval_times": [...],
                                "cost_info": {"flops", "params", "latency", "train_time"}}}}

  ``arch_str`` is NB201's ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``; ``dataset_key``
  is ``cifar10-valid``, ``cifar100`` or ``ImageNet16-120``. Some files put
  ``flop``/``flops``, ``params`` and ``latency`` directly in the record instead
  of ``cost_info``; both are read.

  ``train_times`` are seconds *per epoch*, not running totals: they are
  NB201's own per-epoch ``train_times[epoch]`` copied epoch by epoch (the NB201
  API reports their running sum separately as ``train-all-time``, equal to
  ``train-per-time`` at epoch 0). They become ``epoch_time`` unchanged; pass
  ``times="cumulative"`` for a file that stores running totals (they are then
  differenced). A file whose times look cumulative (non-decreasing and growing
  with the epoch for most archs) is reported with a warning.

  The file is unpickled *restricted* (:class:`_CurvesUnpickler`): only the types the
  format is made of -- dicts, lists, strings, numbers, and numpy arrays and scalars --
  are admitted; any other global a pickle names (``os.system``, a class's
  constructor) is refused with :class:`~naspred.errors.BenchmarkFileError` before it
  is looked up, so a file from elsewhere cannot run code.

* :func:`load_nats_bench` asks the NATS-Bench API (``pip install nats_bench``, data
  files under ``$TORCH_HOME``) for every epoch of every arch of the topology
  search space (``api.get_more_info(index, dataset, iepoch=e, hp=hp,
  is_random=False)``, the mean over the benchmark's seeds) and its costs
  (``api.get_cost_info``). It takes an ``api`` object, so a caller holding one
  reuses it.

Both give Tasks whose keys are Suite-Zero NB201 keys (``"(i0, ..., i5)"``) and
whose dataset is spelled as in Suite-Zero (``cifar10`` for NB201's
``cifar10-valid``), with curves ``train_loss``, ``train_accuracy``, ``val_loss``,
``val_accuracy`` (percent), ``epoch_time`` (and ``eval_time`` where stored), and
``val_accuracy`` the last recorded epoch's validation accuracy.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from naspred.benchmarks.task import Task
from naspred.errors import BenchmarkFileError, InvalidInputError, NaspredError
from naspred.safe_pickle import NUMPY_GLOBALS, load_restricted

log = logging.getLogger(__name__)

#: The globals a NASLib curves pickle may name: the containers and numpy's array and
#: scalar reconstruction (``numpy.core`` before numpy 2, ``numpy._core`` after), and
#: the codec protocol-2 pickles use for an array's bytes. Nothing that runs code or
#: touches files.
SAFE_PICKLE_GLOBALS: frozenset[tuple[str, str]] = NUMPY_GLOBALS | {
    ("collections", "OrderedDict"),
    ("_codecs", "encode"),
}

#: Suite-Zero dataset name -> the key NB201 / NASLib / NATS-Bench use for it.
NB201_DATASET_KEYS: dict[str, str] = {
    "cifar10": "cifar10-valid",
    "cifar100": "cifar100",
    "ImageNet16-120": "ImageNet16-120",
}
_OUR_NAME = {v: k for k, v in NB201_DATASET_KEYS.items()}

# NASLib list name -> our curve name
_NASLIB_CURVES: dict[str, str] = {
    "train_losses": "train_loss",
    "train_acc1es": "train_accuracy",
    "eval_losses": "val_loss",
    "eval_acc1es": "val_accuracy",
}
_NASLIB_TIMES: dict[str, str] = {"train_times": "epoch_time", "eval_times": "eval_time"}
NASLIB_LAYOUT = (
    "a pickled dict {arch_str: {dataset_key: {'train_losses', 'eval_losses', 'train_acc1es', "
    "'eval_acc1es' (lists per epoch), 'train_times', 'eval_times', 'cost_info': {'flops', "
    "'params', 'latency'}}}} with dataset_key cifar10-valid, cifar100 or ImageNet16-120"
)
NASLIB_GET_IT = (
    "NASLib's nb201_<dataset>_full_training.pickle files (github.com/automl/NASLib, "
    "see its README's data-download section; they go to naslib/data/)"
)
NATS_GET_IT = (
    "pip install nats_bench, download the topology benchmark (NATS-tss-v1_0-3ffb9-simple) "
    "and set $TORCH_HOME to the directory that holds it (see github.com/D-X-Y/NATS-Bench)"
)


def _dataset_names(dataset: str) -> tuple[str, str]:
    """``(our name, NB201 key)`` for a dataset given in either spelling."""
    if dataset in NB201_DATASET_KEYS:
        return dataset, NB201_DATASET_KEYS[dataset]
    if dataset in _OUR_NAME:
        return _OUR_NAME[dataset], dataset
    for ours, key in NB201_DATASET_KEYS.items():
        if dataset.lower() in (ours.lower(), key.lower()):
            return ours, key
    raise InvalidInputError(
        f"unknown NAS-Bench-201 dataset {dataset!r}; known: "
        + ", ".join(f"{a} ({b})" for a, b in NB201_DATASET_KEYS.items())
    )


def _nb201_key(arch_str: object, path: str | Path) -> str:
    # imports torch: only when used, so that loading benchmarks stays light
    from naspred.errors import ArchKeyError
    from naspred.spaces.nasbench201 import NasBench201Arch

    try:
        return NasBench201Arch.from_nb201_string(arch_str).to_key()  # type: ignore[arg-type]
    except ArchKeyError as err:
        raise BenchmarkFileError(path, str(err), NASLIB_LAYOUT) from err


def _padded(rows: list[list[float] | None], width: int) -> np.ndarray:
    """Rows of different lengths (None: unknown) as an ``(n, width)`` array, NaN-padded."""
    out = np.full((len(rows), width), np.nan)
    for i, row in enumerate(rows):
        if row is not None:
            out[i, : len(row)] = row
    return out


def _last_finite(curve: np.ndarray) -> np.ndarray:
    """Each row's last non-NaN value (NaN for an all-NaN row)."""
    finite = ~np.isnan(curve)
    last = curve.shape[1] - 1 - np.argmax(finite[:, ::-1], axis=1)
    values = curve[np.arange(len(curve)), last]
    return np.where(finite.any(axis=1), values, np.nan)


def _floats(values: object, path: str | Path, where: str) -> list[float]:
    if isinstance(values, Mapping):  # NB201's raw dicts {epoch: value}
        values = [values[k] for k in sorted(values)]
    if not isinstance(values, (list, tuple, np.ndarray)):
        raise BenchmarkFileError(path, f"{where} is not a list of numbers", NASLIB_LAYOUT)
    try:
        return [np.nan if v is None else float(v) for v in values]
    except (TypeError, ValueError) as err:
        raise BenchmarkFileError(path, f"{where} holds a non-number", NASLIB_LAYOUT) from err


def _cost(record: Mapping[str, Any], names: tuple[str, ...]) -> float:
    """A cost from ``cost_info`` or, in files that flatten it, from the record itself."""
    for where in (record.get("cost_info"), record):
        if isinstance(where, Mapping):
            for name in names:
                if where.get(name) is not None:
                    return float(where[name])
    return np.nan


def _looks_cumulative(times: list[list[float] | None]) -> bool:
    """Whether most archs' times grow with the epoch like running totals."""
    votes = []
    for row in times:
        if row is None or len(row) < 4 or not np.all(np.isfinite(row)) or row[0] <= 0:
            continue
        diffs = np.diff(row)
        votes.append(bool(np.all(diffs >= 0) and row[-1] / row[0] > len(row) / 2))
    return bool(votes) and np.mean(votes) > 0.5


def load_nb201_full_training(
    path: str | Path, dataset: str | None = None, times: str = "per_epoch"
) -> Task:
    """A learning-curve Task from NASLib's ``nb201_<dataset>_full_training.pickle``.

    Args:
        path: the pickle file.
        dataset: ``cifar10`` (NB201's ``cifar10-valid``), ``cifar100`` or
            ``ImageNet16-120``, in either spelling; None: the one the file name
            names, or the only one the file holds.
        times: ``"per_epoch"`` (NASLib's files: see the module docstring) or
            ``"cumulative"`` (running totals, differenced here).

    Returns:
        A Task with curves ``train_loss``, ``train_accuracy``, ``val_loss``,
        ``val_accuracy``, ``epoch_time`` (and ``eval_time`` where stored), NaN-padded
        after an arch's last epoch; proxies ``params``, ``flops``, ``latency``; target
        ``train_time`` (sum of the epoch times).
    """
    if times not in ("per_epoch", "cumulative"):
        raise InvalidInputError(f"times must be 'per_epoch' or 'cumulative', got {times!r}")
    path = Path(path)
    data = load_restricted(
        path,
        SAFE_PICKLE_GLOBALS,
        admits="dicts, lists, numbers, strings and numpy arrays",
        hints=(NASLIB_LAYOUT, NASLIB_GET_IT),
    )
    if not isinstance(data, Mapping) or not data:
        raise BenchmarkFileError(
            path, "top level is not a non-empty dict of arch strings", NASLIB_LAYOUT
        )
    ours, key = _resolve_dataset(path, data, dataset)

    keys, costs = [], {"params": [], "flops": [], "latency": []}
    curves: dict[str, list[list[float] | None]] = {
        name: [] for name in [*_NASLIB_CURVES.values(), *_NASLIB_TIMES.values()]
    }
    for arch_str, by_dataset in data.items():
        where = f"arch {arch_str!r}"
        if not isinstance(by_dataset, Mapping) or key not in by_dataset:
            raise BenchmarkFileError(path, f"{where} has no {key!r} record", NASLIB_LAYOUT)
        record = by_dataset[key]
        if not isinstance(record, Mapping):
            raise BenchmarkFileError(path, f"{where} {key!r} is not a dict", NASLIB_LAYOUT)
        keys.append(_nb201_key(arch_str, path))
        length, first = None, ""
        for name, ours_name in _NASLIB_CURVES.items():
            if name not in record:
                raise BenchmarkFileError(path, f"{where} {key!r} has no {name!r}", NASLIB_LAYOUT)
            row = _floats(record[name], path, f"{where} {key!r} {name}")
            if length is not None and len(row) != length:
                raise BenchmarkFileError(
                    path,
                    f"{where} {key!r} {name!r} has {len(row)} epochs but {first!r} has {length}",
                    "the same number of epochs in every per-epoch list of a record",
                )
            length, first = len(row), name
            curves[ours_name].append(row)
        for name, ours_name in _NASLIB_TIMES.items():
            row = _floats(record[name], path, f"{where} {name}") if name in record else None
            if row is not None and len(row) != length:
                log.warning(
                    "%s: %s %s has %d entries, the curves %d; ignored", path, where, name,
                    len(row), length,
                )  # fmt: skip
                row = None
            curves[ours_name].append(row)
        costs["params"].append(_cost(record, ("params",)))
        costs["flops"].append(_cost(record, ("flops", "flop")))
        costs["latency"].append(_cost(record, ("latency",)))

    for name in _NASLIB_TIMES.values():
        rows = curves[name]
        if times == "cumulative":
            curves[name] = [None if r is None else list(np.diff(r, prepend=0.0)) for r in rows]
        elif _looks_cumulative(rows):
            log.warning(
                "%s: %s look like running totals (they grow with the epoch); if so, "
                "load with times='cumulative'",
                path,
                name,
            )
    width = max(len(r) for r in curves["val_accuracy"] if r is not None)
    arrays = {
        name: _padded(rows, width)
        for name, rows in curves.items()
        if any(r is not None for r in rows)
    }
    floats = {k: np.asarray(v, dtype=float) for k, v in costs.items()}
    return _training_task(ours, keys, arrays, floats, source=str(path))


def _training_task(
    dataset: str,
    keys: list[str],
    curves: dict[str, np.ndarray],
    costs: dict[str, np.ndarray],
    source: str,
    test: np.ndarray | None = None,
) -> Task:
    """The NB201 task of published training curves: final val accuracy from the
    last finite epoch, ``train_time`` the sum of epoch times (NaN for an arch with
    none), ``test_accuracy`` where ``test`` curves are given."""
    targets = {}
    if "epoch_time" in curves:
        times = curves["epoch_time"]
        targets["train_time"] = np.where(
            np.isnan(times).all(axis=1), np.nan, np.nansum(times, axis=1)
        )
    if test is not None and not np.isnan(test).all():
        targets["test_accuracy"] = _last_finite(test)
    return Task(
        space="nasbench201",
        dataset=dataset,
        keys=tuple(keys),
        val_accuracy=_last_finite(curves["val_accuracy"]),
        targets=targets,
        proxies=costs,
        curves=curves,
        source=source,
    )


def _resolve_dataset(path: Path, data: Mapping, dataset: str | None) -> tuple[str, str]:
    if dataset is not None:
        return _dataset_names(dataset)
    match = re.fullmatch(r"nb201_(.+)_full_training\.pickle", path.name)
    if match:
        try:
            return _dataset_names(match.group(1))
        except ValueError:
            pass
    first = next(iter(data.values()))
    found = list(first) if isinstance(first, Mapping) else []
    if len(found) == 1:
        return _dataset_names(str(found[0]))
    raise BenchmarkFileError(
        path,
        f"holds datasets {found}; say which with dataset=",
        NASLIB_LAYOUT,
    )


# ---- NATS-Bench -----------------------------------------------------------------------


def nats_api(fast_mode: bool = True) -> Any:
    """The NATS-Bench topology-space API (``nats_bench.create(None, "tss", ...)``), or a
    :class:`NaspredError` saying how to install it and where its files go."""
    try:
        from nats_bench import create
    except ImportError as err:
        raise NaspredError(f"the NATS-Bench API is not installed: {NATS_GET_IT}") from err
    try:
        return create(None, "tss", fast_mode=fast_mode, verbose=False)
    except Exception as err:  # its errors vary by version; all mean "files not found"
        home = os.environ.get("TORCH_HOME", "~/.torch (TORCH_HOME is not set)")
        raise NaspredError(
            f"NATS-Bench could not open its topology benchmark under {home} "
            f"({type(err).__name__}: {err}); {NATS_GET_IT}"
        ) from err


def load_nats_bench(
    api: Any = None,
    dataset: str = "cifar10",
    hp: str = "200",
    indices: Iterable[int] | None = None,
    epochs: int | None = None,
    progress: bool = True,
) -> Task:
    """A learning-curve Task of the NATS-Bench topology space (= NAS-Bench-201).

    Args:
        api: a NATS-Bench API object (``nats_bench.create(None, "tss")``); None: make
            one with :func:`nats_api` (needs ``nats_bench`` and ``$TORCH_HOME``).
        dataset: ``cifar10`` (asked as ``cifar10-valid``, the split with a validation
            set), ``cifar100`` or ``ImageNet16-120``.
        hp: the benchmark's training schedule, ``"200"`` or ``"12"`` epochs.
        indices: arch indices to load; None: all ``len(api)``.
        epochs: epochs of curve to read; None: ``int(hp)``.
        progress: show a progress bar (one tick per arch).

    Calls, per arch ``i``: ``api.arch(i)`` (its NB201 string),
    ``api.get_more_info(i, key, iepoch=e, hp=hp, is_random=False)`` for each epoch
    (``train-loss``, ``train-accuracy``, ``train-per-time``, ``valid-loss``,
    ``valid-accuracy``, ``valid-per-time``, and ``test-accuracy`` where the split
    has one) and ``api.get_cost_info(i, key, hp=hp)`` (``params``, ``flops``,
    ``latency``).
    """
    from tqdm.auto import tqdm

    api = nats_api() if api is None else api
    ours, key = _dataset_names(dataset)
    epochs = int(hp) if epochs is None else int(epochs)
    indices = list(range(len(api))) if indices is None else [int(i) for i in indices]
    if not indices:
        raise InvalidInputError("no arch indices to load")
    fields = {
        "train_loss": "train-loss",
        "train_accuracy": "train-accuracy",
        "val_loss": "valid-loss",
        "val_accuracy": "valid-accuracy",
        "epoch_time": "train-per-time",
        "eval_time": "valid-per-time",
        "test_accuracy": "test-accuracy",
    }
    curves = {name: np.full((len(indices), epochs), np.nan) for name in fields}
    costs = {name: np.full(len(indices), np.nan) for name in ("params", "flops", "latency")}
    keys = []
    for row, index in enumerate(tqdm(indices, desc=f"NATS-Bench {ours}", disable=not progress)):
        keys.append(_nb201_key(api.arch(index), f"NATS-Bench arch {index}"))
        for e in range(epochs):
            info = api.get_more_info(index, key, iepoch=e, hp=hp, is_random=False)
            if "valid-accuracy" not in info:
                raise NaspredError(
                    f"NATS-Bench gives no validation accuracy for arch {index} on {key!r} "
                    f"(it gave {sorted(info)}); use dataset cifar10 (cifar10-valid), "
                    "cifar100 or ImageNet16-120"
                )
            for name, field in fields.items():
                value = info.get(field)
                if value is not None:
                    curves[name][row, e] = float(value)
        cost = api.get_cost_info(index, key, hp=hp)
        for name in costs:
            if cost.get(name) is not None:
                costs[name][row] = float(cost[name])
    test = curves.pop("test_accuracy")
    curves = {k: v for k, v in curves.items() if not np.isnan(v).all()}
    return _training_task(
        ours, keys, curves, costs, source=f"NATS-Bench topology API (hp={hp})", test=test
    )
