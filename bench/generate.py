"""A family CSV of any size shaped like Malakoff's export (accents, siblings, 2 guardians).

The names are those of the simulation (``dacapo.simulation.people``).
"""

from __future__ import annotations

import csv
import io
import random

from dacapo.engine.imports import COLUMNS
from dacapo.simulation.people import FIRST_NAMES, GUARDIAN_FIRST_NAMES, LAST_NAMES

DISCIPLINES = ["musique", "musique", "musique", "danse", "theatre"]
CYCLES = ["eveil", "cycle_1", "cycle_1", "cycle_2", "cycle_3"]


def family_csv(pupils: int, *, seed: int = 1) -> bytes:
    """``pupils`` rows, 2.5 pupils per family on average, semicolons and a BOM like Excel."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    row = family = 0
    while row < pupils:
        family += 1
        last = rng.choice(LAST_NAMES)
        f = family
        common = {
            "family_ref": f"F{f:06d}",
            "guardian1_last_name": last,
            "guardian1_first_name": rng.choice(GUARDIAN_FIRST_NAMES),
            "guardian1_email": f"parent{f}@example.fr",
            "guardian1_mobile": f"06 {f // 10000 % 100:02d} {f // 100 % 100:02d} {f % 100:02d} 11",
            "guardian2_last_name": last if f % 4 else "",
            "guardian2_first_name": "Paul" if f % 4 else "",
            "guardian2_email": f"other{f}@example.fr" if f % 4 else "",
            "guardian2_mobile": f"07 61 {f // 10000 % 100:02d} {f // 100 % 100:02d} {f % 100:02d}"
            if f % 3 and f % 4
            else "",
            "address": f"{f % 200 + 1} rue Pierre Larousse",
            "postcode": "92240",
            "city": "Malakoff",
        }
        for _ in range(rng.choice([1, 2, 3, 4])):
            row += 1
            writer.writerow(
                [
                    {
                        **common,
                        "student_ref": f"S{row:07d}",
                        "student_last_name": last,
                        "student_first_name": rng.choice(FIRST_NAMES),
                        "birth_date": f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/"
                        f"{rng.randint(2006, 2018)}",
                        "discipline": rng.choice(DISCIPLINES),
                        "cycle": rng.choice(CYCLES),
                        "instrument": "Piano",
                        "school": "Collège Paul Bert",
                        "school_level": "5e",
                    }[column]
                    for column in COLUMNS
                ]
            )
            if row >= pupils:
                break
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")
