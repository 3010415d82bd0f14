"""make-benchmark (training, the learning-curve format, resume) and the NB201 curve loaders."""

from __future__ import annotations

import json
import logging
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from naspred.benchmarks import load_learning_curves, load_nats_bench, load_nb201_full_training
from naspred.errors import BenchmarkFileError, NaspredError
from naspred.experiments.lc_benchmark import (
    LearningCurveWriter,
    _train_job,
    make_benchmark,
    make_header,
    select_archs,
)
from naspred.experiments.training import (
    DataSource,
    TrainingProtocol,
    augment_batch,
    prepare_data,
    train_arch,
)
from naspred.spaces.nasbench201 import NasBench201Arch, NasBench201Space

TINY = TrainingProtocol(epochs=2, batch_size=64, C=8, N=1, train_size=256, val_size=128)
CURVES = ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "epoch_time")


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    # one torch thread: faster than two competing ones on shared CI cores
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def source(shared_data: Path) -> DataSource:
    return DataSource(npz=str(shared_data / "cifar10_sample.npz"))


@pytest.fixture(scope="module")
def bench(source: DataSource, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 archs x 2 epochs on 256 real CIFAR-10 images, written by make_benchmark."""
    path = tmp_path_factory.mktemp("lc") / "nb201_lc.jsonl"
    make_benchmark(
        "nasbench201", path, source, TINY, n_archs=3, seed=0, backend="serial", progress=False
    )
    return path


def test_proxies_at_initialisation_ride_along_without_touching_training(
    bench: Path, source: DataSource, tmp_path: Path
) -> None:
    from dataclasses import replace

    protocol = replace(TINY, proxies=("synflow", "jacov"), proxy_batch_size=32)
    out = tmp_path / "with_proxies.jsonl"
    make_benchmark(
        "nasbench201", out, source, protocol, n_archs=3, seed=0, backend="serial", progress=False
    )
    task, plain = load_learning_curves(out), load_learning_curves(bench)
    assert task.keys == plain.keys
    for name in CURVES[:-1]:  # the same training, proxies or not (times aside)
        np.testing.assert_array_equal(task.curves[name], plain.curves[name])
    assert {"synflow", "jacov"} <= set(task.proxies) and "synflow" not in plain.proxies
    assert np.all(task.proxies["synflow"] > 0) and np.all(task.proxy_times["jacov"] > 0)
    # synflow is data-free: the engine gives the same score on the same seeded network
    from naspred.experiments.training import build_space
    from naspred.proxies import score_archs

    space = build_space("nasbench201", protocol)
    ours, _ = score_archs(
        space, [space.from_key(k) for k in task.keys], ["synflow"], "cifar10", None, seed=0
    )
    np.testing.assert_allclose(task.proxies["synflow"], ours["synflow"], rtol=1e-6)


def test_shipped_learning_curves_join_the_embedded_tasks(
    bench: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from naspred.benchmarks import learning_curves, registry

    shutil.copy(bench, tmp_path / "nb201.jsonl")
    (tmp_path / "notes.txt").write_text("not a benchmark")
    [task] = learning_curves.embedded_learning_curves(tmp_path)
    assert task.name == "nasbench201/cifar10-lc-nb201_lc" and len(task) == 3
    monkeypatch.setattr(learning_curves, "EMBEDDED_DIR", tmp_path)
    monkeypatch.setattr(registry.nasbench_graph, "is_available", lambda: False)
    monkeypatch.setattr(registry.analog_nasbench, "is_available", lambda: False)
    [found] = registry.load_tasks(["*-lc-nb201_lc"])
    assert found.keys == task.keys and found.n_epochs == 2


def test_shipped_benchmark_is_the_documented_complete_one(suite_zero_dir: Path) -> None:
    """The committed file: the first 1,000 archs of the README's seeded draw, 20 epochs,
    accuracies that spread and agree with NB201's (README, tables/tradeoff/README.md)."""
    from naspred.benchmarks import load_tasks
    from naspred.metrics import spearman

    nb201, task = load_tasks(
        ["nasbench201/cifar10", "nasbench201/cifar10-lc"], suite_zero=suite_zero_dir, embedded=True
    )
    assert (nb201.name, task.name) == ("nasbench201/cifar10", "nasbench201/cifar10-lc")
    assert task.n_epochs == 20
    draw = select_archs("nasbench201", 1000, seed=0)
    assert sorted(task.keys) == sorted(draw)
    # two workers write in finishing order: each arch within one place of the draw's
    place = {key: i for i, key in enumerate(draw)}
    assert max(abs(place[key] - i) for i, key in enumerate(task.keys)) == 1
    for name in CURVES:
        assert np.isfinite(task.curves[name]).all(), name
    acc = task.val_accuracy
    assert 8.0 < acc.min() < 10.0 and 57.0 < acc.max() < 59.0 and 3.5 < acc.std() < 4.5
    assert set(task.proxies) >= {"jacov", "synflow", "nwot", "snip"}
    rho = spearman(acc, nb201.val_accuracy[nb201.index(task.keys)])
    assert rho == pytest.approx(0.659, abs=0.005)


def test_curve_files_on_the_command_line(bench: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from naspred.cli import app

    result = CliRunner().invoke(app, ["tasks", "--curves", str(bench)])
    assert result.exit_code == 0, result.output
    assert "nasbench201/cifar10-lc-nb201_lc" in result.output
    assert "nasbench_graph" not in result.output
    wrong = tmp_path / "curves.csv"
    wrong.write_text("arch,acc\n")
    result = CliRunner().invoke(app, ["tasks", "--curves", str(wrong)])
    assert result.exit_code != 0
    assert "unknown learning-curve file type '.csv'" in result.output


# ---- make-benchmark end to end ---------------------------------------------------------


def test_make_benchmark_writes_a_task_with_curves(bench: Path) -> None:
    task = load_learning_curves(bench)
    assert (task.space, task.dataset, len(task), task.n_epochs) == ("nasbench201", "cifar10", 3, 2)
    # our own accuracies: a name apart from the published nasbench201/cifar10, and a
    # user's file (named after it) apart from the benchmark that installs with naspred
    assert task.name == "nasbench201/cifar10-lc-nb201_lc"
    assert task.subset([0, 1]).name == task.with_proxies({}).name == task.name
    assert task.keys == tuple(select_archs("nasbench201", 3, seed=0))
    assert set(task.curves) == {*CURVES, "eval_time"}
    for name in CURVES:
        assert task.curves[name].shape == (3, 2)
        assert np.isfinite(task.curves[name]).all()
    np.testing.assert_array_equal(task.val_accuracy, task.curves["val_accuracy"][:, 1])
    # 128 validation images: every accuracy is a multiple of 100/128
    acc = task.curves["val_accuracy"] * 128 / 100
    np.testing.assert_allclose(acc, np.round(acc), atol=1e-9)
    assert ((task.curves["train_accuracy"] >= 0) & (task.curves["train_accuracy"] <= 100)).all()
    assert (task.curves["epoch_time"] > 0).all()
    np.testing.assert_allclose(task.targets["train_time"], task.curves["epoch_time"].sum(axis=1))
    space = NasBench201Space(C=8, N=1)
    for i, key in enumerate(task.keys):
        params, flops = space.complexity(NasBench201Arch.from_key(key), "cifar10")
        assert task.proxies["params"][i] == pytest.approx(params)
        assert task.proxies["flops"][i] == pytest.approx(flops)
    header = json.loads(bench.read_text().splitlines()[0])
    assert header["format"] == "naspred-learning-curves" and header["version"] == 1
    assert TrainingProtocol.from_dict(header["protocol"]) == TINY
    assert header["data"] == {
        "source": "cifar10_sample.npz",
        "train_images": 256,
        "val_images": 128,
    }


def test_select_archs_gives_distinct_networks() -> None:
    keys = select_archs("nasbench201", 200, seed=3)
    classes = {NasBench201Arch.from_key(k).canonical().to_key() for k in keys}
    assert len(keys) == len(classes) == 200
    assert select_archs("nasbench201", 200, seed=3) == keys
    assert select_archs("nasbench201", 20, seed=3) == keys[:20]  # a prefix: n can grow
    assert select_archs("nasbench201", 200, seed=4) != keys


def test_training_is_deterministic_per_seed(source: DataSource) -> None:
    key = "(2, 0, 3, 4, 2, 0)"
    protocol = TrainingProtocol(**{**TINY.to_dict(), "train_size": 128, "val_size": 64})
    first = train_arch("nasbench201", key, protocol, 7, source)
    second = train_arch("nasbench201", key, protocol, 7, source)
    other = train_arch("nasbench201", key, protocol, 8, source)
    for name in ("train_loss", "train_accuracy", "val_loss", "val_accuracy"):
        assert first[name] == second[name], name
    assert first["train_loss"] != other["train_loss"]
    assert not torch.are_deterministic_algorithms_enabled()  # restored after training


def test_job_pickles_for_worker_processes(source: DataSource) -> None:
    job = ("nasbench201", "(2, 0, 3, 4, 2, 0)", TINY, 0, source, "cpu")
    assert pickle.loads(pickle.dumps(job)) == job
    assert pickle.loads(pickle.dumps(_train_job)) is _train_job
    assert DataSource.from_path("a/b.npz") == DataSource(npz="a/b.npz")
    assert DataSource.from_path("cifar", "cifar100").root == "cifar"


def test_augment_crops_a_window_of_the_padded_image() -> None:
    x = torch.arange(2 * 3 * 8 * 8, dtype=torch.float32).reshape(2, 3, 8, 8)
    out = augment_batch(x, 2, torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2))
    for b in range(2):
        windows = [padded[b, :, dy : dy + 8, dx : dx + 8] for dy in range(5) for dx in range(5)]
        windows += [w.flip(2) for w in windows]
        assert any(torch.equal(out[b], w) for w in windows)
    again = augment_batch(x, 2, torch.Generator().manual_seed(0))
    assert torch.equal(out, again)


def test_downsampling_averages_pixel_blocks(source: DataSource) -> None:
    full = prepare_data(source, TINY)
    half = prepare_data(source, TrainingProtocol(**{**TINY.to_dict(), "image_size": 16}))
    assert half.train_x.shape == (256, 3, 16, 16)
    block = full.train_x[0, :, :2, :2].mean(dim=(1, 2))
    torch.testing.assert_close(half.train_x[0, :, 0, 0], block)


# ---- resume --------------------------------------------------------------------------------


def test_resume_drops_a_partial_line_and_trains_only_the_rest(
    bench: Path, source: DataSource, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "lc.jsonl"
    shutil.copy(bench, path)
    record = bench.read_text().splitlines()[1]
    with path.open("a") as fh:
        fh.write(record.replace("(", "[")[:60])  # a write cut short by a kill
    with caplog.at_level(logging.WARNING):
        task = load_learning_curves(path)
    assert len(task) == 3
    assert "partial last line" in caplog.text

    done = load_learning_curves(bench)
    grown = make_benchmark(
        "nasbench201", path, source, TINY, n_archs=4, seed=0, backend="serial", progress=False
    )
    lines = path.read_text().splitlines()
    assert len(lines) == 5 and all(json.loads(line) for line in lines)
    assert grown.keys[:3] == done.keys and len(grown) == 4
    # the three archs already there were not trained again
    np.testing.assert_array_equal(grown.curves["epoch_time"][:3], done.curves["epoch_time"])


def test_resume_refuses_another_protocol(bench: Path, source: DataSource, tmp_path: Path) -> None:
    path = tmp_path / "lc.jsonl"
    shutil.copy(bench, path)
    other = TrainingProtocol(**{**TINY.to_dict(), "epochs": 3})
    with pytest.raises(BenchmarkFileError, match=r"protocol\.epochs 2 there vs 3 now"):
        make_benchmark("nasbench201", path, source, other, n_archs=3, backend="serial")


def test_writer_restarts_a_file_killed_while_writing_its_header(tmp_path: Path) -> None:
    path = tmp_path / "lc.jsonl"
    path.write_text('{"format": "naspred-lear')
    header = make_header("nasbench201", TINY)
    writer = LearningCurveWriter(path, header)
    assert writer.done == set()
    assert json.loads(path.read_text()) == header


def test_cli_make_benchmark_resumes_without_retraining(
    bench: Path, tmp_path: Path, shared_data: Path
) -> None:
    from typer.testing import CliRunner

    from naspred.cli import app

    path = tmp_path / "lc.jsonl"
    shutil.copy(bench, path)
    before = path.read_bytes()
    npz = shared_data / json.loads(before.splitlines()[0])["data"]["source"]
    args = [
        "make-benchmark", "--out", str(path), "--n-archs", "3", "--npz", str(npz),
        "--epochs", "2", "--batch-size", "64", "-C", "8", "-N", "1", "--train-images", "256",
        "--val-images", "128", "--backend", "serial", "--no-progress",
    ]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "3 archs x 2 epochs" in result.output
    assert path.read_bytes() == before
    bad = CliRunner().invoke(app, [*args[:5], "--npz", str(npz), "--epochs", "5"])
    assert bad.exit_code == 2 and "protocol.epochs" in bad.output


# ---- loader errors -----------------------------------------------------------------------


def _write(path: Path, header: dict | str, *records: dict | str) -> Path:
    lines = [h if isinstance(h, str) else json.dumps(h) for h in (header, *records)]
    path.write_text("\n".join(lines) + "\n")
    return path


def _record(key: str = "(0, 0, 0, 0, 0, 0)", epochs: int = 2, **changes) -> dict:
    record = {"arch": key, "seed": 0, "epochs": epochs, "params": 0.1, "flops": 2.0}
    record.update({name: [float(e + 1) for e in range(epochs)] for name in CURVES})
    return {**record, **changes}


HEADER = make_header("nasbench201", TINY)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ((), "empty file"),
        (('{"format": "other", "version": 1}',), "not a naspred-learning-curves header"),
        (("not json",), "line 1 is not a JSON header"),
        ((dict(HEADER, version=2),), "version 2"),
        ((HEADER,), "no finished arch"),
        ((HEADER, "{oops", _record()), "line 2 is not valid JSON"),
        ((HEADER, _record(val_loss=[1.0])), r"'val_loss' has 1 entries, expected 2"),
        ((HEADER, _record(train_accuracy="x")), "'train_accuracy' is not a list"),
        ((HEADER, _record(val_accuracy=[1, "a"])), r"val_accuracy\[1\] is 'a'"),
        ((HEADER, {"seed": 0}), "no 'arch' key"),
        ((HEADER, _record(), _record()), "appears twice"),
        ((HEADER, dict(_record(), epochs=3)), "says epochs=3"),
    ],
)
def test_loader_errors_name_the_file_and_the_problem(
    tmp_path: Path, content: tuple, message: str
) -> None:
    path = tmp_path / "bad.jsonl"
    if content:
        _write(path, *content)
    else:
        path.write_text("")
    with pytest.raises(BenchmarkFileError, match=message) as err:
        load_learning_curves(path)
    assert str(path) in str(err.value)


