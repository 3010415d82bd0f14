"""Loader for NAS-Bench-Suite-Zero records (``zc_<space>.json``).

Krishnakumar et al., "NAS-Bench-Suite-Zero: Accelerating Research on Zero Cost
Proxies", NeurIPS 2022 Datasets and Benchmarks. Layout of a file::

    {space: {dataset: {arch_key: {proxy: {"score": float, "time": float | null},
                                  ...,
                                  "val_accuracy": float}}}}

Every space, dataset and proxy a file holds becomes available; nothing is fixed
here. Other scalar fields of a record (e.g. ``test_accuracy``) become targets.

The Suite-Zero runner stores :data:`FAILURE_MARKER` (``-1e8``) where a proxy failed on
an arch (it maps NaN to a number): 341 ``zen`` scores on each NB201 dataset, 169 on
TransNAS-Bench-101 micro, 7 ``jacov`` and ``epe_nas`` scores on NB201 CIFAR-10. This
loader turns them into recorded failures (NaN in :attr:`Task.proxies`, True in
:attr:`Task.proxy_failed`), the one place where the marker is known; a stored NaN or
inf stays a non-finite score, counted apart.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np

from naspred.benchmarks.task import TARGET, Task
from naspred.errors import BenchmarkFileError, InvalidInputError, WrongTypeError
from naspred.fetch import fetched_dir

log = logging.getLogger(__name__)

#: Environment variable naming a directory of ``zc_<space>.json`` files.
ENV_VAR = "NASPRED_SUITE_ZERO_DIR"
#: The source name of the release in :mod:`naspred.fetch`.
SOURCE = "suite-zero"
GET_IT = (
    f"run `naspred data fetch {SOURCE}` (the NAS-Bench-Suite-Zero zc_<space>.json files, "
    "into naspred's data cache, where naspred finds them), or point naspred at a "
    f"directory of them with --suite-zero-dir or ${ENV_VAR}"
)
#: What the Suite-Zero runner writes for a proxy that failed on an arch.
FAILURE_MARKER = -1e8
LAYOUT = '{space: {dataset: {arch_key: {proxy: {"score": x, "time": t}, "val_accuracy": acc}}}}'


def suite_zero_dir(path: str | Path | None = None) -> Path | None:
    """The directory the user *gave*: ``path`` if given, else ``$NASPRED_SUITE_ZERO_DIR``,
    else None. A fetched copy is not a given directory (see :func:`fetched_suite_zero_dir`):
    it does not change which tasks a command studies by default.

    Args:
        path: an explicit directory (or file), e.g. ``--suite-zero-dir``.
    """
    chosen = path if path is not None else os.environ.get(ENV_VAR) or None
    return Path(chosen).expanduser() if chosen is not None else None


def fetched_suite_zero_dir() -> Path | None:
    """The Suite-Zero release in naspred's data cache (``naspred data fetch suite-zero``),
    or None when it has not been fetched whole."""
    return fetched_dir(SOURCE)


def suite_zero_files(directory: str | Path) -> list[Path]:
    """The ``zc_*.json`` files in ``directory``; raises if there are none."""
    directory = Path(directory)
    if not directory.is_dir():
        raise BenchmarkFileError(
            directory, "no such directory", "a directory of zc_<space>.json files", GET_IT
        )
    files = sorted(directory.glob("zc_*.json"))
    if not files:
        raise BenchmarkFileError(
            directory, "holds no zc_*.json file", "zc_<space>.json files", GET_IT
        )
    return files


def load_suite_zero(path: str | Path, *, check_keys: bool = True) -> list[Task]:
    """Tasks from one ``zc_<space>.json`` file or from every such file in a directory.

    Args:
        path: the file or directory.
        check_keys: check that every key is an arch of its space (this imports the
            space, and torch with it). A caller that checks the keys against others
            it holds (the live scores beside a learning-curve benchmark) turns it off.
    """
    path = Path(path)
    if path.is_dir():
        return [
            task
            for file in suite_zero_files(path)
            for task in load_suite_zero(file, check_keys=check_keys)
        ]
    if not path.is_file():
        raise BenchmarkFileError(path, "file not found", "a zc_<space>.json file", GET_IT)
    try:
        with path.open() as fh:
            data = json.load(fh)
    except json.JSONDecodeError as err:
        raise BenchmarkFileError(
            path,
            f"not valid JSON ({err.msg} at line {err.lineno}, column {err.colno})",
            LAYOUT,
            GET_IT,
        ) from err
    except UnicodeDecodeError as err:
        raise BenchmarkFileError(path, "not a text (JSON) file", LAYOUT, GET_IT) from err
    if not isinstance(data, dict) or not data:
        raise BenchmarkFileError(
            path, "top level is not a non-empty object of spaces", LAYOUT, GET_IT
        )
    tasks = []
    for space, datasets in data.items():
        if not isinstance(datasets, dict):
            raise BenchmarkFileError(
                path, f"space {space!r} does not map datasets to records", LAYOUT
            )
        for dataset, records in datasets.items():
            tasks.append(_task_from_records(path, space, dataset, records, check_keys))
    log.info("loaded %d task(s) from %s", len(tasks), path)
    return tasks


def _task_from_records(
    path: Path, space: str, dataset: str, records: object, check_keys: bool = True
) -> Task:
    where = f"{space}/{dataset}"
    if not isinstance(records, dict) or not records:
        raise BenchmarkFileError(path, f"{where} does not map arch keys to records", LAYOUT)
    file_keys = tuple(records)
    keys = _our_keys(path, space, dataset, file_keys, check_keys)
    n = len(keys)
    val = np.full(n, np.nan)
    proxies: dict[str, np.ndarray] = {}
    times: dict[str, np.ndarray] = {}
    targets: dict[str, np.ndarray] = {}
    for i, key in enumerate(file_keys):
        record = records[key]
        if not isinstance(record, dict) or TARGET not in record:
            raise BenchmarkFileError(
                path, f"{where} arch {key!r} has no {TARGET!r}", LAYOUT, GET_IT
            )
        val[i] = _number(record[TARGET], path, f"{where} arch {key!r} {TARGET}")
        for name, entry in record.items():
            if name == TARGET:
                continue
            if isinstance(entry, dict):
                if "score" not in entry:
                    raise BenchmarkFileError(
                        path, f"{where} arch {key!r} proxy {name!r} has no 'score'", LAYOUT
                    )
                proxies.setdefault(name, np.full(n, np.nan))[i] = _number(
                    entry["score"], path, f"{where} arch {key!r} {name} score"
                )
                times.setdefault(name, np.full(n, np.nan))[i] = _number(
                    entry.get("time"), path, f"{where} arch {key!r} {name} time"
                )
            else:
                targets.setdefault(name, np.full(n, np.nan))[i] = _number(
                    entry, path, f"{where} arch {key!r} {name}"
                )
    # a proxy absent from a record is missing; one stored as NaN/inf is a non-finite score
    missing = {name: np.array([name not in records[k] for k in file_keys]) for name in proxies}
    missing = {name: mask for name, mask in missing.items() if mask.any()}
    failed = {name: values == FAILURE_MARKER for name, values in proxies.items()}
    failed = {name: mask for name, mask in failed.items() if mask.any()}
    for name, mask in failed.items():
        proxies[name] = np.where(mask, np.nan, proxies[name])
    return Task(
        space,
        dataset,
        keys,
        val,
        targets,
        proxies,
        times,
        missing,
        source=str(path),
        proxy_failed=failed,
    )


def _our_keys(
    path: Path, space: str, dataset: str, keys: tuple[str, ...], check: bool = True
) -> tuple[str, ...]:
    """The file's keys checked (:func:`_check_keys`, if ``check``) and as naspred's keys
    (:func:`naspred.spaces.record_key`: TransNAS micro on NAS-Bench-360 is keyed by
    NASLib's op indices in the files)."""
    from naspred.spaces import record_key

    if check:
        _check_keys(path, space, dataset, keys)
    return tuple(record_key(space, dataset, k) for k in keys)


def _check_keys(path: Path, space: str, dataset: str, keys: tuple[str, ...]) -> None:
    """Every key must be an arch of ``space``, spelled as its benchmark key: records
    stored under the wrong space (NB101 tuples under ``nasbench201``) or garbage keys
    are an error when the file loads, not a table of nonsense later. A space naspred
    does not know is taken as it is (its keys cannot be checked)."""
    from naspred.spaces import arch_type, space_names  # imports torch: only when a file loads

    if space not in space_names():
        log.info("%s: space %r is not one naspred knows; its keys are not checked", path, space)
        return
    cls = arch_type(space)
    bad = []
    for key in keys:
        try:
            ok = cls.from_key(key).to_key() == key
        except (InvalidInputError, WrongTypeError):  # ArchKeyError is an InvalidInputError
            ok = False
        if not ok:
            bad.append(key)
            if len(bad) == 3:
                break
    if bad:
        raise BenchmarkFileError(
            path,
            f"{space}/{dataset}: arch key(s) {', '.join(repr(k) for k in bad)} are not "
            f"{space} keys",
            f"keys as the {space} benchmark writes them (records of another space stored "
            "under this one?)",
        )


def _number(value: object, path: Path, what: str) -> float:
    """A float; ``null`` becomes NaN (kept, and counted later, never silently dropped)."""
    if value is None:
        return np.nan
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise BenchmarkFileError(path, f"{what} is {value!r}, not a number", LAYOUT)
    try:
        return float(value)
    except ValueError as err:
        raise BenchmarkFileError(path, f"{what} is {value!r}, not a number", LAYOUT) from err
