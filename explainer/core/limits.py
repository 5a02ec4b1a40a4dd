"""Every limit on the work a command asks for, checked from the shapes before work starts.

The library enforces these limits where the work happens (``build_trace``,
``derive_all``, ``check_renderable``); the command checks them all first, from the shapes
of the image and kernel alone, so that a request it would refuse after minutes of work
(converting a 4096×4096 PNG, deriving one pixel of a 1000×1000 kernel) is refused at once.
"""

from __future__ import annotations

from collections.abc import Sequence

from explainer.core.problem import Geometry
from explainer.core.trace import MAX_TRACE_PRODUCTS
from explainer.errors import TooLargeError

MAX_DERIVED_PRODUCTS = 100_000
"""Products sympy derives in one command: beyond, printing alone would take minutes."""


def check_traceable(geometry: Geometry) -> None:
    """Every command records an exact trace: each padded pixel and each product."""
    (oh, ow), (kh, kw) = geometry.output_shape, geometry.kernel_shape
    if geometry.products > MAX_TRACE_PRODUCTS:
        raise TooLargeError(
            f"tracing every step would record {geometry.products:,} products "
            f"({oh}×{ow} pixels × {kh}×{kw} taps); at most "
            f"{MAX_TRACE_PRODUCTS:,} can be traced, use the engine for more"
        )
    ph, pw = geometry.padded_shape
    if ph * pw > MAX_TRACE_PRODUCTS:
        raise TooLargeError(
            f"the (padded) image has {ph * pw:,} pixels ({ph}×{pw}); a trace records each "
            f"of them, and at most {MAX_TRACE_PRODUCTS:,} can be traced; use the engine "
            "(explainer.conv2d) for more"
        )


def check_derivable(geometry: Geometry, patches: Sequence[tuple[int, int]] | None) -> None:
    """sympy derives every chosen pixel product by product: bound the products."""
    (oh, ow), (kh, kw) = geometry.output_shape, geometry.kernel_shape
    if patches is None:
        if geometry.products > MAX_DERIVED_PRODUCTS:
            raise TooLargeError(
                f"deriving all {oh * ow:,} patches with sympy means {geometry.products:,} "
                f"products, minutes of work; at most {MAX_DERIVED_PRODUCTS:,} are derived at "
                "once: choose patches with --patch I,J, or use a smaller image"
            )
        return
    products = len(patches) * kh * kw
    if products > MAX_DERIVED_PRODUCTS:
        many = len(patches) > 1
        raise TooLargeError(
            f"deriving {len(patches):,} patch{'es' if many else ''} of a {kh}×{kw} kernel "
            f"with sympy means {products:,} products, minutes of work; at most "
            f"{MAX_DERIVED_PRODUCTS:,} are derived at once: choose fewer patches or a "
            "smaller kernel"
        )


# Beyond this the grids would hold thousands of cells: unreadable and slow to draw.
MAX_RENDER_SIDE = 48


def check_renderable(geometry: Geometry) -> None:
    """The video draws every padded pixel and every output pixel as a cell."""
    rows, cols = geometry.padded_shape
    oh, ow = geometry.output_shape
    if max(rows, cols, oh, ow) > MAX_RENDER_SIDE:
        raise TooLargeError(
            f"a {rows}×{cols} (padded) image is too large to draw legibly; the video shows "
            f"at most {MAX_RENDER_SIDE}×{MAX_RENDER_SIDE} (up to 16×16 pixel by pixel, larger "
            "as a heatmap); use 'explainer derive' or 'check' for this one"
        )
