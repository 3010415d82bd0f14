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

Presets name the protocol, failure rule and test-set rule of a published table (or
figure), each checked here against that publication's code:

* ``suite-zero``: NAS-Bench-Suite-Zero's figures and notebooks (Krishnakumar et al.,
  NeurIPS 2022 D&B): all cells, ``val_accuracy``, failures (``-1e8``) ranked last.
* ``graf``: GRAF's tables (Kadlecová et al., ICML 2024): valid cells,
  ``val_accuracy``, failures left out.
* ``zero-cost-nas``: the zero-cost proxies paper's NB201 Spearman table (Abdelfattah
  et al., ICLR 2021): all cells, ``test_accuracy``, failures left out. The shared
  Suite-Zero and GRAF records hold no test accuracy, so on them it refuses.
* ``naslib-predictors``: NASLib's predictor evaluation (White et al., NeurIPS 2021):
  all cells, ``val_accuracy``, 200 test archs per trial, nested training sets of
  5..1000 archs from the rest, 100 seeds. A ``naspred predictors`` preset.

A preset belongs to one study (:attr:`Preset.study`); a command refuses another
study's preset (:func:`check_study`).
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
        study: the command it is a protocol of: ``correlations`` or ``predictors``.
        test_size: archs held out per seed (a predictor study's test set); None:
            every arch of the cells counts (a correlation study).
        train_sizes: a predictor study's training-set sizes (nested, from the archs
            outside the test set); empty for a correlation study.
        seeds: a predictor study's seeds (one test set and training pool each).
        needs: what a source must hold for the preset to run, said when it does not.
        sources: how the protocol was read from the publication's code (files, lines).
    """

    name: str
    cells: str
    target: str
    failed_as_worst: bool
    reproduces: str
    study: str = "correlations"
    test_size: int | None = None
    train_sizes: tuple[int, ...] = ()
    seeds: tuple[int, ...] = ()
    needs: str = ""
    sources: str = ""


#: NASLib's NB201 training-set sizes: 11 log-spaced sizes from 5.1 to 1000, truncated
#: (NASLib ``predictors`` branch, naslib/benchmarks/create_configs.py lines 62-74).
NASLIB_TRAIN_SIZES = (5, 8, 14, 24, 42, 71, 121, 205, 347, 589, 1000)

_ZERO_COST_NAS_DOC = """``zero-cost-nas``: Abdelfattah et al., "Zero-Cost Proxies for Lightweight
NAS", ICLR 2021, the NB201 table of Spearman's rho per proxy on CIFAR-10, CIFAR-100 and
ImageNet16-120. Read from github.com/SamsungLabs/zero-cost-nas (commit a43bfbc):

* cells: all 15,625. ``nasbench2_pred.py`` lines 72-84 score every arch of the API,
  and ``notebooks/nasbench201_correlations.ipynb`` (cell 2) reads 15,625 runs per
  dataset.
* target: NB201's *test* accuracy after 200 epochs, the mean over its seeds:
  ``nasbench2_pred.py`` line 103 asks ``get_more_info(i, 'cifar10-valid' for
  CIFAR-10, hp='200', is_random=False)`` and stores ``test-accuracy`` (line 107);
  the notebook correlates ``r['testacc']``, not ``valacc`` (the paper's abstract
  speaks of "final validation accuracy"; its code uses the test split).
* failures: left out. The notebook takes ``stats.spearmanr(acc, v,
  nan_policy='omit')``; its own runner writes no failure marker.
* test set: every cell; no sampling.
* reported: ``abs()`` of Spearman's rho, rounded to 3 digits (notebook cell 2). naspred
  reports the signed rho; for the six proxies of the table it is positive in the
  Suite-Zero records, so the two agree.
* scoring (not part of the preset; ``naspred proxies`` sets it): one random minibatch
  of 64 training images (``--batch_size 64``, ``--dataload random``,
  ``--dataload_info 1``), seed 42, PyTorch's default init (``nasbench2_pred.py``
  lines 34-42).
