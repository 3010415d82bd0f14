"""TransNAS-Bench-101 micro and macro spaces: keys, enumeration, canonical form,
DAG view, sampling, neighbourhoods and the task networks."""

from __future__ import annotations

import json
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import stats

from naspred.spaces import ArchKeyError, get_space
from naspred.spaces.complexity import count_params
from naspred.spaces.transnas import (
    MICRO_OPS,
    TASKS,
    TransNasMacroArch,
    TransNasMacroSpace,
    TransNasMicroArch,
    TransNasMicroSpace,
)

MICRO, MACRO = "transbench101_micro", "transbench101_macro"


@lru_cache(maxsize=2)
def _records(path: Path, space: str) -> dict:
    with open(path / f"zc_{space}.json") as f:
        return json.load(f)[space]


@pytest.fixture(scope="module")
def micro_records(suite_zero_dir: Path) -> dict:
    return _records(suite_zero_dir, MICRO)


@pytest.fixture(scope="module")
def macro_records(suite_zero_dir: Path) -> dict:
    return _records(suite_zero_dir, MACRO)


@pytest.fixture(autouse=True)
def _one_thread():
    # the CI box is shared; one thread keeps the network tests from fighting
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


# ----------------------------------------------------------------- keys and strings


def test_registry_gives_the_spaces():
    assert isinstance(get_space(MICRO), TransNasMicroSpace)
    assert isinstance(get_space(MACRO), TransNasMacroSpace)


@pytest.mark.parametrize("space", [MICRO, MACRO])
def test_every_file_key_round_trips(space, suite_zero_dir):
    records = _records(suite_zero_dir, space)
    sp = get_space(space)
    assert set(records) == {"jigsaw", "class_object"}
    for dataset, recs in records.items():
        for key in recs:
            arch = sp.from_key(key)
            assert arch.to_key() == key, (dataset, key)
            assert type(arch).from_bench_string(arch.to_bench_string()) == arch


@pytest.mark.parametrize("space", [MICRO, MACRO])
def test_enumeration_equals_the_file_keys(space, suite_zero_dir):
    records = _records(suite_zero_dir, space)
    keys = {a.to_key() for a in get_space(space).all_archs()}
    assert len(keys) == {MICRO: 4096, MACRO: 3256}[space]
    for recs in records.values():
        assert len(recs) == len(keys)
        assert set(recs) <= keys
        assert set(recs) == keys


def test_bench_strings():
    # the benchmark README's examples
    a = TransNasMicroArch.from_bench_string("64-41414-1_02_333")
    assert a.ops == (1, 0, 2, 3, 3, 3)
    assert a.to_key() == "(1, 0, 2, 3, 3, 3)"
    # node1 = skip(node0); node2 = none(node0) + conv1x1(node1); node3 = 3 x conv3x3
    assert a.to_dag().ops == (
        "input",
        "skip_connect",
        "none",
        "conv_1x1",
        "conv_3x3",
        "conv_3x3",
        "conv_3x3",
        "output",
    )
    assert TransNasMicroArch.from_key("(3, 2, 3, 0, 2, 3)").to_bench_string() == "64-41414-3_23_023"
    m = TransNasMacroArch.from_bench_string("64-1234-basic")
    assert m.codes == (1, 2, 3, 4)
    assert TransNasMacroArch.from_key("(4, 4, 2, 1, 3)").to_bench_string() == "64-44213-basic"


@pytest.mark.parametrize(
    "cls, key",
    [
        (TransNasMicroArch, "(3, 2, 3, 0, 2)"),
        (TransNasMicroArch, "(3, 2, 3, 0, 2, 4)"),
        (TransNasMicroArch, "(3, 2, 3, 0, 2, 3.0)"),
        (TransNasMicroArch, "3, 2, 3, 0, 2, 3)"),
        (TransNasMacroArch, "(1, 1, 1, 1)"),  # no stride-2, no channel x2 layer
        (TransNasMacroArch, "(4, 4, 4, 4, 1)"),  # 4 channel doublings
        (TransNasMacroArch, "(3, 3, 3, 3, 3, 2)"),  # 5 stride-2 layers
        (TransNasMacroArch, "(2, 3)"),
        (TransNasMacroArch, "(2, 3, 1, 1, 1, 1, 1)"),
        (TransNasMacroArch, "(2, 3, 1, 5)"),
    ],
)
def test_bad_keys_raise_with_the_key_named(cls, key):
    with pytest.raises(ArchKeyError, match="expected"):
        cls.from_key(key)


