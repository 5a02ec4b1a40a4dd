"""The same computation in the libraries a learner will use next: PyTorch, TensorFlow, scipy.

Each :class:`Equivalent` is code that computes this problem's result from ``x`` (the image)
and ``w`` (the filter as given), both numpy arrays, and notes on where the library's
conventions differ: whether it flips the filter, how its 'same' padding places an odd
extra pixel, what it cannot do (PyTorch's ``padding='same'`` refuses a stride above 1;
TensorFlow does not stride a dilated filter; scipy has neither stride nor dilation), and
the normalization as a plain division. The scipy code is executed by the test suite and
must give the trace's result; the others follow the same plan with each library's names.

>>> from explainer import lecture_problem
>>> torch, tf, scipy = equivalents(lecture_problem())
>>> print(scipy.code)
import numpy as np
from scipy.signal import correlate2d
<BLANKLINE>
y = correlate2d(x, w, mode="valid") / 9
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from explainer.core.geometry import PADDING
from explainer.core.problem import Problem


@dataclass(frozen=True)
class Equivalent:
    """One library's call for a problem: runnable code and what to know about it."""

    library: str
    code: str
    """Python that sets ``y`` to the result, given numpy arrays ``x`` (image), ``w`` (filter)."""
    notes: tuple[str, ...]


_TORCH_MODES = {
    "zeros": "constant",
    "reflect": "reflect",
    "replicate": "replicate",
    "circular": "circular",
}
_NUMPY_MODES = {name: rule.numpy for name, rule in PADDING.items()}


def _pair(values: tuple[int, int]) -> str:
    return str(values[0]) if values[0] == values[1] else f"({values[0]}, {values[1]})"


def _division(problem: Problem) -> str:
    if problem.normalize is None:
        return ""
    d = Fraction(problem.divisor)
    text = str(d.numerator) if d.denominator == 1 else f"({d.numerator} / {d.denominator})"
    return f" / {text}"


def _division_note(problem: Problem) -> tuple[str, ...]:
    if problem.normalize is None:
        return ()
    what = "area" if problem.normalize == "area" else "sum"
    return (
        f"The normalization is a plain division by the filter's {what}; no library divides "
        "for you.",
    )


def _same_extra(problem: Problem) -> bool:
    top, bottom, left, right = problem.padding
    return bottom > top or right > left


def torch_equivalent(problem: Problem) -> Equivalent:
    """``torch.nn.functional.conv2d``: cross-correlation, input shaped (1, 1, H, W)."""
    top, bottom, left, right = problem.padding
    stride, dilation = problem.stride, problem.dilation
    lines = [
        "import torch",
        "import torch.nn.functional as F",
        "",
        "x_t = torch.tensor(x, dtype=torch.float64)[None, None]  # (batch, channel, H, W)",
        "w_t = torch.tensor(w, dtype=torch.float64)[None, None]",
    ]
    notes = ["torch's conv2d is cross-correlation: it does not flip the filter."]
    if problem.flip:
        lines.append("w_t = torch.flip(w_t, dims=(-2, -1))  # true convolution: rotate 180°")
        notes.append("For true convolution, flip the filter yourself (torch.flip).")
    args = []
    padded = any(problem.padding)
    spec = problem.padding_spec
    if padded and problem.padding_mode == "zeros" and spec == "same" and stride == (1, 1):
        args.append('padding="same"')
        if _same_extra(problem):
            notes.append(
                "padding='same' puts the odd extra pixel at the bottom and right, as here."
            )
    elif padded and problem.padding_mode == "zeros" and (top, left) == (bottom, right):
        args.append(f"padding={_pair((top, left))}")
    elif padded:
        mode = _TORCH_MODES[problem.padding_mode]
        lines.append(f'x_t = F.pad(x_t, ({left}, {right}, {top}, {bottom}), mode="{mode}")')
        if spec == "same" and stride != (1, 1):
            notes.append(
                "padding='same' refuses a stride above 1, so the border (odd extra at the "
                "bottom and right) is added with F.pad."
            )
        elif problem.padding_mode != "zeros":
            notes.append(
                f"conv2d pads with zeros only: F.pad adds the {problem.padding_mode} border first."
            )
        else:
            notes.append("conv2d pads both sides equally: F.pad adds this uneven border first.")
    if stride != (1, 1):
        args.insert(0, f"stride={_pair(stride)}")
    if dilation != (1, 1):
        args.append(f"dilation={_pair(dilation)}")
    call = ", ".join(["x_t", "w_t", *args])
    lines.append(f"y = F.conv2d({call})[0, 0]{_division(problem)}")
    return Equivalent("PyTorch", "\n".join(lines), tuple(notes) + _division_note(problem))


