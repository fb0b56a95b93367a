"""Writing a built report in one of the formats (each renderer imported when used)."""

from __future__ import annotations

from typing import TextIO

from dacapo.reports.model import Report

FORMATS = ("table", "csv", "json", "html")
TABLE_WIDTH = 250  # columns of the table format when not written to a terminal


def write_report(report: Report, output_format: str, out: TextIO) -> None:
    """``report`` as ``output_format`` (one of ``FORMATS``) on ``out``."""
    if output_format == "csv":
        from dacapo.reports.render_csv import render_csv

        render_csv(report, out)
    elif output_format == "json":
        from dacapo.reports.render_json import render_json

        render_json(report, out)
    elif output_format == "html":
        from dacapo.reports.render_html import render_html

        render_html(report, out)
    elif output_format == "table":
        from rich.console import Console

        from dacapo.reports.render_text import render_text

        width = None if out.isatty() else TABLE_WIDTH
        render_text(report, Console(file=out, width=width, soft_wrap=False, highlight=False))
    else:
        raise ValueError(f"unknown report format {output_format!r}; formats: {FORMATS}")