def test_loader_missing_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(BenchmarkFileError, match="file not found") as err:
        load_learning_curves(tmp_path / "absent.jsonl")
    assert "naspred make-benchmark" in str(err.value)


def test_loader_reads_nulls_as_nan_and_keeps_a_whole_last_line(tmp_path: Path) -> None:
    path = tmp_path / "ok.jsonl"
    a = _record("(1, 1, 1, 1, 1, 1)", train_loss=[None, None], params=None)
    b = _record("(2, 2, 2, 2, 2, 2)", val_accuracy=[30.0, 45.5])
    path.write_text(json.dumps(make_header("nasbench201", TINY)) + "\n" + json.dumps(a) + "\n")
    with path.open("a") as fh:
        fh.write(json.dumps(b))  # no final newline, but a whole record
    task = load_learning_curves(path)
    assert task.keys == ("(1, 1, 1, 1, 1, 1)", "(2, 2, 2, 2, 2, 2)")
    assert np.isnan(task.curves["train_loss"][0]).all()
    assert np.isnan(task.proxies["params"][0]) and task.proxies["params"][1] == 0.1
    np.testing.assert_array_equal(task.val_accuracy, [2.0, 45.5])
    assert "eval_time" not in task.curves


# ---- NASLib's NB201 full-training pickle ----------------------------------------------------

