"""Writing tables: every table as CSV (for machines) and markdown (for people)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: Below this many test archs a rank correlation is too noisy to compare predictors
#: or proxies by (a 3-arch test set gives Kendall tau in steps of 1/3).
THIN_TEST_SET = 30


def thin_test_warning(n_archs: int, what: str = "test set") -> list[str]:
    """Markdown lines flagging a rank correlation computed on fewer than
    :data:`THIN_TEST_SET` archs (none when there are enough).

    Args:
        n_archs: how many archs the correlations were computed on.
        what: what those archs are, for the message.

    Returns:
        The warning paragraph and a blank line, or an empty list.
    """
    if n_archs >= THIN_TEST_SET:
        return []
    return [
        f"**Warning: the {what} has {n_archs} archs (fewer than {THIN_TEST_SET}).** Rank "
        "correlations on so few archs are too noisy to tell predictors apart; use a "
        "larger test set.",
        "",
    ]


def format_table(frame: pd.DataFrame, floatfmt: str = ".3f", index: bool = True) -> str:
    """A GitHub-flavoured markdown table: missing values (None, NaN, NA) blank, integers
    (``int``/``Int64`` columns, integer cells) as integers, other numbers in ``floatfmt``.

    Cells are formatted here, one by one, rather than by tabulate, which turns a
    column of ints beside floats into floats (``tasks 1.000``) and prints NaN as
    ``nan``.

    Args:
        frame: the table.
        floatfmt: format of the float cells.
        index: whether to show the index as the first column.

    Returns:
        The markdown text.
    """
    from tabulate import tabulate

    shown = frame.reset_index() if index else frame
    if index and frame.index.name is None and not isinstance(frame.index, pd.MultiIndex):
        shown = shown.rename(columns={"index": ""})
    columns = [[_cell(v, floatfmt) for v in shown[c].to_numpy(dtype=object)] for c in shown.columns]
    align = [
        "right"
        if pd.api.types.is_numeric_dtype(shown[c].dtype) and not _is_bool(shown[c])
        else "left"
        for c in shown.columns
    ]
    rows = [list(r) for r in zip(*columns, strict=True)] if columns else []
    return tabulate(
        rows,
        headers=[str(c) for c in shown.columns],
        tablefmt="pipe",
        disable_numparse=True,
        colalign=align,
    )


def _is_bool(column: pd.Series) -> bool:
    return pd.api.types.is_bool_dtype(column.dtype)


def _cell(value: object, floatfmt: str) -> str:
    """One markdown cell: blank when missing, an integer as an integer."""
    if value is None or (
        not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)
    ):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return format(float(value), floatfmt)
    return str(value)


def write_csv(frame: pd.DataFrame, path: str | Path, index: bool = False) -> Path:
    """Write ``frame`` as CSV with 6 significant digits (parents are created); a cell
    holding a list (a results row's ``reads``) is written as its items joined by ``;``.

    Args:
        frame: the table.
        path: the file to write.
        index: whether to write the index as the first column.

    Returns:
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    listed = [c for c in frame.columns if frame[c].map(lambda v: isinstance(v, list)).any()]
    if listed:
        frame = frame.assign(
            **{c: frame[c].map(lambda v: ";".join(v) if isinstance(v, list) else v) for c in listed}
        )
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
