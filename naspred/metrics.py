"""Ranking and regression metrics, used by every study.

All functions take ``(y_true, y_pred)`` and ignore pairs where either value is
NaN or infinite; :func:`finite_pairs` says how many were dropped, and
:func:`score_predictions` reports that count next to the metrics so tables can
show it. Correlations of fewer than 3 finite pairs, or of a constant input, are
NaN (undefined), never a made-up number.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from naspred.errors import InvalidInputError


def finite_pairs(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """The pairs where both values are finite, and how many pairs were dropped."""
    t = np.asarray(y_true, dtype=float).ravel()
    p = np.asarray(y_pred, dtype=float).ravel()
    if t.shape != p.shape:
        raise InvalidInputError(f"y_true has {t.size} values but y_pred has {p.size}")
    keep = np.isfinite(t) & np.isfinite(p)
    return t[keep], p[keep], int(t.size - keep.sum())


def _defined(t: np.ndarray, p: np.ndarray) -> bool:
    return t.size >= 3 and np.ptp(t) > 0 and np.ptp(p) > 0


def pearson(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Pearson's linear correlation coefficient."""
    t, p, _ = finite_pairs(y_true, y_pred)
    if not _defined(t, p):
        return math.nan
    t = t - t.mean()
    p = p - p.mean()
    return float(np.dot(t, p) / math.sqrt(np.dot(t, t) * np.dot(p, p)))