@pytest.mark.parametrize(
    "cls, s", [(TransNasMicroArch, "64-41414-3_33_33"), (TransNasMacroArch, "64-1111-basic")]
)
def test_bad_bench_strings_raise(cls, s):
    with pytest.raises(ArchKeyError):
        cls.from_bench_string(s)


# ----------------------------------------------------------------- op semantics vs data


def test_digit_zero_is_none_per_the_records(micro_records):
    """Reading digit 0 as ``none`` (benchmark semantics, edges grouped by target),
    every cell with no input->output path gives one and the same network output,
    so one accuracy; the records show exactly that for all 169 such keys."""
    for dataset, recs in micro_records.items():
        dead = {
            k: v["val_accuracy"]
            for k, v in recs.items()
            if TransNasMicroArch.from_key(k).canonical().ops == (0,) * 6
        }
        assert len(dead) == 169, dataset
        assert len(set(dead.values())) == 1, dataset
        alive = [v["val_accuracy"] for k, v in recs.items() if k not in dead]
        assert min(alive) < next(iter(dead.values())) < max(alive)


# ----------------------------------------------------------------- canonical form


def test_micro_canonical_removes_edges_cut_off_by_none():
    # node 2 feeds nothing (edge 2->3 is none): its in-edges are dead
    a = TransNasMicroArch((2, 3, 1, 0, 3, 0))
    b = TransNasMicroArch((2, 1, 3, 0, 3, 0))
    c = TransNasMicroArch((2, 0, 0, 0, 3, 0))
    assert a.live_edges() == (True, False, False, False, True, False)
    # pruned to c, whose free nodes 1 and 2 then swap to the smaller digit tuple
    assert a.canonical() == b.canonical() == c.canonical() == TransNasMicroArch((0, 2, 0, 0, 0, 3))
    # node 1 is fed only by none: its out-edges are dead
    d = TransNasMicroArch((0, 3, 2, 1, 3, 2))
    assert d.canonical() == TransNasMicroArch((0, 3, 0, 1, 0, 2))
    # no input->output path at all: everything is none
    assert TransNasMicroArch((3, 3, 3, 0, 0, 0)).canonical().ops == (0,) * 6
    # a fully live cell is its own representative
    full = TransNasMicroArch((3, 2, 3, 1, 2, 3))
    assert full.canonical() == full


def test_micro_canonical_swaps_the_free_intermediate_nodes():
    # with edge 1->2 none, nodes 1 and 2 are interchangeable
    a = TransNasMicroArch((3, 2, 0, 1, 2, 3))
    b = TransNasMicroArch((2, 3, 0, 1, 3, 2))
    assert a.canonical() == b.canonical() == b
    # with edge 1->2 present they are not
    assert (
        TransNasMicroArch((3, 2, 1, 1, 2, 3)).canonical()
        != TransNasMicroArch((2, 3, 1, 1, 3, 2)).canonical()
    )


def test_micro_canonical_classes_over_the_space():
    reps = [a.canonical() for a in TransNasMicroSpace().all_archs()]
    assert len(set(reps)) == 1948
    assert all(r.canonical() == r for r in set(reps))


def test_macro_is_its_own_canonical_form():
    for a in TransNasMacroSpace().all_archs()[:200]:
        assert a.canonical() is a


# ----------------------------------------------------------------- DAG view


def test_micro_dag():
    dag = TransNasMicroArch((3, 2, 3, 0, 2, 3)).to_dag()
    assert dag.n_nodes == 8
    assert dag.ops[1:7] == ("conv_3x3", "conv_1x1", "conv_3x3", "none", "conv_1x1", "conv_3x3")
    assert dag.op_names == ("input", *MICRO_OPS, "output")
    # input feeds edges out of node 0; edges into node 3 feed the output
    assert dag.adjacency[0].tolist() == [0, 1, 1, 0, 1, 0, 0, 0]
    assert dag.adjacency[:, 7].tolist() == [0, 0, 0, 0, 1, 1, 1, 0]
    # edge (0,1) feeds the edges leaving node 1: (1,2) and (1,3)
    assert dag.adjacency[1].tolist() == [0, 0, 0, 1, 0, 1, 0, 0]
    # edge (1,2) feeds (2,3)
    assert dag.adjacency[3].tolist() == [0, 0, 0, 0, 0, 0, 1, 0]
    assert int(dag.adjacency.sum()) == 3 + 3 + 2 + 1 + 1


