"""Rich display in Jupyter: the MIME bundles hold the trace's values; a notebook runs."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import LECTURE_RESULT

import explainer
from explainer import build_trace, derive_pixel, lecture_problem
from explainer.script import build_script

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
    """`import explainer` stays light: sympy (and what imports it) only inside functions."""
    heavy = {"sympy", "symbolic", "printing", "mathml", "checking", "manim", "playwright"}
    package = Path(explainer.__file__).parent
    for name in ("notebook", "page", "handout", "equivalents"):
        tree = ast.parse((package / f"{name}.py").read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Import):
                names = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [(node.module or "").split(".")[0] or "", *(a.name for a in node.names)]
            else:
                continue
            assert not heavy & set(names), f"{name}.py imports {names} at module level"


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