# NB201 arch strings (cut in two to fit the line) and their Suite-Zero keys
ARCH_STRS = {
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|"
    "+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|": "(2, 2, 0, 4, 2, 0)",
    "|none~0|+|skip_connect~0|nor_conv_1x1~1|"
    "+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|": "(1, 0, 4, 3, 1, 2)",
    "|skip_connect~0|+|skip_connect~0|skip_connect~1|"
    "+|skip_connect~0|skip_connect~1|skip_connect~2|": "(0, 0, 0, 0, 0, 0)",
}


def _naslib_record(i: int, epochs: int = 4, flat_costs: bool = False) -> dict:
    record = {
        "train_losses": [2.0 - 0.1 * e - 0.01 * i for e in range(epochs)],
        "eval_losses": [2.1 - 0.1 * e for e in range(epochs)],
        "train_acc1es": [20.0 + 5 * e + i for e in range(epochs)],
        "eval_acc1es": [18.0 + 4 * e + 2 * i for e in range(epochs)],
        "train_times": [10.0 + i + 0.1 * e for e in range(epochs)],
        "eval_times": [1.5] * epochs,
    }
    costs = {"params": 0.1 * (i + 1), "latency": 0.01 * (i + 1), "train_time": 10.0 + i}
    if flat_costs:
        record.update(flop=5.0 * (i + 1), **costs)
    else:
        record["cost_info"] = {"flops": 5.0 * (i + 1), **costs}
    return record


