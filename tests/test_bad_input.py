"""Bad input, case by case (issue #19, item 7): each ends in one line ``error: ...``
naming the option or file, with exit status 2 and no traceback, before any work
starts -- or in the documented behaviour. Nothing here depends on the machine's
speed: waits poll for a state with generous deadlines, never time a step."""

from __future__ import annotations

import json
import logging
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import typer
from typer.testing import CliRunner

from naspred.benchmarks.nb201_training import load_nb201_full_training
from naspred.cli import app
from naspred.data.images import BatchProvider, load_npz_sample
from naspred.errors import BenchmarkFileError

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()
WIDE = {"COLUMNS": "400"}


def _commands(group, prefix: str = "") -> dict:
    found = {}
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            found |= _commands(command, f"{prefix}{name} ")
        else:
            found[f"{prefix}{name}"] = command
    return found


COMMANDS = _commands(typer.main.get_command(app))


def _having(option: str) -> list[str]:
    """Every command with ``option``, enumerated from the CLI itself."""
    return sorted(
        name
        for name, command in COMMANDS.items()
        if any(option in p.opts for p in command.params if hasattr(p, "opts"))
    )


def invoke(args: list[str]):
    return runner.invoke(app, args, env=WIDE)


def assert_one_error(result, *names: str) -> str:
    """Exit 2, exactly one ``error:`` line naming each of ``names``, no traceback."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    assert "Traceback" not in result.output and "╭" not in result.output
    for name in names:
        assert name in errors[0], (name, errors[0])
    return errors[0]


@pytest.fixture(autouse=True)
def no_suite_zero_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NASPRED_SUITE_ZERO_DIR", raising=False)


# ---- 1. files and directories given to --keys-file, --out, --store ----------------------


def test_the_path_options_are_where_expected() -> None:
    # the cases below are enumerated from the CLI; this pins what they cover
    assert _having("--keys-file") == ["make-benchmark", "proxies compute"]
    assert _having("--store") == ["predictors", "tradeoff", "transfer"]
    assert set(_having("--out")) == {
        "analyse", "compare", "correlations", "make-benchmark", "predictors", "proxies compute",
        "tradeoff", "transfer",
    }  # fmt: skip


def _keys_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    binary = tmp_path / "keys.bin"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n")
    (tmp_path / "adir").mkdir()
    return {
        "missing": (tmp_path / "absent.txt", "does not exist"),
        "directory": (tmp_path / "adir", "is a directory"),
        "not text": (binary, "not a text file"),
        "no key": (empty, "holds no arch"),
    }


@pytest.mark.parametrize("command", _having("--keys-file"))
@pytest.mark.parametrize("case", ["missing", "directory", "not text", "no key"])
def test_a_bad_keys_file_is_one_line(command: str, case: str, tmp_path: Path) -> None:
    path, message = _keys_files(tmp_path)[case]
    out = tmp_path / ("o.jsonl" if command == "make-benchmark" else "o")
    args = [*command.split(), "--keys-file", str(path), "--out", str(out), "-t", "nasbench201/x"]
    if command == "make-benchmark":
        args = [a for a in args if a not in ("-t", "nasbench201/x")]
        args += ["--npz", str(ROOT.parent / "shared/data/cifar10_sample.npz")]
    error = assert_one_error(invoke(args), "--keys-file", str(path), message)
    assert not out.exists(), error  # nothing was started


@pytest.mark.parametrize("command", _having("--out"))
def test_out_that_cannot_be_written_is_one_line(command: str, tmp_path: Path) -> None:
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    if command == "make-benchmark":  # its --out is the learning-curve file itself
        assert_one_error(invoke([*command.split(), "--out", str(tmp_path)]), "--out", "directory")
    else:
        assert_one_error(invoke([*command.split(), "--out", str(a_file)]), "--out", "is a file")
    # a path under a file cannot be created either
    under = a_file / "sub" / ("x.jsonl" if command == "make-benchmark" else "")
    assert_one_error(
        invoke([*command.split(), "--out", str(under)]), "--out", f"{a_file} is a file"
    )


@pytest.mark.parametrize("command", _having("--store"))
def test_a_store_that_is_a_directory_is_one_line(command: str, tmp_path: Path) -> None:
    assert_one_error(
        invoke([*command.split(), "--store", str(tmp_path)]), "--store", str(tmp_path), "directory"
    )


def test_a_usage_error_is_one_line_too() -> None:
    # click's own checks (an unknown option, a missing one) take the same form
    assert_one_error(invoke(["correlations", "--no-such-option"]), "--no-such-option")
    assert_one_error(invoke(["make-benchmark"]), "--out")


# ---- 2. npz image samples of the wrong shape, dtype, keys ---------------------------------


@pytest.fixture(scope="module")
def sample(shared_data: Path) -> dict[str, np.ndarray]:
    with np.load(shared_data / "cifar10_sample.npz") as data:
        return {k: data[k][:200] for k in data.files}


BAD_SAMPLES = {
    # name: (how the arrays are changed, what the message must say)
    "no channel axis": (
        lambda d: d.update(train_x=d["train_x"][:, 0]), "train_x is uint8 (200, 32, 32)"
    ),
    "channels last": (
        lambda d: d.update(train_x=d["train_x"].transpose(0, 2, 3, 1)),
        "train_x is uint8 (200, 32, 32, 3)",
    ),
    "float images": (
        lambda d: d.update(train_x=d["train_x"].astype(np.float32) / 255),
        "train_x is float32 (200, 3, 32, 32)",
    ),
    "labels of another length": (
        lambda d: d.update(train_y=d["train_y"][:50]), "train_y is int64 (50,)"
    ),
    "labels out of range": (lambda d: d.update(train_y=d["train_y"] + 10), "outside 0..9"),
    "negative labels": (lambda d: d.update(train_y=d["train_y"] - 1), "labels -1..8, outside 0..9"),
    "no x array": (lambda d: d.pop("train_x"), "no array train_x"),
    "no y array": (lambda d: d.pop("train_y"), "no array train_y"),
}  # fmt: skip


def _write_npz(path: Path, sample: dict, change) -> Path:
    arrays = dict(sample)
    change(arrays)
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize("case", sorted(BAD_SAMPLES))
def test_a_bad_npz_sample_names_file_array_and_shape(case: str, sample, tmp_path: Path) -> None:
    change, message = BAD_SAMPLES[case]
    path = _write_npz(tmp_path / "bad.npz", sample, change)
    with pytest.raises(BenchmarkFileError, match="expected:") as err:
        load_npz_sample(path, num_classes=10)
    assert str(path) in str(err.value) and message in str(err.value)
    # the proxies' loader raises the same, never falling back to noise or wrapping labels
    with pytest.raises(BenchmarkFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        BatchProvider.from_source("cifar10", npz=path)


def test_labels_are_never_taken_modulo_the_class_count(sample, tmp_path: Path) -> None:
    path = _write_npz(tmp_path / "c100.npz", sample, lambda d: d.update(train_y=d["train_y"] + 90))
    provider = BatchProvider.from_source("cifar100", npz=path)  # 90..99: fits 100 classes
    np.testing.assert_array_equal(provider.labels, sample["train_y"] + 90)
    with pytest.raises(BenchmarkFileError, match="outside 0..9"):
        BatchProvider.from_source("cifar10", npz=path)


def test_a_file_that_is_not_an_npz(tmp_path: Path) -> None:
    path = tmp_path / "text.npz"
    path.write_text("not numpy")
    with pytest.raises(BenchmarkFileError, match=r"not an \.npz file"):
        load_npz_sample(path)


@pytest.mark.parametrize("command", ["proxies compute", "make-benchmark", "compare"])
@pytest.mark.parametrize("case", ["no channel axis", "labels out of range", "no x array"])
def test_a_bad_npz_stops_every_command_before_work(
    command: str, case: str, sample, suite_zero_dir: Path, tmp_path: Path
) -> None:
    change, message = BAD_SAMPLES[case]
    path = _write_npz(tmp_path / "bad.npz", sample, change)
    out = tmp_path / "out"
    args = {
        "proxies compute": ["-t", "nasbench201/cifar10", "--n-archs", "3", "-P", "jacov",
                            "--out", str(out)],
        "make-benchmark": ["--n-archs", "2", "--out", str(out / "c.jsonl"), "--backend", "local"],
        "compare": ["synflow", "-t", "nasbench201/cifar10", "--n-archs", "5", "--out", str(out)],
    }[command]  # fmt: skip
    result = invoke(
        [*command.split(), *args, "--npz", str(path), "--suite-zero-dir", str(suite_zero_dir)]
        if command != "make-benchmark"
        else [*command.split(), *args, "--npz", str(path)]
    )
    assert_one_error(result, str(path), message)
    assert not out.exists() or not any(out.rglob("*")), "work started before the check"


# ---- 3. --device ----------------------------------------------------------------------------


@pytest.mark.parametrize("command", _having("--device"))
def test_an_unknown_device_is_one_line_before_any_worker(command: str, tmp_path: Path) -> None:
    assert set(_having("--device")) == {"compare", "make-benchmark", "proxies compute"}
    out = tmp_path / "out"
    error = assert_one_error(
        invoke([*command.split(), "--device", "foo", "--out", str(out)]),
        "--device",
        "'foo' is not a torch device",
        "available here: cpu",
    )
    assert not out.exists(), error


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
@pytest.mark.parametrize("device", ["cuda", "cuda:1"])
def test_cuda_without_cuda_is_one_line(device: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["proxies", "compute", "-t", "nasbench201/x", "--n-archs", "2", "--out", str(out)]
    assert_one_error(
        invoke([*args, "--device", device]), "--device", f"'{device}' is not available", "cpu"
    )
    assert not out.exists()
    # Ray's workers may be machines with GPUs: only the spelling is checked here (the
    # run then stops at the next check: no images for a dataset 'x')
    error = assert_one_error(
        # an address where nothing listens: no local cluster is ever started here
        invoke([*args, "--device", device, "--backend", "ray", "--ray-address", "127.0.0.1:1"]),
        "unknown dataset 'x'",
    )
    assert "--device" not in error


# ---- 4. malformed numbers and lists --------------------------------------------------------

BAD_NUMBERS = [
    (["predictors", "--seeds", "a-b"], ["--seeds", "'a-b' is not an integer list", "0-4"]),
    (["tradeoff", "--seeds", "4-0"], ["--seeds", "'4-0' is an empty range"]),
    (["predictors", "--seeds", ","], ["--seeds", "holds no integer"]),
    (["predictors", "--train-sizes", "0,10"], ["--train-sizes", "'0' has a value below 1"]),
    (["tradeoff", "--query-epochs", "two"], ["--query-epochs", "'two'"]),
    (["proxies", "compute", "-t", "x/y", "--n-archs", "-3"], ["--n-archs", "1"]),
    (["make-benchmark", "--out", "o.jsonl", "--n-archs", "0"], ["--n-archs"]),
    (["compare", "synflow", "--n-archs", "-3"], ["--n-archs"]),
    (["proxies", "compute", "-t", "x/y", "--n-jobs", "0"], ["--n-jobs", "1"]),
    (["make-benchmark", "--out", "o.jsonl", "--torch-threads", "0"], ["--torch-threads"]),
    (["compare", "synflow", "--n-archs", "many"], ["--n-archs", "integer"]),
    # zeros that ran before: an empty minibatch, no bootstrap, chunk size 0 as "automatic"
    (["proxies", "compute", "-t", "x/y", "--batch-size", "0"], ["--batch-size", "1"]),
    (["proxies", "compute", "-t", "x/y", "--chunk-size", "0"], ["--chunk-size", "1"]),
    (["compare", "synflow", "--n-boot", "0"], ["--n-boot", "1"]),
    (["compare", "synflow", "--batch-size", "0"], ["--batch-size", "1"]),
    (["predictors", "--test-size", "0"], ["--test-size", "1"]),
    (["tradeoff", "--test-size", "0"], ["--test-size", "1"]),
    (["make-benchmark", "--out", "o.jsonl", "--epochs", "0"], ["--epochs", "1"]),
    (["make-benchmark", "--out", "o.jsonl", "--batch-size", "0"], ["--batch-size", "1"]),
]  # fmt: skip


@pytest.mark.parametrize(("args", "names"), BAD_NUMBERS, ids=lambda v: " ".join(v)[:40])
def test_a_malformed_number_names_its_option(args: list[str], names: list[str]) -> None:
    assert_one_error(invoke(args), *names)


# ---- 5. options that contradict each other -------------------------------------------------

CONTRADICTIONS = [
    # --all-tasks chooses the tasks itself
    (["predictors", "--all-tasks", "-t", "nasbench101/*"], ["--all-tasks", "drop -t/--task"]),
    (["predictors", "--all-tasks", "--target", "edgegpu_latency", "--cells", "valid"],
     ["--all-tasks", "drop --target, --cells"]),
    (["predictors", "--all-tasks", "--preset", "naslib-predictors"], ["drop --preset"]),
    (["predictors", "--all-tasks", "--no-embedded"], ["drop --embedded/--no-embedded"]),
    (["predictors", "--extra-targets", "edgegpu_latency"], ["--extra-targets", "--all-tasks"]),
]  # fmt: skip


@pytest.mark.parametrize(("args", "names"), CONTRADICTIONS, ids=lambda v: " ".join(v)[:50])
def test_contradicting_options_are_one_line(args: list[str], names: list[str]) -> None:
    assert_one_error(invoke([*args, "-p", "xgb"]), *names)


# ---- 5. a proxy that fails on every arch ----------------------------------------------------


@pytest.fixture(scope="module")
def small_suite_zero(suite_zero_dir: Path, tmp_path_factory) -> Path:
    """12 real NB201 CIFAR-10 records, with `grasp` failed on every one (stored as
    null, as naspred's own runner writes a failure)."""
    data = json.loads((suite_zero_dir / "zc_nasbench201.json").read_text())
    records = data["nasbench201"]["cifar10"]
    keys = [k for k, r in records.items() if "synflow" in r][:12]
    small = {k: records[k] for k in keys}
    for record in small.values():
        record["grasp"] = {"score": None, "time": None}
    where = tmp_path_factory.mktemp("sz")
    (where / "zc_nasbench201.json").write_text(json.dumps({"nasbench201": {"cifar10": small}}))
    return where


def _compare(proxy: str, sz: Path, out: Path, *extra: str):
    return invoke(
        ["compare", proxy, "-t", "nasbench201/cifar10", "--suite-zero-dir", str(sz),
         "--n-archs", "12", "--n-boot", "20", "--no-progress", "--out", str(out), *extra]
    )  # fmt: skip


def test_a_user_proxy_failing_everywhere_is_one_line_after_its_failures_file(
    small_suite_zero: Path, tmp_path: Path
) -> None:
    module = tmp_path / "my_failing.py"
    module.write_text("def always_fails(ctx):\n    raise RuntimeError('boom')\n")
    out = tmp_path / "out"
    result = _compare(f"{module}:always_fails", small_suite_zero, out)
    assert_one_error(result, "always_fails", "any of the 12 archs", "RuntimeError('boom')",
                     str(out / "failures.csv"))  # fmt: skip
    failures = pd.read_csv(out / "failures.csv")
    assert len(failures) == 12 and set(failures["proxy"]) == {"always_fails"}
    assert failures["error"].str.contains("boom").all()
    ranks = pd.read_csv(out / "mean_rank.csv").set_index("proxy")
    row = ranks.loc["always_fails"]  # listed, not dropped
    assert row["tasks"] == 0 and np.isnan(row["mean_rank"])
    assert (row["archs"], row["non_finite"]) == (12, 12)
    # its 12 are failures, counted apart from NaN/inf scores
    table = pd.read_csv(out / "compare.csv").set_index("proxy")
    assert table.loc["always_fails", ["n_failed", "n_nonfinite"]].tolist() == [12, 0]
    assert "| failed |" in (out / "compare.md").read_text().replace("  ", " ").replace("  ", " ")


def test_a_baseline_failing_everywhere_is_listed_with_a_warning(
    small_suite_zero: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "out"
    with caplog.at_level(logging.WARNING, logger="naspred.experiments.compare"):
        result = _compare("params", small_suite_zero, out)
    assert result.exit_code == 0, result.output
    assert "baseline grasp has no finite score on any of the 12 archs" in caplog.text
    # the printed ranking lists it, unranked, with its count
    line = next(row for row in result.output.splitlines() if row.startswith("| grasp "))
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[-2:] == ["12", "12"]  # archs, non-finite
    assert cells[1] in ("", "nan")  # no mean rank
    ranks = pd.read_csv(out / "mean_rank.csv").set_index("proxy")
    assert ranks.loc["params", "tasks"] == 1 and ranks.loc["params", "non_finite"] == 0
    assert ranks.loc["grasp", "tasks"] == 0 and ranks.loc["grasp", "non_finite"] == 12


# ---- 6. NASLib curves pickles are unpickled restricted --------------------------------------

ARCH = (
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+"
    "|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
)
ARCH2 = "|none~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|"


def _naslib_record(i: int) -> dict:
    """One arch's record in NASLib's nb201_<dataset>_full_training.pickle layout, with
    the numpy values and OrderedDicts such files hold."""
    from collections import OrderedDict

    return {
        "cifar10-valid": OrderedDict(
            train_losses=np.array([2.0, 1.5, 1.2]) - 0.1 * i,
            eval_losses=[2.1, 1.7, 1.4],
            train_acc1es=[np.float64(20.0 + i), 30.0, 40.0],
            eval_acc1es=np.array([18.0, 25.0, 31.0 + i], dtype=np.float32),
            train_times=[10.0, 10.0, 10.5],
            eval_times=[1.5, 1.5, 1.5],
            cost_info={"flops": 5.0 * (i + 1), "params": 0.1, "latency": np.float64(0.01)},
        )
    }


class _Evil:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_a_naslib_pickle_of_the_format_loads(protocol: int, tmp_path: Path) -> None:
    path = tmp_path / "nb201_cifar10_full_training.pickle"
    path.write_bytes(pickle.dumps({ARCH: _naslib_record(0), ARCH2: _naslib_record(1)}, protocol))
    task = load_nb201_full_training(path)
    assert task.keys == ("(2, 2, 0, 4, 2, 0)", "(1, 0, 4, 3, 1, 2)")
    np.testing.assert_allclose(task.val_accuracy, [31.0, 32.0])
    np.testing.assert_allclose(task.curves["train_loss"][1], [1.9, 1.4, 1.1])
    np.testing.assert_allclose(task.proxies["flops"], [5.0, 10.0])


@pytest.mark.parametrize("protocol", [0, 2, 5])
def test_a_pickle_that_would_run_code_is_refused(protocol: int, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "nb201_cifar10_full_training.pickle"
    payload = {ARCH: _naslib_record(0), "x": _Evil(marker)}
    path.write_bytes(pickle.dumps(payload, protocol))
    with pytest.raises(BenchmarkFileError) as err:
        load_nb201_full_training(path)
    assert str(path) in str(err.value)
    assert "posix.system" in str(err.value) or "os.system" in str(err.value)
    assert not marker.exists()
    # and from the command line: one line, exit 2, still no side effect
    result = invoke(["tasks", "--no-embedded", "--curves", str(path)])
    assert_one_error(result, str(path), "system", "refused")
    assert not marker.exists()


def test_a_pickle_naming_a_class_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nb201_cifar10_full_training.pickle"
    path.write_bytes(pickle.dumps({ARCH: {"cifar10-valid": Path("/etc")}}))
    with pytest.raises(BenchmarkFileError, match=r"global pathlib\.PosixPath"):
        load_nb201_full_training(path)


# ---- 7. the torch thread count of a scoring journal ------------------------------------------


def test_a_resume_with_another_torch_thread_count_is_refused(
    suite_zero_dir: Path, shared_data: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = [
        "proxies", "compute", "-t", "nasbench201/cifar10", "--suite-zero-dir",
        str(suite_zero_dir), "--n-archs", "2", "-P", "params,synflow", "--npz",
        str(shared_data / "cifar10_sample.npz"), "--backend", "local", "--n-jobs", "1",
        "--no-progress", "--out", str(out),
    ]  # fmt: skip
    first = invoke([*args, "--torch-threads", "1"])
    assert first.exit_code == 0, first.output
    journal = out / "zc_nasbench201.journal.jsonl"
    rows = [json.loads(line) for line in journal.read_text().splitlines()]
    assert len(rows) == 2 and {r["torch_threads"] for r in rows} == {1}
    before = journal.read_bytes()
    again = invoke([*args, "--torch-threads", "2"])
    assert_one_error(again, "--torch-threads 1", "would use 2", str(journal))
    assert journal.read_bytes() == before
    same = invoke([*args, "--torch-threads", "1"])  # the same count resumes: nothing to do
    assert same.exit_code == 0 and "0 scored now, 2 already done" in same.output


def test_a_compare_journal_records_and_checks_the_thread_count(
    small_suite_zero: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    # compare scores on local workers, each with --torch-threads threads (default 1)
    assert _compare("params", small_suite_zero, out).exit_code == 0
    rows = [json.loads(x) for x in (out / "scores.journal.jsonl").read_text().splitlines()]
    assert {r["torch_threads"] for r in rows} == {1}
    before = (out / "scores.journal.jsonl").read_bytes()
    result = _compare("params", small_suite_zero, out, "--torch-threads", "2")
    assert_one_error(result, "computed with 1 torch threads", "would use 2", "--torch-threads 1")
    assert (out / "scores.journal.jsonl").read_bytes() == before
    # in this process (serial), the count is the process's own
    threads = torch.get_num_threads()
    serial = _compare("params", small_suite_zero, tmp_path / "serial", "--backend", "serial")
    assert serial.exit_code == 0, serial.output
    rows = [
        json.loads(x)
        for x in (tmp_path / "serial" / "scores.journal.jsonl").read_text().splitlines()
    ]
    assert {r["torch_threads"] for r in rows} == {threads}


@pytest.mark.parametrize("dataset", ["cifar10", "cifar100"])
def test_journals_from_before_the_thread_count_resume_unchanged(
    dataset: str,
    suite_zero_dir: Path,
    shared_data: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The committed live journal (no thread count recorded; the source of
    tables/correlations/live_nasbench201) resumes with any count, scores nothing again
    and gives back exactly its scores. Its cifar100 part was scored on the CIFAR-10
    sample, whose labels 0..9 lie in CIFAR-100's range: the same batch, no wrapping."""
    from naspred.benchmarks import load_suite_zero
    from naspred.experiments.proxy_scoring import compute_task_scores

    live = ROOT / "tables" / "proxies" / "live"
    for name in ("zc_nasbench201.journal.jsonl", "zc_nasbench201.failures.jsonl"):
        shutil.copy(live / name, tmp_path / name)
    # the journal names its images by an absolute path of the machine that wrote it
    moved = tmp_path / "elsewhere" / "cifar10_sample.npz"
    moved.parent.mkdir()
    shutil.copy(shared_data / "cifar10_sample.npz", moved)
    rows = [json.loads(x) for x in (live / "zc_nasbench201.journal.jsonl").read_text().splitlines()]
    rows = [r for r in rows if r["dataset"] == dataset and r["scores"]]
    assert rows and all("torch_threads" not in r for r in rows)
    [task] = [
        t for t in load_suite_zero(suite_zero_dir / "zc_nasbench201.json") if t.dataset == dataset
    ]
    keys = list(dict.fromkeys(r["arch"] for r in rows))
    names = sorted({p for r in rows for p in r["scores"]})
    threads = torch.get_num_threads()
    torch.set_num_threads(threads + 2)  # any count: nothing recorded to differ from
    try:
        summary = compute_task_scores(
            task, names, out_json=tmp_path / "zc_nasbench201.json", keys=keys,
            npz=moved, backend="serial", progress=False,
        )  # fmt: skip
    finally:
        torch.set_num_threads(threads)
    assert (summary.scored, summary.skipped) == (0, len(keys))
    assert "matched by file name" in caplog.text
    written = json.loads((tmp_path / "zc_nasbench201.json").read_text())["nasbench201"][dataset]
    for row in rows:
        for name, score in row["scores"].items():
            assert written[row["arch"]][name]["score"] == score, (row["arch"], name)
    assert (tmp_path / "zc_nasbench201.journal.jsonl").read_bytes() == (
        live / "zc_nasbench201.journal.jsonl"
    ).read_bytes()


def test_a_journal_resumes_on_the_same_images_anywhere_and_refuses_other_ones(
    suite_zero_dir: Path, shared_data: Path, tmp_path: Path
) -> None:
    """The journal records what the images are (name, count, content digest), not where
    they lie: a moved copy resumes, a same-named file with other images is refused."""
    here = tmp_path / "a" / "cifar10_sample.npz"
    here.parent.mkdir()
    shutil.copy(shared_data / "cifar10_sample.npz", here)
    out = tmp_path / "out"

    def run(npz: Path) -> typer.testing.Result:
        return invoke([
            "proxies", "compute", "-t", "nasbench201/cifar10", "--suite-zero-dir",
            str(suite_zero_dir), "--n-archs", "2", "-P", "snip", "--npz", str(npz),
            "--backend", "serial", "--no-progress", "--out", str(out),
        ])  # fmt: skip

    first = run(here)
    assert first.exit_code == 0, first.output
    journal = out / "zc_nasbench201.journal.jsonl"
    [label] = {json.loads(line)["data"] for line in journal.read_text().splitlines()}
    assert label.startswith("sample cifar10_sample.npz: ") and "sha256:" in label
    assert str(tmp_path) not in label
    moved = tmp_path / "b" / "cifar10_sample.npz"
    moved.parent.mkdir()
    here.rename(moved)
    again = run(moved)
    assert again.exit_code == 0 and "0 scored now, 2 already done" in again.output
    with np.load(moved) as f:
        arrays = dict(f)
    key = next(k for k in arrays if arrays[k].dtype == np.uint8)
    arrays[key] = arrays[key][::-1].copy()  # the same images in another order
    np.savez(moved, **arrays)
    before = journal.read_bytes()
    other = run(moved)
    assert_one_error(other, "other settings", "sample cifar10_sample.npz", str(journal))
    assert journal.read_bytes() == before


# ---- 8. workers do not outlive a killed make-benchmark ----------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie (exited, waiting to be reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _has_torch(pid: int) -> bool:
    """The worker got past its initializer (which sets the death signal first, then
    imports torch)."""
    try:
        return "libtorch" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_workers_of_a_killed_make_benchmark_die_with_it(shared_data: Path, tmp_path: Path) -> None:
    cmd = [
        sys.executable, "-m", "naspred", "make-benchmark", "--out", str(tmp_path / "c.jsonl"),
        "--n-archs", "4", "--npz", str(shared_data / "cifar10_sample.npz"), "--epochs", "50",
        "-C", "4", "-N", "1", "--image-size", "8", "--train-images", "256", "--val-images", "64",
        "--backend", "local", "--n-jobs", "2", "--no-progress",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    parent = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 300  # a state to reach, not a speed
        while True:
            assert parent.poll() is None, parent.stderr.read().decode()
            workers = [pid for pid in _children(parent.pid) if _has_torch(pid)]
            if len(workers) == 2:
                break
            assert time.monotonic() < deadline, "the workers never started"
            time.sleep(0.2)
        children = _children(parent.pid)  # the workers and multiprocessing's helpers
    finally:
        parent.send_signal(signal.SIGKILL)  # the parent only: the workers are on their own
        parent.wait()
        parent.stderr.close()
    deadline = time.monotonic() + 20
    while any(_running(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = [pid for pid in children if _running(pid)]
    for pid in survivors:  # a failing run must not leave them computing
        os.kill(pid, signal.SIGKILL)
    assert not survivors, "workers outlived the parent"


def test_a_comparison_on_noise_says_so_in_its_title(
    small_suite_zero: Path, shared_data: Path, tmp_path: Path
) -> None:
    # no image data asked for: the documented noise fallback, named in the title
    assert _compare("params", small_suite_zero, tmp_path / "noise").exit_code == 0
    md = (tmp_path / "noise" / "compare.md").read_text()
    assert md.splitlines()[0] == "# `params` against the baselines -- on Gaussian noise, not images"
    assert "gaussian noise (no image data given)" in md and "give --npz" in md
    # with images: a plain title and the sample named
    npz = shared_data / "cifar10_sample.npz"
    result = _compare("params", small_suite_zero, tmp_path / "images", "--npz", str(npz))
    assert result.exit_code == 0, result.output
    md = (tmp_path / "images" / "compare.md").read_text()
    assert md.splitlines()[0] == "# `params` against the baselines"
    assert "Minibatch: nasbench201/cifar10: cifar10_sample.npz (cifar10 sample)." in md
    assert "noise" not in md.lower() and str(npz.parent) not in md
