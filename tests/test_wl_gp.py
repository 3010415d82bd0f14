"""The Weisfeiler-Lehman GP predictor (Ru et al., ICLR 2021): its features and
kernel on hand-drawn graphs, its GP posterior, and its quality on a real task."""

from __future__ import annotations

import numpy as np
import pytest

from naspred.benchmarks import Task, load_tasks
from naspred.errors import InvalidInputError
from naspred.metrics import kendall
from naspred.predictors import make_predictor
from naspred.predictors.wl_gp import Graph, WLFeaturizer, prune_dag, wl_kernel
from naspred.spaces import get_space, space_names
from naspred.spaces.base import LabelledDAG

LC_TASK = "nasbench201/cifar10-lc"


def _dag(ops: list[str], edges: list[tuple[int, int]]) -> LabelledDAG:
    adj = np.zeros((len(ops), len(ops)), dtype=np.int8)
    for u, v in edges:
        adj[u, v] = 1
    return LabelledDAG(adj, tuple(ops))


# A: two branches, input -> conv -> output and input -> pool -> output
A = _dag(["input", "conv", "pool", "output"], [(0, 1), (0, 2), (1, 3), (2, 3)])
# B: one chain, input -> conv -> pool -> output
B = _dag(["input", "conv", "pool", "output"], [(0, 1), (1, 2), (2, 3)])
# C: two parallel convs, input -> conv -> output twice
C = _dag(["input", "conv", "conv", "output"], [(0, 1), (0, 2), (1, 3), (2, 3)])


def _graph(dag: LabelledDAG) -> Graph:
    return prune_dag(dag, zero_ops=(), identity_ops=())


def _named_counts(featurizer: WLFeaturizer, dag: LabelledDAG) -> dict[tuple[int, str], int]:
    X, _, _ = featurizer.counts([_graph(dag)])
    names = featurizer.feature_names()
    return {names[c]: int(X[0, c]) for c in np.flatnonzero(X[0])}


def test_wl_label_counts_by_hand() -> None:
    featurizer = WLFeaturizer(h=2, neighbours="out").fit([_graph(A), _graph(B)])
    # iteration i: a node's subtree of depth i along its out-edges
    assert _named_counts(featurizer, A) == {
        (0, "input"): 1,
        (0, "conv"): 1,
        (0, "pool"): 1,
        (0, "output"): 1,
        (1, "input(conv,pool)"): 1,
        (1, "conv(output)"): 1,
        (1, "pool(output)"): 1,
        (1, "output()"): 1,
        (2, "input(conv(output),pool(output))"): 1,
        (2, "conv(output())"): 1,
        (2, "pool(output())"): 1,
        (2, "output()"): 1,
    }
    assert _named_counts(featurizer, B) == {
        (0, "input"): 1,
        (0, "conv"): 1,
        (0, "pool"): 1,
        (0, "output"): 1,
        (1, "input(conv)"): 1,
        (1, "conv(pool)"): 1,
        (1, "pool(output)"): 1,
        (1, "output()"): 1,
        (2, "input(conv(pool))"): 1,
        (2, "conv(pool(output))"): 1,
        (2, "pool(output())"): 1,
        (2, "output()"): 1,
    }
    # C counts its conv twice; a label unseen in fit is in no column but in the norms
    c = WLFeaturizer(h=0).fit([_graph(A)])
    X, squares, totals = c.counts([_graph(C)])
    assert dict(zip(c.feature_names(), X[0], strict=True)) == {
        (0, "input"): 1,
        (0, "conv"): 2,
        (0, "pool"): 0,
        (0, "output"): 1,
    }
    assert squares.tolist() == [[6.0]] and totals.tolist() == [[4.0]]
    # predecessors instead: the output node sees both branches of A
    back = WLFeaturizer(h=1, neighbours="in").fit([_graph(A)])
    assert (1, "output(conv,pool)") in back.feature_names()


