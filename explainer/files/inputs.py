"""Reading images and kernels from files or preset names, as data only.

Text files (CSV, or numbers separated by spaces, tabs or semicolons) are read by a strict
parser of our own: each cell must be an integer, a decimal, or a fraction such as ``1/9``,
written with ASCII digits, and becomes an exact ``int`` or ``Fraction``. Nothing in a file
is ever evaluated: no ``eval``, no ``exec``, no ``sympify``. ``.npy`` files are decoded
here, header first (never pickles); PNG files must be grayscale and are scaled to a stated
range. Every file goes through one bounded reader (:mod:`explainer.files.safe_io`), and sizes
stated inside a file (an array's shape, a PNG's width and height) are checked against the
limits before anything is allocated or decompressed.
"""

from __future__ import annotations

import io
import math
import re
import stat
import struct
import sys
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np

from explainer.core.limits import MAX_PADDED_ELEMENTS
from explainer.core.presets import PRESETS, preset
from explainer.errors import ExplainerWarning, InputFileError, TooLargeError
from explainer.files.safe_io import file_status, printable, read_regular_file, refuse_unless_regular

MAX_TEXT_BYTES = 16 * 1024 * 1024
MAX_NPY_BYTES = 512 * 1024 * 1024
MAX_PNG_BYTES = 64 * 1024 * 1024
MAX_PNG_PIXELS = 16_777_216  # 4096×4096
MAX_ARRAY_ELEMENTS = MAX_PADDED_ELEMENTS
MAX_CELL_CHARS = 64
FLOAT64_MAX = sys.float_info.max
_FLOAT64_MAX_INT = int(FLOAT64_MAX)  # comparing a Fraction with an int is fast and exact
MAX_TEXT_CELLS = 4_000_000  # more than any command can trace; stops a file of tiny rows

# re.ASCII: "\d" would otherwise accept any script's digits ("٣" read as 3).
_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
_DECIMAL = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d{1,3})?", re.ASCII)
_FRACTION = re.compile(r"([+-]?\d+)/(\d+)", re.ASCII)
_LEADING_ZERO = re.compile(r"(?<![0-9.eE])0[0-9]", re.ASCII)
_SEPARATORS = re.compile(r"[,;\s]+")
PNG_MODES = {"1": 1, "L": 255, "I;16": 65535, "I;16B": 65535, "I;16L": 65535}
COLOUR_PNG_MODES = ("RGB", "RGBA", "P", "LA", "PA")
"""Modes read as three colour planes when the input may have channels (the layer lesson)."""
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NPY_SIGNATURE = b"\x93NUMPY"
_CACHED_CELLS = 65_536  # distinct cells remembered while parsing one file


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
    shown = printable(cell if len(cell) <= 20 else cell[:17] + "...")  # enough to find it
    value: int | Fraction
    if _INTEGER.fullmatch(text):
        value = int(text)
    elif frac := _FRACTION.fullmatch(text):
        if int(frac.group(2)) == 0:
            raise InputFileError(f"{shown!r} divides by zero")
        value = Fraction(int(frac.group(1)), int(frac.group(2)))
    elif decimal := _DECIMAL.fullmatch(text):
        value = _decimal_value(text, decimal)
        # Without an exponent a cell of at most 64 characters is far inside float range.
        if decimal.group(2) and abs(value) > _FLOAT64_MAX_INT:
            raise InputFileError(
                f"{shown!r} is beyond the range of float64 numbers (about ±1.8e308), "
                "which the float check and the video need"
            )
    else:
        raise InputFileError(
            f"{shown!r} is not a number; cells must be integers (3), decimals "
            "(0.25, 1e-3) or fractions (1/9)"
        )
    if _LEADING_ZERO.search(text):
        # "1,000" would silently be the two cells 1 and 000: refuse the ambiguity.
        raise InputFileError(
            f"{shown!r} has a leading zero; commas separate cells, so '1,000' would be "
            "two cells: write whole numbers without leading zeros or separators (1000)"
        )
    if isinstance(value, Fraction) and value.denominator == 1:
        return value.numerator
    return value


