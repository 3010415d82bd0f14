"""Every architecture of the shared records and of the embedded benchmarks
round-trips its key and builds a network that runs forward and backward.

Slow (tens of minutes on 2 CPU cores): run with ``pytest -m slow``. The fast
per-space tests check a fixed subset of the same in CI.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from naspred.spaces import get_space

pytestmark = pytest.mark.slow

# (Suite-Zero file, dataset, batch shape); TransNAS networks are fully convolutional
# up to global pooling, so they run at 64 px (16 px jigsaw tiles) instead of 256 px.
IMAGE_CASES = [
    ("nasbench201", "cifar10", (2, 3, 32, 32)),
    ("nasbench201", "cifar100", (2, 3, 32, 32)),
    ("nasbench101", "cifar10", (2, 3, 32, 32)),
    ("nasbench301", "cifar10", (2, 3, 32, 32)),
    ("transbench101_micro", "class_object", (2, 3, 64, 64)),
    ("transbench101_micro", "jigsaw", (2, 9, 3, 16, 16)),
    ("transbench101_macro", "class_object", (2, 3, 64, 64)),
    ("transbench101_macro", "jigsaw", (2, 9, 3, 16, 16)),
]


@pytest.fixture(autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def _forward_backward(net: torch.nn.Module, *inputs: torch.Tensor) -> None:
    out = net(*inputs)
    out = out[0] if isinstance(out, tuple) else out
    loss = out.float().pow(2).mean()
    assert torch.isfinite(loss)
    loss.backward()
    assert any(p.grad is not None for p in net.parameters())


# the long cases run in chunks, so a run's progress (and a failure) is visible per chunk
CHUNK = 512


def _record_keys(suite_zero_dir, space_name: str, dataset: str) -> list[str]:
    path = suite_zero_dir / f"zc_{space_name}.json"
    return list(json.loads(path.read_text())[space_name][dataset])


#: records per (space, dataset) in the shared files (checked by the test itself)
N_RECORDS = {
    "nasbench201": 15625,
    "nasbench101": 500,
    "nasbench301": 500,
    "transbench101_micro": 4096,
    "transbench101_macro": 3256,
}


def _image_chunks() -> list:
    return [
        pytest.param(space_name, dataset, shape, start, id=f"{space_name}-{dataset}-{start}")
        for space_name, dataset, shape in IMAGE_CASES
        for start in range(0, N_RECORDS[space_name], CHUNK)
    ]


@pytest.mark.parametrize(("space_name", "dataset", "shape", "start"), _image_chunks())
def test_every_record_key_builds_and_trains(space_name, dataset, shape, start, suite_zero_dir):
    keys = _record_keys(suite_zero_dir, space_name, dataset)
    assert len(keys) == N_RECORDS[space_name]
    keys = keys[start : start + CHUNK]
    space = get_space(space_name)
    x = torch.randn(shape, generator=torch.Generator().manual_seed(0))
    for key in keys:
        arch = space.from_key(key)
        assert arch.to_key() == key
        torch.manual_seed(0)
        _forward_backward(space.build_network(arch, dataset), x)


GRAPH_CHUNK = 4096


@pytest.mark.parametrize(
    ("dataset", "start"),
    [("cora", s) for s in range(0, 26206, GRAPH_CHUNK)] + [("proteins", 0)],
)
def test_every_nasbench_graph_arch_builds_and_trains(dataset, start):
    space = get_space("nasbench_graph")
    rng = np.random.default_rng(0)
    n_feat = space.input_shape(dataset)[0]
    x = torch.randn(20, n_feat)
    edge_index = torch.as_tensor(rng.integers(20, size=(2, 60)))
    archs = list(space.all_archs(dataset=dataset))
    assert len(archs) == {"cora": 26206, "proteins": 2021}[dataset]
    chunk = archs if dataset == "proteins" else archs[start : start + GRAPH_CHUNK]
    for arch in chunk:
        assert type(arch).from_key(arch.to_key()) == arch
        _forward_backward(space.build_network(arch, dataset), x, edge_index)
