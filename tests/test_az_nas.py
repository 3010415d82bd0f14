"""AZ-NAS (``azn_expr``, ``azn_prog``, ``azn_train``, ``az_nas``): each component
against a direct computation, the aggregation against scipy by hand, dead cells."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import rankdata

from naspred.proxies import score_archs
from naspred.proxies.az_nas import log_rank_sum, pair_trainability, spectral_entropy
from naspred.spaces.nasbench201 import NasBench201Arch, NasBench201Space

torch.set_num_threads(1)

KEYS = ("(3, 3, 4, 0, 1, 4)", "(2, 2, 2, 2, 2, 2)", "(3, 1, 4, 1, 1, 3)")
DEAD = "(1, 1, 1, 1, 1, 1)"


def _score(keys, names):
    archs = [NasBench201Arch.from_key(k) for k in keys]
    scores, _ = score_archs(NasBench201Space(C=8, N=1), archs, names, "cifar10", None)
    return scores


def test_spectral_entropy_equals_numpy() -> None:
    feature = torch.randn(4, 6, 5, 5, generator=torch.Generator().manual_seed(0))
    f = feature.permute(0, 2, 3, 1).reshape(-1, 6).double().numpy()
    s = np.linalg.eigvalsh(np.cov(f, rowvar=False, bias=True))
    p = s / s.sum()
    assert spectral_entropy(feature) == pytest.approx(float(-(p * np.log(p + 1e-8)).sum()), 1e-4)
    # six equal, independent channels approach the maximum log 6
    wide = torch.randn(64, 6, 16, 16, generator=torch.Generator().manual_seed(1))
    assert spectral_entropy(wide) == pytest.approx(np.log(6), abs=0.01)


def test_pair_trainability_is_zero_at_unit_scaling_and_unshuffles() -> None:
    gen = torch.Generator().manual_seed(0)
    g = (torch.bernoulli(torch.full((64, 4, 8, 8), 0.5), generator=gen) - 0.5) * 2
    # g_in = g_out: g^T g / n is about the identity, sigma about 1, score about 0
    assert pair_trainability(g, g) == pytest.approx(0.0, abs=0.1)
    assert pair_trainability(3 * g, g) == pytest.approx(-3 - 1 / 3 + 2, abs=0.3)
    # a halved resolution: the input gradient is pixel-unshuffled to 4x the channels;
    # four stacked copies of g give g_in^T g / n of about four stacked identities,
    # whose largest singular value is 2: -2 - 1/2 + 2
    g_in = torch.nn.functional.pixel_shuffle(torch.cat([g] * 4, dim=1), 2)
    assert pair_trainability(g_in, g) == pytest.approx(-0.5, abs=0.15)


def test_components_are_deterministic_and_az_nas_is_the_log_rank_sum() -> None:
    first = _score(KEYS, ["az_nas"])
    again = _score(KEYS, ["az_nas"])
    for name in ("azn_expr", "azn_prog", "azn_train", "flops", "az_nas"):
        np.testing.assert_array_equal(first[name], again[name])
    by_hand = sum(
        np.log(rankdata(first[n]) / 3) for n in ("azn_expr", "azn_prog", "azn_train", "flops")
    )
    np.testing.assert_allclose(first["az_nas"], by_hand)


def test_a_dead_cell_fails_its_entropies_and_ranks_last() -> None:
    scores = _score((DEAD, *KEYS), ["az_nas"])
    assert np.isnan(scores["azn_expr"][0]) and np.isnan(scores["azn_prog"][0])
    assert np.isfinite(scores["azn_expr"][1:]).all()
    assert scores["az_nas"][0] == scores["az_nas"].min()


def test_failed_components_rank_below_every_finite_value() -> None:
    got = log_rank_sum(
        {
            "azn_expr": np.array([np.nan, 1.0, 2.0]),
            "azn_prog": np.array([0.0, 1.0, 2.0]),
            "azn_train": np.array([0.0, 1.0, 2.0]),
            "flops": np.array([5.0, 5.0, 6.0]),
        }
    )
    expected = np.log([1 / 3, 2 / 3, 1.0]) * 3 + np.log([1.5 / 3, 1.5 / 3, 1.0])
    np.testing.assert_allclose(got, expected)


def test_the_three_components_share_one_computation(monkeypatch: pytest.MonkeyPatch) -> None:
    from naspred.proxies import az_nas

    calls = []
    real = az_nas._components
    monkeypatch.setattr(az_nas, "_components", lambda ctx: calls.append(1) or real(ctx))
    _score(KEYS[:2], ["azn_expr", "azn_prog", "azn_train"])
    assert len(calls) == 2  # once per arch, not once per component
