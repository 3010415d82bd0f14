"""SWAP (``swap``, ``swap_raw``): the pattern count by hand and against the
reference's dense ``unique``, the regulariser by formula, pinned NB201 values on
real images, the engine path, a dead cell, determinism and bad input."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from naspred.errors import InvalidInputError
from naspred.proxies import score_archs
from naspred.proxies.swap import (
    MU,
    PAPER_BATCH_SIZE,
    PAPER_REPEATS,
    count_params_thousands,
    gaussian_init,
    regular_factor,
    swap_score,
    unique_patterns,
)
from naspred.spaces.nasbench201 import NasBench201Arch, NasBench201Space

torch.set_num_threads(1)

#: two NB201 cells: one conv edge (1x1) among pools and nones; three convs and a skip
KEYS = ("(3, 4, 1, 4, 1, 0)", "(2, 1, 1, 3, 3, 2)")
DEAD = "(1, 1, 1, 1, 1, 1)"  # every edge 'none' (op 1 in the Suite-Zero order)


@pytest.fixture(scope="module")
def images(shared_data: Path) -> tuple[torch.Tensor, torch.Tensor]:
    from naspred.data.images import BatchProvider

    path = shared_data / "cifar10_sample.npz"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return BatchProvider.from_source("cifar10", npz=path).batch(PAPER_BATCH_SIZE, 0)


def test_unique_patterns_by_hand() -> None:
    # three images of one 1x3 channel; a 1x1 conv to (x, -x), a ReLU, then a linear
    # layer and a ReLU on its 2-d output, which SWAP skips
    x = torch.tensor([[1.0, 2.0, -1.0], [1.0, -1.0, -1.0], [-1.0, 3.0, -1.0]]).view(3, 1, 1, 3)
    conv = nn.Conv2d(1, 2, 1, bias=False)
    linear = nn.Linear(6, 4)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([1.0, -1.0]).view(2, 1, 1, 1))
        linear.weight.fill_(1.0)
    net = nn.Sequential(conv, nn.ReLU(), nn.Flatten(), linear, nn.ReLU())
    # per pixel over the three images, x > 0 gives 110, 101, 000 and -x > 0 gives
    # 001, 010, 111: six distinct rows
    assert unique_patterns(net, x) == 6
    # a ReLU first: x > 0 gives 110, 101, 000 again; the conv's second channel,
    # -relu(x), is never positive (000, three times): three distinct rows of nine
    assert unique_patterns(nn.Sequential(nn.ReLU(), conv, nn.ReLU()), x) == 3


def test_packed_count_equals_the_dense_unique_of_the_reference() -> None:
    # more images than one 63-bit word holds, and ties made likely by few channels
    net = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(), nn.Conv2d(3, 2, 1), nn.ReLU())
    gen = torch.Generator().manual_seed(0)
    outs: list[torch.Tensor] = []
    for relu in net[1::2]:
        relu.register_forward_hook(lambda m, i, o: outs.append(o))
    for b in (5, 63, 64, 130):
        x = torch.randn(b, 2, 4, 4, generator=gen).sign()
        outs.clear()
        with torch.no_grad():
            net(x)
        dense = torch.sign(torch.cat([o.reshape(b, -1) for o in outs], 1)).T
        assert unique_patterns(net, x) == torch.unique(dense, dim=0).shape[0]


def test_regulariser_is_the_papers_formula() -> None:
    for p in (73.306, 615.386, 1531.546):
        assert regular_factor(p) == pytest.approx(math.exp(-((p - 1500.0) ** 2) / 1.5e6))
    assert regular_factor(MU) == 1.0
    assert regular_factor(250.0, mu=200.0, sigma=2500.0) == pytest.approx(math.exp(-1.0))
    # thousands of parameters, the NB201 records' count
    space = NasBench201Space()
    arch = NasBench201Arch.from_key(KEYS[1])
    net = space.build_network(arch, "cifar10")
    assert count_params_thousands(net) == pytest.approx(space.complexity(arch, "cifar10")[0] * 1e3)
    with pytest.raises(InvalidInputError, match="sigma"):
        regular_factor(1.0, sigma=0.0)


def test_gaussian_init_is_the_authors() -> None:
    net = nn.Sequential(nn.Conv2d(3, 64, 3, bias=True), nn.BatchNorm2d(64), nn.Linear(64, 64))
    gaussian_init(net, 0)
    w = torch.cat([net[0].weight.flatten(), net[2].weight.flatten()]).detach()
    assert abs(float(w.mean())) < 0.03 and float(w.std()) == pytest.approx(1.0, abs=0.03)
    assert not net[0].bias.any() and not net[2].bias.any()
    assert bool((net[1].weight == 1).all()) and not net[1].bias.any()


def test_pinned_nb201_values_on_cifar10(images) -> None:
    x, _ = images
    space = NasBench201Space()
    got = [
        swap_score(space.build_network(NasBench201Arch.from_key(k), "cifar10"), x, 2, 0)
        for k in KEYS
    ]
    # measured; the conv-rich cell sits near the ceiling 2^16 of 16 images
    assert got == [26104.0, 65093.5]


def test_engine_scores_are_the_functions_and_deterministic(images) -> None:
    x, y = images
    space = NasBench201Space(C=4, N=1)
    archs = [NasBench201Arch.from_key(k) for k in (DEAD, *KEYS)]
    run = (x[:8], y[:8])  # the run's own batch; SWAP reads its 16 from `batches`

    def score(archs: list, seed: int) -> dict[str, np.ndarray]:
        got, _ = score_archs(
            space, archs, ["swap", "swap_raw"], "cifar10", run, seed, batches={16: (x, y)}
        )
        return got

    first = score(archs, 0)
    net = space.build_network(archs[2], "cifar10")
    raw = swap_score(net, x, PAPER_REPEATS, 0)
    assert first["swap_raw"][2] == raw
    assert first["swap"][2] == pytest.approx(raw * regular_factor(count_params_thousands(net)))
    # the dead cell: every ReLU input is zero, one pattern, the lowest score
    assert first["swap_raw"][0] == 1.0
    assert first["swap_raw"][0] < first["swap_raw"][1:].min()
    assert first["swap"][0] < first["swap"][1:].min()
    again = score(archs[1:2], 0)
    for name in ("swap", "swap_raw"):
        assert again[name][0] == first[name][1]
    # another seed, other initialisations
    assert score(archs[1:2], 1)["swap_raw"][0] != first["swap_raw"][1]


def test_without_its_batch_the_proxy_fails_naming_the_size(images) -> None:
    x, y = images
    failures: list = []
    arch = NasBench201Arch.from_key(KEYS[0])
    got, _ = score_archs(
        NasBench201Space(C=8, N=1), [arch], ["swap"], "cifar10", (x[:8], y[:8]), failures=failures
    )
    assert np.isnan(got["swap"][0]) and "batch_size=16" in failures[0].error


def test_bad_input_is_refused() -> None:
    net = nn.Sequential(nn.Conv2d(3, 4, 1), nn.ReLU())
    with pytest.raises(InvalidInputError, match=r"\(B, C, H, W\)"):
        unique_patterns(net, torch.randn(4, 3))
    with pytest.raises(InvalidInputError, match="repeats"):
        swap_score(net, torch.randn(2, 3, 4, 4), repeats=0)
    with pytest.raises(InvalidInputError, match="nn.ReLU"):
        unique_patterns(nn.Sequential(nn.Conv2d(3, 4, 1), nn.Tanh()), torch.randn(2, 3, 4, 4))
