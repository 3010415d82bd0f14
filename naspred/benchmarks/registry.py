"""Which tasks the installed sources provide, and loading them by name."""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from naspred.benchmarks import analog_nasbench, nasbench_graph
from naspred.benchmarks import graf as graf_release
from naspred.benchmarks.learning_curves import embedded_learning_curves, load_learning_curves
from naspred.benchmarks.suite_zero import (
    fetched_suite_zero_dir,
    load_suite_zero,
    suite_zero_dir,
)
from naspred.benchmarks.task import TARGET, Task
from naspred.errors import BenchmarkFileError, UnknownNameError, UnknownTaskError

log = logging.getLogger(__name__)


def embedded_tasks() -> list[Task]:
    """Tasks that install with naspred or its pip dependencies (no download): the
    learning-curve benchmarks shipped in the package, NAS-Bench-Graph, AnalogNAS-Bench."""
    tasks: list[Task] = embedded_learning_curves()
    if nasbench_graph.is_available():
        tasks += nasbench_graph.load_nasbench_graph()
    else:
        log.warning(
            "NAS-Bench-Graph not installed (%s); its tasks are skipped", nasbench_graph.GET_IT
        )
    if analog_nasbench.is_available():
        tasks += analog_nasbench.load_analog_nasbench()
    else:
        log.warning(
            "AnalogNAS-Bench not installed (%s); its task is skipped", analog_nasbench.GET_IT
        )
    return tasks


def load_curve_file(path: str | Path) -> Task:
    """A learning-curve task from a file: naspred's own format (``.jsonl``, written by
    ``naspred make-benchmark``) or NASLib's ``nb201_<dataset>_full_training.pickle``
    (``.pickle``/``.pkl``, NAS-Bench-201's published training runs)."""
    path = Path(path)
    if path.suffix in (".pickle", ".pkl"):
        from naspred.benchmarks.nb201_training import load_nb201_full_training

        return load_nb201_full_training(path)
    if path.suffix == ".jsonl":
        return load_learning_curves(path)
    raise BenchmarkFileError(
        path,
        f"unknown learning-curve file type {path.suffix!r}",
        "a naspred learning-curve file (.jsonl) or NASLib's nb201_<dataset>_full_training.pickle",
    )


def load_tasks(
    names: Sequence[str] | None = None,
    *,
    suite_zero: str | Path | None = None,
    embedded: bool | None = None,
    curves: Sequence[str | Path] = (),
    graf: str | Path | None = None,
    target: str | None = None,
) -> list[Task]:
    """Load tasks from every available source and keep those matching ``names``.

    Args:
        names: task names or shell-style patterns (``"nasbench201/cifar10"``,
            ``"nasbench_graph/*"``); None keeps all.
        suite_zero: directory (or file) of Suite-Zero ``zc_<space>.json`` records;
            defaults to ``$NASPRED_SUITE_ZERO_DIR``. With neither, names and patterns
            also match the Suite-Zero tasks of a fetched copy (``naspred data fetch
            suite-zero``), which does not count as given: with no names, no Suite-Zero
            tasks are loaded and the embedded ones are.
        embedded: include the embedded tasks (:func:`embedded_tasks`). By default
            they are included only when no Suite-Zero directory and no curve file is
            given, so pointing at files studies exactly those.
        curves: learning-curve files (:func:`load_curve_file`), one task each.
        graf: a GRAF release directory (:mod:`naspred.benchmarks.graf`); defaults to
            ``$NASPRED_GRAF_DIR``; without either, a fetched release (``naspred data
            fetch graf``) when ``target`` is given or a name asks for a ``-graf`` task.
            It adds the GRAF tasks (``nasbench201/cifar10-graf``)
            and attaches its hardware and robustness targets to every loaded task of
            their space and dataset (Suite-Zero's, GRAF's, the learning-curve and
            AnalogNAS-Bench CIFAR-10 tasks), joined by arch key. Like a Suite-Zero
            directory, it turns the embedded default off.
        target: rank by this target instead of ``val_accuracy``
            (:meth:`Task.retarget`, e.g. ``"edgegpu_latency"``): the tasks that have it
            are retargeted, those that do not are left out with a warning naming them.
    """
    directory = suite_zero_dir(suite_zero)
    given_graf = graf_release.graf_dir(graf)
    graf_directory = given_graf
    if graf_directory is None and (target is not None or any("-graf" in n for n in names or ())):
        # a fetched release answers --target and GRAF task names, as a fetched Suite-Zero
        # answers task names, but does not count as a given directory
        graf_directory = graf_release.fetched_graf_dir()
    tasks: list[Task] = [load_curve_file(path) for path in curves]
    if directory is not None:
        tasks += load_suite_zero(directory)
    if graf_directory is not None:
        tasks += graf_release.load_graf(graf_directory)
    no_files = directory is None and given_graf is None and not curves
    if embedded or (embedded is None and no_files):
        tasks += embedded_tasks()
    fetched = fetched_suite_zero_dir() if names and directory is None else None
    if fetched is not None:
        log.info("task names also match the fetched Suite-Zero release in %s", fetched)
        tasks += load_suite_zero(fetched)
    if graf_directory is not None:
        tasks = graf_release.attach_targets(tasks, graf_release.load_graf_targets(graf_directory))
    if names:
        kept = []
        for pattern in names:
            matched = [t for t in tasks if fnmatch.fnmatchcase(t.name, pattern)]
            if not matched:
                raise UnknownTaskError(
                    f"no task matches {pattern!r}; available: {', '.join(t.name for t in tasks)}"
                    + (
                        ""
                        if directory or fetched
                        else " (Suite-Zero tasks: `naspred data fetch suite-zero` or "
                        "--suite-zero-dir)"
                    )
                    + ("" if curves else " (learning-curve files: --curves FILE)")
                    + ("" if graf_directory else " (GRAF tasks: --graf-dir)")
                )
            kept += [t for t in matched if t not in kept]
        tasks = kept
    if target is not None:
        tasks = _retarget(tasks, target, graf_directory is not None)
    return tasks


def _retarget(tasks: list[Task], target: str, with_graf: bool) -> list[Task]:
    having = [t for t in tasks if target == TARGET or target in t.targets]
    if not having:
        known = sorted({name for t in tasks for name in t.targets})
        raise UnknownNameError(
            f"no chosen task has the target {target!r}; their targets: {known}"
            + (
                ""
                if with_graf
                else " (hardware and robustness targets: `naspred data fetch graf` or --graf-dir)"
            )
        )
    lacking = [t.name for t in tasks if t not in having]
    if lacking:
        log.warning("tasks without target %r left out: %s", target, ", ".join(lacking))
    return [t.retarget(target) for t in having]


def task_table(tasks: Sequence[Task]) -> pd.DataFrame:
    """One row per task: name, size, proxies (with counts where partial), targets, source."""
    return pd.DataFrame([t.summary() for t in tasks])
