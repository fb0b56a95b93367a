"""A file name made to deceive is refused; any other is display text, never a path."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dacapo.store.files import NAME_LIMIT, name_problem, sanitise_name, shown_name

# (given name, how the refusal quotes it, why)
REFUSED = {
    "rtl-override-exe": ("photo\u202egnp.exe", "photo\\u202egnp.exe",
                         "a bidirectional control character (U+202E) at character 6"),
    "bidi-isolates": ("\u2066facture\u2069.pdf", "\\u2066facture\\u2069.pdf",
                      "a bidirectional control character (U+2066) at character 1"),
    "left-to-right-mark": ("scan\u200e.pdf", "scan\\u200e.pdf", "bidirectional control"),
    "escape-sequence": ("\x1b[2Jred.pdf", "\\u001b[2Jred.pdf",
                        "a control character (U+001B) at character 1"),
    "nul": ("scan\x00.pdf", "scan\\u0000.pdf", "a control character (U+0000)"),
    "tab": ("tab\tname.pdf", "tab\\u0009name.pdf", "a control character (U+0009)"),
    "line-feed": ("new\nline.pdf", "new\\u000aline.pdf", "a line break (U+000A)"),
    "line-separator": ("new\u2028line.pdf", "new\\u2028line.pdf", "a line break (U+2028)"),
    "c1-control": ("csi\x9b.pdf", "csi\\u009b.pdf", "a control character (U+009B)"),
    "traversal": ("../../etc/passwd", "../../etc/passwd", "a '..' path component"),
    "windows-traversal": ("..\\..\\x", "..\\..\\x", "a '..' path component"),
    "traversal-inside": ("scans/../avis.pdf", "scans/../avis.pdf", "a '..' path component"),
    "only-dot-dot": ("..", "..", "a '..' path component"),
    "con-pdf": ("CON.pdf", "CON.pdf", "its name is CON, a Windows reserved device name"),
    "nul-txt": ("nul.txt", "nul.txt", "its name is NUL, a Windows reserved device name"),
    "com1": ("Com1", "Com1", "its name is COM1, a Windows reserved device name"),
    "lpt9-double-extension": ("lpt9.tar.gz", "lpt9.tar.gz", "its name is LPT9"),
    "aux-before-a-space": ("AUX .jpg", "AUX .jpg", "its name is AUX"),
    "prn-in-a-full-path": ("C:\\scans\\prn.png", "C:\\scans\\prn.png", "its name is PRN"),
    "com-superscript": ("COM\u00b9.pdf", "COM\u00b9.pdf", "its name is COM\u00b9"),
}  # fmt: skip


@pytest.mark.parametrize(("given_name", "quoted", "why"), REFUSED.values(), ids=REFUSED.keys())
def test_a_deceptive_or_hostile_name_is_refused_saying_why(
    given_name: str, quoted: str, why: str
) -> None:
    problem = name_problem(given_name)

    assert problem is not None
    assert why in problem
    assert problem.endswith("; rename the file, then add it again")
    assert shown_name(given_name) == quoted


@pytest.mark.parametrize(
    ("given_name", "shown"),
    [
        ("C:\\Users\\Léa\\Documents\\avis 2022.pdf", "avis 2022.pdf"),
        ("/home/x/photo.jpg", "photo.jpg"),
        ("e\u0301le\u0300ve.jpg", "élève.jpg"),
        ("zero\u200bwidth.pdf", "zerowidth.pdf"),
        ("  avis   2022 .pdf ", "avis 2022 .pdf"),
        ("CONSOLE.pdf", "CONSOLE.pdf"),
        ("com0.pdf", "com0.pdf"),
        ("facture..pdf", "facture..pdf"),
        ("...", "document"),
        ("", "document"),
        ("dossier/", "document"),
        ("bad\udcff.pdf", "bad.pdf"),  # a Latin-1 name read on a UTF-8 system
    ],
)
def test_a_legitimate_name_is_accepted_and_shown_by_its_last_component(
    given_name: str, shown: str
) -> None:
    assert name_problem(given_name) is None
    assert sanitise_name(given_name) == shown


def test_a_long_name_is_accepted_and_cut_but_keeps_its_extension() -> None:
    given_name = "a" * 400 + ".pdf"

    assert name_problem(given_name) is None
    shown = sanitise_name(given_name)
    assert len(shown) == NAME_LIMIT
    assert shown.endswith("a.pdf")


def test_a_long_refused_name_is_quoted_cut() -> None:
    quoted = shown_name("\u202e" + "x" * 1000)

    assert len(quoted) == 200
    assert quoted.startswith("\\u202exxx")
    assert quoted.endswith("x…")


@given(st.text())
def test_any_name_is_quoted_visibly_and_on_one_line(given_name: str) -> None:
    quoted = shown_name(given_name)

    assert len(quoted) <= 200
    assert not any(unicodedata.category(c) in {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"} for c in quoted)
    quoted.encode("utf-8")


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