def tensorflow_equivalent(problem: Problem) -> Equivalent:
    """``tf.nn.conv2d``: cross-correlation, input shaped (1, H, W, 1), filter (kh, kw, 1, 1)."""
    top, bottom, left, right = problem.padding
    stride, dilation = problem.stride, problem.dilation
    lines = ["import tensorflow as tf", ""]
    notes = ["tf.nn.conv2d is cross-correlation: it does not flip the filter."]
    mode = problem.padding_mode
    padded = any(problem.padding)
    explicit = f"[[0, 0], [{top}, {bottom}], [{left}, {right}], [0, 0]]"
    if padded and mode in ("replicate", "circular"):
        lines += [
            "import numpy as np",
            f'x = np.pad(x, (({top}, {bottom}), ({left}, {right})), mode="{_NUMPY_MODES[mode]}")',
        ]
        notes.append(f"tf.pad has no {mode} mode, so numpy adds the border first.")
    lines += [
        "x_t = tf.constant(x, tf.float64)[None, :, :, None]  # (batch, H, W, channel)",
        "w_t = tf.constant(w, tf.float64)[:, :, None, None]  # (kh, kw, in, out)",
    ]
    if problem.flip:
        lines.append("w_t = tf.reverse(w_t, axis=[0, 1])  # true convolution: rotate 180°")
        notes.append("For true convolution, flip the filter yourself (tf.reverse).")
    strided_dilation = stride != (1, 1) and dilation != (1, 1)
    if padded and mode == "reflect":
        lines.append(f'x_t = tf.pad(x_t, {explicit}, mode="REFLECT")')
        padding = '"VALID"'
    elif padded and mode == "zeros":
        if problem.padding_spec == "same" and not strided_dilation:
            padding = '"SAME"'
            if _same_extra(problem):
                notes.append("'SAME' puts the odd extra pixel at the bottom and right, as here.")
        else:
            padding = explicit
    else:
        padding = '"VALID"'
    args = ["x_t", "w_t"]
    slicing = "[0, :, :, 0]"
    if strided_dilation:
        args.append("strides=1")
        slicing = f"[0, ::{stride[0]}, ::{stride[1]}, 0]"
        notes.append(
            "TensorFlow does not stride a dilated filter: compute with stride 1 and keep "
            "every s-th value."
        )
    else:
        args.append(f"strides={_pair(stride)}")
    args.append(f"padding={padding}")
    if dilation != (1, 1):
        args.append(f"dilations={_pair(dilation)}")
    lines.append(f"y = tf.nn.conv2d({', '.join(args)}){slicing}{_division(problem)}")
    return Equivalent("TensorFlow", "\n".join(lines), tuple(notes) + _division_note(problem))


def scipy_equivalent(problem: Problem) -> Equivalent:
    """``scipy.signal.correlate2d`` (no flip) or ``convolve2d`` (flip)."""
    top, bottom, left, right = problem.padding
    (sh, sw), (dh, dw) = problem.stride, problem.dilation
    kh, kw = problem.kernel.shape
    name = "convolve2d" if problem.flip else "correlate2d"
    lines = ["import numpy as np", f"from scipy.signal import {name}", ""]
    if problem.flip:
        notes = ["convolve2d flips the filter (true convolution); correlate2d does not."]
    else:
        notes = ["correlate2d does not flip the filter; convolve2d would (true convolution)."]
    filt = "w"
    if (dh, dw) != (1, 1):
        lines += [
            f"wd = np.zeros(({dh * (kh - 1) + 1}, {dw * (kw - 1) + 1}))  # the filter, dilated",
            f"wd[::{dh}, ::{dw}] = w",
        ]
        filt = "wd"
        notes.append("scipy has no dilation: the filter is spread out with zeros.")
    simple = problem.padding_mode == "zeros" and (sh, sw, dh, dw) == (1, 1, 1, 1)
    spec = problem.padding_spec
    image, mode = "x", "valid"
    if not any(problem.padding):
        pass
    elif simple and spec == "full":
        mode = "full"
    elif simple and spec == "same" and kh % 2 == 1 and kw % 2 == 1:
        mode = "same"
    else:
        np_mode = _NUMPY_MODES[problem.padding_mode]
        lines.append(f'xp = np.pad(x, (({top}, {bottom}), ({left}, {right})), mode="{np_mode}")')
        image = "xp"
        notes.append("The border is added with np.pad, then the filter slides over it.")
    slicing = ""
    if (sh, sw) != (1, 1):
        slicing = f"[::{sh}, ::{sw}]"
        notes.append("scipy has no stride: every s-th value of the stride-1 result is kept.")
    lines.append(f'y = {name}({image}, {filt}, mode="{mode}"){slicing}{_division(problem)}')
    return Equivalent("scipy", "\n".join(lines), tuple(notes) + _division_note(problem))


def equivalents(problem: Problem) -> tuple[Equivalent, Equivalent, Equivalent]:
    """PyTorch, TensorFlow and scipy calls that compute ``problem``'s result."""
    return torch_equivalent(problem), tensorflow_equivalent(problem), scipy_equivalent(problem)
