/* Speaker notes for slides (the lecture's page and the board lessons' pages): the script's
   sentence, the next one and a clock, in a second window the presenter keeps on their own
   screen, whose keys drive the slides. The page gives the colours and the words; this only
   opens the window and writes them. */
function speakerNotes(look, onKey) {
  "use strict";
  let win = null, start = null;
  const page = () => `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Speaker notes</title>
<style>
body{margin:0;padding:1.4rem 1.8rem;background:${look.background};color:${look.ink};
font-family:${look.font};line-height:1.4}
#where{color:${look.muted};display:flex;justify-content:space-between;font-size:1.1rem}
#section{color:${look.accent};font-weight:600}
#now{font-size:2rem;margin:1rem 0 1.6rem}
#next-label{color:${look.muted};font-size:1rem;text-transform:uppercase;letter-spacing:.08em}
#next{color:${look.muted};font-size:1.35rem;margin:.3rem 0}
#clock{font-variant-numeric:tabular-nums}
</style></head><body>
<div id="where"><span id="section"></span><span><span id="count"></span> · <span id="clock">0:00</span></span></div>
<p id="now"></p><div id="next-label">Next</div><p id="next"></p>
</body></html>`;
  const open = () => !!(win && !win.closed);

  setInterval(() => {
    if (!open() || start === null) return;
    const seconds = Math.floor((Date.now() - start) / 1000);
    const node = win.document.getElementById("clock");
    if (node) node.textContent = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
  }, 1000);

  return {
    /* Opens the window; false when the browser blocks it. */
    open() {
      win = window.open("", "explainer-notes", "width=820,height=520");
      if (!win) return false;
      win.document.open();
      win.document.write(page());
      win.document.close();
      win.document.addEventListener("keydown", onKey);
      start = Date.now();
      return true;
    },
    /* Writes the section, the count and the two sentences, when the window is open. */
    show(words) {
      if (!open()) return;
      for (const [id, text] of Object.entries(words)) {
        const node = win.document.getElementById(id);
        if (node) node.textContent = text;
      }
    },
  };
}