"""

_ZERO_COST_NAS = Preset(
    "zero-cost-nas",
    "all",
    "test_accuracy",
    False,
    "the NB201 Spearman table of Abdelfattah et al. (ICLR 2021), as their notebook prints it: "
    "synflow 0.737 / 0.763 / 0.751 on CIFAR-10 / CIFAR-100 / ImageNet16-120, jacob_cov "
    "0.731 / 0.704 / 0.701, over all 15,625 cells against NB201's test accuracy: "
    "`naspred correlations --preset zero-cost-nas --suite-zero-dir DIR`, DIR's records "
    "holding `test_accuracy`",
    sources=_ZERO_COST_NAS_DOC,
    needs="records with NB201's test accuracy (a `test_accuracy` field in Suite-Zero-layout "
    "records, e.g. from NATS-Bench's `test-accuracy`; naspred.benchmarks.load_nats_bench "
    "gives it); the shared Suite-Zero and GRAF records hold val_accuracy only",
)
_NASLIB_PREDICTORS_DOC = """``naslib-predictors``: White et al., "How Powerful are Performance
Predictors in Neural Architecture Search?", NeurIPS 2021, run with NASLib
(github.com/automl/NASLib, branch ``predictors``, the paper's code; paths below are
of that branch):

* cells: all 15,625, uniformly. ``naslib/search_spaces/nasbench201/graph.py``
  ``sample_random_architecture`` draws 6 op indices with ``np.random.randint(5)``;
  ``get_hash`` is the op tuple, so duplicates are redrawn (sampling without
  replacement, isomorphic cells counted apart).
* target: final validation accuracy. ``naslib/defaults/predictor_evaluator.py`` line
  46 sets ``Metric.VAL_ACCURACY``; ``graph.py`` ``query`` maps it to the last epoch of
  ``eval_acc1es`` on ``cifar10-valid`` for CIFAR-10 -- what Suite-Zero's
  ``val_accuracy`` holds.
* test set: 200 archs per trial (``naslib/benchmarks/predictors/run_nb201.sh`` line
  36), drawn first (``predictor_evaluator.py`` lines 315-320); the training set is
  drawn after it, excluding its archs (the shared ``arch_hash_map``, lines 328-331),
  and the sizes are nested prefixes of it (line 358): naspred's
  :func:`naspred.experiments.predictors.split` does the same.
* training sizes: :data:`NASLIB_TRAIN_SIZES` (``create_configs.py`` lines 62-74).
* trials: 100 seeds per run script (``run_nb201.sh`` line 33), seed i for trial i
  (``create_configs.py`` line 101).
* metric: Kendall tau (the paper's headline), with Spearman, Pearson (absolute),
  MAE, RMSE and precision@10/20 (``predictor_evaluator.py`` lines 379-406).
* failures: no ground-truth failures on NB201. A trial whose predictions hold NaN
  gets NaN for every metric (the ``try``/``except`` of ``compare``); naspred instead
  scores the finite pairs. The failure flag is therefore unused here.
* not expressed: NASLib's 3-fold cross-validated hyper-parameter search of up to 900
  s for predictors built with ``hpo_wrapper=True`` (``create_configs.py`` line 113,
  ``predictor_evaluator.py`` lines 265-273); naspred fits each predictor with its
  default hyper-parameters, so those predictors can differ.
"""

_NASLIB_PREDICTORS = Preset(
    "naslib-predictors",
    "all",
    TARGET,
    False,
    "NASLib's predictor evaluation of White et al. (NeurIPS 2021): Kendall tau on 200 "
    "uniformly drawn NB201 test archs against training-set size (the paper reports it in "
    "plots; no value of theirs is checked here): `naspred predictors --preset naslib-predictors "
    "--suite-zero-dir DIR -t nasbench201/cifar10 -p xgb`",
    study="predictors",
    test_size=200,
    train_sizes=NASLIB_TRAIN_SIZES,
    seeds=tuple(range(100)),
    sources=_NASLIB_PREDICTORS_DOC,
)
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
        _ZERO_COST_NAS,
        _NASLIB_PREDICTORS,
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


def check_study(preset: Preset, study: str) -> None:
    """Refuse ``preset`` on a command of another study.

    Raises:
        InvalidInputError: ``preset`` is a protocol of another command than ``study``.
    """
    if preset.study != study:
        others = ", ".join(p.name for p in PRESETS.values() if p.study == study)
        raise InvalidInputError(
            f"--preset {preset.name} is a protocol of `naspred {preset.study}`, not of "
            f"`naspred {study}` (its presets: {others or 'none'})"
        )


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
