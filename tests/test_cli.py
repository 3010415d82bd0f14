"""The command line as a whole: one error handler, one option vocabulary, defaults
under results/. The study functions are replaced where only the CLI's part (parsing,
defaults, wiring) is under test; the end-to-end runs are in the studies' own tests."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import typer
from typer.core import TyperCommand, TyperGroup, TyperOption
from typer.testing import CliRunner

from naspred.benchmarks import Task
from naspred.cli import app
from naspred.cli.command import NaspredCommand
from naspred.cli.options import int_list, predictor_specs, split_list
from naspred.errors import InvalidInputError
from naspred.predictors import make_predictor
from naspred.predictors.spec import PredictorSpec, parse_spec

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()
WIDE = {"COLUMNS": "400"}  # Rich wraps help and usage errors to the terminal's width


def _commands(group: TyperGroup, prefix: str = "") -> dict[str, TyperCommand]:
    """Every leaf command by its full name ("proxies compute")."""
    found: dict[str, TyperCommand] = {}
    for name, command in group.commands.items():
        if isinstance(command, TyperGroup):
            found |= _commands(command, f"{prefix}{name} ")
        else:
            found[f"{prefix}{name}"] = command
    return found


COMMANDS = _commands(typer.main.get_command(app))


@pytest.fixture(autouse=True)
def no_suite_zero_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # a Suite-Zero directory in the environment would change the task sources
    monkeypatch.delenv("NASPRED_SUITE_ZERO_DIR", raising=False)


# ---- the app's shape ---------------------------------------------------------------------


def test_every_command_is_registered_under_the_one_handler() -> None:
    assert set(COMMANDS) == {
        "tasks", "correlations", "compare", "analyse", "predictors", "tradeoff", "transfer",
        "proxies list", "proxies compute", "make-benchmark",
        "data list", "data fetch", "data path",
    }  # fmt: skip
    assert all(isinstance(c, NaspredCommand) for c in COMMANDS.values())


def test_shared_options_have_one_spelling_and_help_shows_defaults() -> None:
    spelled: dict[str, set[tuple[str, ...]]] = {}
    for name, command in COMMANDS.items():
        for param in command.params:
            if not isinstance(param, TyperOption) or param.name == "help":
                continue
            spelled.setdefault(param.name, set()).add(tuple(param.opts))
            assert param.help, f"{name} {param.opts}: no help"
            # defaults come from show_default: Rich would eat a typed "[default: ...]"
            assert "[default" not in param.help, f"{name} {param.opts}"
    assert spelled["task"] == {("--task", "-t")}
    assert spelled["predictor"] == {("--predictor", "-p")}
    assert spelled["proxy"] == {("--proxy", "-P")}
    assert spelled["seed"] == {("--seed",)} and spelled["seeds"] == {("--seeds",)}
    assert spelled["npz"] == {("--npz",)} and spelled["data_root"] == {("--data-root",)}
    assert spelled["device"] == {("--device",)}
    # --cells chooses archs; make-benchmark's network size is named apart
    assert spelled["cells"] == {("--cells",)}
    assert spelled["cells_per_stage"] == {("--cells-per-stage", "-N")}
    # every command that takes images takes them the same way
    takes_images = {n for n, c in COMMANDS.items() if "npz" in {p.name for p in c.params}}
    assert takes_images == {"compare", "proxies compute", "make-benchmark"}
    for name in takes_images:
        assert {"npz", "data_root", "download", "device"} <= {p.name for p in COMMANDS[name].params}


PARALLEL = ("backend", "ray_address", "n_jobs", "torch_threads")


def test_every_command_that_runs_many_units_has_the_parallel_options() -> None:
    def parallel_options(name: str) -> dict[str, tuple]:
        params = {p.name: p for p in COMMANDS[name].params}
        return {o: (tuple(params[o].opts), params[o].help, params[o].envvar) for o in PARALLEL}

    reference = parallel_options("proxies compute")
    assert reference["ray_address"][:3:2] == (("--ray-address",), "RAY_ADDRESS")
    for name in ("compare", "predictors", "tradeoff", "transfer"):
        assert parallel_options(name) == reference, name
    defaults = {
        name: {p.name: p.default for p in COMMANDS[name].params if p.name in PARALLEL}
        for name in ("proxies compute", "compare", "predictors", "tradeoff", "transfer")
    }
    assert defaults == {
        # proxy scores are the same on every backend; the studies time each fit, and
        # workers sharing the cores would slow the timings they record
        "proxies compute": {"backend": "local", "ray_address": None, "n_jobs": None,
                            "torch_threads": 1},
        "compare": {"backend": "local", "ray_address": None, "n_jobs": None, "torch_threads": 1},
        "predictors": {"backend": "serial", "ray_address": None, "n_jobs": None,
                       "torch_threads": 1},
        "tradeoff": {"backend": "serial", "ray_address": None, "n_jobs": None,
                     "torch_threads": 1},
        "transfer": {"backend": "serial", "ray_address": None, "n_jobs": None,
                     "torch_threads": 1},
    }  # fmt: skip


def test_every_default_output_is_under_results() -> None:
    for name, command in COMMANDS.items():
        for param in command.params:
            if param.name in ("out", "store"):
                shown = param.show_default if isinstance(param.show_default, str) else ""
                where = str(param.default) if param.default is not None else shown
                # make-benchmark's --out is required: the user names the curve file
                assert param.required or where.startswith("results/"), (name, where)


def test_help_renders_and_python_m_naspred_runs() -> None:
    result = runner.invoke(app, ["predictors", "--help"], env=WIDE)
    assert result.exit_code == 0
    assert "results/predictors" in result.output and "every model-based" in result.output
    proc = subprocess.run(
        [sys.executable, "-m", "naspred", "--help"], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    assert "make-benchmark" in proc.stdout and "Usage: naspred" in proc.stdout


# ---- the one error handler ----------------------------------------------------------------


def test_unknown_task_is_one_line_and_exit_2() -> None:
    result = runner.invoke(app, ["correlations", "-t", "nosuch/x", "--no-embedded"])
    assert result.exit_code == 2
    assert result.output.startswith("error: no task matches 'nosuch/x'")
    assert result.output.count("\n") == 1
    assert isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    "spec, message",
    [
        ("nosuch", "error: unknown predictor 'nosuch'; known: "),
        ("xgb:bogus=1", "error: predictor 'xgb' has no hyper-parameter(s) ['bogus']"),
        ("rf:3", "error: bad predictor option '3' in 'rf:3'"),
    ],
)
def test_bad_predictor_is_one_line_and_exit_2(spec: str, message: str) -> None:
    # fails before any task is loaded: no source is given that could be loaded
    result = runner.invoke(app, ["predictors", "-p", spec, "--no-embedded"])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(message) and result.output.count("\n") == 1


def test_a_multi_line_message_is_printed_on_one_line(tmp_path: Path) -> None:
    wrong = tmp_path / "curves.csv"
    wrong.write_text("arch,acc\n")
    result = runner.invoke(app, ["tasks", "--curves", str(wrong)])
    assert result.exit_code == 2
    assert result.output == (
        f"error: {wrong}: unknown learning-curve file type '.csv'; expected: a naspred "
        "learning-curve file (.jsonl) or NASLib's nb201_<dataset>_full_training.pickle\n"
    )


def test_tasks_without_any_source_is_one_line() -> None:
    result = runner.invoke(app, ["tasks", "--no-embedded"])
    assert result.exit_code == 2
    assert result.output == (
        "error: no task source: with --no-embedded give --suite-zero-dir DIR, --graf-dir DIR "
        "or --curves FILE\n"
    )


def test_an_internal_key_error_is_a_bug_with_its_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import naspred.benchmarks

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("x")

    monkeypatch.setattr(naspred.benchmarks, "describe_tasks", broken)
    result = runner.invoke(app, ["tasks"])
    assert result.exit_code == 1
    assert isinstance(result.exception, KeyError) and result.exception.args == ("x",)
    assert "error:" not in result.output


def test_an_internal_key_error_prints_a_traceback_from_the_console() -> None:
    script = textwrap.dedent(
        """
        import naspred.benchmarks

        def broken(*args, **kwargs):
            raise KeyError("x")

        naspred.benchmarks.describe_tasks = broken
        from naspred.cli import main
        main()
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, "tasks"], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr and "KeyError: 'x'" in proc.stderr
    assert "error: 'x'" not in proc.stderr


