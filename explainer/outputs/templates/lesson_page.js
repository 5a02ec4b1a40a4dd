"use strict";
(function () {
  const data = JSON.parse(document.getElementById("data").textContent);
  const $ = (id) => document.getElementById(id);
  const board = $("board"), detail = $("detail");
  const slides = document.body.classList.contains("slides");
  let index = 0;

  $("title").textContent = data.title;
  $("problem").textContent = data.problem;

  // The colour key: the script's words for the colours, beside their swatches.
  for (const name of ["negative", "zero", "positive"]) {
    const [colour, word] = data.legend[name];
    const li = document.createElement("li");
    li.innerHTML = '<span class="swatch" aria-hidden="true"></span>';
    li.firstChild.style.background = colour;
    li.append(`${word}: ${name}`);
    $("colour-key").append(li);
  }

  function cellName(g, r, c, kinds) {
    const cell = g.cells[r * g.cols + c];
    let name = `${g.label}, row ${r}, column ${c}: ${cell[1]}`;
    if (kinds.length) name += ` (${kinds.map((k) => data.markWords[k]).join(", ")})`;
    return name;
  }

  function showDetail(g, r, c) {
    const cell = g.cells[r * g.cols + c];
    detail.textContent = "";
    const head = document.createElement("b");
    head.textContent = `${g.label} (${r}, ${c}) = ${cell[1]}`;
    detail.append(head);
    if (cell[4]) detail.append(`: ${cell[4]}`);
  }

  function makeGrid(key, marks) {
    const g = data.grids[key];
    const kinds = new Map();
    for (const [r, c, kind] of marks || []) {
      const k = r * g.cols + c;
      if (!kinds.has(k)) kinds.set(k, []);
      kinds.get(k).push(kind);
    }
    const fig = document.createElement("figure");
    fig.className = "grid";
    const box = document.createElement("div");
    box.className = "box";
    const table = document.createElement("table");
    table.className = "cells" + (g.cols > 9 || g.cells.some((x) => x[0].length > 3) ? " dense" : "");
    table.setAttribute("role", "grid");
    table.dataset.key = key;
    // The label above the grid names it (a figcaption: a table's caption would widen
    // a narrow grid's columns to the label's length).
    const cap = document.createElement("figcaption");
    cap.id = "label-" + key.replace(/[^A-Za-z0-9_-]/g, "_");
    cap.textContent = g.label;
    table.setAttribute("aria-labelledby", cap.id);
    const body = document.createElement("tbody");
    let first = null;
    for (let r = 0; r < g.rows; r++) {
      const tr = document.createElement("tr");
      for (let c = 0; c < g.cols; c++) {
        const cell = g.cells[r * g.cols + c];
        const td = document.createElement("td");
        const marked = kinds.get(r * g.cols + c) || [];
        td.textContent = cell[0];
        td.style.background = cell[2];
        td.style.color = cell[3];
        td.dataset.r = r;
        td.dataset.c = c;
        td.dataset.exact = cell[1];
        td.setAttribute("role", "gridcell");
        td.setAttribute("aria-label", cellName(g, r, c, marked));
        td.tabIndex = -1;
        for (const k of marked) td.classList.add("m-" + k);
        if (first === null || (marked.length && !first.classList.length)) first = td;
        td.addEventListener("mouseenter", () => showDetail(g, r, c));
        td.addEventListener("focus", () => showDetail(g, r, c));
        td.addEventListener("click", () => td.focus());
        tr.append(td);
      }
      body.append(tr);
    }
    if (first) first.tabIndex = 0;
    table.append(body);
    table.addEventListener("keydown", (e) => moveInGrid(e, table, g));
    box.append(table);
    fig.append(cap, box);
    return fig;
  }

  function moveInGrid(e, table, g) {
    const td = document.activeElement;
    if (!td || td.tagName !== "TD") return;
    let r = +td.dataset.r, c = +td.dataset.c;
    const moves = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
    if (e.key === "Home") c = 0;
    else if (e.key === "End") c = g.cols - 1;
    else if (moves[e.key]) { r += moves[e.key][0]; c += moves[e.key][1]; }
    else return;
    e.preventDefault();
    e.stopPropagation();
    r = Math.max(0, Math.min(g.rows - 1, r));
    c = Math.max(0, Math.min(g.cols - 1, c));
    const next = table.querySelector(`td[data-r="${r}"][data-c="${c}"]`);
    td.tabIndex = -1;
    next.tabIndex = 0;
    next.focus();
  }

  function show(k) {
    index = Math.max(0, Math.min(data.beats.length - 1, k));
    const beat = data.beats[index];
    const section = data.sections[beat.section];
    $("section-title").textContent = section.title || data.title;
    $("counter").textContent = `${index + 1} of ${data.beats.length}`;
    $("caption").textContent = beat.caption;
    const formula = $("formula");
    formula.textContent = "";
    for (const line of beat.formula) {
      const div = document.createElement("div");
      div.textContent = line;
      formula.append(div);
    }
    formula.hidden = !beat.formula.length;
    board.textContent = "";
    for (const key of beat.grids) board.append(makeGrid(key, beat.marks[key]));
    detail.textContent = "";
    const used = new Set(Object.values(beat.marks).flat().map((m) => m[2]));
    const keyList = $("mark-key");
    keyList.textContent = "";
    for (const kind of Object.keys(data.markWords)) {
      if (!used.has(kind)) continue;
      const li = document.createElement("li");
      const sw = document.createElement("span");
      sw.className = "swatch m-" + kind;
      sw.setAttribute("aria-hidden", "true");
      li.append(sw, data.markWords[kind]);
      keyList.append(li);
    }
    keyList.hidden = !used.size;
    updateNotes();
    $("prev").disabled = index === 0;
    $("next").disabled = index === data.beats.length - 1;
    document.body.dataset.beat = beat.key;
    if (history.replaceState) history.replaceState(null, "", "#" + (index + 1));
    fit();
  }

  // Slides only: the largest cells (up to a ninth of the screen's short side) at which the
  // board fits the room left under the sentence (on a phone, the screen's width; the slide
  // scrolls down); never below 26 px, where a grid scrolls in its box.
  function fit() {
    if (!slides) return;
    const most = Math.min(110, Math.min(window.innerWidth, window.innerHeight) / 9);
    let size = most;
    const set = () => board.style.setProperty("--slide-cell", size.toFixed(1) + "px");
    set();
    const wide = (e) => e.scrollWidth > e.clientWidth + 1;
    const over = () => board.scrollHeight > board.clientHeight + 1 || wide(board) ||
      [...board.querySelectorAll(".box")].some(wide);
    while (over() && size > 26) { size = Math.max(26, size * 0.92); set(); }
  }
  if (slides) window.addEventListener("resize", fit);

  // ----- speaker notes (the slides): the script's sentence, the next one, and a clock, in
  // a second window the presenter keeps on their own screen; its keys drive the slides.
  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  const notes = speakerNotes({
    background: css("--bg"), ink: css("--ink"), muted: css("--muted"), accent: css("--accent"),
    font: 'system-ui,-apple-system,"Segoe UI",Roboto,sans-serif',
  }, (e) => onKey(e));

  function openNotes() {
    if (notes.open()) { updateNotes(); return; }
    // blocked: the notes go under the slide instead
    document.body.classList.toggle("inline-notes");
    updateNotes();
    fit(); // the board gives the notes their room
  }

  function updateNotes() {
    if (!slides) return;
    const beat = data.beats[index];
    const next = index + 1 < data.beats.length ? data.beats[index + 1].caption : "";
    $("inline-now").textContent = beat.caption;
    $("inline-next").textContent = next;
    notes.show({
      section: data.sections[beat.section].title || data.title,
      count: `${index + 1} / ${data.beats.length}`,
      now: beat.caption,
      next,
    });
  }

  function onKey(e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const target = e.target;
    if (target && target.tagName === "TD") return; // the grid's own keys
    // On the slides, Space steps too (Shift+Space back), except on a focused button,
    // which Space presses.
    const space = slides && e.key === " " && !(target && target.tagName === "BUTTON");
    if (e.key === "ArrowRight" || e.key === "PageDown" || e.key === "n" || (space && !e.shiftKey)) { show(index + 1); e.preventDefault(); }
    else if (e.key === "ArrowLeft" || e.key === "PageUp" || e.key === "p" || (space && e.shiftKey)) { show(index - 1); e.preventDefault(); }
    else if (e.key === "Home") { show(0); e.preventDefault(); }
    else if (e.key === "End") { show(data.beats.length - 1); e.preventDefault(); }
    else if (slides && (e.key === "s" || e.key === "S")) { openNotes(); e.preventDefault(); }
  }

  $("prev").addEventListener("click", () => show(index - 1));
  $("next").addEventListener("click", () => show(index + 1));
  $("notes-button").addEventListener("click", openNotes);
  document.addEventListener("keydown", onKey);
  const start = parseInt((location.hash || "#1").slice(1), 10);
  show(Number.isFinite(start) ? start - 1 : 0);
})();
