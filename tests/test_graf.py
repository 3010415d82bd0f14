"""The GRAF release as a task source, its hardware and robustness targets, HW-NAS-Bench's
pickle, Task.retarget / --target, and the arch2vec encoding, on the real files in
../shared/data/graf (Kadlecová et al., ICML 2024)."""

from __future__ import annotations

import itertools
import pickle
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from naspred.benchmarks import (
    TARGET,
    attach_targets,
    is_graf_valid,
    load_graf,
    load_graf_targets,
    load_hw_nas_bench,
    load_tasks,
)
from naspred.benchmarks.hw_nas_bench import PICKLE_NAME
from naspred.benchmarks.task import BASE_TARGET
from naspred.errors import (
    BenchmarkFileError,
    DataUnavailableError,
    InvalidInputError,
    UnknownArchError,
    UnknownNameError,
    UnknownTaskError,
    WrongTypeError,
)
from naspred.metrics import kendall, spearman

ALL_NONE = "(1, 1, 1, 1, 1, 1)"


@pytest.fixture(autouse=True)
def no_env_dirs(monkeypatch: pytest.MonkeyPatch) -> None:
    # directories in the environment would change the task sources
    monkeypatch.delenv("NASPRED_SUITE_ZERO_DIR", raising=False)
    monkeypatch.delenv("NASPRED_GRAF_DIR", raising=False)


@pytest.fixture(scope="module")
def graf_dir(shared_data: Path) -> Path:
    path = shared_data / "graf"
    if not (path / "nb201_valid_nets.csv").is_file():
        pytest.skip(f"GRAF release data not found at {path}")
    return path


@pytest.fixture(scope="module")
def graf_task(graf_dir: Path):
    [task] = load_graf(graf_dir)
    return task


@pytest.fixture(scope="module")
def cifar10_tasks(graf_dir: Path, shared_data: Path):
    """Suite-Zero's and GRAF's NB201 CIFAR tasks with GRAF's targets attached."""
    tasks = load_tasks(
        ["nasbench201/cifar*"], suite_zero=_nb201_records(shared_data), graf=graf_dir
    )
    return {t.name: t for t in tasks}


def _nb201_records(shared_data: Path) -> Path:
    path = shared_data / "suite_zero" / "zc_nasbench201.json"
    if not path.is_file():
        pytest.skip(f"Suite-Zero records not found at {path}")
    return path


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"net": str}).set_index("net")


# ---- GRAF's valid cells ---------------------------------------------------------------


def test_validity_rule_selects_exactly_the_release_cells(graf_dir: Path) -> None:
    cells = ["(" + ", ".join(map(str, ops)) + ")" for ops in itertools.product(range(5), repeat=6)]
    valid = {key for key in cells if is_graf_valid(key)}
    released = set(_csv(graf_dir / "nb201_valid_nets.csv").index)
    assert len(cells) == 15625 and len(valid) == 9445
    assert valid == released
    # an op fed by nothing: node 2 gets no input, so its conv to node 4 is unreachable
    assert not is_graf_valid("(1, 0, 0, 1, 2, 0)")
    # an op that feeds nothing: node 3 reaches the output through none only
    assert not is_graf_valid("(0, 2, 0, 0, 0, 1)")
    assert is_graf_valid(ALL_NONE) and is_graf_valid("(2, 2, 2, 2, 2, 2)")


# ---- the GRAF task --------------------------------------------------------------------


