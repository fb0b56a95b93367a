"""What an uploaded document really is, read from its bytes (never from its name).

``identify`` accepts a PDF, a JPEG or a PNG and refuses everything else with
a reason a secretary can read out:

- the type: ``%PDF-n.n`` at offset 0 (no BOM or blank before it), JPEG
  ``FF D8 FF`` or the PNG signature; anything else (executables, ZIP/Office,
  GIF, SVG, HTML, ...) is refused and named;
- the structure: a PDF must end with ``%%EOF``; JPEG segments and PNG chunks
  (IHDR first, every CRC checked) are walked to EOI / IEND, after which only
  NUL or blank padding may follow (no hidden file, no phone "motion photo");
- decompression bombs: an image over 50 megapixels, read from its header;
- polyglots: an embedded PE or ELF executable, a ZIP end record, or
  ``<script``, ``<html``, ``<iframe``, ``<svg``, ``<?php`` anywhere;
- PDF active content: /JavaScript, /Launch, /EmbeddedFile(s), /RichMedia,
  /XFA, /SubmitForm, /ImportData, /GoToE, spelled plainly or with ``#xx``
  escapes, in the raw bytes and in every Flate stream (object streams hide
  dictionaries there) within 256 MB of bytes read and inflated; past that
  the PDF is refused. Streams behind other filters are not decoded: this is
  a heuristic, and Da Capo never opens a stored file itself.
"""

from __future__ import annotations

import itertools
import re
import zlib
from collections.abc import Iterator

MAX_PIXELS = 50_000_000
PDF_INFLATE_BUDGET = 256 * 1024 * 1024
_CHUNK = 64 * 1024
_PADDING = b"\x00\t\n\v\f\r "
_NOT_ACCEPTED = "not a PDF, JPEG or PNG"

_FOREIGN: tuple[tuple[re.Pattern[bytes], str], ...] = tuple(
    (re.compile(magic, re.S), what)
    for magic, what in (
        (rb"MZ", "a Windows executable"),
        (rb"\x7fELF", "a Linux executable"),
        (rb"\xcf\xfa\xed\xfe|\xce\xfa\xed\xfe|\xca\xfe\xba\xbe", "a macOS executable"),
        (rb"#!", "a script"),
        (rb"PK\x03\x04|PK\x05\x06", "a ZIP archive or Office document"),
        (rb"GIF8", "a GIF image"),
        (rb"\xd0\xcf\x11\xe0", "an old Office document"),
        (rb"Rar!|7z\xbc\xaf|\x1f\x8b", "a compressed archive"),
        (rb"II\*\x00|MM\x00\*|RIFF....WEBP|....ftyp", "a TIFF, WebP, HEIC or video file"),
    )
)
_EMBEDDED: tuple[tuple[re.Pattern[bytes], str], ...] = (
    (re.compile(rb"\x7fELF[\x01\x02][\x01\x02]\x01"), "a Linux executable"),
    (re.compile(rb"PK\x05\x06\x00\x00\x00\x00"), "a ZIP archive"),
    (re.compile(rb"<(?:script|html|iframe|svg)[\s>/]|<\?php", re.I), "HTML or script code"),
)


def _escapable(char: str) -> bytes:
    """A pattern for one name character, as itself or as a ``#xx`` escape."""
    escape = "".join(f"[{h.lower()}{h.upper()}]" if h.isalpha() else h for h in f"{ord(char):02x}")
    return f"(?:{char}|#{escape})".encode()


_PDF_HEADER = re.compile(rb"%PDF-\d\.\d")
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_PDF_ACTIVE_NAMES = (
    "JavaScript Launch EmbeddedFiles EmbeddedFile RichMedia XFA SubmitForm ImportData GoToE"
)
_PDF_ACTIVE = re.compile(
    b"/("
    + b"|".join(b"".join(_escapable(c) for c in name) for name in _PDF_ACTIVE_NAMES.split())
    + rb")(?=[\x00\t\n\f\r ()<>\[\]{}/%]|$)"
)
_PDF_STREAM = re.compile(rb"(?<!end)stream(?:\r\n|\n|\r)")
_JPEG_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_JPEG_FRAMES = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class ContentRefused(Exception):
    """Why the content is refused (the caller adds the file's name)."""


def identify(data: bytes) -> tuple[str, str]:
    """``(media_type, extension)`` of an acceptable document, else ContentRefused."""
    if _PDF_HEADER.match(data):
        kind, media_type, extension = "PDF", "application/pdf", "pdf"
    elif data.startswith(b"\xff\xd8\xff"):
        kind, media_type, extension = "JPEG", "image/jpeg", "jpg"
    elif data.startswith(_PNG_SIGNATURE):
        kind, media_type, extension = "PNG", "image/png", "png"
    else:
        raise ContentRefused(_foreign(data))
    for pattern, what in _EMBEDDED:
        if pattern.search(data):
            raise ContentRefused(f"the {kind} also contains {what}")
    if _contains_pe(data):
        raise ContentRefused(f"the {kind} also contains a Windows executable")
    {"PDF": _check_pdf, "JPEG": _check_jpeg, "PNG": _check_png}[kind](data)
    return media_type, extension


def _foreign(data: bytes) -> str:
    for magic, what in _FOREIGN:
        if magic.match(data):
            return f"the content is {what}, {_NOT_ACCEPTED}"
    lead = data[:4096].removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if b"<svg" in lead:
        return f"the content is an SVG image (it can carry scripts), {_NOT_ACCEPTED}"
    if lead.startswith(b"<"):
        return f"the content is an HTML or XML document, {_NOT_ACCEPTED}"
    if b"%PDF-" in data[:1024]:
        return "the PDF header is not at the start of the file (damaged or disguised)"
    return f"the content is {_NOT_ACCEPTED}"


