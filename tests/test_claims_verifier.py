"""The claims and their verifier: each kind on a problem where it holds and one where it
does not, every expected answer worked by hand (in the comments) and written as a literal;
then a property test against scipy, which shares nothing with the verifier."""

from __future__ import annotations

import json
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import correlate2d

from explainer.core.problem import Problem
from explainer.errors import ExplainerError
from explainer.lessons.claims import (
    CLAIM_KINDS,
    WORDS,
    AllEqual,
    Average,
    BestBelowBound,
    BestFit,
    ChangeDirection,
    Claim,
    ConstantWindow,
    Count,
    DistinctValues,
    Divisor,
    Extreme,
    FlatGain,
    KernelKind,
    KernelSum,
    LinearOverWindows,
    MovesLikePrelude,
    OppositeExtremes,
    Padding,
    Partial,
    PerfectMatch,
    Prelude,
    Products,
    ProductSigns,
    Range,
    Setting,
    Shape,
    SumCancels,
    Symmetric,
    TooLarge,
    Value,
    Weaker,
    claim_from_json,
    claims_from_json,
    claims_to_json,
)
from explainer.lessons.verifier import (
    ClaimError,
    check,
    check_beats,
    result_values,
    verify_beats,
    verify_claims,
)

# ----- problems worked by hand ----------------------------------------------------------------

# P: a ±1 image and a 2×2 pattern. Sums (the products, row-major, in brackets):
#   (0, 0) patch 1 −1 / −1 1   [1, 1, 1, 1]      → 4
#   (0, 1) patch −1 1 / 1 −1   [−1, −1, −1, −1]  → −4
#   (1, 0) patch −1 1 / 1 −1   [−1, −1, −1, −1]  → −4
#   (1, 1) patch 1 −1 / −1 −1  [1, 1, 1, −1]     → 2
P_IMAGE = [[1, -1, 1], [-1, 1, -1], [1, -1, -1]]
P_KERNEL = [[1, -1], [-1, 1]]
# A 1×5 spike and a second difference: sums 0−0+3 = 3, 0−6+0 = −6, 3−0+0 = 3.
SPIKE = ([[0, 0, 3, 0, 0]], [[1, -2, 1]])
# A ramp x = r + c and the Laplacian: 0 in every window (the ramp is linear, not flat).
RAMP = [[r + c for c in range(4)] for r in range(4)]
LAPLACIAN = [[0, 1, 0], [1, -4, 1], [0, 1, 0]]
SHARPEN = [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]
SOBEL_X = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
GAUSSIAN = [[1, 2, 1], [2, 4, 2], [1, 2, 1]]


def p_problem(**options) -> Problem:
    return Problem(P_IMAGE, P_KERNEL, **options)


def holds(problem: Problem, claim: Claim) -> bool:
    return verify_claims(problem, [claim]).ok


def reason(problem: Problem, claim: Claim) -> str:
    (result,) = verify_claims(problem, [claim]).results
    assert not result.holds
    return result.reason


# ----- the claims as data ---------------------------------------------------------------------


def test_every_kind_round_trips_through_json():
    claims = [
        Value((1, 1), F(1, 2)),
        Products((0, 0), (1, F(-1, 3))),
        Extreme(-6, ((0, 1),), "largest", "magnitude"),
        OppositeExtremes(4),
        AllEqual(0, 16),
        Range(-4, 4),
        DistinctValues((-1, 1)),
        Weaker((1, 1), 2, (0, 0), 4),
        ConstantWindow(((0, 0),)),
        LinearOverWindows(((0, 0), (1, 1))),
        KernelKind("change"),
        KernelSum(F(1, 2)),
        Divisor(4, "area"),
        FlatGain(F(1, 9)),
        Average(),
        Symmetric(),
        ChangeDirection("left to right"),
        BestFit(4, ((0, 0),)),
        PerfectMatch(4, 4),
        BestBelowBound(2, 4),
        Partial((2,)),
        ProductSigns((1, 1), 1, 3, 0),
        SumCancels((0, 0)),
        Count(0, "flip-changes", 25),
        Shape(2, 2),
        TooLarge(16),
        Padding(0, 1, 0, 1, "zeros", "same"),
        Setting("stride", (2, 2)),
        Prelude(0, 0, 5, (1, -1), "row", 0, 2),
        MovesLikePrelude(2),
    ]
    assert {type(c) for c in claims} == set(CLAIM_KINDS)
    for c in claims:
        assert claim_from_json(json.dumps(c.to_json())) == c
        assert type(c).from_json(c.to_json()) == c
    assert claims_from_json(claims_to_json(claims)) == tuple(claims)


