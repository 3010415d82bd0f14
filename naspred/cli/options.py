"""The one vocabulary of the ``naspred`` sub-commands: option types and list syntax.

Every option that two commands share is spelled here once, so a name means the
same thing everywhere:

* tasks ``--task/-t``, predictors ``--predictor/-p`` (the spec grammar of
  :mod:`naspred.predictors.spec`), zero-cost proxies ``--proxy/-P``;
* one seed ``--seed``, a seed grid ``--seeds``;
* images ``--npz`` (a sample file) or ``--data-root`` (a torchvision-format CIFAR
  directory), with ``--download``; the torch ``--device``;
* outputs ``--out`` (and ``--store`` for resumable studies), by default under
  ``results/<command>/`` (git-ignored), never into the committed ``tables/``.

Lists follow one rule, applied by :func:`split_list`: a list option is repeatable
and each value may itself be a comma list, so ``-P synflow,jacov -P snip`` is
``[synflow, jacov, snip]``. Integer grids also take ranges (``--seeds 0-4``).
File options (``--curves``) are repeatable only: a comma may belong to a path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from naspred.errors import InvalidInputError

if TYPE_CHECKING:  # importing naspred.predictors loads torch: not for `naspred --help`
    from naspred.predictors.spec import PredictorSpec

RESULTS = Path("results")  # git-ignored root of every command's default output

# ---- task sources --------------------------------------------------------------------

SuiteZeroDir = Annotated[
    Path | None,
    typer.Option(
        "--suite-zero-dir",
        envvar="NASPRED_SUITE_ZERO_DIR",
        help="Directory of NAS-Bench-Suite-Zero zc_<space>.json records (ground truth).",
    ),
]
Embedded = Annotated[
    bool | None,
    typer.Option(
        "--embedded/--no-embedded",
        help="Include the embedded NAS-Bench-Graph and AnalogNAS-Bench tasks.",
        show_default="only when no Suite-Zero directory is given",
    ),
]
CurveFiles = Annotated[
    list[Path] | None,
    typer.Option(
        "--curves",
        help="Learning-curve file, one task each: naspred's own (.jsonl, from "
        "make-benchmark) or NASLib's nb201_<dataset>_full_training.pickle; repeatable.",
    ),
]
TaskNames = Annotated[
    list[str] | None,
    typer.Option(
        "--task",
        "-t",
        help="Task name or pattern, e.g. 'nasbench201/*'; repeatable or a comma list.",
        show_default="every task the sources provide",
    ),
]

# ---- what is evaluated ---------------------------------------------------------------


def predictor_option(default: str, example: str = "'xgb:encoding=graph_features'") -> Any:
    """``--predictor/-p``: predictor specs; ``default`` says what none given means."""
    return typer.Option(
        "--predictor",
        "-p",
        help=f"Registered name with optional hyper-parameters, e.g. {example} or "
        "'zc:synflow'; repeatable or a comma list ('rf,xgb:n_estimators=60').",
        show_default=default,
    )


def proxy_option(help: str, default: str | bool = True) -> Any:
    """``--proxy/-P``: zero-cost proxy names."""
    return typer.Option(
        "--proxy", "-P", help=f"{help}; repeatable or a comma list.", show_default=default
    )


def seed_option(help: str) -> Any:
    """``--seed``: the one seed of a run."""
    return typer.Option("--seed", help=help)


def seeds_option(default: str) -> Any:
    """``--seeds``: a seed grid, one study cell per seed."""
    return typer.Option(
        "--seeds",
        help="Seeds, e.g. '0-4' or '0,1,2'; repeatable.",
        show_default=default,
    )


def int_list_option(name: str, help: str, default: str) -> Any:
    """A repeatable comma list of integers (``--train-sizes``, ``--query-epochs``)."""
    return typer.Option(name, help=f"{help}; repeatable or a comma list.", show_default=default)


# ---- archs --------------------------------------------------------------------------


def keys_file_option(help: str) -> Any:
    """``--keys-file``: a text file of arch keys, checked to exist before the run."""
    return typer.Option(
        "--keys-file", help=help, exists=True, dir_okay=False, readable=True, show_default=False
    )


def n_archs_option(help: str, default: str | bool = True) -> Any:
    """``--n-archs``: how many archs a run draws."""
    return typer.Option("--n-archs", help=help, show_default=default)


# ---- images and hardware ---------------------------------------------------------------


def npz_option(help: str) -> Any:
    """``--npz``: images from an ``.npz`` sample."""
    return typer.Option("--npz", help=help, dir_okay=False)


def data_root_option(help: str) -> Any:
    """``--data-root``: images from a torchvision-format CIFAR directory."""
    return typer.Option("--data-root", help=help, file_okay=False)


Download = Annotated[
    bool, typer.Option("--download", help="Download CIFAR into --data-root if it is not there.")
]
Device = Annotated[str, typer.Option("--device", help="Torch device: cpu, cuda or cuda:N.")]
Backend = Annotated[str, typer.Option("--backend", help="local (worker processes), ray or serial.")]
RayAddress = Annotated[
    str | None,
    typer.Option(
        "--ray-address",
        envvar="RAY_ADDRESS",
        help="Ray cluster to attach to with --backend ray (HOST:PORT, or 'auto' for a "
        "running local one); without it a local cluster is started.",
        show_default=False,
    ),
]
TorchThreads = Annotated[int, typer.Option("--torch-threads", help="Torch threads per worker.")]


def n_jobs_option(help: str, default: str) -> Any:
    """``--n-jobs``: parallel workers; ``default`` says how many when omitted."""
    return typer.Option("--n-jobs", help=help, show_default=default)


#: ``--n-jobs`` of the commands that score or fit many things through ``run_units``.
NJobs = Annotated[
    int | None, n_jobs_option("Workers.", default="every CPU (local), cluster's (ray)")
]


def note_gpu_workers(device: str, backend: str, n_jobs: int | None) -> None:
    """A note on stderr when several workers would each put networks on one GPU."""
    if device.startswith("cuda") and backend != "serial" and (n_jobs or 0) != 1:
        typer.secho(
            "note: each worker uses the GPU; consider --n-jobs 1 (or a few) with cuda",
            err=True,
        )


# ---- outputs and running ----------------------------------------------------------------


def out_option(help: str, default: str | bool = True) -> Any:
    """``--out``; ``default`` names the ``results/...`` place used when it is omitted."""
    return typer.Option("--out", help=help, show_default=default)


def store_option() -> Any:
    """``--store``: a resumable study's results store."""
    return typer.Option("--store", help="Results store (JSON lines); a rerun resumes from it.")