# ---- lists and predictor specs ----------------------------------------------------------------


def test_list_options_repeat_and_take_comma_lists() -> None:
    assert split_list(["synflow,jacov", " snip ", ",", ""]) == ["synflow", "jacov", "snip"]
    assert split_list(None) == []
    assert int_list(["0-2", "5,7"], "--seeds") == [0, 1, 2, 5, 7]
    with pytest.raises(InvalidInputError, match="--seeds: 'a' is not an integer"):
        int_list(["1,a"], "--seeds")


def test_predictor_commas_split_predictors_but_keep_their_options() -> None:
    assert predictor_specs(["rf,xgb:encoding=graph_features,n_estimators=60", "zc:synflow"]) == [
        PredictorSpec("rf"),
        PredictorSpec("xgb", {"encoding": "graph_features", "n_estimators": 60}),
        PredictorSpec("zc:synflow"),
    ]
    # a qualified name after a comma starts a predictor, even with key=value in it
    assert predictor_specs(["xgb,zc:proxy=jacov,zc:zen,proxy_scale=1"]) == [
        PredictorSpec("xgb"),
        PredictorSpec("zc", {"proxy": "jacov"}),
        PredictorSpec("zc:zen", {"proxy_scale": 1}),
    ]
    with pytest.raises(InvalidInputError, match="no predictor before it"):
        predictor_specs(["n_estimators=60"])


