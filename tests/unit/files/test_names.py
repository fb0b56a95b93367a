"""The name a family gave its file is display text, never a path."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dacapo.store.files import NAME_LIMIT, sanitise_name


@pytest.mark.parametrize(
    ("given_name", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\System32\\drivers\\etc\\hosts", "hosts"),
        ("C:\\Users\\Léa\\Documents\\avis 2022.pdf", "avis 2022.pdf"),
        ("photo\u202egnp.exe", "photognp.exe"),
        ("\u2066facture\u2069\u2067.pdf\u2068", "facture.pdf"),
        ("e\u0301le\u0300ve.jpg", "élève.jpg"),
        ("tab\tand\nnew  line.pdf", "tab and new line.pdf"),
        ("\x1b[31mred\x1b[0m.pdf", "[31mred[0m.pdf"),
        ("CON.pdf", "CON.pdf"),
        ("", "document"),
        ("..", "document"),
        ("dossier/", "document"),
        ("\u202e", "document"),
        ("bad\udcff.pdf", "bad.pdf"),
    ],
)
def test_a_given_name_is_shown_without_path_controls_or_bidi(given_name: str, shown: str) -> None:
    assert sanitise_name(given_name) == shown


def test_a_long_name_is_cut_but_keeps_its_extension() -> None:
    shown = sanitise_name("a" * 400 + ".pdf")

    assert len(shown) == NAME_LIMIT
    assert shown.endswith("a.pdf")


@given(st.text())
def test_any_name_becomes_short_safe_display_text(given_name: str) -> None:
    shown = sanitise_name(given_name)

    assert 0 < len(shown) <= NAME_LIMIT
    assert "/" not in shown
    assert "\\" not in shown
    assert shown == unicodedata.normalize("NFC", shown) or len(shown) == NAME_LIMIT
    assert not any(unicodedata.category(c) in {"Cc", "Cf", "Cs", "Co"} for c in shown)
    assert shown.strip(".") != ""
    shown.encode("utf-8")