def _contains_pe(data: bytes) -> bool:
    """An ``MZ`` whose header points (e_lfanew) at a ``PE\\0\\0`` signature."""
    if b"PE\0\0" not in data:
        return False
    for match in re.finditer(b"MZ", data):
        start = match.start()
        pointer = int.from_bytes(data[start + 0x3C : start + 0x40], "little")
        if 0x40 <= pointer <= 0x1000 and data[start + pointer : start + pointer + 4] == b"PE\0\0":
            return True
    return False


def _check_tail(kind: str, tail: bytes) -> None:
    if tail.strip(_PADDING):
        hidden = "a hidden file" if kind == "PDF" else "a hidden file or a motion photo"
        raise ContentRefused(
            f"the {kind} has {len(tail)} bytes of extra data after its end ({hidden}); "
            "save it again as a plain file"
        )


def _check_pixels(width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise ContentRefused(
            f"the image is {width}×{height} pixels, over the "
            f"{MAX_PIXELS // 1_000_000}-megapixel limit"
        )


def _check_pdf(data: bytes) -> None:
    end = data.rfind(b"%%EOF")
    if end < 0:
        raise ContentRefused("the PDF is truncated or damaged (no %%EOF end marker)")
    _check_tail("PDF", data[end + 5 :])
    for text in itertools.chain([data], _inflated(data)):
        found = _PDF_ACTIVE.search(text)
        if found:
            name = _PDF_NAME_ESCAPE.sub(_unescape, found[1]).decode()
            raise ContentRefused(
                f"the PDF contains active content (/{name}); print it to a new "
                "PDF or scan the paper copy"
            )


def _unescape(match: re.Match[bytes]) -> bytes:
    return bytes.fromhex(match[1].decode())


def _inflated(data: bytes) -> Iterator[bytes]:
    """Every zlib stream inflated, in chunks that overlap by 64 bytes.

    Bytes read and bytes produced both count against the budget, so neither a
    bomb nor thousands of overlapping ``stream`` keywords make this slow.
    """
    budget, view = PDF_INFLATE_BUDGET, memoryview(data)
    for match in _PDF_STREAM.finditer(data):
        inflater, position, previous = zlib.decompressobj(), match.end() + 1024, b""
        pending = view[match.end() : position]  # most non-zlib streams fail at once
        while pending and not inflater.eof and budget >= 0:
            try:
                output = inflater.decompress(pending, _CHUNK)
            except zlib.error:
                budget -= len(pending)
                break
            left = len(inflater.unconsumed_tail) + len(inflater.unused_data)
            budget -= len(pending) - left + len(output)
            yield previous + output
            previous = output[-64:]
            if inflater.unconsumed_tail:
                pending = memoryview(inflater.unconsumed_tail)
            else:
                pending = view[position : position + _CHUNK]
                position += _CHUNK
        if budget < 0:
            limit = PDF_INFLATE_BUDGET // (1024 * 1024)
            raise ContentRefused(f"the PDF takes more than {limit} MB to decompress and check")


def _check_jpeg(data: bytes) -> None:
    """One JPEG, then any images appended whole (MPF, e.g. a phone's HDR gain map)."""
    position = _walk_jpeg(data, 2)
    while data.startswith(b"\xff\xd8\xff", position):
        position = _walk_jpeg(data, position + 2)
    _check_tail("JPEG", data[position:])


def _walk_jpeg(data: bytes, position: int) -> int:
    """Walk the segments after SOI up to EOI; the position after EOI."""
    damaged = ContentRefused("the JPEG is damaged or truncated")
    frame, scanned = (0, 0), False
    while True:
        if not data.startswith(b"\xff", position):
            raise damaged
        while data.startswith(b"\xff\xff", position):  # fill bytes before a marker
            position += 1
        if position + 1 >= len(data):
            raise damaged
        marker, position = data[position + 1], position + 2
        if marker == 0xD9 and scanned:
            _check_pixels(*frame)
            return position
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            continue
        length = int.from_bytes(data[position : position + 2], "big")
        if marker in (0xD8, 0xD9) or length < 2 or position + length > len(data):
            raise damaged
        if marker in _JPEG_FRAMES:
            if length < 8:
                raise damaged
            height = int.from_bytes(data[position + 3 : position + 5], "big")
            frame = (int.from_bytes(data[position + 5 : position + 7], "big"), height)
        position += length
        if marker == 0xDA:
            # Entropy-coded data runs to the next marker (FF 00 and RSTn belong to it).
            found = _JPEG_MARKER.search(data, position)
            if 0 in frame or found is None:
                raise damaged
            scanned, position = True, found.start()


def _check_png(data: bytes) -> None:
    damaged = ContentRefused("the PNG is damaged or truncated")
    position, chunk_type, has_data = len(_PNG_SIGNATURE), b"", False
    while chunk_type != b"IEND":
        length = int.from_bytes(data[position : position + 4], "big")
        chunk_type = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        end = position + 12 + length
        if end > len(data) or len(chunk_type) != 4 or not chunk_type.isalpha():
            raise damaged
        if zlib.crc32(body, zlib.crc32(chunk_type)) != int.from_bytes(data[end - 4 : end], "big"):
            raise damaged
        if position == len(_PNG_SIGNATURE):
            if chunk_type != b"IHDR" or length != 13:
                raise damaged
            width, height = int.from_bytes(body[:4], "big"), int.from_bytes(body[4:8], "big")
            if width == 0 or height == 0:
                raise damaged
            _check_pixels(width, height)
        has_data = has_data or chunk_type == b"IDAT"
        position = end
    if not has_data:
        raise damaged
    _check_tail("PNG", data[position:])
