"""Graph-neural-network predictors (gcn, gin, bonas, seminas) on real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.base import clone

from naspred.metrics import kendall
from naspred.predictors import ProbabilisticPredictor, list_predictors, make_predictor
from naspred.spaces import get_space
from naspred.spaces.nasbench201 import NasBench201Arch
from tests.conftest import NB201Split

# few epochs for CI; the defaults are measured in the report
FAST: dict[str, dict] = {
    "gcn": {"epochs": 50},
    "gin": {"epochs": 50},
    "bonas": {"epochs": 50},
    "seminas": {"epochs": 50, "n_unlabelled": 150},
}
# Kendall tau on the 500 test archs with 150 training archs (seed 0), measured
# with FAST, less MARGIN for library-version and platform noise
EXPECTED_TAU: dict[str, float] = {
    "gcn": 0.527,
    "gin": 0.549,
    "bonas": 0.487,
    "seminas": 0.541,
}
MARGIN = 0.06


@pytest.fixture(scope="module")
def nb201(suite_zero_dir: Path) -> NB201Split:
    return NB201Split(suite_zero_dir, n_train=150)


@pytest.fixture(scope="module")
def random_tau(nb201: NB201Split) -> float:
    return nb201.random_tau()


def test_registered_with_their_papers() -> None:
    table = list_predictors().set_index("name")
    assert set(FAST) <= set(table.index)
    assert table.loc["bonas", "probabilistic"] and not table.loc["gcn", "probabilistic"]
    assert "Wen et al." in table.loc["gcn", "paper"] and "Xu et al." in table.loc["gin", "paper"]
    assert "Shi et al." in table.loc["bonas", "paper"]
    assert "Luo et al." in table.loc["seminas", "paper"]
    assert all(table.loc[name, "needs"] == "encoding=graph" for name in FAST)


@pytest.mark.parametrize("name", sorted(FAST))
def test_gnn_beats_random(name: str, nb201: NB201Split, random_tau: float) -> None:
    p = make_predictor(name, seed=0, **FAST[name])
    threads = torch.get_num_threads()
    assert p.fit(nb201.pick(nb201.train), nb201.y[nb201.train]) is p
    assert torch.get_num_threads() == threads  # restored after training on one thread
    pred = p.query(nb201.pick(nb201.test))
    assert pred.shape == (500,) and np.all(np.isfinite(pred))
    tau = kendall(nb201.y[nb201.test], pred)
    assert tau > random_tau + 0.3
    assert tau >= EXPECTED_TAU[name] - MARGIN, f"{name}: tau {tau:.3f}"
    # predictions are in the target's units (accuracy in percent), not standardised
    assert 40 < np.median(pred) < 100
    if isinstance(p, ProbabilisticPredictor):
        mean, std = p.query_dist(nb201.pick(nb201.test[:50]))
        np.testing.assert_allclose(mean, pred[:50], rtol=1e-9)
        assert np.all(np.isfinite(std)) and np.all(std > 0)
        # the Bayesian head is wider away from the data than on it
        assert std.min() > 0.05


@pytest.mark.parametrize("name", sorted(FAST))
def test_seeded_and_leaves_torch_rng_alone(name: str, nb201: NB201Split) -> None:
    archs, y = nb201.pick(nb201.train[:40]), nb201.y[nb201.train[:40]]
    query = nb201.pick(nb201.test[:30])
    kw = {**FAST[name], "epochs": 3}
    if name == "seminas":
        kw["n_unlabelled"] = 40
    state = torch.get_rng_state()
    a = make_predictor(name, seed=5, **kw).fit(archs, y).query(query)
    assert torch.equal(state, torch.get_rng_state())  # training forks torch's RNG
    b = make_predictor(name, seed=5, **kw).fit(archs, y).query(query)
    c = make_predictor(name, seed=6, **kw).fit(archs, y).query(query)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("space", ["nasbench301", "nasbench101", "nasbench_graph"])
@pytest.mark.parametrize("name", sorted(FAST))
def test_other_spaces_dag_batches(name: str, space: str) -> None:
    """Graphs of other spaces (DARTS: 32 nodes; NB101: 2 to 7 nodes) batch and
    predict; the target is each DAG's edge count, which the graph determines."""
    s = get_space(space)
    rng = np.random.default_rng(0)
    archs = [s.sample(rng) for _ in range(30)]
    y = np.array([a.to_dag().adjacency.sum() for a in archs], dtype=float)
    kw = {**FAST[name], "epochs": 3}
    if name == "seminas":
        kw["n_unlabelled"] = 20
    p = make_predictor(name, seed=0, **kw).fit(archs[:20], y[:20])
    pred = p.query(archs[20:])
    assert pred.shape == (10,) and np.all(np.isfinite(pred))
    # LabelledDAGs work as archs do
    np.testing.assert_allclose(p.query([a.to_dag() for a in archs[20:]]), pred)


def test_seminas_pool(nb201: NB201Split) -> None:
    archs, y = nb201.pick(nb201.train[:30]), nb201.y[nb201.train[:30]]
    p = make_predictor("seminas", seed=0, epochs=2, n_unlabelled=50).fit(archs, y)
    # NB201 has 15,625 cells: 50 draws rarely repeat or hit a labelled one
    assert 45 <= p.n_unlabelled_ <= 50 and p.pseudo_labels_.shape == (p.n_unlabelled_,)
    assert np.all(np.isfinite(p.pseudo_labels_))
    # labelled archs in the given pool are dropped: their true labels win
    pool = nb201.pick(nb201.train[:40])
    q = make_predictor("seminas", seed=0, epochs=2, unlabelled=pool).fit(archs, y)
    assert q.n_unlabelled_ == 10
    dags = [a.to_dag() for a in archs]
    with pytest.raises(ValueError, match="unlabelled="):
        make_predictor("seminas", epochs=2).fit(dags, y)
    r = make_predictor("seminas", epochs=2, unlabelled=[a.to_dag() for a in pool]).fit(dags, y)
    assert r.n_unlabelled_ == 10


def test_hyper_parameters_and_clone() -> None:
    p = make_predictor("gin", seed=3, hidden=32, pooling="mean")
    params = p.get_params()
    assert params["seed"] == 3 and params["hidden"] == 32 and params["pooling"] == "mean"
    assert clone(p).get_params() == params
    assert not [k for k in vars(p) if k.endswith("_")]  # nothing learned before fit
    with pytest.raises(TypeError, match="takes no encoding"):
        make_predictor("gcn", encoding="path")
    with pytest.raises(RuntimeError, match="not fitted"):
        make_predictor("bonas").query([NasBench201Arch.from_key("(2, 2, 2, 2, 2, 2)")])
