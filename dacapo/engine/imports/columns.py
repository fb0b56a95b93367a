"""The columns of a family CSV: one row per pupil, family columns repeated."""

from __future__ import annotations

GUARDIAN_FIELDS = ("last_name", "first_name", "email", "mobile")
GUARDIAN1 = tuple(f"guardian1_{f}" for f in GUARDIAN_FIELDS)
GUARDIAN2 = tuple(f"guardian2_{f}" for f in GUARDIAN_FIELDS)
ADDRESS = ("address", "postcode", "city")
STUDENT = (
    "student_ref",
    "student_last_name",
    "student_first_name",
    "birth_date",
    "discipline",
    "cycle",
    "instrument",
    "school",
    "school_level",
)

# Every row of one family must repeat these with the same values.
FAMILY = (*GUARDIAN1, *GUARDIAN2, *ADDRESS)
COLUMNS = ("family_ref", *FAMILY, *STUDENT)
OPTIONAL = frozenset({*GUARDIAN2, "guardian1_mobile", "instrument", "school", "school_level"})
REQUIRED = tuple(c for c in COLUMNS if c not in OPTIONAL)
# Guardian 2 is optional, but once any of its cells is filled these are needed.
GUARDIAN2_REQUIRED = ("guardian2_last_name", "guardian2_first_name", "guardian2_email")
