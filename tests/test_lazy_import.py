"""`import explainer` leaves sympy (and Pillow) alone until a symbolic function is used."""

from __future__ import annotations

import subprocess
import sys


def _run(code: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return proc.stdout.strip()


def test_import_and_engine_do_not_import_sympy_or_pillow():
    out = _run(
        "import sys, explainer\n"
        "explainer.conv2d([[1, 2], [3, 4]], [[1, 1]], normalize='area')\n"
        "explainer.build_trace(explainer.lecture_problem())\n"
        "print(sorted(m for m in ('sympy', 'PIL') if m in sys.modules))"
    )
    assert out == "[]"


def test_symbolic_functions_load_sympy_on_first_use():
    out = _run(
        "import sys, explainer\n"
        "before = 'sympy' in sys.modules\n"
        "from explainer import derive_pixel, verify\n"
        "import explainer.proof.symbolic as s\n"
        "same = derive_pixel is s.derive_pixel and explainer.general_formula is s.general_formula\n"
        "ok = verify(explainer.build_trace(explainer.lecture_problem())).ok\n"
        "print(before, 'sympy' in sys.modules, same, ok, 'derive_all' in dir(explainer))"
    )
    assert out == "False True True True True"


def test_unknown_attributes_still_raise():
    out = _run(
        "import explainer\n"
        "try:\n"
        "    explainer.derive_everything\n"
        "except AttributeError as err:\n"
        "    print(err)"
    )
    assert out == "module 'explainer' has no attribute 'derive_everything'"
