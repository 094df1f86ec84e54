"""Read and write files without changing anything we did not mean to change.

Text is decoded without newline translation, so CRLF, a missing final newline and
tabs survive; a UTF-8 BOM is remembered and written back.  Writes go to a temporary
file in the same folder and are moved into place with ``os.replace``, keeping the
file's mode, so an interrupted run leaves each file either old or new.
"""

from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass

BOM = "\ufeff"


class SourceError(Exception):
    """A file we must not touch; the message is shown as ``path: error: <message>``."""


@dataclass(frozen=True)
class Source:
    text: str  # decoded text without the BOM, newlines as in the file
    bom: bool
    raw: bytes  # the bytes as read, to notice a file that changed before we write

    def encode(self, text: str) -> bytes:
        return ((BOM if self.bom else "") + text).encode("utf-8")


def decode(raw: bytes) -> Source:
    """Decode UTF-8 (optionally with BOM); refuse binary and other encodings clearly."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceError("UTF-16 text is not supported; convert the file to UTF-8")
    if b"\x00" in raw:
        raise SourceError("binary file (contains NUL bytes)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); file left untouched"
        ) from None
    bom = text.startswith(BOM)
    return Source(text=text[1:] if bom else text, bom=bom, raw=raw)


def read_source(path: str) -> Source:
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise SourceError(exc.strerror or str(exc)) from None
    return decode(raw)


def write_source(path: str, source: Source, new_text: str) -> None:
    """Atomically replace ``path`` with ``new_text``, unless it changed since it was read."""
    try:
        with open(path, "rb") as handle:
            if handle.read() != source.raw:
                raise SourceError("file changed on disk since it was read; not written")
        info = os.stat(path)
        if not os.access(path, os.W_OK):
            raise SourceError("file is read-only; not written")
        folder = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=".dockerfix-", dir=folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(source.encode(new_text))
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, stat.S_IMODE(info.st_mode))
            try:
                os.chown(tmp, info.st_uid, info.st_gid)
            except OSError:
                pass  # not permitted: keep our own ownership
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise SourceError(f"cannot write: {exc.strerror or exc}") from None
