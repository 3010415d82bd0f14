"""What a zero-cost proxy measures: NAS-Bench-Suite-Zero's analyses as one study.

Krishnakumar, White, Zela, Tu, Safari and Hutter, "NAS-Bench-Suite-Zero: Accelerating
Research on Zero Cost Proxies", NeurIPS 2022 Datasets and Benchmarks track, asked of
each proxy which architecture properties it follows (section 4, "biases") and which
proxies carry information about accuracy that the others lack (section 5). Their
notebooks (github.com/automl/NASLib, branch ``zerocost``:
``plotting/BiasExperiments.ipynb`` at commit 8c45f19d and
``plotting/PlotMutualInformation.ipynb`` at commit 7989ad22) were read to follow the
method; the code here is our own. Three analyses, per task:

1. **bias** (:func:`bias_table`): each proxy's Spearman with architecture properties
   -- ``params`` and ``flops`` (the task's stored values, else the space's own
   counter, ``space.complexity``), and, from the space's labelled-DAG view
   (:meth:`naspred.spaces.base.Arch.to_dag`, so any space with one), the number of
   convolutions, pooling ops and skip connections, the cell depth and width
   (:func:`dag_properties`) -- beside the same row for accuracy.
2. **complementary information** (:func:`information_matrix`): the mutual information
   ``I(acc; p_i)`` and ``I(acc; p_i, p_j)`` of accuracy and proxies binned into
   equal-frequency bins, the plug-in estimate from counts (:func:`mutual_information`,
   nats). The notebook's note asks for equal-frequency bins ("a set of bins with equal
   number of ZC proxy values in each bin"; its ``discretize`` in fact cuts equal-width
   bins, ``np.histogram_bin_edges``), and takes ``round(1 + 3.322 ln n)`` bins per
   variable, 22 for the 491 archs of a Suite-Zero NB201 task. For the pair term that
   is a 22^3 = 10,648-cell table over 491 archs: the plug-in estimate of a table that
   sparse is almost all bias (it approaches ``H(acc)`` for any pair). We take
   equal-frequency bins and the most bins per variable whose ``(acc, p_i, p_j)``
   table still holds 5 archs per cell on average (:func:`default_bins`:
   ``floor((n / 5) ** (1/3))``, Cochran's rule of thumb for contingency tables),
   computed once per task from the fewest archs any cell uses, so that every cell
   of a heatmap is binned alike (with the same bins ``I(acc; p_i, p_j) >=
   I(acc; p_i)`` holds by the chain rule, so the diagonal and the pairs compare).
   Each cell also carries the estimate with accuracy shuffled (one seeded
   permutation): the level that no information reaches under that binning.
3. **bias-corrected proxies** (:func:`bias_corrected`): each proxy with the part
   explained by params and FLOPs regressed out -- an ordinary least-squares fit of
   the proxy's ranks on the ranks of params and FLOPs (ranks of the logs are the
   same ranks; ranks rather than logs, because many proxies are negative or span
   orders of magnitude), the residual kept -- and its Spearman with accuracy before
   and after, with the rank partial correlation (residual against accuracy's own
   residual) beside it.

Failures (a proxy's recorded failure, a NaN/inf score, an arch the source stores no
score for) are left out pairwise -- of each correlation or information estimate,
only the archs on which both sides are finite -- and counted in every table; nothing
is imputed.

The study runs on any tasks (:func:`naspred.benchmarks.load_tasks`) and on the output
of ``naspred compare`` (:func:`load_compare_tasks`), so that a user's proxy is
analysed beside the stored baselines.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from naspred.benchmarks.task import TARGET, Task
from naspred.errors import InvalidInputError, NaspredError, UnknownNameError
from naspred.experiments.units import MemorySink, Unit, run_units
from naspred.metrics import spearman
from naspred.reports.analyses import write_analyses
from naspred.reports.compare import LIVE

log = logging.getLogger(__name__)

#: The architecture properties of the bias analysis, in table order.
PROPERTIES = ("params", "flops", "n_conv", "n_pool", "n_skip", "depth", "width")
#: Properties read from the DAG view (the rest come from the space's counter).
DAG_PROPERTIES = ("n_conv", "n_pool", "n_skip", "depth", "width")
#: DAG labels that are no operation: the graph's ends and the DARTS cell plumbing.
STRUCTURAL = frozenset({"input", "output", "sum", "concat", "c_{k-2}", "c_{k-1}"})
#: Labels of the zero op, which cuts a path.
NONE_OPS = frozenset({"none", "zero"})
#: Labels of an identity.
SKIP_OPS = frozenset({"skip_connect", "skip", "identity"})
#: NAS-Bench-Graph's message-passing layers: graph convolutions, counted as convolutions.
GRAPH_CONVS = frozenset({"gat", "gcn", "gin", "cheb", "sage", "arma", "graph"})
#: The bias table's row of accuracy on the archs every analysed proxy scores.
TARGET_SCORED = f"{TARGET} (scored archs)"
#: Archs per cell of the (acc, p_i, p_j) table that :func:`default_bins` keeps on average.
ARCHS_PER_CELL = 5


# ---- architecture properties -------------------------------------------------------


def op_kind(label: str) -> str:
    """What a DAG label is: ``structural``, ``none``, ``skip``, ``pool``, ``conv`` or
    ``other`` (an op of none of these kinds, such as a TransNAS macro block or a
    fully connected layer).

    Args:
        label: a node label of :class:`naspred.spaces.base.LabelledDAG`.
    """
    if label in STRUCTURAL:
        return "structural"
    if label in NONE_OPS:
        return "none"
    if label in SKIP_OPS:
        return "skip"
    if "pool" in label:
        return "pool"
    if "conv" in label or label in GRAPH_CONVS:
        return "conv"
    return "other"


def dag_properties(adjacency: np.ndarray, ops: Sequence[str]) -> dict[str, int]:
    """Op counts, depth and width of one labelled DAG (ops on nodes, node 0 the input,
    the last node the output, topologically ordered).

    ``n_conv``, ``n_pool`` and ``n_skip`` count the ops as labelled, as the
    Suite-Zero bias notebook counts them from the arch key (an op cut off by a
    ``none`` still counts: its parameters do). ``depth`` and ``width`` are read from
    the live part of the graph: the nodes on some input-to-output path through
    non-``none`` nodes. An op's level is the number of ops on the longest live path
    from the input up to and including it (structural nodes such as DARTS's ``sum``
    add none); ``depth`` is the output's level (the most ops on one live
    input-to-output path), ``width`` the most live ops sharing one level. A cell
    whose output no live path reaches has depth and width 0.

    Args:
        adjacency: ``(n, n)`` strictly upper-triangular 0/1 matrix.
        ops: the ``n`` node labels.
    """
    adj = np.asarray(adjacency, dtype=bool)
    n = len(ops)
    kinds = [op_kind(o) for o in ops]
    alive = np.array([k != "none" for k in kinds])
    is_op = np.array([k not in ("structural", "none") for k in kinds])
    forward = np.zeros(n, dtype=bool)
    forward[0] = True
    for j in range(1, n):
        forward[j] = alive[j] and bool(np.any(forward[:j] & adj[:j, j]))
    backward = np.zeros(n, dtype=bool)
    backward[n - 1] = True
    for i in range(n - 2, -1, -1):
        backward[i] = alive[i] and bool(np.any(backward[i + 1 :] & adj[i, i + 1 :]))
    live = forward & backward
    level = np.zeros(n, dtype=np.int64)
    for j in range(1, n):
        if live[j]:
            preds = np.flatnonzero(live[:j] & adj[:j, j])
            level[j] = int(is_op[j]) + (int(level[preds].max()) if preds.size else 0)
    ops_live = live & is_op
    width = int(np.bincount(level[ops_live]).max()) if ops_live.any() else 0
    counts = {kind: sum(k == kind for k in kinds) for kind in ("conv", "pool", "skip")}
    return {
        "n_conv": counts["conv"],
        "n_pool": counts["pool"],
        "n_skip": counts["skip"],
        "depth": int(level[n - 1]) if live[n - 1] else 0,
        "width": width,
    }


def arch_properties(task: Task) -> pd.DataFrame:
    """Every property of :data:`PROPERTIES` for every arch of ``task`` (rows in key order).

    ``params`` and ``flops`` (millions) are the task's stored ``params``/``flops``
    scores where an arch has one (they describe the network the task trained: the
    learning-curve benchmark trains a smaller NB201 network than the benchmark's),
    and elsewhere the space's counter where it has one (NB201, NB101, NB301: it
    reproduces the Suite-Zero records, which store them for 491 NB201 archs); NaN
    where neither has a value; left out of the table (logged) where neither exists.
    The rest come from the DAG view.

    Args:
        task: the task.

    Raises:
        InvalidInputError: the task's space has no arch type or no DAG view.
    """
    from naspred.spaces import get_space, space_names

    if task.space not in space_names():
        raise InvalidInputError(
            f"task {task.name}: naspred has no arch type for space {task.space!r}, so no DAG "
            f"view to read properties from; the analyses run on {', '.join(space_names())}"
        )
    space = get_space(task.space)
    archs = [space.from_key(k) for k in task.keys]
    rows = []
    for arch in archs:
        try:
            dag = arch.to_dag()
        except NotImplementedError:
            raise InvalidInputError(
                f"task {task.name}: space {task.space!r} has no DAG view (Arch.to_dag); "
                "the bias analysis reads op counts, depth and width from it"
            ) from None
        rows.append(dag_properties(dag.adjacency, dag.ops))
    frame = pd.DataFrame(rows, index=list(task.keys), columns=list(DAG_PROPERTIES))
    stored: dict[str, np.ndarray] = {}
    for name in ("params", "flops"):
        if name in task.proxies:
            values = np.asarray(task.proxies[name], dtype=float)
            stored[name] = np.where(task.has_proxy(name) & np.isfinite(values), values, np.nan)
    # the stored value first: it describes the network the task trained (the counter
    # builds the benchmark's network, which for NB101/NB301 takes a build per arch)
    cost = dict(stored)
    lacking = np.flatnonzero(
        ~np.all([np.isfinite(stored[c]) if c in stored else np.zeros(len(task), bool)
                 for c in ("params", "flops")], axis=0)
    )  # fmt: skip
    if lacking.size and hasattr(space, "complexity"):
        try:
            counted = np.array(
                [space.complexity(archs[i], task.dataset) for i in lacking], dtype=float
            )
        except (InvalidInputError, KeyError) as err:
            # a dataset the counter has no network for (AnalogNAS-Bench's)
            log.warning("%s: no params/FLOPs counter (%s)", task.name, err)
        else:
            for j, name in enumerate(("params", "flops")):
                column = cost.get(name, np.full(len(task), np.nan)).copy()
                column[lacking] = np.where(
                    np.isfinite(column[lacking]), column[lacking], counted[:, j]
                )
                cost[name] = column
    for name in ("params", "flops"):
        if name not in cost:
            log.warning("%s: no %s, stored or counted, for space %s", task.name, name, task.space)
    for name in ("flops", "params"):
        if name in cost:
            frame.insert(0, name, cost[name])
    return frame[[p for p in PROPERTIES if p in frame]]


# ---- binning and information -------------------------------------------------------


def equal_frequency_bins(values: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin codes ``0..n_bins-1`` putting the same number of values in each bin (bin
    sizes differ by at most one), ties kept in one bin: the code of a value is
    ``floor((r - 1) * n_bins / n)`` of its mean rank ``r``.

    Args:
        values: finite values, ``(n,)``.
        n_bins: number of bins (at least 1).

    Raises:
        InvalidInputError: a non-finite value or ``n_bins < 1``.
    """
    x = np.asarray(values, dtype=float).ravel()
    if n_bins < 1:
        raise InvalidInputError(f"n_bins must be at least 1, got {n_bins}")
    if not np.all(np.isfinite(x)):
        raise InvalidInputError("equal_frequency_bins: drop the NaN/inf values first")
    if x.size == 0:
        return np.zeros(0, dtype=np.int64)
    ranks = stats.rankdata(x, method="average")
    codes = np.floor((ranks - 1.0) * n_bins / x.size).astype(np.int64)
    return np.minimum(codes, n_bins - 1)


