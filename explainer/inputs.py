"""Reading images and kernels from files or preset names, as data only.

Text files (CSV, or numbers separated by spaces, tabs or semicolons) are read by a strict
parser of our own: each cell must be an integer, a decimal, or a fraction such as ``1/9``,
and becomes an exact ``int`` or ``Fraction``. Nothing in a file is ever evaluated: no
``eval``, no ``exec``, no ``sympify``. ``.npy`` files load without pickles; PNG files must
be grayscale and are scaled to a stated range.
"""

from __future__ import annotations

import re
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np

from .errors import ExplainerWarning, InputFileError, TooLargeError
from .presets import PRESETS, preset

MAX_TEXT_BYTES = 16 * 1024 * 1024
MAX_NPY_BYTES = 512 * 1024 * 1024
MAX_PNG_PIXELS = 16_777_216  # 4096×4096
MAX_CELL_CHARS = 64

_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d{1,3})?")
_FRACTION = re.compile(r"([+-]?\d+)/(\d+)")
_SEPARATORS = re.compile(r"[,;\s]+")
PNG_MODES = {"1": 1, "L": 255, "I;16": 65535, "I;16B": 65535, "I;16L": 65535}


def parse_number(cell: str) -> int | Fraction:
    """One cell of a text file as an exact number, or an error naming what is allowed.

    >>> parse_number("-3"), parse_number("1/9"), parse_number("0.25"), parse_number("−2")
    (-3, Fraction(1, 9), Fraction(1, 4), -2)
    >>> parse_number("__import__('os')")
    Traceback (most recent call last):
    ...
    explainer.errors.InputFileError: "__import__('os')" is not a number; ...
    """
    text = cell.strip().replace("\u2212", "-")  # accept the typographic minus sign
    if len(text) > MAX_CELL_CHARS:
        raise InputFileError(
            f"a cell has {len(text)} characters; numbers longer than "
            f"{MAX_CELL_CHARS} characters are not accepted"
        )
    if _INTEGER.fullmatch(text):
        return int(text)
    frac = _FRACTION.fullmatch(text)
    if frac:
        if int(frac.group(2)) == 0:
            raise InputFileError(f"{cell!r} divides by zero")
        value = Fraction(int(frac.group(1)), int(frac.group(2)))
        return value.numerator if value.denominator == 1 else value
    if _DECIMAL.fullmatch(text):
        value = Fraction(text)  # Fraction parses decimals exactly; the regex bounds them
        return value.numerator if value.denominator == 1 else value
    shown = cell if len(cell) <= 20 else cell[:17] + "..."  # enough to find it, no more
    raise InputFileError(
        f"{shown!r} is not a number; cells must be integers (3), decimals "
        "(0.25, 1e-3) or fractions (1/9)"
    )


def parse_text(text: str, name: str) -> np.ndarray:
    """Rows of numbers, one row a line; ``#`` starts a comment.

    >>> parse_text("1, -1\\n1/2 0.5 # a comment\\n", "k")
    array([[1, -1],
           [Fraction(1, 2), Fraction(1, 2)]], dtype=object)
    """
    rows: list[list[int | Fraction]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0].strip()
        if not content:
            continue
        cells = [c for c in _SEPARATORS.split(content) if c]
        try:
            rows.append([parse_number(c) for c in cells])
        except InputFileError as err:
            raise InputFileError(f"{name}, line {lineno}: {err}") from None
        if len(rows[-1]) != len(rows[0]):
            raise InputFileError(
                f"{name}, line {lineno}: has {len(rows[-1])} numbers but the "
                f"first row has {len(rows[0])}; rows must all be as long"
            )
    if not rows:
        raise InputFileError(f"{name} holds no numbers")
    arr = np.empty((len(rows), len(rows[0])), dtype=object)
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            arr[r, c] = v
    return arr


