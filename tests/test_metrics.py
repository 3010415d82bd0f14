import math

import numpy as np
import pytest
from scipy import stats

from naspred.metrics import (
    finite_pairs,
    kendall,
    pearson,
    score_predictions,
    spearman,
    spearman_matrix,
    top_k_overlap,
    top_k_precision,
    top_k_recall,
)

# hand-made data with ties in both columns
TRUE = np.array([70.1, 85.3, 85.3, 60.0, 91.2, 77.7, 77.7, 50.5])
PRED = np.array([1.0, 3.5, 2.0, 0.5, 3.5, 2.0, 4.0, 0.1])


def test_correlations_match_scipy_with_ties():
    assert spearman(TRUE, PRED) == pytest.approx(stats.spearmanr(TRUE, PRED).statistic, abs=1e-12)
    assert kendall(TRUE, PRED) == pytest.approx(stats.kendalltau(TRUE, PRED).statistic, abs=1e-12)
    assert pearson(TRUE, PRED) == pytest.approx(stats.pearsonr(TRUE, PRED).statistic, abs=1e-12)


def test_correlations_hand_computed():
    # a monotone but non-linear prediction: rank metrics are exactly 1, Pearson is not
    y = np.array([1.0, 2.0, 3.0, 4.0])
    assert spearman(y, y**3) == pytest.approx(1.0)
    assert kendall(y, y**3) == pytest.approx(1.0)
    assert pearson(y, y**3) < 0.99
    assert spearman(y, -y) == pytest.approx(-1.0)
    # one swapped pair out of 6: tau = (5 - 1) / 6, rho = 1 - 6*2/(4*15)
    assert kendall(y, [1, 2, 4, 3]) == pytest.approx(4 / 6)
    assert spearman(y, [1, 2, 4, 3]) == pytest.approx(0.8)


def test_nonfinite_pairs_are_dropped_and_counted():
    t = np.append(TRUE, [80.0, np.nan, 99.0])
    p = np.append(PRED, [np.nan, 1.0, np.inf])
    kept_t, kept_p, dropped = finite_pairs(t, p)
    assert dropped == 3
    np.testing.assert_array_equal(kept_t, TRUE)
    assert spearman(t, p) == pytest.approx(spearman(TRUE, PRED))
    row = score_predictions(t, p)
    assert row["n"] == 8 and row["n_nonfinite"] == 3
    assert row["kendall"] == pytest.approx(stats.kendalltau(TRUE, PRED).statistic)


def test_undefined_correlations_are_nan():
    assert math.isnan(spearman([1, 2, 3], [5, 5, 5]))  # constant prediction
    assert math.isnan(kendall([1, 2], [1, 2]))  # too few pairs
    assert math.isnan(pearson([np.nan] * 4, [1, 2, 3, 4]))


def test_length_mismatch_raises():
    with pytest.raises(ValueError, match="3 values but y_pred has 2"):
        spearman([1, 2, 3], [1, 2])


def test_top_k_precision_and_recall():
    y = np.arange(10.0)  # true top-20% = {8, 9}
    pred = np.array([0, 1, 2, 3, 4, 5, 6, 7, 9, 8.5])  # picks {8, 9}
    assert top_k_precision(y, pred, 0.2) == 1.0
    pred = np.array([0, 1, 2, 3, 4, 5, 6, 9, 1, 8.5])  # picks {7, 9}
    assert top_k_precision(y, pred, 0.2) == 0.5
    assert top_k_recall(y, pred, 0.2) == 0.5
    # ties at the boundary all count as true top: the true top set is {7, 8, 9}
    y_tied = np.array([0, 1, 2, 3, 4, 5, 6, 8, 8, 9.0])
    precision, recall = top_k_overlap(y_tied, pred, 0.2)
    assert (precision, recall) == (1.0, pytest.approx(2 / 3))
    with pytest.raises(ValueError, match="top fraction"):
        top_k_precision(y, pred, 0.0)


def test_spearman_matrix_uses_pairwise_finite_rows():
    a = np.array([1.0, 2, 3, 4, 5])
    b = np.array([2.0, 1, 4, 3, np.nan])
    rho, used = spearman_matrix({"a": a, "b": b})
    assert used.tolist() == [[5, 4], [4, 4]]
    assert rho[0, 1] == pytest.approx(stats.spearmanr(a[:4], b[:4]).statistic)
    assert rho[0, 0] == pytest.approx(1.0)


# ---- ranking metrics beside the correlations ----------------------------------------------


def test_pairwise_accuracy_counts_pairs_by_hand() -> None:
    import itertools

    from naspred.metrics import pairwise_accuracy

    rng = np.random.default_rng(0)
    for _ in range(100):
        n = int(rng.integers(3, 25))
        t = rng.integers(0, 5, n).astype(float)
        p = rng.integers(0, 4, n).astype(float)  # ties in both
        if np.ptp(t) == 0:
            continue
        right = total = 0.0
        for i, j in itertools.combinations(range(n), 2):
            if t[i] != t[j]:
                total += 1
                agree = np.sign(t[i] - t[j]) * np.sign(p[i] - p[j])
                right += 1.0 if agree > 0 else 0.5 if agree == 0 else 0.0
        assert pairwise_accuracy(t, p) == pytest.approx(right / total, abs=1e-12)
    t = np.arange(10.0)
    assert pairwise_accuracy(t, t) == 1.0
    assert pairwise_accuracy(t, -t) == pytest.approx(0.0, abs=1e-12)
    assert pairwise_accuracy(t, np.zeros(10)) == 0.5


def test_ndcg_grades_the_true_top_k() -> None:
    from naspred.metrics import ndcg_at_k

    t = np.arange(20.0)
    assert ndcg_at_k(t, t, k=5) == pytest.approx(1.0)
    assert ndcg_at_k(t, -t, k=5) == 0.0  # the predicted top 5 hold none of the true top 5
    # the true top 5 predicted as the top 5 but in reverse order: all gain, worse discount
    p = t.copy()
    p[15:] = p[15:][::-1]
    gains = np.array([1, 2, 3, 4, 5]) / np.log2(np.arange(2, 7))
    ideal = np.array([5, 4, 3, 2, 1]) / np.log2(np.arange(2, 7))
    assert ndcg_at_k(t, p, k=5) == pytest.approx(gains.sum() / ideal.sum())


def test_best_arch_rank() -> None:
    from naspred.metrics import best_arch_rank

    t = np.array([1.0, 5.0, 3.0, 2.0])
    assert best_arch_rank(t, t) == 1.0
    assert best_arch_rank(t, -t) == 4.0
    assert best_arch_rank(t, np.array([4.0, 2.0, 3.0, 1.0])) == 3.0
    assert best_arch_rank(t, np.zeros(4)) == 2.5  # a four-way tie: its mean position
    assert best_arch_rank(t, np.array([4.0, 2.0, 3.0, np.nan])) == 3.0  # pairs dropped
