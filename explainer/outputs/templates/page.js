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
  let notesWindow = null;
  let notesStart = null;
  let filterBox = null; // where the one-dimensional filter lies on the signal

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
    const cells = [];
    grid.cells.forEach((cell, k) => {
      const r = Math.floor(k / grid.cols);
      const c = k % grid.cols;
      const g = el("g", { class: "cell", "data-r": r, "data-c": c }, svg);
      const x = m + c * U;
      const y = m + r * U;
      el("rect", { class: "fill", x, y, width: U, height: U, fill: cell[2] }, g);
      if (cell[4] === "pad") {
        g.classList.add("pad");
        el("rect", { class: "padmark", x: x + 4, y: y + 4, width: U - 8, height: U - 8 }, g);
      }
      if (writeNumbers) {
        const t = el("text", {
          x: x + U / 2, y: y + U / 2, "text-anchor": "middle", "dominant-baseline": "central",
          "font-size": size, fill: cell[3],
        }, g);
        t.textContent = cell[0];
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
  const views = {
    image: drawGrid($("image-grid"), D.image, { frame, numbers: D.pixelwise }),
    kernel: drawGrid($("kernel-grid"), D.kernel),
    result: drawGrid($("result-grid"), D.result, { numbers: D.pixelwise }),
  };
  if (D.kernelGiven) views.given = drawGrid($("given-grid"), D.kernelGiven);
  if (D.prelude) {
    views.signal = drawGrid($("signal-grid"), D.prelude.signal, { rowNumbers: false });
    views.preludeFilter = drawGrid($("prelude-filter-grid"), D.prelude.filter, { numbered: false });
    views.sums = drawGrid($("sums-grid"), D.prelude.sums, { rowNumbers: false });
  }

  // legend: the lesson's colour bar with the result's extremes and zero marked
  (function legend() {
    const L = D.legend;
    const box = $("legend");
    const svg = el("svg", { class: "bar", viewBox: "0 0 120 260", width: 84, height: 182 }, box);
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
      [L.bands[0], `${L.words.positive}: > 0`],
      [L.bands[Math.floor(L.bands.length / 2)], `${L.words.zero}: 0`],
      [L.bands[L.bands.length - 1], `${L.words.negative}: < 0`],
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
  }
  for (const eq of D.equivalents) {
    const box = document.createElement("div");
    box.className = "equivalent";
    box.dataset.library = eq.library;
    const h = document.createElement("h4");
    h.textContent = eq.library;
    const pre = document.createElement("pre");
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
    drawGrid($("patch-grid"), smallGrid(s.patch, s.pad), { numbered: false });
    drawGrid($("weights-grid"), D.kernel, { numbered: false });
    drawGrid($("products-grid"), smallGrid(s.products), { numbered: false });
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
    der.style.fontSize = "";
    fitDetail();
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
      g.classList.toggle("hidden", !(show || keep.has(key)));
    });
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
    if (beat.view === "prelude") renderPrelude(beat);
    else renderGrids(beat);
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
      const period = Math.max(120, Math.min(600, 6000 / beat.steps.length));
      const tick = () => {
        clearWindows(views.image);
        const [i, j] = beat.steps[k % beat.steps.length];
        const s = stepAt(i, j);
        drawWindow(views.image, s.box, "", s.taps);
        markCells(views.result, [[i, j]], "focus");
        k += 1;
      };
      tick();
      timer = setInterval(tick, period);
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
      timer = setInterval(tick, 600);
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
    if (body.dataset.view === "grids") {
      const shapes = [views.image, views.kernel, views.result].map((v) => units(v.svg));
      const legend = $("legend").offsetWidth + 24;
      const operators = 2 * 56;
      const totalW = shapes.reduce((a, s) => a + s.w, 0);
      let kernelH = shapes[1].h;
      if (views.given) kernelH = kernelH * 2 + 40;
      const maxH = Math.max(shapes[0].h, kernelH, shapes[2].h);
      const scale = Math.min((W - legend - operators - 40) / totalW, (H - label - 8) / maxH);
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
    for (const id of ["patch-grid", "weights-grid", "products-grid"]) {
      const svg = $(id);
      const s = units(svg);
      if (!s.w) continue;
      const scale = Math.min(each / s.w, 3.2);
      svg.setAttribute("width", s.w * scale);
      svg.setAttribute("height", s.h * scale);
    }
    // A long derivation is set smaller rather than cut off at the panel's edge.
    const der = $("derivation");
    if (der.scrollWidth > der.clientWidth + 1) {
      const now = parseFloat(getComputedStyle(der).fontSize);
      der.style.fontSize = `${Math.max(9, (now * der.clientWidth) / der.scrollWidth)}px`;
    }
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

  const NOTES_PAGE = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Speaker notes</title>
<style>
body{margin:0;padding:1.4rem 1.8rem;background:${D.colours.background};color:${D.colours.ink};
font-family:"Inter","Segoe UI","DejaVu Sans",Arial,sans-serif;line-height:1.4}
#where{color:${D.colours.muted};display:flex;justify-content:space-between;font-size:1.1rem}
#section{color:${D.colours.accent};font-weight:600}
#now{font-size:2rem;margin:1rem 0 1.6rem}
#next-label{color:${D.colours.muted};font-size:1rem;text-transform:uppercase;letter-spacing:.08em}
#next{color:${D.colours.muted};font-size:1.35rem;margin:.3rem 0}
#clock{font-variant-numeric:tabular-nums}
</style></head><body>
<div id="where"><span id="section"></span><span><span id="count"></span> · <span id="clock">0:00</span></span></div>
<p id="now"></p><div id="next-label">Next</div><p id="next"></p>
</body></html>`;

  function openNotes() {
    notesWindow = window.open("", "explainer-notes", "width=820,height=520");
    if (!notesWindow) {
      body.classList.toggle("inline-notes");
      updateNotes();
      return;
    }
    notesWindow.document.open();
    notesWindow.document.write(NOTES_PAGE);
    notesWindow.document.close();
    notesWindow.document.addEventListener("keydown", onKey);
    notesStart = Date.now();
    updateNotes();
  }

  function clock() {
    if (!notesWindow || notesWindow.closed || notesStart === null) return;
    const seconds = Math.floor((Date.now() - notesStart) / 1000);
    const text = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
    const node = notesWindow.document.getElementById("clock");
    if (node) node.textContent = text;
  }
  setInterval(clock, 1000);

  function updateNotes() {
    const beat = D.beats[current];
    const next = current + 1 < N ? D.beats[current + 1].caption : "";
    $("inline-now").textContent = beat.caption;
    $("inline-next").textContent = next;
    if (!notesWindow || notesWindow.closed) return;
    const doc = notesWindow.document;
    const section = D.sections[beat.section];
    const set = (id, text) => { const n = doc.getElementById(id); if (n) n.textContent = text; };
    set("section", section.title || D.labels.title);
    set("count", `${current + 1} / ${N}`);
    set("now", beat.caption);
    set("next", next);
  }

  // ----- input -----------------------------------------------------------------------------

  function onKey(event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    const onSlider = target && target.id === "slider";
    const onButton = target && target.tagName === "BUTTON";
    const key = event.key;
    if ((key === " " || key === "Enter") && onButton) return;
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
      Escape: () => { pinned = null; setPresent(false); render(); },
    };
    const action = actions[key.length === 1 ? key.toLowerCase() : key];
    if (action) {
      event.preventDefault();
      action();
    }
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

  views.result.cells.forEach((g) => {
    const index = [Number(g.dataset.r), Number(g.dataset.c)];
    g.addEventListener("pointerenter", () => { hovered = index; render(); });
    g.addEventListener("pointerleave", () => { hovered = null; render(); });
    g.addEventListener("click", () => {
      pinned = pinned && pinned[0] === index[0] && pinned[1] === index[1] ? null : index;
      render();
    });
  });

  new ResizeObserver(fit).observe($("stage"));
  window.addEventListener("resize", fit);
  if (body.dataset.start === "present") setPresent(true);
  delete body.dataset.beat;
  render();
  fit();
  body.dataset.ready = "true";
})();