def _naslib_pickle(path: Path, **kw) -> Path:
    data = {
        arch: {
            "cifar10-valid": _naslib_record(i, flat_costs=i == 1, **kw),
            "cifar100": _naslib_record(i + 10, **kw),
        }
        for i, arch in enumerate(ARCH_STRS)
    }
    path.write_bytes(pickle.dumps(data))
    return path


def test_naslib_pickle_loads_as_curves(tmp_path: Path) -> None:
    path = _naslib_pickle(tmp_path / "nb201_cifar10_full_training.pickle")
    task = load_nb201_full_training(path)
    assert (task.space, task.dataset, task.n_epochs) == ("nasbench201", "cifar10", 4)
    assert task.keys == tuple(ARCH_STRS.values())
    np.testing.assert_allclose(task.curves["val_accuracy"][1], [20.0, 24.0, 28.0, 32.0])
    np.testing.assert_allclose(task.curves["train_loss"][2], [1.98, 1.88, 1.78, 1.68])
    np.testing.assert_allclose(task.val_accuracy, [30.0, 32.0, 34.0])
    np.testing.assert_allclose(task.curves["epoch_time"][0], [10.0, 10.1, 10.2, 10.3])
    np.testing.assert_allclose(task.curves["eval_time"], 1.5)
    np.testing.assert_allclose(task.targets["train_time"], [40.6, 44.6, 48.6])
    # flops from cost_info (archs 0, 2) and from the flattened record (arch 1)
    np.testing.assert_allclose(task.proxies["flops"], [5.0, 10.0, 15.0])
    np.testing.assert_allclose(task.proxies["params"], [0.1, 0.2, 0.3])
    np.testing.assert_allclose(task.proxies["latency"], [0.01, 0.02, 0.03])

    c100 = load_nb201_full_training(path, dataset="cifar100")
    assert c100.dataset == "cifar100"
    np.testing.assert_allclose(c100.val_accuracy, [50.0, 52.0, 54.0])