def test_claims_are_plain_immutable_data():
    c = Extreme(F(4, 2), [[0, 0]], which="largest")
    assert c.value == 2 and type(c.value) is int  # 4/2 is the integer 2
    assert c.positions == ((0, 0),)  # lists become tuples
    assert hash(c) == hash(Extreme(2, ((0, 0),)))
    assert Value((0, 0), 0.25).value == F(1, 4)  # a float is the decimal it prints as
    with pytest.raises(AttributeError):
        c.value = 3  # type: ignore[misc]
    with pytest.raises(ValueError, match="which"):
        Extreme(1, (), which="biggest")
    with pytest.raises(ValueError, match="not a claim"):
        claim_from_json({"kind": "nonsense"})


def test_each_word_belongs_to_one_kind():
    assert WORDS["flat"] is ConstantWindow
    assert WORDS["responds most"] is Extreme
    assert WORDS["fits best"] is BestFit
    assert WORDS["as in one dimension"] is MovesLikePrelude
    assert WORDS["too large to write out"] is TooLarge
    assert set(WORDS.values()) <= set(CLAIM_KINDS)


# ----- values ---------------------------------------------------------------------------------


def test_value_and_sum():
    p = p_problem(normalize="area")  # divisor 4: (1, 1) sums to 2, value 2/4 = 1/2
    assert holds(p, Value((1, 1), F(1, 2)))
    assert holds(p, Value((1, 1), 2, "sum"))
    assert reason(p, Value((1, 1), 2)) == "the value at (1, 1) is 1/2, not 2"
    assert "not an output pixel" in reason(p, Value((2, 0), 0))


def test_products():
    assert holds(p_problem(), Products((1, 1), (1, 1, 1, -1)))
    assert not holds(p_problem(), Products((1, 1), (1, 1, 1, 1)))


def test_extreme_by_sign():
    p = p_problem()  # result 4 −4 / −4 2
    assert holds(p, Extreme(4, ((0, 0),)))
    assert holds(p, Extreme(-4, ((0, 1), (1, 0)), "smallest"))
    # every holder must be named
    assert not holds(p, Extreme(-4, ((0, 1),), "smallest"))
    assert reason(p, Extreme(2, ((1, 1),))) == "the largest value is 4, not 2"


def test_extreme_by_magnitude_is_the_strongest_response():
    p = Problem(*SPIKE)  # result 3 −6 3
    assert holds(p, Extreme(-6, ((0, 1),), "largest", "magnitude"))
    assert holds(p, Extreme(3, ((0, 0), (0, 2)), "largest", "sign"))
    # 3 is the largest sum, but not the strongest response
    assert not holds(p, Extreme(3, ((0, 0), (0, 2)), "largest", "magnitude"))
    # 4 and −4 are equally strong: neither is "the" strongest response
    assert "no single sign" in reason(p_problem(), Extreme(4, ((0, 0),), by="magnitude"))


def test_opposite_extremes():
    assert holds(p_problem(), OppositeExtremes(4))  # from −4 to 4
    assert not holds(Problem(*SPIKE), OppositeExtremes(3))  # from −6 to 3


