"""Live proxy scores shipped beside a learning-curve benchmark (``NAME.zc.json``):
written from a ``proxies compute`` output, read back by the learning-curve loader."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from naspred.benchmarks.learning_curves import (
    EMBEDDED_DIR,
    TRAINING_NETWORK_SUFFIX,
    live_scores_file,
    load_learning_curves,
    read_learning_curves,
)
from naspred.benchmarks.suite_zero import FAILURE_MARKER
from naspred.errors import BenchmarkFileError, InvalidInputError
from naspred.experiments.proxy_scoring import compute_task_scores, write_live_scores

SHIPPED = EMBEDDED_DIR / "nasbench201_cifar10_sample.jsonl"
#: an LC arch whose every path crosses a "none" edge: jacov fails on it
DEAD = "(4, 0, 1, 0, 1, 1)"


@pytest.fixture(scope="module")
def small_benchmark(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped benchmark's header and four of its records (the dead cell among them)."""
    lines = SHIPPED.read_text().splitlines()
    records = [line for line in lines[1:] if json.loads(line)["arch"] == DEAD]
    records = [lines[1], lines[2], lines[3], *records]
    path = tmp_path_factory.mktemp("lc") / "bench.jsonl"
    path.write_text("\n".join([lines[0], *records]) + "\n")
    return path


@pytest.fixture(scope="module")
def scored(small_benchmark: Path, shared_data: Path, tmp_path_factory: pytest.TempPathFactory):
    """jacov and params on the standard network for the first three archs and the dead one."""
    keys = list(load_learning_curves(small_benchmark).keys)
    out = tmp_path_factory.mktemp("zc") / "zc_nasbench201.json"
    compute_task_scores(
        "nasbench201/cifar10",
        ["jacov", "params"],
        keys=keys,
        out_json=out,
        npz=shared_data / "cifar10_sample.npz",
        backend="serial",
        progress=False,
    )
    return keys, out


def test_live_scores_take_the_names_and_the_records_move_aside(
    small_benchmark: Path, scored: tuple[list[str], Path]
) -> None:
    keys, out = scored
    before = load_learning_curves(small_benchmark)
    assert write_live_scores(out, live_scores_file(small_benchmark)) == ["jacov", "params"]
    task = load_learning_curves(small_benchmark)
    raw = json.loads(out.read_text())["nasbench201"]["cifar10"]
    # the standard network's jacov under its name, the training network's beside it
    live = [raw[k]["jacov"]["score"] for k in keys]
    assert live[3] is None and all(v is not None for v in live[:3])
    np.testing.assert_array_equal(task.proxies["jacov"][:3], live[:3])
    np.testing.assert_array_equal(
        task.proxies["jacov" + TRAINING_NETWORK_SUFFIX], before.proxies["jacov"]
    )
    assert not np.allclose(task.proxies["jacov"][:3], before.proxies["jacov"][:3])
    # the recorded failure is a failure, not a stored NaN
    assert task.failed("jacov").tolist() == [False, False, False, True]
    shipped = json.loads(live_scores_file(small_benchmark).read_text())["nasbench201"]["cifar10"]
    assert shipped[DEAD]["jacov"]["score"] == FAILURE_MARKER
    assert all(r["val_accuracy"] is None for r in shipped.values())
    # the benchmark's own ground truth, params and flops are untouched
    np.testing.assert_array_equal(task.val_accuracy, before.val_accuracy)
    np.testing.assert_array_equal(task.proxies["params"], before.proxies["params"])
    live_scores_file(small_benchmark).unlink()


def test_an_arch_without_live_scores_is_missing_and_a_stranger_is_refused(
    small_benchmark: Path, scored: tuple[list[str], Path], tmp_path: Path
) -> None:
    keys, out = scored
    companion = live_scores_file(small_benchmark)
    data = json.loads(out.read_text())
    records = data["nasbench201"]["cifar10"]
    del records[keys[1]]
    out2 = tmp_path / "zc_nasbench201.json"
    out2.write_text(json.dumps(data))
    write_live_scores(out2, companion)
    try:
        task = load_learning_curves(small_benchmark)
        assert task.proxy_missing["jacov"].tolist() == [False, True, False, False]
        assert np.isnan(task.proxies["jacov"][1]) and np.isfinite(task.proxies["jacov"][0])
        shipped = json.loads(companion.read_text())
        shipped["nasbench201"]["cifar10"]["(0, 0, 0, 0, 0, 0)"] = shipped["nasbench201"]["cifar10"][
            keys[0]
        ]
        companion.write_text(json.dumps(shipped))
        with pytest.raises(BenchmarkFileError, match=r"scores 1 arch\(s\) the learning-curve"):
            load_learning_curves(small_benchmark)
        companion.write_text(
            json.dumps({"nasbench201": {"cifar100": shipped["nasbench201"]["cifar10"]}})
        )
        with pytest.raises(BenchmarkFileError, match="nasbench201/cifar100.*nasbench201/cifar10"):
            load_learning_curves(small_benchmark)
    finally:
        companion.unlink()


