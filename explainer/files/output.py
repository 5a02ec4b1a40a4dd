"""Writing results so that a file is either complete or absent, never half-written.

Everything goes to a temporary file beside the target (same folder, so the final rename
stays on one file system and is atomic), is flushed to disk, then renamed over the target.
An interrupted write leaves the previous good file in place; two writers of the same
target each write their own temporary file, and the last complete one wins.

The target is respected:

* only a regular file or a new name is ever replaced; a folder, a device, a FIFO or a
  socket is refused with one line before any work is done;
* a symbolic link is written *through*, as the shell's ``>`` does: the file it points to
  is replaced and the link stays a link;
* an existing file keeps its permission bits (and, where allowed, its owner); a new file
  gets the usual ``0666`` minus the umask;
* a file with several names (hard links) is replaced under this name only, and a warning
  says that its other names keep the old content.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import warnings
from collections.abc import Iterator
from pathlib import Path

from explainer.errors import ExplainerWarning, OutputError
from explainer.files.safe_io import kind_of, printable, reason


def resolve_target(target: Path) -> tuple[Path, os.stat_result | None]:
    """Where ``target`` really is (symbolic links followed) and its status, or None if new.

    Raises
    ------
    OutputError
        When the target, or what it links to, is a folder or a special file, or its
        folder cannot be reached.
    """
    target = Path(target)
    shown = printable(str(target))
    try:
        real = Path(os.path.realpath(target))
        info = os.stat(real)
    except FileNotFoundError:
        info = None
    except (OSError, ValueError) as err:
        why = reason(err) if isinstance(err, OSError) else "not a valid file name"
        raise OutputError(f"cannot write {shown}: {why}") from None
    if info is not None and not stat.S_ISREG(info.st_mode):
        what = kind_of(info.st_mode)
        hint = "give a file name inside it" if stat.S_ISDIR(info.st_mode) else "give a file name"
        raise OutputError(
            f"cannot write {shown}: it is a {what}, and only regular files are replaced; {hint}"
        )
    return real, info


def check_target(target: Path) -> None:
    """Refuse a target that could not be written, before the work that fills it starts."""
    real, info = resolve_target(target)
    if info is None:
        folder = real.parent
        with contextlib.suppress(FileNotFoundError):  # created when writing
            folder_info = os.stat(folder)
            if not stat.S_ISDIR(folder_info.st_mode):
                raise OutputError(
                    f"cannot write {printable(str(target))}: {printable(str(folder))} "
                    f"is a {kind_of(folder_info.st_mode)}, not a folder"
                )


def _open_temporary(folder: Path, name: str, mode: int) -> tuple[int, Path]:
    # A short stem keeps the temporary name within the 255 bytes a file name may have.
    stem = name.encode("utf-8", "surrogateescape")[:64].decode("utf-8", "ignore")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        tmp = folder / f".{stem}.{secrets.token_hex(4)}.part"
        try:
            return os.open(tmp, flags, mode), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {folder}")


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it onto ``target`` only on success.

    The temporary file already exists (empty, with the target's permissions) when the
    caller fills it. Symbolic links are followed (see the module's notes).
    """
    target = Path(target)
    shown = printable(str(target))
    real, info = resolve_target(target)
    try:
        real.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"cannot create {printable(str(real.parent))}: {reason(err)}") from None
    new_mode = 0o666 if info is None else stat.S_IMODE(info.st_mode)
    try:
        fd, tmp = _open_temporary(real.parent, real.name, new_mode)
    except OSError as err:
        raise OutputError(f"cannot write {shown}: {reason(err)}") from None
    try:
        try:
            if info is not None:
                with contextlib.suppress(OSError):  # only root may give files away
                    os.fchown(fd, info.st_uid, info.st_gid)
                os.fchmod(fd, new_mode)  # exactly the old bits, whatever the umask
        finally:
            os.close(fd)
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        resolve_target(target)  # raises if it became a folder or a device meanwhile
        os.replace(tmp, real)
        _sync_folder(real.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if info is not None and info.st_nlink > 1:
        warnings.warn(
            f"{shown} had {info.st_nlink} names (hard links); it was replaced under this "
            "name only, and its other names keep the previous content",
            ExplainerWarning,
            stacklevel=3,
        )


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (best effort: not every system allows it)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` completely or not at all.

    Raises
    ------
    OutputError
        When the target is not a regular file (or a new name), or writing fails (a full
        disk, no permission); the previous content, if any, is then untouched.
    """
    try:
        with atomic_path(target) as tmp:
            with open(tmp, "wb") as fh:
                fh.write(data)
    except OSError as err:
        raise OutputError(f"cannot write {printable(str(target))}: {reason(err)}") from None