def entropy(codes: np.ndarray) -> float:
    """Plug-in (maximum-likelihood) entropy, in nats, of discrete ``codes``.

    Args:
        codes: integer codes, ``(n,)``.
    """
    _, counts = np.unique(np.asarray(codes), return_counts=True)
    if counts.size == 0:
        return math.nan
    p = counts / counts.sum()
    return float(-np.sum(p * np.log(p)))


def joint_codes(*columns: np.ndarray) -> np.ndarray:
    """One integer code per row for the tuple of integer ``columns``."""
    stacked = np.stack([np.asarray(c, dtype=np.int64) for c in columns], axis=1)
    _, inverse = np.unique(stacked, axis=0, return_inverse=True)
    return inverse.ravel()


def mutual_information(x: np.ndarray, y: np.ndarray) -> float:
    """Plug-in mutual information ``I(X; Y) = H(X) + H(Y) - H(X, Y)`` in nats, from the
    counts of discrete codes (what ``sklearn.metrics.mutual_info_score`` computes).

    Args:
        x: integer codes, ``(n,)``.
        y: integer codes, ``(n,)``.
    """
    x, y = np.asarray(x), np.asarray(y)
    if x.shape != y.shape:
        raise InvalidInputError(f"x has {x.size} codes but y has {y.size}")
    if x.size == 0:
        return math.nan
    # clipped at 0: a sum of logs can come out a rounding error below it
    return max(0.0, entropy(x) + entropy(y) - entropy(joint_codes(x, y)))