def read_text_file(path: Path) -> np.ndarray:
    data = _read_bytes(path, MAX_TEXT_BYTES)
    if b"\0" in data:
        raise InputFileError(
            f"{path} is a binary file, not text; give a CSV or text file of "
            "numbers, a .npy array or a grayscale PNG"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputFileError(
            f"{path} is not UTF-8 text; give a CSV or text file of numbers, "
            "a .npy array or a grayscale PNG"
        ) from None
    return parse_text(text, str(path))


def read_npy(path: Path) -> np.ndarray:
    _check_size(path, MAX_NPY_BYTES)
    try:
        arr = np.load(path, allow_pickle=False)
    except ValueError as err:
        if "pickle" in str(err).lower():
            raise InputFileError(
                f"{path} holds Python objects (pickles), which are never "
                "loaded; save a numeric array instead"
            ) from None
        raise InputFileError(f"{path} is not a valid .npy file ({err})") from None
    except (OSError, EOFError) as err:
        raise InputFileError(f"{path} is not a valid .npy file ({err})") from None
    if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "biuf":
        kind = getattr(arr, "dtype", type(arr))
        raise InputFileError(
            f"{path} holds {kind} values; only integers, booleans and floats are accepted"
        )
    return arr


def read_png(path: Path, value_range: tuple[Fraction, Fraction]) -> np.ndarray:
    """A grayscale PNG, pixel 0 → low, full scale → high, as exact Fractions."""
    from PIL import Image

    _check_size(path, MAX_TEXT_BYTES * 4)
    try:
        with Image.open(path) as img:
            if img.format != "PNG":
                raise InputFileError(f"{path} is a {img.format} image; only PNG is read")
            if img.width * img.height > MAX_PNG_PIXELS:
                raise TooLargeError(
                    f"{path} is {img.width}×{img.height} pixels; at most "
                    f"{MAX_PNG_PIXELS:,} pixels are read"
                )
            if img.mode not in PNG_MODES:
                raise InputFileError(
                    f"{path} is a PNG in mode {img.mode}; only grayscale PNGs are read "
                    f"(modes {', '.join(PNG_MODES)}); convert it to grayscale first"
                )
            full_scale = PNG_MODES[img.mode]
            pixels = np.array(img, dtype=np.int64)
    except (OSError, SyntaxError, ValueError) as err:
        if isinstance(err, InputFileError):
            raise
        raise InputFileError(f"{path} is not a readable PNG ({err})") from None
    low, high = value_range
    if pixels.dtype == bool or full_scale == 1:
        pixels = pixels.astype(np.int64)
    scale = (high - low) / full_scale
    out = np.empty(pixels.shape, dtype=object)
    for idx, p in np.ndenumerate(pixels):
        v = low + scale * int(p)
        out[idx] = v.numerator if v.denominator == 1 else v
    warnings.warn(
        f"{path.name}: PNG pixels 0..{full_scale} scaled to {low}..{high}",
        ExplainerWarning,
        stacklevel=2,
    )
    return out


def _check_size(path: Path, limit: int) -> int:
    try:
        size = path.stat().st_size
    except OSError as err:
        raise InputFileError(f"cannot read {path}: {err.strerror or err}") from None
    if size > limit:
        raise TooLargeError(f"{path} is {size:,} bytes; files over {limit:,} bytes are not read")
    return size


def _read_bytes(path: Path, limit: int) -> bytes:
    _check_size(path, limit)
    try:
        return path.read_bytes()
    except OSError as err:
        raise InputFileError(f"cannot read {path}: {err.strerror or err}") from None


def load(
    spec: str, kind: str, png_range: tuple[Fraction, Fraction] = (Fraction(-1), Fraction(1))
) -> np.ndarray:
    """An image or kernel from a preset name or a file path.

    A path that exists wins over a preset of the same name. Files are read by extension:
    ``.npy``, ``.png``, anything else as text.
    """
    path = Path(spec)
    if path.is_dir():
        raise InputFileError(f"{spec} is a folder; give a file of numbers or a preset name")
    if path.exists():
        suffix = path.suffix.lower()
        if suffix == ".npy":
            return read_npy(path)
        if suffix == ".png":
            return read_png(path, png_range)
        return read_text_file(path)
    if spec.strip().lower() in PRESETS:
        return preset(spec, kind)
    looks_like_path = any(ch in spec for ch in "/\\.")
    if looks_like_path:
        raise InputFileError(f"no such file: {spec}")
    names = ", ".join(p.name for p in PRESETS.values() if p.kind == kind)
    raise InputFileError(f"{spec!r} is neither a file nor a preset; {kind} presets: {names}")
