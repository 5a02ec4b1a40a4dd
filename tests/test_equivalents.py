"""The PyTorch, TensorFlow and scipy calls the page names: scipy's is run and must agree."""

from __future__ import annotations

import numpy as np
import pytest
from reference import plain_loop

from explainer import Problem, lecture_problem, preset
from explainer.outputs.equivalents import equivalents

signal = pytest.importorskip("scipy.signal")

RAMP = np.arange(42).reshape(6, 7)
TWO_BY_THREE = np.array([[1, 2, 0], [3, -1, 1]])
PROBLEMS = [
    lecture_problem(),
    Problem(preset("square"), preset("sobel-x"), padding="same", stride=2),
    Problem(RAMP, np.array([[1, 2], [3, -1]]), padding="same", flip=True),
    Problem(
        RAMP,
        TWO_BY_THREE,
        padding=(1, 2, 0, 1),
        padding_mode="reflect",
        stride=(2, 1),
        dilation=(1, 2),
    ),
    Problem(RAMP, TWO_BY_THREE, padding="full", padding_mode="circular", normalize="sum"),
    Problem(RAMP, TWO_BY_THREE, padding="full", padding_mode="replicate", stride=2, dilation=2),
    Problem(RAMP, TWO_BY_THREE, padding="full"),
    Problem(RAMP, np.array([[1, 0, -1], [2, 5, 1], [0, 1, 1]]), padding="same", flip=True),
]


@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda p: p.describe())
def test_the_scipy_code_computes_the_textbook_result(problem):
    code = equivalents(problem)[2].code
    names = {"x": np.asarray(problem.image, dtype=float), "w": np.asarray(problem.kernel, float)}
    exec(code, names)  # the code the page shows, run as written
    expected = plain_loop(
        problem.image,
        problem.kernel,
        problem.stride,
        problem.padding,
        problem.dilation,
        problem.flip,
        problem.divisor,
        problem.padding_mode,
    )
    np.testing.assert_allclose(names["y"], np.array(expected, dtype=float), rtol=1e-12)


def test_same_padding_flip_and_division_are_named_per_library():
    torch, tf, scipy = equivalents(PROBLEMS[1])  # 'same', stride 2: extra row and column
    assert 'padding="same"' not in torch.code and "F.pad(x_t, (0, 1, 0, 1)" in torch.code
    assert any("refuses a stride above 1" in n for n in torch.notes)
    assert 'padding="SAME"' in tf.code and "strides=2" in tf.code
    assert any("bottom and right" in n for n in tf.notes)
    torch, tf, scipy = equivalents(PROBLEMS[2])  # 'same', stride 1, even kernel, flipped
    assert 'padding="same"' in torch.code and "torch.flip" in torch.code
    assert "tf.reverse" in tf.code and "convolve2d" in scipy.code
    torch, tf, scipy = equivalents(lecture_problem())
    assert all(e.code.endswith("/ 9") for e in (torch, tf, scipy))
    assert all(any("division" in n for n in e.notes) for e in (torch, tf, scipy))
