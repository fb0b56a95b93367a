"""``parse_families``: a family CSV read, checked and grouped, before any database.

Every bad cell is reported, not only the first. A row is valid when all its
cells are; a family is valid when all its rows are, and its rows agree on the
family and guardian columns. The caller decides what to do: by default write
nothing if there is any problem; with ``--skip-invalid``, write the
``valid_families()``.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from dacapo.engine.imports import cells as read
from dacapo.engine.imports import contacts
from dacapo.engine.imports.columns import (
    COLUMNS,
    FAMILY,
    GUARDIAN2,
    GUARDIAN2_REQUIRED,
    GUARDIAN_FIELDS,
    REQUIRED,
    STUDENT,
)
from dacapo.engine.imports.models import CsvProblem, FamilyIn, GuardianIn, ImportResult, StudentIn
from dacapo.engine.imports.reading import MAX_BYTES, MAX_ROWS, Table, read_table

Reader = Callable[[str], object]
_REQUIRED = frozenset(REQUIRED)
PUPIL = ("family_ref", *STUDENT)
_family_of = itemgetter(*FAMILY)
_address_of = itemgetter("address", "postcode", "city")
_STUDENT_FIELDS = {c.removeprefix("student_"): c for c in STUDENT}  # model field -> column


def _readers(disciplines: Sequence[str] | None, cycles: Sequence[str] | None) -> dict[str, Reader]:
    guardian: dict[str, Reader] = {
        "last_name": read.name,
        "first_name": read.name,
        "email": contacts.email,
        "mobile": contacts.mobile,
    }
    return {
        "family_ref": read.ref,
        **{f"guardian{n}_{k}": r for n in (1, 2) for k, r in guardian.items()},
        "address": read.text,
        "postcode": read.postcode,
        "city": read.name,
        "student_ref": read.ref,
        "student_last_name": read.name,
        "student_first_name": read.name,
        "birth_date": read.birth_date,
        "discipline": read.Vocabulary("discipline", disciplines),
        "cycle": read.Vocabulary("cycle", cycles),
        "instrument": read.text,
        "school": read.text,
        "school_level": read.text,
    }


@dataclass
class _Cells:
    """Some cells of one row: ``values`` holds the valid ones (None when empty).

    Values are typed by their readers, and checked again by the models.
    """

    raw: dict[str, str]
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _Family:
    ref: str
    first_row: int
    seen: dict[str, tuple[int, object, str]] = field(default_factory=dict)
    # The family cells of the family's last row, as written and as read: most
    # rows repeat them verbatim, and then need neither reading nor comparing.
    last: tuple[tuple[str, ...], _Cells] | None = None
    address: tuple[str, str, str] | None = None
    guardians: list[GuardianIn] = field(default_factory=list)
    students: list[StudentIn] = field(default_factory=list)


def _read(raw: dict[str, str], columns: Sequence[str], readers: dict[str, Reader]) -> _Cells:
    cells = _Cells(raw)
    for column in columns:
        text = raw[column]
        if not text:
            if column in _REQUIRED:
                cells.problems.append((column, "empty, but this column is required"))
            cells.values[column] = None
            continue
        try:
            cells.values[column] = readers[column](text)
        except ValueError as error:
            cells.problems.append((column, str(error)))
    return cells


def _read_family(raw: dict[str, str], readers: dict[str, Reader]) -> _Cells:
    cells = _read(raw, FAMILY, readers)
    if any(raw[c] for c in GUARDIAN2):
        for column in GUARDIAN2_REQUIRED:
            if not raw[column]:
                cells.problems.append((column, "empty, but needed when guardian 2 is given"))
    return cells


def _guardians(cells: _Cells) -> list[GuardianIn]:
    numbers = (1, 2) if any(cells.raw[c] for c in GUARDIAN2) else (1,)
    return [
        GuardianIn(**{f: cells.values[f"guardian{n}_{f}"] for f in GUARDIAN_FIELDS})
        for n in numbers
    ]


def _student(cells: _Cells, number: int) -> StudentIn:
    return StudentIn(row=number, **{f: cells.values[c] for f, c in _STUDENT_FIELDS.items()})


def _shown(raw: str) -> str:
    return repr(raw) if raw else "empty"


def _agree(family: _Family, cells: _Cells, number: int) -> None:
    """Every row of a family repeats its family columns: report those that differ."""
    for column in FAMILY:
        if column not in cells.values:
            continue
        value, raw = cells.values[column], cells.raw[column]
        first, known, known_raw = family.seen.setdefault(column, (number, value, raw))
        if known != value:
            cells.problems.append(
                (
                    column,
                    f"{_shown(raw)} differs from row {first} ({_shown(known_raw)}) for family "
                    f"{family.ref!r}: every row of a family repeats the same family columns",
                )
            )


def _family_cells(
    family: _Family | None, raw: dict[str, str], number: int, readers: dict[str, Reader]
) -> _Cells:
    written = _family_of(raw)
    if family is not None and family.last is not None and family.last[0] == written:
        return family.last[1]
    cells = _read_family(raw, readers)
    if family is not None:
        _agree(family, cells, number)
        family.last = (written, cells)
    return cells


def parse_families(
    data: bytes,
    *,
    source: str,
    disciplines: Sequence[str] | None = None,
    cycles: Sequence[str] | None = None,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
) -> ImportResult:
    """Read a family CSV (one row per pupil); report every problem with its row and column.

    ``disciplines`` and ``cycles`` are the campaign's codes (``catalog``); when
    given, a cell must name one of them (case and accents aside) and the code
    is kept.
    """
    table = read_table(data, source=source, max_bytes=max_bytes, max_rows=max_rows)
    with _gc_paused():
        return _parse(table, readers=_readers(disciplines, cycles))


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while rows become models.

    Reading makes no reference cycles, and the collector's passes over the
    growing heap of models cost as much as the reading itself.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _width_problem(table: Table, number: int, cells: list[str]) -> CsvProblem | None:
    """A row must have a cell per column (trailing empty cells are dropped first)."""
    if len(cells) > table.width and not any(cells[table.width :]):
        del cells[table.width :]  # trailing separators
    if len(cells) == table.width:
        return None
    message = f"{len(cells)} cells, but the header has {table.width} columns"
    if len(cells) > table.width:
        message += " (a separator inside a cell that is not quoted?)"
    return CsvProblem(source=table.source, row=number, message=message)


def _parse(table: Table, *, readers: dict[str, Reader]) -> ImportResult:
    source = table.source
    problems: list[CsvProblem] = []
    families: dict[str, _Family] = {}
    rejected_rows: list[int] = []
    rejected_families: dict[str, None] = {}  # an ordered set
    students: dict[str, int] = {}  # student ref -> its first row
    ref_at = table.columns.get("family_ref", 0)
    # Each column's cell in a row; a column the file leaves out reads the "" added last.
    cells_of = itemgetter(*(table.columns.get(c, -1) for c in COLUMNS))

    for number, cells in table.rows():
        if not table.readable:
            continue
        if wrong := _width_problem(table, number, cells):
            problems.append(wrong)
            rejected_rows.append(number)
            if ref_at < len(cells) and cells[ref_at]:
                rejected_families[cells[ref_at]] = None
            continue
        cells.append("")
        raw = dict(zip(COLUMNS, cells_of(cells), strict=True))
        pupil = _read(raw, PUPIL, readers)
        ref = pupil.values.get("family_ref")
        family = None
        if ref is not None:
            family = families.get(ref) or families.setdefault(ref, _Family(ref, number))
        home = _family_cells(family, raw, number, readers)
        student_ref = pupil.values.get("student_ref")
        if student_ref is not None:
            first = students.setdefault(student_ref, number)
            if first != number:
                pupil.problems.append(
                    ("student_ref", f"student {student_ref!r} is already on row {first}")
                )
        if pupil.problems or home.problems:
            problems.extend(
                CsvProblem(source=source, row=number, column=c, message=m)
                for c, m in (*pupil.problems, *home.problems)
            )
            rejected_rows.append(number)
            if raw["family_ref"]:
                rejected_families[raw["family_ref"]] = None
        elif family is not None:
            if not family.address:
                family.address = _address_of(home.values)
                family.guardians = _guardians(home)
            family.students.append(_student(pupil, number))

    problems[:0] = table.problems
    order = {name: index for index, name in enumerate(COLUMNS)}
    problems.sort(key=lambda p: (p.row, order.get(p.column, -1)))
    return ImportResult(
        source=source,
        families=[] if table.aborted else [_family(f) for f in families.values() if f.address],
        problems=problems,
        row_count=table.row_count,
        rejected_rows=rejected_rows,
        rejected_families=list(rejected_families),
    )


def _family(family: _Family) -> FamilyIn:
    assert family.address is not None
    address, postcode, city = family.address
    return FamilyIn(
        ref=family.ref,
        address=address,
        postcode=postcode,
        city=city,
        guardians=family.guardians,
        students=family.students,
        first_row=family.first_row,
    )
