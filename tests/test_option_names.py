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
    assert having == {"correlations", "compare", "predictors", "tradeoff"}
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


def test_both_spellings_reach_the_networks_cells_per_stage(
    shared_data, tmp_path, monkeypatch
) -> None:
    import naspred.experiments.lc_benchmark as lc_benchmark

    seen = []

    class Stop(Exception):
        pass

    def capture(space, out, source, protocol, **kwargs):
        seen.append(protocol.N)
        raise Stop  # the run itself is tested in test_learning_curves.py

    monkeypatch.setattr(lc_benchmark, "make_benchmark", capture)
    npz = str(shared_data / "cifar10_sample.npz")
    for flag, value in (("-N", "2"), ("--cells-per-stage", "3")):
        args = ["make-benchmark", "--out", str(tmp_path / "c.jsonl"), "--n-archs", "1"]
        result = runner.invoke(app, [*args, "--npz", npz, flag, value])
        assert isinstance(result.exception, Stop), result.output
    assert seen == [2, 3]
