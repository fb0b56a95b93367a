"""Real PDF, JPEG and PNG files are kept once, under their hash."""

from __future__ import annotations

import hashlib
import os
import stat
import sys
import zlib
from pathlib import Path

import pytest

from dacapo.store.files import intake
from tests.unit.files import samples
from tests.unit.files.conftest import stored_files

VALID = [
    pytest.param(samples.pdf(), "application/pdf", "pdf", id="pdf"),
    pytest.param(samples.jpeg(), "image/jpeg", "jpg", id="jpeg"),
    pytest.param(samples.png(), "image/png", "png", id="png"),
]


@pytest.mark.parametrize(("content", "media_type", "extension"), VALID)
def test_a_valid_file_is_stored_under_its_hash_with_the_detected_extension(
    tmp_path: Path, store_dir: Path, content: bytes, media_type: str, extension: str
) -> None:
    source = tmp_path / "upload.bin"
    source.write_bytes(content)

    stored = intake(source, original_name="scan.bin", store_dir=store_dir)

    digest = hashlib.sha256(content).hexdigest()
    assert stored.sha256 == digest
    assert stored.size == len(content)
    assert stored.media_type == media_type
    assert stored.extension == extension
    assert stored.path == store_dir / digest[:2] / digest[2:4] / f"{digest}.{extension}"
    assert stored.path.read_bytes() == content
    assert stored.original_name == "scan.bin"
    assert not stored.already_present
    assert stored_files(store_dir) == [stored.path]


def test_bytes_are_accepted_as_well_as_a_path(store_dir: Path) -> None:
    stored = intake(samples.png(), original_name="photo.png", store_dir=store_dir)

    assert stored.path.read_bytes() == samples.png()


def test_the_extension_comes_from_the_content_not_from_the_name(store_dir: Path) -> None:
    stored = intake(samples.png(), original_name="photo.jpg", store_dir=store_dir)

    assert stored.path.suffix == ".png"
    assert stored.original_name == "photo.jpg"


def test_the_same_bytes_uploaded_twice_are_stored_once(store_dir: Path) -> None:
    first = intake(samples.jpeg(), original_name="photo.jpg", store_dir=store_dir)
    written = first.path.stat()

    second = intake(samples.jpeg(), original_name="autre nom.jpg", store_dir=store_dir)

    assert second.already_present
    assert second.path == first.path
    assert second.original_name == "autre nom.jpg"
    assert (second.path.stat().st_ino, second.path.stat().st_mtime_ns) == (
        written.st_ino,
        written.st_mtime_ns,
    )
    assert stored_files(store_dir) == [first.path]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_a_stored_file_is_readable_by_owner_and_group_only(store_dir: Path) -> None:
    stored = intake(samples.pdf(), original_name="avis.pdf", store_dir=store_dir)

    assert stat.S_IMODE(os.stat(stored.path).st_mode) == 0o640


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("C:\\Users\\Léa\\Documents\\avis 2022.pdf", "avis 2022.pdf"),
        ("/home/x/photo.jpg", "photo.jpg"),
    ],
)
def test_a_full_path_as_a_legacy_browser_sends_is_kept_by_its_last_component(
    tmp_path: Path, store_dir: Path, name: str, shown: str
) -> None:
    stored = intake(samples.pdf(), original_name=name, store_dir=store_dir)

    assert stored.original_name == shown
    digest = stored.sha256
    assert stored.path == store_dir / digest[:2] / digest[2:4] / f"{digest}.pdf"
    assert stored_files(tmp_path) == [stored.path]


def test_a_pdf_whose_page_content_is_compressed_is_accepted(store_dir: Path) -> None:
    page = zlib.compress(b"BT /F1 12 Tf 72 720 Td (Avis d'imposition 2022) Tj ET")
    content = samples.pdf(samples.pdf_stream(b"/Filter /FlateDecode", page))

    assert intake(content, original_name="avis.pdf", store_dir=store_dir).extension == "pdf"


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(samples.pdf(tail=b"\r\n\x00\x00"), id="pdf"),
        pytest.param(samples.jpeg(tail=b"\x00" * 512), id="jpeg"),
        pytest.param(samples.png(tail=b"\n"), id="png"),
    ],
)
def test_padding_after_the_end_marker_is_tolerated(store_dir: Path, content: bytes) -> None:
    assert not intake(content, original_name="scan", store_dir=store_dir).already_present


def test_a_file_exactly_at_the_size_limit_is_accepted(tmp_path: Path, store_dir: Path) -> None:
    content = samples.png()
    source = tmp_path / "photo.png"
    source.write_bytes(content)

    stored = intake(source, original_name="photo.png", store_dir=store_dir, max_bytes=len(content))

    assert stored.size == len(content)


def test_a_phone_photo_with_an_image_appended_whole_is_accepted(store_dir: Path) -> None:
    # Multi-Picture Format: HDR gain maps and depth maps follow the main image's EOI.
    content = samples.jpeg(tail=samples.jpeg())

    assert intake(content, original_name="IMG_0042.jpg", store_dir=store_dir).size == len(content)