def test_naslib_cumulative_times_are_differenced_or_flagged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "nb201_cifar10_full_training.pickle"
    data = {arch: {"cifar10-valid": _naslib_record(i)} for i, arch in enumerate(ARCH_STRS)}
    for by_dataset in data.values():
        by_dataset["cifar10-valid"]["train_times"] = [10.0, 20.0, 30.5, 41.0]
    path.write_bytes(pickle.dumps(data))
    with caplog.at_level(logging.WARNING):
        load_nb201_full_training(path)
    assert "look like running totals" in caplog.text
    task = load_nb201_full_training(path, times="cumulative")
    np.testing.assert_allclose(task.curves["epoch_time"][0], [10.0, 10.0, 10.5, 10.5])


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d[next(iter(d))]["cifar10-valid"].pop("eval_acc1es"), "has no 'eval_acc1es'"),
        (lambda d: d.update({"|bogus~0|": d[next(iter(d))]}), "bad NAS-Bench-201 arch string"),
        (lambda d: d[next(iter(d))].pop("cifar10-valid"), "has no 'cifar10-valid' record"),
        (
            lambda d: d[next(iter(d))]["cifar10-valid"].update(train_losses=[1.0]),
            "'train_acc1es' has 4 epochs but 'train_losses' has 1",
        ),
    ],
)
def test_naslib_pickle_errors(tmp_path: Path, mutate, message: str) -> None:
    path = _naslib_pickle(tmp_path / "nb201_cifar10_full_training.pickle")
    data = pickle.loads(path.read_bytes())
    mutate(data)
    path.write_bytes(pickle.dumps(data))
    with pytest.raises(BenchmarkFileError, match=message):
        load_nb201_full_training(path)


