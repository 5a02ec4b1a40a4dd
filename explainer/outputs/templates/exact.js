/* The page's own exact engine, for the playground: rational numbers as pairs of BigInts,
   always reduced, and a 2D convolution with the semantics of explainer's Python engine
   (core/geometry.py, core/problem.py, core/engine.py): padding "valid", "same" (the odd extra
   row or column at the bottom or right), "full", one number, a pair (rows, columns) or four
   sides (top, bottom, left, right); padding modes zeros, reflect, replicate, circular (numpy's
   constant, reflect, edge, wrap); stride and dilation per axis; flip (the kernel rotated by
   180°); normalize none, "area" (the kernel's element count) or "sum" (the kernel's exact sum).
   No floating point touches a value: shapes and indices are small integers, every value is a
   BigInt fraction. A refused problem throws ProblemError with one sentence, as Python does.
   A browser test checks this engine against Python's exact path on hundreds of problems. */
(function () {
  "use strict";
  const MINUS = "\u2212";

  class ProblemError extends Error {}

  // ----- exact rationals ---------------------------------------------------------------------

  function gcd(a, b) {
    if (a < 0n) a = -a;
    if (b < 0n) b = -b;
    while (b) [a, b] = [b, a % b];
    return a;
  }

  /* n/d reduced, with a positive denominator. */
  function Q(n, d) {
    n = BigInt(n);
    d = d === undefined ? 1n : BigInt(d);
    if (d === 0n) throw new ProblemError("division by zero");
    if (d < 0n) { n = -n; d = -d; }
    const g = gcd(n, d);
    return g > 1n ? { n: n / g, d: d / g } : { n, d };
  }
  const ZERO = Q(0), ONE = Q(1);
  const add = (a, b) => Q(a.n * b.d + b.n * a.d, a.d * b.d);
  const sub = (a, b) => Q(a.n * b.d - b.n * a.d, a.d * b.d);
  const mul = (a, b) => Q(a.n * b.n, a.d * b.d);
  const div = (a, b) => Q(a.n * b.d, a.d * b.n);
  const cmp = (a, b) => { const x = a.n * b.d - b.n * a.d; return x > 0n ? 1 : x < 0n ? -1 : 0; };
  const abs = (a) => (a.n < 0n ? { n: -a.n, d: a.d } : a);
  const isZero = (a) => a.n === 0n;

  /* As a learner writes it exactly: "7/9", "-1" (ASCII minus, as Python's str(Fraction)),
     or with the reader's minus sign. */
  function str(a, minus) {
    const s = a.d === 1n ? `${a.n}` : `${a.n}/${a.d}`;
    return minus ? s.replace("-", minus) : s;
  }

  /* A typed number: an integer, a fraction (1/3, -2/5) or a decimal (0.25, -.5, 1.5/2),
     with "-", "+" or the minus sign U+2212, converted exactly. Throws with what is wrong. */
  const NUMBER = /^([+\-\u2212]?)(\d+(?:\.\d*)?|\.\d+)(?:\/(\d+(?:\.\d*)?|\.\d+))?$/;
  function decimal(text) {
    const [whole, frac = ""] = text.split(".");
    return Q(BigInt((whole || "0") + frac), 10n ** BigInt(frac.length));
  }
  function parse(text) {
    const t = String(text).trim().replace(/\s+/g, "");
    if (t === "") throw new ProblemError("is empty");
    if (t.length > 100) throw new ProblemError("is too long (at most 100 characters)");
    const m = NUMBER.exec(t);
    if (!m) throw new ProblemError(`holds "${String(text).trim()}", which is not a number`);
    let q = decimal(m[2]);
    if (m[3] !== undefined) {
      const d = decimal(m[3]);
      if (isZero(d)) throw new ProblemError(`holds "${t}", which divides by zero`);
      q = div(q, d);
    }
    return m[1] ? Q(m[1] === "+" ? q.n : -q.n, q.d) : q;
  }

  /* Two significant digits, as the page writes an unreadable fraction (Python's
     short_decimal: '.2g', or six decimals where .2g would need an exponent), rounded
     exactly, half to even. */
  function roundTo(a, places) { // a · 10^places rounded half-even to an integer, as BigInt
    let n = a.n, d = a.d;
    if (places >= 0) n *= 10n ** BigInt(places); else d *= 10n ** BigInt(-places);
    const neg = n < 0n;
    if (neg) n = -n;
    let q = n / d;
    const r2 = (n % d) * 2n;
    if (r2 > d || (r2 === d && q % 2n === 1n)) q += 1n;
    return neg ? -q : q;
  }
  function fixed(a, places) {
    const q = roundTo(a, places);
    const neg = q < 0n;
    let digits = (neg ? -q : q).toString().padStart(places + 1, "0");
    let out = places > 0 ? `${digits.slice(0, -places)}.${digits.slice(-places)}` : digits;
    if (out.includes(".")) out = out.replace(/0+$/, "").replace(/\.$/, "");
    return (neg ? "-" : "") + out;
  }
  function shortDecimal(a) {
    if (isZero(a)) return "0";
    const m = abs(a);
    let e = m.n.toString().length - m.d.toString().length; // 10^e ≤ m < 10^(e+1), up to one
    if (cmp(m, e >= 0 ? Q(10n ** BigInt(e)) : Q(1n, 10n ** BigInt(-e))) < 0) e -= 1;
    let digits = roundTo(m, 1 - e);
    if (digits >= 100n) e += 1; // 9.96 → 10
    if (e < -4 || e >= 2) return fixed(a, 6);
    return fixed(a, Math.max(0, 1 - e));
  }
  const MAX_SHOWN_DENOMINATOR = 64n;
  /* A value as a cell shows it: exact while readable (denominator ≤ 64), else two
     significant digits; with the reader's minus sign. */
  function display(a) {
    const s = a.d === 1n || a.d <= MAX_SHOWN_DENOMINATOR ? str(a) : shortDecimal(a);
    return s.replace("-", MINUS);
  }

  // ----- geometry: where the kernel slides, from the shapes alone ----------------------------

  function pair(value, name) {
    const items = Array.isArray(value) ? value : [value];
    if (!items.length || items.some((v) => !Number.isInteger(v))) {
      throw new ProblemError(`${name} must be one integer or a pair (rows, columns)`);
    }
    const out = items.length === 1 ? [items[0], items[0]] : items;
    if (out.length !== 2) throw new ProblemError(`${name} must be one integer or a pair (rows, columns)`);
    if (Math.min(...out) < 1) throw new ProblemError(`${name} must be at least 1 on each axis`);
    return out;
  }

  const ceilDiv = (a, b) => Math.floor((a + b - 1) / b); // small positive integers: exact

  /* Padding as (top, bottom, left, right), as core/geometry.py's resolve_padding. */
  function resolvePadding(padding, [h, w], [kh, kw], [sh, sw], [dh, dw]) {
    if (typeof padding === "string") {
      const word = padding.toLowerCase();
      if (word === "valid") return [0, 0, 0, 0];
      if (word === "full") return [dh * (kh - 1), dh * (kh - 1), dw * (kw - 1), dw * (kw - 1)];
      if (word === "same") {
        const sides = [];
        for (const [n, k, s, d] of [[h, kh, sh, dh], [w, kw, sw, dw]]) {
          const total = Math.max((ceilDiv(n, s) - 1) * s + d * (k - 1) + 1 - n, 0);
          sides.push(Math.floor(total / 2), total - Math.floor(total / 2));
        }
        return sides;
      }
      throw new ProblemError(`unknown padding "${padding}"; use valid, same, full or numbers`);
    }
    const items = Array.isArray(padding) ? padding : [padding];
    if (items.some((v) => !Number.isInteger(v))) throw new ProblemError("padding must be whole numbers");
    if (items.some((v) => v < 0)) throw new ProblemError("padding cannot be negative");
    if (items.length === 1) return [items[0], items[0], items[0], items[0]];
    if (items.length === 2) return [items[0], items[0], items[1], items[1]];
    if (items.length === 4) return items.slice();
    throw new ProblemError("padding takes one number, a pair (rows, columns) or four sides");
  }

  const MODES = ["zeros", "reflect", "replicate", "circular"];

  /* The checked geometry of a problem, as core/geometry.py's plan_geometry. */
  function plan(imageShape, kernelShape, opts) {
    const [h, w] = imageShape, [kh, kw] = kernelShape;
    if (!(h >= 1 && w >= 1 && kh >= 1 && kw >= 1)) throw new ProblemError("the image and the kernel need at least one row and one column");
    const stride = pair(opts.stride ?? 1, "stride");
    const dilation = pair(opts.dilation ?? 1, "dilation");
    const mode = opts.padding_mode ?? "zeros";
    if (!MODES.includes(mode)) throw new ProblemError(`unknown padding mode "${mode}"; choose one of ${MODES.join(", ")}`);
    const pad = resolvePadding(opts.padding ?? 0, [h, w], [kh, kw], stride, dilation);
    const [top, bottom, left, right] = pad;
    const padded = [h + top + bottom, w + left + right];
    const sides = `(${pad.join(", ")})`;
    if (mode === "reflect" && (Math.max(top, bottom) >= h || Math.max(left, right) >= w)) {
      throw new ProblemError(`reflect padding must be smaller than the image (${h}×${w}); got ${sides}`);
    }
    if (mode === "circular" && (Math.max(top, bottom) > h || Math.max(left, right) > w)) {
      throw new ProblemError(`circular padding can be at most the image size (${h}×${w}); got ${sides}`);
    }
    const span = [dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1];
    const what = pad.some((p) => p) ? "padded image" : "image";
    for (const axis of [0, 1]) {
      if (span[axis] > padded[axis]) {
        const dil = dilation[axis] > 1 ? ` with dilation ${dilation[axis]}, spanning ${span[axis]}` : "";
        throw new ProblemError(
          `the kernel (${kh}×${kw})${dil} is ${axis ? "wider" : "taller"} than the ${what} ` +
          `(${padded[0]}×${padded[1]}); use a smaller kernel, more padding, or padding 'full'`);
      }
    }
    const output = [0, 1].map((a) => Math.floor((padded[a] - span[a]) / stride[a]) + 1);
    return { image: [h, w], kernel: [kh, kw], stride, dilation, padding: pad, mode, padded, span, output };
  }

  /* The image row (or column) a padded index reads, by the padding mode (numpy's rules). */
  function source(i, n, mode) {
    if (i >= 0 && i < n) return i;
    if (mode === "zeros") return -1;
    if (mode === "replicate") return i < 0 ? 0 : n - 1;
    if (mode === "circular") return ((i % n) + n) % n;
    return i < 0 ? -i : 2 * (n - 1) - i; // reflect, about the edge pixel (padding < n)
  }

  // ----- the convolution ---------------------------------------------------------------------

  function lcmOf(values) {
    let l = 1n;
    for (const v of values) l = (l / gcd(l, v.d)) * v.d;
    return l;
  }

  /* Convolve exact values (arrays of rows of rationals) with options as Python's Problem
     takes them: stride, padding, padding_mode, dilation, flip, normalize. Returns the
     geometry, the padded image (with its mask), the kernel as applied, the divisor and the
     output; steps are computed on request by patch(). */
  function conv2d(image, kernel, opts) {
    opts = opts || {};
    const g = plan([image.length, image[0] ? image[0].length : 0], [kernel.length, kernel[0] ? kernel[0].length : 0], opts);
    const normalize = opts.normalize == null || opts.normalize === "none" ? null : opts.normalize;
    if (!(normalize === null || normalize === "area" || normalize === "sum")) {
      throw new ProblemError(`unknown normalization "${normalize}"; choose none, area or sum`);
    }
    const [h, w] = g.image, [kh, kw] = g.kernel;
    const applied = opts.flip ? kernel.slice().reverse().map((row) => row.slice().reverse()) : kernel;
    let divisor = ONE;
    if (normalize === "area") divisor = Q(kh * kw);
    if (normalize === "sum") {
      divisor = kernel.flat().reduce(add, ZERO);
      if (isZero(divisor)) {
        throw new ProblemError("the kernel's elements sum to 0, so it cannot be normalized by its sum; use normalize none or area");
      }
    }
    const [top, , left] = g.padding;
    const mask = [];
    const padded = [];
    for (let r = 0; r < g.padded[0]; r++) {
      const sr = source(r - top, h, g.mode);
      const row = [], mrow = [];
      for (let c = 0; c < g.padded[1]; c++) {
        const sc = source(c - left, w, g.mode);
        row.push(sr < 0 || sc < 0 ? ZERO : image[sr][sc]);
        mrow.push(!(r - top >= 0 && r - top < h && c - left >= 0 && c - left < w));
      }
      padded.push(row);
      mask.push(mrow);
    }
    // Integers over one denominator each, summed exactly, divided once (as the Python path).
    const D1 = lcmOf(image.flat()), D2 = lcmOf(kernel.flat());
    const A = padded.map((row) => row.map((v) => v.n * (D1 / v.d)));
    const B = applied.map((row) => row.map((v) => v.n * (D2 / v.d)));
    const scale = mul(Q(D1 * D2), divisor);
    const [sh, sw] = g.stride, [dh, dw] = g.dilation;
    const output = [];
    let largest = 0n; // the largest product in size, over D1·D2 (for the colour scale)
    for (let i = 0; i < g.output[0]; i++) {
      const row = [];
      for (let j = 0; j < g.output[1]; j++) {
        let s = 0n;
        for (let m = 0; m < kh; m++) {
          const a = A[i * sh + m * dh];
          for (let n = 0; n < kw; n++) {
            const p = a[j * sw + n * dw] * B[m][n];
            s += p;
            if (p > largest) largest = p;
            else if (-p > largest) largest = -p;
          }
        }
        row.push(Q(s * scale.d, scale.n));
      }
      output.push(row);
    }
    const result = {
      geometry: g, padded, mask, kernel: applied, given: kernel, divisor, normalize, output,
      largestProduct: Q(largest, D1 * D2),
    };
    /* One output pixel's arithmetic: its taps on the padded grid, the patch, the products,
       their sum and the value (the sum divided by the divisor). */
    result.patch = function (i, j) {
      const taps = [], patch = [], products = [], pad = [];
      let sum = ZERO;
      for (let m = 0; m < kh; m++) {
        for (let n = 0; n < kw; n++) {
          const r = i * sh + m * dh, c = j * sw + n * dw;
          const x = padded[r][c], p = mul(x, applied[m][n]);
          taps.push([r, c]); patch.push(x); products.push(p); pad.push(mask[r][c]);
          sum = add(sum, p);
        }
      }
      return { taps, patch, products, pad, weights: applied.flat(), sum, value: div(sum, divisor) };
    };
    return result;
  }

  /* For the agreement test: many problems given as JSON (values as strings), each answered
     with its result as reduced fraction strings, or with the sentence that refuses it. */
  function solve(problems) {
    return problems.map((p) => {
      try {
        const image = p.image.map((row) => row.map(parse));
        const kernel = p.kernel.map((row) => row.map(parse));
        return { output: conv2d(image, kernel, p).output.map((row) => row.map((v) => str(v))) };
      } catch (e) {
        if (e instanceof ProblemError) return { error: e.message };
        return { crash: String(e && e.stack || e) };
      }
    });
  }

  window.explainerExact = {
    ProblemError, Q, ZERO, ONE, add, sub, mul, div, cmp, abs, isZero, str, parse, display,
    shortDecimal, plan, resolvePadding, conv2d, solve, MINUS,
  };
})();
