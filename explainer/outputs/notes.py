"""The script as lecture notes: plain text, Markdown or JSON, with timings once rendered.

``explainer script`` prints these. A render writes the timed script beside its video
(``lecture.script.json``); given that file, the notes show when each sentence is spoken.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path

from explainer.errors import InputFileError
from explainer.files.safe_io import printable
from explainer.files.safe_json import load_json_file
from explainer.lessons.script import Beat, Script

NOTE_FORMATS = ("text", "markdown", "json")
Timings = Mapping[str, tuple[float, float]]
"""Beat key → (start, end) in seconds of video."""


def _clock(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}:{rest:04.1f}"


def _value(v) -> str:
    if isinstance(v, Fraction):
        return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"
    return str(v)


def as_text(script: Script, timings: Timings | None = None) -> str:
    out = [f"Lecture notes: {script.problem.describe()}", ""]
    for number, section in enumerate(script.sections, start=1):
        title = section.title or "Title"
        out.append(f"{number}. {title}  [--section {section.name}]")
        for beat in section.beats:
            when = _when(beat, timings)
            out.append(f"   {when}{beat.caption}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _when(beat: Beat, timings: Timings | None) -> str:
    if not timings or beat.key not in timings:
        return "- "
    start, end = timings[beat.key]
    return f"{_clock(start)}–{_clock(end)}  "


def as_markdown(script: Script, timings: Timings | None = None) -> str:
    out = [f"# Lecture notes: {script.problem.describe()}", ""]
    for section in script.sections:
        out += [f"## {section.title or 'Title'}", ""]
        for beat in section.beats:
            when = ""
            if timings and beat.key in timings:
                start, end = timings[beat.key]
                when = f"`{_clock(start)}–{_clock(end)}` "
            out.append(f"- {when}{beat.caption}")
        out.append("")
    return "\n".join(out)


def as_json(script: Script, timings: Timings | None = None) -> str:
    doc = {
        "problem": script.problem.describe(),
        "sections": [
            {
                "name": section.name,
                "title": section.title,
                "beats": [_beat_json(b, timings) for b in section.beats],
            }
            for section in script.sections
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _beat_json(beat: Beat, timings: Timings | None) -> dict:
    entry = {
        "key": beat.key,
        "caption": beat.caption,
        "speech": beat.speech,
        "steps": [list(s) for s in beat.steps],
        "values": [_value(v) for v in beat.values],
        "claims": [c.to_json() for c in beat.claims],
    }
    if timings and beat.key in timings:
        entry["start"], entry["end"] = (round(t, 3) for t in timings[beat.key])
    return entry


def render_notes(script: Script, fmt: str, timings: Timings | None = None) -> str:
    return {"text": as_text, "markdown": as_markdown, "json": as_json}[fmt](script, timings)


MAX_TIMING_SECONDS = 24 * 3600.0


def _seconds(value: object) -> float:
    """A time in a timed script: a number from 0 to a day (NaN and strings refused)."""
    if type(value) not in (int, float) or not 0 <= value <= MAX_TIMING_SECONDS:
        raise ValueError(f"a time of {value!r} seconds is not between 0 and {MAX_TIMING_SECONDS:g}")
    return float(value)


def read_timings(path: Path, script: Script) -> dict[str, tuple[float, float]]:
    """The timings a render recorded in its ``.script.json``, if it is this script's."""
    doc = load_json_file(Path(path))  # regular files only, bounded, finite numbers only
    shown = printable(str(path))
    try:
        beats = [b for sec in doc["sections"] for b in sec["beats"]]
        recorded = {
            b["key"]: (_seconds(b["start"]), _seconds(b["end"])) for b in beats if "start" in b
        }
        captions = {b["key"]: b["caption"] for b in beats}
    except (ValueError, KeyError, TypeError, IndexError) as err:
        raise InputFileError(
            f"cannot read the timings in {shown}: {printable(str(err))[:200]}"
        ) from None
    mine = {b.key: b.caption for b in script.beats()}
    if any(captions.get(k) != caption for k, caption in mine.items() if k in recorded):
        raise InputFileError(
            f"{path} was rendered for another problem or an older script; render it again"
        )
    return recorded
