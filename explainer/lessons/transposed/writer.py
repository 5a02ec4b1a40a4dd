"""The transposed lesson's writer: every sentence worded from the facts of one transposed
convolution, each beat with its claims and its board; :func:`build_script` has the
independent verifier check every claim before it returns.

>>> from explainer.backward_request import default_transposed
>>> s = build_script(default_transposed())
>>> s.beat("setup.grids").caption.split(":")[0]
'The small input is 3×3'
"""

from __future__ import annotations

from explainer.backward_request import TransposedProblem
from explainer.lessons.backward_claims import (
    Checkerboard,
    GridShape,
    GridValues,
    MatrixShape,
    OutputSize,
    Stamp,
    StampSum,
    ViewEqual,
    ZeroInsertion,
)
from explainer.lessons.board import Grid, Mark
from explainer.lessons.gradient_words import beat, board, cells, grid, num, paren, plural, shape
from explainer.lessons.script import Beat, Script, Section, verify_script
from explainer.lessons.transposed.facts import TransposedFacts, facts_of
from explainer.lessons.transposed.sections import BEAT_KEYS, LESSON, SECTION_NAMES, TITLES

AXES = ("rows", "columns")


def build_script(problem: TransposedProblem, *, verify: bool = True) -> Script:
    """Word the transposed lesson for ``problem``; with ``verify`` the independent verifier
    checks every claim first (a false one raises ClaimError naming the beat)."""
    return script_from_facts(facts_of(problem), verify=verify)


def script_from_facts(facts: TransposedFacts, *, verify: bool = True) -> Script:
    w = _Writer(facts)
    script = Script(
        problem=facts.problem,
        lesson=LESSON,
        sections=w.sections(),
        keys=BEAT_KEYS,
        labels={
            "title": "The transposed convolution",
            "subtitle": "a small input stamped into a larger output",
            "problem": facts.problem.describe(),
        },
        trace=None,
        facts=facts,
        grids=w.grids(),
    )
    if verify:
        verify_script(script)
    return script


