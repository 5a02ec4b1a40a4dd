"""Writing results so that a file is either complete or absent, never half-written.

Everything goes to a temporary file in the destination's own folder (so the final rename
stays on one file system and is atomic), is flushed to disk, then renamed over the target.
An interrupted write leaves the previous good file in place; two writers of the same
target each write their own temporary file, and the last complete one wins.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import InputFileError


@contextlib.contextmanager
def atomic_path(target: Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; move it onto ``target`` only on success."""
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputFileError(f"cannot create {target.parent}: {err.strerror or err}") from None
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=suffix or ".part", dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_atomic(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` completely or not at all."""
    try:
        with atomic_path(target) as tmp:
            tmp.write_bytes(data)
    except OSError as err:
        raise InputFileError(f"cannot write {target}: {err.strerror or err}") from None
