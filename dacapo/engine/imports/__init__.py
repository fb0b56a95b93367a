"""Family import: a CSV file (one row per pupil) read into plain models.

Pure: bytes in, models and problems out. The store writes them; the CLI
decides whether problems stop the import (``--skip-invalid``).
"""

from dacapo.engine.imports.columns import COLUMNS, OPTIONAL, REQUIRED
from dacapo.engine.imports.families import parse_families
from dacapo.engine.imports.models import CsvProblem, FamilyIn, GuardianIn, ImportResult, StudentIn
from dacapo.engine.imports.reading import MAX_BYTES, MAX_ROWS

__all__ = [
    "COLUMNS",
    "MAX_BYTES",
    "MAX_ROWS",
    "OPTIONAL",
    "REQUIRED",
    "CsvProblem",
    "FamilyIn",
    "GuardianIn",
    "ImportResult",
    "StudentIn",
    "parse_families",
]
