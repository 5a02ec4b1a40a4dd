"""Reading a stranger's files: regular files only, and never more bytes than a limit.

``st_size`` says nothing about devices and pipes (it is 0 for ``/dev/zero`` and a FIFO),
so the kind of file is checked before it is opened, checked again on the open descriptor
(the name may have been swapped in between), and the byte limit is enforced while reading.
Opening never blocks: a FIFO without a writer would otherwise hang the command for ever.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from explainer.errors import InputFileError, TooLargeError

_CHUNK = 1 << 20


def printable(text: str) -> str:
    r"""``text`` with control and invisible characters escaped, for one-line messages.

    A file name may hold a newline or a terminal escape code; shown raw it would break the
    one-line error or reprogram the terminal.

    >>> printable("a\nb\x1b[31m.csv")
    'a\\nb\\x1b[31m.csv'
    """
    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape", "backslashreplace").decode("ascii")
        for ch in text
    )


def reason(err: OSError) -> str:
    """The system's short explanation of an OSError ("Permission denied")."""
    return err.strerror or (errno.errorcode.get(err.errno or 0) or str(err))


def kind_of(mode: int) -> str:
    """What a file is, in words, from its ``st_mode``."""
    for is_kind, name in _KINDS:
        if is_kind(mode):
            return name
    return "special file"


_KINDS = (
    (stat.S_ISREG, "regular file"),
    (stat.S_ISDIR, "folder"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISFIFO, "named pipe (FIFO)"),
    (stat.S_ISSOCK, "socket"),
)


def file_status(path: Path) -> os.stat_result | None:
    """``os.stat`` of ``path`` (following links), None when nothing is there.

    Any other failure (a name too long, a folder without search permission, a loop of
    links) is an :class:`InputFileError` naming the path and the reason.
    """
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as err:
        raise InputFileError(f"cannot read {printable(str(path))}: {reason(err)}") from None
    except ValueError:  # an embedded NUL byte
        raise InputFileError(f"{printable(str(path))} is not a valid file name") from None


def refuse_unless_regular(path: Path, mode: int) -> None:
    """Raise a clear error unless ``mode`` is a regular file's."""
    if stat.S_ISREG(mode):
        return
    shown = printable(str(path))
    if stat.S_ISDIR(mode):
        raise InputFileError(f"{shown} is a folder; give a file of numbers or a preset name")
    raise InputFileError(
        f"{shown} is a {kind_of(mode)}, not a regular file; only regular files are read"
    )


def read_regular_file(path: Path, limit: int) -> bytes:
    """All bytes of the regular file ``path``, refusing anything else or more than ``limit``.

    Raises
    ------
    InputFileError
        When the path is missing, not a regular file, or cannot be read.
    TooLargeError
        When the file holds more than ``limit`` bytes (counted while reading).
    """
    shown = printable(str(path))
    info = file_status(path)
    if info is None:
        raise InputFileError(f"no such file: {shown}")
    refuse_unless_regular(path, info.st_mode)
    if info.st_size > limit:
        raise TooLargeError(
            f"{shown} is {info.st_size:,} bytes; files over {limit:,} bytes are not read"
        )
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        raise InputFileError(f"cannot read {shown}: {reason(err)}") from None
    try:
        refuse_unless_regular(path, os.fstat(fd).st_mode)  # swapped since the first look?
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as err:
        raise InputFileError(f"cannot read {shown}: {reason(err)}") from None
    finally:
        os.close(fd)
    if total > limit:  # the file grew after it was measured
        raise TooLargeError(
            f"{shown} grew past {limit:,} bytes while it was read; files over "
            f"{limit:,} bytes are not read"
        )
    return b"".join(chunks)
