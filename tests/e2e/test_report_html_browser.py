"""The HTML report as a person sees it: opened in headless Chromium.

Skipped when ``/usr/bin/chromium`` is missing (``apt-get install -y chromium``),
unless ``DACAPO_REQUIRE_CHROMIUM`` is set: then its absence fails the test.
"""

from __future__ import annotations

import os
import re
import struct
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.conftest import Result
from tests.e2e.test_report_cli import HOSTILE, seed_report_data

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ("--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars", "--mute-audio")
SUCCESS_GREEN = (0x2E, 0x7D, 0x32)  # the confirmed band (chart.SUCCESS_COLOUR)


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("DACAPO_REQUIRE_CHROMIUM"):
            pytest.fail(f"{CHROMIUM} is missing and DACAPO_REQUIRE_CHROMIUM is set")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium to run this test")
    return CHROMIUM


@pytest.fixture
def page(dacapo: Callable[..., Result], tmp_path: Path) -> Path:
    """An HTML report written by ``dacapo report -f html -o``."""
    seed_report_data(Path(os.environ["DACAPO_DATA_DIR"]))
    target = tmp_path / "rapport.html"
    result = dacapo("--now", "2023-05-15T10:00:00+02:00", "report", "malakoff-2023-2024",
                    "-f", "html", "-o", str(target))  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return target


def _chromium(binary: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "profile"  # a fresh profile: nothing read from or left in $HOME
    return subprocess.run(
        [str(binary), *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_chart_is_in_the_rendered_dom_with_a_band_per_state(
    chromium: Path, page: Path, tmp_path: Path
) -> None:
    dom = _chromium(chromium, tmp_path, "--dump-dom", page.as_uri()).stdout

    svg = re.search(r'<svg[^>]*class="funnel".*?</svg>', dom, re.S)
    assert svg is not None, dom[:2000]
    chart = svg.group(0)
    assert "<title" in chart
    assert "Progression quotidienne — Réinscriptions administratives en ligne" in chart
    bands = re.findall(r'<polygon class="band" data-state="(\w+)"', chart)
    states = ["confirmed", "rules_accepted", "documents_supplied", "identity_verified", "invited",
              "withdrawn", "lapsed"]  # fmt: skip
    assert sorted(bands) == sorted(states)
    assert ">15/05<" in chart  # the last day on the date axis
    assert "<script" not in dom
    assert "&lt;script&gt;" in dom  # the hostile name is text in the page
    assert HOSTILE.split("<")[0] in dom


def test_screenshot_shows_the_page_and_its_chart(
    chromium: Path, page: Path, tmp_path: Path
) -> None:
    shot = tmp_path / "shot.png"

    _chromium(chromium, tmp_path, "--window-size=1000,1100", f"--screenshot={shot}", page.as_uri())

    width, height, pixels = _decode_png(shot.read_bytes())
    assert (width, height) == (1000, 1100)
    colours = {pixels[i : i + 3] for i in range(0, len(pixels), 3 * 7)}
    assert len(colours) > 50  # text, tables and a chart; a blank page has one colour
    assert any(_near(c, SUCCESS_GREEN) for c in colours)


def _near(colour: bytes, target: tuple[int, int, int], tolerance: int = 30) -> bool:
    """The band's colour, drawn at 90 % opacity over white, within ``tolerance``."""
    blended = [round(0.9 * t + 0.1 * 255) for t in target]
    return all(abs(c - b) <= tolerance for c, b in zip(colour, blended, strict=True))


def _decode_png(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and RGB bytes of an 8-bit RGB or RGBA, non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks, header = 8, [], b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert (depth, interlace) == (8, 0)
    assert colour_type in (2, 6)
    channels = 3 if colour_type == 2 else 4
    stride = width * channels
    raw = zlib.decompress(b"".join(chunks))
    previous = bytearray(stride)
    rgb = bytearray()
    for row in range(height):
        start = row * (stride + 1)
        line = _unfilter(raw[start], bytearray(raw[start + 1 : start + 1 + stride]), previous,
                         channels)  # fmt: skip
        pixels = line if channels == 3 else bytearray(b for i, b in enumerate(line) if i % 4 != 3)
        rgb += pixels
        previous = line
    return width, height, bytes(rgb)


def _unfilter(kind: int, line: bytearray, above: bytearray, bpp: int) -> bytearray:
    if kind == 0:
        return line
    if kind == 2:
        return bytearray((a + b) & 0xFF for a, b in zip(line, above, strict=True))
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        up = above[i]
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        else:
            corner = above[i - bpp] if i >= bpp else 0
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            best = left if pa <= pb and pa <= pc else up if pb <= pc else corner
            line[i] = (line[i] + best) & 0xFF
    return line
