"""Shared helpers: the campaign's catalog, a valid row, CSV bytes written like a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from ruamel.yaml import YAML

from dacapo.campaigns.schema import Campaign
from dacapo.engine.imports import COLUMNS, ImportResult, parse_families

ROOT = Path(__file__).parents[3]
DATA = ROOT / "tests" / "data" / "csv"


def _catalog() -> tuple[list[str], list[str]]:
    with (ROOT / "campaign-2023-2024.yaml").open(encoding="utf-8") as stream:
        campaign = Campaign.model_validate(YAML(typ="safe").load(stream))
    return campaign.catalog.disciplines, campaign.catalog.cycles


DISCIPLINES, CYCLES = _catalog()

ROW: dict[str, str] = {
    "family_ref": "F001",
    "guardian1_last_name": "Dupont",
    "guardian1_first_name": "Marie",
    "guardian1_email": "marie.dupont@example.fr",
    "guardian1_mobile": "06 12 34 56 78",
    "guardian2_last_name": "",
    "guardian2_first_name": "",
    "guardian2_email": "",
    "guardian2_mobile": "",
    "address": "12 rue Pierre Larousse",
    "postcode": "92240",
    "city": "Malakoff",
    "student_ref": "S0101",
    "student_last_name": "Dupont",
    "student_first_name": "Zoé",
    "birth_date": "14/03/2012",
    "discipline": "musique",
    "cycle": "cycle_2",
    "instrument": "Violon",
    "school": "Collège Henri Wallon",
    "school_level": "5e",
}


def row(**changes: str) -> dict[str, str]:
    return {**ROW, **changes}


def csv_bytes(
    rows: Iterable[Mapping[str, str] | Sequence[str]],
    *,
    sep: str = ";",
    end: str = "\r\n",
    bom: bool = False,
    columns: Sequence[str] = COLUMNS,
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator=end)
    writer.writerow(columns)
    for r in rows:
        writer.writerow([r.get(c, "") for c in columns] if isinstance(r, Mapping) else r)
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")


def parse(data: bytes, *, source: str = "familles.csv", **options: int) -> ImportResult:
    return parse_families(data, source=source, disciplines=DISCIPLINES, cycles=CYCLES, **options)


def where(result: ImportResult) -> list[tuple[int, str]]:
    return [(p.row, p.column) for p in result.problems]
