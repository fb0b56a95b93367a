"""Hypothesis: any name with accents, apostrophes, hyphens or spaces comes back as written."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.imports.support import csv_bytes, parse, row

LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéèêëàâäîïôöùûüçœæÿñãõåøÉÈÊÀÂÎÔÙÛÇŒÆ"
JOINERS = "'’- "
# Characters that force quoting in the file: the separators and the quote.
AWKWARD = ';,"'


def _name(parts: list[str], joiners: list[str]) -> str:
    out = parts[0]
    for joiner, part in zip(joiners, parts[1:], strict=False):
        out += joiner + part
    return out


names = st.builds(
    _name,
    st.lists(st.text(LETTERS, min_size=1, max_size=12), min_size=1, max_size=4),
    st.lists(st.sampled_from(JOINERS + AWKWARD), max_size=3),
)


@settings(max_examples=200, deadline=None)
@given(
    last=names,
    first=names,
    guardian=names,
    sep=st.sampled_from([";", ","]),
    end=st.sampled_from(["\n", "\r\n"]),
    bom=st.booleans(),
    decomposed=st.booleans(),
)
def test_names_round_trip_through_a_generated_csv(
    last: str, first: str, guardian: str, sep: str, end: str, bom: bool, decomposed: bool
) -> None:
    def written(name: str) -> str:
        return unicodedata.normalize("NFD", name) if decomposed else name

    data = csv_bytes(
        [
            row(
                student_last_name=written(last),
                student_first_name=written(first),
                guardian1_last_name=written(guardian),
            )
        ],
        sep=sep,
        end=end,
        bom=bom,
    )
    result = parse(data)

    assert result.problems == []
    [family] = result.families
    assert family.guardians[0].last_name == unicodedata.normalize("NFC", guardian)
    assert family.students[0].last_name == unicodedata.normalize("NFC", last)
    assert family.students[0].first_name == unicodedata.normalize("NFC", first)
