"""What every ``naspred`` sub-command runs under: the logging set-up and the one
error handler.

Both live in :class:`NaspredCommand`, the click command class every sub-command is
registered with (see :mod:`naspred.cli`), so no command sets up logging or catches
errors itself.
"""

from __future__ import annotations

import logging
from typing import Any, NoReturn

import typer
from typer.core import TyperCommand

from naspred.errors import NaspredError

EXIT_BAD_INPUT = 2  # click's usage-error status: a bad input, not a crash
# click's UsageError, found through typer: typer >= 0.20 bundles its own copy of click,
# older ones use the click package, and either way BadParameter derives from it
UsageError: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError"
)


def setup_logging(verbose: bool) -> None:
    """Send naspred's log records to stderr: INFO with ``--verbose``, else WARNING."""
    # basicConfig adds no handler where one exists (pytest, an embedding program);
    # the level is set anyway so that -v takes effect in every invocation.
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(logging.INFO if verbose else logging.WARNING)


def one_line(err: BaseException) -> str:
    """``err``'s message on one line (a :class:`~naspred.errors.BenchmarkFileError`
    puts its "expected:" and "get it:" parts on lines of their own)."""
    parts = [part.strip() for part in str(err).splitlines() if part.strip()]
    return "; ".join(parts) or type(err).__name__


def one_line_usage(err: Exception) -> str:
    """A click usage error's message on one line, without click's trailing period."""
    return " ".join(err.format_message().split()).rstrip(".")  # type: ignore[attr-defined]


def fail(err: NaspredError) -> NoReturn:
    """Print ``error: <message>`` in red on stderr and exit with status 2."""
    typer.secho(f"error: {one_line(err)}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=EXIT_BAD_INPUT) from err


class NaspredCommand(TyperCommand):
    """A sub-command that sets up logging from its ``--verbose`` and reports a
    :class:`~naspred.errors.NaspredError` as one line with exit status 2.

    Only naspred's own errors are caught: any other exception (a ``KeyError``, a
    ``ValueError`` from numpy) is a bug and keeps its traceback.
    """

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        """Parse the command line; a bad option value (a missing ``--keys-file``, a
        ``--n-archs`` below 1, an unknown option) is printed as one line, ``error: ...``
        naming the option, with exit status 2, like naspred's own errors."""
        try:
            return super().parse_args(ctx, args)
        except UsageError as err:
            typer.secho(
                f"error: {one_line_usage(err)} (see '{ctx.command_path} --help')",
                fg=typer.colors.RED,
                err=True,
            )
            raise typer.Exit(code=EXIT_BAD_INPUT) from err

    def invoke(self, ctx: typer.Context) -> Any:
        """Run the sub-command with logging set from its ``--verbose``; a
        :class:`~naspred.errors.NaspredError` it raises is printed and exits with status 2."""
        setup_logging(bool(ctx.params.get("verbose", False)))
        try:
            return super().invoke(ctx)
        except NaspredError as err:
            fail(err)
