"""Reading JSON written by someone else: bounded in bytes, depth and numbers.

Every JSON file the program reads (a render's ``.script.json``, a cache entry's record)
goes through :func:`load_json_file`: the file must be a regular file (a FIFO or a device is
refused before it is opened), at most ``limit`` bytes (counted while reading), UTF-8, nested
at most ``depth`` levels, and its numbers finite (``NaN``, ``Infinity`` and ``1e999`` are
refused) with integers of at most :data:`MAX_INT_DIGITS` digits. Any failure is one
:class:`~explainer.errors.InputFileError` naming the file.

>>> loads_bounded(b'{"a": [1, 2.5]}', "x.json")
{'a': [1, 2.5]}
>>> loads_bounded(b'[NaN]', "x.json")
Traceback (most recent call last):
...
explainer.errors.InputFileError: x.json holds NaN; only finite numbers are read
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from explainer.errors import InputFileError
from explainer.files.safe_io import printable, read_regular_file

MAX_JSON_BYTES = 16 * 1024 * 1024
"""Bytes of one JSON file read at most."""
MAX_JSON_DEPTH = 32
"""Levels of nested arrays and objects read at most."""
MAX_INT_DIGITS = 100
"""Digits of one integer read at most (a long integer costs time quadratic in its length)."""


class _Refused(Exception):
    """Raised by the parser's hooks; turned into one InputFileError naming the file."""


def _constant(name: str) -> float:
    raise _Refused(f"holds {name}; only finite numbers are read")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"holds {text[:40]}, beyond the range of float64 numbers")
    return value


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _Refused(f"holds an integer of {len(text):,} digits; at most {MAX_INT_DIGITS}")
    return int(text)


def _depth(value: object) -> int:
    """How deeply arrays and objects nest in ``value`` (iteratively: no recursion limit)."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            level += 1
            deepest = max(deepest, level)
            stack.extend((child, level) for child in item)
    return deepest


def loads_bounded(data: bytes, shown: str, depth: int = MAX_JSON_DEPTH) -> object:
    """Parse ``data`` as JSON, refusing what :mod:`explainer.files.safe_json` refuses.

    ``shown`` names the source in the message (already escaped for printing).
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputFileError(f"{shown} is not UTF-8 text") from None
    try:
        value = json.loads(text, parse_constant=_constant, parse_float=_float, parse_int=_int)
    except _Refused as err:
        raise InputFileError(f"{shown} {err}") from None
    except RecursionError:
        raise InputFileError(
            f"{shown} nests arrays or objects too deeply; at most {depth} levels are read"
        ) from None
    except ValueError as err:  # json.JSONDecodeError
        raise InputFileError(f"{shown} is not valid JSON: {printable(str(err))}") from None
    if _depth(value) > depth:
        raise InputFileError(
            f"{shown} nests arrays or objects too deeply; at most {depth} levels are read"
        )
    return value


def load_json_file(path: Path, limit: int = MAX_JSON_BYTES, depth: int = MAX_JSON_DEPTH) -> object:
    """The JSON value in the regular file ``path``, read within ``limit`` bytes.

    Raises
    ------
    InputFileError
        When the file is missing, not a regular file, not UTF-8 or not JSON, nests deeper
        than ``depth``, or holds a number that is not finite.
    TooLargeError
        When the file holds more than ``limit`` bytes.
    """
    data = read_regular_file(Path(path), limit)
    return loads_bounded(data, printable(str(path)), depth)
