/* The playground: the learner changes the problem and the page recomputes every number with
   its own exact engine (exact.js). Everything said here is computed here, exactly: the
   output size with its formula, the largest and smallest values and where they are, one
   output pixel's patch, products and sum. The narrated lesson stays the page's own problem,
   and the playground says so. Bad input gives one sentence in the page, never an exception. */
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("lesson-data").textContent);
  const P = D.playground;
  const LIM = P.limits;
  const E = window.explainerExact;
  const G = window.explainerPage;
  const $ = (id) => document.getElementById(id);
  const body = document.body;
  const MINUS = E.MINUS;
  const minus = (s) => s.replace("-", MINUS);

  let image = [], kernel = []; // the cells as typed, rows of strings
  let result = null; // the last computation, while the input is good
  let chosen = [0, 0]; // the output pixel whose arithmetic is shown
  let views = {};
  let shownKey = null; // the problem on show
  let magnitude = 1; // the colour scale's: the largest value in size, products included

  // ----- the colour language of the lesson (present/palette.py), for the cells' fill ------
  const POSITIVE = [0xe0, 0x82, 0x14], ZERO = [0xf7, 0xf7, 0xf7], NEGATIVE = [0x21, 0x66, 0xac];
  const FLOOR = 0.35;
  const toFloat = (q) => { const x = Number(q.n) / Number(q.d); return Number.isFinite(x) ? x : Math.sign(Number(q.n)); };
  function colour(q, magnitude) {
    let t = Math.max(-1, Math.min(1, toFloat(q) / magnitude));
    if (t !== 0) t = Math.sign(t) * (FLOOR + (1 - FLOOR) * Math.sqrt(Math.abs(t)));
    const to = t >= 0 ? POSITIVE : NEGATIVE;
    const rgb = ZERO.map((x, k) => Math.round(x + (to[k] - x) * Math.abs(t)));
    const lin = (c) => { const x = c / 255; return x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; };
    const lum = 0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2]);
    const ink = (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) ? "#000000" : "#ffffff";
    return ["#" + rgb.map((x) => x.toString(16).padStart(2, "0")).join(""), ink];
  }

  // ----- the words ------------------------------------------------------------------------
  const TYPE = "write an integer (−3), a fraction (1/3) or a decimal (0.25)";
  $("pg-note").textContent =
    `The narrated lesson (its captions, speech and slides) is for the problem this page was built for: ${D.problem}. ` +
    "Here the page computes your problem itself, exactly, with fractions (nothing rounded), and states only what it computes." +
    (P.cut.length ? ` It starts from the page's problem cut to the playground's limits (${P.cut.join(", ")}).` : "");
  $("pg-limits").textContent =
    `Limits: image up to ${LIM.image}×${LIM.image}, kernel up to ${LIM.kernel}×${LIM.kernel}, ` +
    `stride and dilation 1 to ${LIM.stride}, padding 0 to ${LIM.padding} on a side, padded image and result at most ` +
    `${LIM.grid}×${LIM.grid}. A cell takes an integer (−3), a fraction (1/3) or a decimal (0.25, kept exact); ` +
    "a value whose denominator is over 64 is written with two significant digits, its exact value on hover and for screen readers.";

  // The colours' legend: the same words as the lesson's, and the numbers are written too.
  (function legend() {
    const L = D.legend, box = $("pg-legend");
    const items = [[L.swatches.positive, `${L.words.positive}: > 0`], [L.swatches.zero, `${L.words.zero}: 0`],
      [L.swatches.negative, `${L.words.negative}: < 0`], [null, D.labels.padding, "pad"], [null, D.labels.window, "win"]];
    for (const [colour, text, kind] of items) {
      const item = document.createElement("span");
      item.className = "pg-key";
      const sw = document.createElement("span");
      sw.className = "swatch" + (kind ? " " + kind : "");
      if (colour) sw.style.background = colour;
      item.append(sw, text);
      box.append(item);
    }
  })();

  class InputError extends Error {
    constructor(message, input) { super(message); this.input = input; }
  }

  // ----- the editors -------------------------------------------------------------------------
  function resized(rows, r, c) {
    const out = [];
    for (let i = 0; i < r; i++) {
      out.push([]);
      for (let j = 0; j < c; j++) out[i].push(rows[i] && rows[i][j] !== undefined ? rows[i][j] : "0");
    }
    return out;
  }

  function buildEditor(box, rows, name) {
    box.textContent = "";
    box.style.gridTemplateColumns = `repeat(${rows[0].length}, auto)`;
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", `${name} values, ${rows.length} by ${rows[0].length}`);
    rows.forEach((row, i) => row.forEach((v, j) => {
      const input = document.createElement("input");
      input.type = "text";
      input.className = "pg-cell";
      input.value = minus(v);
      input.spellcheck = false;
      input.setAttribute("autocapitalize", "off");
      input.setAttribute("aria-label", `${name} row ${i}, column ${j}`);
      input.dataset.r = i;
      input.dataset.c = j;
      input.addEventListener("input", () => { rows[i][j] = input.value; compute(); });
      box.append(input);
    }));
  }

  function whole(id, least, most, what) {
    const input = $(id);
    const t = input.value.trim();
    const v = Number(t);
    if (!/^\d+$/.test(t) || v < least || v > most) {
      throw new InputError(`${what} must be a whole number from ${least} to ${most}.`, input);
    }
    return v;
  }

  function shapes() {
    const l = LIM;
    const ir = whole("pg-image-rows", 1, l.image, "The image's rows");
    const ic = whole("pg-image-cols", 1, l.image, "The image's columns");
    const kr = whole("pg-kernel-rows", 1, l.kernel, "The kernel's rows");
    const kc = whole("pg-kernel-cols", 1, l.kernel, "The kernel's columns");
    if (ir !== image.length || ic !== image[0].length) {
      image = resized(image, ir, ic);
      buildEditor($("pg-image"), image, "image");
    }
    if (kr !== kernel.length || kc !== kernel[0].length) {
      kernel = resized(kernel, kr, kc);
      buildEditor($("pg-kernel"), kernel, "kernel");
    }
  }

  function options() {
    const l = LIM;
    const padding = $("pg-padding").value;
    $("pg-sides").hidden = padding !== "sides";
    const sides = ["top", "bottom", "left", "right"];
    return {
      stride: [whole("pg-stride-rows", 1, l.stride, "The stride on rows"), whole("pg-stride-cols", 1, l.stride, "The stride on columns")],
      dilation: [whole("pg-dilation-rows", 1, l.dilation, "The dilation on rows"), whole("pg-dilation-cols", 1, l.dilation, "The dilation on columns")],
      padding: padding === "sides"
        ? sides.map((s) => whole(`pg-pad-${s}`, 0, l.padding, `The padding at the ${s}`))
        : padding,
      padding_mode: $("pg-mode").value,
      flip: $("pg-flip").checked,
      normalize: $("pg-normalize").value,
    };
  }

  function values(rows, box, name) {
    const inputs = box.querySelectorAll("input");
    return rows.map((row, i) => row.map((text, j) => {
      try {
        return E.parse(text);
      } catch (e) {
        if (!(e instanceof E.ProblemError)) throw e;
        throw new InputError(`${name} row ${i}, column ${j} ${e.message}; ${TYPE}.`, inputs[i * row.length + j]);
      }
    }));
  }

  // ----- computing and showing -----------------------------------------------------------------
  function compute() {
    for (const node of document.querySelectorAll("#playground [aria-invalid]")) node.removeAttribute("aria-invalid");
    try {
      shapes();
      const opts = options();
      const x = values(image, $("pg-image"), "Image");
      const w = values(kernel, $("pg-kernel"), "Kernel");
      // The same problem again ("change" after "input"): nothing to redraw, focus kept.
      const key = JSON.stringify([image, kernel, opts]);
      if (result && key === shownKey) return;
      const res = E.conv2d(x, w, opts);
      const [ph, pw] = res.geometry.padded, [oh, ow] = res.geometry.output;
      if (Math.max(ph, pw, oh, ow) > LIM.grid) {
        throw new E.ProblemError(`the padded image would be ${ph}×${pw} and the result ${oh}×${ow}; the playground draws grids of at most ${LIM.grid}×${LIM.grid}`);
      }
      result = res;
      shownKey = key;
      if (chosen[0] >= oh || chosen[1] >= ow) chosen = [0, 0];
      say("");
      show();
    } catch (e) {
      result = null;
      body.classList.add("pg-refused");
      if (e instanceof InputError) {
        say(e.message);
        if (e.input) e.input.setAttribute("aria-invalid", "true");
      } else if (e instanceof E.ProblemError) {
        say(sentence(e.message));
      } else {
        say(`The page could not compute this problem (${e && e.message}).`);
      }
    }
  }

  const sentence = (s) => s.charAt(0).toUpperCase() + s.slice(1).replace(/\.?$/, ".");
  function say(text) {
    $("pg-message").textContent = text;
    $("pg-message").hidden = !text;
    if (!text) body.classList.remove("pg-refused");
  }

  function cells(rows, scale, pads) {
    const out = [];
    rows.forEach((row, r) => row.forEach((q, c) => {
      const [fill, ink] = colour(q, scale);
      const cell = [E.display(q), minus(E.str(q)), fill, ink];
      if (pads && pads[r][c]) cell.push("pad");
      out.push(cell);
    }));
    return out;
  }

  function labels(n, first) {
    return Array.from({ length: n }, (_, k) => minus(String(first + k)));
  }

  /* The smallest cell (px) at which the longest number is written at least 11 px high, and
     never under 24 px (WCAG's target size); a grid too wide for its box scrolls inside it. */
  function leastCell(grid) {
    const longest = Math.max(1, ...grid.cells.map((c) => c[0].length));
    const size = Math.min(G.U * 0.42, (G.U * 0.86) / (0.6 * longest));
    return Math.max(24, (11 * G.U) / size);
  }

  function sizeSvg(view, cell) {
    const [w, h] = view.svg.dataset.units.split(" ").map(Number);
    view.svg.setAttribute("width", (w * cell) / G.U);
    view.svg.setAttribute("height", (h * cell) / G.U);
  }

  function show() {
    const res = result, g = res.geometry;
    const all = [...res.padded.flat(), ...res.kernel.flat(), ...res.output.flat(), res.largestProduct];
    const scale = Math.max(...all.map((q) => Math.abs(toFloat(q))), 0) || 1;
    magnitude = scale;
    const [top, bottom, left, right] = g.padding;
    const [h, w] = g.image;
    const padded = {
      rows: g.padded[0], cols: g.padded[1], rowLabels: labels(g.padded[0], -top), colLabels: labels(g.padded[1], -left),
      cells: cells(res.padded, scale, res.mask),
    };
    const applied = { rows: g.kernel[0], cols: g.kernel[1], rowLabels: labels(g.kernel[0], 0), colLabels: labels(g.kernel[1], 0), cells: cells(res.kernel, scale) };
    const out = { rows: g.output[0], cols: g.output[1], rowLabels: labels(g.output[0], 0), colLabels: labels(g.output[1], 0), cells: cells(res.output, scale) };
    const padWords = g.padding.some((p) => p)
      ? `padding top ${top}, bottom ${bottom}, left ${left}, right ${right}, ${g.mode}`
      : "no padding";
    $("pg-padded-caption").textContent = `${g.padding.some((p) => p) ? "Padded image" : "Image"}, ${g.padded[0]}×${g.padded[1]} (${padWords})`;
    $("pg-applied-caption").textContent = res.given !== res.kernel ? `Kernel as applied, rotated 180°, ${g.kernel[0]}×${g.kernel[1]}` : `Kernel, ${g.kernel[0]}×${g.kernel[1]}`;
    const divided = E.cmp(res.divisor, E.ONE) !== 0;
    $("pg-result-caption").textContent = `Result, ${g.output[0]}×${g.output[1]}` +
      (divided ? ` (each sum ÷ ${minus(E.str(res.divisor))})` : "");
    const frame = g.padding.some((p) => p) ? [top, left, top + h - 1, left + w - 1] : null;
    views = {
      padded: paint(views.padded, $("pg-padded"), padded, { frame, name: "padded image" }),
      applied: paint(views.applied, $("pg-applied"), applied, { name: "kernel as applied" }),
      result: paint(views.result, $("pg-result"), out, { name: "result", role: "button" }),
    };
    if (views.result.fresh) {
      views.result.cells.forEach((cell) => {
        const index = [Number(cell.dataset.r), Number(cell.dataset.c)];
        cell.addEventListener("click", () => choose(index, false));
      });
    }
    fit();
    sizeLines();
    facts();
    choose(chosen, false);
  }

  /* Draw a grid; when only its values changed, write them into the cells already drawn, so
     that a keystroke makes no new elements (a 32×32 grid redrawn costs a tenth of a second). */
  function paint(old, svg, grid, opts) {
    const size = G.fontSize(grid.cells);
    const shape = JSON.stringify([grid.rows, grid.cols, grid.rowLabels, grid.colLabels,
      grid.cells.map((c) => c[4] || ""), opts.frame || null, size >= G.U * 0.2]);
    if (!old || old.shape !== shape || old.svg !== svg) {
      const view = G.drawGrid(svg, grid, opts);
      view.shape = shape;
      view.fresh = true;
      view.parts = view.cells.map((g) => [g.querySelector("rect.fill"), g.querySelector("text"), g.querySelector("title")]);
      return view;
    }
    old.cells.forEach((g, k) => {
      const cell = grid.cells[k], [fill, text, title] = old.parts[k];
      const r = Math.floor(k / grid.cols), c = k % grid.cols;
      const [colour, ink] = G.colours(cell);
      fill.setAttribute("fill", colour);
      text.setAttribute("fill", ink);
      if (text.classList.contains("sign")) {
        text.textContent = cell[0].startsWith(MINUS) ? MINUS : cell[0] === "0" ? "0" : "+";
      } else {
        text.textContent = cell[0];
        text.setAttribute("font-size", size);
      }
      title.textContent = cell[1];
      g.dataset.label = G.cellLabel(opts.name, grid, r, c, cell);
      g.setAttribute("aria-label", g.dataset.label);
    });
    old.grid = grid;
    old.fresh = false;
    return old;
  }

  let outputWidth = 0; // #pg-output's width when last measured
  let gaps = null; // between the grids, side by side (from the style sheet, read once)
  /* Cell sizes from the width of the output's box: measured when asked (the box resized, the
     playground opened), else as last measured, so that a keystroke forces no layout. */
  function fit(measure) {
    if (!result) return;
    if (measure || !outputWidth) outputWidth = $("pg-output").clientWidth;
    const W = outputWidth;
    if (!W) return;
    const list = [views.padded, views.applied, views.result];
    const least = list.map((v) => leastCell(v.grid));
    const units = list.map((v) => Number(v.svg.dataset.units.split(" ")[0]) / G.U);
    if (gaps === null) gaps = 2 * parseFloat(getComputedStyle($("pg-output").querySelector(".pg-grids")).columnGap || 0);
    const row = (W - gaps - 24) / units.reduce((a, b) => a + b, 0); // the three side by side
    list.forEach((v, k) => {
      const alone = (W - 8) / units[k];
      const cell = row >= Math.max(...least) ? Math.min(row, 52) : Math.max(least[k], Math.min(alone, 52));
      sizeSvg(v, cell);
    });
    fitPatch(W);
  }

  function fitPatch(W) {
    for (const id of ["pg-patch-grid", "pg-weights-grid", "pg-products-grid"]) {
      const svg = $(id);
      if (!svg.dataset.units) continue;
      const view = { svg };
      const units = Number(svg.dataset.units.split(" ")[0]) / G.U;
      const cell = Math.max(svg.dataset.least, Math.min(40, (W - 60) / 3 / units));
      sizeSvg(view, cell);
    }
  }

  function mathLine(n, before, after, k, s, d, out) {
    const mn = (v) => `<mn>${v}</mn>`;
    const num = `<mrow>${mn(n)}<mo>+</mo>${mn(before)}<mo>+</mo>${mn(after)}<mo>${MINUS}</mo>${mn(d)}<mo>\u22c5</mo><mo>(</mo>${mn(k)}<mo>${MINUS}</mo>${mn(1)}<mo>)</mo><mo>${MINUS}</mo>${mn(1)}</mrow>`;
    return `<math><msub><mi>n</mi><mi>out</mi></msub><mo>=</mo><mo>\u230a</mo><mfrac>${num}${mn(s)}</mfrac><mo>\u230b</mo><mo>+</mo>${mn(1)}<mo>=</mo>${mn(out)}</math>`;
  }

  function sizeLines() {
    const g = result.geometry, box = $("pg-size");
    box.textContent = "";
    [["rows", 0, 0, 1], ["columns", 1, 2, 3]].forEach(([axis, a, b, c]) => {
      const line = document.createElement("div");
      line.className = "axis-line";
      line.dataset.axis = axis;
      const name = document.createElement("span");
      name.className = "axis-name";
      name.textContent = axis;
      const math = document.createElement("span");
      math.innerHTML = mathLine(g.image[a], g.padding[b], g.padding[c], g.kernel[a], g.stride[a], g.dilation[a], g.output[a]);
      line.append(name, math);
      box.append(line);
    });
  }

  function where(list) {
    const shown = list.slice(0, 8).map(([i, j]) => `(${i}, ${j})`).join(", ");
    const more = list.length > 8 ? `, and ${list.length - 8} more` : "";
    return list.length === 1 ? `at ${shown}` : `at ${list.length} positions: ${shown}${more}`;
  }

  function facts() {
    const out = result.output, box = $("pg-facts");
    box.textContent = "";
    const flat = [];
    out.forEach((row, i) => row.forEach((q, j) => flat.push([q, i, j])));
    let hi = flat[0][0], lo = flat[0][0];
    for (const [q] of flat) { if (E.cmp(q, hi) > 0) hi = q; if (E.cmp(q, lo) < 0) lo = q; }
    const at = (v) => flat.filter(([q]) => E.cmp(q, v) === 0).map(([, i, j]) => [i, j]);
    const count = (s) => flat.filter(([q]) => E.cmp(q, E.ZERO) === s).length;
    const lines = [`Result ${out.length}×${out[0].length}: ${flat.length} value${flat.length > 1 ? "s" : ""}, ` +
      `${count(1)} positive, ${count(0)} zero, ${count(-1)} negative.`];
    if (E.cmp(hi, lo) === 0) lines.push(`Every value is ${minus(E.str(hi))}.`);
    else {
      lines.push(`Largest value ${minus(E.str(hi))}, ${where(at(hi))}.`);
      lines.push(`Smallest value ${minus(E.str(lo))}, ${where(at(lo))}.`);
    }
    for (const text of lines) {
      const li = document.createElement("li");
      li.textContent = text;
      box.append(li);
    }
  }

  /* "3 of 9 taps", "all 9 taps", "its one tap": as the page's own steps say it. */
  const ofTaps = (n, total) => total === 1 ? "its one tap" : n === total ? `all ${total} taps` : `${n} of ${total} taps`;

  const term = (q, first) => { const s = minus(E.str(q)); return !first && q.n < 0n ? `(${s})` : s; };

  /* Show one output pixel's arithmetic; move the keyboard's stop to its cell. */
  function choose(index, focus) {
    if (!result) return;
    chosen = index;
    const g = result.geometry, [i, j] = index;
    const s = result.patch(i, j);
    views.result.cells.forEach((cell) => {
      const on = Number(cell.dataset.r) === i && Number(cell.dataset.c) === j;
      cell.classList.toggle("focus", on);
      cell.setAttribute("tabindex", on ? "0" : "-1");
      cell.setAttribute("aria-pressed", String(on));
    });
    if (focus) views.result.cells[i * g.output[1] + j].focus();
    G.clearWindows(views.padded);
    const box = [i * g.stride[0], j * g.stride[1], i * g.stride[0] + g.span[0] - 1, j * g.stride[1] + g.span[1] - 1];
    const dilated = g.dilation[0] > 1 || g.dilation[1] > 1;
    G.drawWindow(views.padded, box, "focus", dilated ? s.taps : null);
    const [top, , left] = g.padding;
    const rows = s.taps.map(([r]) => r - top), cols = s.taps.map(([, c]) => c - left);
    const inPad = s.pad.filter(Boolean).length;
    $("pg-patch-title").textContent = `Output pixel (${i}, ${j})`;
    $("pg-where").textContent = `Window on image rows ${minus(String(Math.min(...rows)))}..${minus(String(Math.max(...rows)))}, ` +
      `columns ${minus(String(Math.min(...cols)))}..${minus(String(Math.max(...cols)))}` +
      (inPad ? `; ${ofTaps(inPad, s.taps.length)} in the padding` : "");
    const [kh, kw] = g.kernel;
    const small = (values, pads) => ({ rows: kh, cols: kw, rowLabels: [], colLabels: [], cells: cells(chunk(values, kw), magnitude, pads ? chunk(pads, kw) : null) });
    for (const [id, grid, name] of [["pg-patch-grid", small(s.patch, s.pad), "patch"], ["pg-weights-grid", small(s.weights), "kernel"], ["pg-products-grid", small(s.products), "products"]]) {
      const view = G.drawGrid($(id), grid, { numbered: false, name });
      view.svg.dataset.least = leastCell(grid);
    }
    fitPatch(outputWidth);
    const sum = s.products.map((p, k) => term(p, k === 0)).join(" + ");
    const divided = E.cmp(result.divisor, E.ONE) !== 0;
    const what = result.normalize === "area" ? "the kernel's area" : "the kernel's sum";
    const n = s.products.length;
    const total = minus(E.str(s.sum));
    $("pg-sum").textContent = `Sum of the ${n} product${n > 1 ? "s" : ""}: ${sum} = ${total}` + (divided
      ? `. Divided by ${what}, ${minus(E.str(result.divisor))}: ${total} ÷ ${term(result.divisor, false)} = ${minus(E.str(s.value))}, the value at (${i}, ${j}).`
      : `, the value at (${i}, ${j}).`);
  }

  const chunk = (list, n) => Array.from({ length: list.length / n }, (_, r) => list.slice(r * n, r * n + n));

  // keyboard: the result is one tab stop; arrows move the chosen pixel
  $("pg-result").addEventListener("keydown", (event) => {
    if (!result) return;
    const moves = { ArrowRight: [0, 1], ArrowLeft: [0, -1], ArrowDown: [1, 0], ArrowUp: [-1, 0] };
    const [oh, ow] = result.geometry.output;
    let [r, c] = chosen;
    if (moves[event.key]) {
      r = Math.max(0, Math.min(oh - 1, r + moves[event.key][0]));
      c = Math.max(0, Math.min(ow - 1, c + moves[event.key][1]));
    } else if (event.key === "Home") [r, c] = [0, 0];
    else if (event.key === "End") [r, c] = [oh - 1, ow - 1];
    else if (event.key !== "Enter" && event.key !== " ") return;
    event.preventDefault();
    choose([r, c], true);
  });

  // ----- the problem the page was built for, and the controls ---------------------------------
  function reset() {
    image = P.image.map((row) => row.slice());
    kernel = P.kernel.map((row) => row.slice());
    $("pg-image-rows").value = image.length;
    $("pg-image-cols").value = image[0].length;
    $("pg-kernel-rows").value = kernel.length;
    $("pg-kernel-cols").value = kernel[0].length;
    $("pg-stride-rows").value = P.stride[0];
    $("pg-stride-cols").value = P.stride[1];
    $("pg-dilation-rows").value = P.dilation[0];
    $("pg-dilation-cols").value = P.dilation[1];
    const sides = typeof P.padding === "string" ? [0, 0, 0, 0] : P.padding;
    $("pg-padding").value = typeof P.padding === "string" ? P.padding : sides.some((p) => p) ? "sides" : "valid";
    ["top", "bottom", "left", "right"].forEach((s, k) => { $(`pg-pad-${s}`).value = sides[k]; });
    $("pg-mode").value = P.mode;
    $("pg-flip").checked = P.flip;
    $("pg-normalize").value = P.normalize;
    buildEditor($("pg-image"), image, "image");
    buildEditor($("pg-kernel"), kernel, "kernel");
    chosen = [0, 0];
    compute();
  }

  const limits = { "image-rows": "image", "image-cols": "image", "kernel-rows": "kernel", "kernel-cols": "kernel",
    "stride-rows": "stride", "stride-cols": "stride", "dilation-rows": "dilation", "dilation-cols": "dilation" };
  for (const [id, key] of Object.entries(limits)) $(`pg-${id}`).max = LIM[key];
  for (const s of ["top", "bottom", "left", "right"]) $(`pg-pad-${s}`).max = LIM.padding;
  $("pg-options").addEventListener("input", compute);
  $("pg-options").addEventListener("change", compute);
  $("pg-form").addEventListener("submit", (e) => e.preventDefault());
  $("pg-reset").addEventListener("click", reset);

  function open(on) {
    G.setPlaying(on);
    if (on) {
      if (!image.length) reset();
      fit(true);
      $("pg-heading").focus();
    } else {
      $("play-button").focus();
    }
  }
  $("play-button").addEventListener("click", () => open(!body.classList.contains("playing")));
  $("pg-back").addEventListener("click", () => open(false));
  new ResizeObserver(() => { if (body.classList.contains("playing")) fit(true); }).observe($("pg-output"));
  window.explainerPlayground = { open, reset, compute };
  if (window.location.hash === "#try") open(true); // a link straight to the playground
})();
