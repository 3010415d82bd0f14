"""The ``naspred`` command line: thin sub-commands over the library.

One module per command (:mod:`naspred.cli.tasks`, ...), the shared option
vocabulary in :mod:`naspred.cli.options`, and the logging set-up and error
handler in :mod:`naspred.cli.command`. Every command is registered here through
:func:`_register`, so each runs under :class:`~naspred.cli.command.NaspredCommand`.
"""

from __future__ import annotations

from collections.abc import Callable

import typer

from naspred.cli.analyse import analyse
from naspred.cli.command import NaspredCommand
from naspred.cli.compare import compare
from naspred.cli.correlations import correlations
from naspred.cli.data import fetch, list_data, path
from naspred.cli.make_benchmark import make_benchmark
from naspred.cli.predictors import predictors
from naspred.cli.proxies import compute, list_proxies
from naspred.cli.tasks import tasks
from naspred.cli.tradeoff import tradeoff
from naspred.cli.transfer import transfer

__all__ = ["app", "main"]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Judge how well performance predictors and zero-cost proxies rank architectures.",
)
data_app = typer.Typer(
    no_args_is_help=True,
    help="Public benchmark data: fetch it into one cache ($NASPRED_DATA), list what is there.",
)
proxies_app = typer.Typer(
    no_args_is_help=True,
    help="Zero-cost proxies: list them, compute them over a task's archs.",
)


def _version(show: bool) -> None:
    if show:
        import torch

        from naspred import __version__

        typer.echo(f"naspred {__version__} (torch {torch.__version__})")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        callback=_version,
        is_eager=True,
        help="Print naspred's version (and torch's) and exit.",
    ),
) -> None:
    """Judge how well performance predictors and zero-cost proxies rank architectures."""


def _register(group: typer.Typer, name: str, function: Callable[..., None]) -> None:
    group.command(name, cls=NaspredCommand)(function)


_register(app, "tasks", tasks)
_register(app, "correlations", correlations)
_register(app, "compare", compare)
_register(app, "analyse", analyse)
_register(app, "predictors", predictors)
_register(app, "tradeoff", tradeoff)
_register(app, "transfer", transfer)
_register(proxies_app, "list", list_proxies)
_register(proxies_app, "compute", compute)
app.add_typer(proxies_app, name="proxies")
_register(app, "make-benchmark", make_benchmark)
_register(data_app, "list", list_data)
_register(data_app, "fetch", fetch)
_register(data_app, "path", path)
app.add_typer(data_app, name="data")


def main() -> None:  # pragma: no cover - console entry point
    """Console entry point: run :data:`app` as ``naspred``."""
    app(prog_name="naspred")