def test_wl_kernel_values_by_hand() -> None:
    a, b, c = _graph(A), _graph(B), _graph(C)
    # A and B share all 4 labels at iteration 0, 2 of 4 at iteration 1 and 2 at
    # iteration 2; each has 4 per iteration: k = 4 / 4, (4 + 2) / 8, (4 + 2 + 2) / 12
    for h, value in [(0, 1.0), (1, 6 / 8), (2, 8 / 12)]:
        np.testing.assert_allclose(wl_kernel([a], [b], h=h), [[value]])
    assert wl_kernel([a], [b], h=1, normalise=False).item() == 6.0
    # A vs C at h = 0: counts (1, 1, 1, 1) and (1, 2, 0, 1) over input, conv, pool, output
    np.testing.assert_allclose(wl_kernel([a], [c], h=0), [[4 / np.sqrt(4 * 6)]])
    # optimal assignment: sum of minima 3, self-similarities 4 and 4
    np.testing.assert_allclose(wl_kernel([a], [c], h=0, kernel="oa"), [[3 / 4]])
    K = wl_kernel([a, b, c], h=2)
    np.testing.assert_allclose(np.diag(K), 1.0)
    np.testing.assert_allclose(K, K.T)


def test_pruning_removes_none_and_bypasses_skips() -> None:
    # input -> skip -> conv -> output, input -> none -> output, input -> pool (dead end)
    dag = _dag(
        ["input", "skip_connect", "none", "pool", "conv", "output"],
        [(0, 1), (0, 2), (0, 3), (1, 4), (2, 5), (4, 5)],
    )
    g = prune_dag(dag, zero_ops=("none",), identity_ops=("skip_connect",))
    assert g == Graph(("input", "conv", "output"), ((1,), (2,), ()))
    # a skip straight from input to output becomes an edge
    direct = _dag(["input", "skip_connect", "output"], [(0, 1), (1, 2)])
    assert prune_dag(direct, identity_ops=("skip_connect",)).succ == ((1,), ())
    # nothing connects: input and output stay, with no edge
    cut = _dag(["input", "none", "output"], [(0, 1), (1, 2)])
    assert prune_dag(cut) == Graph(("input", "output"), ((), ()))


@pytest.fixture(scope="module")
def lc() -> tuple[Task, list, np.ndarray]:
    task = load_tasks([LC_TASK])[0]
    space = get_space(task.space)
    return task, [space.from_key(k) for k in task.keys], task.val_accuracy


def _distinct(archs: list, n: int, h: int) -> list[int]:
    """The first ``n`` archs whose WL feature vectors differ pairwise (isomorphic or
    WL-equivalent cells would make an exactly interpolating GP singular)."""
    graphs = [prune_dag(a.to_dag(), identity_ops=("skip_connect",)) for a in archs]
    X, _, _ = WLFeaturizer(h).fit(graphs).counts(graphs)
    _, first = np.unique(X, axis=0, return_index=True)
    return sorted(first.tolist())[:n]


def test_gram_symmetric_psd(lc: tuple) -> None:
    _, archs, y = lc
    p = make_predictor("wl_gp").fit(archs[:80], y[:80])
    assert p.h_ in range(4) and p.min_noise <= p.noise_ <= p.max_noise
    K = p.gram(archs[:80])
    np.testing.assert_allclose(K, K.T, atol=1e-12)
    np.testing.assert_allclose(np.diag(K), 1.0)
    assert np.linalg.eigvalsh(K).min() > -1e-9
    assert np.all(K >= 0) and np.all(K <= 1 + 1e-12)
    # between training and new archs
    cross = p.gram(archs[:5], archs[100:110])
    assert cross.shape == (5, 10) and np.all((cross >= 0) & (cross <= 1 + 1e-12))


