"""Encodings: widths and values on hand-made DAGs, NB201 cells and every space."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from naspred.encodings import (
    as_dag,
    encode,
    encoding_names,
    make_encoder,
    path_labels,
    to_pyg,
)
from naspred.encodings.graph_features import SUBSET_FEATURES, constrained_features, longest_path
from naspred.spaces import LabelledDAG, get_space, space_names
from naspred.spaces.nasbench201 import NasBench201Arch

VOCAB = ("input", "conv", "pool", "output")


def small_dag() -> LabelledDAG:
    """input -> conv -> pool -> output, plus input -> pool and conv -> output."""
    adj = np.zeros((4, 4), dtype=int)
    adj[0, 1] = adj[0, 2] = adj[1, 2] = adj[1, 3] = adj[2, 3] = 1
    return LabelledDAG(adj, ("input", "conv", "pool", "output"), VOCAB)


def chain_dag() -> LabelledDAG:
    """input -> pool -> output (3 nodes: padded when encoded with 4-node DAGs)."""
    adj = np.zeros((3, 3), dtype=int)
    adj[0, 1] = adj[1, 2] = 1
    return LabelledDAG(adj, ("input", "pool", "output"), VOCAB)


ALL_CONV = NasBench201Arch.from_key("(2, 2, 2, 2, 2, 2)")


def test_registry_names_and_unknown() -> None:
    assert encoding_names() == ["adjacency", "arch2vec", "categorical", "graph_features", "path"]
    with pytest.raises(KeyError, match="unknown encoding 'nope'"):
        make_encoder("nope")


def test_adjacency_values_and_padding() -> None:
    X = encode([small_dag(), chain_dag()], "adjacency")
    # 4 nodes: 6 upper-triangular entries + 4 nodes x 4 labels
    assert X.shape == (2, 6 + 16)
    # pairs (0,1) (0,2) (0,3) (1,2) (1,3) (2,3)
    np.testing.assert_array_equal(X[0, :6], [1, 1, 0, 1, 1, 1])
    np.testing.assert_array_equal(X[0, 6:].reshape(4, 4), np.eye(4))
    # the 3-node chain is padded before its output: input->pool at (0,1), pool->output at (1,3)
    np.testing.assert_array_equal(X[1, :6], [1, 0, 0, 0, 1, 0])
    np.testing.assert_array_equal(
        X[1, 6:].reshape(4, 4), [[1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0], [0, 0, 0, 1]]
    )


def test_adjacency_nb201_width_and_onehot() -> None:
    arch = NasBench201Arch.from_key("(0, 1, 2, 3, 4, 0)")
    enc = make_encoder("adjacency").fit([arch])
    X = enc.transform([arch])
    assert X.shape == (1, 28 + 8 * 7)
    onehot = X[0, 28:].reshape(8, 7)
    # vocabulary: input, skip, none, conv3, conv1, pool, output; node i+1 holds edge i's op
    assert onehot.argmax(1).tolist() == [0, 1, 2, 3, 4, 5, 1, 6]
    assert onehot.sum() == 8


def test_categorical_values() -> None:
    enc = make_encoder("categorical").fit([small_dag(), chain_dag()])
    X = enc.transform([chain_dag()])
    assert X.shape == (1, 4 + 6)
    np.testing.assert_array_equal(X[0, :4], [0, 2, -1, 3])  # padded node is -1
    np.testing.assert_array_equal(X[0, 4:], [1, 0, 0, 0, 1, 0])


def test_path_labels_small_dag() -> None:
    assert path_labels(small_dag()) == {("conv",): 1, ("pool",): 1, ("conv", "pool"): 1}


def test_path_encoding_nb201_all_conv() -> None:
    # cell paths 1->4, 1->2->4, 1->3->4, 1->2->3->4: one, two and one of 1, 2, 3 convs
    assert path_labels(ALL_CONV.to_dag()) == {
        ("nor_conv_3x3",): 1,
        ("nor_conv_3x3",) * 2: 2,
        ("nor_conv_3x3",) * 3: 1,
    }
    enc = make_encoder("path").fit([ALL_CONV])
    X = enc.transform([ALL_CONV])
    # 5 ops, paths of 0..3 ops: 1 + 5 + 25 + 125 features
    assert X.shape == (1, 156)
    assert X.sum() == 4
    conv = 2  # position of nor_conv_3x3 among the 5 ops
    assert X[0, 1 + conv] == 1
    assert X[0, 6 + conv * 5 + conv] == 2
    assert X[0, 31 + conv * 25 + conv * 5 + conv] == 1
    assert enc.feature_names_[6 + conv * 5 + conv] == "path:nor_conv_3x3>nor_conv_3x3"


def test_truncated_path_encoding_keeps_shortest() -> None:
    X = encode([ALL_CONV], "path", max_paths=6)
    # the empty path then the five one-op paths; longer paths are cut
    np.testing.assert_array_equal(X, [[0, 0, 0, 1, 0, 0]])


def test_path_encoding_zero_ops() -> None:
    # edge (1,4) is "none": only 1->2->4 and 1->3->4 and 1->2->3->4 remain
    arch = NasBench201Arch.from_key("(2, 2, 1, 2, 2, 2)")
    full = path_labels(arch.to_dag())
    dropped = path_labels(arch.to_dag(), zero_ops=("none",))
    assert sum(full.values()) == 4 and sum(dropped.values()) == 3
    assert ("none",) in full and ("none",) not in dropped


def test_path_encoding_without_max_paths_refuses_huge_width() -> None:
    adj = np.triu(np.ones((12, 12), dtype=int), k=1)
    ops = ("input", *[f"op{i}" for i in range(10)], "output")
    with pytest.raises(ValueError, match="max_paths"):
        make_encoder("path").fit([LabelledDAG(adj, ops, ops)])
    assert encode([LabelledDAG(adj, ops, ops)], "path", max_paths=50).shape == (1, 50)


def test_graph_features_small_dag() -> None:
    dag = small_dag()
    assert longest_path(dag) == 3
    assert constrained_features(dag, ["conv", "pool"]) == {
        "n_paths": 3.0,
        "min_path_len": 1.0,
        "max_ops_on_path": 2.0,
        "input_out_degree": 2.0,
        "output_in_degree": 2.0,
        "mean_in_degree": 1.5,
        "mean_out_degree": 1.5,
        "max_in_degree": 2.0,
        "max_out_degree": 2.0,
    }
    only_conv = constrained_features(dag, ["conv"])
    assert only_conv["n_paths"] == 1 and only_conv["max_ops_on_path"] == 1
    assert constrained_features(dag, [])["n_paths"] == 0


def test_graph_features_nb201_all_conv() -> None:
    enc = make_encoder("graph_features").fit([ALL_CONV])
    X = enc.transform([ALL_CONV])
    # 3 global + 5 op counts + 31 op subsets x 9 features
    assert X.shape == (1, 3 + 5 + 31 * len(SUBSET_FEATURES))
    row = dict(zip(enc.feature_names_, X[0], strict=True))
    assert row["n_nodes"] == 8 and row["n_edges"] == 10 and row["depth"] == 4
    assert row["count:nor_conv_3x3"] == 6 and row["count:none"] == 0
    assert row["n_paths[nor_conv_3x3]"] == 4
    assert row["max_ops_on_path[nor_conv_3x3]"] == 3
    assert row["n_paths[skip_connect]"] == 0
    assert row["mean_in_degree[nor_conv_3x3]"] == pytest.approx(7 / 6)


def test_graph_features_single_subsets() -> None:
    enc = make_encoder("graph_features", subsets="single").fit([ALL_CONV])
    assert enc.n_features == 3 + 5 + 6 * len(SUBSET_FEATURES)


def test_fixed_width_and_unknown_op() -> None:
    enc = make_encoder("adjacency").fit([small_dag(), chain_dag()])
    assert enc.transform([chain_dag()]).shape == enc.transform([small_dag()]).shape
    odd = LabelledDAG(np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]]), ("input", "zap", "output"))
    with pytest.raises(ValueError, match="'zap'"):
        enc.transform([odd])
    with pytest.raises(RuntimeError, match="not fitted"):
        make_encoder("path").transform([small_dag()])


def test_to_pyg() -> None:
    data = to_pyg(ALL_CONV)
    assert data.num_nodes == 8
    assert data.x.shape == (8, 7) and torch.all(data.x.sum(1) == 1)
    assert data.x.argmax(1).tolist() == [0, 3, 3, 3, 3, 3, 3, 6]
    src, dst = np.nonzero(ALL_CONV.to_dag().adjacency)
    assert data.edge_index.tolist() == [src.tolist(), dst.tolist()]
    assert to_pyg(small_dag()).edge_index.shape == (2, 5)


def test_as_dag_rejects_keys() -> None:
    assert as_dag(small_dag()) is not None
    with pytest.raises(TypeError, match="from_key"):
        as_dag("(2, 2, 2, 2, 2, 2)")


@pytest.mark.parametrize("space", space_names())
def test_every_encoding_on_every_space(space: str) -> None:
    archs = get_space(space).sample_many(12, seed=0)
    for name, options in [
        ("adjacency", {}),
        ("categorical", {}),
        ("path", {"max_paths": 100}),
        ("graph_features", {}),
    ]:
        enc = make_encoder(name, **options).fit(archs[:8])
        X = enc.transform(archs)
        assert X.shape == (12, enc.n_features) and enc.n_features > 0
        assert np.all(np.isfinite(X))
        # encoding is deterministic and per-arch
        np.testing.assert_array_equal(enc.transform(archs[3:4]), X[3:4])


def test_padded_encodings_fit_a_spaces_largest_cell_from_small_ones() -> None:
    # a training set of small pruned NB101 cells (or short TransNAS macro skeletons)
    # must still encode the space's largest cell: the width is the space's, not the sample's
    from naspred.spaces.nasbench101 import MAX_NODES, NasBench101Arch
    from naspred.spaces.transnas import TransNasMacroArch

    chain = tuple(tuple(int(j == i + 1) for j in range(MAX_NODES)) for i in range(MAX_NODES))
    ops = ("input", *["conv3x3-bn-relu"] * (MAX_NODES - 2), "output")
    big = NasBench101Arch(chain, ops)
    small = NasBench101Arch(((0, 1, 0), (0, 0, 1), (0, 0, 0)), ("input", "maxpool3x3", "output"))
    assert (small.to_dag().n_nodes, big.to_dag().n_nodes) == (3, MAX_NODES)
    for name in ("adjacency", "categorical"):
        enc = make_encoder(name).fit([small])
        assert enc.n_nodes_ == MAX_NODES
        assert enc.transform([small, big]).shape == (2, enc.n_features)
    short, long = TransNasMacroArch((1, 2, 3, 4)), TransNasMacroArch((1, 1, 2, 3, 4, 4))
    enc = make_encoder("adjacency").fit([short])
    assert enc.n_nodes_ == 8 and enc.transform([long]).shape == (1, enc.n_features)
    # a DAG that says it may have fewer nodes than it has is refused
    with pytest.raises(ValueError, match="max_nodes=2"):
        LabelledDAG(np.zeros((3, 3)), ("input", "zap", "output"), max_nodes=2)
