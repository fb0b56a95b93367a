"""Anything but a clean PDF, JPEG or PNG is refused, and nothing is written."""

from __future__ import annotations

import os
import sys
import zlib
from pathlib import Path

import pytest

from dacapo.engine.errors import BadInput, FileRefused
from dacapo.store import filetypes
from dacapo.store.files import MIB, intake
from tests.unit.files import samples
from tests.unit.files.conftest import stored_files

JAVASCRIPT_ACTION = b"<< /S /JavaScript /JS (app.launchURL('https://evil.example')) >>"
HIDDEN_IN_OBJECT_STREAM = samples.pdf_stream(
    b"/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode",
    zlib.compress(b"5 0 " + JAVASCRIPT_ACTION),
)
BAD_CRC_PNG = samples.png()[:29] + b"\x00\x00\x00\x00" + samples.png()[33:]
ZIP_END_RECORD = b"PK\x05\x06" + b"\x00" * 18

HOSTILE = [
    ("exe renamed pdf", samples.windows_executable(), "the content is a Windows executable"),
    ("linux executable", b"\x7fELF\x02\x01\x01" + b"\x00" * 60, "a Linux executable"),
    ("svg", samples.SVG, "an SVG image (it can carry scripts)"),
    ("svg after a bom", b"\xef\xbb\xbf\n\n" + samples.SVG, "an SVG image"),
    ("html", samples.HTML, "an HTML or XML document"),
    ("gif", samples.GIF, "a GIF image"),
    ("zip", samples.zip_archive(), "a ZIP archive or Office document"),
    ("text", b"Avis d'imposition 2022\n", "the content is not a PDF, JPEG or PNG"),
    ("pdf header after blanks", b"\n  " + samples.pdf(), "PDF header is not at the start"),
    ("empty", b"", "empty file"),
    ("png bomb", samples.png(10_000, 10_000), "10000×10000 pixels, over the 50-megapixel"),
    ("jpeg bomb", samples.jpeg(60_000, 60_000), "60000×60000 pixels"),
    ("jpeg with a zip", samples.jpeg(tail=samples.zip_archive()), "JPEG also contains a ZIP"),
    ("jpeg, zip, eoi", samples.jpeg(tail=ZIP_END_RECORD + b"\xff\xd9"), "also contains a ZIP"),
    ("jpeg with data after eoi", samples.jpeg(tail=b"ftypmp42" * 8), "64 bytes of extra data"),
    ("jpeg, then a bomb", samples.jpeg(tail=samples.jpeg(9000, 9000)), "9000×9000 pixels"),
    ("jpeg, then a video", samples.jpeg(tail=samples.jpeg() + b"ftypmp42"), "8 bytes of extra"),
    ("truncated jpeg", samples.jpeg()[:-3], "the JPEG is damaged or truncated"),
    ("png after iend", samples.png(tail=b"hidden payload"), "PNG has 14 bytes of extra"),
    ("png with php", samples.png(tail=b"<?php system($_GET[1]);"), "PNG also contains HTML"),
    ("png with a bad crc", BAD_CRC_PNG, "the PNG is damaged or truncated"),
    ("truncated png", samples.png()[:-12], "the PNG is damaged or truncated"),
    ("png without ihdr", samples.png()[:8] + samples.png()[33:], "PNG is damaged"),
    ("pdf javascript", samples.pdf(JAVASCRIPT_ACTION), "active content (/JavaScript)"),
    ("pdf escaped name", samples.pdf(b"<< /S /J#61vaScript >>"), "(/JavaScript)"),
    ("pdf object stream", samples.pdf(HIDDEN_IN_OBJECT_STREAM), "(/JavaScript)"),
    ("pdf launch", samples.pdf(b"<< /S /Launch /F (cmd.exe) >>"), "(/Launch)"),
    ("pdf attachment", samples.pdf(catalog=b" /Names << /EmbeddedFiles 4 0 R >>"), "Embedded"),
    ("pdf with exe", samples.pdf(samples.windows_executable()), "PDF also contains a Windows"),
    ("pdf with script", samples.pdf(b"(<script>alert(1)</script>)"), "HTML or script code"),
    ("truncated pdf", samples.pdf()[:-6], "truncated or damaged (no %%EOF end marker)"),
    ("pdf after eof", samples.pdf(tail=b"MZ junk"), "PDF has 8 bytes of extra data"),
]


@pytest.mark.parametrize(("content", "reason"), [pytest.param(c, r, id=i) for i, c, r in HOSTILE])
def test_a_hostile_file_is_refused_and_nothing_is_written(
    tmp_path: Path, store_dir: Path, content: bytes, reason: str
) -> None:
    source = tmp_path / "upload"
    source.write_bytes(content)

    with pytest.raises(FileRefused, match=r"^passport\.pdf: refused: ") as refused:
        intake(source, original_name="passport.pdf", store_dir=store_dir)

    assert reason in refused.value.reason
    assert not store_dir.exists()


def test_an_executable_renamed_pdf_is_refused_in_plain_words(store_dir: Path) -> None:
    with pytest.raises(FileRefused) as refused:
        intake(samples.windows_executable(), original_name="passport.pdf", store_dir=store_dir)

    assert str(refused.value) == (
        "passport.pdf: refused: the content is a Windows executable, not a PDF, JPEG or PNG"
    )
    assert isinstance(refused.value, BadInput)
    assert refused.value.exit_code == 2


