"""Rich display in Jupyter: the MIME bundles hold the trace's values; a notebook runs."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import LECTURE_RESULT

import explainer
from explainer import build_trace, derive_pixel, lecture_problem
from explainer.lessons.convolution import build_script

MIME = ["text/html", "text/latex", "text/markdown", "text/plain"]


def test_a_trace_displays_its_result_in_every_form():
    bundle = build_trace(lecture_problem())._repr_mimebundle_()
    assert sorted(bundle) == MIME
    lines = bundle["text/plain"].splitlines()[1:]
    assert [line.split() for line in lines] == LECTURE_RESULT
    assert bundle["text/html"].count("<td") == 49
    for value in {v for row in LECTURE_RESULT for v in row}:
        assert value.replace("-", "−") in bundle["text/html"]
    assert r"\frac{7}{9}" in bundle["text/latex"] and r"-\frac{1}{3}" in bundle["text/latex"]
    assert "| **0** | " + " | ".join(LECTURE_RESULT[0]) + " |" in bundle["text/markdown"]
    assert sorted(build_trace(lecture_problem())._repr_mimebundle_(include=["text/plain"])) == [
        "text/plain"
    ]


def test_a_derivation_and_the_script_display_richly():
    der = derive_pixel(lecture_problem(), 0, 0)
    bundle = der._repr_mimebundle_()
    assert sorted(bundle) == MIME
    assert bundle["text/plain"].splitlines()[-1].split("=")[-1].strip() == LECTURE_RESULT[0][0]
    assert "<math" in bundle["text/html"] and r"\frac{7}{9}" in bundle["text/latex"]
    script = build_script(lecture_problem())
    bundle = script._repr_mimebundle_()
    assert sorted(bundle) == MIME
    for beat in script.beats():
        assert beat.caption in bundle["text/plain"] and beat.caption in bundle["text/markdown"]
    assert bundle["text/html"].count("<li>") == len(list(script.beats()))


def test_show_embeds_the_page_inline():
    view = explainer.show(build_trace(lecture_problem()))
    html = view._repr_html_()
    assert html.startswith("<iframe srcdoc=") and "&lt;!DOCTYPE html&gt;" in html
    assert sorted(view._repr_mimebundle_()) == ["text/html", "text/plain"]


def test_new_modules_import_nothing_heavy_at_module_level():
    """`import explainer` stays light: the notebook, page, handout and equivalents modules
    load neither sympy nor manim nor a browser when imported (only inside functions)."""
    code = (
        "import sys\n"
        "import explainer.outputs.notebook, explainer.outputs.page\n"
        "import explainer.outputs.handout, explainer.outputs.equivalents\n"
        "print(sorted(m for m in ('sympy', 'manim', 'playwright', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_notebook_runs(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    cells = [
        "import explainer\ntrace = explainer.build_trace(explainer.lecture_problem())\ntrace",
        "explainer.derive_pixel(explainer.lecture_problem(), 1, 1)",
        "explainer.show(trace)",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute(cwd=str(tmp_path))
    outputs = [cell.outputs[0] for cell in nb.cells]
    assert all(o.output_type == "execute_result" for o in outputs)
    assert sorted(outputs[0].data) == MIME and "7/9" in outputs[0].data["text/plain"]
    assert outputs[1].data["text/plain"].splitlines()[-1].endswith("= 1")
    assert outputs[2].data["text/html"].startswith("<iframe srcdoc=")
