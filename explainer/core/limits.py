"""Every limit on the work a command asks for: one table, one refusal, checked from the shapes.

:data:`LIMITS` names each kind of work with its limit and the sentence that refuses it;
:func:`refuse` is the one place a :class:`~explainer.errors.TooLargeError` for a size is
raised. The library enforces each limit where the work happens (``plan_geometry``,
``build_trace``, ``derive_all``, the page, the handout, the video); the command checks
them all first, from the shapes of the image and kernel alone (the ``check_*`` functions,
one per command's work), so that a request it would refuse after minutes of work
(converting a 4096×4096 PNG, deriving one pixel of a 1000×1000 kernel) is refused at once.

>>> refuse("kernel", 9)
>>> refuse("kernel", 2_000_000)
Traceback (most recent call last):
...
explainer.errors.TooLargeError: the kernel has 2,000,000 elements; at most 1,000,000 are supported
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from explainer.errors import TooLargeError

if TYPE_CHECKING:
    from explainer.core.geometry import Geometry


@dataclass(frozen=True)
class Limit:
    """The most of one kind of work, and the sentence that refuses more.

    ``message`` is formatted with ``amount`` (what was asked for), ``limit`` and the
    details the refusing check passes (shapes, counts)."""

    most: int
    message: str


MAX_KERNEL_ELEMENTS = 1_000_000
MAX_PADDED_ELEMENTS = 80_000_000
MAX_TRACE_PRODUCTS = 4_000_000
MAX_DERIVED_PRODUCTS = 100_000
"""Products sympy derives in one command: beyond, printing alone would take minutes."""
MAX_RENDER_SIDE = 48
"""Beyond this the video's grids would hold thousands of cells: unreadable, slow to draw."""
MAX_PAGE_SIDE = 32
"""Rows or columns of a grid the page draws (padded image, result): past this, cells are
too small to read or to point at."""
MAX_PAGE_PRODUCTS = 4_000
"""Products derived by sympy and embedded as MathML, over all output pixels: each takes
about a kilobyte of the page, and past this the page grows past a few megabytes."""
MAX_HANDOUT_SIDE = 32
"""Rows or columns of a matrix the handout typesets (padded image, result)."""
MAX_HANDOUT_PATCHES = 256
"""Patches derived in one handout: about three a page, so at most some 90 pages."""
MAX_PROVED_PRODUCTS = 20_000
"""Products of a layer's forward pass that sympy differentiates (the backward proof)."""
MAX_MATRIX_ELEMENTS = 4_000_000
"""Entries of the dense matrix of a convolution (conv_matrix), for small examples only."""

LIMITS: dict[str, Limit] = {
    "kernel": Limit(
        MAX_KERNEL_ELEMENTS,
        "the kernel has {amount:,} elements; at most {limit:,} are supported",
    ),
    "step": Limit(
        MAX_PADDED_ELEMENTS,
        "a {name} of {amount:,} is more than the {limit:,} pixels the largest image "
        "supported has; use a {name} of at most the image's size",
    ),
    "padded-image": Limit(
        MAX_PADDED_ELEMENTS,
        "the padded image would be {rows:,}×{cols:,} pixels; at most {limit:,} pixels are "
        "supported",
    ),
    "trace": Limit(
        MAX_TRACE_PRODUCTS,
        "tracing every step would record {amount:,} products ({oh}×{ow} pixels × {kh}×{kw} "
        "taps); at most {limit:,} can be traced, use the engine for more",
    ),
    "trace-pixels": Limit(
        MAX_TRACE_PRODUCTS,
        "the (padded) image has {amount:,} pixels ({rows}×{cols}); a trace records each of "
        "them, and at most {limit:,} can be traced; use the engine (explainer.conv2d) for more",
    ),
    "derive-all": Limit(
        MAX_DERIVED_PRODUCTS,
        "deriving all {patches:,} patches with sympy means {amount:,} products; at most "
        "{limit:,} products are derived at once: choose patches with --patch I,J, or use a "
        "smaller image",
    ),
    "derive-patches": Limit(
        MAX_DERIVED_PRODUCTS,
        "deriving {patches:,} {noun} of a {kh}×{kw} kernel with sympy means {amount:,} "
        "products; at most {limit:,} products are derived at once: choose fewer patches or a "
        "smaller kernel",
    ),
    "render": Limit(
        MAX_RENDER_SIDE,
        "a {rows}×{cols} (padded) image is too large to draw legibly; the video shows at most "
        "{limit}×{limit} (up to 16×16 pixel by pixel, larger as a heatmap); use 'explainer "
        "derive' or 'check' for this one",
    ),
    "page": Limit(
        MAX_PAGE_SIDE,
        "a {rows}×{cols} (padded) image with a {oh}×{ow} result is too large for the page, "
        "which draws at most {limit}×{limit} cells a grid; use 'explainer derive' for this one",
    ),
    "page-products": Limit(
        MAX_PAGE_PRODUCTS,
        "the page embeds sympy's derivation of every pixel, {amount:,} products here; at "
        "most {limit:,} fit a page: use a smaller image or kernel, or 'explainer derive "
        "--patch I,J'",
    ),
    "handout": Limit(
        MAX_HANDOUT_SIDE,
        "a {rows}×{cols} (padded) image with a {oh}×{ow} result is too large for the "
        "handout, which typesets matrices of at most {limit}×{limit}; use 'explainer "
        "derive' for this one",
    ),
    "handout-all-patches": Limit(
        MAX_HANDOUT_PATCHES,
        "a handout of all {amount:,} patches would run to hundreds of pages; at most {limit} "
        "are typeset: choose patches with --patch I,J",
    ),
    "handout-patches": Limit(
        MAX_HANDOUT_PATCHES,
        "{amount:,} patches is too many for one handout; at most {limit} are typeset",
    ),
    "layer-proof": Limit(
        MAX_PROVED_PRODUCTS,
        "the layer's forward pass has up to {amount:,} products; sympy derives at most "
        "{limit:,}: use a smaller layer",
    ),
    "conv-matrix": Limit(
        MAX_MATRIX_ELEMENTS,
        "the convolution's matrix would have {rows:,}×{cols:,} entries; at most {limit:,} "
        "are built (use a smaller example)",
    ),
}
"""Kind of work → its limit and the sentence that refuses more."""