def test_a_refused_content_names_the_file_by_its_display_name(store_dir: Path) -> None:
    exe = samples.windows_executable()

    with pytest.raises(FileRefused, match=r"^passport\.pdf: refused: the content is a Windows"):
        intake(exe, original_name="C:\\Users\\Léa\\passport.pdf", store_dir=store_dir)


NAMES = {
    "rtl-override": ("photo\u202egnp.exe", "photo\\u202egnp.exe: refused: its name holds a "
                     "bidirectional control character (U+202E) at character 6, which can "
                     "disguise the file's type; rename the file, then add it again"),
    "escape": ("\x1b[2J.pdf", "\\u001b[2J.pdf: refused: its name holds a control character "
               "(U+001B) at character 1; rename the file, then add it again"),
    "traversal": ("../../etc/passwd", "../../etc/passwd: refused: its name has a '..' path "
                  "component, leading out of its folder; rename the file, then add it again"),
    "device": ("CON.pdf", "CON.pdf: refused: its name is CON, a Windows reserved device name; "
               "rename the file, then add it again"),
}  # fmt: skip


@pytest.mark.parametrize(("name", "message"), NAMES.values(), ids=NAMES.keys())
def test_a_hostile_name_is_refused_though_the_file_is_valid(
    tmp_path: Path, store_dir: Path, name: str, message: str
) -> None:
    source = tmp_path / "upload.pdf"
    source.write_bytes(samples.pdf())  # a valid file: the name alone is refused

    with pytest.raises(FileRefused) as refused:
        intake(source, original_name=name, store_dir=store_dir)

    assert str(refused.value) == message
    assert refused.value.exit_code == 2
    assert not store_dir.exists()


def test_an_oversize_file_is_refused_with_the_limit_in_mb(tmp_path: Path, store_dir: Path) -> None:
    source = tmp_path / "scan.pdf"
    source.write_bytes(samples.pdf())

    with pytest.raises(FileRefused, match=r"larger than the 0\.00 MB \(100 bytes\) limit"):
        intake(source, original_name="scan.pdf", store_dir=store_dir, max_bytes=100)
    with pytest.raises(FileRefused, match=r"scan\.pdf: refused: the file is larger than the 10 MB"):
        intake(b"%PDF-1.7\n" + bytes(10 * MIB), original_name="scan.pdf", store_dir=store_dir)
    assert not store_dir.exists()


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux /proc")
def test_a_file_that_hides_its_size_is_read_no_further_than_the_limit(store_dir: Path) -> None:
    # /proc files report a size of 0: only the capped read can notice they are too big.
    assert Path("/proc/self/maps").stat().st_size == 0

    with pytest.raises(FileRefused, match=r"larger than the 0\.00 MB \(10 bytes\) limit"):
        intake(Path("/proc/self/maps"), original_name="maps", store_dir=store_dir, max_bytes=10)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX special files")
def test_a_fifo_or_a_folder_is_refused_without_waiting(tmp_path: Path, store_dir: Path) -> None:
    fifo = tmp_path / "upload.pdf"
    os.mkfifo(fifo)

    for source in (fifo, tmp_path):
        with pytest.raises(FileRefused, match="not a regular file"):
            intake(source, original_name="upload.pdf", store_dir=store_dir)


def test_a_missing_file_is_refused(tmp_path: Path, store_dir: Path) -> None:
    with pytest.raises(FileRefused, match=r"cannot be read \(No such file or directory\)"):
        intake(tmp_path / "absent.pdf", original_name="absent.pdf", store_dir=store_dir)


def test_a_pdf_that_inflates_past_the_budget_is_refused(
    monkeypatch: pytest.MonkeyPatch, store_dir: Path
) -> None:
    monkeypatch.setattr(filetypes, "PDF_INFLATE_BUDGET", 1024 * 1024)
    bomb = samples.pdf_stream(b"/Filter /FlateDecode", zlib.compress(bytes(2 * 1024 * 1024)))

    with pytest.raises(FileRefused, match="the PDF takes more than 1 MB to decompress"):
        intake(samples.pdf(bomb), original_name="bomb.pdf", store_dir=store_dir)


def test_a_non_positive_limit_is_a_programming_error(store_dir: Path) -> None:
    with pytest.raises(ValueError, match="max_bytes must be positive"):
        intake(samples.pdf(), original_name="scan.pdf", store_dir=store_dir, max_bytes=0)


def test_a_refused_upload_leaves_the_store_as_it_was(store_dir: Path) -> None:
    kept = intake(samples.png(), original_name="photo.png", store_dir=store_dir)

    with pytest.raises(FileRefused):
        intake(samples.zip_archive(), original_name="photo.png", store_dir=store_dir)

    assert stored_files(store_dir) == [kept.path]


def test_a_failed_write_leaves_no_temporary_file(
    monkeypatch: pytest.MonkeyPatch, store_dir: Path
) -> None:
    def disk_full(source: str, target: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)

    with pytest.raises(OSError, match="No space left"):
        intake(samples.pdf(), original_name="avis.pdf", store_dir=store_dir)
    assert stored_files(store_dir) == []