def test_macro_dag_is_a_chain():
    dag = TransNasMacroArch((4, 4, 2, 1, 3)).to_dag()
    assert dag.ops == (
        "input",
        "channel_x2_stride_2",
        "channel_x2_stride_2",
        "channel_x2",
        "normal",
        "stride_2",
        "output",
    )
    assert np.array_equal(dag.adjacency, np.eye(7, k=1))


# ----------------------------------------------------------------- sampling, neighbours


@pytest.mark.parametrize("space, reps", [(MICRO, 10), (MACRO, 10)])
def test_sampling_is_uniform(space, reps):
    sp = get_space(space)
    index = {a: i for i, a in enumerate(sp.all_archs())}
    rng = np.random.default_rng(7)
    n = len(index)
    counts = np.bincount([index[sp.sample(rng)] for _ in range(reps * n)], minlength=n)
    assert counts.sum() == reps * n
    assert stats.chisquare(counts).pvalue > 1e-3


def test_sampling_is_seeded():
    sp = TransNasMacroSpace()
    assert sp.sample_many(20, seed=3) == sp.sample_many(20, seed=3)
    assert sp.sample_many(20, seed=3) != sp.sample_many(20, seed=4)


def test_micro_neighbours():
    sp = TransNasMicroSpace()
    a = TransNasMicroArch((3, 2, 3, 0, 2, 3))
    nb = sp.neighbours(a)
    assert len(nb) == 18 == len(set(nb))
    assert a not in nb
    assert all(sum(x != y for x, y in zip(n.ops, a.ops, strict=True)) == 1 for n in nb)
    rng = np.random.default_rng(0)
    assert all(sp.mutate(a, rng) in nb for _ in range(20))


def test_macro_neighbours_valid_and_different():
    sp = TransNasMacroSpace()
    valid = set(sp.all_archs())
    rng = np.random.default_rng(1)
    for a in sp.sample_many(100, seed=5):
        nb = sp.neighbours(a)
        assert nb and len(nb) == len(set(nb))
        assert a not in nb
        assert set(nb) <= valid
        for n in nb:
            assert abs(len(n.codes) - len(a.codes)) <= 1
        assert sp.mutate(a, rng) in nb
    # a concrete case: (1, 2, 3, 1) can change code, grow, and not shrink below 4 layers
    nb = set(sp.neighbours(TransNasMacroArch((1, 2, 3, 1))))
    assert TransNasMacroArch((4, 2, 3, 1)) in nb
    assert TransNasMacroArch((1, 2, 3, 1, 1)) in nb
    # changing the only channel-x2 layer to normal would leave none
    assert (1, 1, 3, 1) not in {n.codes for n in nb}
    assert all(len(n.codes) >= 4 for n in nb)


def test_macro_every_arch_is_connected_by_single_edits():
    sp = TransNasMacroSpace()
    archs = sp.all_archs()
    seen = {archs[0]}
    frontier = [archs[0]]
    while frontier:
        nxt = []
        for a in frontier:
            for n in sp.neighbours(a):
                if n not in seen:
                    seen.add(n)
                    nxt.append(n)
        frontier = nxt
    assert len(seen) == 3256


# ----------------------------------------------------------------- networks


def _input(sp, task: str, size: int) -> torch.Tensor:
    shape = sp.input_shape(task)
    if task == "jigsaw":
        return torch.randn(2, shape[0], shape[1], size, size)
    return torch.randn(2, shape[0], size, size)


def test_shapes_and_outputs():
    sp = TransNasMicroSpace()
    assert sp.input_shape("class_object") == (3, 256, 256)
    assert sp.input_shape("jigsaw") == (9, 3, 64, 64)
    assert [sp.num_outputs(t) for t in TASKS] == [47, 75, 9, 1000, 17, 3, 3]
    naslib = TransNasMacroSpace(head_sizes="naslib")
    assert (naslib.num_outputs("class_object"), naslib.num_outputs("class_scene")) == (100, 63)
    assert sp.output_shape("segmentsemantic") == (17, 256, 256)
    with pytest.raises(KeyError):
        sp.num_outputs("cifar10")


