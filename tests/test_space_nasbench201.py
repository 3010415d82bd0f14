"""NAS-Bench-201 space: keys, isomorphism classes, networks, sampling, complexity."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import stats

from naspred.spaces import ArchKeyError, get_space
from naspred.spaces import nasbench201 as nb
from naspred.spaces.nasbench201 import OPS, NasBench201Arch, NasBench201Space

SPACE = NasBench201Space()
DATASETS = ("cifar10", "cifar100", "ImageNet16-120")


@pytest.fixture(scope="module")
def records(suite_zero_dir: Path) -> dict:
    path = suite_zero_dir / "zc_nasbench201.json"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    with path.open() as f:
        return json.load(f)["nasbench201"]


# ---- keys -----------------------------------------------------------------------


def test_registry_gives_this_space() -> None:
    space = get_space("nasbench201")
    assert isinstance(space, NasBench201Space)
    assert (space.C, space.N) == (16, 5)
    assert space.from_key("(2, 0, 2, 3, 3, 2)") == NasBench201Arch((2, 0, 2, 3, 3, 2))


def test_every_stored_key_round_trips(records: dict) -> None:
    assert set(records) >= {"cifar10", "cifar100"}
    for dataset in ("cifar10", "cifar100"):
        keys = list(records[dataset])
        assert len(keys) == 15_625
        archs = {NasBench201Arch.from_key(k) for k in keys}
        assert len(archs) == 15_625
        for key in keys:
            assert NasBench201Arch.from_key(key).to_key() == key


def test_all_archs_are_the_stored_archs(records: dict) -> None:
    archs = SPACE.all_archs()
    assert len(archs) == 15_625 == len(set(archs))
    assert {a.to_key() for a in archs} == set(records["cifar10"])


def test_key_and_nb201_string_of_a_known_cell() -> None:
    arch = NasBench201Arch.from_key("(2, 0, 2, 3, 3, 2)")
    assert arch.edge_ops() == (
        "nor_conv_3x3",
        "skip_connect",
        "nor_conv_3x3",
        "nor_conv_1x1",
        "nor_conv_1x1",
        "nor_conv_3x3",
    )
    text = (
        "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|"
        "+|nor_conv_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|"
    )
    assert arch.to_nb201_string() == text
    assert NasBench201Arch.from_nb201_string(text) == arch


def test_nb201_string_round_trips_for_every_arch() -> None:
    strings = set()
    for arch in SPACE.all_archs():
        text = arch.to_nb201_string()
        strings.add(text)
        assert NasBench201Arch.from_nb201_string(text) == arch
    assert len(strings) == 15_625


@pytest.mark.parametrize(
    "key",
    [
        "(2, 0, 2, 3, 3)",
        "(2, 0, 2, 3, 3, 2, 1)",
        "(2, 0, 2, 3, 3, 5)",
        "(2,0,2,3,3,2)",
        "[2, 0, 2, 3, 3, 2]",
        "(2, 0, 2, 3, 3, -1)",
        "",
    ],
)
def test_bad_keys_raise_with_the_key_and_format(key: str) -> None:
    with pytest.raises(ArchKeyError, match="expected") as err:
        NasBench201Arch.from_key(key)
    assert repr(key) in str(err.value)


@pytest.mark.parametrize(
    "text",
    [
        "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|",
        "|conv~0|+|skip_connect~0|none~1|+|none~0|none~1|none~2|",
        "|none~1|+|skip_connect~0|none~1|+|none~0|none~1|none~2|",
        "|none~0|+|skip_connect~0|skip_connect~0|+|none~0|none~1|none~2|",
        "none~0+|skip_connect~0|none~1|+|none~0|none~1|none~2|",
    ],
)
def test_bad_nb201_strings_raise(text: str) -> None:
    with pytest.raises(ArchKeyError, match="arch string"):
        NasBench201Arch.from_nb201_string(text)


def test_arch_validates_and_normalises_ops() -> None:
    assert NasBench201Arch(np.array([2, 0, 2, 3, 3, 2])) == NasBench201Arch((2, 0, 2, 3, 3, 2))
    assert hash(NasBench201Arch([1] * 6)) == hash(NasBench201Arch((1,) * 6))
    with pytest.raises(ArchKeyError):
        NasBench201Arch((0, 1, 2, 3, 4))
    with pytest.raises(ArchKeyError):
        NasBench201Arch((0, 1, 2, 3, 4, 5))


# ---- isomorphism ----------------------------------------------------------------


def test_nb201_convention_gives_the_papers_6466_unique_cells() -> None:
    archs = SPACE.all_archs()
    canon = {a.canonical() for a in archs}
    assert len(canon) == 6_466
    assert len({a.isomorphism_key() for a in archs}) == 6_466
    # the representative is a member of its own class and its own canonical form
    for arch in archs[::7]:
        rep = arch.canonical()
        assert rep.isomorphism_key() == arch.isomorphism_key()
        assert rep.canonical() == rep
        assert rep.ops <= arch.ops


def test_functional_convention_merges_further() -> None:
    archs = SPACE.all_archs()
    assert len({a.canonical("functional") for a in archs}) == 4_930
    with pytest.raises(ValueError, match="nb201, functional"):
        archs[0].isomorphism_key("exact")


def test_edges_behind_a_none_edge_do_not_matter() -> None:
    # (1,2) none makes node 2 zero, so the ops on (2,3) and (2,4) cannot reach the output
    dead = {NasBench201Arch((1, 2, 3, a, b, 2)).canonical() for a in range(5) for b in range(5)}
    assert len(dead) == 1
    # with a conv on (1,2) every choice on (2,3) and (2,4) gives a different network
    live = {NasBench201Arch((2, 2, 3, a, b, 2)).canonical() for a in range(5) for b in range(5)}
    assert len(live) == 25


def test_parallel_edges_commute() -> None:
    # (1,2) skip makes node 2 equal the input, so (1,3) and (2,3) are parallel edges
    assert NasBench201Arch((0, 2, 1, 3, 1, 2)).canonical() == (
        NasBench201Arch((0, 3, 1, 2, 1, 2)).canonical()
    )
    # a conv on (1,2) makes them different
    assert NasBench201Arch((2, 2, 1, 3, 1, 2)).canonical() != (
        NasBench201Arch((2, 3, 1, 2, 1, 2)).canonical()
    )


def _cell_output(arch: NasBench201Arch, x: torch.Tensor) -> torch.Tensor:
    # one weight tensor per conv kind, so two edges with the same op compute the
    # same function: the model under which cells are isomorphic
    cell = nb.NasBench201Cell(arch, x.shape[1])
    for m in cell.modules():
        if isinstance(m, torch.nn.Conv2d):
            gen = torch.Generator().manual_seed(m.kernel_size[0])
            m.weight.data = torch.randn(m.weight.shape, generator=gen)
    with torch.no_grad():
        return cell(x).flatten()


def test_cells_of_one_class_compute_one_function() -> None:
    # (the converse needs untied weights matched through the isomorphism: with
    # tied weights, avg pooling's linearity and BN's scale invariance make some
    # different classes coincide, e.g. conv(a + a) and conv(a))
    x = torch.randn(2, 4, 5, 5, generator=torch.Generator().manual_seed(0))
    classes: dict[str, list[NasBench201Arch]] = {}
    for arch in SPACE.all_archs():
        classes.setdefault(arch.isomorphism_key("functional"), []).append(arch)
    rng = np.random.default_rng(0)
    seeds = rng.choice(SPACE.all_archs(), size=30, replace=False)
    compared = 0
    for seed in seeds:
        members = classes[seed.isomorphism_key("functional")]
        picked = [members[i] for i in rng.permutation(len(members))[:4]]
        first = _cell_output(picked[0], x)
        for other in picked[1:]:
            torch.testing.assert_close(_cell_output(other, x), first, atol=1e-5, rtol=1e-5)
            compared += 1
    assert compared > 50


def test_cells_with_zero_output_score_chance_accuracy(records: dict) -> None:
    # a real check of the edge order: cells whose output is always zero must be at
    # chance level, every other cell learns something
    chance = {"cifar10": 10.0, "cifar100": 1.0}
    for dataset, level in chance.items():
        zero, other = [], []
        for key, rec in records[dataset].items():
            arch = NasBench201Arch.from_key(key)
            dead = arch.isomorphism_key("functional") == "()"
            (zero if dead else other).append(rec["val_accuracy"])
        assert len(zero) == 341
        assert np.allclose(zero, level, atol=1e-6)
        assert min(other) > 2 * level


# ---- DAG view -------------------------------------------------------------------


def test_dag_view() -> None:
    dag = NasBench201Arch((2, 0, 2, 3, 3, 2)).to_dag()
    assert dag.ops == (
        "input",
        "nor_conv_3x3",
        "skip_connect",
        "nor_conv_3x3",
        "nor_conv_1x1",
        "nor_conv_1x1",
        "nor_conv_3x3",
        "output",
    )
    assert dag.op_names == ("input", *OPS, "output") == NasBench201Space.op_names
    expected = np.zeros((8, 8), dtype=int)
    # input -> ops leaving cell node 1; ops into node 2 -> ops leaving node 2; etc.
    for src, dst in [(0, 1), (0, 2), (0, 3), (1, 4), (1, 5), (2, 6), (4, 6)]:
        expected[src, dst] = 1
    for src in (3, 5, 6):  # ops entering cell node 4 feed the output
        expected[src, 7] = 1
    np.testing.assert_array_equal(dag.adjacency, expected)


# ---- networks -------------------------------------------------------------------


@pytest.mark.parametrize("dataset", DATASETS)
def test_build_forward_backward(dataset: str) -> None:
    torch.manual_seed(0)
    n_classes = {"cifar10": 10, "cifar100": 100, "ImageNet16-120": 120}[dataset]
    shape = {"ImageNet16-120": (3, 16, 16)}.get(dataset, (3, 32, 32))
    assert SPACE.num_classes(dataset) == n_classes
    assert SPACE.input_shape(dataset) == shape
    for ops in [(2, 0, 2, 3, 3, 2), (4, 4, 4, 4, 4, 4), (1, 1, 1, 1, 1, 1), (0, 3, 1, 4, 2, 0)]:
        net = SPACE.build_network(NasBench201Arch(ops), dataset)
        x = torch.randn(2, *shape)
        logits = net(x)
        assert logits.shape == (2, n_classes)
        logits.logsumexp(1).sum().backward()
        grads = [p.grad for p in net.parameters()]
        assert all(g is not None and torch.isfinite(g).all() for g in grads)
        assert net.classifier.bias.grad.abs().sum() > 0
        # a cell that outputs zeros starves everything before the classifier
        starved = ops == (1, 1, 1, 1, 1, 1)
        assert (net.stem[0].weight.grad.abs().sum() == 0) == starved


def test_network_structure_and_hyper_parameters() -> None:
    net = NasBench201Space(C=8, N=2).build_network(NasBench201Arch((2,) * 6), "cifar10")
    cells = [m for m in net.cells if isinstance(m, nb.NasBench201Cell)]
    blocks = [m for m in net.cells if isinstance(m, nb.ResNetBasicBlock)]
    assert (len(cells), len(blocks)) == (6, 2)
    assert [c.edges[0][1].in_channels for c in cells] == [8, 8, 16, 16, 32, 32]
    assert net.classifier.in_features == 32
    assert net(torch.randn(1, 3, 32, 32)).shape == (1, 10)


def test_a_few_sgd_steps_fit_a_real_batch(shared_data: Path) -> None:
    path = shared_data / "cifar10_sample.npz"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    torch.manual_seed(0)
    data = np.load(path)
    x = torch.from_numpy(data["train_x"][:16, :, ::2, ::2]).float().div(255)
    y = torch.from_numpy(data["train_y"][:16]).long()
    space = NasBench201Space(C=8, N=1)
    net = space.build_network(NasBench201Arch((2, 0, 2, 3, 3, 2)), "cifar10")
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(10):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_unknown_dataset_lists_the_known_ones() -> None:
    arch = NasBench201Arch((2,) * 6)
    for call in (
        lambda: SPACE.build_network(arch, "imagenet"),
        lambda: SPACE.input_shape("mnist"),
        lambda: SPACE.num_classes("mnist"),
        lambda: SPACE.complexity(arch, "cifar1000"),
    ):
        with pytest.raises(ValueError, match="cifar10, cifar100, ImageNet16-120"):
            call()


# ---- sampling and neighbourhoods -------------------------------------------------


def test_sampling_is_seeded() -> None:
    assert SPACE.sample_many(20, seed=3) == SPACE.sample_many(20, seed=3)
    assert SPACE.sample_many(20, seed=3) != SPACE.sample_many(20, seed=4)


def test_sampling_is_uniform() -> None:
    samples = np.array([a.ops for a in SPACE.sample_many(5_000, seed=0)])
    # every edge draws each op equally often
    for edge in range(6):
        counts = np.bincount(samples[:, edge], minlength=5)
        assert stats.chisquare(counts).pvalue > 1e-3
    # pairs of edges are independent and uniform: 25 cells per pair
    for a, b in itertools.combinations(range(6), 2):
        counts = np.bincount(samples[:, a] * 5 + samples[:, b], minlength=25)
        assert stats.chisquare(counts).pvalue > 1e-4
    # the number of conv edges follows Binomial(6, 2/5), as it must for uniform cells
    n_conv = np.isin(samples, (2, 3)).sum(1)
    expected = stats.binom.pmf(np.arange(7), 6, 0.4) * len(samples)
    observed = np.bincount(n_conv, minlength=7)
    assert stats.chisquare(observed, expected).pvalue > 1e-3


def test_neighbours() -> None:
    arch = NasBench201Arch((2, 0, 2, 3, 3, 2))
    nbrs = SPACE.neighbours(arch)
    assert len(nbrs) == 24 == len(set(nbrs))
    assert arch not in nbrs
    for other in nbrs:
        assert isinstance(other, NasBench201Arch)
        assert sum(a != b for a, b in zip(arch.ops, other.ops, strict=True)) == 1
    # each edge gets each of its four other ops once
    changed = Counter(next(i for i in range(6) if arch.ops[i] != o.ops[i]) for o in nbrs)
    assert changed == dict.fromkeys(range(6), 4)


def test_mutate_is_a_seeded_neighbour() -> None:
    arch = NasBench201Arch((4, 1, 0, 2, 3, 1))
    nbrs = set(SPACE.neighbours(arch))
    rng = np.random.default_rng(7)
    mutants = [SPACE.mutate(arch, rng) for _ in range(200)]
    assert set(mutants) <= nbrs and len(set(mutants)) > 15
    rng2 = np.random.default_rng(7)
    assert mutants[:10] == [SPACE.mutate(arch, rng2) for _ in range(10)]


# ---- complexity -----------------------------------------------------------------


def test_params_and_flops_match_every_stored_record(records: dict) -> None:
    checked = 0
    for dataset in ("cifar10", "cifar100"):
        for key, rec in records[dataset].items():
            if "flops" not in rec:
                continue
            params, flops = SPACE.complexity(NasBench201Arch.from_key(key), dataset)
            assert params == pytest.approx(rec["params"]["score"], rel=5e-3, abs=1e-6), key
            assert flops == pytest.approx(rec["flops"]["score"], rel=2e-2, abs=1e-6), key
            # the convention is reproduced exactly, not just within tolerance
            assert round(params * 1e6) == round(rec["params"]["score"] * 1e6), key
            assert round(flops * 1e6) == round(rec["flops"]["score"] * 1e6), key
            checked += 1
    assert checked == 2 * 491


def _full_count(space: NasBench201Space, ops: tuple[int, ...], dataset: str) -> tuple[int, int]:
    net = space.build_network(NasBench201Arch(ops), dataset)
    return nb.network_complexity(net, space.input_shape(dataset))


@pytest.mark.parametrize("dataset", DATASETS)
def test_complexity_equals_the_count_of_the_whole_built_network(dataset: str) -> None:
    for ops in [(2, 0, 2, 3, 3, 2), (4, 1, 4, 0, 2, 3), (1, 1, 1, 1, 1, 1)]:
        params, flops = SPACE.complexity(NasBench201Arch(ops), dataset)
        assert (round(params * 1e6), round(flops * 1e6)) == _full_count(SPACE, ops, dataset)
    # other hyper-parameters too
    small = NasBench201Space(C=8, N=2)
    params, flops = small.complexity(NasBench201Arch((2, 3, 4, 0, 1, 2)), dataset)
    assert (round(params * 1e6), round(flops * 1e6)) == _full_count(
        small, (2, 3, 4, 0, 1, 2), dataset
    )


def test_complexity_depends_only_on_the_op_multiset() -> None:
    # count whole built networks (no memo) for cells with equal multisets
    groups = [
        [(2, 0, 2, 3, 3, 2), (3, 2, 3, 2, 2, 0), (0, 2, 2, 2, 3, 3)],
        [(4, 1, 1, 0, 2, 4), (1, 4, 0, 4, 1, 2)],
    ]
    for group in groups:
        assert len({_full_count(SPACE, ops, "cifar10") for ops in group}) == 1
    # and different multisets differ
    a = SPACE.complexity(NasBench201Arch((2, 0, 2, 3, 3, 2)), "cifar10")
    b = SPACE.complexity(NasBench201Arch((3, 0, 2, 3, 3, 2)), "cifar10")
    assert a[0] > b[0] and a[1] > b[1]


def test_complexity_known_values_and_datasets() -> None:
    none = NasBench201Arch((1,) * 6)
    params, flops = SPACE.complexity(none, "cifar10")
    # stem, two ResNet blocks, last BN and classifier: 73,306 parameters
    assert round(params * 1e6) == 73_306
    # ImageNet16-120 differs in the classifier (120 classes) and in resolution (16x16)
    params_in, flops_in = SPACE.complexity(none, "ImageNet16-120")
    assert round((params_in - params) * 1e6) == 110 * 64 + 110
    assert flops_in < flops / 3


def test_all_archs_cost_210_evaluations() -> None:
    space = NasBench201Space()
    nb._multiset_complexity.cache_clear()
    values = {space.complexity(arch, "cifar100") for arch in space.all_archs()}
    info = nb._multiset_complexity.cache_info()
    assert (info.misses, info.hits) == (210, 15_625 - 210)
    # skip and none cost nothing, so only the counts of conv3x3, conv1x1 and
    # pool edges matter: C(6 + 3, 3) = 84 distinct values
    assert len(values) == 84


# ---- NAS-Bench-360 datasets ---------------------------------------------------------------


@pytest.mark.parametrize("dataset", ["svhn", "scifar100", "ninapro"])
def test_nb360_records_are_reproduced_by_our_networks(shared_data: Path, dataset: str) -> None:
    # Suite-Zero's NB201 records on NAS-Bench-360's datasets fix each dataset's class
    # count (params) and input shape (FLOPs): ninapro's one input plane and 18 gestures,
    # scifar100's 60x60 projections
    path = shared_data / "suite_zero_nb360" / "zc_nasbench201.json"
    if not path.is_file():
        pytest.skip(f"NB360 records not found at {path}")
    records = json.loads(path.read_text())["nasbench201"][dataset]
    space = NasBench201Space()
    assert len(records) == 199
    for key, record in records.items():
        params, flops = space.complexity(space.from_key(key), dataset)
        assert params == pytest.approx(record["params"]["score"], abs=1e-6), key
        assert flops == pytest.approx(record["flops"]["score"], abs=1e-6), key
    # the memoised counts are those of the network built for the dataset
    key = next(iter(records))
    net = space.build_network(space.from_key(key), dataset)
    shape = space.input_shape(dataset)
    assert nb.network_complexity(net, shape) == (
        round(records[key]["params"]["score"] * 1e6),
        round(records[key]["flops"]["score"] * 1e6),
    )
    logits = net(torch.randn(2, *shape))
    assert logits.shape == (2, space.num_classes(dataset))
