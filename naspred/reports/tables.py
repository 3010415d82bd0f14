"""Writing tables: every table as CSV (for machines) and markdown (for people)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def format_table(frame: pd.DataFrame, floatfmt: str = ".3f", index: bool = True) -> str:
    """A GitHub-flavoured markdown table; missing values shown as ``-``.

    Args:
        frame: the table.
        floatfmt: format of the float cells.
        index: whether to show the index as the first column.

    Returns:
        The markdown text.
    """
    return frame.to_markdown(floatfmt=floatfmt, index=index, missingval="-")


def write_csv(frame: pd.DataFrame, path: str | Path, index: bool = False) -> Path:
    """Write ``frame`` as CSV with 6 significant digits (parents are created).

    Args:
        frame: the table.
        path: the file to write.
        index: whether to write the index as the first column.

    Returns:
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=index, float_format="%.6g")
    return path


def write_text(text: str, path: str | Path) -> Path:
    """Write ``text`` to ``path`` (parents are created); ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def not_run_section(results: pd.DataFrame, columns: list[str], title: str) -> list[str]:
    """Markdown lines listing the units of a study that were skipped or failed
    (empty when every unit ran), so a table never hides what is missing.

    Args:
        results: a study's rows, with ``status`` and ``error`` columns.
        columns: the columns naming a unit.
        title: the section heading.

    Returns:
        The lines, or ``[]``.
    """
    bad = results[results["status"] != "ok"]
    if not len(bad):
        return []
    return [f"## {title}", "", format_table(bad[[*columns, "status", "error"]], index=False), ""]


def format_seconds(value: float) -> str:
    """A duration for a table or an axis label: ``"0"``, ``"0.25 s"``, ``"12 min"``, ``"3 h"``."""
    if value == 0:
        return "0"
    if value < 1:
        return f"{value:.2g} s"
    if value < 600:
        return f"{value:.3g} s"
    if value < 36000:
        return f"{value / 60:.3g} min"
    return f"{value / 3600:.3g} h"