def default_bins(n: int) -> int:
    """Bins per variable for ``n`` archs: the most whose ``(acc, p_i, p_j)`` table keeps
    :data:`ARCHS_PER_CELL` archs per cell on average, ``floor((n / 5) ** (1/3))``, and
    at least 2 (see the module docstring for why not the notebook's count).

    Args:
        n: archs the estimates rest on.
    """
    k = int(math.floor((max(n, 0) / ARCHS_PER_CELL) ** (1.0 / 3.0) + 1e-9))
    return max(2, k)


@dataclass
class Information:
    """:func:`information_matrix`'s result: square frames over the proxies."""

    mi: pd.DataFrame  # diagonal I(acc; p_i), off-diagonal I(acc; p_i, p_j), nats
    shuffled: pd.DataFrame  # the same with accuracy permuted
    n: pd.DataFrame  # archs each cell rests on
    bins: int
    h_acc: float  # entropy of the binned accuracy over the archs of the smallest cell


def _usable(task: Task, name: str) -> np.ndarray:
    """Archs with a finite score for ``name``: present, not failed, finite."""
    values = np.asarray(task.proxies[name], dtype=float)
    return task.has_proxy(name) & ~task.failed(name) & np.isfinite(values)


def information_matrix(
    task: Task, proxies: Sequence[str], *, bins: int | None = None, seed: int = 0
) -> Information:
    """``I(acc; p_i)`` and ``I(acc; p_i, p_j)`` for every pair of ``proxies``, each on
    the archs where accuracy and its proxies are finite, every variable cut into
    ``bins`` equal-frequency bins over those archs (:func:`equal_frequency_bins`).

    Args:
        task: the task.
        proxies: the proxies (held by the task).
        bins: bins per variable; None: :func:`default_bins` of the fewest archs any
            cell rests on.
        seed: the permutation of accuracy behind ``shuffled``.
    """
    names = list(proxies)
    acc = np.asarray(task.val_accuracy, dtype=float)
    ok_acc = np.isfinite(acc)
    usable = {p: _usable(task, p) & ok_acc for p in names}
    k = len(names)
    n = np.zeros((k, k), dtype=np.int64)
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            n[i, j] = int((usable[a] & usable[b]).sum())
    filled = n[n > 0]
    n_bins = bins if bins is not None else default_bins(int(filled.min()) if filled.size else 0)
    mi = np.full((k, k), np.nan)
    shuffled = np.full((k, k), np.nan)
    rng = np.random.default_rng(seed)
    h_acc = math.nan
    for i, a in enumerate(names):
        for j in range(i, k):
            b = names[j]
            rows = np.flatnonzero(usable[a] & usable[b])
            if rows.size < 2:
                continue
            y = equal_frequency_bins(acc[rows], n_bins)
            xa = equal_frequency_bins(task.proxies[a][rows], n_bins)
            x = (
                xa
                if i == j
                else joint_codes(xa, equal_frequency_bins(task.proxies[b][rows], n_bins))
            )
            mi[i, j] = mi[j, i] = mutual_information(y, x)
            shuffled[i, j] = shuffled[j, i] = mutual_information(rng.permutation(y), x)
            if rows.size == filled.min():
                h_acc = entropy(y)

    def frame(values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(values, index=names, columns=names)

    return Information(frame(mi), frame(shuffled), frame(n), n_bins, h_acc)


def bin_sensitivity(
    task: Task, proxies: Sequence[str], bins: int, *, seed: int = 0
) -> pd.DataFrame:
    """Whether the information analysis's answer holds at other bin counts: the most
    informative proxy and pair at ``bins - 1``, ``bins``, ``bins + 1`` and ``2 * bins``
    bins per variable (at least 2), beside the shuffled-accuracy floor of each, which
    grows with the bins as the pair table thins out.

    Args:
        task: the task.
        proxies: the proxies (held by the task).
        bins: the bin count the study used.
        seed: the permutation of the shuffled reference.

    Returns:
        One row per bin count: ``bins``, ``best_single`` and its ``mi_single``,
        ``best_pair`` (``a + b``), its ``mi_pair`` and ``shuffled_pair``, and the
        largest shuffled value over all pairs (``max_shuffled_pair``).
    """
    rows = []
    for k in sorted({max(2, bins - 1), bins, bins + 1, 2 * bins}):
        info = information_matrix(task, proxies, bins=k, seed=seed)
        mi = info.mi.to_numpy()
        names = list(info.mi.index)
        diag = np.diag(mi)
        row: dict[str, object] = {"bins": k}
        if np.isfinite(diag).any():
            i = int(np.nanargmax(diag))
            row |= {"best_single": names[i], "mi_single": float(diag[i])}
        off = np.where(np.triu(np.ones_like(mi, dtype=bool), 1), mi, np.nan)
        if np.isfinite(off).any():
            i, j = np.unravel_index(int(np.nanargmax(off)), off.shape)
            shuffled = info.shuffled.to_numpy()
            row |= {
                "best_pair": f"{names[i]} + {names[j]}",
                "mi_pair": float(off[i, j]),
                "shuffled_pair": float(shuffled[i, j]),
                "max_shuffled_pair": float(np.nanmax(np.where(np.isfinite(off), shuffled, np.nan))),
            }
        rows.append(row)
    return pd.DataFrame(rows)


# ---- bias and bias correction ------------------------------------------------------


def _counts(task: Task, name: str, rows: np.ndarray) -> dict[str, int]:
    """Archs left out for ``name`` among ``rows``: failed, NaN/inf, no stored score."""
    present = task.has_proxy(name)[rows]
    failed = task.failed(name)[rows] & present
    finite = np.isfinite(np.asarray(task.proxies[name], dtype=float)[rows])
    return {
        "n_failed": int(failed.sum()),
        "n_nonfinite": int((present & ~failed & ~finite).sum()),
        "n_missing": int((~present).sum()),
    }


def bias_table(task: Task, properties: pd.DataFrame, proxies: Sequence[str]) -> pd.DataFrame:
    """Spearman of accuracy (first row) and of each proxy with every property, each on
    the archs where both are finite.

    Args:
        task: the task.
        properties: :func:`arch_properties` of the task.
        proxies: the proxies (held by the task).

    Returns:
        One row per variable (``val_accuracy``; :data:`TARGET_SCORED`, accuracy on the
        archs where every proxy has a finite score, when those are under 95% of the
        archs with an accuracy; then
        ``proxies``): a column per
        property, ``n`` (archs with a finite value of the row's variable and of every
        property), and the left-out counts ``n_failed``, ``n_nonfinite``,
        ``n_missing``.
    """
    everything = np.arange(len(task))
    props = properties.to_numpy(dtype=float)
    props_ok = np.all(np.isfinite(props), axis=1)
    acc = np.asarray(task.val_accuracy, dtype=float)
    # accuracy on the archs every proxy scores too: the like-for-like row where the
    # proxies cover fewer archs than the task (Suite-Zero's 491 of 15,625)
    scored = np.all([_usable(task, p) for p in proxies], axis=0) if proxies else props_ok
    variables = [TARGET]
    # (not for a few failures: 9,444 of 9,445 archs tell nothing new)
    if 0 < int((scored & props_ok).sum()) < 0.95 * int((np.isfinite(acc) & props_ok).sum()):
        variables.append(TARGET_SCORED)
    rows = []
    for name in [*variables, *proxies]:
        if name == TARGET:
            values = acc
        elif name == TARGET_SCORED:
            values = np.where(scored, acc, np.nan)
        else:
            values = np.where(_usable(task, name), task.proxies[name], np.nan)
        row: dict[str, object] = {"variable": name}
        for col in properties.columns:
            row[col] = spearman(values, properties[col].to_numpy(dtype=float))
        row["n"] = int((np.isfinite(values) & props_ok).sum())
        if name in (TARGET, TARGET_SCORED):
            row |= {"n_failed": 0, "n_nonfinite": int((~np.isfinite(acc)).sum()), "n_missing": 0}
        else:
            row |= _counts(task, name, everything)
        rows.append(row)
    return pd.DataFrame(rows).set_index("variable")


def _rank_residual(y: np.ndarray, covariates: np.ndarray) -> tuple[np.ndarray, float]:
    """Residual of ``rank(y)`` after an OLS fit on an intercept and the covariates'
    ranks, and the fit's R^2."""
    r = stats.rankdata(y)
    design = np.column_stack([np.ones(len(r)), *(stats.rankdata(c) for c in covariates.T)])
    coef, *_ = np.linalg.lstsq(design, r, rcond=None)
    resid = r - design @ coef
    total = float(np.sum((r - r.mean()) ** 2))
    r2 = 1.0 - float(np.sum(resid**2)) / total if total > 0 else math.nan
    return resid, r2


def bias_corrected(task: Task, properties: pd.DataFrame, proxies: Sequence[str]) -> pd.DataFrame:
    """Each proxy with the part its ranks share with params and FLOPs regressed out
    (module docstring, item 3), on the archs where accuracy, the proxy, params and
    FLOPs are finite.

    Args:
        task: the task.
        properties: :func:`arch_properties` of the task (``params`` and ``flops`` used).
        proxies: the proxies (held by the task).

    Returns:
        One row per proxy: ``n``, the left-out counts, ``r2_size`` (the share of the
        proxy's rank variance that params and FLOPs explain), ``spearman_before`` and
        ``spearman_after`` (with accuracy), ``partial`` (the corrected proxy against
        accuracy corrected alike), and the Spearman with params and FLOPs before and
        after. A proxy that params and FLOPs explain whole (``params`` itself) has no
        ``after`` values (NaN).

    Raises:
        InvalidInputError: the task has no params or FLOPs for its archs.
    """
    missing = [c for c in ("params", "flops") if c not in properties]
    if missing:
        raise InvalidInputError(
            f"task {task.name}: no {' or '.join(missing)} for its archs (no counter for space "
            f"{task.space!r} and no stored scores), so nothing to regress out"
        )
    size = properties[["params", "flops"]].to_numpy(dtype=float)
    acc = np.asarray(task.val_accuracy, dtype=float)
    base = np.isfinite(acc) & np.all(np.isfinite(size), axis=1)
    acc_resid_cache: dict[bytes, np.ndarray] = {}
    rows = []
    for name in proxies:
        use = base & _usable(task, name)
        idx = np.flatnonzero(use)
        row: dict[str, object] = {
            "proxy": name,
            "n": int(idx.size),
            **_counts(task, name, np.arange(len(task))),
        }
        values = np.asarray(task.proxies[name], dtype=float)[idx]
        cov, truth = size[idx], acc[idx]
        row["spearman_before"] = spearman(truth, values)
        row["spearman_params_before"] = spearman(cov[:, 0], values)
        row["spearman_flops_before"] = spearman(cov[:, 1], values)
        after = partial = sp_params = sp_flops = r2 = math.nan
        if idx.size >= 4:
            resid, r2 = _rank_residual(values, cov)
            key = idx.tobytes()
            if key not in acc_resid_cache:
                acc_resid_cache[key] = _rank_residual(truth, cov)[0]
            if not (np.isfinite(r2) and r2 > 1.0 - 1e-9):  # wholly explained: nothing left
                after = spearman(truth, resid)
                partial = spearman(acc_resid_cache[key], resid)
                sp_params = spearman(cov[:, 0], resid)
                sp_flops = spearman(cov[:, 1], resid)
        row |= {
            "r2_size": r2,
            "spearman_after": after,
            "partial": partial,
            "spearman_params_after": sp_params,
            "spearman_flops_after": sp_flops,
        }
        rows.append(row)
    columns = [
        "proxy", "n", "n_failed", "n_nonfinite", "n_missing", "r2_size", "spearman_before",
        "spearman_after", "partial", "spearman_params_before", "spearman_params_after",
        "spearman_flops_before", "spearman_flops_after",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


# ---- compare outputs ---------------------------------------------------------------


def _split_name(name: str) -> tuple[str, str, str, str]:
    """``space, dataset, variant, main_target`` of a task name as tables print it."""
    from naspred.data.images import DATASETS

    rest, _, target = name.partition("@")
    space, sep, tail = rest.partition("/")
    if not sep or not tail:
        raise InvalidInputError(f"task name {name!r} is not space/dataset")
    pieces = tail.split("-")
    for cut in range(len(pieces), 0, -1):
        if "-".join(pieces[:cut]) in DATASETS:
            break
    else:
        cut = 1  # a dataset naspred has no images for (TransNAS tasks): no '-' in it
    return space, "-".join(pieces[:cut]), "-".join(pieces[cut:]), target


def load_compare_tasks(path: str | Path) -> list[Task]:
    """The tasks of a ``naspred compare`` output: one per task of its ``scores.csv``,
    with every proxy it compared (the new one, the stored baselines, the live ones)
    on the archs it drew.

    A score the new proxy (the first proxy column) or a live baseline (``<name>
    (live)``) failed on (``failures.csv``) is a recorded failure of that proxy; any
    other NaN is a NaN score (``scores.csv`` holds a stored baseline's failures as NaN).

    Args:
        path: the compare output directory, or a file in it (its
            ``scores.journal.jsonl`` or ``scores.csv``).

    Raises:
        InvalidInputError: no ``scores.csv`` there.
    """
    where = Path(path)
    if not where.exists():
        raise InvalidInputError(
            f"{where}: no such directory; give the output directory of `naspred compare`"
        )
    directory = where if where.is_dir() else where.parent
    scores_file = directory / "scores.csv"
    if not scores_file.is_file():
        raise InvalidInputError(
            f"{directory}: no scores.csv; give the output directory of `naspred compare` "
            "(or its scores.journal.jsonl)"
        )
    scores = pd.read_csv(scores_file)
    needed = {"task", "arch", TARGET}
    if not needed <= set(scores.columns):
        raise InvalidInputError(
            f"{scores_file}: expected columns {sorted(needed)} then one per proxy, "
            f"found {list(scores.columns)}; is it the scores.csv of `naspred compare`?"
        )
    failures = directory / "failures.csv"
    failed = pd.read_csv(failures) if failures.is_file() else pd.DataFrame()
    new = str(scores.columns[3]) if len(scores.columns) > 3 else ""  # compare's order
    tasks = []
    for name, part in scores.groupby("task", sort=False):
        space, dataset, variant, target = _split_name(str(name))
        keys = tuple(str(k) for k in part["arch"])
        proxies = {c: part[c].to_numpy(dtype=float) for c in part.columns if c not in needed}
        marks: dict[str, np.ndarray] = {}
        if not failed.empty:
            for proxy, group in failed[failed["arch"].astype(str).isin(keys)].groupby("proxy"):
                # compare names its failures by proxy: the new one's column is its name,
                # a live baseline's carries the suffix
                label = proxy if proxy == new else f"{proxy}{LIVE}"
                if label in proxies:
                    marks[label] = np.isin(keys, group["arch"].astype(str).to_numpy())
        tasks.append(
            Task(
                space=space,
                dataset=dataset,
                keys=keys,
                val_accuracy=part[TARGET].to_numpy(dtype=float),
                proxies=proxies,
                proxy_failed=marks,
                source=str(scores_file),
                variant=variant,
                main_target=target,
            )
        )
    return tasks


# ---- the study ---------------------------------------------------------------------


@dataclass
class AnalysesStudy:
    """Results of :func:`run_analyses`, and the files it wrote; every frame is keyed
    by task name."""

    properties: dict[str, pd.DataFrame]
    bias: dict[str, pd.DataFrame]
    information: dict[str, Information]
    corrected: dict[str, pd.DataFrame]
    sensitivity: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)


def chosen_proxies(tasks: Sequence[Task], proxies: Sequence[str] | None) -> dict[str, list[str]]:
    """Per task, the proxies to analyse: ``proxies`` where given (each must be held by
    some task), else all the task holds.

    Raises:
        UnknownNameError: a proxy no task holds (the message lists those they hold).
    """
    held = sorted({p for t in tasks for p in t.proxies})
    if proxies:
        unknown = [p for p in proxies if p not in held]
        if unknown:
            raise UnknownNameError(
                f"no chosen task holds proxy {unknown[0]!r}; they hold {', '.join(held) or 'none'}"
            )
    return {t.name: [p for p in (proxies or sorted(t.proxies)) if p in t.proxies] for t in tasks}


def _analyse_task(task: Task, proxies: list[str], bins: int | None, seed: int) -> dict[str, object]:
    """One unit: the three analyses of one task."""
    props = arch_properties(task)
    info = information_matrix(task, proxies, bins=bins, seed=seed)
    return {
        "properties": props,
        "bias": bias_table(task, props, proxies),
        "information": info,
        "sensitivity": bin_sensitivity(task, proxies, info.bins, seed=seed),
        "corrected": bias_corrected(task, props, proxies)
        if {"params", "flops"} <= set(props.columns)
        else None,
    }


def run_analyses(
    tasks: Sequence[Task],
    out_dir: str | Path,
    *,
    proxies: Sequence[str] | None = None,
    bins: int | None = None,
    seed: int = 0,
    title: str = "What the proxies measure",
    progress: bool = True,
) -> AnalysesStudy:
    """Run the three analyses on every task and write the tables and figures of
    :mod:`naspred.reports.analyses` to ``out_dir`` (replaced whole).

    Args:
        tasks: the tasks.
        out_dir: the output directory.
        proxies: the proxies to analyse (default: every proxy each task holds).
        bins: bins per variable of the information analysis (default: per task,
            :func:`default_bins`).
        seed: the permutation of the shuffled-accuracy reference.
        title: the markdown's heading.
        progress: show progress bars.

    Raises:
        InvalidInputError: no tasks, or a task without a proxy to analyse.
        UnknownNameError: a proxy no task holds.
    """
    if not tasks:
        raise InvalidInputError("no tasks to analyse; see `naspred tasks` for what is available")
    if bins is not None and bins < 2:
        raise InvalidInputError(f"bins must be at least 2, got {bins}")
    chosen = chosen_proxies(tasks, proxies)
    empty = [t.name for t in tasks if not chosen[t.name]]
    if empty:
        raise InvalidInputError(
            f"task {empty[0]} holds none of the proxies to analyse; choose others with -p "
            "or leave that task out"
        )
    sink = MemorySink()
    units = [
        Unit(f"analyses|{t.name}", _analyse_task, (t, chosen[t.name], bins, seed)) for t in tasks
    ]
    run = run_units(units, sink, progress=progress, desc="analyses")
    if run.failed:
        raise NaspredError(f"analyses: {run.failures[0]}")
    rows = {t.name: sink.rows[u.key] for t, u in zip(tasks, units, strict=True)}
    study = AnalysesStudy(
        properties={n: r["properties"] for n, r in rows.items()},
        bias={n: r["bias"] for n, r in rows.items()},
        information={n: r["information"] for n, r in rows.items()},
        corrected={n: r["corrected"] for n, r in rows.items() if r["corrected"] is not None},
        sensitivity={n: r["sensitivity"] for n, r in rows.items()},
    )
    study.files += write_analyses(study, tasks, out_dir, title=title)
    log.info("analyses: wrote %d files to %s", len(study.files), out_dir)
    return study
