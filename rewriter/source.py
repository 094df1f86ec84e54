"""Read and write files without changing anything we did not mean to change.

Text is decoded without newline translation, so CRLF, a missing final newline and
tabs survive; a UTF-8 BOM is remembered and written back.  Writes go to a temporary
file in the same folder and are moved into place with ``os.replace``, keeping the
file's mode (and owner, where permitted), so an interrupted run leaves each file either
old or new.  SIGINT, SIGTERM and SIGHUP are held back while a file is being replaced,
so they never leave a temporary ``.dockerfix-*`` file behind; only SIGKILL (or a crash
of the machine) can, and discovery skips such files.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import tempfile
from dataclasses import dataclass
from typing import Iterator

BOM = "\ufeff"
# Far above any hand-written Dockerfile, compose, CI or settings file; a bigger file is generated
# or is not what its name says, and reading it whole would cost memory for nothing.
MAX_BYTES = 10 * 1024 * 1024
_HELD_SIGNALS = {getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)}
_KINDS = (
    (stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
)  # fmt: skip


class SourceError(Exception):
    """A file we must not touch; the message is shown as ``path: error: <message>``."""


@dataclass(frozen=True)
class Source:
    text: str  # decoded text without the BOM, newlines as in the file
    bom: bool
    raw: bytes  # the bytes as read, to notice a file that changed before we write

    def with_bom(self, text: str) -> str:
        """The text as the file holds it (a diff must show the BOM for ``git apply`` to match line 1)."""
        return (BOM if self.bom else "") + text

    def encode(self, text: str) -> bytes:
        return self.with_bom(text).encode("utf-8")


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
    """Read a regular file of at most MAX_BYTES; a FIFO or device is refused without blocking on it."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
        status = os.fstat(fd)
        mode = status.st_mode
        if not stat.S_ISREG(mode):
            os.close(fd)
            what = next((name for test, name in _KINDS if test(mode)), "a special file")
            raise SourceError(f"is {what}, not a regular file; skipped")
        size = status.st_size
        with os.fdopen(fd, "rb") as handle:
            # read(MAX_BYTES + 1) would allocate 10 MiB for every file; ask for what fstat says is there
            raw = handle.read(min(size, MAX_BYTES) + 1)
            if len(raw) > size:  # it grew since (or it is a file like /proc's that says 0)
                raw += handle.read(MAX_BYTES + 1 - len(raw))
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:
        raise SourceError(f"larger than {MAX_BYTES // 2**20} MiB, too big for a hand-written build file; skipped")
    return decode(raw)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT/SIGTERM/SIGHUP back until the block is done: a file is replaced whole or not at all,
    and its temporary file never outlives the run.  A held signal takes effect right after."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no signal masks
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def write_source(path: str, source: Source, new_text: str) -> None:
    """Atomically replace ``path`` with ``new_text``, unless it changed since it was read.

    A file with other hard links is rewritten in place instead (a replacement would be a new file
    that the other names no longer share); signals are held back while it is written.

    "Read-only" is decided by the mode bits as well as by access: root may write anything,
    but a file nobody may write (``chmod a-w``) was made read-only on purpose and is left alone.
    """
    try:
        with open(path, "rb") as handle:
            if handle.read(len(source.raw) + 1) != source.raw:
                raise SourceError("file changed on disk since it was read; not written")
        info = os.stat(path)
        if not info.st_mode & 0o222:
            raise SourceError(f"file is read-only (mode {stat.S_IMODE(info.st_mode):04o}); not written")
        if not os.access(path, os.W_OK):
            raise SourceError("no permission to write the file (owner, immutable flag or read-only file system); not written")
        if info.st_nlink > 1:
            with _signals_held(), open(path, "r+b") as handle:
                handle.write(source.encode(new_text))
                handle.truncate()
                handle.flush()
                os.fsync(handle.fileno())
            return
        folder = os.path.dirname(os.path.abspath(path))
        with _signals_held():
            fd, tmp = tempfile.mkstemp(prefix=".dockerfix-", dir=folder)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(source.encode(new_text))
                    handle.flush()
                    os.fsync(handle.fileno())
                try:
                    os.chown(tmp, info.st_uid, info.st_gid)  # before chmod: chown clears setuid and setgid
                except OSError:
                    pass  # not permitted: keep our own ownership
                os.chmod(tmp, stat.S_IMODE(info.st_mode))
                os.replace(tmp, path)
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise
    except OSError as exc:
        raise SourceError(f"cannot write: {exc.strerror or exc}") from None