def test_posterior_interpolates_at_tiny_noise(lc: tuple) -> None:
    _, archs, y = lc
    rows = _distinct(archs, 40, h=3)
    train = [archs[i] for i in rows]
    p = make_predictor("wl_gp", h=3, noise=1e-8).fit(train, y[rows])
    np.testing.assert_allclose(p.query(train), y[rows], atol=1e-3)
    # a large noise smooths instead
    smooth = make_predictor("wl_gp", h=3, noise=1.0).fit(train, y[rows])
    assert np.abs(smooth.query(train) - y[rows]).max() > 0.5


def test_std_shrinks_at_training_points(lc: tuple) -> None:
    _, archs, y = lc
    rows = _distinct(archs, 60, h=2)
    train = [archs[i] for i in rows]
    rest = [a for i, a in enumerate(archs[:400]) if i not in set(rows)]
    p = make_predictor("wl_gp", h=2, noise=1e-4).fit(train, y[rows])
    mean, std = p.query_dist(train)
    np.testing.assert_allclose(mean, p.query(train), rtol=1e-12)
    # at a training point: about the noise's std; elsewhere: wider
    assert np.all(std < 0.02 * p.y_scale_)
    assert std.min() >= np.sqrt(p.noise_) * p.y_scale_ * (1 - 1e-9)
    _, std_rest = p.query_dist(rest)
    assert np.median(std_rest) > 10 * np.median(std) and std_rest.max() <= p.y_scale_ * 1.01


def test_beats_random_on_the_lc_benchmark(lc: tuple) -> None:
    task, archs, y = lc
    perm = np.random.default_rng(0).permutation(len(task))
    train, test = perm[:100], perm[100:]
    p = make_predictor("wl_gp").fit([archs[i] for i in train], y[train])
    pred = p.query([archs[i] for i in test])
    assert pred.shape == (900,) and np.isfinite(pred).all()
    tau = kendall(y[test], pred)
    random_tau = kendall(y[test], np.random.default_rng(1).normal(size=len(test)))
    # measured 0.450 (h = 3); random about 0
    assert tau > 0.38 and tau > random_tau + 0.3, tau
    # in the target's units
    assert abs(np.median(pred) - np.median(y[train])) < 5


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"kernel": "rbf"}, "kernel='rbf'.*subtree or oa"),
        ({"neighbours": "up"}, "neighbours='up'"),
        ({"h": -1}, "h=-1.*'auto' or an integer"),
        ({"noise": 0.0}, "noise=0.0"),
        ({"min_noise": 1.0, "max_noise": 0.1}, "min_noise=1.0"),
    ],
)
def test_bad_hyper_parameters_are_named(lc: tuple, params: dict, match: str) -> None:
    _, archs, y = lc
    with pytest.raises(InvalidInputError, match=match):
        make_predictor("wl_gp", **params).fit(archs[:10], y[:10])


def test_spec_options() -> None:
    dags = [A, B, C] * 3
    y = np.arange(9.0)
    p = make_predictor("wl_gp:h=1,kernel=oa,zero_ops=pool,noise=0.01").fit(dags, y)
    assert p.h_ == 1 and p.noise_ == 0.01 and p.kernel == "oa"
    # pool pruned, A is input -> conv -> output: C has one conv more. Minima of the
    # counts: 3 at iteration 0 (input, conv, output), 2 at iteration 1 (conv(output),
    # output()); A has 3 + 3 labels, C 4 + 4
    np.testing.assert_allclose(p.gram([A], [C]), [[5 / np.sqrt(6 * 8)]])


@pytest.mark.parametrize("name", space_names())
def test_every_space_with_a_dag_view(name: str) -> None:
    archs = get_space(name).sample_many(40, seed=0)
    dags = [a.to_dag() for a in archs]
    y = np.array([d.n_nodes + sum("conv" in op for op in d.ops) for d in dags], dtype=float)
    p = make_predictor("wl_gp").fit(archs[:30], y[:30])
    mean, std = p.query_dist(archs[30:])
    assert mean.shape == (10,) and np.isfinite(mean).all() and np.all(std > 0)
    assert p.h_ in range(4)
