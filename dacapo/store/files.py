r"""Safe intake of uploaded evidence (« pièces justificatives »).

``intake`` reads an upload with a size cap, has ``filetypes.identify`` check
its content, and stores it under ``DACAPO_DATA_DIR`` by content hash:
``store_dir/ab/cd/<sha256>.<ext>``, the extension taken from the detected
type, written atomically (temporary file in the same folder, fsync,
``os.replace``) with mode 0o640. Identical content is stored once.

The name the family gave the file is metadata only: it never becomes part of a
path. Still, a name made to deceive is refused before anything is read or
written (``name_problem``): one holding a bidirectional control (U+202E turns
``photo\u202egnp.exe`` into what reads as ``photoexe.png``) or any other
control character (ESC, NUL, tab, line feed...), a ``..`` path component
(``../../etc/passwd``), or a Windows reserved device name as the base name
(``CON.pdf``, ``nul.txt``, ``Com1``). The refusal shows the name with such
characters escaped (``shown_name``: ``photo\u202egnp.exe``). Any other name
becomes display text (``sanitise_name``): the last path component, as a legacy
browser sends a full path (``C:\Users\Léa\avis.pdf`` gives ``avis.pdf``),
NFC, no invisible format characters, at most 150 characters, ``document``
when nothing is left.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from dacapo.engine.errors import FileRefused
from dacapo.engine.texts import text_problem
from dacapo.store.filetypes import ContentRefused, identify

MIB = 1024 * 1024
DEFAULT_MAX_BYTES = 10 * MIB
NAME_LIMIT = 150
FILE_MODE = 0o640
DIR_MODE = 0o750
_CHUNK = 64 * 1024
# Control, format (bidi overrides and isolates, zero-width), surrogate, private use;
# whitespace controls (tab, newline) become spaces instead.
_DROPPED = frozenset({"Cc", "Cf", "Cs", "Co"})
# Escaped when a refused name is quoted: the above, and the line and paragraph separators.
_ESCAPED = _DROPPED | {"Zl", "Zp"}
SHOWN_LIMIT = 200  # characters of a refused name quoted in the message
# What Windows opens as a device whatever the extension (Python 3.13's ntpath.isreserved).
_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{port}{n}" for port in ("COM", "LPT") for n in "123456789\u00b9\u00b2\u00b3"}
)
_RENAME = "rename the file, then add it again"


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A document kept in the store; ``original_name`` is sanitised display text."""

    sha256: str
    size: int
    media_type: str
    extension: str
    path: Path
    original_name: str
    already_present: bool


def intake(
    source: Path | bytes,
    *,
    original_name: str,
    store_dir: Path,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> StoredFile:
    """Check an upload by its name and content and store it by hash, or raise FileRefused.

    Nothing is written when the file is refused.
    """
    if max_bytes < 1:
        raise ValueError("max_bytes must be positive")
    problem = name_problem(original_name)
    if problem is not None:
        raise FileRefused(shown_name(original_name), problem)
    name = sanitise_name(original_name)
    try:
        data = _read(source, max_bytes)
        media_type, extension = identify(data)
    except ContentRefused as refusal:
        raise FileRefused(name, str(refusal)) from None
    digest = hashlib.sha256(data).hexdigest()
    path, present = _store(data, digest, extension, store_dir)
    return StoredFile(digest, len(data), media_type, extension, path, name, present)


def name_problem(original: str) -> str | None:
    """Why the given file name is refused (English, saying what to do), or None."""
    # No length limit here: a long name is accepted, and cut for display.
    problem = text_problem(original, limit=max(len(original), 1))
    if problem is not None:
        if problem.startswith("holds a bidirectional"):
            return f"its name {problem}, which can disguise the file's type; {_RENAME}"
        return f"its name {problem}; {_RENAME}"
    parts = re.split(r"[/\\]", original)
    if ".." in parts:
        return f"its name has a '..' path component, leading out of its folder; {_RENAME}"
    device = parts[-1].partition(".")[0].rstrip(" ").upper()
    if device in _DEVICES:
        return f"its name is {device}, a Windows reserved device name; {_RENAME}"
    return None


def shown_name(original: str) -> str:
    """The given name quoted safely: controls, bidi and other invisible characters escaped
    (U+202E as ``\\u202e``), cut to SHOWN_LIMIT characters."""
    shown = "".join(_escape(c) if unicodedata.category(c) in _ESCAPED else c for c in original)
    return shown if len(shown) <= SHOWN_LIMIT else f"{shown[: SHOWN_LIMIT - 1]}…"


def _escape(character: str) -> str:
    code = ord(character)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def sanitise_name(original: str) -> str:
    """An accepted file name as display text: last path component, NFC, no invisible
    characters, at most NAME_LIMIT characters."""
    kept = (c for c in original if c.isspace() or unicodedata.category(c) not in _DROPPED)
    text = unicodedata.normalize("NFC", "".join(kept))
    text = " ".join(re.split(r"[/\\]", text)[-1].split())
    if not text.strip("."):
        return "document"
    if len(text) <= NAME_LIMIT:
        return text
    stem, _, suffix = text.rpartition(".")
    if stem and len(suffix) <= 10:
        return f"{stem[: NAME_LIMIT - len(suffix) - 1].rstrip()}.{suffix}"
    return text[:NAME_LIMIT]


def _megabytes(size: int) -> str:
    if size % MIB == 0:
        return f"{size // MIB} MB"
    return f"{size / MIB:.2f} MB ({size} bytes)"


def _read(source: Path | bytes, max_bytes: int) -> bytes:
    too_large = ContentRefused(f"the file is larger than the {_megabytes(max_bytes)} limit")
    if isinstance(source, bytes):
        data = source
    else:
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        try:
            descriptor = os.open(source, flags)  # O_NONBLOCK: a FIFO must not hang us
        except OSError as error:
            raise ContentRefused(f"the file cannot be read ({error.strerror})") from None
        try:
            status = os.fstat(descriptor)
            if not stat.S_ISREG(status.st_mode):
                raise ContentRefused("not a regular file")
            if status.st_size > max_bytes:
                raise too_large
            buffer = bytearray()
            with open(descriptor, "rb", closefd=False) as stream:
                while chunk := stream.read(min(_CHUNK, max_bytes + 1 - len(buffer))):
                    buffer += chunk
        finally:
            os.close(descriptor)
        data = bytes(buffer)
    if not data:
        raise ContentRefused("empty file")
    if len(data) > max_bytes:
        raise too_large
    return data


def _store(data: bytes, digest: str, extension: str, store_dir: Path) -> tuple[Path, bool]:
    folder = store_dir / digest[:2] / digest[2:4]
    path = folder / f"{digest}.{extension}"
    with contextlib.suppress(FileNotFoundError):
        status = os.lstat(path)  # a symlink or a damaged copy is replaced below
        same_size = stat.S_ISREG(status.st_mode) and status.st_size == len(data)
        if same_size and path.read_bytes() == data:
            return path, True
    store_dir.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    for level in (folder.parent, folder):
        level.mkdir(mode=DIR_MODE, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=".incoming-", suffix=".part", dir=folder)
    try:
        with open(descriptor, "wb") as out:
            os.chmod(temporary, FILE_MODE)
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_folder(folder)
    return path, False


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable (POSIX; Windows cannot open a folder)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