def spearman(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Spearman's rank correlation: Pearson of the ranks, ties given their mean rank."""
    t, p, _ = finite_pairs(y_true, y_pred)
    if not _defined(t, p):
        return math.nan
    return pearson(stats.rankdata(t), stats.rankdata(p))


def kendall(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Kendall's tau-b (tie-corrected), the variant NAS predictor studies report."""
    t, p, _ = finite_pairs(y_true, y_pred)
    if not _defined(t, p):
        return math.nan
    return float(stats.kendalltau(t, p).statistic)


def _top_k(n: int, frac: float) -> int:
    if not 0 < frac <= 1:
        raise InvalidInputError(f"top fraction must be in (0, 1], got {frac}")
    return max(1, math.ceil(frac * n))


def top_k_overlap(y_true: np.ndarray, y_pred: np.ndarray, frac: float) -> tuple[float, float]:
    """Precision and recall of the true top ``frac`` among the predicted top ``frac``.

    The predicted top set is the ``k = ceil(frac * n)`` archs with the highest
    predictions (ties broken by position, deterministically); the true top set is
    every arch whose true value reaches the k-th best, so ties at the boundary all
    count as "top". precision = hits / k; recall = hits / size of the true top set.
    """
    t, p, _ = finite_pairs(y_true, y_pred)
    if t.size == 0:
        return math.nan, math.nan
    k = _top_k(t.size, frac)
    predicted = np.argsort(-p, kind="stable")[:k]
    threshold = np.sort(t)[::-1][k - 1]
    true_top = t >= threshold
    hits = int(true_top[predicted].sum())
    return hits / k, hits / int(true_top.sum())


def top_k_precision(y_true: np.ndarray, y_pred: np.ndarray, frac: float = 0.1) -> float:
    """Fraction of the predicted top ``frac`` that is truly in the top ``frac``."""
    return top_k_overlap(y_true, y_pred, frac)[0]


def top_k_recall(y_true: np.ndarray, y_pred: np.ndarray, frac: float = 0.1) -> float:
    """Fraction of the true top ``frac`` that the predicted top ``frac`` finds."""
    return top_k_overlap(y_true, y_pred, frac)[1]


def pairwise_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of arch pairs with different true values that ``y_pred`` orders the same
    way, a tie in ``y_pred`` counting half: the chance that the predictor picks the
    better of two random archs. Without ties it is ``(1 + tau) / 2``.

    Computed from Kendall's tau-b and the tie counts, in O(n log n).
    """
    t, p, _ = finite_pairs(y_true, y_pred)
    n = t.size
    if n < 2 or np.ptp(t) == 0:
        return math.nan
    pairs = n * (n - 1) / 2

    def tied(*columns: np.ndarray) -> float:
        _, counts = np.unique(np.column_stack(columns), axis=0, return_counts=True)
        return float((counts * (counts - 1) / 2).sum())

    tied_t, tied_p, tied_both = tied(t), tied(p), tied(t, p)
    distinct = pairs - tied_t  # pairs the truth orders
    only_p = tied_p - tied_both  # of those, tied in the prediction
    if np.ptp(p) == 0:
        return 0.5
    tau = float(stats.kendalltau(t, p).statistic)
    c_minus_d = tau * math.sqrt((pairs - tied_t) * (pairs - tied_p))
    concordant = (c_minus_d + distinct - only_p) / 2
    return (concordant + only_p / 2) / distinct


def ndcg_at_k(y_true: np.ndarray, y_pred: np.ndarray, k: int = 10) -> float:
    """Normalised discounted cumulative gain of the top ``k`` archs by ``y_pred``
    (Järvelin & Kekäläinen, TOIS 2002), via :func:`sklearn.metrics.ndcg_score`.

    Gains are graded on the true top ``k`` only: the truly best arch has gain ``k``,
    the second ``k - 1``, ..., the k-th 1, every other arch 0 (ties in the truth share
    the mean of their grades). Raw accuracies as gains would score almost any ranking
    near 1, since accuracies crowd at the top of their range. 1 means the predicted top
    ``k`` is the true top ``k`` in order, 0 that none of them is there; ties in
    ``y_pred`` are averaged over.

    Args:
        y_true: true values (higher = better).
        y_pred: predictions (higher = predicted better).
        k: how many top-ranked archs count.
    """
    from sklearn.metrics import ndcg_score

    t, p, _ = finite_pairs(y_true, y_pred)
    if t.size < 2 or np.ptp(t) == 0:
        return math.nan
    k = min(k, t.size)
    grade = k + 1 - stats.rankdata(-t)  # k for the best, 1 for the k-th, ties averaged
    gain = np.clip(grade, 0, None)
    return float(ndcg_score(gain[None, :], p[None, :], k=k))


def best_arch_rank(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Where the truly best arch lands when ``y_pred`` ranks the archs (1 = first):
    what a search that trusts the predictor and trains its top-r would need r to be.
    Ties in ``y_pred`` give their mean position; if several archs share the best true
    value, the best placed of them counts."""
    t, p, _ = finite_pairs(y_true, y_pred)
    if t.size == 0:
        return math.nan
    position = stats.rankdata(-p)  # 1 = predicted best, ties averaged
    return float(position[t == t.max()].min())


def ranking_metrics(y_true: np.ndarray, y_pred: np.ndarray, k: int = 10) -> dict[str, float]:
    """The ranking metrics beside the correlations: ``pairwise_acc``
    (:func:`pairwise_accuracy`), ``ndcg@<k>`` (:func:`ndcg_at_k`) and ``best_rank``
    (:func:`best_arch_rank`).

    Args:
        y_true: true values.
        y_pred: predictions.
        k: the cut-off of nDCG.
    """
    return {
        "pairwise_acc": pairwise_accuracy(y_true, y_pred),
        f"ndcg@{k}": ndcg_at_k(y_true, y_pred, k),
        "best_rank": best_arch_rank(y_true, y_pred),
    }


def score_predictions(
    y_true: np.ndarray, y_pred: np.ndarray, top_fracs: tuple[float, ...] = (0.01, 0.1)
) -> dict[str, float]:
    """Every ranking metric at once, with ``n`` (finite pairs used) and ``n_nonfinite``."""
    t, p, dropped = finite_pairs(y_true, y_pred)
    row: dict[str, float] = {
        "spearman": spearman(t, p),
        "kendall": kendall(t, p),
        "pearson": pearson(t, p),
    }
    for frac in top_fracs:
        precision, recall = top_k_overlap(t, p, frac)
        label = f"{100 * frac:g}"
        row[f"precision@{label}%"] = precision
        row[f"recall@{label}%"] = recall
    row["n"] = int(t.size)
    row["n_nonfinite"] = dropped
    return row


def spearman_matrix(columns: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise Spearman between named columns on pairwise-finite rows.

    Returns ``(rho, n)``: the correlation matrix and the number of rows used per pair.
    """
    names = list(columns)
    k = len(names)
    rho = np.full((k, k), np.nan)
    used = np.zeros((k, k), dtype=np.int64)
    for i in range(k):
        for j in range(i, k):
            t, p, _ = finite_pairs(columns[names[i]], columns[names[j]])
            used[i, j] = used[j, i] = t.size
            rho[i, j] = rho[j, i] = spearman(t, p)
    return rho, used