Progress = Annotated[
    bool, typer.Option("--progress/--no-progress", help="Show progress bars on stderr.")
]
Verbose = Annotated[
    bool, typer.Option("--verbose", "-v", help="Log at INFO level: what is loaded and skipped.")
]
RetryFailed = Annotated[
    bool,
    typer.Option(
        "--retry-failed/--keep-failed",
        help="Run again the cells a previous run recorded as failed, instead of keeping "
        "their failure.",
    ),
]


# ---- the list syntax --------------------------------------------------------------------


def split_list(
    values: Iterable[str] | None, *, continues: Callable[[str], bool] | None = None
) -> list[str]:
    """The items of a repeatable option whose values may be comma lists.

    ``["synflow,jacov", "snip"]`` gives ``["synflow", "jacov", "snip"]``; blank
    pieces are dropped. A piece for which ``continues`` is true is not an item of
    its own but is put back, after a comma, onto the item before it: that is how a
    predictor spec keeps its ``key=value`` options (see :func:`predictor_specs`).
    """
    items: list[str] = []
    for value in values or ():
        for piece in (p.strip() for p in value.split(",")):
            if not piece:
                continue
            if continues is not None and continues(piece) and items:
                items[-1] = f"{items[-1]},{piece}"
            else:
                items.append(piece)
    return items


def int_list(values: Iterable[str] | None, option: str) -> list[int]:
    """Integers of a repeatable comma-list option, where ``lo-hi`` is a range:
    ``["0-2", "5"]`` gives ``[0, 1, 2, 5]``."""
    out: list[int] = []
    for item in split_list(values):
        lo, sep, hi = item.partition("-")
        try:
            out += list(range(int(lo), int(hi) + 1)) if sep else [int(lo)]
        except ValueError:
            raise InvalidInputError(
                f"{option}: {item!r} is not an integer or a range lo-hi (e.g. '0-4')"
            ) from None
    return out


def predictor_specs(values: Iterable[str]) -> list[PredictorSpec]:
    """``--predictor`` values as specs. A comma separates predictors except before a
    ``key=value`` item, which is an option of the predictor before it, so
    ``rf,xgb:encoding=graph_features,n_estimators=60`` is two predictors."""
    items = split_list(values, continues=_is_option)
    for item in items:
        if "=" in item.split(":", 1)[0]:
            raise InvalidInputError(
                f"predictor option {item!r} has no predictor before it; "
                "use NAME:key=value, e.g. 'xgb:encoding=graph_features'"
            )
    from naspred.predictors.spec import parse_spec

    return [parse_spec(item) for item in items]


def check_predictors(specs: Iterable[PredictorSpec]) -> None:
    """Build each spec's predictor once, as the studies do, so that an unknown name or
    hyper-parameter fails before any task is loaded."""
    from naspred.predictors import make_predictor

    for spec in specs:
        make_predictor(spec.name, **spec.params)


def _is_option(piece: str) -> bool:
    """``key=value`` (not ``name:key=value``, which starts a predictor of its own)."""
    key, sep, _ = piece.partition("=")
    return bool(sep) and ":" not in key


def read_keys(path: Path | None) -> list[str] | None:
    """The arch keys of a ``--keys-file``, one per line, blank lines skipped."""
    if path is None:
        return None
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def check_image_source(npz: Path | None, data_root: Path | None, *, required: bool) -> None:
    """At most one of ``--npz`` and ``--data-root`` (exactly one if ``required``)."""
    if npz is not None and data_root is not None:
        raise InvalidInputError("give one of --npz or --data-root, not both")
    if required and npz is None and data_root is None:
        raise InvalidInputError("give exactly one of --npz or --data-root")