def test_all_equal_counts_its_pixels():
    # 1..9 under the weights 1..9: 1 + 4 + 9 + … + 81 = 285, the only pixel
    nine = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    p = Problem(nine, nine)
    assert holds(p, AllEqual(285, 1))  # true, but licenses no "every other"
    assert reason(p, AllEqual(285, 2)) == "the result has 1 entries, not 2"
    assert holds(Problem(RAMP, LAPLACIAN), AllEqual(0, 4))
    assert not holds(p_problem(), AllEqual(4, 4))
    assert holds(Problem([[2, 2], [2, 2]], [[1]]), AllEqual(2, 4, "image"))


def test_range_and_distinct_values():
    p = p_problem()
    assert holds(p, Range(-4, 4))
    assert holds(p, Range(-1, 1, "image"))
    assert holds(p, DistinctValues((-1, 1)))
    assert holds(p, DistinctValues((-4, 2, 4), "result"))
    assert not holds(p, Range(-4, 2))
    assert not holds(p, DistinctValues((-1, 0, 1)))


def test_weaker_needs_a_smaller_response_not_only_a_lower_value():
    p = p_problem()
    assert holds(p, Weaker((1, 1), 2, (0, 0), 4))  # 2 < 4 and |2| < |4|
    # −4 is lower than 4 but just as strong: "only −4, against 4" is false
    assert "as far from zero" in reason(p, Weaker((0, 1), -4, (0, 0), 4))
    # −6 against 3: lower, and stronger
    assert not holds(Problem(*SPIKE), Weaker((0, 1), -6, (0, 0), 3))


# ----- the image under the windows ------------------------------------------------------------


def test_constant_window_is_flat():
    p = Problem([[2, 2, 5]], [[1, -1]])  # windows (2, 2) and (2, 5)
    assert holds(p, ConstantWindow(((0, 0),)))
    assert (
        reason(p, ConstantWindow(((0, 0), (0, 1)))) == "the window at (0, 1) holds 2, 5: not flat"
    )
    # the ramp gives 0 under the Laplacian, but is not flat anywhere
    ramp = Problem(RAMP, LAPLACIAN)
    assert not holds(ramp, ConstantWindow(((0, 0), (0, 1), (1, 0), (1, 1))))
    # zero padding is part of what the filter sees: 0 0 / 0 7 under a 2×2 window
    assert not holds(Problem([[7]], [[1, 1], [1, 1]], padding=1), ConstantWindow(((0, 0),)))


def test_linear_over_windows():
    every = ((0, 0), (0, 1), (1, 0), (1, 1))
    assert holds(Problem(RAMP, LAPLACIAN), LinearOverWindows(every))
    # reflect padding folds the ramp at its edge: row 0 of window (0, 0) is 2 1 2
    folded = Problem(RAMP, LAPLACIAN, padding=1, padding_mode="reflect")
    assert reason(folded, LinearOverWindows(((0, 0),))) == (
        "the window at (0, 0) is not a ramp: tap (0, 2) holds 2, a ramp would hold 0"
    )
    assert holds(folded, LinearOverWindows(((1, 1),)))  # inside the image: still a ramp


# ----- the kernel -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kernel, kind",
    [
        (P_KERNEL, "pattern"),
        ([[1, 2, 1]], "smoothing"),
        ([[1, 0, -1]], "change"),
        (LAPLACIAN, "change"),
        (SHARPEN, "sharpen"),
        ([[1, 2], [3, 4]], "general"),
        ([[1, 2, 3]], "general"),  # non-negative, but not the same turned around
        ([[1, -1], [-1, 2]], "general"),  # sums to 1, but even-sized: no centre
        ([[0, 0]], "general"),  # all zeros answers nothing
    ],
)
def test_kernel_kind(kernel, kind):
    p = Problem([[1] * 3] * 3, kernel)
    assert holds(p, KernelKind(kind))
    wrong = "general" if kind != "general" else "pattern"
    assert not holds(p, KernelKind(wrong))