def test_graf_task_holds_the_release(graf_task, graf_dir: Path) -> None:
    t = graf_task
    assert t.name == "nasbench201/cifar10-graf" and len(t) == 9445
    assert t.proxy_names == sorted(
        "epe_nas fisher flops grad_norm grasp jacov l2_norm nwot params plain snip synflow "
        "zen".split()
    )
    accs = _csv(graf_dir / "nb201_valid_nets.csv")["val_accs"]
    assert np.array_equal(t.val_accuracy, accs.loc[list(t.keys)].to_numpy())
    proxies = _csv(graf_dir / "nb201_zc_proxies.csv")
    key = "(2, 4, 0, 0, 3, 2)"
    row = t.index([key])[0]
    assert t.proxies["synflow"][row] == proxies.loc[key, "synflow"]
    # Suite-Zero's -1e8 failure marker (the all-none cell) is a recorded failure, NaN
    dead = t.index([ALL_NONE])[0]
    assert sorted(t.proxy_failed) == ["epe_nas", "jacov", "nwot", "zen"]
    for name in t.proxy_names:
        expected = [dead] if name in t.proxy_failed else []
        assert list(np.flatnonzero(t.failed(name))) == expected, name
        assert list(np.flatnonzero(~np.isfinite(t.proxies[name]))) == expected, name


def test_zen_on_valid_cells_vs_all_cells(graf_task, cifar10_tasks) -> None:
    g, sz = graf_task, cifar10_tasks["nasbench201/cifar10"]
    zen = g.proxies["zen"]
    ok = np.isfinite(zen)
    assert spearman(g.val_accuracy[ok], zen[ok]) == pytest.approx(0.1003, abs=5e-4)
    # Suite-Zero's 15,625 cells, its 341 failures ranked last as the raw -1e8 marker
    # ranks them (the claim of #16), and left out
    assert int(sz.failed("zen").sum()) == 341
    worst = sz.failures_as_worst().proxies["zen"]
    assert spearman(sz.val_accuracy, worst) == pytest.approx(0.3549, abs=5e-4)
    live = ~sz.failed("zen")
    assert spearman(sz.val_accuracy[live], sz.proxies["zen"][live]) == pytest.approx(
        0.3108, abs=5e-4
    )
    # the two releases agree on the deterministic zen and on the accuracy of each cell
    rows = sz.index(g.keys)
    assert np.array_equal(sz.val_accuracy[rows], g.val_accuracy)
    np.testing.assert_allclose(sz.proxies["zen"][rows][ok], zen[ok], rtol=1e-9)


def _copy_release(graf_dir: Path, tmp_path: Path, *names: str) -> Path:
    out = tmp_path / "graf"
    out.mkdir()
    for name in names:
        shutil.copy(graf_dir / name, out / name)
        (out / name).chmod(0o644)
    return out


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda f: f.assign(net=f["net"].where(f.index != 3, "(5, 0, 0, 0, 0, 0)")), "line 5"),
        (lambda f: f.assign(net=f["net"].where(f.index != 3, f["net_str"])), "Suite-Zero key"),
        (lambda f: f.assign(net_str=f["net_str"].where(f.index != 2, f["net_str"][0])), "net_str"),
        (lambda f: pd.concat([f, f.iloc[[7]]]), "more than once"),
        (lambda f: f.assign(val_accs=f["val_accs"].where(f.index != 4, 101.0)), "outside [0, 100]"),
        (lambda f: f.assign(val_accs=f["val_accs"].where(f.index != 4, np.nan)), "'val_accs'"),
        (lambda f: f.drop(columns=["val_accs"]), "no 'val_accs' column"),
        (lambda f: f.drop(columns=["net"]), "no 'net' column"),
    ],
    ids=[
        "bad-key",
        "string-as-key",
        "net_str",
        "duplicate",
        "range",
        "nan",
        "no-accuracy",
        "no-net",
    ],
)
def test_malformed_release_files_are_named(graf_dir: Path, tmp_path: Path, edit, message) -> None:
    out = tmp_path / "graf"
    out.mkdir()
    frame = pd.read_csv(graf_dir / "nb201_valid_nets.csv", dtype=str, nrows=50)
    frame = frame.assign(val_accs=frame["val_accs"].astype(float))
    edit(frame).to_csv(out / "nb201_valid_nets.csv", index=False)
    with pytest.raises(BenchmarkFileError, match="nb201_valid_nets.csv") as err:
        load_graf(out)
    assert message in str(err.value)


