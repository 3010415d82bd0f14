"""PINAT (Lu et al., AAAI 2023): its modules by hand, padding, spaces, and real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from naspred.encodings import to_pyg
from naspred.errors import InvalidInputError
from naspred.metrics import kendall
from naspred.predictors import list_predictors, make_predictor
from naspred.predictors._dense_graphs import dense_graphs
from naspred.predictors.pinat import (
    PermutationInvariantLayer,
    PermutationInvariantStack,
    laplacian_rows,
    message_operator,
)
from naspred.reports.predictors import predictor_family
from naspred.spaces import get_space
from tests.conftest import NB201Split, conv_dag

torch.set_num_threads(1)

# a small network for CI: 2 blocks, 20 epochs of batches of 32 at a higher rate
FAST = {"epochs": 20, "lr": 3e-3, "num_layers": 2, "batch_size": 32}
# Kendall tau on the 500 test archs with 200 training archs (seed 0) with FAST,
# less MARGIN for library-version and platform noise
EXPECTED_TAU = 0.664
MARGIN = 0.06


def test_registered_as_a_graph_network() -> None:
    row = list_predictors().set_index("name").loc["pinat"]
    assert "Lu et al." in row["paper"] and row["needs"] == "encoding=graph"
    assert not row["probabilistic"] and predictor_family("pinat") == "graph networks"


def test_laplacian_and_message_operator_by_hand() -> None:
    # 0 -> 1, 0 -> 2, 1 -> 2 and a padded graph 0 -> 1
    d = dense_graphs([to_pyg(conv_dag(3, [(0, 1), (0, 2), (1, 2)])), to_pyg(conv_dag(2, [(0, 1)]))])
    lap = laplacian_rows(d, 4)
    # L = D_out - A: out-degrees 2, 1, 0 on the diagonal, -1 per edge i -> j
    assert lap[0].tolist() == [[2, -1, -1, 0], [0, 1, -1, 0], [0, 0, 0, 0]]
    assert lap[1].tolist() == [[1, -1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    op = message_operator(d)
    # each node sums itself and its in-neighbours; the padded node nothing
    assert op[0].tolist() == [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    assert op[1].tolist() == [[1, 0, 0], [1, 1, 0], [0, 0, 0]]
    with pytest.raises(InvalidInputError, match="at most 2"):
        laplacian_rows(d, 2)


@pytest.mark.parametrize("concat", [True, False])
def test_pim_layer_is_the_authors_formula(concat: bool) -> None:
    """The fused layer computes GATSetConv_v5's steps one by one: element map
    leaky(u * (x a) + v) per channel and head, summed over the node and its
    in-neighbours, mixed across heads by w per channel, biased, leaky, scaled by c."""
    torch.manual_seed(0)
    layer = PermutationInvariantLayer(5, 4, 3, concat=concat)
    with torch.no_grad():
        layer.v.normal_()
        layer.b.normal_()
    mask = torch.ones(2, 6, dtype=torch.bool)
    mask[1, 4:] = False
    x = torch.randn(2, 6, 5) * mask[..., None]
    op = (torch.rand(2, 6, 6) > 0.5).float().tril(-1) * mask[:, None, :] * mask[:, :, None]
    op = op + torch.diag_embed(mask.float())
    got = layer(x, op)
    h = (x @ layer.a).view(2, 6, 4, 3)
    h = F.leaky_relu(h * layer.u[:, :, 0] + layer.v, 0.2)
    agg = torch.einsum("bij,bjot->biot", op, h)
    mixed = torch.einsum("biot,otk->biok", agg, layer.w[:, :, 0, :]) + layer.b
    want = F.leaky_relu(mixed, 0.2) * layer.c
    want = want.reshape(2, 6, 12) if concat else want.sum(-1)
    assert got.shape == want.shape == (2, 6, 12 if concat else 4)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)


def test_pim_stack_is_permutation_equivariant() -> None:
    """Relabelling the nodes relabels the PIM stack's output the same way: it reads
    the graph, not the node order (what the transformer's Laplacian encoding adds)."""
    torch.manual_seed(1)
    stack = PermutationInvariantStack(5, 4, 2, 7)
    x = torch.randn(1, 6, 5)
    op = (torch.rand(1, 6, 6) > 0.5).float().tril(-1) + torch.eye(6)
    perm = torch.tensor([3, 0, 5, 1, 4, 2])
    out = stack(x, op)
    permuted = stack(x[:, perm], op[:, perm][:, :, perm])
    torch.testing.assert_close(permuted, out[:, perm], rtol=1e-5, atol=1e-6)


def test_prediction_does_not_depend_on_the_batch() -> None:
    """NB101 cells of 2 to 7 nodes are padded to the batch's largest; padded nodes
    are masked out of attention, messages and pooling, so a cell's prediction is
    the same alone as in a padded batch."""
    s = get_space("nasbench101")
    rng = np.random.default_rng(0)
    archs = [s.sample(rng) for _ in range(40)]
    y = np.array([a.to_dag().adjacency.sum() for a in archs], dtype=float)
    p = make_predictor("pinat", seed=0, epochs=2).fit(archs, y)
    sizes = [int(g.num_nodes) for g in p._graphs(archs, fit=False)]
    small = [a for a, n in zip(archs, sizes, strict=True) if n < max(sizes)]
    assert small and p.max_nodes_ == max(sizes)
    together = p.query(archs)
    alone = np.array([p.query([a])[0] for a in small])
    np.testing.assert_allclose(
        alone, together[[i for i, n in enumerate(sizes) if n < max(sizes)]], rtol=1e-5
    )


@pytest.mark.parametrize("space", ["nasbench301", "nasbench101", "nasbench_graph"])
def test_other_spaces(space: str) -> None:
    s = get_space(space)
    rng = np.random.default_rng(0)
    archs = [s.sample(rng) for _ in range(30)]
    y = np.array([a.to_dag().adjacency.sum() for a in archs], dtype=float)
    p = make_predictor("pinat", seed=0, epochs=3).fit(archs[:20], y[:20])
    pred = p.query(archs[20:])
    assert pred.shape == (10,) and np.all(np.isfinite(pred))
    np.testing.assert_allclose(p.query([a.to_dag() for a in archs[20:]]), pred, rtol=1e-6)


def test_bad_options_and_larger_graphs_are_errors() -> None:
    dags = [conv_dag(3, [(0, 1), (1, 2)]), conv_dag(4, [(0, 1), (1, 2), (2, 3)])] * 3
    y = np.arange(6.0)
    with pytest.raises(InvalidInputError, match="dense padded graphs only"):
        make_predictor("pinat", batching="pyg").fit(dags, y)
    with pytest.raises(InvalidInputError, match="loss must be"):
        make_predictor("pinat", loss="huber", epochs=1).fit(dags, y)
    p = make_predictor("pinat", epochs=1).fit(dags, y)
    assert p.max_nodes_ == 4 and p.batching_ == "dense"
    with pytest.raises(InvalidInputError, match="5 nodes.*at most 4"):
        p.query([conv_dag(5, [(0, 1), (1, 2), (2, 3), (3, 4)])])


@pytest.fixture(scope="module")
def nb201(suite_zero_dir: Path) -> NB201Split:
    return NB201Split(suite_zero_dir, n_train=200)


def test_ranks_nb201_cifar10(nb201: NB201Split) -> None:
    """200 training archs, 500 held-out ones: far above a random predictor."""
    p = make_predictor("pinat", seed=0, **FAST)
    threads = torch.get_num_threads()
    p.fit(nb201.pick(nb201.train), nb201.y[nb201.train])
    assert torch.get_num_threads() == threads
    pred = p.query(nb201.pick(nb201.test))
    assert pred.shape == (500,) and np.all(np.isfinite(pred))
    tau = kendall(nb201.y[nb201.test], pred)
    assert tau > 0.4 and tau > nb201.random_tau() + 0.35
    assert tau >= EXPECTED_TAU - MARGIN, f"tau {tau:.3f}"
    # in the target's units (accuracy in percent), not standardised
    assert 40 < np.median(pred) < 100


def test_pairwise_loss_ranks(nb201: NB201Split) -> None:
    """``loss="pairwise"`` trains on the order of pairs: its scores rank the
    held-out archs too."""
    p = make_predictor("pinat", seed=0, loss="pairwise", **FAST)
    p.fit(nb201.pick(nb201.train), nb201.y[nb201.train])
    tau = kendall(nb201.y[nb201.test], p.query(nb201.pick(nb201.test)))
    assert tau > 0.4 and tau >= 0.693 - MARGIN, f"tau {tau:.3f}"
