"""Dense padded batching of cell graphs against torch-geometric's path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.base import clone

from naspred.errors import InvalidInputError
from naspred.metrics import kendall
from naspred.predictors import make_predictor
from naspred.predictors._dense_graphs import DENSE_MAX_NODES, dense_graphs
from naspred.predictors._graph import predict_graphs
from naspred.spaces import get_space
from tests.conftest import NB201Split, conv_dag

# every network the graph predictors build, by the options that change it
NETWORKS = [
    ("gcn", {}),
    ("gin", {}),
    ("gin", {"pooling": "mean", "bidirectional": False}),
    ("bonas", {}),
    ("bonas", {"batch_norm": True, "bidirectional": False}),
    # dropout off: the train-mode comparison draws the two paths' masks one after the other
    ("gates", {"dropout": 0.0}),
    ("gates", {"dropout": 0.0, "residual": "all", "readout": "mean", "zero_ops": ()}),
    ("ta_gates", {"dropout": 0.0}),
    ("ta_gates", {"dropout": 0.0, "readout": "mean", "update_ops": "all", "time_steps": 3}),
]


def test_layout_and_gcn_operators_by_hand() -> None:
    from naspred.encodings import to_pyg

    # a path 0 -> 1 -> 2 and a graph of two nodes 0 -> 1, padded to 3 nodes
    a, b = conv_dag(3, [(0, 1), (1, 2)]), conv_dag(2, [(0, 1)])
    d = dense_graphs([to_pyg(a), to_pyg(b)])
    assert d.x.shape == (2, 3, 3) and d.mask.tolist() == [[True, True, True], [True, True, False]]
    assert d.x[1, 2].abs().sum() == 0  # the padded node
    # adj[b, i, j] counts edges j -> i
    assert d.adj[0].tolist() == [[0, 0, 0], [1, 0, 0], [0, 1, 0]]
    # along the edges: in-degrees with a self loop are 1, 2, 2
    s = 2**-0.5
    expected = [[1, 0, 0], [s * 1, 0.5, 0], [0, 0.5, 0.5]]
    np.testing.assert_allclose(d.gcn[0].numpy(), expected, rtol=1e-6)
    # against them: out-degrees with a self loop are 2, 2, 1
    expected_rev = [[0.5, 0.5, 0], [0, 0.5, s], [0, 0, 1]]
    np.testing.assert_allclose(d.gcn_reverse[0].numpy(), expected_rev, rtol=1e-6)
    # the padded node has no self loop and no edges
    assert d.gcn[1, 2].abs().sum() == 0 and d.gcn[1, :, 2].abs().sum() == 0
    np.testing.assert_allclose(d.gcn[1, :2, :2].numpy(), [[1, 0], [s, 0.5]], rtol=1e-6)
    assert d.take(torch.tensor([1])).adj.shape == (1, 3, 3)


@pytest.mark.parametrize("space", ["nasbench201", "nasbench101", "nasbench301"])
@pytest.mark.parametrize(("name", "options"), NETWORKS)
def test_dense_network_equals_pyg(name: str, options: dict, space: str) -> None:
    """On the same weights and graphs, predictions and embeddings agree; NB101's
    cells have 2 to 7 nodes, so its batches are padded; in train mode batch norm
    uses the real nodes' statistics on both paths."""
    from torch_geometric.data import Batch

    s = get_space(space)
    rng = np.random.default_rng(1)
    archs = [s.sample(rng) for _ in range(24 if space == "nasbench301" else 48)]
    p = make_predictor(name, seed=0, **options)
    graphs = p._graphs(archs, fit=True)
    if space == "nasbench101":
        assert len({int(g.num_nodes) for g in graphs}) > 1
    torch.manual_seed(3)
    model = p._build(int(graphs[0].x.shape[1]))
    dense = dense_graphs(graphs)
    for method in ("forward", "embed"):
        want = predict_graphs(model, graphs, method=method, batch_size=10)
        got = predict_graphs(model, dense, method=method, batch_size=10)
        assert got.shape == want.shape and np.abs(want).max() > 1e-3
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6 * np.abs(want).max())
    model.train()
    want_t = model(Batch.from_data_list(graphs)).detach().numpy()
    got_t = model(dense).detach().numpy()
    np.testing.assert_allclose(got_t, want_t, rtol=1e-5, atol=1e-5 * np.abs(want_t).max())


@pytest.fixture(scope="module")
def nb201(suite_zero_dir: Path) -> NB201Split:
    return NB201Split(suite_zero_dir, n_train=150)


