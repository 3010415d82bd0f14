"""One name per concept across commands (issue #19, item 3): an option spelled alike
in several commands takes the same kind of value in each, and the shared task
options mean the same thing everywhere."""

from __future__ import annotations

import collections
import types
import typing

import typer
from typer.testing import CliRunner

from naspred.cli import app

runner = CliRunner()
ROOT_COMMAND = typer.main.get_command(app)


def _commands(group, prefix: str = "") -> dict:
    found = {}
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            found |= _commands(command, f"{prefix}{name} ")
        else:
            found[f"{prefix}{name}"] = command
    return found


COMMANDS = _commands(ROOT_COMMAND)


def _kind(param) -> str:
    """The value an option takes, with ``| None`` and ``list[...]`` taken off: a flag,
    or the annotation's base type."""
    if param.is_flag:
        return "flag"
    annotation = param.type_descriptor.annotation
    while typing.get_origin(annotation) in (typing.Union, types.UnionType, list):
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    return getattr(annotation, "__name__", str(annotation))


def _options() -> dict[str, dict[str, object]]:
    """Long option name -> {command: its parameter}."""
    by_name: dict[str, dict[str, object]] = collections.defaultdict(dict)
    for name, command in COMMANDS.items():
        for param in command.params:
            if getattr(param, "param_type_name", "") == "option" and param.name != "help":
                by_name[max(param.opts, key=len)][name] = param
    return by_name


def test_a_shared_option_name_takes_one_kind_of_value() -> None:
    shared = {opt: cmds for opt, cmds in _options().items() if len(cmds) > 1}
    assert len(shared) >= 25  # the vocabulary is shared, not one-off names
    mixed = {
        opt: sorted({(_kind(p), cmd) for cmd, p in cmds.items()})
        for opt, cmds in shared.items()
        if len({_kind(p) for p in cmds.values()}) > 1
    }
    assert mixed == {}


def test_cells_chooses_archs_everywhere_and_cells_per_stage_sizes_the_network() -> None:
    options = _options()
    having = set(options["--cells"])
    assert having == {"analyse", "correlations", "compare", "predictors", "tradeoff"}
    assert len({p.help for p in options["--cells"].values()}) == 1
    [stage] = options["--cells-per-stage"].values()
    assert set(options["--cells-per-stage"]) == {"make-benchmark"}
    assert "-N" in stage.opts and stage.default == 5
    # the old spelling is gone from make-benchmark, and says what to use
    result = runner.invoke(
        app, ["make-benchmark", "--out", "x.jsonl", "--cells", "all"], env={"COLUMNS": "400"}
    )
    assert result.exit_code == 2
    assert "No such option: --cells" in result.output


def _protocol_of(shared_data, tmp_path, monkeypatch, *flags: str):
    """The training protocol make-benchmark would run with ``flags``."""
    import naspred.experiments.lc_benchmark as lc_benchmark

    seen = []

    class Stop(Exception):
        pass

    def capture(space, out, source, protocol, **kwargs):
        seen.append(protocol)
        raise Stop  # the run itself is tested in test_learning_curves.py

    monkeypatch.setattr(lc_benchmark, "make_benchmark", capture)
    npz = str(shared_data / "cifar10_sample.npz")
    args = ["make-benchmark", "--out", str(tmp_path / "c.jsonl"), "--n-archs", "1", "--npz", npz]
    result = runner.invoke(app, [*args, *flags], env={"COLUMNS": "400"})
    if not isinstance(result.exception, Stop):
        return result
    [protocol] = seen
    return protocol


def test_both_spellings_reach_the_networks_cells_per_stage(
    shared_data, tmp_path, monkeypatch
) -> None:
    for flag, value in (("-N", 2), ("--cells-per-stage", 3)):
        assert _protocol_of(shared_data, tmp_path, monkeypatch, flag, str(value)).N == value


def test_image_counts_are_named_apart_from_the_training_set_sizes(
    shared_data, tmp_path, monkeypatch
) -> None:
    # --train-sizes counts archs (predictors, tradeoff, transfer); make-benchmark counts images
    options = _options()
    assert set(options["--train-sizes"]) == {"predictors", "tradeoff", "transfer"}
    assert set(options["--train-images"]) == set(options["--val-images"]) == {"make-benchmark"}
    new = _protocol_of(shared_data, tmp_path, monkeypatch, "--train-images", "256",
                       "--val-images", "64")  # fmt: skip
    assert (new.train_size, new.val_size) == (256, 64)
    # the earlier spellings are still read, hidden from the help page
    old = _protocol_of(shared_data, tmp_path, monkeypatch, "--train-size", "256",
                       "--val-size", "64")  # fmt: skip
    assert (old.train_size, old.val_size) == (256, 64)
    page = runner.invoke(app, ["make-benchmark", "--help"], env={"COLUMNS": "400"}).output
    assert "--train-images" in page and "--train-size " not in page and "--val-size" not in page
    both = _protocol_of(shared_data, tmp_path, monkeypatch, "--train-images", "256",
                        "--train-size", "128")  # fmt: skip
    assert both.exit_code == 2
    assert "error: give --train-images alone (--train-size is its earlier spelling)" in both.output
