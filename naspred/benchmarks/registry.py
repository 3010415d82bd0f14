"""Which tasks the installed sources provide, and loading them by name.

Loading reads only what the chosen tasks need. A task is named ``space/dataset``
(a dataset name holds no ``/``), and each source knows which names it may provide
before reading its data: NAS-Bench-Graph's and AnalogNAS-Bench's are fixed by their
packages, and a Suite-Zero file ``zc_<space>.json`` holds that space's tasks. So
``load_tasks(["nasbench201/*"], suite_zero=DIR)`` parses ``DIR/zc_nasbench201.json``
and neither the other ``zc_*.json`` files nor the graph benchmark. A pattern without
``/`` may match any space and reads every source. A ``zc_<space>.json`` file that
holds another space's tasks is an error (it would be skipped for them); a file whose
name is not a known space (``zc_mine.json``) is read for every pattern.

``naspred tasks`` lists tasks with :func:`describe_tasks`: the packages' tasks from
their record counts, without enumerating their archs or building their networks.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from naspred.benchmarks import analog_nasbench, nasbench_graph
from naspred.benchmarks import graf as graf_release
from naspred.benchmarks.learning_curves import embedded_learning_curves, load_learning_curves
from naspred.benchmarks.protocols import CELLS, restrict_cells
from naspred.benchmarks.suite_zero import (
    fetched_suite_zero_dir,
    load_suite_zero,
    suite_zero_dir,
    suite_zero_files,
)
from naspred.benchmarks.task import TARGET, Task
from naspred.errors import BenchmarkFileError, InvalidInputError, UnknownNameError, UnknownTaskError

log = logging.getLogger(__name__)

ANALOG_TASK = f"{analog_nasbench.SPACE}/{analog_nasbench.DATASET}"


def _wanted(name: str, patterns: Sequence[str] | None) -> bool:
    """Whether task ``name`` matches one of ``patterns`` (None: every task)."""
    return patterns is None or any(fnmatch.fnmatchcase(name, p) for p in patterns)


def _space_wanted(space: str, patterns: Sequence[str] | None) -> bool:
    """Whether a task ``space/<dataset>`` may match one of ``patterns``: the part of a
    pattern before its first ``/`` must match the space, as the one ``/`` of a task
    name must meet that one (a pattern without ``/`` may match anything)."""
    if patterns is None:
        return True
    for pattern in patterns:
        head, sep, _ = pattern.partition("/")
        if not sep or fnmatch.fnmatchcase(space, head):
            return True
    return False


def _graph_datasets(patterns: Sequence[str] | None) -> list[str]:
    space = nasbench_graph.SPACE
    return [d for d in nasbench_graph.DATASETS if _wanted(f"{space}/{d}", patterns)]


def _warn_missing(source: str, what: str, get_it: str) -> None:
    log.warning("%s not installed (%s); %s skipped", source, get_it, what)


def embedded_tasks(names: Sequence[str] | None = None) -> list[Task]:
    """Tasks that install with naspred or its pip dependencies (no download): the
    learning-curve benchmarks shipped in the package, NAS-Bench-Graph, AnalogNAS-Bench.

    Args:
        names: task names or patterns; a package none of them matches is not read
            (None: every task).
    """
    # naspred's own benchmarks are small files: read whole, their names are in them
    tasks: list[Task] = embedded_learning_curves()
    graph = _graph_datasets(names)
    if graph:
        if nasbench_graph.is_available():
            tasks += nasbench_graph.load_nasbench_graph(graph)
        else:
            _warn_missing("NAS-Bench-Graph", "its tasks are", nasbench_graph.GET_IT)
    if _wanted(ANALOG_TASK, names):
        if analog_nasbench.is_available():
            tasks += analog_nasbench.load_analog_nasbench()
        else:
            _warn_missing("AnalogNAS-Bench", "its task is", analog_nasbench.GET_IT)
    return tasks


def _embedded_rows() -> list[dict[str, object]]:
    """:func:`embedded_tasks`' rows of ``naspred tasks``, the packages' from metadata."""
    rows = [t.summary() for t in embedded_learning_curves()]
    if nasbench_graph.is_available():
        rows += nasbench_graph.summarise_nasbench_graph()
    else:
        _warn_missing("NAS-Bench-Graph", "its tasks are", nasbench_graph.GET_IT)
    if analog_nasbench.is_available():
        rows += analog_nasbench.summarise_analog_nasbench()
    else:
        _warn_missing("AnalogNAS-Bench", "its task is", analog_nasbench.GET_IT)
    return rows


def _file_space(path: Path) -> str | None:
    """The space a ``zc_<space>.json`` file is named after, if a known one."""
    from naspred.spaces import space_names

    stem = path.name.removeprefix("zc_").removesuffix(".json")
    return stem if stem in space_names() else None


def suite_zero_tasks(path: str | Path, names: Sequence[str] | None = None) -> list[Task]:
    """Suite-Zero tasks from a ``zc_<space>.json`` file, or from the files of a
    directory that may hold a task matching ``names`` (see the module docstring).

    Args:
        path: a directory of ``zc_<space>.json`` files, or one such file (always read).
        names: task names or patterns (None: every task).
    """
    path = Path(path)
    if not path.is_dir():
        return load_suite_zero(path)
    tasks: list[Task] = []
    for file in suite_zero_files(path):
        space = _file_space(file)
        if space is not None and not _space_wanted(space, names):
            continue
        found = load_suite_zero(file)
        strays = sorted({t.space for t in found} - {space}) if space is not None else []
        if strays:
            raise BenchmarkFileError(
                file,
                f"named after space {space!r} but holds space(s) {', '.join(strays)}",
                f"zc_<space>.json holding only that space's tasks (naspred reads a file "
                f"only for tasks of the space it is named after); move them to "
                f"{', '.join(f'zc_{s}.json' for s in strays)}",
            )
        tasks += found
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
    cells: str = "all",
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
        cells: which archs count (:mod:`naspred.benchmarks.protocols`): ``all``,
            ``unique`` (one per isomorphism class) or ``valid`` (GRAF's cells with no
            unreachable operation, NAS-Bench-201 only); names matched before it, so
            ``nasbench201/cifar10`` with ``valid`` gives ``nasbench201/cifar10-valid``.
    """
    if cells not in CELLS:
        raise InvalidInputError(f"unknown cell protocol {cells!r}; known: {', '.join(CELLS)}")
    directory = suite_zero_dir(suite_zero)
    given_graf = graf_release.graf_dir(graf)
    graf_directory = given_graf
    if graf_directory is None and (target is not None or any("-graf" in n for n in names or ())):
        # a fetched release answers --target and GRAF task names, as a fetched Suite-Zero
        # answers task names, but does not count as a given directory
        graf_directory = graf_release.fetched_graf_dir()
    patterns = list(names) if names else None
    no_files = directory is None and given_graf is None and not curves
    with_embedded = embedded or (embedded is None and no_files)
    tasks: list[Task] = [load_curve_file(path) for path in curves]
    if directory is not None:
        tasks += suite_zero_tasks(directory, patterns)
    graf_tasks = graf_release.load_graf(graf_directory) if graf_directory is not None else []
    tasks += graf_tasks
    if with_embedded:
        tasks += embedded_tasks(patterns)
    fetched = fetched_suite_zero_dir() if patterns is not None and directory is None else None
    if fetched is not None:
        log.info("task names also match the fetched Suite-Zero release in %s", fetched)
        tasks += suite_zero_tasks(fetched, patterns)
    if graf_directory is not None:
        tasks = graf_release.attach_targets(tasks, graf_release.load_graf_targets(graf_directory))
    if patterns is not None:
        kept: list[Task] = []
        for pattern in patterns:
            matched = [t for t in tasks if fnmatch.fnmatchcase(t.name, pattern)]
            if not matched:
                available = _all_names(tasks[: len(curves)], directory or fetched, with_embedded)
                available += [t.name for t in graf_tasks]
                raise UnknownTaskError(
                    f"no task matches {pattern!r}; available: {', '.join(available)}"
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
    if cells != "all":
        tasks = [restrict_cells(t, cells) for t in tasks]
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


def _all_names(curve_tasks: Sequence[Task], directory: Path | None, embedded: bool) -> list[str]:
    """Every task name the sources provide, in source order, to say what there is when
    a pattern matches none; the sources a load skipped are read for it now."""
    names = [t.name for t in curve_tasks]
    if directory is not None:
        names += [t.name for t in suite_zero_tasks(directory)]
    if embedded:
        names += [str(row["task"]) for row in _embedded_rows()]
    return names


def describe_tasks(
    *,
    suite_zero: str | Path | None = None,
    embedded: bool | None = None,
    curves: Sequence[str | Path] = (),
    graf: str | Path | None = None,
) -> pd.DataFrame:
    """What :func:`task_table` gives for ``load_tasks(...)`` with the same sources,
    the rows of the installed packages' tasks made from their metadata (what
    ``naspred tasks`` prints, without building every task).

    Args:
        suite_zero: directory (or file) of Suite-Zero records, as in :func:`load_tasks`.
        embedded: include the embedded tasks, as in :func:`load_tasks`.
        curves: learning-curve files, as in :func:`load_tasks`.
        graf: a GRAF release directory, as in :func:`load_tasks`.
    """
    directory = suite_zero_dir(suite_zero)
    graf_directory = graf_release.graf_dir(graf)
    rows = [load_curve_file(path).summary() for path in curves]
    if directory is not None:
        rows += [t.summary() for t in suite_zero_tasks(directory)]
    if graf_directory is not None:
        rows += [t.summary() for t in graf_release.load_graf(graf_directory)]
    no_files = directory is None and graf_directory is None and not curves
    if embedded or (embedded is None and no_files):
        rows += _embedded_rows()
    return pd.DataFrame(rows)


def task_table(tasks: Sequence[Task]) -> pd.DataFrame:
    """One row per task: name, size, proxies (with counts where partial), targets, source."""
    return pd.DataFrame([t.summary() for t in tasks])


#: The hardware cost and the robustness target :func:`all_tasks` ranks by besides
#: accuracy: HW-NAS-Bench's Edge-GPU latency (Li et al., ICLR 2021) and accuracy under
#: PGD at eps 1/255 (Jung et al., ICLR 2023), both from GRAF's release, as in
#: ``studies/targets.py``.
ALL_TASK_TARGETS: tuple[str, ...] = ("edgegpu_latency", "pgd@Linf_eps-1.0")


def all_tasks(
    *,
    suite_zero: str | Path | None = None,
    graf: str | Path | None = None,
    curves: Sequence[str | Path] = (),
    targets: Sequence[str] = ALL_TASK_TARGETS,
) -> list[Task]:
    """Every task this installation has: the embedded ones (learning-curve benchmarks,
    NAS-Bench-Graph, AnalogNAS-Bench), every Suite-Zero task, GRAF's (its valid cells)
    and the ``curves`` files, ranked by ``val_accuracy``; then each of ``targets`` on
    every whole-benchmark task that carries it (a task without a variant suffix:
    ``nasbench201/cifar10@edgegpu_latency``, not ``nasbench201/cifar10-graf@...``).

    A Suite-Zero directory or GRAF release that is neither given nor in the environment
    is read from the data cache where fetched (``naspred data fetch``); a source that
    is not installed is logged with how to get it and left out. A retargeted task whose
    archs and values repeat an earlier one's is left out (AnalogNAS-Bench's cells are
    NAS-Bench-201's, so its Edge-GPU latencies are the same task).

    Args:
        suite_zero: directory (or file) of Suite-Zero records, as in :func:`load_tasks`.
        graf: a GRAF release directory, as in :func:`load_tasks`.
        curves: learning-curve files, as in :func:`load_tasks`.
        targets: targets to rank by besides ``val_accuracy`` (names in a task's
            ``targets``).

    Returns:
        The tasks, in source order, retargeted ones last.

    Raises:
        UnknownNameError: no whole-benchmark task has one of ``targets`` (one of
            :data:`ALL_TASK_TARGETS` without GRAF's release is logged and left out).
    """
    directory = suite_zero_dir(suite_zero) or fetched_suite_zero_dir()
    graf_directory = graf_release.graf_dir(graf) or graf_release.fetched_graf_dir()
    if directory is None:
        _warn_missing(
            "Suite-Zero", "its tasks are", "`naspred data fetch suite-zero` or --suite-zero-dir"
        )
    if graf_directory is None:
        _warn_missing(
            "GRAF's release", "its tasks and targets are", "`naspred data fetch graf` or --graf-dir"
        )
    tasks = load_tasks(
        None, suite_zero=directory, embedded=True, curves=curves, graf=graf_directory
    )
    seen: list[Task] = []
    for target in targets:
        having = [t for t in tasks if not t.variant and target in t.targets]
        if not having:
            if graf_directory is None and target in ALL_TASK_TARGETS:
                log.warning("target %r is GRAF's, not installed; left out", target)
                continue
            known = sorted({name for t in tasks for name in t.targets})
            raise UnknownNameError(
                f"no whole-benchmark task (a name without a -variant) has the target "
                f"{target!r}; the tasks' targets: {', '.join(known) or 'none'}"
            )
        for task in having:
            moved = task.retarget(target)
            if any(_same_ground_truth(moved, other) for other in seen):
                log.info("%s repeats an earlier task's archs and values; left out", moved.name)
                continue
            seen.append(moved)
    return tasks + seen


def _same_ground_truth(a: Task, b: Task) -> bool:
    """Whether two tasks hold the same archs with the same values, in any order."""
    if a.space != b.space or len(a) != len(b) or set(a.keys) != set(b.keys):
        return False
    position = {key: i for i, key in enumerate(b.keys)}
    aligned = b.val_accuracy[[position[key] for key in a.keys]]
    return bool(np.array_equal(a.val_accuracy, aligned, equal_nan=True))


def require_tasks(tasks: Sequence[Task], patterns: Sequence[str]) -> None:
    """Check that each of ``patterns`` matches a task: a study that names the tasks it
    covers stops at once, in one line, when one's data is missing.

    Args:
        tasks: the loaded tasks (:func:`all_tasks`).
        patterns: task names or shell-style patterns (``"nasbench_graph/*"``).

    Raises:
        UnknownTaskError: a pattern matches no task; the message names it, the sources
            that would give it, and the tasks there are.
    """
    names = [t.name for t in tasks]
    for pattern in patterns:
        if not any(fnmatch.fnmatchcase(name, pattern) for name in names):
            raise UnknownTaskError(
                f"no task matches {pattern!r}: its data is not installed "
                f"({_source_hint(pattern)}); available: {', '.join(names)}"
            )


def _source_hint(pattern: str) -> str:
    """Which source gives tasks like ``pattern``, and how to install it."""
    if pattern.startswith(f"{nasbench_graph.SPACE}/"):
        return f"NAS-Bench-Graph: {nasbench_graph.GET_IT}"
    if pattern == ANALOG_TASK or analog_nasbench.DATASET in pattern:
        return f"AnalogNAS-Bench: {analog_nasbench.GET_IT}"
    if "-graf" in pattern or "@" in pattern:
        return "GRAF's release and its targets: --graf-dir or `naspred data fetch graf`"
    if "-lc" in pattern:
        return "a learning-curve benchmark: --curves FILE or `naspred make-benchmark`"
    return "Suite-Zero: --suite-zero-dir or `naspred data fetch suite-zero`"
