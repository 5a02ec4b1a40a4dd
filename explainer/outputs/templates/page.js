/* The lesson page. It reads the lesson's data (embedded as JSON) and draws it: every number,
   word and colour comes from that data; this script only lays out and highlights. */
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("lesson-data").textContent);
  const NS = "http://www.w3.org/2000/svg";
  const U = 40; // one cell, in SVG units
  const $ = (id) => document.getElementById(id);
  const body = document.body;
  const N = D.beats.length;

  let current = 0;
  let hovered = null; // [i, j] under the pointer
  let pinned = null; // [i, j] tapped
  let allValues = false;
  let timer = null;
  let filterBox = null; // where the one-dimensional filter lies on the signal
  const reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)");
  let paused = reduceMotion.matches; // the moving window: stopped for who asked for less motion
  let tab = null; // on a phone, the grid in view: "image", "kernel" or "result"
  let chosenTab = null; // ... as the learner chose it for this beat
  const phone = window.matchMedia("(max-width: 640px)");

  // ----- drawing grids ---------------------------------------------------------------------

  function el(tag, attrs, parent) {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (parent) parent.appendChild(node);
    return node;
  }

  function fontSize(cells) {
    let longest = 1;
    for (const cell of cells) longest = Math.max(longest, cell[0].length);
    return Math.min(U * 0.42, (U * 0.86) / (0.6 * longest));
  }

  /* A border cell is drawn dimmed: its colour mixed with the page's background (60 % of
     the colour), and its number in black or white, whichever contrasts more with that mix
     (WCAG's relative luminance), so that it stays at least 4.5:1. */
  function hexRgb(hex) { return [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16)); }
  function inkOn(rgb) {
    const lin = (c) => { const x = c / 255; return x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; };
    const lum = 0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2]);
    return (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) ? "#000000" : "#ffffff";
  }
  function colours(cell) {
    if (cell[4] !== "pad") return [cell[2], cell[3]];
    const bg = hexRgb(D.colours.background);
    const rgb = hexRgb(cell[2]).map((x, k) => Math.round(bg[k] + (x - bg[k]) * 0.6));
    return ["#" + rgb.map((x) => x.toString(16).padStart(2, "0")).join(""), inkOn(rgb)];
  }

  function cellLabel(name, grid, r, c, cell) {
    return `${name} row ${grid.rowLabels[r] ?? r}, column ${grid.colLabels[c] ?? c}: ` +
      cell[1] + (cell[4] === "pad" ? ` (${D.labels.padding})` : "");
  }

  /* A grid of values as SVG cells; returns the cells, indexed row-major, and where the
     cells start, for the windows drawn over them. */
  function drawGrid(svg, grid, opts) {
    opts = opts || {};
    svg.textContent = "";
    const numbered = opts.numbered !== false;
    const rowNumbers = numbered && opts.rowNumbers !== false;
    const m = numbered ? U * 0.95 : 3;
    const width = m + grid.cols * U + 4;
    const height = m + grid.rows * U + 4;
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.dataset.units = `${width} ${height}`;
    const size = fontSize(grid.cells);
    const writeNumbers = opts.numbers !== false && size >= U * 0.2;
    const name = opts.name || "";
    svg.setAttribute("role", "group");
    svg.setAttribute("aria-label", `${name}, ${grid.rows} by ${grid.cols}`);
    const cells = [];
    grid.cells.forEach((cell, k) => {
      const r = Math.floor(k / grid.cols);
      const c = k % grid.cols;
      const g = el("g", { class: "cell", "data-r": r, "data-c": c }, svg);
      // Each cell names its value and position (row and column as numbered on the grid).
      g.dataset.label = cellLabel(name, grid, r, c, cell);
      g.setAttribute("role", opts.role || "img");
      g.setAttribute("aria-label", g.dataset.label);
      if (opts.role === "button") g.setAttribute("tabindex", "-1");
      const x = m + c * U;
      const y = m + r * U;
      const [fill, ink] = colours(cell);
      el("rect", { class: "fill", x, y, width: U, height: U, fill }, g);
      if (cell[4] === "pad") {
        g.classList.add("pad");
        el("rect", { class: "padmark", x: x + 4, y: y + 4, width: U - 8, height: U - 8 }, g);
      }
      if (writeNumbers) {
        const t = el("text", {
          x: x + U / 2, y: y + U / 2, "text-anchor": "middle", "dominant-baseline": "central",
          "font-size": size, fill: ink,
        }, g);
        t.textContent = cell[0];
      } else {
        // Too small for the numbers: the sign still shows in more than colour.
        const sign = cell[0].startsWith("−") ? "−" : cell[0] === "0" ? "0" : "+";
        const t = el("text", {
          x: x + U / 2, y: y + U / 2, "text-anchor": "middle", "dominant-baseline": "central",
          "font-size": U * 0.55, fill: ink, class: "sign",
        }, g);
        t.textContent = sign;
      }
      const title = el("title", {}, g);
      title.textContent = cell[1];
      cells.push(g);
    });
    if (numbered) {
      const s = Math.min(U * 0.36, (U * 0.9) / (0.6 * Math.max(...grid.colLabels.map((t) => t.length), 2)));
      grid.colLabels.forEach((label, c) => {
        const t = el("text", { class: "axis", x: m + c * U + U / 2, y: m - 8, "text-anchor": "middle", "font-size": s }, svg);
        t.textContent = label;
      });
      if (rowNumbers) grid.rowLabels.forEach((label, r) => {
        const t = el("text", { class: "axis", x: m - 8, y: m + r * U + U / 2, "text-anchor": "end", "dominant-baseline": "central", "font-size": s }, svg);
        t.textContent = label;
      });
    }
    if (opts.frame) {
      const [r0, c0, r1, c1] = opts.frame;
      el("rect", { class: "frame", x: m + c0 * U, y: m + r0 * U, width: (c1 - c0 + 1) * U, height: (r1 - r0 + 1) * U }, svg);
    }
    const overlay = el("g", { class: "overlay" }, svg);
    return { svg, cells, m, overlay, grid };
  }

  function clearWindows(view) { view.overlay.textContent = ""; }

  function drawWindow(view, box, cls, taps) {
    const [r0, c0, r1, c1] = box;
    el("rect", {
      class: "window " + (cls || ""), x: view.m + c0 * U + 1.5, y: view.m + r0 * U + 1.5,
      width: (c1 - c0 + 1) * U - 3, height: (r1 - r0 + 1) * U - 3,
    }, view.overlay);
    if (taps) {
      for (const [r, c] of taps) {
        el("rect", { class: "window tap " + (cls || ""), x: view.m + c * U + 6, y: view.m + r * U + 6, width: U - 12, height: U - 12 }, view.overlay);
      }
    }
  }

  // ----- the page's fixed parts ------------------------------------------------------------

  for (const node of document.querySelectorAll("[data-label]")) {
    node.textContent = D.labels[node.dataset.label] || "";
  }
  $("title").textContent = D.labels.title;
  $("problem").textContent = D.problem;
  $("card-title").textContent = D.labels.title;
  $("card-subtitle").textContent = D.labels.subtitle;
  $("card-problem").textContent = D.problem;
  $("kernel-caption").textContent = D.flip ? D.labels["filter-rotated"] : D.labels.filter;
  if (D.flip) body.classList.add("flip");

  const imageMask = D.image.cells.map((c) => c[4] === "pad");
  const inside = [];
  imageMask.forEach((pad, k) => { if (!pad) inside.push([Math.floor(k / D.image.cols), k % D.image.cols]); });
  const frame = imageMask.some((p) => p)
    ? [Math.min(...inside.map((p) => p[0])), Math.min(...inside.map((p) => p[1])),
       Math.max(...inside.map((p) => p[0])), Math.max(...inside.map((p) => p[1]))]
    : null;
  const L = D.labels;
  const views = {
    image: drawGrid($("image-grid"), D.image, { frame, numbers: D.pixelwise, name: L.image }),
    kernel: drawGrid($("kernel-grid"), D.kernel, { name: D.flip ? `${L.filter}, ${L["filter-rotated"]}` : L.filter }),
    result: drawGrid($("result-grid"), D.result, { numbers: D.pixelwise, name: L.result, role: "button" }),
  };
  if (D.kernelGiven) views.given = drawGrid($("given-grid"), D.kernelGiven, { name: L["filter-as-given"] });
  if (D.prelude) {
    views.signal = drawGrid($("signal-grid"), D.prelude.signal, { rowNumbers: false, name: L.signal });
    views.preludeFilter = drawGrid($("prelude-filter-grid"), D.prelude.filter, { numbered: false, name: L.filter });
    views.sums = drawGrid($("sums-grid"), D.prelude.sums, { rowNumbers: false, name: L.sums });
  }
  $("tab-image").textContent = L.image;
  $("tab-kernel").textContent = L.filter;
  $("tab-result").textContent = L.result;

  // legend: the lesson's colour bar with the result's extremes and zero marked
  (function legend() {
    const L = D.legend;
    const box = $("legend");
    const svg = el("svg", { class: "bar", viewBox: "0 0 120 260", width: 84, height: 182, "aria-hidden": "true" }, box);
    const h = 240, top = 10;
    L.bands.forEach((colour, k) => {
      el("rect", { x: 4, y: top + (k * h) / L.bands.length, width: 26, height: h / L.bands.length + 0.6, fill: colour }, svg);
    });
    el("rect", { x: 4, y: top, width: 26, height: h, fill: "none", stroke: D.colours.muted, "stroke-width": 1.5 }, svg);
    for (const [label, at] of L.ticks) {
      const y = top + at * h;
      el("rect", { x: 31, y: y - 1, width: 9, height: 2, fill: D.colours.ink }, svg);
      const t = el("text", { x: 44, y, "dominant-baseline": "central", "font-size": 17, fill: D.colours.ink }, svg);
      t.textContent = label;
    }
    const words = document.createElement("div");
    words.className = "words";
    const items = [
      [L.swatches.positive, `${L.words.positive}: > 0`],
      [L.swatches.zero, `${L.words.zero}: 0`],
      [L.swatches.negative, `${L.words.negative}: < 0`],
    ];
    for (const [colour, text] of items) {
      const line = document.createElement("div");
      const sw = document.createElement("span");
      sw.className = "swatch";
      sw.style.background = colour;
      line.append(sw, text);
      words.append(line);
    }
    if (frame) {
      const line = document.createElement("div");
      const sw = document.createElement("span");
      sw.className = "swatch pad";
      line.append(sw, D.labels.padding);
      words.append(line);
    }
    const line = document.createElement("div");
    const sw = document.createElement("span");
    sw.className = "swatch win";
    line.append(sw, D.labels.window);
    words.append(line);
    box.append(words);
  })();

  // formulas and the equivalent calls
  $("formula").innerHTML = D.formula;
  $("detail-formula").innerHTML = D.formula;
  $("detail-problem").textContent = D.problem;
  $("general-formula").innerHTML = D.generalFormula;
  for (const text of D.labels.symbols.split("; ")) {
    const li = document.createElement("li");
    li.textContent = text;
    $("symbols").append(li);
  }
  $("stage-formula").innerHTML = D.formula;
  for (const text of D.labels.symbols.split("; ")) {
    const li = document.createElement("li");
    li.textContent = text;
    $("stage-symbols").append(li);
  }
  $("stage-size-formula").innerHTML = D.sizeFormula;
  $("size-formula").innerHTML = D.sizeFormula;
  for (const text of D.labels["size-symbols"].split("; ")) {
    const li = document.createElement("li");
    li.textContent = text;
    $("size-symbols").append(li);
  }
  for (const line of D.sizeLines) {
    const row = document.createElement("div");
    row.className = "axis-line";
    const name = document.createElement("span");
    name.className = "axis-name";
    name.textContent = line.axis;
    const math = document.createElement("span");
    math.innerHTML = line.math;
    row.append(name, math);
    $("size-lines").append(row);
    $("stage-size-lines").append(row.cloneNode(true));
  }
  for (const eq of D.equivalents) {
    const box = document.createElement("div");
    box.className = "equivalent";
    box.dataset.library = eq.library;
    const h = document.createElement("h3");
    h.textContent = eq.library;
    const pre = document.createElement("pre");
    pre.tabIndex = 0; // it may scroll sideways: reachable by keyboard
    pre.setAttribute("role", "group");
    pre.setAttribute("aria-label", `${eq.library} code`);
    const code = document.createElement("code");
    code.textContent = eq.code;
    pre.append(code);
    const ul = document.createElement("ul");
    for (const note of eq.notes) {
      const li = document.createElement("li");
      li.textContent = note;
      ul.append(li);
    }
    box.append(h, pre, ul);
    $("equivalents").append(box);
  }

  // ----- the detail panel: one output pixel's arithmetic ------------------------------------

  const kernelRows = D.kernel.rows, kernelCols = D.kernel.cols;
  function smallGrid(cells, pad) {
    return {
      rows: kernelRows, cols: kernelCols, rowLabels: [], colLabels: [],
      cells: cells.map((c, k) => (pad && pad[k] ? c.concat(["pad"]) : c)),
    };
  }

  function stepAt(i, j) { return D.steps[i * D.result.cols + j]; }

  function showDetail(index, level) {
    const panel = $("detail");
    panel.classList.remove("level1", "level2", "level3");
    body.classList.toggle("detail-open", Boolean(index));
    if (!index) {
      panel.classList.remove("has-focus");
      panel.dataset.focus = "";
      return;
    }
    const s = stepAt(index[0], index[1]);
    panel.classList.add("has-focus", "level" + level);
    panel.dataset.focus = index.join(",");
    $("detail-title").textContent = `${D.labels["output-pixel"]} (${index[0]}, ${index[1]})`;
    $("detail-where").textContent = s.where;
    drawGrid($("patch-grid"), smallGrid(s.patch, s.pad), { numbered: false, name: D.labels.patch });
    drawGrid($("weights-grid"), D.kernel, { numbered: false, name: D.labels.filter });
    drawGrid($("products-grid"), smallGrid(s.products), { numbered: false, name: D.labels.products });
    const sum = $("detail-sum");
    sum.textContent = "";
    // As written in the cells (a short decimal past readable fractions); exact on hover.
    const parts = [`${D.labels.sum}: `, ["b", s.sum]];
    if (D.divides) parts.push(` ÷ ${D.divisor}`);
    parts.push(` → ${D.labels.value}: `, ["b", s.value, "detail-value"]);
    for (const part of parts) {
      if (typeof part === "string") sum.append(part);
      else {
        const b = document.createElement("b");
        b.textContent = part[1][0];
        b.title = part[1][1];
        if (part[2]) b.id = part[2];
        sum.append(b);
      }
    }
    const der = $("derivation");
    der.textContent = "";
    for (const [lhs, rhs] of s.math || []) {
      const a = document.createElement("span");
      a.className = "lhs";
      a.innerHTML = lhs;
      const b = document.createElement("span");
      b.className = "rhs";
      b.innerHTML = rhs;
      der.append(a, b);
    }
    placeSheet(index);
    fitDetail();
  }

  /* On a phone a tapped cell's arithmetic opens as a sheet over the page, on the half of the
     screen away from the cell, so that the cell stays in view beside it. */
  function placeSheet(index) {
    const sheet = Boolean(pinned && index && phone.matches);
    body.classList.toggle("sheet", sheet);
    if (!sheet) return;
    const g = views.result.cells[index[0] * D.result.cols + index[1]];
    const box = g.getBoundingClientRect();
    body.classList.toggle("sheet-top", box.top + box.height / 2 > window.innerHeight / 2);
  }

  // ----- one beat ----------------------------------------------------------------------------

  function markCells(view, list, cls) {
    for (const g of view.cells) g.classList.remove(cls);
    for (const [i, j] of list) {
      const g = view.cells[i * view.grid.cols + j];
      if (g) g.classList.add(cls);
    }
  }

  function revealResult(beat) {
    const show = allValues || beat.revealed === "all";
    const keep = new Set(show ? [] : beat.revealed.map((p) => p.join(",")));
    if (hovered) keep.add(hovered.join(","));
    if (pinned) keep.add(pinned.join(","));
    views.result.cells.forEach((g, k) => {
      const key = `${Math.floor(k / D.result.cols)},${k % D.result.cols}`;
      setHidden(g, !(show || keep.has(key)));
    });
  }

  function setHidden(g, hidden) {
    g.classList.toggle("hidden", hidden);
    const label = g.dataset.label;
    g.setAttribute("aria-label", hidden ? label.replace(/:[^:]*$/, ": " + D.labels.hidden) : label);
  }

  function focusIndex(beat) {
    return pinned || hovered || beat.focus;
  }

  function drawFocus(beat) {
    const index = focusIndex(beat);
    const own = index && !pinned && !hovered;
    markCells(views.result, index ? [index] : [], "focus");
    showDetail(index, own ? beat.detail : 3);
    return index;
  }

  function render() {
    const beat = D.beats[current];
    if (timer) { clearInterval(timer); timer = null; }
    if (body.classList.contains("playing")) return; // the playground is in view, not the lesson
    body.dataset.view = beat.view;
    body.dataset.beat = String(current);
    body.dataset.key = beat.key;
    const section = D.sections[beat.section];
    $("section-title").textContent = section.title || D.labels.title;
    $("caption").textContent = beat.caption;
    $("counter").textContent = `${current + 1} / ${N}`;
    $("slider").value = String(current);
    $("prev").disabled = current === 0;
    $("next").disabled = current === N - 1;
    tab = chosenTab || beat.tab || "image";
    body.dataset.tab = tab;
    for (const button of document.querySelectorAll("#tabs button")) {
      button.setAttribute("aria-pressed", String(button.dataset.tab === tab));
    }
    const moving = beat.animate && (beat.view === "prelude" || beat.view === "grids");
    $("pause").disabled = !moving;
    $("pause").textContent = paused ? "Play" : "Pause";
    $("pause").setAttribute("aria-pressed", String(paused));
    if (beat.view === "prelude") renderPrelude(beat);
    else if (beat.view === "grids") renderGrids(beat);
    else showDetail(null);
    updateNotes();
    fit();
  }

  function renderGrids(beat) {
    revealResult(beat);
    markCells(views.result, beat.steps, "pointed");
    const index = drawFocus(beat);
    clearWindows(views.image);
    if (index && (hovered || pinned)) {
      const s = stepAt(index[0], index[1]);
      drawWindow(views.image, s.box, "focus", s.taps);
      return;
    }
    if (beat.animate) {
      let k = 0;
      const n = beat.steps.length;
      const period = Math.max(120, Math.min(600, 6000 / n));
      const fill = beat.fill && !paused && !allValues;
      const tick = () => {
        clearWindows(views.image);
        const [i, j] = beat.steps[k % n];
        const s = stepAt(i, j);
        drawWindow(views.image, s.box, "", s.taps);
        markCells(views.result, [[i, j]], "focus");
        if (fill && k < n) {
          // The first pass writes each value as its window reaches it; later passes keep all.
          beat.steps.forEach(([a, b], q) => {
            setHidden(views.result.cells[a * D.result.cols + b], q > k);
          });
        }
        k += 1;
      };
      tick();
      if (!paused) timer = setInterval(tick, period);
      return;
    }
    for (const [i, j] of beat.steps) {
      const s = stepAt(i, j);
      drawWindow(views.image, s.box, beat.steps.length === 1 ? "focus" : "", s.taps);
    }
  }

  function renderPrelude(beat) {
    const P = D.prelude;
    const shown = new Set(beat.revealed === "all" ? P.windows.map((_, j) => "0," + j) : beat.revealed.map((p) => p.join(",")));
    views.sums.cells.forEach((g, j) => g.classList.toggle("hidden", !shown.has("0," + j)));
    markCells(views.sums, beat.steps, "pointed");
    markCells(views.sums, [], "focus");
    clearWindows(views.signal);
    showDetail(null);
    const boxes = beat.steps.map(([, j]) => P.windows[j]);
    placeFilter(boxes.length ? boxes[0] : null);
    if (beat.animate) {
      let k = 0;
      const tick = () => {
        clearWindows(views.signal);
        const box = boxes[k % boxes.length];
        drawWindow(views.signal, box, "focus");
        placeFilter(box);
        markCells(views.sums, [beat.steps[k % boxes.length]], "focus");
        k += 1;
      };
      tick();
      if (!paused) timer = setInterval(tick, 600);
      return;
    }
    for (const box of boxes) drawWindow(views.signal, box, "focus");
  }

  /* The one-dimensional filter sits under the window it is laid on (centred when none). */
  function placeFilter(box) {
    filterBox = box;
    const figure = $("prelude-filter");
    figure.style.left = "0px";
    if (!box) return;
    const signal = views.signal.svg.getBoundingClientRect();
    const filter = views.preludeFilter.svg.getBoundingClientRect();
    const scale = signal.width / units(views.signal.svg).w;
    if (!scale) return;
    const target = signal.left + (views.signal.m + box[1] * U) * scale;
    const now = filter.left + views.preludeFilter.m * scale;
    figure.style.left = `${target - now}px`;
  }

  function go(k) {
    const next = Math.max(0, Math.min(N - 1, k));
    if (next === current && body.dataset.beat !== undefined) return;
    current = next;
    chosenTab = null;
    render();
  }

  // ----- sizes: grids as large as the stage allows -------------------------------------------

  function units(svg) {
    const [w, h] = (svg.dataset.units || "0 0").split(" ").map(Number);
    return { w, h };
  }

  function fit() {
    const stage = $("stage");
    const W = stage.clientWidth, H = stage.clientHeight;
    if (!W || !H) return;
    const label = parseFloat(getComputedStyle(document.querySelector("figcaption")).fontSize) * 1.6;
    if (body.dataset.view === "grids" && phone.matches) {
      // One grid at a time, as wide as the screen; never below 24 px a cell (WCAG's target
      // size): a larger grid scrolls inside the stage, never the page.
      const v = views[tab] || views.image;
      const s = units(v.svg);
      const most = Math.min((W - 8) / s.w, (window.innerHeight * 0.62 - label) / s.h, 56 / U);
      const scale = Math.max(most, 24.5 / U);
      for (const w of [views.image, views.kernel, views.result, views.given]) {
        if (!w) continue;
        const u = units(w.svg);
        w.svg.setAttribute("width", u.w * scale);
        w.svg.setAttribute("height", u.h * scale);
      }
    } else if (body.dataset.view === "grids") {
      const shapes = [views.image, views.kernel, views.result].map((v) => units(v.svg));
      // On a slide the legend lies under the grids (its height counts), else beside them.
      const under = body.classList.contains("present");
      const legend = under ? 0 : $("legend").offsetWidth + 24;
      const legendH = under ? $("legend").offsetHeight + 12 : 0;
      // A projector's slide with a pixel's arithmetic beside it leaves the filter to that
      // panel (it is drawn there), so that the image and the result stay large.
      const kernelShown = $("kernel-figure").offsetWidth > 0;
      if (!kernelShown) shapes[1] = { w: 0, h: 0 };
      const operators = (kernelShown ? 2 : 1) * 56;
      const totalW = shapes.reduce((a, s) => a + s.w, 0);
      let kernelH = shapes[1].h;
      if (views.given && kernelShown) kernelH = kernelH * 2 + 40;
      const maxH = Math.max(shapes[0].h, kernelH, shapes[2].h);
      const scale = Math.min((W - legend - operators - 40) / totalW, (H - label - legendH - 8) / maxH);
      for (const v of [views.image, views.kernel, views.result, views.given]) {
        if (!v) continue;
        const s = units(v.svg);
        v.svg.setAttribute("width", Math.max(10, s.w * scale));
        v.svg.setAttribute("height", Math.max(10, s.h * scale));
      }
    } else if (body.dataset.view === "prelude" && D.prelude) {
      const s = units(views.signal.svg);
      const scale = Math.min((W - 40) / s.w, (H - 3 * label) / (3 * s.h + 40));
      for (const v of [views.signal, views.preludeFilter, views.sums]) {
        const u = units(v.svg);
        v.svg.setAttribute("width", u.w * scale);
        v.svg.setAttribute("height", u.h * scale);
      }
      placeFilter(filterBox);
    }
    fitDetail();
  }

  function fitDetail() {
    const panel = $("detail");
    const arith = $("arith");
    let W = arith.clientWidth - 12;
    for (const op of arith.querySelectorAll(".operator")) W -= op.offsetWidth + 12;
    if (W <= 0) return;
    const each = W / 3;
    const most = body.classList.contains("present") ? 1.6 : 3.2;
    for (const id of ["patch-grid", "weights-grid", "products-grid"]) {
      const svg = $(id);
      const s = units(svg);
      if (!s.w) continue;
      const scale = Math.min(each / s.w, most);
      svg.setAttribute("width", s.w * scale);
      svg.setAttribute("height", s.h * scale);
    }
    // A long derivation or formula is set smaller rather than cut off at the panel's edge,
    // down to a floor (24 px on a projector); past that it scrolls inside its box.
    shrink($("derivation"));
    shrink($("detail-formula"));
  }

  function shrink(node) {
    node.style.fontSize = "";
    if (node.scrollWidth <= node.clientWidth + 1) return;
    const now = parseFloat(getComputedStyle(node).fontSize);
    const floor = body.classList.contains("present") ? 24 : 14;
    node.style.fontSize = `${Math.max(floor, (now * node.clientWidth) / node.scrollWidth)}px`;
  }

  // ----- presentation mode and speaker notes -------------------------------------------------

  function setPresent(on) {
    body.classList.toggle("present", on);
    $("present-button").setAttribute("aria-pressed", String(on));
    requestAnimationFrame(fit);
  }

  function toggleFullscreen() {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else if (document.documentElement.requestFullscreen) {
      document.documentElement.requestFullscreen().catch(() => {});
    }
  }

  const notes = speakerNotes({
    background: D.colours.background, ink: D.colours.ink, muted: D.colours.muted,
    accent: D.colours.accent, font: '"Inter","Segoe UI","DejaVu Sans",Arial,sans-serif',
  }, (event) => onKey(event));

  function openNotes() {
    if (!notes.open()) body.classList.toggle("inline-notes"); // blocked: under the slide
    updateNotes();
  }

  function updateNotes() {
    const beat = D.beats[current];
    const next = current + 1 < N ? D.beats[current + 1].caption : "";
    $("inline-now").textContent = beat.caption;
    $("inline-next").textContent = next;
    notes.show({
      section: D.sections[beat.section].title || D.labels.title,
      count: `${current + 1} / ${N}`,
      now: beat.caption,
      next,
    });
  }

  // ----- input -----------------------------------------------------------------------------

  function onKey(event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (body.classList.contains("playing")) return; // keys type into the playground
    const target = event.target;
    const onSlider = target && target.id === "slider";
    const onButton = target && target.tagName === "BUTTON";
    const key = event.key;
    if ((key === " " || key === "Enter") && onButton) return;
    if (target && target.closest && target.closest("#result-grid")) {
      if (onCellKey(event)) return;
    }
    if (onSlider && key.startsWith("Arrow")) return; // the slider moves itself
    const actions = {
      ArrowRight: () => go(current + 1), ArrowDown: () => go(current + 1),
      PageDown: () => go(current + 1), " ": () => go(current + 1),
      ArrowLeft: () => go(current - 1), ArrowUp: () => go(current - 1),
      PageUp: () => go(current - 1), Backspace: () => go(current - 1),
      Home: () => go(0), End: () => go(N - 1),
      p: () => setPresent(!body.classList.contains("present")),
      f: toggleFullscreen,
      s: openNotes,
      c: () => body.classList.toggle("no-caption"),
      v: toggleValues,
      k: togglePause,
      Escape: () => { pinned = null; setPresent(false); render(); },
    };
    const action = actions[key.length === 1 ? key.toLowerCase() : key];
    if (action) {
      event.preventDefault();
      action();
    }
  }

  function togglePause() {
    paused = !paused;
    render();
  }

  /* The result is one tab stop; arrows move between its cells, Enter or Space pins one. */
  function onCellKey(event) {
    const g = event.target.closest(".cell");
    if (!g) return false;
    let r = Number(g.dataset.r), c = Number(g.dataset.c);
    const moves = { ArrowRight: [0, 1], ArrowLeft: [0, -1], ArrowDown: [1, 0], ArrowUp: [-1, 0] };
    if (moves[event.key]) {
      r = Math.max(0, Math.min(D.result.rows - 1, r + moves[event.key][0]));
      c = Math.max(0, Math.min(D.result.cols - 1, c + moves[event.key][1]));
      event.preventDefault();
      focusCell(r, c);
      return true;
    }
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      g.dispatchEvent(new MouseEvent("click", { bubbles: true }));
      return true;
    }
    return false;
  }

  function focusCell(r, c) {
    for (const cell of views.result.cells) cell.setAttribute("tabindex", "-1");
    const g = views.result.cells[r * D.result.cols + c];
    g.setAttribute("tabindex", "0");
    g.focus();
  }

  function toggleValues() {
    allValues = !allValues;
    $("values-button").setAttribute("aria-pressed", String(allValues));
    render();
  }

  document.addEventListener("keydown", onKey);
  $("prev").addEventListener("click", () => go(current - 1));
  $("next").addEventListener("click", () => go(current + 1));
  $("slider").max = String(N - 1);
  $("slider").addEventListener("input", (e) => go(Number(e.target.value)));
  $("present-button").addEventListener("click", () => {
    const on = !body.classList.contains("present");
    setPresent(on);
    if (on && !document.fullscreenElement) toggleFullscreen();
    if (!on && document.fullscreenElement) toggleFullscreen();
  });
  $("notes-button").addEventListener("click", openNotes);
  $("values-button").addEventListener("click", toggleValues);
  $("pause").addEventListener("click", togglePause);
  $("detail-close").addEventListener("click", () => { pinned = null; render(); });
  for (const button of document.querySelectorAll("#tabs button")) {
    button.addEventListener("click", () => { chosenTab = button.dataset.tab; render(); });
  }
  reduceMotion.addEventListener("change", () => { paused = reduceMotion.matches; render(); });
  phone.addEventListener("change", () => render());
  views.result.cells[0].setAttribute("tabindex", "0");

  views.result.cells.forEach((g) => {
    const index = [Number(g.dataset.r), Number(g.dataset.c)];
    g.addEventListener("pointerenter", () => { hovered = index; render(); });
    g.addEventListener("pointerleave", () => { hovered = null; render(); });
    g.addEventListener("focus", () => { hovered = index; render(); });
    g.addEventListener("blur", () => { hovered = null; render(); });
    g.addEventListener("click", () => {
      pinned = pinned && pinned[0] === index[0] && pinned[1] === index[1] ? null : index;
      render();
    });
  });

  /* The playground (playground.js) draws its grids as the lesson does; while it is in view,
     the lesson stops moving and leaves the keys alone. */
  function setPlaying(on) {
    body.classList.toggle("playing", on);
    $("play-button").setAttribute("aria-pressed", String(on));
    $("lesson").hidden = on; // one main element at a time
    $("playground").hidden = !on;
    render();
    if (!on) fit();
  }
  window.explainerPage = { drawGrid, drawWindow, clearWindows, cellLabel, colours, fontSize, U, setPlaying };

  new ResizeObserver(fit).observe($("stage"));
  window.addEventListener("resize", fit);
  if (body.dataset.start === "present") setPresent(true);
  delete body.dataset.beat;
  render();
  fit();
  body.dataset.ready = "true";
})();
