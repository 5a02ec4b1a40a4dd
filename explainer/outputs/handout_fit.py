"""How the handout is set: how tightly, its LaTeX preamble, and pdflatex, which tells how
many pages each part took (light: no sympy, so that :mod:`explainer.outputs.handout` can
export :data:`PREAMBLE` at import).

The preamble defines what the handout's pieces use: ``\\gridindex`` (a grid's row and
column numbers, small and grey), ``\\pad`` (a padding cell, shaded), ``\\blank`` (a cell
to write in), ``\\answer`` (a box for one number), ``\\fitline`` and ``\\fitbox`` (math
scaled down to the line, and to a height, never up).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from explainer.errors import OutputError

PDFLATEX_TIMEOUT = 300
MAIN_PAGES = re.compile(r"HANDOUT-MAIN-PAGES=(\d+)")
PAGE_ONE = re.compile(r"HANDOUT-PAGE-ONE=(\d+)")


@dataclass(frozen=True)
class Fit:
    """How tightly a handout is set: the larger the level, the smaller the grids and type
    (grids are only ever scaled down to these heights, so a small one keeps its size)."""

    level: int = 0
    image_level: int | None = None
    """The image's own level when page one needs it smaller than the rest (else ``level``)."""

    LEVELS = 5

    @property
    def font(self) -> str:
        return ("11pt", "11pt", "10pt", "10pt", "10pt")[self.level]

    @property
    def margin(self) -> str:
        return ("2cm", "1.8cm", "1.7cm", "1.6cm", "1.5cm")[self.level]

    def height(self, what: str) -> str:
        """The most a grid may take of the page's height."""
        heights = {
            "image": ("10cm", "8.5cm", "7.5cm", "6.5cm", "5.5cm"),
            "result": ("10cm", "8cm", "6.5cm", "5.2cm", "4.2cm"),
            "patch": ("3.2cm", "3cm", "2.8cm", "2.6cm", "2.4cm"),
            "exercise": ("4.5cm", "4.2cm", "4cm", "3.7cm", "3.5cm"),
        }
        level = self.image_level if what == "image" and self.image_level is not None else None
        return heights[what][self.level if level is None else level]


def preamble(fit: Fit) -> str:
    return rf"""\documentclass[{fit.font}]{{article}}
\usepackage[a4paper,margin={fit.margin}]{{geometry}}
\usepackage{{amsmath,amssymb}}
\usepackage{{graphicx}}
\usepackage[table]{{xcolor}}
\usepackage{{array}}
\usepackage{{calc}}
\usepackage{{adjustbox}}
\usepackage{{needspace}}
\allowdisplaybreaks
\makeatletter\g@addto@macro\normalsize{{%
  \setlength\abovedisplayskip{{5pt plus 2pt}}\setlength\belowdisplayskip{{5pt plus 2pt}}}}
\makeatother
\pagestyle{{plain}}
\setlength{{\parindent}}{{0pt}}
\setlength{{\parskip}}{{0.6ex}}
\setlength{{\arraycolsep}}{{4pt}}
\renewcommand{{\arraystretch}}{{1.25}}
\arrayrulecolor{{black!45}}
\newcommand{{\gridindex}}[1]{{{{\scriptstyle\color{{black!60}}#1}}}}
\newcommand{{\pad}}[1]{{\cellcolor{{black!12}}{{\color{{black!70}}#1}}}}
\newcommand{{\blank}}{{\makebox[2.3em]{{\rule[-0.6em]{{0pt}}{{1.9em}}}}}}
\newcommand{{\answer}}{{\fbox{{\makebox[3.2em]{{\rule[-0.5em]{{0pt}}{{1.7em}}}}}}}}
\newcommand{{\fitline}}[1]{{\adjustbox{{max width=\linewidth}}{{#1}}}}
\newcommand{{\fitbox}}[2]{{\adjustbox{{max width=\linewidth,max totalheight=#1}}{{#2}}}}
"""


def compile_pdf(tex: str) -> bytes:
    """Run pdflatex on ``tex`` in a private temporary folder and return the PDF's bytes.

    Raises
    ------
    OutputError
        When pdflatex is missing, fails or takes too long (its first error line is given).
    """
    return compile_parts(tex).pdf


@dataclass(frozen=True)
class Compiled:
    pdf: bytes
    pages: int | None
    """Pages before the answer key and the appendix."""
    first: int | None
    """Pages the first part (the problem, the formula, the size) takes."""


def compile_parts(tex: str) -> Compiled:
    """The PDF's bytes and how many pages its parts take."""
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        raise OutputError(
            "pdflatex is not installed; run scripts/bootstrap.sh (or './run test') to set up "
            "TeX Live"
        )
    with tempfile.TemporaryDirectory(prefix="explainer-handout-") as folder:
        source = Path(folder) / "handout.tex"
        source.write_text(tex, encoding="utf-8")
        command = [
            pdflatex,
            "-interaction=nonstopmode",
            "-halt-on-error",
            "-no-shell-escape",
            "handout.tex",
        ]
        env = dict(os.environ, TEXMFOUTPUT=folder)
        try:
            run = subprocess.run(
                command,
                cwd=folder,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=PDFLATEX_TIMEOUT,
                env=env,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise OutputError(
                f"pdflatex took longer than {PDFLATEX_TIMEOUT} s; choose fewer patches"
            ) from None
        pdf = Path(folder) / "handout.pdf"
        if run.returncode != 0 or not pdf.exists():
            errors = [line for line in run.stdout.splitlines() if line.startswith("!")]
            why = errors[0] if errors else f"exit status {run.returncode}"
            raise OutputError(f"pdflatex could not typeset the handout: {why}")
        pages, first = MAIN_PAGES.search(run.stdout), PAGE_ONE.search(run.stdout)
        return Compiled(
            pdf.read_bytes(),
            int(pages.group(1)) if pages else None,
            int(first.group(1)) if first else None,
        )
