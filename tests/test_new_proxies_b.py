"""TE-NAS (``tenas_ntk``, ``tenas_lr``, ``tenas``) and VKDNW (``vkdnw``): values
pinned on two NB201 archs and a fixed batch, and the sign convention.

The pins were computed once (torch 1 thread, CPU) on a small NB201 skeleton
(``C = 8``, ``N = 1``) and 8 images of the shared CIFAR-10 sample.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from naspred.proxies import score_archs
from naspred.proxies.te_nas import dense_rank, te_nas
from naspred.proxies.vkdnw import softmax_cholesky, vkdnw_entropy
from naspred.spaces.nasbench201 import NasBench201Arch, NasBench201Space

torch.set_num_threads(1)

NAMES = ("tenas_ntk", "tenas_lr", "vkdnw")
#: two archs of the learning-curve benchmark
PINNED_KEYS = ("(3, 3, 4, 0, 1, 4)", "(3, 1, 4, 1, 1, 3)")
PINNED: dict[str, tuple[float, float]] = {
    "tenas_ntk": (-2.9137802880738377, -2.4382843194937496),
    "tenas_lr": (321.0, 307.0),
    "vkdnw": (0.2361900113707524, 0.09970187013996665),
}
#: every edge ``none`` (a dead cell), every edge a 3x3 convolution
DEAD, CONV = "(1, 1, 1, 1, 1, 1)", "(2, 2, 2, 2, 2, 2)"


@pytest.fixture(scope="module")
def batch(shared_data: Path) -> tuple[torch.Tensor, torch.Tensor]:
    from naspred.data.images import BatchProvider

    npz = shared_data / "cifar10_sample.npz"
    if not npz.is_file():
        pytest.skip(f"{npz} not found")
    return BatchProvider.from_source("cifar10", npz=npz, fallback=False).batch(8, seed=0)


def _score(keys: tuple[str, ...], names: list[str], batch) -> dict[str, np.ndarray]:
    archs = [NasBench201Arch.from_key(k) for k in keys]
    scores, _ = score_archs(NasBench201Space(C=8, N=1), archs, names, "cifar10", batch)
    return scores


@pytest.mark.parametrize("name", NAMES)
def test_pinned_values(name: str, batch) -> None:
    scores = _score(PINNED_KEYS, [name], batch)
    np.testing.assert_allclose(scores[name], PINNED[name], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_dead_cell_scores_below_conv_cell(name: str, batch) -> None:
    scores = _score((DEAD, CONV), [name], batch)
    assert np.isfinite(scores[name]).all()
    assert scores[name][0] < scores[name][1]


def test_te_nas_combines_ranks(batch) -> None:
    scores = _score((DEAD, CONV, *PINNED_KEYS), ["tenas"], batch)
    combined = scores["tenas"]
    assert combined[0] == combined.min() and combined[1] > combined[0]


def test_te_nas_rank_sum_by_hand() -> None:
    ntk = np.array([-1.0, -3.0, -2.0, np.nan])  # -log(kappa): arch 0 best conditioned
    lr = np.array([10.0, 30.0, 10.0, 5.0])
    got = te_nas({"tenas_ntk": ntk, "tenas_lr": lr})
    # kappa ranks 0, 2, 1; region ranks (descending, dense) 1, 0, 1
    np.testing.assert_array_equal(got[:3], [-1.0, -2.0, -2.0])
    assert np.isnan(got[3])
    np.testing.assert_array_equal(dense_rank(np.array([2.0, 1.0, 2.0])), [1, 0, 1])


def test_softmax_cholesky_factors_the_covariance() -> None:
    logits = torch.randn(4, 10, generator=torch.Generator().manual_seed(0)).double()
    lower = softmax_cholesky(logits)
    p = torch.softmax(logits, 1) * 0.95 + 0.005
    cov = torch.diag_embed(p) - p[:, :, None] * p[:, None, :]
    torch.testing.assert_close(lower @ lower.transpose(1, 2), cov)
    assert torch.equal(lower, torch.tril(lower))


def test_vkdnw_entropy_is_highest_for_even_spectrum() -> None:
    even = vkdnw_entropy(torch.ones(128))
    assert even == pytest.approx(np.log(9), rel=1e-6)
    assert vkdnw_entropy(torch.logspace(-8, 0, 128)) < even


def test_ntk_rows_are_per_image_backwards_through_the_batch(batch) -> None:
    from naspred.proxies.engine import build_initialised
    from naspred.proxies.te_nas import ntk_gradients

    space = NasBench201Space(C=8, N=1)
    net = build_initialised(space, NasBench201Arch.from_key(PINNED_KEYS[0]), "cifar10", 0)
    x = batch[0][:4]
    rows = ntk_gradients(net, x)
    # the authors' loop: backward of logit[i] (ones) through the batched train-mode graph
    weights = [p for n, p in net.named_parameters() if "weight" in n]
    logits = net(x)
    for i in range(4):
        grads = torch.autograd.grad(logits[i].sum(), weights, retain_graph=True)
        torch.testing.assert_close(rows[i], torch.cat([g.reshape(-1) for g in grads]))


def test_vkdnw_reads_noise_not_the_images(batch) -> None:
    # the authors' NB201 driver gives VKDNW Gaussian inputs: other images of the same
    # shape leave the score unchanged, a data-free run (no batch) scores as well
    x, y = batch
    other = (torch.flip(x, dims=[0]) * 0.5, y)
    first = _score(PINNED_KEYS, ["vkdnw"], batch)["vkdnw"]
    np.testing.assert_array_equal(first, _score(PINNED_KEYS, ["vkdnw"], other)["vkdnw"])
    archs = [NasBench201Arch.from_key(k) for k in PINNED_KEYS]
    free, _ = score_archs(NasBench201Space(C=8, N=1), archs, ["vkdnw"], "cifar10", None)
    assert np.isfinite(free["vkdnw"]).all()


def test_vkdnw_dim_counts_parameter_tensors_and_single_adds_the_entropy(batch) -> None:
    keys = (DEAD, CONV, *PINNED_KEYS)
    scores = _score(keys, ["vkdnw_sgl"], batch)
    # C=8, N=1 skeleton: stem conv + BN (3), two residual blocks (7 each: two
    # ReLU-conv-BN and the shortcut conv), last BN (2), classifier (2) = 21 tensors
    # with no conv edge; every conv edge adds conv weight + BN weight and bias in
    # each of the 3 cells: 9 tensors
    n_conv = [sum(op in (2, 3) for op in eval(k)) for k in keys]
    np.testing.assert_array_equal(scores["vkdnw_dim"], [21 + 9 * n for n in n_conv])
    np.testing.assert_allclose(scores["vkdnw_sgl"], scores["vkdnw_dim"] + scores["vkdnw"])