def test_kernel_sum_divisor_and_flat_gain():
    assert holds(Problem(RAMP, SHARPEN), KernelSum(1))
    assert not holds(Problem(RAMP, LAPLACIAN), KernelSum(1))
    p = Problem(RAMP, [[1, 2, 1]], normalize="sum")
    assert holds(p, Divisor(4, "sum"))
    assert not holds(p, Divisor(4, "area"))  # the area is 3
    assert holds(Problem(RAMP, SHARPEN), FlatGain(1))  # flat areas keep their value
    # divided by the area, 9: a flat patch of c gives (5 − 4)·c / 9
    area = Problem(RAMP, SHARPEN, normalize="area")
    assert reason(area, FlatGain(1)) == "a flat patch of c gives 1/9·c, not 1·c"
    assert holds(area, FlatGain(F(1, 9)))


def test_average():
    assert holds(Problem(RAMP, GAUSSIAN, normalize="sum"), Average())  # shares 1/16 … 4/16
    assert "add up to 16" in reason(Problem(RAMP, GAUSSIAN), Average())
    assert "negative share" in reason(Problem(RAMP, [[1, -1, 1]], normalize="sum"), Average())


def test_symmetric():
    assert holds(Problem(RAMP, LAPLACIAN), Symmetric())
    assert not holds(Problem(RAMP, [[1, 2, 3]]), Symmetric())


def test_change_direction():
    assert holds(Problem(RAMP, SOBEL_X), ChangeDirection("left to right"))
    # flipped, the kernel as applied rises the other way
    assert holds(Problem(RAMP, SOBEL_X, flip=True), ChangeDirection("right to left"))
    # a zero middle row still rises left to right: Σ w·n = (−1·0 + 1·2)·2 = 4 > 0
    assert holds(
        Problem(RAMP, [[-1, 0, 1], [0, 0, 0], [-1, 0, 1]]), ChangeDirection("left to right")
    )
    assert holds(Problem(RAMP, [[-1], [1]]), ChangeDirection("top to bottom"))
    assert not holds(Problem(RAMP, LAPLACIAN), ChangeDirection("left to right"))


# ----- matching a pattern ---------------------------------------------------------------------

# N: the pattern −1 −1 / −1 1 sums to −2, and normalize="sum" divides by it. On P's image the
# sums are (0, 0) −1+1+1+1 = 2, (0, 1) 1−1−1−1 = −2, (1, 0) −2, (1, 1) −1+1+1−1 = 0, so the
# values (sum / −2) are −1, 1, 1, 0: the largest value is the worst fit.
N_KERNEL = [[-1, -1], [-1, 1]]


def test_best_fit_follows_the_sums_not_the_values():
    assert holds(p_problem(), BestFit(4, ((0, 0),)))
    n = Problem(P_IMAGE, N_KERNEL, normalize="sum")
    assert holds(n, BestFit(-1, ((0, 0),)))
    assert not holds(n, BestFit(1, ((0, 1), (1, 0))))
    assert "not a pattern" in reason(Problem(*SPIKE), BestFit(3, ((0, 0), (0, 2))))


def test_perfect_match():
    # values in −1..1, weights ±1: at most 1+1+1+1 = 4, reached at (0, 0)
    assert holds(p_problem(), PerfectMatch(4, 4))
    assert holds(p_problem(normalize="area"), PerfectMatch(1, 1))
    # two rows only: sums 2 and −2; the best, 2, falls short of 4
    short = Problem([[1, -1, 1], [-1, -1, -1]], P_KERNEL)
    assert reason(short, PerfectMatch(2, 4)) == "the best sum 2 falls short of 4"
    assert holds(short, BestBelowBound(2, 4))
    assert not holds(p_problem(), BestBelowBound(4, 4))
    # a negative divisor: a whole match, sum 4, would give 4 / −2 = −2
    assert holds(Problem(P_IMAGE, N_KERNEL, normalize="sum"), BestBelowBound(-1, -2))
    flat = Problem([[1, 1, 1]], [[1, -1]])  # every sum is 0: nothing matches better
    assert "same sum" in reason(flat, PerfectMatch(0, 2))


