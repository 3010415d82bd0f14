"""Cell protocols and named presets: which archs of a task a study counts.

Published correlations differ in which cells they count, and the numbers move a lot
with it (on NAS-Bench-201 CIFAR-10 the stored ``zen`` scores reach Spearman 0.31 on
all cells with its failures left out, 0.10 on GRAF's valid cells). A protocol makes
the choice explicit:

* ``all``: every arch the source holds (15,625 NB201 cells).
* ``unique``: one arch per isomorphism class (:meth:`Arch.canonical`), the class's
  canonical member where the task holds it, else its first arch in key order: 6,466
  NB201 cells under NB201's own convention (Dong & Yang, ICLR 2020).
* ``valid``: GRAF's valid cells, those with no unreachable operation
  (:func:`naspred.benchmarks.graf.is_graf_valid`; Kadlecová et al., ICML 2024):
  9,445 NB201 cells. Defined for NAS-Bench-201 only.

A restricted task's name carries its protocol (``nasbench201/cifar10-valid``), so its
tables and results stores never mix with the whole task's.

Presets name the protocol and failure rule of a published table, each checked here
against that table's numbers:

* ``suite-zero``: NAS-Bench-Suite-Zero's figures and notebooks (Krishnakumar et al.,
  NeurIPS 2022 D&B): all cells, ``val_accuracy``, failures (``-1e8``) ranked last.
* ``graf``: GRAF's tables (Kadlecová et al., ICML 2024): valid cells,
  ``val_accuracy``, failures left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from naspred.benchmarks.task import TARGET, Task
from naspred.errors import InvalidInputError, UnknownNameError

#: The cell protocols :func:`restrict_cells` knows.
CELLS = ("all", "unique", "valid")


@dataclass(frozen=True)
class Preset:
    """The protocol of a published table.

    Attributes:
        name: the preset's name (``--preset``).
        cells: the cell protocol (:data:`CELLS`).
        target: the ground truth ranked against.
        failed_as_worst: failures ranked last (True) or left out (False).
        reproduces: the published table it reproduces, and how to check it.
    """

    name: str
    cells: str
    target: str
    failed_as_worst: bool
    reproduces: str


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "suite-zero",
            "all",
            TARGET,
            True,
            "NAS-Bench-Suite-Zero's correlation figures (their notebooks rank the runner's "
            "-1e8 failures as scores): `naspred correlations --preset suite-zero "
            "--suite-zero-dir DIR` equals every rank statistic of the raw records "
            "(tables/correlations/suite_zero_failed_as_worst)",
        ),
        Preset(
            "graf",
            "valid",
            TARGET,
            False,
            "GRAF's proxy correlations on the valid NB201 cells: `naspred correlations "
            "--preset graf --graf-dir DIR -t 'nasbench201/cifar10-graf'` (tables/correlations/"
            "graf; jacov 0.818, nwot 0.792, synflow 0.732, zen 0.100, plain -0.367)",
        ),
    )
}


def get_preset(name: str) -> Preset:
    """The preset called ``name``.

    Raises:
        UnknownNameError: naming the known presets.
    """
    if name not in PRESETS:
        raise UnknownNameError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    return PRESETS[name]


def restrict_cells(task: Task, cells: str) -> Task:
    """``task`` restricted to the archs its cell protocol counts (module docstring).

    Args:
        task: the task.
        cells: ``all``, ``unique`` or ``valid``.

    Returns:
        ``task`` itself for ``all``; otherwise the subset, its name marked with the
        protocol (``nasbench201/cifar10-unique``).

    Raises:
        InvalidInputError: an unknown protocol, or ``valid`` on a space other than
            NAS-Bench-201.
    """
    if cells not in CELLS:
        raise InvalidInputError(f"unknown cell protocol {cells!r}; known: {', '.join(CELLS)}")
    if cells == "all":
        return task
    from naspred.spaces import arch_type

    cls = arch_type(task.space)
    archs = [cls.from_key(k) for k in task.keys]
    if cells == "valid":
        if task.space != "nasbench201":
            raise InvalidInputError(
                f"task {task.name}: 'valid' cells (GRAF's rule) are defined for nasbench201 "
                "only; use --cells all or unique"
            )
        from naspred.benchmarks.graf import is_graf_valid

        keep = np.array([is_graf_valid(a) for a in archs], dtype=bool)
    else:
        keep = _one_per_class(task, archs)
    variant = f"{task.variant}-{cells}" if task.variant else cells
    return replace(task.subset(np.flatnonzero(keep)), variant=variant)


def _one_per_class(task: Task, archs: Sequence) -> np.ndarray:
    """One arch per isomorphism class: the canonical member where held, else the first."""
    positions = {k: i for i, k in enumerate(task.keys)}
    chosen: dict[str, int] = {}
    for i, arch in enumerate(archs):
        canonical = arch.canonical().to_key()
        if canonical not in chosen:
            chosen[canonical] = positions.get(canonical, i)
    keep = np.zeros(len(task), dtype=bool)
    keep[list(chosen.values())] = True
    return keep
