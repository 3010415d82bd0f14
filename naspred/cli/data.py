"""``naspred data``: fetch the public releases into one cache, list what is there."""

from __future__ import annotations

from typing import Annotated

import typer

from naspred.cli import options as opt


def _size(n: int | None) -> str:
    if n is None:
        return ""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return ""  # unreachable


def _present(states: list[str]) -> str:
    if all(s == "present" for s in states):
        return "yes"
    return "no" if all(s == "absent" for s in states) else "partial"


def list_data(
    files: Annotated[
        bool, typer.Option("--files", help="One row per file, with its full sha256.")
    ] = False,
    verbose: opt.Verbose = False,
) -> None:
    """What naspred can fetch, what the cache holds, where, its size and sha256.

    The cache is $NASPRED_DATA, else the user cache directory; sha256 values are those
    recorded when each file was fetched (for publishers that give none, the first
    download's).
    """
    from tabulate import tabulate

    from naspred.fetch import SOURCES, data_home, source_dir, source_status

    rows = []
    for name, source in SOURCES.items():
        statuses = source_status(source)
        if files:
            rows += [
                [name, s.name, s.state, _size(s.size), s.published, s.sha256 or ""]
                for s in statuses
            ]
            continue
        recorded = [s.sha256 for s in statuses if s.sha256]
        sha = recorded[0] if len(statuses) == 1 and recorded else ""
        if len(statuses) > 1 and recorded:
            sha = f"{len(recorded)} of {len(statuses)} recorded (--files)"
        sizes = [s.size for s in statuses if s.size is not None]
        rows.append(
            [
                name,
                source.description,
                _present([s.state for s in statuses]),
                source_dir(name),
                _size(sum(sizes)) if sizes else "",
                sha,
            ]
        )
    headers = (
        ["source", "file", "present", "size", "published checksum", "sha256"]
        if files
        else ["source", "description", "present", "path", "size", "sha256"]
    )
    typer.echo(f"cache: {data_home()} (set $NASPRED_DATA to move it)")
    typer.echo(tabulate(rows, headers=headers, tablefmt="github"))


def fetch(
    sources: Annotated[
        list[str],
        typer.Argument(
            metavar="SOURCE...", help="Source names, as `naspred data list` shows them."
        ),
    ],
    mirror: Annotated[
        list[str] | None,
        typer.Option(
            "--mirror",
            help="Base URL holding the files under their names (URL/zc_nasbench201.json), "
            "tried before the registered URLs; repeatable.",
            show_default="the registered URLs only",
        ),
    ] = None,
    progress: opt.Progress = True,
    verbose: opt.Verbose = False,
) -> None:
    """Download sources into the cache: resumable, checked against the published
    checksums, each file moved into place whole and recorded (URL, size, sha256)."""
    from naspred.fetch import fetch_source, get_source

    chosen = [get_source(name) for name in opt.split_list(sources)]  # all known, or fail now
    for source in chosen:
        for s in fetch_source(source, mirrors=mirror or (), progress=progress):
            note = {
                "sha256": "sha256 checked",
                "md5": "md5 checked",
                "none": "no published checksum: sha256 recorded",
            }[s.published]
            typer.echo(
                f"{s.action:8} {s.source}/{s.name}  {_size(s.size)}  sha256 {s.sha256 or '-'}"
                f"  ({note}) {s.url or ''}".rstrip()
            )


def path(
    source: Annotated[str, typer.Argument(metavar="SOURCE", help="A source name.")],
    verbose: opt.Verbose = False,
) -> None:
    """Print a source's cache directory (to hand to --suite-zero-dir or --data-root)."""
    from naspred.fetch import get_source, source_dir

    typer.echo(source_dir(get_source(source).name))