def test_partial():
    assert holds(p_problem(), Partial((2,)))  # between 0 and 4 only the sum 2
    assert not holds(p_problem(), Partial((2, 4)))
    assert "no window's sum" in reason(Problem([[1, -1, 1, -1]], [[1, -1]]), Partial(()))


# ----- products of one window -----------------------------------------------------------------


def test_product_signs():
    assert holds(p_problem(), ProductSigns((1, 1), 1, 3, 0))
    assert holds(Problem([[0, 1]], [[1, -1]]), ProductSigns((0, 0), 1, 0, 1))  # 0·1, 1·−1
    assert reason(p_problem(), ProductSigns((0, 0), 1, 3, 0)) == (
        "the products at (0, 0) are 0 negative, 4 positive and 0 zero"
    )


def test_sum_cancels():
    p = Problem([[2, 2, 5]], [[1, -1]])  # products 2, −2 then 2, −5
    assert holds(p, SumCancels((0, 0)))
    assert reason(p, SumCancels((0, 1))) == "the products at (0, 1) add up to -3"
    # a kernel of zeros gives 0 without anything to cancel
    assert "positive" in reason(Problem([[2, 2]], [[0, 0]]), SumCancels((0, 0)))


# ----- sizes and options ----------------------------------------------------------------------


def test_counts():
    # 6 rows, a 3-row kernel, stride 2: windows start at rows 0 and 2, the last covers 2..4,
    # and row 5 is left over
    p = Problem([[0] * 6] * 6, [[1] * 3] * 3, stride=2)
    assert holds(p, Count(1, "unused-rows"))
    assert holds(p, Count(1, "unused-columns"))
    assert holds(p, Count(4, "result-pixels"))
    assert holds(p, Count(2, "positions-across"))
    assert holds(p, Count(9, "products"))
    assert reason(p, Count(2, "unused-rows")) == "there are 1 unused-rows, not 2"
    # [1, 2] gives 1+4 = 5 and 2+6 = 8; flipped, [2, 1] gives 4 and 7: both change
    q = Problem([[1, 2, 3]], [[1, 2]])
    assert holds(q, Count(2, "flip-changes", 2))
    assert not holds(q, Count(2, "flip-changes", 3))
    assert holds(Problem([[1, 1, 1]], [[1, 2]]), Count(0, "flip-changes", 2))  # none of the 2


def test_shape_and_too_large():
    assert holds(p_problem(), Shape(2, 2))
    assert holds(p_problem(padding=1), Shape(5, 5, "padded"))
    assert not holds(p_problem(padding=1), Shape(2, 2))  # (3 + 2 − 2) + 1 = 4 per side
    big = Problem([[0] * 20] * 20, [[1] * 3] * 3)
    assert holds(big, TooLarge(16))
    assert not holds(p_problem(), TooLarge(16))


def test_padding():
    # 'same' with stride 2 on 8 pixels and 3 taps: (4 − 1)·2 + 3 − 8 = 1, all at the end
    p = Problem([[0] * 8] * 8, [[1] * 3] * 3, padding="same", stride=2)
    assert holds(p, Padding(0, 1, 0, 1, "zeros", "same"))
    explicit = Problem([[0] * 8] * 8, [[1] * 3] * 3, padding=1, stride=2)
    assert holds(explicit, Padding(1, 1, 1, 1))
    assert reason(explicit, Padding(1, 1, 1, 1, spec="same")) == (
        "'same' padding means top 0 bottom 1 left 0 right 1 here"
    )
    assert not holds(explicit, Padding(1, 1, 1, 1, "reflect"))
    full = Problem([[0] * 4] * 4, [[1] * 3] * 3, padding="full", dilation=2)  # 2·(3 − 1) = 4
    assert holds(full, Padding(4, 4, 4, 4, spec="full"))


def test_settings():
    p = p_problem(stride=2)
    assert holds(p, Setting("stride", (2, 2)))
    assert holds(p, Setting("stride", 2))
    assert holds(p, Setting("flip", False))
    assert not holds(p, Setting("flip", True))
    assert not holds(p, Setting("dilation", 2))


# ----- the prelude ----------------------------------------------------------------------------

