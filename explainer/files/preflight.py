"""Checks made before the work, so that a failure is blamed on its real cause at once.

A render takes minutes; an output folder that cannot be created, a standard output that
is closed or full, or an output that is one of the command's own inputs must be refused
before it starts, each with its own one line (the cache folder is checked by
:func:`explainer.files.cache.check_cache_folder`).
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
import tempfile
from pathlib import Path

from explainer.errors import OutputError
from explainer.files.safe_io import kind_of, printable, reason

_DEV_FULL = (1, 7)  # Linux's /dev/full: every write fails with "No space left on device"


def check_creatable_folder(folder: Path, option: str) -> None:
    """``folder`` exists as a folder we may write, or can be created: its nearest existing
    ancestor is a folder we may write.

    Raises
    ------
    OutputError
        Naming the option, the folder and the reason.
    """
    shown = printable(str(folder))
    probe = Path(os.path.abspath(folder))
    while True:
        try:
            info = os.stat(probe)
            break
        except FileNotFoundError:
            if probe.parent == probe:
                raise OutputError(f"cannot create {option} {shown}: no such folder") from None
            probe = probe.parent
        except (OSError, ValueError) as err:
            why = reason(err) if isinstance(err, OSError) else "not a valid name"
            raise OutputError(f"cannot use {option} {shown}: {why}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise OutputError(
            f"cannot create {option} {shown}: {printable(str(probe))} is a "
            f"{kind_of(info.st_mode)}, not a folder"
        )
    # Permission bits say nothing to root, nor of /proc or a read-only mount: try it.
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".explainer-check-", dir=probe))
    except OSError as err:
        verb = "write into" if probe == Path(os.path.abspath(folder)) else "create"
        raise OutputError(f"cannot {verb} {option} {shown}: {reason(err)}") from None


def check_stdout() -> None:
    """Standard output is open, and not a device that refuses every write.

    Raises
    ------
    OutputError
        When it is closed or is ``/dev/full``.
    """
    if sys.stdout is None:
        raise OutputError("standard output is closed; the video's path is printed there")
    try:
        info = os.fstat(sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):
        return  # not a real file (a test's capture): nothing to check
    if stat.S_ISCHR(info.st_mode) and (os.major(info.st_rdev), os.minor(info.st_rdev)) == _DEV_FULL:
        raise OutputError("cannot write to standard output: No space left on device")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return os.path.abspath(a) == os.path.abspath(b)


def check_distinct_outputs(target: Path, companion: Path | None, args: argparse.Namespace) -> None:
    """``-o`` may name neither one of the command's inputs nor its other output.

    ``handout -o same.tex`` would write the PDF over its own LaTeX source; ``-o`` naming
    the image or kernel file would replace the input with the output.

    Raises
    ------
    OutputError
        Naming what ``-o`` would overwrite.
    """
    shown = printable(str(target))
    if companion is not None and _same_file(target, companion):
        raise OutputError(
            f"-o {shown} would be overwritten by its own LaTeX source "
            f"({printable(str(companion))}); give the PDF a name ending in .pdf"
        )
    for name in ("image", "kernel"):
        given = getattr(args, name, None)
        if isinstance(given, str) and given and os.path.exists(given):
            for out in (target, companion):
                if out is not None and _same_file(out, Path(given)):
                    raise OutputError(
                        f"{printable(str(out))} is the --{name} file; writing it would "
                        "replace the input with the output: choose another -o"
                    )