NET_CASES = [
    (MICRO, "(3, 2, 3, 0, 2, 3)", "class_object"),
    (MICRO, "(0, 0, 0, 1, 1, 1)", "class_object"),  # no path: output is constant
    (MICRO, "(1, 3, 0, 2, 1, 3)", "jigsaw"),
    (MICRO, "(2, 1, 2, 3, 0, 0)", "jigsaw"),
    (MICRO, "(3, 3, 1, 2, 1, 0)", "class_scene"),
    (MICRO, "(2, 0, 1, 1, 3, 2)", "room_layout"),
    (MICRO, "(1, 2, 3, 0, 1, 2)", "autoencoder"),
    (MICRO, "(2, 2, 0, 1, 1, 2)", "normal"),
    (MICRO, "(1, 2, 0, 2, 1, 3)", "segmentsemantic"),
    (MACRO, "(4, 4, 2, 1, 3)", "class_object"),
    (MACRO, "(1, 1, 3, 2, 4, 4)", "class_object"),
    (MACRO, "(3, 3, 3, 3, 2)", "jigsaw"),  # 4 stride-2 layers: 1x1 feature maps
    (MACRO, "(2, 1, 1, 3)", "jigsaw"),
    (MACRO, "(2, 3, 1, 2, 2)", "class_scene"),
    (MACRO, "(4, 1, 3, 3, 2, 1)", "room_layout"),
    (MACRO, "(3, 3, 3, 3, 2)", "autoencoder"),  # deepest decoder: 6 upsamplings
    (MACRO, "(2, 4, 1, 1)", "normal"),
    (MACRO, "(4, 2, 1, 3, 1, 3)", "segmentsemantic"),
]


