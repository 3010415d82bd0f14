"""GradSign (``gradsign``): a tiny linear model worked out by hand, per-image gradients
against one backward per image, the value pinned on two NB201 archs of the paper's
size on real CIFAR-10 images, dead cells, determinism, bad input."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from naspred.errors import InvalidInputError
from naspred.proxies import get_proxy, score_archs
from naspred.proxies.engine import build_initialised
from naspred.proxies.gradsign import PAPER_BATCH_SIZE, gradsign_score, per_sample_grads
from naspred.spaces.nasbench201 import NasBench201Arch, NasBench201Space

torch.set_num_threads(1)

DEAD = "(1, 1, 1, 1, 1, 1)"  # every edge 'none'
#: GradSign of the full NB201 network (C=16, N=5, seed 0) on the first 128 images of
#: the CIFAR-10 sample as BatchProvider draws them with seed 0
PINNED = {"(3, 4, 1, 4, 1, 0)": 942972.0, "(2, 1, 1, 3, 3, 2)": 5566516.0}


@pytest.fixture(scope="module")
def cifar_batch(shared_data):
    from naspred.data.images import BatchProvider

    npz = shared_data / "cifar10_sample.npz"
    if not npz.is_file():
        pytest.skip(f"CIFAR-10 sample not found at {npz}")
    return BatchProvider.from_source("cifar10", npz=npz).batch(PAPER_BATCH_SIZE, 0)


def test_tiny_linear_model_by_hand() -> None:
    # W = 0, b = 0: softmax is (1/2, 1/2), so image i's gradient of W is
    # (p - onehot(y_i)) x_i^T, whose sign at (k, j) is sign(p_k - [k == y_i]) sign(x_ij)
    net = nn.Linear(2, 2)
    nn.init.zeros_(net.weight)
    nn.init.zeros_(net.bias)
    x = torch.tensor([[1.0, 2.0], [1.0, -1.0], [-3.0, 1.0], [0.0, 1.0]])
    y = torch.tensor([0, 0, 1, 0])
    # signs of row 0 (row 1 is its negation), images in order:
    #   (-1, -1), (-1, +1), (-1, +1), (0, -1): column sums -3 and 0
    # |sums| over both rows: 3 + 0 + 3 + 0 = 6; the biases (whose signs would add
    # |-2| + |2|) are not weights of a conv or linear layer and do not count
    assert gradsign_score(net, x, y) == 6.0
    # without the image on the axis: column sums -3 and +1, so 3 + 1 + 3 + 1
    assert gradsign_score(net, x[:3], y[:3]) == 8.0
    g = per_sample_grads(net, x, y)["weight"]
    assert g[3, :, 0].eq(0).all()  # x_40 = 0: no gradient, sign 0
    # the chunk size changes memory, not the score
    assert gradsign_score(net, x, y, chunk_size=1) == 6.0


def test_per_image_gradients_equal_one_backward_per_image() -> None:
    # float64: the deep network's single-image BatchNorm amplifies rounding, so two
    # float32 computations of one gradient differ; in float64 they agree
    space = NasBench201Space(C=8, N=2)
    net = build_initialised(space, NasBench201Arch.from_key("(2, 4, 3, 0, 2, 1)"), "cifar10", 3)
    net = net.double()
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(5, 3, 32, 32, generator=gen, dtype=torch.float64)
    y = torch.randint(10, (5,), generator=gen)
    got = per_sample_grads(net, x, y, chunk_size=2)
    ref = copy.deepcopy(net).train()
    weights = {k: p for k, p in ref.named_parameters() if k in got}
    assert (
        len(weights)
        == len(got)
        == sum(isinstance(m, (nn.Conv2d, nn.Linear)) for m in ref.modules())
    )
    for i in range(5):
        ref.zero_grad(set_to_none=True)
        # one image alone in train mode: BatchNorm on that image's own statistics
        F.cross_entropy(ref(x[[i]]), y[[i]]).backward()
        for name, w in weights.items():
            expected = torch.zeros_like(w) if w.grad is None else w.grad
            torch.testing.assert_close(got[name][i], expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("key", sorted(PINNED))
def test_pinned_on_nb201_at_the_papers_batch(key: str, cifar_batch) -> None:
    x, y = cifar_batch
    # the run's own batch is another size: gradsign reads the 128 drawn for it
    scores, _ = score_archs(
        NasBench201Space(),
        [NasBench201Arch.from_key(key)],
        ["gradsign"],
        "cifar10",
        (x[:8], y[:8]),
        batches={PAPER_BATCH_SIZE: (x, y)},
    )
    # float32 rounding flips the sign of a few near-zero gradients between builds
    # of PyTorch (float64 moves these scores by 0.1%)
    assert scores["gradsign"][0] == pytest.approx(PINNED[key], rel=2e-3)


def test_registered_with_the_papers_batch_size() -> None:
    proxy = get_proxy("gradsign")
    assert proxy.batch_size == PAPER_BATCH_SIZE == 128
    assert proxy.needs == frozenset({"data"})


def test_dead_cell_scores_zero_and_lowest_and_scoring_is_deterministic() -> None:
    space = NasBench201Space(C=8, N=1)
    keys = (DEAD, "(2, 2, 2, 2, 2, 2)", "(3, 1, 4, 1, 1, 3)", "(0, 0, 0, 0, 0, 0)")
    archs = [NasBench201Arch.from_key(k) for k in keys]
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(16, 3, 32, 32, generator=gen)
    y = torch.randint(10, (16,), generator=gen)
    failures: list = []
    first, _ = score_archs(space, archs, ["gradsign"], "cifar10", (x, y), failures=failures)
    # a run of 16 images and no batch of 128: gradsign fails, it does not score on 16
    assert np.isnan(first["gradsign"]).all()
    assert "no minibatch of 128 images" in failures[0].error
    batch = (x.repeat(8, 1, 1, 1), y.repeat(8))
    first, _ = score_archs(space, archs, ["gradsign"], "cifar10", batch)
    again, _ = score_archs(space, archs, ["gradsign"], "cifar10", batch)
    np.testing.assert_array_equal(first["gradsign"], again["gradsign"])
    # every path crosses 'none': no weight's loss gradient is non-zero
    assert first["gradsign"][0] == 0.0
    assert (first["gradsign"][1:] > 0).all()
    # 8 copies of 16 images: every sum of signs is 8 times that of the 16
    net = build_initialised(space, archs[1], "cifar10", 0)
    state = copy.deepcopy(net.state_dict())
    assert first["gradsign"][1] == pytest.approx(8 * gradsign_score(net, x, y), rel=1e-3)
    # the network scored is left as it was, running statistics included
    for k, v in net.state_dict().items():
        assert torch.equal(v, state[k]), k


def test_bad_input_names_the_problem() -> None:
    net = nn.Linear(2, 2)
    with pytest.raises(InvalidInputError, match="as many labels as images"):
        gradsign_score(net, torch.zeros(3, 2), torch.zeros(2, dtype=torch.long))
    with pytest.raises(InvalidInputError, match="no nn.Conv2d or nn.Linear"):
        gradsign_score(
            nn.Sequential(nn.ReLU()), torch.zeros(3, 2), torch.zeros(3, dtype=torch.long)
        )
    with pytest.raises(InvalidInputError, match="chunk_size"):
        gradsign_score(net, torch.zeros(3, 2), torch.zeros(3, dtype=torch.long), chunk_size=0)
