"""Tiny real documents and hostile look-alikes, built byte by byte."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib


def png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body)
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def png(width: int = 1, height: int = 1, *, tail: bytes = b"") -> bytes:
    """An 8-bit greyscale PNG; its one IDAT holds a single black row."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\x00" * width)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", pixels)
        + png_chunk(b"IEND", b"")
        + tail
    )


def _segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def jpeg(width: int = 1, height: int = 1, *, tail: bytes = b"") -> bytes:
    """A baseline greyscale JPEG of one mid-grey block (djpeg decodes it when 1×1)."""
    jfif = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    quantisation = b"\x00" + b"\x01" * 64
    frame = b"\x08" + struct.pack(">HH", height, width) + b"\x01\x01\x11\x00"
    one_code = b"\x01" + b"\x00" * 15 + b"\x00"  # a single 1-bit code for symbol 0
    scan = b"\x01\x01\x00\x00\x3f\x00"
    return (
        b"\xff\xd8"
        + _segment(0xE0, jfif)
        + _segment(0xDB, quantisation)
        + _segment(0xC0, frame)
        + _segment(0xC4, b"\x00" + one_code)  # DC table 0: difference category 0
        + _segment(0xC4, b"\x10" + one_code)  # AC table 0: end of block
        + _segment(0xDA, scan)
        + b"\x3f"  # bits 0 (DC) and 0 (EOB), padded with ones
        + b"\xff\xd9"
        + tail
    )


def pdf(*objects: bytes, catalog: bytes = b"", tail: bytes = b"") -> bytes:
    """A one-page PDF with a correct xref table; ``objects`` are numbered from 4."""
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R" + catalog + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        *objects,
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n" % (len(bodies) + 1, xref)
    return bytes(out) + b"%%EOF\n" + tail


def pdf_stream(dictionary: bytes, content: bytes) -> bytes:
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (dictionary, len(content), content)


def windows_executable() -> bytes:
    """A DOS stub whose e_lfanew points at a PE header."""
    stub = bytearray(0x80)
    stub[0:2] = b"MZ"
    stub[0x3C:0x40] = struct.pack("<I", 0x80)
    stub[0x40:0x67] = b"This program cannot be run in DOS mode."
    return bytes(stub) + b"PE\x00\x00" + b"\x4c\x01" + b"\x00" * 200


def zip_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
    b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg">'
    b"<script>alert(document.cookie)</script></svg>"
)
HTML = b"<!DOCTYPE html>\n<html><body><script>alert(1)</script></body></html>\n"
