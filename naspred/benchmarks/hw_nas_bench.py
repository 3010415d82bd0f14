"""Loader for HW-NAS-Bench's own file, ``HW-NAS-Bench-v1_0.pickle``.

Li et al., "HW-NAS-Bench: Hardware-Aware Neural Architecture Search Benchmark",
ICLR 2021. The file is a pickled dict; its NAS-Bench-201 part is::

    {"nasbench201": {dataset: {metric: [value, ...],          # one list per metric
                               ...,
                               "config": [{"arch_str": "|nor_conv_3x3~0|+|...|", ...},
                                          ...]}}}                 # aligned with them

with metrics such as ``edgegpu_latency``, ``edgegpu_energy``, ``raspi4_latency``,
``edgetpu_latency``, ``pixel3_latency``, ``eyeriss_latency``/``_energy``/
``_arithmetic_intensity`` and ``fpga_latency``/``_energy`` (the same columns as GRAF's
``hw_<dataset>.csv``). Its dataset ``ImageNet`` is NB201's ``ImageNet16-120``.

A pickle can run code when it is loaded, so the file is read by an unpickler that
builds only plain containers, numbers and strings: any other global it names is
refused with an error naming the file and the global.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from naspred.benchmarks.graf import TargetTable, check_costs
from naspred.errors import ArchKeyError, BenchmarkFileError
from naspred.safe_pickle import load_restricted

PICKLE_NAME = "HW-NAS-Bench-v1_0.pickle"
GET_IT = "HW-NAS-Bench's repository (github.com/GATECH-EIC/HW-NAS-Bench), file " + PICKLE_NAME
LAYOUT = '{"nasbench201": {dataset: {metric: [values], ..., "config": [{"arch_str": str}, ...]}}}'
#: HW-NAS-Bench's dataset names -> NB201's.
DATASETS = {"ImageNet": "ImageNet16-120"}
#: The only globals the file may name: builtin containers and numbers.
_ALLOWED = {("builtins", name) for name in ("set", "frozenset", "complex", "list", "dict", "tuple")}


def read_pickle(path: str | Path) -> Any:
    """The object in a pickle file, built with the restricted unpickler.

    Args:
        path: the pickle file.

    Raises:
        BenchmarkFileError: the file is missing, not a pickle, or names a global
            other than a builtin container.
    """
    return load_restricted(
        path, _ALLOWED, admits="builtin containers, numbers and strings", hints=(LAYOUT, GET_IT)
    )


def load_hw_nas_bench(path: str | Path) -> list[TargetTable]:
    """HW-NAS-Bench's NB201 hardware costs, one target table per dataset.

    Args:
        path: ``HW-NAS-Bench-v1_0.pickle``.

    Returns:
        Tables for ``(nasbench201, dataset)``, keyed by the Suite-Zero NB201 keys of
        the ``config`` arch strings, one target per metric list.

    Raises:
        BenchmarkFileError: the file cannot be read safely or does not have the layout
            above (no ``nasbench201`` entry, a bad arch string, a metric list of
            another length than ``config``, a repeated cell, a value that is not a
            non-negative number; ``-1``, "not measured", becomes NaN).
    """
    from naspred.spaces.nasbench201 import NasBench201Arch  # torch: only when needed

    path = Path(path)
    data = read_pickle(path)
    if not isinstance(data, dict) or not isinstance(data.get("nasbench201"), dict):
        raise BenchmarkFileError(path, "has no 'nasbench201' dict at the top level", LAYOUT)
    tables = []
    for dataset, metrics in data["nasbench201"].items():
        where = f"['nasbench201'][{dataset!r}]"
        if not isinstance(metrics, dict) or not isinstance(metrics.get("config"), list):
            raise BenchmarkFileError(path, f"{where} has no 'config' list", LAYOUT)
        keys = []
        for i, config in enumerate(metrics["config"]):
            text = config.get("arch_str") if isinstance(config, dict) else None
            try:
                keys.append(NasBench201Arch.from_nb201_string(text).to_key())
            except ArchKeyError as err:
                raise BenchmarkFileError(path, f"{where}['config'][{i}]: {err}", LAYOUT) from None
        if len(set(keys)) != len(keys):
            raise BenchmarkFileError(path, f"{where}: a cell appears twice in 'config'", LAYOUT)
        values = {}
        for name, column in metrics.items():
            if name == "config":
                continue
            if not isinstance(column, (list, tuple)) or len(column) != len(keys):
                raise BenchmarkFileError(
                    path,
                    f"{where}[{name!r}] is not a list of {len(keys)} values, one per config",
                    LAYOUT,
                )
            try:
                array = np.array([float(v) for v in column])
            except (TypeError, ValueError) as err:
                raise BenchmarkFileError(
                    path, f"{where}[{name!r}] holds a non-number ({err})", LAYOUT
                ) from None
            values[name] = array
        values = check_costs(path, values, keys)
        tables.append(
            TargetTable(
                "nasbench201", DATASETS.get(dataset, dataset), tuple(keys), values, str(path)
            )
        )
    return tables
