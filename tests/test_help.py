"""Every ``--help`` page shows every default, rendered as a user sees it.

Defaults are given to the framework (the option's default or ``show_default``), never
typed into the help text, where Rich would take ``[default: ...]`` for markup and
drop it. Here each page is rendered through the real app and every option that has a
default must show it.
"""

from __future__ import annotations

import re

import pytest
import typer
from typer.core import TyperGroup, TyperOption
from typer.testing import CliRunner

from naspred.cli import app

runner = CliRunner()
WIDE = {"COLUMNS": "400"}  # one option per line: Rich wraps to the terminal's width


def _pages(group: TyperGroup, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], object]:
    pages: dict[tuple[str, ...], object] = {prefix: group}
    for name, command in group.commands.items():
        if isinstance(command, TyperGroup):
            pages |= _pages(command, (*prefix, name))
        else:
            pages[(*prefix, name)] = command
    return pages


PAGES = _pages(typer.main.get_command(app))


def _has_default(param: TyperOption) -> bool:
    if param.name in ("help", "version") or param.required:
        return False
    if isinstance(param.show_default, str):
        return True  # a described default such as "(every task the sources provide)"
    # a bare on/off flag that is off by default (--download, --verbose) has nothing to show
    return param.default is not None and not (param.is_flag and not param.secondary_opts)


@pytest.mark.parametrize("path", sorted(PAGES), ids=lambda p: " ".join(p) or "naspred")
def test_help_page_shows_every_default(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"], env=WIDE, prog_name="naspred")
    assert result.exit_code == 0, result.output
    assert "Usage: naspred" in result.output
    command = PAGES[path]
    lines = result.output.splitlines()
    checked = 0
    for param in command.params:
        if not isinstance(param, TyperOption) or not _has_default(param):
            continue
        # the option's own row: its long name in the first column, not a mention in a help text
        long = max(param.opts, key=len)
        [line] = [ln for ln in lines if re.match(rf"^│\s*\*?\s*{re.escape(long)}\b", ln)]
        assert "[default: " in line, f"naspred {' '.join(path)} {param.opts[0]}: {line.strip()}"
        if not isinstance(param.show_default, str) and not param.is_flag:
            shown = param.default if not isinstance(param.default, list) else None
            if shown is not None:
                assert f"[default: {shown}" in line, line.strip()
        checked += 1
    if path and not isinstance(command, TyperGroup):
        # these take only off-by-default flags (--verbose, --files): nothing to show
        no_defaults = {("proxies", "list"), ("data", "list"), ("data", "path")}
        assert checked > 0 or path in no_defaults, path


def test_version() -> None:
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith(f"naspred {version('naspred')} (torch ")