# Row 0 is 1 2 3 4 5; the kernel's row 0 is (1, −1); with stride 2 the filter sits at
# columns 0 and 2: 1 − 2 = −1 and 3 − 4 = −1. Its column sums are (1 + 2, −1 + 0) = (3, −1).
PRE_IMAGE = [[1, 2, 3, 4, 5], [0, 1, 0, 1, 0]]
PRE_KERNEL = [[1, -1], [2, 0]]


def prelude(stride: int = 2, **changes) -> Prelude:
    fields = {"row": 0, "first": 0, "samples": 5, "taps": (1, -1), "source": "row"}
    fields |= {"source_index": 0, "stride": stride} | changes
    return Prelude(**fields)


def test_prelude_comes_from_the_image_and_kernel():
    p = Problem(PRE_IMAGE, PRE_KERNEL, stride=2)
    assert holds(p, prelude())
    assert holds(p, prelude(taps=(3, -1), source="column-sums", source_index=None))
    assert reason(p, prelude(source_index=1)) == "the kernel's row 1 is 2, 0, not 1, -1"
    assert not holds(p, prelude(first=1))  # columns 1..5 leave the image


def test_prelude_sums_and_counts():
    p = Problem(PRE_IMAGE, PRE_KERNEL, stride=2)
    pre = prelude()
    assert verify_claims(
        p,
        [
            pre,
            Extreme(-1, ((0, 0), (0, 1)), of="prelude"),
            AllEqual(-1, 2, "prelude"),
            Count(2, "prelude-positions"),
            Count(5, "prelude-samples"),
            Count(2, "prelude-taps"),
            KernelKind("pattern", "prelude"),
        ],
    ).ok
    # flipped, the taps are applied as (−1, 1): 2 − 1 = 1 and 4 − 3 = 1
    flipped = Problem(PRE_IMAGE, PRE_KERNEL, stride=2, flip=True)
    assert verify_claims(flipped, [pre, Extreme(1, ((0, 0), (0, 1)), of="prelude")]).ok
    assert "no Prelude claim" in reason(p, Extreme(-1, ((0, 0),), of="prelude"))


def test_moves_like_prelude():
    p = Problem(PRE_IMAGE, PRE_KERNEL, stride=2)
    assert verify_claims(p, [prelude(2), MovesLikePrelude(2)]).ok
    # a prelude that slid one sample at a time does not move as a stride-2 filter does
    report = verify_claims(p, [prelude(1), MovesLikePrelude(1)])
    assert report.failures[0].reason == "the filter moves 2 columns at a time, not 1"


# ----- the API --------------------------------------------------------------------------------


def test_check_raises_naming_the_claim():
    with pytest.raises(ClaimError, match=r"the claim Extreme\(value=3.* is 6, not 3$"):
        check(Problem(*SPIKE), [Extreme(3, ((0, 0), (0, 2)), by="magnitude")])
    assert issubclass(ClaimError, ExplainerError)
    assert check(Problem(*SPIKE), [Range(-6, 3)]).summary == "1 of 1 claim holds"


def test_beats_name_the_beat_and_share_the_prelude():
    p = Problem(PRE_IMAGE, PRE_KERNEL, stride=2)
    beats = [
        ("one-dimension.signal", [prelude(1)]),
        ("one-dimension.best", [Extreme(-1, ((0, 0), (0, 1), (0, 2), (0, 3)), of="prelude")]),
        ("operation.slide", [Setting("stride", 2), MovesLikePrelude(1)]),
    ]
    report = verify_beats(p, beats)
    assert report.summary == "3 of 4 claims hold"
    assert [r.beat for r in report.failures] == ["operation.slide"]
    with pytest.raises(ClaimError, match="beat 'operation.slide' claims MovesLikePrelude"):
        check_beats(p, beats)


def test_one_pass_per_problem():
    p = p_problem()
    first = result_values(p)
    assert first == {(0, 0): 4, (0, 1): -4, (1, 0): -4, (1, 1): 2}
    from explainer.lessons import verifier

    assert verifier._plain_of(p) is verifier._plain_of(p)


