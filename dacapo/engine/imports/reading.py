"""From the bytes of a CSV file to numbered rows of clean text cells.

We read what spreadsheets export: UTF-8 with or without a BOM, comma or
semicolon (decided from the header line alone), ``\\n`` or ``\\r\\n``, quoted
cells holding separators or line breaks. Cells come back stripped and in NFC.
Rows are numbered as a spreadsheet shows them: the header is row 1, and a
blank line still takes a row number (it is skipped, silently).
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from dacapo.engine.imports.columns import COLUMNS, REQUIRED
from dacapo.engine.imports.models import CsvProblem

MAX_BYTES = 50 * 1024 * 1024  # 200,000 rows of ~225 bytes fit
MAX_ROWS = 200_000

SAVE_AS_UTF8 = (
    "save it again as « CSV UTF-8 » (Excel: Save As › CSV UTF-8; "
    "LibreOffice: Save As › CSV, character set Unicode (UTF-8))"
)


@dataclass
class Table:
    """A file's header, its problems, and its data rows (read once, by ``rows()``)."""

    source: str
    max_rows: int = MAX_ROWS
    columns: dict[str, int] = field(default_factory=dict)  # name -> position in a row
    width: int = 0
    problems: list[CsvProblem] = field(default_factory=list)
    readable: bool = False  # the header names every required column
    aborted: bool = False  # reading stopped part-way: nothing may be imported
    row_count: int = 0
    records: Iterator[list[str]] = field(default_factory=lambda: iter(()))

    def refuse(self, row: int, message: str) -> None:
        self.problems.append(CsvProblem(source=self.source, row=row, message=message))
        self.aborted = True

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """The data rows with their spreadsheet numbers; blank ones skipped."""
        number = 1
        try:
            for number, record in enumerate(self.records, start=2):
                cells = [c.strip() for c in record]
                joined = "".join(cells)
                if not joined:
                    continue
                if not joined.isascii():
                    cells = [c if c.isascii() else unicodedata.normalize("NFC", c) for c in cells]
                if "\r" in joined:
                    cells = [c.replace("\r\n", "\n").replace("\r", "\n") for c in cells]
                if self.row_count == self.max_rows:
                    self.refuse(0, f"too many rows: the limit is {self.max_rows:,}; split the file")
                    return
                self.row_count += 1
                yield number, cells
        except csv.Error as error:
            self.refuse(number + 1, f"unreadable CSV: {error}")
            return
        if not self.row_count and self.columns:
            self.problems.append(
                CsvProblem(source=self.source, row=0, message="no rows: the file has a header only")
            )


def clean(cell: str) -> str:
    text = cell.strip()
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def _decode(data: bytes, source: str) -> str | CsvProblem:
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[start:].decode("utf-8")
    except UnicodeDecodeError as error:
        offset = start + error.start
        line_start = data.rfind(b"\n", 0, offset) + 1
        line = data.count(b"\n", 0, offset) + 1
        context = data[line_start : offset + 1].decode("cp1252", errors="replace")[-30:]
        return CsvProblem(
            source=source,
            row=line,
            message=(
                f"not UTF-8 text: byte 0x{data[offset]:02x} at byte {offset} "
                f"(line {line}, near {context!r}); the file looks like an old "
                f"Excel or Latin-1 export: {SAVE_AS_UTF8}"
            ),
        )


def sniff_separator(header_line: str) -> str:
    """``;`` or ``,``: the one that splits the header into more known column names."""

    def known(sep: str) -> int:
        return sum(clean(name).strip('"') in COLUMNS for name in header_line.split(sep))

    by_names = known(";") - known(",")
    if by_names:
        return ";" if by_names > 0 else ","
    return ";" if header_line.count(";") > header_line.count(",") else ","


def _hint(name: str, candidates: Sequence[str]) -> str:
    lowered = {c.lower(): c for c in candidates}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[close[0]] if close else ""


def _header(names: list[str], table: Table) -> None:
    source = table.source
    while names and not names[-1]:
        names.pop()  # trailing separators: a spreadsheet artefact
    table.width = len(names)
    unknown: list[tuple[int, str]] = []
    for index, name in enumerate(names):
        if name in table.columns:
            table.problems.append(
                CsvProblem(
                    source=source,
                    row=1,
                    column=name,
                    message=f"column {name!r} appears twice "
                    f"(columns {table.columns[name] + 1} and {index + 1})",
                )
            )
        elif name in COLUMNS:
            table.columns[name] = index
        else:
            unknown.append((index, name))
    if not table.columns:
        table.problems.append(
            CsvProblem(
                source=source,
                row=1,
                message="the first row is not a header: none of its cells names a column; "
                f"start the file with a row naming its columns: {', '.join(COLUMNS)}",
            )
        )
        return
    missing = [c for c in REQUIRED if c not in table.columns]
    hinted: set[str] = set()
    if missing:
        parts = []
        for name in missing:
            near = _hint(name, [u for _, u in unknown if u not in hinted])
            if near:
                hinted.add(near)
                parts.append(f"{name} (did you mean {near!r}?)")
            else:
                parts.append(name)
        noun = "columns" if len(missing) > 1 else "column"
        table.problems.append(
            CsvProblem(source=source, row=1, message=f"missing required {noun}: {', '.join(parts)}")
        )
    for index, name in unknown:
        if name in hinted:
            continue
        if not name:
            message = f"column {index + 1} has no name"
        else:
            near = _hint(name, [c for c in COLUMNS if c not in table.columns])
            message = f"unknown column {name!r}" + (f"; did you mean {near!r}?" if near else "")
        table.problems.append(CsvProblem(source=source, row=1, column=name, message=message))
    table.readable = not missing


def read_table(
    data: bytes, *, source: str, max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS
) -> Table:
    """The header read and checked; the data rows wait in ``rows()``."""
    table = Table(source, max_rows)
    if len(data) > max_bytes:
        message = f"file too large: {len(data):,} bytes, the limit is {max_bytes:,}; split it"
        table.refuse(0, message)
        return table
    text = _decode(data, source)
    if isinstance(text, CsvProblem):
        table.problems.append(text)
        table.aborted = True
        return table
    if not text.strip():
        table.refuse(0, "empty file: expected a header row, then one row per pupil")
        return table
    first_line = text.split("\n", 1)[0]
    records = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_separator(first_line))
    try:
        header = next(records)
    except csv.Error as error:
        table.refuse(1, f"unreadable CSV: {error}")
        return table
    _header([clean(c).lstrip("\ufeff") for c in header], table)
    table.records = records
    return table