def _decimal_value(text: str, match: re.Match[str]) -> int | Fraction:
    """The exact value of a decimal the regex matched (twice as fast as ``Fraction(text)``).

    >>> _decimal_value("-1.25e2", _DECIMAL.fullmatch("-1.25e2")), _decimal_value(
    ...     ".5e-1", _DECIMAL.fullmatch(".5e-1"))
    (-125, Fraction(1, 20))
    """
    whole, _, decimals = match.group(1).partition(".")
    power = (int(match.group(2)[1:]) if match.group(2) else 0) - len(decimals)
    numerator = int(whole + decimals or "0")
    if text.startswith("-"):
        numerator = -numerator
    if power >= 0:
        return numerator * 10**power
    return Fraction(numerator, 10**-power)


def parse_text(text: str, name: str, unit: str = "line") -> np.ndarray:
    """Rows of numbers, one row a line; ``#`` starts a comment. ``unit`` is the word for a
    line in messages ("row" for a matrix written inline, rows split by ';').

    Integers come back as int64 when they all fit, otherwise the array holds Python
    ``int`` and ``Fraction`` objects.

    >>> parse_text("1, -1\\n1/2 0.5 # a comment\\n", "k")
    array([[1, -1],
           [Fraction(1, 2), Fraction(1, 2)]], dtype=object)
    >>> parse_text("1 2\\n3 4\\n", "k").dtype
    dtype('int64')
    """
    values: list[int | Fraction] = []  # one flat list: a list per row costs 60 bytes more
    known: dict[str, int | Fraction] = {}  # big files repeat few distinct cells
    height = width = 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0].strip() if "#" in line else line.strip()
        if not content:
            continue
        start = len(values)
        try:
            for cell in _SEPARATORS.split(content):
                if not cell:
                    continue
                value = known.get(cell)
                if value is None:
                    value = parse_number(cell)
                    if len(known) < _CACHED_CELLS:
                        known[cell] = value
                values.append(value)
        except InputFileError as err:
            raise InputFileError(f"{printable(name)}, {unit} {lineno}: {err}") from None
        count = len(values) - start
        if height == 0:
            width = count
        elif count != width:
            raise InputFileError(
                f"{printable(name)}, {unit} {lineno}: has {count} "
                f"number{'s' * (count != 1)} but the first row has {width}; rows must all be "
                "as long"
            )
        height += 1
        if len(values) > MAX_TEXT_CELLS:
            raise TooLargeError(
                f"{printable(name)} holds more than {MAX_TEXT_CELLS:,} numbers; "
                "larger arrays are read from .npy files"
            )
    if not values:
        raise InputFileError(f"{printable(name)} holds no numbers")
    if not any(isinstance(v, Fraction) for v in known.values()) and len(known) < _CACHED_CELLS:
        try:
            return np.array(values, dtype=np.int64).reshape(height, width)
        except OverflowError:
            pass  # integers beyond int64 stay Python ints
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return arr.reshape(height, width)


def read_text_file(path: Path) -> np.ndarray:
    return parse_text_bytes(read_regular_file(path, MAX_TEXT_BYTES), str(path))