def test_floats_are_read_as_their_decimals():
    p = Problem([[0.1, 0.2]], [[1.0, 1.0]])
    assert holds(p, Value((0, 0), F(3, 10)))  # 1/10 + 2/10, not 0.30000000000000004


# ----- the verifier against scipy -------------------------------------------------------------


@st.composite
def problems(draw):
    h, w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    mode = draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"]))
    cap = {"zeros": 2, "reflect": min(h, w) - 1, "replicate": 2, "circular": min(h, w)}[mode]
    pad = draw(st.tuples(*[st.integers(0, max(cap, 0))] * 4))
    dil = draw(st.tuples(st.integers(1, 2), st.integers(1, 2)))
    ph, pw = h + pad[0] + pad[1], w + pad[2] + pad[3]
    kh = draw(st.integers(1, max(1, min(4, (ph - 1) // dil[0] + 1))))
    kw = draw(st.integers(1, max(1, min(4, (pw - 1) // dil[1] + 1))))
    numbers = st.integers(-4, 4)
    image = draw(st.lists(st.lists(numbers, min_size=w, max_size=w), min_size=h, max_size=h))
    kernel = draw(st.lists(st.lists(numbers, min_size=kw, max_size=kw), min_size=kh, max_size=kh))
    stride = draw(st.tuples(st.integers(1, 3), st.integers(1, 3)))
    flip = draw(st.booleans())
    normalize = draw(st.sampled_from([None, "area", "sum"]))
    if normalize == "sum" and sum(map(sum, kernel)) == 0:
        normalize = None
    return Problem(
        image,
        kernel,
        stride=stride,
        padding=pad,
        padding_mode=mode,
        dilation=dil,
        flip=flip,
        normalize=normalize,
    )


def scipy_sums(p: Problem) -> np.ndarray:
    """The sums of products by scipy.signal.correlate2d: the padded image (numpy's pad), the
    kernel spread out by the dilation with zeros between, then every stride-th sum."""
    top, bottom, left, right = p.padding
    np_mode = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}
    image = np.array(p.image.tolist(), dtype=np.int64)
    padded = np.pad(image, ((top, bottom), (left, right)), mode=np_mode[p.padding_mode])
    kernel = np.array(p.kernel.tolist(), dtype=np.int64)
    if p.flip:
        kernel = kernel[::-1, ::-1]
    (dh, dw), (sh, sw) = p.dilation, p.stride
    spread = np.zeros(((kernel.shape[0] - 1) * dh + 1, (kernel.shape[1] - 1) * dw + 1), np.int64)
    spread[::dh, ::dw] = kernel
    return correlate2d(padded, spread, mode="valid")[::sh, ::sw]


@settings(max_examples=300)
@given(problems())
def test_the_verifier_agrees_with_scipy(p):
    sums = scipy_sums(p)
    oh, ow = sums.shape
    kernel = p.kernel.tolist()
    divisor = {None: 1, "area": p.kernel.size, "sum": sum(map(sum, kernel))}[p.normalize]
    values = {(i, j): F(int(sums[i, j]), divisor) for i in range(oh) for j in range(ow)}
    top = max(values.values())
    low = min(values.values())
    claims = [Shape(oh, ow)]
    claims += [Value(pos, v) for pos, v in values.items()]
    claims += [Value((i, j), int(sums[i, j]), "sum") for i in range(oh) for j in range(ow)]
    claims += [
        Extreme(top, tuple(sorted(q for q, v in values.items() if v == top))),
        Extreme(low, tuple(sorted(q for q, v in values.items() if v == low)), "smallest"),
        Range(low, top),
        Count(oh * ow, "result-pixels"),
    ]
    report = verify_claims(p, claims)
    assert report.ok, [str(r) for r in report.failures[:3]]
    # and a value off by one is caught
    (i, j), v = next(iter(values.items()))
    assert not holds(p, Value((i, j), v + 1))