@pytest.mark.parametrize("name", ["gcn", "bonas", "gin", "gates", "ta_gates"])
def test_same_init_and_minibatches(name: str, nb201: NB201Split) -> None:
    """A seed gives both batchings the same initial network and minibatch order:
    after 0 epochs the weights are equal bit for bit, and a state_dict moves
    between the paths with the same predictions."""
    archs, y = nb201.pick(nb201.train[:40]), nb201.y[nb201.train[:40]]
    query = nb201.pick(nb201.test[:30])
    fits = {
        b: make_predictor(name, seed=4, epochs=0, batching=b).fit(archs, y)
        for b in ("pyg", "dense")
    }
    assert fits["dense"].batching_ == "dense" and fits["pyg"].batching_ == "pyg"
    sd = {b: p.model_.state_dict() for b, p in fits.items()}
    assert sd["pyg"].keys() == sd["dense"].keys()
    assert all(torch.equal(sd["pyg"][k], sd["dense"][k]) for k in sd["pyg"])
    trained = make_predictor(name, seed=4, epochs=3, batching="dense").fit(archs, y)
    moved = fits["pyg"]
    moved.model_.load_state_dict(trained.model_.state_dict())
    if name == "bonas":
        moved.blr_ = trained.blr_
    np.testing.assert_allclose(moved.query(query), trained.query(query), rtol=1e-5)


@pytest.mark.parametrize("name", ["gcn", "bonas"])
def test_training_through_dense_matches_pyg(name: str, nb201: NB201Split) -> None:
    """With the same init and minibatches the two trainings differ only by float
    rounding: on the 500 test archs after 20 epochs on 150 archs the predictions
    agree closely and the Kendall taus within 0.01. (GIN is left out: its biases
    before batch norm get gradients of pure rounding noise, which Adam scales to
    full steps, so its two trainings part from the first step; its layers' outputs
    agree, as tested above.)"""
    preds = {
        b: make_predictor(name, seed=0, epochs=20, batching=b)
        .fit(nb201.pick(nb201.train), nb201.y[nb201.train])
        .query(nb201.pick(nb201.test))
        for b in ("pyg", "dense")
    }
    spread = preds["pyg"].max() - preds["pyg"].min()
    assert np.abs(preds["dense"] - preds["pyg"]).max() < 1e-3 * spread
    taus = {b: kendall(nb201.y[nb201.test], p) for b, p in preds.items()}
    assert taus["pyg"] > 0.3 and abs(taus["dense"] - taus["pyg"]) <= 0.01


def test_auto_rule_and_bad_batching(nb201: NB201Split) -> None:
    archs, y = nb201.pick(nb201.train[:20]), nb201.y[nb201.train[:20]]
    p = make_predictor("gcn", seed=0, epochs=1).fit(archs, y)
    assert p.batching == "auto" and p.batching_ == "dense"  # NB201 cells: 8 nodes
    assert clone(p).get_params()["batching"] == "auto"
    # a chain longer than DENSE_MAX_NODES keeps torch-geometric's edge lists
    n = DENSE_MAX_NODES + 1
    big = [
        conv_dag(n, [(i, i + 1) for i in range(n - 1)]),
        conv_dag(n, [(0, i) for i in range(1, n)]),
    ]
    q = make_predictor("gcn", seed=0, epochs=1).fit(big, np.array([1.0, 2.0]))
    assert q.batching_ == "pyg" and q.query(big).shape == (2,)
    forced = make_predictor("gcn", seed=0, epochs=1, batching="dense").fit(
        big, np.array([1.0, 2.0])
    )
    np.testing.assert_allclose(
        forced.query(big),
        make_predictor("gcn", seed=0, epochs=1, batching="pyg")
        .fit(big, np.array([1.0, 2.0]))
        .query(big),
        rtol=1e-5,
    )
    # small but very uneven graphs keep them too: real nodes fill (60 + 3 * 2) / (4 * 60)
    # of the padded slots; a 60-node chain alone is dense
    chain = conv_dag(60, [(i, i + 1) for i in range(59)])
    uneven = [chain, *[conv_dag(2, [(0, 1)])] * 3]
    assert make_predictor("gcn", epochs=1).fit(uneven, np.arange(4.0)).batching_ == "pyg"
    fits = make_predictor("gcn", epochs=1).fit([chain, chain], np.arange(2.0))
    assert fits.batching_ == "dense"
    with pytest.raises(InvalidInputError, match="batching must be 'auto', 'dense' or 'pyg'"):
        make_predictor("gcn", batching="sparse").fit(archs, y)
