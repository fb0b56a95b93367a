"""What a family CSV becomes: plain, frozen pydantic models (no ORM).

The store turns these into rows; nothing here knows about the database.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict

from dacapo.engine.errors import FamilyImportInvalid


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CsvProblem(Model):
    """One problem in a CSV file, read as ``FILE:ROW:COLUMN: message``.

    ``row`` is numbered as a spreadsheet shows it (the header is row 1, the
    first pupil row 2); row 0 is the file as a whole. ``column`` is a column
    name, or empty when the problem is about the whole row.
    """

    source: str
    row: int
    column: str = ""
    message: str

    def __str__(self) -> str:
        where = [self.source]
        if self.row:
            where.append(str(self.row))
            if self.column:
                where.append(self.column)
        return f"{':'.join(where)}: {self.message}"


class GuardianIn(Model):
    last_name: str
    first_name: str
    email: str
    mobile: str | None = None  # E.164, e.g. +33612345678


class StudentIn(Model):
    ref: str
    last_name: str
    first_name: str
    birth_date: dt.date
    discipline: str
    cycle: str
    instrument: str | None = None
    school: str | None = None
    school_level: str | None = None
    row: int


class FamilyIn(Model):
    ref: str
    address: str
    postcode: str
    city: str
    guardians: list[GuardianIn]
    students: list[StudentIn]
    first_row: int


class ImportResult(Model):
    """Everything read from one file, and everything wrong with it.

    ``families`` holds every family that has at least one valid row, with the
    pupils of its valid rows only; ``valid_families()`` keeps the families
    whose rows are all valid (what ``--skip-invalid`` imports).
    """

    source: str
    families: list[FamilyIn]
    problems: list[CsvProblem]
    row_count: int
    rejected_rows: list[int]
    rejected_families: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def file_problems(self) -> list[CsvProblem]:
        """Problems with the file itself (size, encoding, header): nothing can be imported."""
        return [p for p in self.problems if p.row <= 1]

    def valid_families(self) -> list[FamilyIn]:
        if self.file_problems:
            return []
        rejected = set(self.rejected_families)
        return [f for f in self.families if f.ref not in rejected]

    def raise_for_problems(self) -> None:
        """Raise ``FamilyImportInvalid`` listing every problem, if there is any."""
        if self.problems:
            raise FamilyImportInvalid(self.problems)
