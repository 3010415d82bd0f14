"""Writing tables: every table as CSV (for machines) and markdown (for people)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def format_table(frame: pd.DataFrame, floatfmt: str = ".3f", index: bool = True) -> str:
    """A GitHub-flavoured markdown table; missing values shown as ``-``."""
    return frame.to_markdown(floatfmt=floatfmt, index=index, missingval="-")


def write_csv(frame: pd.DataFrame, path: str | Path, index: bool = False) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=index, float_format="%.6g")
    return path


def not_run_section(results: pd.DataFrame, columns: list[str], title: str) -> list[str]:
    """Markdown lines listing the units of a study that were skipped or failed
    (empty when every unit ran), so a table never hides what is missing."""
    bad = results[results["status"] != "ok"]
    if not len(bad):
        return []
    return [f"## {title}", "", format_table(bad[[*columns, "status", "error"]], index=False), ""]