class _Writer:
    def __init__(self, facts: TransposedFacts) -> None:
        self.f = facts
        self.p = facts.problem

    @property
    def size_word(self) -> str:
        """ "larger" when the output has more pixels than the input (a GridShape claim pair
        licenses it), else "resulting"."""
        f, p = self.f, self.p
        larger = len(f.output) * len(f.output[0]) > len(p.input) * len(p.input[0])
        return "larger" if larger else "resulting"

    def grids(self) -> dict[str, Grid]:
        f, p = self.f, self.p
        out = {
            "input": ("the small input", p.input),
            "kernel": ("kernel", p.kernel),
            "output": ("the larger output", f.output),
            "overlap": ("stamps per output pixel", f.overlap),
            "spread": ("input with zeros inserted, padded", f.spread),
            "rotated": ("kernel rotated by 180°", f.rotated),
        }
        for (i, j), values in f.stamps.items():
            out[f"stamp.{i}.{j}"] = (f"stamp of input pixel {cells((i, j))}", values)
        return {key: Grid(key, f"{label}, {shape(v)}", v) for key, (label, v) in out.items()}

    def sections(self) -> tuple[Section, ...]:
        beats = {
            "title": self.title(),
            "setup": self.setup(),
            "size": self.size(),
            "stamps": self.stamps(),
            "overlap": self.overlap(),
            "views": self.views(),
            "summary": self.summary(),
        }
        return tuple(Section(n, TITLES[n], tuple(beats[n])) for n in SECTION_NAMES if beats[n])

    def title(self) -> list[Beat]:
        text = (
            "A transposed convolution makes a small input larger. Which grid is the input, "
            "which the output, and where does each output number come from?"
        )
        return [beat("title.question", text, (), board(("input", "kernel")))]

    def setup(self) -> list[Beat]:
        f, p = self.f, self.p
        size = self.size_word
        text = (
            f"The small input is {shape(p.input)}: {grid(p.input)}. The kernel is "
            f"{shape(p.kernel)}: {grid(p.kernel)}. The {size} output will be {shape(f.output)}."
        )
        claims = [
            GridShape("input", (len(p.input), len(p.input[0]))),
            GridShape("kernel", (len(p.kernel), len(p.kernel[0]))),
            GridShape("output", (len(f.output), len(f.output[0]))),
            GridValues("input", p.input),
            GridValues("kernel", p.kernel),
        ]
        return [beat("setup.grids", text, claims, board(("input", "kernel")))]

    def size(self) -> list[Beat]:
        claims, parts = [], []
        for a, ax in enumerate(self.f.axes):
            claims.append(OutputSize(a, ax.n_in, ax.k, ax.stride, ax.padding, ax.dilation,
                                     ax.output_padding, ax.n_out))  # fmt: skip
            parts.append(
                f"({ax.n_in} − 1)·{ax.stride} − {ax.padding} + {ax.dilation}·({ax.k} − 1) + "
                f"{ax.output_padding} + 1 = {ax.n_out}"
            )
        where = (
            f"{parts[0]}, each way"
            if parts[0] == parts[1]
            else f"{parts[0]} {_noun(self.f.axes[0].n_out, 'row')} and {parts[1]} "
            f"{_noun(self.f.axes[1].n_out, 'column')}"
        )
        text = (
            "Its size per axis: (input − 1)·stride − padding + dilation·(kernel − 1) + "
            f"output_padding + 1, here {where}."
        )
        formula = ("n_out = (n − 1)·s − p + d·(k − 1) + output_padding + 1", *parts)
        shown = board(("input", "output"), formula=formula)
        return [beat("size.formula", text, claims, shown, board(("input", "kernel")))]

    def stamps(self) -> list[Beat]:
        f, p = self.f, self.p
        out = []
        for n, ((i, j), values) in enumerate(f.stamps.items()):
            v = p.input[i][j]
            key = f"stamp.{i}.{j}"
            covered = _footprint(p, i, j, (len(values), len(values[0])))
            marks = [Mark("input", ((i, j),), "focus")]
            if covered:
                marks.append(Mark(key, covered, "window"))
            if n == 0:
                text = (
                    f"Each pixel of the small input stamps a copy of the kernel onto the output, "
                    f"scaled by its value: input pixel {cells((i, j))}, {num(v)}, lays "
                    f"{num(v)} × the kernel with its top-left tap {_corner(p, i, j)}."
                )
                out.append(beat("stamps.one", text, [Stamp((i, j), v, _origin(p, i, j), values)],
                                board(("input", "kernel", key), *marks)))  # fmt: skip
            else:
                text = (
                    f"Its neighbour {cells((i, j))}, {num(v)}, stamps {num(v)} × the kernel "
                    f"{plural(p.stride[1], 'column')} further right: one input step is one "
                    "stride on the output."
                )
                out.append(beat("stamps.next", text, [Stamp((i, j), v, _origin(p, i, j), values)],
                                board(("input", "kernel", key), *marks)))  # fmt: skip
        if f.pixel is not None:
            r, q = f.pixel
            products = " + ".join(f"{paren(a)}·{paren(w)}" for *_, a, w in f.parts)
            total = f.output[r][q]
            text = (
                f"Where stamps overlap they add up: output pixel {cells(f.pixel)} receives "
                f"{plural(len(f.parts), 'stamp')}, each an input value times a kernel weight: "
                f"{products} = {num(total)}."
                if len(f.parts) > 1
                else f"No two stamps overlap: output pixel {cells(f.pixel)} receives one "
                f"stamp, {products} = {num(total)}, and no pixel receives more."
            )
            sources = tuple(sorted({(a, b) for a, b, *_ in f.parts}))
            marks = (Mark("input", sources, "window"), Mark("output", (f.pixel,), "result"))
            claims = [StampSum(f.pixel, f.parts, total)]
            if len(f.parts) == 1:
                claims.append(GridValues("overlap", f.overlap))
            out.append(beat("stamps.add", text, claims,
                            board(("input", "kernel", "output"), *marks)))  # fmt: skip
        count = len(p.input) * len(p.input[0])
        shown = (
            f": {grid(f.output)}" if len(f.output) * len(f.output[0]) <= 25 else ", on the board"
        )
        made = (
            "The one stamp makes" if count == 1 else f"All {plural(count, 'stamp')} added up make"
        )
        text = f"{made} the {self.size_word} output, {shape(f.output)}{shown}."
        claims = [ViewEqual("scatter", f.output), GridValues("output", f.output)]
        out.append(beat("stamps.output", text, claims, board(("input", "output"))))
        return out

    def overlap(self) -> list[Beat]:
        f = self.f
        text = "Count the stamps that land on each output pixel: the overlap map on the board."
        out = [beat("overlap.count", text, [GridValues("overlap", f.overlap)],
                    board(("overlap",)))]  # fmt: skip
        claims, said = [], []
        same = f.axes[0] == f.axes[1] or (f.axes[0].k, f.axes[0].stride, f.axes[0].inside) == (
            f.axes[1].k,
            f.axes[1].stride,
            f.axes[1].inside,
        )
        for a, ax in enumerate(f.axes):
            if not ax.inside:
                continue
            uneven = len(ax.inside) > 1
            claims.append(Checkerboard(a, ax.k, ax.stride, ax.dilation, ax.k % ax.stride == 0,
                                       ax.inside, uneven))  # fmt: skip
            multiple = ("is" if ax.k == 1 else "are") + ("" if ax.k % ax.stride == 0 else " not")
            counts = " or ".join(str(c) for c in ax.inside)
            along = "along the rows and the columns alike" if same else f"along the {AXES[a]}"
            if ax.dilation > 1:
                along += f", with dilation {ax.dilation}"
            said.append(
                f"{along}, the kernel's {plural(ax.k, 'tap')} {multiple} a multiple of the stride "
                f"{ax.stride}, and inside the output a pixel gets {counts} "
                f"stamp{'s' if ax.inside[-1] != 1 else ''}{' each way' if same else ''}"
            )
            if same:
                claims.append(Checkerboard(1, ax.k, ax.stride, ax.dilation,
                                           ax.k % ax.stride == 0, ax.inside, uneven))  # fmt: skip
                break
        if not claims:
            return out
        text = "; ".join(said)
        text = text[0].upper() + text[1:] + "."
        if any(c.uneven for c in claims):
            text += (
                " That uneven overlap is what prints the checkerboard pattern of upsampling "
                "layers: some output pixels sum more stamps than their neighbours."
            )
        else:
            text += " The overlap is even inside: no checkerboard."
        top = max(v for row in f.overlap for v in row)
        most = tuple(
            (r, q) for r, row in enumerate(f.overlap) for q, v in enumerate(row) if v == top
        )
        marks = (Mark("overlap", most, "focus"),)
        # The worksheet asks for one pixel of each count (the first, row-major), at most 4.
        firsts: dict[int, tuple[int, int]] = {}
        for r, row in enumerate(f.overlap):
            for q, v in enumerate(row):
                firsts.setdefault(v, (r, q))
        asked = tuple(sorted(firsts[v] for v in sorted(firsts)[:4]))
        drill = board(("input", "kernel", "overlap"), Mark("overlap", asked, "result"))
        out.append(beat("overlap.checker", text, [*claims, GridValues("overlap", f.overlap)],
                        board(("overlap",), *marks), drill))  # fmt: skip
        return out

    def views(self) -> list[Beat]:
        f = self.f
        rows, cols = f.axes
        zeros = [
            ZeroInsertion(a, ax.stride - 1, ax.before, ax.after) for a, ax in enumerate(f.axes)
        ]
        one_pixel = len(self.p.input) == len(self.p.input[0]) == 1  # nothing to go between
        if (rows.stride, rows.before, rows.after) == (cols.stride, cols.before, cols.after):
            how = (
                f"take the input as it is, pad it by {_pads(rows)}"
                if rows.stride == 1 or one_pixel
                else (
                    f"insert {rows.stride - 1} zero{'s' if rows.stride != 2 else ''} between the "
                    f"input's pixels, pad by {_pads(rows)}"
                )
            )
        else:
            how = (
                f"insert {_zeros(rows.stride - 1)} between the input's rows and "
                f"{_zeros(cols.stride - 1)} between its columns, pad the rows by {_pads(rows)} "
                f"and the columns by {_pads(cols)}"
            ).replace("by nothing", "not at all")
        how = how.replace("pad it by nothing", "pad it not at all")
        how = how.replace("pad by nothing", "add no padding")
        text = (
            f"The same output another way: {how}, and slide the kernel rotated by 180° over "
            "it, stride 1. Every output pixel comes out the same."
        )
        claims = [
            *zeros,
            GridValues("spread", f.spread),
            GridValues("rotated", f.rotated),
            ViewEqual("zero-insertion", f.views["zero-insertion"]),
        ]
        h, w = len(self.p.input), len(self.p.input[0])
        kept = tuple(
            (rows.before + rows.stride * i, cols.before + cols.stride * j)
            for i in range(h)
            for j in range(w)
            if 0 <= rows.before + rows.stride * i < len(f.spread)
            and 0 <= cols.before + cols.stride * j < len(f.spread[0])
        )
        marks = (Mark("spread", kept, "focus"),) if kept else ()
        # The worksheet asks for the first output pixel (row-major) among those most stamps
        # land on, other than the one the stamps beat adds up.
        top = max(v for row in f.overlap for v in row)
        asked = next(
            ((r, q) for r, row in enumerate(f.overlap) for q, v in enumerate(row)
             if v == top and (r, q) != f.pixel),
            (0, 0),
        )  # fmt: skip
        drill = board(("spread", "rotated", "output"), Mark("output", (asked,), "result"))
        out = [beat("views.zeros", text, claims,
                    board(("spread", "rotated", "output"), *marks), drill)]  # fmt: skip
        m_rows, m_cols, nonzero = f.matrix
        if nonzero == m_rows * m_cols:
            entries = (
                " whose one entry is not 0" if nonzero == 1 else ", none of whose entries is 0"
            )
        else:
            entries = ", of which only " + (
                "one entry is not 0" if nonzero == 1 else f"{nonzero} entries are not 0"
            )
        text = (
            f"And a third: the convolution that takes an output-shaped grid back to the input's "
            f"shape is a {m_rows}×{m_cols} matrix M{entries}. The input multiplied by its "
            f"transpose, Mᵀ, gives the same {plural(m_cols, 'number')}."
        )
        claims = [MatrixShape(m_rows, m_cols, nonzero), ViewEqual("matrix", f.views["matrix"])]
        out.append(beat("views.matrix", text, claims, board(("input", "output"),
                        formula=(f"output = Mᵀ · input, M: {m_rows}×{m_cols}",))))  # fmt: skip
        return out

    def summary(self) -> list[Beat]:
        f, p = self.f, self.p
        text = (
            f"In short: the small {shape(p.input)} input became the {self.size_word} "
            f"{shape(f.output)} "
            "output, one stamp per input pixel; stamps, zero insertion and the transposed "
            "matrix agree on every number. It is also the gradient of a convolution with "
            "respect to its input: the backward lesson's last step."
        )
        claims = [
            GridShape("input", (len(p.input), len(p.input[0]))),
            GridShape("output", (len(f.output), len(f.output[0]))),
            *(ViewEqual(v, f.views[v]) for v in ("scatter", "zero-insertion", "matrix")),
        ]
        return [beat("summary.views", text, claims, board(("input", "output")))]