@pytest.mark.parametrize("space, key, task", NET_CASES)
def test_build_forward_backward(space, key, task):
    sp = get_space(space)
    arch = sp.from_key(key)
    torch.manual_seed(0)
    net = sp.build_network(arch, task)
    size = 16 if task == "jigsaw" else 32
    x = _input(sp, task, size)
    y = net(x)
    n = sp.num_outputs(task)
    if task in ("autoencoder", "normal", "segmentsemantic"):
        # fully convolutional: the decoder undoes the encoder's 2 + k halvings, so the
        # output has the input's size rounded up to a multiple of 2^(2 + k)
        step = 2 ** (2 + net.encoder.n_stride2)
        out = -(-size // step) * step
        assert y.shape == (2, n, out, out)
        assert out == size or space == MACRO and key == "(3, 3, 3, 3, 2)"
    else:
        assert y.shape == (2, n)
    assert torch.isfinite(y).all()
    y.pow(2).mean().backward()
    head_grads = [p.grad for p in net.decoder.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in head_grads)
    stem_grad = net.encoder.stem[0].weight.grad
    if space == MICRO and arch.canonical().ops == (0,) * 6:
        # no input->output path: nothing reaches the stem
        assert stem_grad is None or not stem_grad.any()
    else:
        assert stem_grad is not None and stem_grad.abs().sum() > 0


def test_jigsaw_is_siamese():
    """One shared encoder per tile; features concatenated in tile order."""
    sp = TransNasMacroSpace()
    net = sp.build_network(TransNasMacroArch((2, 1, 1, 3)), "jigsaw").eval()
    x = torch.randn(2, 9, 3, 16, 16)
    with torch.no_grad():
        feats = torch.cat([net.encoder(x[:, t]).mean(dim=(2, 3)) for t in range(9)], dim=1)
        assert torch.allclose(net(x), net.decoder(feats), atol=1e-6)
        assert not torch.allclose(net(x), net(x.flip(1)), atol=1e-4)


def _basic_block_params(c_in: int, c_out: int, stride: int) -> int:
    n = 9 * c_in * c_out + 2 * c_out + 9 * c_out * c_out + 2 * c_out
    if stride != 1 or c_in != c_out:
        n += c_in * c_out + 2 * c_out
    return n


@pytest.mark.parametrize("codes", [(1, 2, 3, 4), (4, 4, 2, 1, 3), (3, 3, 3, 3, 2)])
def test_macro_param_count_matches_hand_count(codes):
    # stem: conv3x3 3->32 + BN, conv3x3 32->64 + BN
    expected = 3 * 32 * 9 + 2 * 32 + 32 * 64 * 9 + 2 * 64
    c = 64
    for code in codes:
        c_out = c * 2 if code in (2, 4) else c
        stride = 2 if code in (3, 4) else 1
        expected += _basic_block_params(c, c_out, stride) + _basic_block_params(c_out, c_out, 1)
        c = c_out
    net = TransNasMacroSpace().build_network(TransNasMacroArch(codes), "class_object")
    assert count_params(net.encoder) == expected
    assert count_params(net) == expected + c * 75 + 75


def test_micro_param_count_by_op():
    """All-none cells leave only the stem; each conv edge adds its weights + BN."""
    sp = TransNasMicroSpace()
    stem = 3 * 32 * 9 + 2 * 32 + 32 * 64 * 9 + 2 * 64
    empty = sp.build_network(TransNasMicroArch((0,) * 6), "room_layout")
    assert count_params(empty.encoder) == stem
    # only edge (0,3) as conv1x1: one 1x1 conv + BN per cell
    one = sp.build_network(TransNasMicroArch((0, 0, 0, 2, 0, 0)), "room_layout")
    chans = [(64, 128), (128, 128), (128, 128), (128, 128), (128, 256)]
    chans += [(256, 256), (256, 256), (256, 256), (256, 512), (512, 512)]
    assert count_params(one.encoder) == stem + sum(a * b + 2 * b for a, b in chans)


def test_micro_dead_edges_do_not_change_the_output():
    """Archs with the same canonical form compute the same function when the
    live edges share weights (here: same seed, dead edges differ only)."""
    sp = TransNasMicroSpace()
    a, b = TransNasMicroArch((2, 3, 1, 0, 3, 0)), TransNasMicroArch((2, 0, 0, 0, 3, 0))
    assert a.canonical() == b.canonical()
    net_a = sp.build_network(a, "class_scene").eval()
    net_b = sp.build_network(b, "class_scene").eval()
    # copy the live edges' weights (edges 0 and 4 of each cell) and the rest
    state_a = net_a.state_dict()
    net_b.load_state_dict({k: state_a[k] for k in net_b.state_dict()})
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(net_a(x), net_b(x), atol=1e-5)


def test_jigsaw_and_class_object_records_are_keyed_alike(micro_records, macro_records):
    # every key appears in both datasets of each file
    for recs in (micro_records, macro_records):
        keys = [set(v) for v in recs.values()]
        assert keys[0] == keys[1]
    by_len = defaultdict(int)
    for k in macro_records["jigsaw"]:
        by_len[len(TransNasMacroArch.from_key(k).codes)] += 1
    assert dict(by_len) == {4: 210, 5: 750, 6: 2296}


# ----------------------------------------------------------------- NAS-Bench-360


def test_naslib_indices_map_to_our_cells_both_ways():
    from naspred.spaces.transnas import from_naslib_indices, to_naslib_indices

    # NASLib: (0->1) Identity, (0->2) Zero, (0->3) conv3x3, (1->2) conv1x1, (1->3) conv3x3,
    # (2->3) Identity; ours in (0->1), (0->2), (1->2), (0->3), (1->3), (2->3) order
    assert from_naslib_indices((0, 1, 2, 3, 2, 0)).ops == (1, 0, 2, 3, 3, 1)
    every = TransNasMicroSpace().all_archs()
    assert all(from_naslib_indices(to_naslib_indices(a)) == a for a in every)
    assert len({to_naslib_indices(a) for a in every}) == 4096
    with pytest.raises(ArchKeyError, match="NASLib micro op indices"):
        from_naslib_indices((0, 1, 2, 4, 0, 0))


@pytest.mark.parametrize(
    ("dataset", "shape", "classes"),
    [("svhn", (3, 32, 32), 10), ("scifar100", (3, 60, 60), 100), ("ninapro", (1, 16, 52), 18)],
)
def test_nb360_network_shapes_and_hand_count(dataset, shape, classes):
    sp = TransNasMicroSpace()
    assert sp.input_shape(dataset) == shape and sp.num_outputs(dataset) == classes
    # every edge a 1x1 conv + BN: stem 3x3 conv + BN, then cells 64->128 (stride 2),
    # three at 128, 128->256 (stride 2), one at 256; the three edges out of a cell's
    # input change the channels
    net = sp.build_network(TransNasMicroArch((2,) * 6), dataset)
    cells = [(64, 128), (128, 128), (128, 128), (128, 128), (128, 256), (256, 256)]
    conv = sum(3 * (a * b + 2 * b) + 3 * (b * b + 2 * b) for a, b in cells)
    stem = shape[0] * 64 * 9 + 2 * 64
    assert count_params(net) == stem + conv + 256 * classes + classes
    x = torch.randn(2, *shape)
    out = net(x)
    assert out.shape == (2, classes)
    out.sum().backward()


def test_nb360_skips_reduce_without_affine_batchnorm():
    from naspred.spaces.transnas import _FactorizedReduce

    net = TransNasMicroSpace().build_network(TransNasMicroArch((1,) * 6), "svhn")
    reduces = [m for m in net.modules() if isinstance(m, _FactorizedReduce)]
    # the three input edges of each of the two downsampling cells
    assert len(reduces) == 6 and all(not m.bn.affine for m in reduces)
    assert (
        count_params(net)
        == 3 * 64 * 9
        + 128
        + sum(3 * 2 * (a * (b // 2)) for a, b in [(64, 128), (128, 256)])
        + 256 * 10
        + 10
    )


def test_nb360_records_are_read_and_written_in_naslib_keys(tmp_path):
    """Suite-Zero keys NB360 micro records by NASLib's op indices: naspred reads them as
    its own cells and writes its scores back under the file's keys."""
    from naspred.benchmarks.suite_zero import load_suite_zero
    from naspred.experiments.proxy_scoring import compute_task_scores, output_path

    records = {"(0, 1, 2, 3, 2, 0)": {"val_accuracy": 91.0, "params": {"score": 1.0}},
               "(3, 3, 3, 3, 3, 3)": {"val_accuracy": 93.0, "params": {"score": 2.0}}}  # fmt: skip
    path = tmp_path / "in" / "zc_transbench101_micro.json"
    path.parent.mkdir()
    path.write_text(json.dumps({MICRO: {"svhn": records, "jigsaw": records}}))
    tasks = {t.dataset: t for t in load_suite_zero(path)}
    assert tasks["svhn"].keys == ("(1, 0, 2, 3, 3, 1)", "(2, 2, 2, 2, 2, 2)")
    assert tasks["jigsaw"].keys == tuple(records)  # Taskonomy keys are the benchmark's
    out = output_path(tmp_path / "out", MICRO)
    compute_task_scores(tasks["svhn"], ["params"], out_json=out, backend="serial", progress=False)
    written = json.loads(out.read_text())[MICRO]["svhn"]
    assert set(written) == set(records)
    # the all-conv1x1 cell's live params, by the hand count above, in millions
    cells = [(64, 128), (128, 128), (128, 128), (128, 128), (128, 256), (256, 256)]
    hand = 3 * 64 * 9 + 128 + sum(3 * (a * b + 2 * b) + 3 * (b * b + 2 * b) for a, b in cells)
    assert written["(3, 3, 3, 3, 3, 3)"]["params"]["score"] == pytest.approx((hand + 2570) / 1e6)
    again = {t.dataset: t for t in load_suite_zero(out)}["svhn"]
    assert again.keys == tasks["svhn"].keys
    # a resumed run reads the file's keys back as ours: nothing is scored twice
    summary = compute_task_scores(
        tasks["svhn"], ["params"], out_json=out, backend="serial", progress=False
    )
    assert summary.scored == 0


def test_record_key_imports_a_space_only_where_its_keys_differ() -> None:
    # naspred.spaces.record_key skips the spaces outside _RECORD_KEYS_DIFFER without
    # importing them: that list must name exactly the classes that translate keys
    from naspred import spaces
    from naspred.spaces.base import SearchSpace

    differ = {
        name
        for name in spaces.space_names()
        if spaces._space_class(name).record_key.__func__ is not SearchSpace.record_key.__func__
    }
    assert differ == set(spaces._RECORD_KEYS_DIFFER)
