"""Running the command in-process and judging what it says, for the CLI's tests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from explainer.cli import main

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """Exit status, standard output and standard error of ``explainer ARGV``."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code: int, err: str, needle: str) -> None:
    """Exit status 2 and exactly one line, ours, that says ``needle``."""
    assert code == 2, err
    assert err.startswith("explainer: error: ") and err.count("\n") == 1, err
    assert needle in err, err


def assert_compiles(tex: Path) -> None:
    """pdflatex makes a real PDF of ``tex`` (beside it), or the test fails with its log."""
    proc = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
        cwd=tex.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert tex.with_suffix(".pdf").stat().st_size > 1000


def processes_in_group(group: int) -> list[str]:
    """Processes (zombies included) whose process group is ``group``, from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # ended while we looked
        fields = text[text.rindex(")") + 2 :].split()  # after "pid (name) "
        if int(fields[2]) == group:  # state, ppid, pgrp
            found.append(text[: text.rindex(")") + 1] + " " + fields[0])
    return found