def test_proxy_file_without_accuracies_and_other_datasets(graf_dir: Path, tmp_path: Path) -> None:
    out = _copy_release(graf_dir, tmp_path, "nb201_zc_proxies.csv")
    with pytest.raises(BenchmarkFileError, match="nb201_valid_nets.csv"):
        load_graf(out)
    # another dataset's files, named as the release names them, make a task of their own
    (out / "nb201_zc_proxies.csv").rename(out / "nb201_ImageNet16-120_zc_proxies.csv")
    frame = pd.read_csv(graf_dir / "nb201_valid_nets.csv", dtype={"net": str})
    frame.assign(val_accs=frame["val_accs"] / 2).to_csv(
        out / "nb201_ImageNet16-120_valid_nets.csv", index=False
    )
    [task] = load_graf(out)
    assert task.name == "nasbench201/ImageNet16-120-graf" and len(task) == 9445
    assert task.val_accuracy.max() == pytest.approx(91.57 / 2)


# ---- targets --------------------------------------------------------------------------


def test_targets_attach_to_every_cifar10_task_by_key(cifar10_tasks, graf_dir: Path) -> None:
    hw = _csv(graf_dir / "hw_cifar10.csv")
    robust = _csv(graf_dir / "robustness_targets.csv")
    for name in ("nasbench201/cifar10", "nasbench201/cifar10-graf"):
        t = cifar10_tasks[name]
        assert set(hw.columns) | set(robust.columns) - {"val_accs"} == set(t.targets)
        keys = list(t.keys)
        np.testing.assert_array_equal(
            t.targets["edgegpu_latency"], hw.loc[keys, "edgegpu_latency"].to_numpy()
        )
        np.testing.assert_array_equal(
            t.targets["pgd@Linf_eps-1.0"], robust.loc[keys, "pgd@Linf_eps-1.0"].to_numpy()
        )
        # HW-NAS-Bench's -1 ("not measured") is NaN, not a latency
        raw = hw.loc[keys, "edgetpu_latency"].to_numpy()
        assert np.array_equal(np.isnan(t.targets["edgetpu_latency"]), raw == -1)
    assert int(np.isnan(cifar10_tasks["nasbench201/cifar10"].targets["edgetpu_latency"]).sum()) == (
        4699
    )
    # CIFAR-100 gets its own hardware costs and no CIFAR-10 robustness
    c100 = cifar10_tasks["nasbench201/cifar100"]
    hw100 = _csv(graf_dir / "hw_cifar100.csv")
    assert set(c100.targets) == set(hw100.columns)
    np.testing.assert_array_equal(
        c100.targets["pixel3_latency"], hw100.loc[list(c100.keys), "pixel3_latency"].to_numpy()
    )
    # the robustness file's clean accuracy is NB201's: the join by key is right
    g = cifar10_tasks["nasbench201/cifar10-graf"]
    assert np.array_equal(robust.loc[list(g.keys), "val_accs"].to_numpy(), g.val_accuracy)


def test_embedded_cifar10_task_gets_the_targets(graf_dir: Path) -> None:
    from naspred.benchmarks.learning_curves import embedded_learning_curves

    [lc] = attach_targets(embedded_learning_curves(), load_graf_targets(graf_dir))
    assert lc.name == "nasbench201/cifar10-lc"
    hw = _csv(graf_dir / "hw_cifar10.csv")
    assert len(lc) == 1000
    np.testing.assert_array_equal(
        lc.targets["fpga_energy"], hw.loc[list(lc.keys), "fpga_energy"].to_numpy()
    )


