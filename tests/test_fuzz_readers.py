"""Fuzzing the readers and the library's options: random bytes, lying .npy headers, PNGs
built from random chunks, and option values of every wrong kind.

Whatever comes in, the only outcomes allowed are a clean array or an ExplainerError (one
line): no other exception, no allocation for a size the file only claims.
"""

from __future__ import annotations

import io
import os
import zlib
from fractions import Fraction

import numpy as np
import pytest
from hostile_files import PNG_SIGNATURE, npy_bytes, png_chunk, png_ihdr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import explainer
from explainer.errors import ExplainerError, TooLargeError
from explainer.files.inputs import (
    MAX_ARRAY_ELEMENTS,
    MAX_PNG_PIXELS,
    parse_npy,
    parse_png,
    parse_text_bytes,
)

pytestmark = pytest.mark.filterwarnings("ignore::explainer.errors.ExplainerWarning")

# EXPLAINER_FUZZ_EXAMPLES=5000 for a deeper run than the suite's quick one.
EXAMPLES = int(os.environ.get("EXPLAINER_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PNG_RANGE = (Fraction(-1), Fraction(1))


def read_or_refuse(reader, *args):
    """The reader's array, or None when it refused with one of our errors."""
    try:
        return reader(*args)
    except ExplainerError as err:
        assert "\n" not in str(err)
        return None


def accepted_by_problem(arr: np.ndarray) -> None:
    """What a reader returns must also go through Problem cleanly (or be refused)."""
    try:
        explainer.Problem(arr, [[1]])
    except ExplainerError:
        pass


# ----- random bytes -----------------------------------------------------------------------

prefixes = st.sampled_from(
    [b"", b"\x93NUMPY", b"\x93NUMPY\x01\x00", PNG_SIGNATURE, b"\xef\xbb\xbf"]
)


@FUZZ
@given(prefix=prefixes, body=st.binary(max_size=400))
def test_random_bytes_never_crash_a_reader(prefix, body):
    data = prefix + body
    for reader, args in (
        (parse_npy, (data, "f.npy")),
        (parse_png, (data, "f.png", PNG_RANGE)),
        (parse_text_bytes, (data, "f.txt")),
    ):
        arr = read_or_refuse(reader, *args)
        if arr is not None:
            assert isinstance(arr, np.ndarray)
            accepted_by_problem(arr)


@FUZZ
@given(st.text(alphabet=st.sampled_from("0123456789.,;/ e+-#\n\t\u2212\u0663x"), max_size=200))
def test_random_number_text_is_exact_or_refused(text):
    arr = read_or_refuse(parse_text_bytes, text.encode("utf-8"), "f.txt")
    if arr is not None:
        assert arr.ndim == 2
        assert arr.dtype == np.int64 or all(isinstance(v, (int, Fraction)) for v in arr.ravel())


# ----- .npy headers -----------------------------------------------------------------------

descrs = st.sampled_from(
    [
        "'<f8'",
        "'>i4'",
        "'|u1'",
        "'|b1'",
        "'<f2'",
        "'<f16'",
        "'|O'",
        "'<U3'",
        "'<c16'",
        "'<V8'",
        "'<M8[s]'",
        "[('a', '<i4')]",
        "('<i4', (2,))",
        "'garbage'",
        "3",
        "None",
    ]
)
dims = st.one_of(
    st.integers(min_value=-2, max_value=6),
    st.integers(min_value=10**5, max_value=10**12),
    st.sampled_from(["2", "2.0", "None", "(2,)", "True"]),
)
shapes = st.lists(dims, max_size=4).map(lambda items: "(" + "".join(f"{v}, " for v in items) + ")")
orders = st.sampled_from(["False", "True", "0", "'no'"])


@FUZZ
@given(
    descr=descrs,
    shape=shapes,
    order=orders,
    extra=st.sampled_from(["", "'x': 1, "]),
    data=st.binary(max_size=300),
    version=st.sampled_from([(1, 0), (2, 0), (3, 0), (9, 9)]),
)
def test_random_npy_headers_are_read_or_refused(descr, shape, order, extra, data, version):
    header = f"{{'descr': {descr}, 'fortran_order': {order}, 'shape': {shape}, {extra}}}"
    arr = read_or_refuse(parse_npy, npy_bytes(header, data, version), "f.npy")
    if arr is not None:
        assert arr.size <= MAX_ARRAY_ELEMENTS and arr.dtype.kind in "biuf"
        accepted_by_problem(arr)


@FUZZ
@given(
    shape=st.tuples(st.integers(0, 5), st.integers(0, 5)),
    dtype=st.sampled_from(["<i8", ">i2", "|u1", "<u8", ">f4", "<f8", "|b1"]),
    fortran=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_npy_reads_what_numpy_loads(shape, dtype, fortran, seed):
    """A valid header with its full data gives exactly what numpy.load gives."""
    raw = (
        np.random.default_rng(seed)
        .integers(0, 256, size=np.dtype(dtype).itemsize * shape[0] * shape[1], dtype=np.uint8)
        .tobytes()
    )
    header = f"{{'descr': '{dtype}', 'fortran_order': {fortran}, 'shape': {shape}, }}"
    data = npy_bytes(header, raw)
    reference = np.load(io.BytesIO(data), allow_pickle=False)
    if dtype == "|b1":
        reference = reference.view(np.uint8) != 0
    got = parse_npy(data, "f.npy")
    assert got.shape == reference.shape
    assert np.array_equal(got, reference, equal_nan=reference.dtype.kind == "f")


# ----- PNG chunks -------------------------------------------------------------------------

sizes = st.one_of(st.integers(0, 40), st.integers(5000, 70000), st.just(2**31))
payloads = st.one_of(
    st.binary(max_size=200),
    st.binary(max_size=200).map(zlib.compress),
    st.integers(0, 300_000).map(lambda n: zlib.compress(b"\0" * n)),  # inflates far
)
chunk_kinds = st.sampled_from(
    [b"IDAT", b"IDAT", b"PLTE", b"tEXt", b"zTXt", b"iCCP", b"IEND", b"tRNS", b"zzzz"]
)
chunks = st.tuples(chunk_kinds, payloads, st.booleans()).map(
    lambda c: png_chunk(c[0], c[1], None if c[2] else 0xDEADBEEF)
)


@FUZZ
@given(
    width=sizes,
    height=sizes,
    depth=st.sampled_from([1, 2, 4, 8, 16, 3]),
    colour=st.sampled_from([0, 0, 2, 3, 4, 6, 5]),
    body=st.lists(chunks, max_size=5),
    end=st.booleans(),
)
def test_png_built_from_random_chunks_is_read_or_refused(width, height, depth, colour, body, end):
    data = PNG_SIGNATURE + png_ihdr(width, height, depth, colour) + b"".join(body)
    if end:
        data += png_chunk(b"IEND", b"")
    try:
        arr = parse_png(data, "f.png", PNG_RANGE)
    except TooLargeError:
        assert width * height > MAX_PNG_PIXELS
        return
    except ExplainerError as err:
        assert "\n" not in str(err)
        return
    assert width * height <= MAX_PNG_PIXELS
    assert arr.shape == (height, width)
    assert all(-1 <= v <= 1 for v in arr.ravel())


# ----- library options --------------------------------------------------------------------

weird = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 4),
    st.integers(10**12, 10**30),
    st.floats(allow_nan=True),
    st.text(max_size=6),
    st.sampled_from(["same", "valid", "full", "sum", "area", "none", "zeros", "reflect"]),
    st.lists(st.integers(-2, 3), max_size=5),
    st.tuples(st.integers(-2, 3), st.integers(-2, 3)),
    st.lists(st.text(max_size=3), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.builds(lambda n: np.arange(n), st.integers(0, 4)),
    st.just(Fraction(1, 2)),
)
arrays = st.one_of(
    st.lists(st.lists(st.integers(-5, 5), min_size=1, max_size=4), min_size=1, max_size=4),
    st.lists(
        st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=2, max_size=2),
        min_size=1,
        max_size=3,
    ),
    st.just([[10**400, 0.5]]),
    st.just([[Fraction(1, 3), None]]),
    st.just("text"),
    st.just([[[1]]]),
    st.just([]),
    st.just([[1, [2]]]),
)


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    image=arrays,
    kernel=arrays,
    stride=weird,
    padding=weird,
    padding_mode=weird,
    dilation=weird,
    flip=weird,
    normalize=weird,
)
def test_library_options_of_every_kind(
    image, kernel, stride, padding, padding_mode, dilation, flip, normalize
):
    try:
        out = explainer.conv2d(
            image,
            kernel,
            stride=stride,
            padding=padding,
            padding_mode=padding_mode,
            dilation=dilation,
            flip=flip,
            normalize=normalize,
        )
    except ExplainerError as err:
        assert "\n" not in str(err)
        return
    assert isinstance(out, np.ndarray) and out.ndim == 2
