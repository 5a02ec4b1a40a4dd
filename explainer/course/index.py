"""The course's index page and its closing report, from plain data (no rendering here).

The index is one offline HTML file (no script, no font or style from the network) that
links every output of every lesson, with the video's length, the problem's shapes and one
sentence from each lesson's script.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field


@dataclass
class LessonRow:
    """One lesson's line on the index page."""

    id: str
    title: str
    lesson: str
    problem: str
    """The problem described in words (its shapes and options); for a lesson other than
    the convolution, the options the manifest gave."""
    shapes: str
    """``image 9×9 · kernel 3×3 → result 7×7``; for another lesson, its script's own line
    for its problem (``1×9×9 → 3 filters 1×3×3, bias, ReLU → 3×7×7 → …``)."""
    summary: str
    """One sentence of the script (its closing one)."""
    links: list[tuple[str, str]] = field(default_factory=list)
    """(label, path relative to the index) of each output written."""
    duration: float | None = None
    """The video's length in seconds, when there is one."""
    failed: str | None = None
    """The one line saying why the lesson failed."""


STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem;
       padding: 0 1rem; color: #1d2330; background: #fafafa; }
h1 { font-size: 1.8rem; margin-bottom: .2rem; }
.lesson { border-top: 1px solid #ccd; padding: .8rem 0; }
.lesson h2 { font-size: 1.2rem; margin: 0; }
.meta { color: #556; font-size: .9rem; }
.summary { font-style: italic; margin: .3rem 0; }
.links a { margin-right: 1rem; }
.failed { color: #a00; }
"""


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


def index_html(title: str, rows: list[LessonRow]) -> str:
    """The index page of a course.

    >>> page = index_html("C", [LessonRow("x", "X", "convolution", "p", "s", "Done.",
    ...                                   [("video", "x/video.mp4")], 75.0)])
    >>> '<a href="x/video.mp4">video</a> (1:15)' in page
    True
    """
    esc = html.escape
    body = [f"<h1>{esc(title)}</h1>", f'<p class="meta">{_count(len(rows), "lesson")}</p>']
    for row in rows:
        links = []
        for label, path in row.links:
            extra = f" ({_duration(row.duration)})" if label == "video" and row.duration else ""
            links.append(f'<a href="{esc(path, quote=True)}">{esc(label)}</a>{extra}')
        body += [
            f'<section class="lesson" id="{esc(row.id, quote=True)}">',
            f"<h2>{esc(row.title)}</h2>",
            f'<p class="meta">{esc(row.lesson)} lesson · {esc(row.shapes)} · '
            f"{esc(row.problem)}</p>",
            f'<p class="summary">{esc(row.summary)}</p>',
            f'<p class="links">{" ".join(links)}</p>',
        ]
        if row.failed:
            body.append(f'<p class="failed">failed: {esc(row.failed)}</p>')
        body.append("</section>")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def shapes_of(problem) -> str:
    """``image 9×9 · kernel 3×3 → result 7×7``."""

    def shape(dims) -> str:
        return "×".join(str(d) for d in dims)

    return (
        f"image {shape(problem.image.shape)} · kernel {shape(problem.kernel.shape)} → "
        f"result {shape(problem.output_shape)}"
    )


STAGES = ("script", "voice", "part", "join", "page", "slides", "handout", "worksheet", "derivation")
STAGE_WORDS = {
    "script": ("script verified", "scripts verified"),
    "voice": ("sentence", "sentences"),
    "part": ("part", "parts"),
    "slides": ("slide deck", "slide decks"),
    "join": ("join", "joins"),
}


def _count(n: int, one: str, many: str | None = None) -> str:
    """``1 lesson``, ``2 lessons``."""
    return f"{n} {one if n == 1 else many or one + 's'}"


def plan_line(title: str, lessons: int, tasks: int, parts: int) -> str:
    """The course's first line: what it will do.

    >>> plan_line("C", 2, 1, 0)
    "Course 'C': 2 lessons, 1 task to run (0 parts to draw)"
    """
    return (
        f"Course {title!r}: {_count(lessons, 'lesson')}, {_count(tasks, 'task')} to run "
        f"({_count(parts, 'part')} to draw)"
    )


def report_lines(
    made: dict[str, int],
    cached: dict[str, int],
    seconds: dict[str, float],
    wall: float,
    engine: str,
    failures: list[tuple[str, str]],
) -> list[str]:
    """The closing report: what was made, what came from the cache, time per stage.

    >>> report_lines({"part": 2}, {"part": 1}, {"part": 10.0}, 7.0, "2 workers", [])[1]
    '  made:            2 parts'
    """

    def counts(table: dict[str, int]) -> str:
        items = [_count(table[s], *STAGE_WORDS.get(s, (s,))) for s in STAGES if table.get(s)]
        return ", ".join(items) or "nothing"

    lines = [
        f"Course done in {wall:.1f} s on {engine}.",
        f"  made:            {counts(made)}",
        f"  from the cache:  {counts(cached)}",
    ]
    timed = [f"{s} {seconds[s]:.1f} s" for s in STAGES if seconds.get(s)]
    if timed:
        lines.append("  time per stage (task seconds, summed over workers): " + ", ".join(timed))
    for lesson, line in failures:
        lines.append(f"  failed: {lesson}: {line}")
    return lines


def death_line(died: int, started: int, rerun: int) -> str:
    """The report's line on workers that died during the course.

    >>> death_line(1, 1, 2)
    '  1 worker died and was replaced; 2 tasks were run again'
    >>> death_line(2, 1, 1)
    '  2 workers died, 1 was replaced; 1 task was run again'
    >>> death_line(1, 0, 0)
    '  1 worker died (none had joined in its place by the end); no task had to run again'
    """
    workers = f"{died} worker{'s' if died != 1 else ''} died"
    if started >= died:
        workers += " and was replaced" if died == 1 else " and were replaced"
    elif started:
        workers += f", {started} {'was' if started == 1 else 'were'} replaced"
    else:
        workers += f" (none had joined in {'its' if died == 1 else 'their'} place by the end)"
    if rerun:
        tasks = f"{rerun} task{' was' if rerun == 1 else 's were'} run again"
    else:
        tasks = "no task had to run again"
    return f"  {workers}; {tasks}"