def test_analognas_task_gets_the_cifar10_targets(graf_dir: Path) -> None:
    from naspred.benchmarks import analog_nasbench

    if not analog_nasbench.is_available():
        pytest.skip(f"AnalogNAS-Bench not installed ({analog_nasbench.GET_IT})")
    [analog] = attach_targets(analog_nasbench.load_analog_nasbench(), load_graf_targets(graf_dir))
    robust = _csv(graf_dir / "robustness_targets.csv")
    assert analog.name == "nasbench201/analognas_cifar10" and len(analog) == 15625
    np.testing.assert_array_equal(
        analog.targets["fgsm@Linf_eps-8.0"], robust.loc[list(analog.keys), "fgsm@Linf_eps-8.0"]
    )
    assert "analog_accuracy" in analog.targets  # its own targets are kept


def test_archs_missing_from_a_target_file_get_nan(graf_task, graf_dir: Path, tmp_path) -> None:
    out = tmp_path / "graf"
    out.mkdir()
    hw = pd.read_csv(graf_dir / "hw_cifar10.csv", dtype={"net": str})
    keep = hw[hw["net"] != graf_task.keys[0]].iloc[:, :3]
    keep.to_csv(out / "hw_cifar10.csv", index=False)
    [task] = attach_targets([graf_task], load_graf_targets(out))
    lat = task.targets["edgegpu_latency"]
    assert np.isnan(lat[0]) and int(np.isnan(lat).sum()) == 1
    assert set(task.targets) == {"edgegpu_latency", "edgegpu_energy"}
    with pytest.raises(InvalidInputError, match="already has a target 'edgegpu_latency'"):
        attach_targets([task], load_graf_targets(out))