@pytest.fixture
def study_calls(monkeypatch: pytest.MonkeyPatch) -> dict:
    """Replace task loading and the predictor and trade-off studies by recorders."""
    import naspred.benchmarks
    import naspred.experiments.predictors as predictor_study
    import naspred.experiments.tradeoff as tradeoff_study

    calls: dict = {}
    task = SimpleNamespace(name="space/data", curves={"epoch_time": np.ones((2, 3))})
    done = pd.DataFrame({"status": ["ok"]})

    def record(name: str, result: object):
        def recorder(*args: object, **kwargs: object) -> object:
            calls[name] = (args, kwargs)
            return result

        return recorder

    monkeypatch.setattr(naspred.benchmarks, "load_tasks", record("load_tasks", [task]))
    monkeypatch.setattr(predictor_study, "run_predictor_study", record("study", done))
    monkeypatch.setattr(predictor_study, "write_predictor_tables", record("tables", []))
    monkeypatch.setattr(tradeoff_study, "run_tradeoff_study", record("study", done))
    monkeypatch.setattr(tradeoff_study, "write_tradeoff_tables", record("tables", []))
    calls["task"] = task
    return calls


# the studies' default: one cell after another in this process, as before the options
SERIAL = {"backend": "serial", "n_jobs": None, "address": None, "torch_threads": 1}


