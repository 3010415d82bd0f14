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