def test_negative_cost_is_an_error(graf_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "graf"
    out.mkdir()
    hw = pd.read_csv(graf_dir / "hw_cifar10.csv", dtype={"net": str}, nrows=20)
    hw.loc[5, "fpga_latency"] = -3.0
    hw.to_csv(out / "hw_cifar10.csv", index=False)
    with pytest.raises(BenchmarkFileError, match="hw_cifar10.csv: fpga_latency of arch"):
        load_graf_targets(out)


# ---- HW-NAS-Bench's pickle --------------------------------------------------------------


def _hw_pickle(graf_dir: Path, path: Path, dataset: str = "cifar10") -> pd.DataFrame:
    """A pickle in HW-NAS-Bench's layout built from GRAF's hw_cifar10.csv."""
    from naspred.spaces.nasbench201 import NasBench201Arch

    hw = pd.read_csv(graf_dir / "hw_cifar10.csv", dtype={"net": str})
    metrics: dict = {c: hw[c].tolist() for c in hw.columns if c != "net"}
    metrics["config"] = [
        {"arch_str": NasBench201Arch.from_key(k).to_nb201_string(), "stages": [5, 5, 5]}
        for k in hw["net"]
    ]
    path.write_bytes(pickle.dumps({"nasbench201": {dataset: metrics}, "fbnet": {}}))
    return hw.set_index("net")


def test_hw_nas_bench_pickle_gives_the_csv_values(graf_dir: Path, tmp_path: Path) -> None:
    hw = _hw_pickle(graf_dir, tmp_path / PICKLE_NAME)
    [table] = load_hw_nas_bench(tmp_path / PICKLE_NAME)
    assert (table.space, table.dataset, len(table.keys)) == ("nasbench201", "cifar10", 15625)
    assert table.keys == tuple(hw.index)
    assert set(table.values) == set(hw.columns)
    for name, values in table.values.items():
        expected = hw[name].to_numpy()
        np.testing.assert_array_equal(values, np.where(expected == -1, np.nan, expected))


def test_pickle_fills_datasets_the_csvs_lack(graf_dir: Path, tmp_path: Path) -> None:
    out = _copy_release(graf_dir, tmp_path, "hw_cifar10.csv")
    _hw_pickle(graf_dir, out / PICKLE_NAME, dataset="ImageNet")
    tables = {t.dataset: t for t in load_graf_targets(out)}
    assert set(tables) == {"cifar10", "ImageNet16-120"}
    assert tables["cifar10"].source.endswith("hw_cifar10.csv")
    assert tables["ImageNet16-120"].source.endswith(PICKLE_NAME)


class _Sneaky:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_pickle_naming_a_global_is_refused(tmp_path: Path, capsys) -> None:
    path = tmp_path / PICKLE_NAME
    path.write_bytes(pickle.dumps({"nasbench201": {"cifar10": {"config": [], "x": _Sneaky()}}}))
    with pytest.raises(BenchmarkFileError, match="builtins.print") as err:
        load_hw_nas_bench(path)
    assert PICKLE_NAME in str(err.value)
    assert "must never run" not in capsys.readouterr().out
    path.write_bytes(pickle.dumps({"nasbench201": {"cifar10": np.zeros(3)}}))
    with pytest.raises(BenchmarkFileError, match="numpy"):
        load_hw_nas_bench(path)
    path.write_bytes(b"not a pickle")
    with pytest.raises(BenchmarkFileError, match="not a readable pickle"):
        load_hw_nas_bench(path)


# ---- retarget and load_tasks(target=...) -----------------------------------------------------


def test_retarget_makes_a_target_the_main_one(cifar10_tasks) -> None:
    g = cifar10_tasks["nasbench201/cifar10-graf"]
    lat = g.retarget("edgegpu_latency")
    assert lat.name == "nasbench201/cifar10-graf@edgegpu_latency"
    assert lat.digest() != g.digest() and len(lat) == len(g)
    # a cost is negated, so "ranks faster archs higher" is a positive correlation
    np.testing.assert_array_equal(lat.val_accuracy, -g.targets["edgegpu_latency"])
    np.testing.assert_array_equal(lat.targets[BASE_TARGET], g.val_accuracy)
    raw = lat.lookup(lat.keys[:3], "edgegpu_latency")  # the raw cost stays a target
    np.testing.assert_array_equal(raw, g.targets["edgegpu_latency"][:3])
    assert spearman(lat.val_accuracy, g.proxies["flops"]) == pytest.approx(-0.6026, abs=5e-4)
    # an accuracy keeps its sign
    pgd = g.retarget("pgd@Linf_eps-1.0")
    assert pgd.name == "nasbench201/cifar10-graf@pgd@Linf_eps-1.0"
    np.testing.assert_array_equal(pgd.val_accuracy, g.targets["pgd@Linf_eps-1.0"])
    # archs with no value are left out (784 valid cells have no Edge TPU latency)
    tpu = g.retarget("edgetpu_latency")
    assert len(tpu) == 9445 - 784 and np.isfinite(tpu.val_accuracy).all()
    assert g.retarget(TARGET) is g
    with pytest.raises(UnknownNameError, match="no target 'nope'"):
        g.retarget("nope")
    with pytest.raises(InvalidInputError, match="already ranks by"):
        lat.retarget("fpga_latency")


def test_load_tasks_target_leaves_out_tasks_without_it(graf_dir: Path, shared_data: Path) -> None:
    suite_zero = _nb201_records(shared_data)
    tasks = load_tasks(
        ["nasbench201/*"], suite_zero=suite_zero, graf=graf_dir, target="pgd@Linf_eps-1.0"
    )
    assert [t.name for t in tasks] == [
        "nasbench201/cifar10@pgd@Linf_eps-1.0",
        "nasbench201/cifar10-graf@pgd@Linf_eps-1.0",
    ]
    with pytest.raises(UnknownNameError, match="no chosen task has the target 'pgd"):
        load_tasks(["nasbench201/cifar100"], suite_zero=suite_zero, target="pgd@Linf_eps-1.0")


def test_correlations_cli_with_target(graf_dir: Path, tmp_path: Path, monkeypatch) -> None:
    import naspred.experiments
    from naspred.cli import app

    seen = {}

    def study(tasks, out, **kwargs):  # the study itself is tested in its own tests
        seen["tasks"], seen["out"] = tasks, out
        return SimpleNamespace(table=pd.DataFrame(), ranks=pd.DataFrame())

    monkeypatch.setattr(naspred.experiments, "run_correlation_study", study)
    result = CliRunner().invoke(
        app,
        ["correlations", "--graf-dir", str(graf_dir), "-t", "nasbench201/cifar10-graf",
         "--target", "edgegpu_latency", "--no-progress"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [task] = seen["tasks"]
    assert task.name == "nasbench201/cifar10-graf@edgegpu_latency"
    assert task.val_accuracy[0] == -task.targets["edgegpu_latency"][0]
    assert seen["out"] == Path("results/correlations/graf@edgegpu_latency")
    result = CliRunner().invoke(
        app, ["correlations", "--graf-dir", str(graf_dir), "--target", "nope"]
    )
    assert result.exit_code == 2 and "no chosen task has the target 'nope'" in result.output


def test_default_correlation_out_names_source_and_target(graf_dir: Path) -> None:
    from naspred.cli.correlations import default_out

    assert default_out(None, None, graf_dir=graf_dir).name == "graf"
    out = default_out(None, None, graf_dir=graf_dir, target="edgegpu_latency")
    assert out.name == "graf@edgegpu_latency"
    assert default_out(None, None).name == "embedded"


# ---- arch2vec ------------------------------------------------------------------------------


def test_arch2vec_encodes_the_published_embeddings(graf_dir: Path, monkeypatch) -> None:
    from naspred.encodings import make_encoder
    from naspred.spaces.nasbench201 import NasBench201Arch

    emb = pd.read_csv(graf_dir / "arch2vec" / "nb201_embeddings.csv", index_col=0)
    emb = emb.set_index("net")
    keys = ["(2, 4, 0, 0, 3, 2)", "(4, 0, 3, 1, 4, 3)", ALL_NONE]
    archs = [NasBench201Arch.from_key(k) for k in keys]
    enc = make_encoder("arch2vec", path=graf_dir / "arch2vec").fit(archs)
    X = enc.transform(archs)
    assert X.shape == (3, 16) and enc.n_features == 16
    np.testing.assert_array_equal(X, emb.loc[keys].to_numpy())
    # the DAG view reads back the same cells
    np.testing.assert_array_equal(enc.transform([a.to_dag() for a in archs]), X)
    # found through $NASPRED_GRAF_DIR without path=
    monkeypatch.setenv("NASPRED_GRAF_DIR", str(graf_dir))
    np.testing.assert_array_equal(make_encoder("arch2vec").fit_transform(archs), X)


def test_arch2vec_errors_name_the_cell_and_the_fix(graf_dir: Path, tmp_path: Path) -> None:
    from naspred.encodings import make_encoder
    from naspred.spaces import get_space
    from naspred.spaces.nasbench201 import NasBench201Arch

    file = graf_dir / "arch2vec" / "nb201_embeddings.csv"
    enc = make_encoder("arch2vec", source="published", path=file)
    dead = NasBench201Arch.from_key("(1, 0, 0, 1, 2, 0)")  # not one of GRAF's valid cells
    with pytest.raises(UnknownArchError, match=r"\(1, 0, 0, 1, 2, 0\).*valid NB201 cells only"):
        enc.fit([dead])
    nb101 = get_space("nasbench101").sample(np.random.default_rng(0))
    with pytest.raises(WrongTypeError, match="NAS-Bench-201 cells only"):
        enc.fit([nb101])
    with pytest.raises(DataUnavailableError, match="NASPRED_GRAF_DIR"):
        make_encoder("arch2vec", source="published").fit([dead])
    # a file named and missing is an error whatever the source, never a fallback
    for source in ("published", "auto"):
        with pytest.raises(DataUnavailableError, match="not found"):
            make_encoder("arch2vec", source=source, path=tmp_path).fit([dead])


def test_xgb_on_arch2vec_beats_random(graf_task, graf_dir: Path, monkeypatch) -> None:
    from naspred.predictors import make_predictor
    from naspred.spaces.nasbench201 import NasBench201Arch

    monkeypatch.setenv("NASPRED_GRAF_DIR", str(graf_dir))
    t = graf_task
    perm = np.random.default_rng(0).permutation(len(t))
    train, test = perm[:300], perm[300:1300]
    archs = [NasBench201Arch.from_key(k) for k in t.keys]
    p = make_predictor("xgb", encoding="arch2vec", seed=0)
    p.fit([archs[i] for i in train], t.val_accuracy[train])
    assert p.encoder_.source_ == "published"  # "auto": every valid cell is covered
    tau = kendall(t.val_accuracy[test], p.query([archs[i] for i in test]))
    random_tau = kendall(t.val_accuracy[test], np.random.default_rng(1).normal(size=len(test)))
    assert abs(random_tau) < 0.05
    assert tau == pytest.approx(0.648, abs=0.03)


@pytest.mark.parametrize("command", ["predictors", "tradeoff", "compare"])
def test_study_commands_pass_graf_dir_and_target(command: str, monkeypatch, tmp_path) -> None:
    import naspred.benchmarks
    from naspred.cli import app

    seen = {}

    def load(*args, **kwargs):
        seen.update(kwargs)
        raise InvalidInputError("stop here")  # the studies are tested in their own tests

    monkeypatch.setattr(naspred.benchmarks, "load_tasks", load)
    args = [command, *(["synflow"] if command == "compare" else [])]
    args += ["--graf-dir", str(tmp_path), "--target", "pgd@Linf_eps-1.0"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "stop here" in result.output, result.output
    assert seen["graf"] == tmp_path and seen["target"] == "pgd@Linf_eps-1.0"


def test_tnb101_micro_file_in_the_release_layout(tmp_path: Path) -> None:
    from naspred.spaces import get_space

    space = get_space("transbench101_micro")
    rng = np.random.default_rng(0)
    keys = list(dict.fromkeys(space.sample(rng).to_key() for _ in range(8)))
    # the published file's columns: pandas' index, net, val_accs, proxies, bookkeeping
    frame = pd.DataFrame(
        {"net": keys, "val_accs": np.linspace(20, 55, len(keys)),
         "zen": np.arange(len(keys), dtype=float), "random": 1, "rank": 2.0, "new_net": keys}
    )  # fmt: skip
    frame.to_csv(tmp_path / "tnb101_micro_valid_nets.csv")
    [task] = load_graf(tmp_path)
    assert task.name == "transbench101_micro/unknown-graf" and task.keys == tuple(keys)
    assert task.proxy_names == ["zen"]
    np.testing.assert_array_equal(task.val_accuracy, frame["val_accs"].to_numpy())


def test_a_fetched_release_answers_target_and_graf_names(graf_dir: Path, monkeypatch) -> None:
    import naspred.benchmarks.graf as graf_release
    from naspred.encodings import make_encoder
    from naspred.spaces.nasbench201 import NasBench201Arch

    with pytest.raises(UnknownTaskError, match="cifar10-graf"):
        load_tasks(["nasbench201/cifar10-graf"])  # nothing fetched (the test's own cache)
    # as `naspred data fetch graf` leaves it (the cache's own checks are test_fetch's)
    monkeypatch.setattr(graf_release, "fetched_graf_dir", lambda: graf_dir)
    [task] = load_tasks(["nasbench201/cifar10-graf"], target="fpga_energy")
    assert task.name == "nasbench201/cifar10-graf@fpga_energy" and len(task) == 9445
    # it does not count as a given directory: without names the embedded tasks stay
    names = {t.name for t in load_tasks(target="edgegpu_latency")}
    assert "nasbench201/cifar10-lc@edgegpu_latency" in names
    assert "nasbench201/cifar10-graf@edgegpu_latency" in names
    arch = NasBench201Arch.from_key("(2, 4, 0, 0, 3, 2)")
    assert make_encoder("arch2vec").fit_transform([arch]).shape == (1, 16)