def parse_text_bytes(data: bytes, name: str) -> np.ndarray:
    """The numbers in the bytes of a text file: UTF-8 (with or without BOM), no NUL bytes."""
    shown = printable(name)
    if b"\0" in data:
        raise InputFileError(
            f"{shown} is a binary file, not text; give a CSV or text file of "
            "numbers, a .npy array or a grayscale PNG"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputFileError(
            f"{shown} is not UTF-8 text; give a CSV or text file of numbers, "
            "a .npy array or a grayscale PNG"
        ) from None
    return parse_text(text, name)


def read_npy(path: Path) -> np.ndarray:
    return parse_npy(read_regular_file(path, MAX_NPY_BYTES), str(path))


def parse_npy(data: bytes, name: str) -> np.ndarray:
    """The array in the bytes of a .npy file, read from its header without np.load.

    The header's shape and type are checked (no objects, at most
    :data:`MAX_ARRAY_ELEMENTS` elements, exactly as many bytes as it claims) before any
    array is made: a header claiming a huge shape allocates nothing.
    """
    shown = printable(name)
    if not data.startswith(NPY_SIGNATURE):
        raise InputFileError(
            f"{shown} is not a .npy file (it does not start with the .npy signature); "
            "save arrays with numpy.save, or use a text or PNG file"
        )
    stream = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(stream)
        readers = {
            (1, 0): np.lib.format.read_array_header_1_0,
            (2, 0): np.lib.format.read_array_header_2_0,
        }
        if version not in readers:
            raise InputFileError(
                f"{shown} is a .npy file of format version {version[0]}.{version[1]}; "
                "only versions 1.0 and 2.0 (what numpy.save writes for numeric arrays) are read"
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            shape, fortran_order, dtype = readers[version](stream)
    except InputFileError:
        raise
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError, struct.error):
        # numpy's own message quotes the raw header; a learner needs only the verdict.
        raise InputFileError(f"{shown} is not a valid .npy file (its header is damaged)") from None
    if dtype.hasobject:
        raise InputFileError(
            f"{shown} holds Python objects (pickles), which are never loaded; "
            "save a numeric array instead"
        )
    if dtype.kind not in "biuf" or dtype.fields is not None or dtype.subdtype is not None:
        raise InputFileError(
            f"{shown} holds {dtype} values; only integers, booleans and floats are accepted"
        )
    if any(isinstance(n, bool) or n < 0 for n in shape):
        raise InputFileError(f"{shown} is not a valid .npy file (its shape {shape} is not valid)")
    count = math.prod(shape)
    # The span leaves out zero sides: (0, 10**5, 10**6, 10**7) holds no element, but numpy
    # cannot even make a shape whose other sides multiply past its index range.
    span = math.prod(max(n, 1) for n in shape)
    if count > MAX_ARRAY_ELEMENTS or span > MAX_ARRAY_ELEMENTS:
        raise TooLargeError(
            f"{shown} holds an array of shape {shape}, {count:,} elements; at most "
            f"{MAX_ARRAY_ELEMENTS:,} are read"
        )
    offset, needed = stream.tell(), count * dtype.itemsize
    if len(data) - offset < needed:
        raise InputFileError(
            f"{shown} is cut short: its header promises {needed:,} bytes of data, "
            f"the file holds {len(data) - offset:,}"
        )
    flat = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
    if dtype.kind == "b":
        flat = flat.view(np.uint8) != 0  # any byte but 0 is True, as numpy reads it
    if fortran_order:
        return flat.reshape(shape[::-1]).transpose()
    return flat.reshape(shape)


def png_dimensions(data: bytes, name: str) -> tuple[int, int]:
    """(width, height) from a PNG's first chunk, IHDR, without decoding anything."""
    shown = printable(name)
    if not data.startswith(PNG_SIGNATURE):
        raise InputFileError(
            f"{shown} is not a PNG file (it does not start with the PNG signature)"
        )
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise InputFileError(f"{shown} is not a readable PNG (its first chunk is not IHDR)")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def read_png(
    path: Path, value_range: tuple[Fraction, Fraction], colour: bool = False
) -> np.ndarray:
    """A grayscale PNG, pixel 0 → low, full scale → high, as exact Fractions; with
    ``colour``, a colour PNG as its (3, rows, columns) red, green and blue planes."""
    data = read_regular_file(path, MAX_PNG_BYTES)
    return parse_png(data, str(path), value_range, colour)


def parse_png(
    data: bytes, name: str, value_range: tuple[Fraction, Fraction], colour: bool = False
) -> np.ndarray:
    """The pixels of a grayscale PNG given as bytes, scaled to ``value_range``.

    The width and height in the header are checked before Pillow decodes anything, so a
    small file that would inflate to gigabytes (a decompression bomb) is refused at once.
    A colour PNG is refused, unless ``colour`` (the layer lesson, whose input has
    channels): then its red, green and blue planes (0..255, alpha dropped, a palette
    looked up) are the three channels, shape (3, rows, columns).
    """
    from PIL import Image

    shown = printable(name)
    width, height = png_dimensions(data, name)
    if width * height > MAX_PNG_PIXELS:
        raise TooLargeError(
            f"{shown} is {width:,}×{height:,} pixels; at most {MAX_PNG_PIXELS:,} pixels are read"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's own warnings are not the learner's
            with Image.open(io.BytesIO(data), formats=["PNG"]) as img:
                if colour and img.mode in COLOUR_PNG_MODES:
                    rgb = np.asarray(img.convert("RGB")).astype(np.int64)
                    full_scale, pixels = 255, np.moveaxis(rgb, 2, 0)
                elif img.mode not in PNG_MODES:
                    raise InputFileError(
                        f"{shown} is a PNG in mode {img.mode}; only grayscale PNGs are read "
                        f"(modes {', '.join(PNG_MODES)}); convert it to grayscale first"
                    )
                else:
                    full_scale = PNG_MODES[img.mode]
                    pixels = np.asarray(img).astype(np.int64)
    except InputFileError:
        raise
    except Exception as err:  # noqa: BLE001 - any failure to decode hostile bytes is bad input
        detail = printable(str(err))[:80]
        raise InputFileError(f"{shown} is not a readable PNG ({detail})") from None
    dims = 3 if colour and pixels.ndim == 3 else 2
    if pixels.ndim != dims or pixels.size == 0 or pixels.min() < 0 or pixels.max() > full_scale:
        raise InputFileError(f"{shown} is not a readable PNG (its pixels do not match its mode)")
    low, high = value_range
    scale = (high - low) / full_scale
    # Each distinct pixel value becomes its exact number once; the image then indexes them.
    present = np.flatnonzero(np.bincount(pixels.ravel(), minlength=full_scale + 1))
    table = np.zeros(full_scale + 1, dtype=object)
    for p in present:
        v = low + scale * int(p)
        table[p] = v.numerator if v.denominator == 1 else v
    warnings.warn(
        f"{Path(name).name}: PNG pixels 0..{full_scale} scaled to {low}..{high}",
        ExplainerWarning,
        stacklevel=2,
    )
    return table[pixels]


def names_preset(spec: str) -> bool:
    """Whether ``spec`` means a preset: a preset's name that is not also a regular file."""
    if spec.strip().lower() not in PRESETS:
        return False
    info = file_status(Path(spec))
    return info is None or not stat.S_ISREG(info.st_mode)


def load(
    spec: str,
    kind: str,
    png_range: tuple[Fraction, Fraction] = (Fraction(-1), Fraction(1)),
    colour: bool = False,
) -> np.ndarray:
    """An image or kernel from a preset name or a file path.

    A file that exists wins over a preset of the same name; a folder does not (running in
    a folder that holds a folder called ``x`` must not break the lecture). Files are read
    by extension: ``.npy``, ``.png``, anything else as text. Only regular files are read.
    With ``colour`` a colour PNG is read as three channels (see :func:`parse_png`).
    """
    if not isinstance(spec, str) or not spec.strip():
        raise InputFileError(
            f"the {kind} is named by an empty string; give a preset name or a file"
        )
    path = Path(spec)
    info = file_status(path)
    if names_preset(spec):
        return preset(spec, kind)
    if info is not None:
        refuse_unless_regular(path, info.st_mode)
        suffix = path.suffix.lower()
        if suffix == ".npy":
            return read_npy(path)
        if suffix == ".png":
            return read_png(path, png_range, colour)
        return read_text_file(path)
    shown = printable(spec)
    looks_like_path = any(ch in spec for ch in "/\\.")
    if looks_like_path:
        raise InputFileError(f"no such file: {shown}")
    names = ", ".join(p.name for p in PRESETS.values() if p.kind == kind)
    raise InputFileError(f"{shown!r} is neither a file nor a preset; {kind} presets: {names}")