def test_predictors_parses_specs_as_make_predictor_does(study_calls: dict) -> None:
    texts = ["zc:synflow", "xgb:encoding=graph_features"]
    result = runner.invoke(
        app,
        ["predictors", "-p", texts[0], "-p", texts[1], "-t", "a/b,c/*",
         "--seeds", "0-2", "--seeds", "7", "--train-sizes", "10,20", "--train-sizes", "50",
         "--no-progress"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (tasks, specs, sizes, seeds, store), kwargs = study_calls["study"]
    assert study_calls["load_tasks"][0] == (["a/b", "c/*"],)
    assert tasks == [study_calls["task"]]
    assert specs == [parse_spec(t) for t in texts]
    for spec, text in zip(specs, texts, strict=True):
        built, reference = make_predictor(spec.name, **spec.params), make_predictor(text)
        assert type(built) is type(reference) and vars(built) == vars(reference)
    assert make_predictor(specs[0].name, **specs[0].params).proxy == "synflow"
    assert make_predictor(specs[1].name, **specs[1].params).encoding == "graph_features"
    assert (sizes, seeds) == ([10, 20, 50], [0, 1, 2, 7])
    assert kwargs == {"test_size": 1000, "progress": False, "retry_failed": False, **SERIAL}
    assert store == Path("results/predictors/store.jsonl")
    assert study_calls["tables"][0][1] == Path("results/predictors")
    assert "1 cells in results/predictors/store.jsonl ({'ok': 1}) -> results/predictors/" in (
        result.output
    )


def test_predictors_defaults(study_calls: dict) -> None:
    result = runner.invoke(app, ["predictors", "-p", "rf"])
    assert result.exit_code == 0, result.output
    (_, specs, sizes, seeds, _), kwargs = study_calls["study"]
    assert specs == [PredictorSpec("rf")]
    assert (sizes, seeds) == ([10, 20, 50, 100, 200, 500, 1000], [0, 1, 2, 3, 4])
    assert kwargs["progress"] is True and kwargs["test_size"] == 1000


def test_predictors_all_tasks_wiring(study_calls: dict, monkeypatch) -> None:
    import naspred.benchmarks
    import naspred.experiments.predictors as predictor_study

    chosen = [Task("nasbench201", "cifar10", ("(0, 0, 0, 0, 0, 0)",), np.array([1.0]))]
    seen: dict = {}

    def every_task(**kwargs):
        seen["all_tasks"] = kwargs
        return chosen

    def tables(*args, **kwargs):
        seen["tables"] = (args, kwargs)
        return []

    monkeypatch.setattr(naspred.benchmarks, "all_tasks", every_task)
    monkeypatch.setattr(predictor_study, "write_multitask_tables", tables)
    result = runner.invoke(app, ["predictors", "--all-tasks", "-p", "rf", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert seen["all_tasks"] == {"suite_zero": None, "graf": None, "curves": (),
                                 "targets": ("edgegpu_latency", "pgd@Linf_eps-1.0")}  # fmt: skip
    assert "load_tasks" not in study_calls and "tables" not in study_calls
    assert study_calls["study"][0][0] == chosen
    (results, out), kwargs = seen["tables"]
    assert results["status"].tolist() == ["ok"] and out == Path("results/predictors")
    assert kwargs == {"archs": {"nasbench201/cifar10": 1}}
    result = runner.invoke(
        app, ["predictors", "--all-tasks", "-p", "rf", "--extra-targets", "a,b", "--extra-targets",
              "c", "--curves", "x.jsonl"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert seen["all_tasks"]["targets"] == ["a", "b", "c"]
    assert seen["all_tasks"]["curves"] == [Path("x.jsonl")]
    result = runner.invoke(app, ["predictors", "--all-tasks", "-p", "rf", "--extra-targets", ""])
    assert result.exit_code == 0 and seen["all_tasks"]["targets"] == []


def test_predictors_preset_sets_the_grid_unless_given(study_calls: dict) -> None:
    result = runner.invoke(app, ["predictors", "-p", "rf", "--preset", "naslib-predictors"])
    assert result.exit_code == 0, result.output
    (_, _, sizes, seeds, _), kwargs = study_calls["study"]
    assert sizes == [5, 8, 14, 24, 42, 71, 121, 205, 347, 589, 1000]
    assert (seeds, kwargs["test_size"]) == (list(range(100)), 200)
    result = runner.invoke(
        app,
        ["predictors", "-p", "rf", "--preset", "naslib-predictors", "--train-sizes", "14",
         "--seeds", "0-1", "--test-size", "200"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (_, _, sizes, seeds, _), kwargs = study_calls["study"]
    assert (sizes, seeds, kwargs["test_size"]) == ([14], [0, 1], 200)


def test_tradeoff_wiring_and_defaults(study_calls: dict) -> None:
    from naspred.experiments.tradeoff import DEFAULT_PREDICTORS

    result = runner.invoke(app, ["tradeoff", "--query-epochs", "1,2", "--query-epochs", "4"])
    assert result.exit_code == 0, result.output
    (task, specs, store), kwargs = study_calls["study"]
    assert task is study_calls["task"] and store == Path("results/tradeoff/store.jsonl")
    assert specs == [parse_spec(p) for p in DEFAULT_PREDICTORS]
    assert kwargs == {
        "train_sizes": [10, 30, 100, 300],
        "query_epochs": [1, 2, 4],
        "seeds": [0, 1, 2],
        "test_size": None,
        "progress": True,
        "retry_failed": False,
        **SERIAL,
    }
    assert study_calls["tables"][0][2] == Path("results/tradeoff")
    again = runner.invoke(app, ["tradeoff", "-p", "omni:n_estimators=200,sotl"])
    assert again.exit_code == 0, again.output
    assert study_calls["study"][0][1] == [
        PredictorSpec("omni", {"n_estimators": 200}),
        PredictorSpec("sotl"),
    ]
    assert study_calls["study"][1]["query_epochs"] is None


# ---- images, proxies, and the remaining defaults ---------------------------------------------


def test_compare_default_out_and_image_source(monkeypatch: pytest.MonkeyPatch) -> None:
    import naspred.benchmarks
    import naspred.experiments.compare as compare_study

    calls: dict = {}

    def run_compare(name: str, tasks: list, out: Path, **kwargs: object) -> SimpleNamespace:
        calls.update(name=name, out=out, **kwargs)
        return SimpleNamespace(proxy=name, files=[], ranks=pd.DataFrame({"proxy": [name]}))

    monkeypatch.setattr(naspred.benchmarks, "load_tasks", lambda *a, **k: ["task"])
    monkeypatch.setattr(compare_study, "run_compare", run_compare)
    example = ROOT / "docs" / "examples" / "my_proxy.py"
    args = ["compare", f"{example}:last_layer_grad_norm", "--npz", "s.npz", "--no-progress"]
    result = runner.invoke(app, [*args, "--live-baseline", "params,synflow"])
    assert result.exit_code == 0, result.output
    assert calls["out"] is None  # the library's default:
    assert compare_study.default_out_dir("last_layer_grad_norm") == Path(
        "results/compare/last_layer_grad_norm"
    )
    assert calls["data"] == Path("s.npz") and calls["live_baselines"] == ["params", "synflow"]
    result = runner.invoke(app, ["compare", "params", "--data-root", "cifar"])
    assert result.exit_code == 0, result.output
    assert calls["out"] is None and calls["data"] == Path("cifar")
    both = runner.invoke(app, [*args, "--data-root", "cifar"])
    assert both.exit_code == 2 and both.output == (
        "error: give one of --npz or --data-root, not both\n"
    )


def test_proxies_compute_lists_and_default_out(monkeypatch: pytest.MonkeyPatch) -> None:
    import naspred.benchmarks
    import naspred.experiments.proxy_scoring as scoring

    calls: list = []

    def compute(task: object, names: list, n_archs: object, out_json: Path, **kw: object):
        calls.append((task.name, names, out_json))
        return SimpleNamespace(
            task=task.name, archs=1, scored=1, skipped=0, proxies=names, failures=0,
            seconds=0.0, data="noise", out_json=out_json,
        )  # fmt: skip

    def load(names: list, **kwargs: object) -> list:
        return [SimpleNamespace(name=n, space=n.split("/")[0]) for n in names]

    monkeypatch.setattr(naspred.benchmarks, "load_tasks", load)
    monkeypatch.setattr(scoring, "compute_task_scores", compute)
    result = runner.invoke(
        app,
        ["proxies", "compute", "-t", "nasbench201/cifar10,nasbench201/cifar100",
         "-P", "params,synflow", "--proxy", "snip", "--no-progress"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out_json = Path("results/proxies/zc_nasbench201.json")
    names = ["params", "synflow", "snip"]
    assert calls == [
        ("nasbench201/cifar10", names, out_json),
        ("nasbench201/cifar100", names, out_json),
    ]


def test_make_benchmark_takes_images_and_proxies_like_the_others(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import naspred.experiments.lc_benchmark as lc_benchmark

    calls: dict = {}

    class Made:
        val_accuracy = np.array([50.0, 60.0])
        n_epochs = 2

        def __len__(self) -> int:
            return 2

    def make(space: str, out: Path, source: object, protocol: object, **kwargs: object):
        calls.update(source=source, protocol=protocol, **kwargs)
        return Made()

    monkeypatch.setattr(lc_benchmark, "make_benchmark", make)
    keys = tmp_path / "keys.txt"
    keys.write_text("(0, 1, 2, 3, 4, 0)\n\n(1, 1, 1, 1, 1, 1)\n")
    out = tmp_path / "lc.jsonl"
    base = ["make-benchmark", "--out", str(out)]
    result = runner.invoke(
        app,
        [*base, "--keys-file", str(keys), "--npz", "s.npz", "-P", "jacov,synflow", "-P", "snip"],
    )
    assert result.exit_code == 0, result.output
    assert calls["protocol"].proxies == ("jacov", "synflow", "snip")
    assert calls["source"].npz == "s.npz" and calls["source"].root is None
    assert calls["keys"] == ["(0, 1, 2, 3, 4, 0)", "(1, 1, 1, 1, 1, 1)"]
    assert "2 archs x 2 epochs" in result.output
    no_images = runner.invoke(app, [*base, "--n-archs", "3"])
    assert no_images.exit_code == 2
    assert no_images.output == "error: give exactly one of --npz or --data-root\n"
    # a keys file that is not there is a usage error (exit 2), not an OSError traceback
    missing = runner.invoke(
        app, [*base, "--keys-file", str(tmp_path / "no.txt"), "--npz", "s"], env=WIDE
    )
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_version() -> None:
    import torch

    from naspred import __version__

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"naspred {__version__} (torch {torch.__version__})\n"


def test_ray_address_without_a_cluster_is_a_one_line_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = ["proxies", "compute", "-t", "nasbench201/cifar10-lc", "-P", "params", "--n-archs"]
    args += ["2", "--backend", "ray", "--ray-address", f"127.0.0.1:{port}", "--no-progress"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.startswith(f"error: no Ray cluster answers at 127.0.0.1:{port}")
    assert result.output.count("\n") == 1


def test_proxies_compute_takes_one_image_source(tmp_path: Path) -> None:
    args = ["proxies", "compute", "-t", "nasbench201/cifar10-lc", "-P", "params"]
    both = runner.invoke(app, [*args, "--npz", "s.npz", "--data-root", "cifar", "--out", "o"])
    assert both.exit_code == 2
    assert both.output == "error: give one of --npz or --data-root, not both\n"