def test_naslib_pickle_not_a_pickle(tmp_path: Path) -> None:
    path = tmp_path / "nb201_cifar10_full_training.pickle"
    path.write_text("hello")
    with pytest.raises(BenchmarkFileError, match="not a readable pickle"):
        load_nb201_full_training(path)
    with pytest.raises(BenchmarkFileError, match="file not found"):
        load_nb201_full_training(tmp_path / "absent.pickle")


# ---- NATS-Bench API ---------------------------------------------------------------------------


class FakeNatsApi:
    """A stand-in for ``nats_bench``'s topology API (its data files are many GB): the
    methods and fields load_nats_bench uses, with values computed from the arguments."""

    def __init__(self, arch_strs: list[str]) -> None:
        self.arch_strs = arch_strs
        self.calls: list[tuple] = []

    def __len__(self) -> int:
        return len(self.arch_strs)

    def arch(self, index: int) -> str:
        return self.arch_strs[index]

    def get_more_info(self, index: int, dataset: str, iepoch: int, hp: str, is_random: bool):
        self.calls.append((index, dataset, iepoch, hp, is_random))
        info = {
            "train-loss": 2.0 - 0.1 * iepoch,
            "train-accuracy": 30.0 + iepoch + index,
            "train-per-time": 7.0 + index,
            "train-all-time": (7.0 + index) * (iepoch + 1),
            "valid-loss": 2.2 - 0.1 * iepoch,
            "valid-accuracy": 25.0 + 2 * iepoch + index,
            "valid-per-time": 0.5,
        }
        if dataset == "cifar10-valid":
            info["test-accuracy"] = 26.0 + 2 * iepoch + index
        return info

    def get_cost_info(self, index: int, dataset: str, hp: str) -> dict:
        return {"flops": 10.0 * (index + 1), "params": 0.5 * (index + 1), "latency": 0.02}


def test_nats_loader_builds_curves_from_the_api() -> None:
    api = FakeNatsApi(list(ARCH_STRS))
    task = load_nats_bench(api, "cifar10", hp="12", indices=[2, 0], epochs=3, progress=False)
    assert task.keys == ("(0, 0, 0, 0, 0, 0)", "(2, 2, 0, 4, 2, 0)")
    assert task.dataset == "cifar10" and task.n_epochs == 3
    assert {c[1] for c in api.calls} == {"cifar10-valid"}
    assert {(c[3], c[4]) for c in api.calls} == {("12", False)}
    np.testing.assert_allclose(task.curves["val_accuracy"][0], [27.0, 29.0, 31.0])
    np.testing.assert_allclose(task.val_accuracy, [31.0, 29.0])
    np.testing.assert_allclose(task.targets["test_accuracy"], [32.0, 30.0])
    np.testing.assert_allclose(task.curves["epoch_time"][0], 9.0)
    np.testing.assert_allclose(task.targets["train_time"], [27.0, 21.0])
    np.testing.assert_allclose(task.proxies["flops"], [30.0, 10.0])
    assert set(task.curves) == {*CURVES, "eval_time"}


class NatsApiWithoutTimes(FakeNatsApi):
    """Arch 1 comes without epoch times, as archs of an unfinished run do."""

    def get_more_info(self, index: int, dataset: str, iepoch: int, hp: str, is_random: bool):
        info = super().get_more_info(index, dataset, iepoch, hp, is_random)
        if index == 1:
            del info["train-per-time"]
        return info


def test_nats_arch_without_epoch_times_has_unknown_train_time() -> None:
    api = NatsApiWithoutTimes(list(ARCH_STRS))
    task = load_nats_bench(api, "cifar10", hp="12", indices=[0, 1], epochs=2, progress=False)
    assert np.isnan(task.curves["epoch_time"][1]).all()
    np.testing.assert_allclose(task.targets["train_time"], [14.0, np.nan])  # not 0 s


def test_nats_loader_without_the_package_says_how_to_get_it() -> None:
    try:
        import nats_bench  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("nats_bench is installed")
    with pytest.raises(NaspredError, match="pip install nats_bench.*TORCH_HOME"):
        load_nats_bench(None)
