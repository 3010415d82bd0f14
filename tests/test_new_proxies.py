"""ZiCo and MeCo: hand-checkable cases and real NB201 networks."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from naspred.benchmarks.suite_zero import load_suite_zero
from naspred.data.images import BatchProvider
from naspred.proxies import ProxyFailure, get_proxy, score_archs
from naspred.proxies.meco import meco_score, min_eig_correlation
from naspred.proxies.zico import layer_gradients, zico_from_gradients, zico_score
from naspred.spaces.nasbench201 import NasBench201Arch, NasBench201Space

torch.set_num_threads(1)

NEW = ["zico", "meco", "meco_opt"]


@pytest.fixture(scope="module")
def nb201_cifar10(suite_zero_dir: Path):
    path = suite_zero_dir / "zc_nasbench201.json"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return {t.dataset: t for t in load_suite_zero(path)}["cifar10"]


@pytest.fixture(scope="module")
def sample_npz(shared_data: Path) -> Path:
    path = shared_data / "cifar10_sample.npz"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return path


def test_registered_with_papers() -> None:
    for name in NEW:
        proxy = get_proxy(name)
        assert proxy.needs == frozenset({"data"}) and not proxy.population
    assert "ICLR 2023" in get_proxy("zico").paper
    assert "NeurIPS 2023" in get_proxy("meco").paper


# ---- ZiCo by hand ------------------------------------------------------------------


def test_zico_on_a_linear_model_matches_the_formula_by_hand() -> None:
    # one linear layer W (2 classes x 2 inputs), no bias; two mini-batches of one
    # image each. With p = softmax(W x), dL/dW = (p - onehot(y)) x^T.
    net = nn.Sequential(nn.Linear(2, 2, bias=False))
    w = torch.tensor([[0.5, -1.0], [0.25, 2.0]])
    with torch.no_grad():
        net[0].weight.copy_(w)
    x = torch.tensor([[1.0, 2.0], [-1.0, 0.5]])
    y = torch.tensor([0, 1])
    grads = []
    for xi, yi in zip(x.double(), y, strict=True):
        p = torch.softmax(w.double() @ xi, 0)
        grads.append(torch.outer(p - torch.eye(2, dtype=torch.float64)[yi], xi).flatten())
    g = torch.stack(grads)
    (got,) = layer_gradients(net, x, y, splits=2)
    torch.testing.assert_close(got, g, rtol=1e-6, atol=1e-7)
    # two samples: mean|g| = (|a| + |b|) / 2, population std = |a - b| / 2
    a, b = g[0], g[1]
    expected = math.log(float(((a.abs() + b.abs()) / (a - b).abs()).sum()))
    assert zico_score(net, x, y, splits=2) == pytest.approx(expected, rel=1e-6)


def test_zico_skips_constant_gradients_and_sums_log_per_layer() -> None:
    # layer 1: weight 0 never varies (left out); weights 1, 2 give 2/1 and 1/1
    layer1 = torch.tensor([[1.0, 3.0, 0.0], [1.0, 1.0, 2.0]])
    # layer 2: nothing varies -> contributes nothing
    layer2 = torch.tensor([[4.0], [4.0]])
    # layer 3: three samples of one weight: mean |g| = 2; mean g = -2/3, so the
    # population variance is ((2/3)^2 + (8/3)^2 + (10/3)^2) / 3 = 168/27
    layer3 = torch.tensor([[0.0], [2.0], [-4.0]])
    expected = math.log(2.0 + 1.0) + math.log(2.0 / math.sqrt(168.0 / 27.0))
    assert zico_from_gradients([layer1, layer2, layer3]) == pytest.approx(expected)


def test_zico_needs_two_mini_batches() -> None:
    net = nn.Sequential(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="at least 2"):
        layer_gradients(net, torch.zeros(4, 2), torch.zeros(4, dtype=torch.long), splits=1)
    with pytest.raises(ValueError, match="cannot be cut"):
        layer_gradients(net, torch.zeros(1, 2), torch.zeros(1, dtype=torch.long), splits=2)


# ---- MeCo by hand ------------------------------------------------------------------


class _Fixed(nn.Module):
    """Outputs a constructed feature map, whatever the input."""

    def __init__(self, features: torch.Tensor) -> None:
        super().__init__()
        self.features = features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features.expand(x.shape[0], *self.features.shape)


def test_meco_is_the_minimum_eigenvalue_of_the_channel_correlation() -> None:
    # 3 channels over 4 positions: c0 and c1 have correlation r, c2 is uncorrelated
    # with both; the correlation matrix [[1, r, 0], [r, 1, 0], [0, 0, 1]] has
    # eigenvalues 1 - r, 1, 1 + r
    c0 = torch.tensor([1.0, -1.0, 1.0, -1.0])
    c2 = torch.tensor([1.0, 1.0, -1.0, -1.0])
    c1 = torch.tensor([1.0, -1.0, 0.0, 0.0])  # corr(c0, c1) = 1/sqrt(2), corr(c1, c2) = 0
    features = torch.stack([c0, c1, c2]).reshape(3, 2, 2)
    r = 1 / math.sqrt(2)
    assert min_eig_correlation(features.reshape(3, -1)) == pytest.approx(1 - r)
    # the hook sees the module and, identically, its container: two layers
    net = nn.Sequential(_Fixed(features))
    assert meco_score(net, torch.zeros(1, 1)) == pytest.approx(2 * (1 - r))


def test_meco_constant_channel_and_channel_sampling() -> None:
    # a constant channel's correlations are undefined -> 0, its diagonal too -> lambda_min 0
    feats = torch.tensor([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]])
    assert min_eig_correlation(feats) == pytest.approx(0.0, abs=1e-12)
    # 16 channels: each pair of identical channels makes lambda_min 0, except with sampling
    # that draws 8 of them; the scaled term is then c / 8 times the sample's lambda_min
    gen = torch.Generator().manual_seed(0)
    independent = torch.randn(16, 64, generator=gen, dtype=torch.float64)
    net = nn.Sequential(_Fixed(independent.reshape(16, 8, 8)))
    full = meco_score(net, torch.zeros(1, 1))
    assert full == pytest.approx(2 * min_eig_correlation(independent))
    # the module's hook runs first, then its container's, each drawing 8 channels
    draws = np.random.default_rng(3)
    expected = sum(
        min_eig_correlation(
            independent[torch.as_tensor(np.sort(draws.choice(16, size=8, replace=False)))]
        )
        * 16
        / 8
        for _ in range(2)
    )
    sampled = meco_score(net, torch.zeros(1, 1), channels=8, rng=np.random.default_rng(3))
    assert sampled == pytest.approx(expected, rel=1e-12)
    # 8 independent channels are better conditioned than 16 (64 positions each)
    assert sampled / 4 > full / 2
    with pytest.raises(ValueError, match="Generator"):
        meco_score(net, torch.zeros(1, 1), channels=8)


# ---- on real NB201 networks ----------------------------------------------------------


def _archs(task, n: int = 4) -> list[NasBench201Arch]:
    rows = np.flatnonzero(task.has_proxy("snip"))[::97][:n]
    return [NasBench201Arch.from_key(task.keys[i]) for i in rows]


def test_finite_and_seeded_on_nb201(nb201_cifar10, sample_npz: Path) -> None:
    archs = _archs(nb201_cifar10)
    provider = BatchProvider.from_source("cifar10", npz=sample_npz)
    space = NasBench201Space()
    failures: list[ProxyFailure] = []
    first, times = score_archs(
        space, archs, NEW, "cifar10", provider.batch(8, 0), seed=0, failures=failures
    )
    again, _ = score_archs(space, archs, NEW, "cifar10", provider.batch(8, 0), seed=0)
    other, _ = score_archs(space, archs, NEW, "cifar10", provider.batch(8, 1), seed=1)
    assert failures == []
    for name in NEW:
        assert np.all(np.isfinite(first[name])), name
        np.testing.assert_array_equal(first[name], again[name], err_msg=name)
        assert not np.array_equal(first[name], other[name]), name
        assert np.all(times[name] > 0)
    # ZiCo sums log-ratios over the 53 conv/linear layers; the ratio of two samples is
    # at least 1 per weight, so each used layer adds at least log(#weights varying) > 0
    assert np.all(first["zico"] > 0)
    # a minimum eigenvalue of a correlation matrix lies in [0, 1] (it is PSD, trace c)
    assert np.all(first["meco"] >= -1e-6)


def test_dead_cell_gives_zero_meco_not_an_error() -> None:
    # every path through the cell passes a "none" edge: feature maps after the cells
    # are zeros or constant, whose correlation terms are 0
    arch = NasBench201Arch.from_key("(1, 0, 1, 4, 0, 1)")
    x = torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    y = torch.tensor([0, 1, 2, 3])
    scores, _ = score_archs(NasBench201Space(), [arch], ["meco", "zico"], "cifar10", (x, y))
    assert np.isfinite(scores["meco"][0]) and np.isfinite(scores["zico"][0])