def _footprint(p: TransposedProblem, i: int, j: int, shape: tuple[int, int]):
    """The output cells the taps of input pixel (i, j)'s stamp land on."""
    (sr, sc), (dr, dc), (top, _, left, _) = p.stride, p.dilation, p.padding
    cells_ = []
    for m in range(len(p.kernel)):
        for n in range(len(p.kernel[0])):
            r, q = sr * i + dr * m - top, sc * j + dc * n - left
            if 0 <= r < shape[0] and 0 <= q < shape[1]:
                cells_.append((r, q))
    return tuple(cells_)


def _origin(p: TransposedProblem, i: int, j: int) -> tuple[int, int]:
    """Where input pixel (i, j)'s stamp puts the kernel's top-left tap."""
    return p.stride[0] * i - p.padding[0], p.stride[1] * j - p.padding[2]


def _corner(p: TransposedProblem, i: int, j: int) -> str:
    top, left = _origin(p, i, j)
    if top >= 0 and left >= 0:
        return f"on output pixel {cells((top, left))}"
    corner = "(" + ", ".join(num(v) for v in (top, left)) + ")"
    return f"at {corner}, outside the output: the padding crops the taps that fall outside"


def _noun(n: int, one: str) -> str:
    return one if n == 1 else one + "s"


def _zeros(n: int) -> str:
    """'no zeros', '1 zero', '2 zeros'."""
    return "no zeros" if n == 0 else f"{n} zero{'s' * (n != 1)}"


def _pads(ax) -> str:
    if ax.before == ax.after == 0:
        return "nothing"
    if ax.before == ax.after:
        return f"{ax.before} on each side" if ax.before >= 0 else f"cropping {-ax.before} each side"
    return f"{ax.before} before and {ax.after} after"