def refuse(kind: str, amount: int, **details: Any) -> None:
    """Raise :class:`~explainer.errors.TooLargeError` when ``amount`` of work of ``kind``
    is more than :data:`LIMITS` allows; the sentence names the amount and the limit."""
    limit = LIMITS[kind]
    if amount > limit.most:
        raise TooLargeError(limit.message.format(amount=amount, limit=limit.most, **details))


def _shapes(geometry: Geometry) -> dict[str, int]:
    (rows, cols), (oh, ow) = geometry.padded_shape, geometry.output_shape
    kh, kw = geometry.kernel_shape
    return {"rows": rows, "cols": cols, "oh": oh, "ow": ow, "kh": kh, "kw": kw}


def check_traceable(geometry: Geometry) -> None:
    """Every command records an exact trace: each padded pixel and each product."""
    shapes = _shapes(geometry)
    refuse("trace", geometry.products, **shapes)
    refuse("trace-pixels", shapes["rows"] * shapes["cols"], **shapes)


def check_derivable(geometry: Geometry, patches: Sequence[tuple[int, int]] | None) -> None:
    """sympy derives every chosen pixel product by product: bound the products."""
    shapes = _shapes(geometry)
    if patches is None:
        refuse("derive-all", geometry.products, patches=shapes["oh"] * shapes["ow"])
        return
    products = len(patches) * shapes["kh"] * shapes["kw"]
    noun = "patches" if len(patches) > 1 else "patch"
    refuse("derive-patches", products, patches=len(patches), noun=noun, **shapes)


def check_renderable(geometry: Geometry) -> None:
    """The video draws every padded pixel and every output pixel as a cell."""
    shapes = _shapes(geometry)
    side = max(shapes["rows"], shapes["cols"], shapes["oh"], shapes["ow"])
    refuse("render", side, **shapes)


def check_showable(geometry: Geometry) -> None:
    """The page draws every grid cell by cell and embeds sympy's derivation of each pixel."""
    shapes = _shapes(geometry)
    refuse("page", max(shapes["rows"], shapes["cols"], shapes["oh"], shapes["ow"]), **shapes)
    refuse("page-products", geometry.products)


def check_handout(geometry: Geometry, patches: Sequence[tuple[int, int]] | None = None) -> None:
    """The handout typesets the image and the result as matrices, and each patch chosen."""
    shapes = _shapes(geometry)
    refuse("handout", max(shapes["rows"], shapes["cols"], shapes["oh"], shapes["ow"]), **shapes)
    if patches is None:
        refuse("handout-all-patches", shapes["oh"] * shapes["ow"])
    else:
        refuse("handout-patches", len(patches))


__all__ = [
    "LIMITS",
    "Limit",
    "check_derivable",
    "check_handout",
    "check_renderable",
    "check_showable",
    "check_traceable",
    "refuse",
]
