"""Predictors on real data (Suite-Zero NB201 cifar10) and the predictor API contract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.base import clone

from naspred.metrics import kendall
from naspred.predictors import (
    DataNeeds,
    MissingInfoError,
    Predictor,
    ProbabilisticPredictor,
    ZeroCostPredictor,
    list_predictors,
    make_predictor,
    predictor_names,
    proxy_key,
    task_info,
)
from naspred.spaces.nasbench201 import NasBench201Arch
from tests.conftest import NB201Split

# small, fast settings for CI; the paper defaults are measured in the report
FAST: dict[str, dict] = {
    "rf": {},
    "xgb": {},
    "lgb": {},
    "ngb": {"n_estimators": 100},
    "gp": {},
    "sparse_gp": {"num_inducing": 32, "iterations": 100},
    "mlp": {"epochs": 30, "batch_size": 32},
    "bananas": {"ensemble_size": 3, "epochs": 30, "batch_size": 32},
    "dngo": {"epochs": 30, "batch_size": 32},
    "wl_gp": {},
}
# Kendall tau on the 500 test archs with 200 training archs (seed 0) measured for
# each predictor, less a margin of 0.06 for library-version noise
EXPECTED_TAU: dict[str, float] = {
    "rf": 0.578,
    "xgb": 0.58,
    "lgb": 0.562,
    "ngb": 0.496,
    "gp": 0.555,
    "sparse_gp": 0.572,
    "mlp": 0.652,
    "bananas": 0.533,
    "dngo": 0.582,
    "wl_gp": 0.710,
}
MARGIN = 0.06


@pytest.fixture(scope="module")
def nb201(suite_zero_dir: Path) -> NB201Split:
    return NB201Split(suite_zero_dir, n_train=200)


@pytest.fixture(scope="module")
def random_tau(nb201: NB201Split) -> float:
    return nb201.random_tau()


def test_registry_lists_every_predictor() -> None:
    table = list_predictors()
    assert list(table.columns) == ["name", "description", "probabilistic", "needs", "paper"]
    expected = {*FAST, "zc", "zc_xgb"}
    assert expected <= set(table["name"]) and set(table["name"]) == set(predictor_names())
    assert table["description"].str.len().min() > 10
    probabilistic = set(table.loc[table["probabilistic"], "name"])
    assert probabilistic == {"gp", "sparse_gp", "wl_gp", "ngb", "bananas", "dngo", "bonas"}
    row = table.set_index("name").loc["zc_xgb"]
    assert "proxies=epe_nas" in row["needs"] and "encoding=adjacency" in row["needs"]


@pytest.mark.parametrize("name", sorted(FAST))
def test_predictor_beats_random(name: str, nb201: NB201Split, random_tau: float) -> None:
    p = make_predictor(name, seed=0, **FAST[name])
    assert p.fit(nb201.pick(nb201.train), nb201.y[nb201.train]) is p
    pred = p.query(nb201.pick(nb201.test))
    assert pred.shape == (500,) and np.all(np.isfinite(pred))
    tau = kendall(nb201.y[nb201.test], pred)
    assert tau > 0.3 and tau > random_tau + 0.25
    assert tau >= EXPECTED_TAU[name] - MARGIN, f"{name}: tau {tau:.3f}"
    # predictions are in the target's units (accuracy in percent), not standardised
    assert 40 < np.median(pred) < 100
    if isinstance(p, ProbabilisticPredictor):
        mean, std = p.query_dist(nb201.pick(nb201.test[:50]))
        np.testing.assert_allclose(mean, pred[:50], rtol=1e-6)
        assert np.all(np.isfinite(std)) and np.all(std > 0)


def test_graph_features_with_xgb(nb201: NB201Split) -> None:
    p = make_predictor("xgb", encoding="graph_features", seed=0)
    p.fit(nb201.pick(nb201.train), nb201.y[nb201.train])
    tau = kendall(nb201.y[nb201.test], p.query(nb201.pick(nb201.test)))
    assert tau >= 0.791 - MARGIN


def _proxy_split(nb201: NB201Split) -> tuple[np.ndarray, np.ndarray]:
    # the NB201 records hold the Suite-Zero proxies for 491 archs only
    rows = np.random.default_rng(0).permutation(np.flatnonzero(nb201.task.has_proxy("synflow")))
    return rows[:200], rows[200:]


def test_zero_cost_predictor_returns_scores(nb201: NB201Split) -> None:
    train, test = _proxy_split(nb201)
    p = make_predictor("zc:synflow")
    assert isinstance(p, ZeroCostPredictor) and p.proxy == "synflow"
    assert p.needs == DataNeeds(proxies=("synflow",))
    info = task_info(nb201.task, test, p.needs)
    p.fit(nb201.pick(train), nb201.y[train], task_info(nb201.task, train, p.needs))
    pred = p.query(nb201.pick(test), info)
    np.testing.assert_array_equal(pred, nb201.task.proxies["synflow"][test])
    assert kendall(nb201.y[test], pred) == pytest.approx(0.550, abs=0.01)


def test_zc_xgb_uses_proxies(nb201: NB201Split) -> None:
    train, test = _proxy_split(nb201)
    p = make_predictor("zc_xgb", seed=0)
    p.fit(nb201.pick(train), nb201.y[train], task_info(nb201.task, train, p.needs))
    pred = p.query(nb201.pick(test), task_info(nb201.task, test, p.needs))
    assert np.all(np.isfinite(pred))
    tau = kendall(nb201.y[test], pred)
    plain = make_predictor("xgb", seed=0).fit(nb201.pick(train), nb201.y[train])
    tau_plain = kendall(nb201.y[test], plain.query(nb201.pick(test)))
    assert tau >= 0.771 - MARGIN and tau_plain == pytest.approx(0.543, abs=MARGIN)
    assert tau > tau_plain + 0.05  # the proxies add information


def test_missing_info_names_the_key(nb201: NB201Split) -> None:
    archs, y = nb201.pick(nb201.train[:20]), nb201.y[nb201.train[:20]]
    p = make_predictor("zc_xgb", proxies=("synflow", "jacov"))
    with pytest.raises(MissingInfoError, match=r"info\['proxy:synflow'\].*naspred.proxies"):
        p.fit(archs, y)
    with pytest.raises(MissingInfoError, match=r"info\['proxy:jacov'\]"):
        p.fit(archs, y, {proxy_key("synflow"): np.zeros(20)})
    with pytest.raises(ValueError, match="19 rows but there are 20 archs"):
        p.fit(archs, y, {proxy_key("synflow"): np.zeros(19), proxy_key("jacov"): np.zeros(20)})
    with pytest.raises(MissingInfoError, match="zen_x"):
        task_info(nb201.task, [0, 1], DataNeeds(proxies=("zen_x",)))


def test_hyper_parameters_stored_as_given_and_clone() -> None:
    kw = {"encoding_kw": {"max_paths": 40}, "epochs": 7, "ensemble_size": 2}
    p = make_predictor("bananas", encoding="path", seed=3, **kw)
    params = p.get_params()
    assert params["encoding"] == "path" and params["seed"] == 3 and params["epochs"] == 7
    assert params["encoding_kw"] is kw["encoding_kw"]
    assert clone(p).get_params()["encoding_kw"] == {"max_paths": 40}
    assert not [k for k in vars(p) if k.endswith("_")]  # nothing learned before fit
    with pytest.raises(TypeError, match="no hyper-parameter"):
        make_predictor("rf", n_layers=3)
    with pytest.raises(TypeError, match="takes no encoding"):
        make_predictor("zc", encoding="path")
    with pytest.raises(KeyError, match="unknown predictor 'nope'"):
        make_predictor("nope")


def test_query_before_fit_and_base_class() -> None:
    with pytest.raises(RuntimeError, match="not fitted"):
        make_predictor("xgb").query([NasBench201Arch.from_key("(2, 2, 2, 2, 2, 2)")])
    with pytest.raises(NotImplementedError, match="does not implement fit"):
        Predictor().fit([], np.zeros(0))
    with pytest.raises(NotImplementedError, match="query_dist"):
        ProbabilisticPredictor().query([])


def test_seeded_determinism_and_no_global_state(nb201: NB201Split) -> None:
    archs, y = nb201.pick(nb201.train[:60]), nb201.y[nb201.train[:60]]
    query = nb201.pick(nb201.test[:30])
    state = torch.get_rng_state()
    a = make_predictor("mlp", seed=5, epochs=5).fit(archs, y).query(query)
    assert torch.equal(state, torch.get_rng_state())  # training forks torch's RNG
    b = make_predictor("mlp", seed=5, epochs=5).fit(archs, y).query(query)
    c = make_predictor("mlp", seed=6, epochs=5).fit(archs, y).query(query)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_dags_accepted_like_archs(nb201: NB201Split) -> None:
    archs, y = nb201.pick(nb201.train[:50]), nb201.y[nb201.train[:50]]
    query = nb201.pick(nb201.test[:20])
    by_arch = make_predictor("rf", seed=0).fit(archs, y).query(query)
    dags = make_predictor("rf", seed=0).fit([a.to_dag() for a in archs], y)
    np.testing.assert_array_equal(by_arch, dags.query([a.to_dag() for a in query]))


def test_tuning_picks_from_cross_validation(nb201: NB201Split) -> None:
    archs, y = nb201.pick(nb201.train[:90]), nb201.y[nb201.train[:90]]
    p = make_predictor("xgb", seed=0, tune=True, tune_trials=4, tune_folds=3, n_estimators=50)
    p.fit(archs, y)
    assert len(p.tune_results_) == 4
    assert p.tune_results_[0][0]["n_estimators"] == 50  # the defaults are tried first
    best = max(score for _, score in p.tune_results_)
    assert p.params_ in [params for params, score in p.tune_results_ if score == best]
    assert np.isfinite(p.query(nb201.pick(nb201.test[:20]))).all()


def test_bad_targets() -> None:
    arch = NasBench201Arch.from_key("(2, 2, 2, 2, 2, 2)")
    with pytest.raises(ValueError, match="finite"):
        make_predictor("rf").fit([arch, arch], [1.0, np.nan])
    with pytest.raises(ValueError, match="2 archs but 3 targets"):
        make_predictor("rf").fit([arch, arch], [1.0, 2.0, 3.0])


def test_pairwise_loss_by_hand() -> None:
    from naspred.errors import InvalidInputError
    from naspred.predictors._losses import get_loss, pairwise_logistic_loss

    # one ordered pair (target 1 > 0) predicted the wrong way round by 1: log(1 + e)
    loss = pairwise_logistic_loss(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 0.0]))
    assert float(loss) == pytest.approx(np.log1p(np.e))
    # ties give no pair; three ordered pairs, all predicted right by 2: log(1 + e^-2)
    pred, target = torch.tensor([4.0, 2.0, 2.0, 0.0]), torch.tensor([3.0, 2.0, 2.0, 1.0])
    pairs = [(0, 1), (0, 2), (0, 3), (1, 3), (2, 3)]
    by_hand = np.mean([np.log1p(np.exp(-(pred[i] - pred[j]).item())) for i, j in pairs])
    assert float(pairwise_logistic_loss(pred, target)) == pytest.approx(by_hand)
    # only the order of the targets matters, and a batch without an order has loss 0
    assert float(pairwise_logistic_loss(pred, target * 10 - 5)) == pytest.approx(by_hand)
    flat = pairwise_logistic_loss(pred.requires_grad_(), torch.ones(4))
    assert float(flat) == 0.0 and flat.requires_grad
    with pytest.raises(InvalidInputError, match="loss must be one of"):
        get_loss("huber")


def test_hinge_loss_by_hand() -> None:
    from naspred.errors import InvalidInputError
    from naspred.predictors._losses import get_loss

    hinge = get_loss("hinge")
    # pairs (0, 1), (0, 2), (0, 3), (1, 3), (2, 3) with differences 0.05, -1, 0.5, 0.45, 1.5:
    # margin 0.1 leaves 0.05, 1.1, 0, 0, 0
    pred, target = torch.tensor([1.0, 0.95, 2.0, 0.5]), torch.tensor([3.0, 2.0, 2.0, 1.0])
    assert float(hinge(pred, target)) == pytest.approx((0.05 + 1.1) / 5)
    # its margin is a parameter: at 0, only the wrongly ordered pair costs
    assert float(get_loss("hinge", margin=0.0)(pred, target)) == pytest.approx(1.0 / 5)
    # only the order of the targets matters, and a batch without an order has loss 0
    assert float(hinge(pred, target * 10 - 5)) == pytest.approx((0.05 + 1.1) / 5)
    flat = hinge(pred.requires_grad_(), torch.ones(4))
    assert float(flat) == 0.0 and flat.requires_grad
    with pytest.raises(InvalidInputError, match="margin must be >= 0"):
        get_loss("hinge", margin=-0.1)
    with pytest.raises(InvalidInputError, match="applies to loss='hinge' only"):
        get_loss("mse", margin=0.1)


@pytest.mark.parametrize(
    ("name", "fast"), [("mlp", {"epochs": 30, "batch_size": 32}), ("gcn", {"epochs": 40})]
)
def test_pairwise_ranking_loss_ranks(name: str, fast: dict, nb201: NB201Split, random_tau) -> None:
    p = make_predictor(name, seed=0, loss="pairwise", **fast)
    p.fit(nb201.pick(nb201.train), nb201.y[nb201.train])
    tau = kendall(nb201.y[nb201.test], p.query(nb201.pick(nb201.test)))
    # measured on this split: mlp 0.650 (0.652 with its l1 loss), gcn 0.680 (0.467 with
    # mse at these 40 epochs)
    assert tau > random_tau + 0.25 and tau > 0.55, f"{name}: tau {tau:.3f}"


def test_batched_ensemble_equals_members_trained_one_by_one(nb201: NB201Split) -> None:
    from naspred.predictors._nn import predict_network, train_network, train_networks

    rng = np.random.default_rng(0)
    X, z = rng.normal(size=(70, 12)).astype(np.float32), rng.normal(size=70)
    together = train_networks(X, z, [8, 8], seeds=[3, 4, 5], epochs=5, batch_size=16)
    for seed, member in zip([3, 4, 5], together, strict=True):
        alone = train_network(X, z, [8, 8], seed=seed, epochs=5, batch_size=16)
        np.testing.assert_allclose(predict_network(member, X), predict_network(alone, X), atol=1e-6)
    # BANANAS' members are the MLPs of seeds seed + i on the same encoding
    archs, y = nb201.pick(nb201.train[:60]), nb201.y[nb201.train[:60]]
    test = nb201.pick(nb201.test[:40])
    ens = make_predictor("bananas", seed=7, ensemble_size=3, epochs=5).fit(archs, y)
    mean, _ = ens.query_dist(test)
    singles = [
        make_predictor("mlp", seed=7 + i, encoding="path", epochs=5).fit(archs, y).query(test)
        for i in range(3)
    ]
    np.testing.assert_allclose(mean, np.mean(singles, axis=0), rtol=1e-5)