def test_a_proxy_not_scored_everywhere_is_not_shipped(
    scored: tuple[list[str], Path], tmp_path: Path
) -> None:
    keys, out = scored
    data = json.loads(out.read_text())
    del data["nasbench201"]["cifar10"][keys[0]]["params"]
    partial = tmp_path / "zc_nasbench201.json"
    partial.write_text(json.dumps(data))
    assert write_live_scores(partial, tmp_path / "a.zc.json") == ["jacov"]
    with pytest.raises(InvalidInputError, match="params not scored on every arch"):
        write_live_scores(partial, tmp_path / "b.zc.json", proxies=["params"])


def test_the_shipped_benchmark_carries_every_proxy_live() -> None:
    from naspred.proxies import get_proxy, proxy_names

    companion = live_scores_file(SHIPPED)
    assert companion.is_file(), "run `python studies/live_table.py --ship`"
    task = load_learning_curves(SHIPPED)
    _, records = read_learning_curves(SHIPPED)
    stored = sorted(records[0]["proxies"])
    assert stored == ["jacov", "nwot", "snip", "synflow"]
    for name in stored:  # the training network's, kept under the suffix
        np.testing.assert_array_equal(
            task.proxies[name + TRAINING_NETWORK_SUFFIX], [r["proxies"][name] for r in records]
        )
    # naspred's own (other tests register users' proxies)
    ours = {n for n in proxy_names() if get_proxy(n).fn.__module__.startswith("naspred.")}
    assert ours <= set(task.proxies), sorted(ours - set(task.proxies))
    # every proxy scored (or failed) on every arch
    for name in ours:
        assert task.has_proxy(name).all(), name
        assert (np.isfinite(task.proxies[name]) | task.failed(name)).all(), name


#: shipped proxies re-scored in CI (a second or less each on one arch); the rest, slow
QUICK = ("synflow", "jacov", "snip", "grad_norm", "nwot", "fisher", "grasp", "epe_nas",
         "l2_norm", "plain", "zen", "zico", "meco", "azn_expr", "azn_prog", "azn_train",
         "gradsign")  # fmt: skip


#: Relative tolerance of a re-score: float32 kernels differ between CPUs in the last
#: bits. ZiCo's two-batch ratio ``(|a| + |b|) / |a - b|`` magnifies that where the two
#: gradients nearly agree: 1.9e-5 between an AVX-512/AMX Xeon and the shipping
#: machine, where every other quick proxy stayed within 3.4e-6 (gradsign).
RESCORE_REL = {"zico": 2e-4}


def _rescored(names: list[str], shared_data: Path, tmp_path: Path) -> None:
    """The shipped live scores of the benchmark's first arch, computed again."""
    from naspred.proxies import get_proxy

    shipped = json.loads(live_scores_file(SHIPPED).read_text())["nasbench201"]["cifar10"]
    key = load_learning_curves(SHIPPED).keys[0]
    names = [n for n in names if n in shipped[key] and not get_proxy(n).depends]
    assert names, "nothing shipped to re-score"
    out = tmp_path / "zc_nasbench201.json"
    compute_task_scores(
        "nasbench201/cifar10",
        names,
        keys=[key],
        out_json=out,
        npz=shared_data / "cifar10_sample.npz",
        n_jobs=1,
        torch_threads=1,  # the live run's
        progress=False,
    )
    again = json.loads(out.read_text())["nasbench201"]["cifar10"][key]
    for name in names:
        assert again[name]["score"] == pytest.approx(
            shipped[key][name]["score"], rel=RESCORE_REL.get(name, 1e-5)
        ), name


def test_shipped_live_scores_are_what_the_engine_computes(
    shared_data: Path, tmp_path: Path
) -> None:
    _rescored(list(QUICK), shared_data, tmp_path)


@pytest.mark.slow
def test_every_shipped_live_score_is_what_the_engine_computes(
    shared_data: Path, tmp_path: Path
) -> None:
    from naspred.proxies import proxy_names

    _rescored([n for n in proxy_names() if n not in QUICK], shared_data, tmp_path)
