"""`explainer render`: a real video with captions, written whole or not at all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import wave
from dataclasses import dataclass
from pathlib import Path

import av
import pytest
import srt
from cli_support import processes_in_group

from explainer.cli import main

ROOT = Path(__file__).resolve().parents[1]
# This tree's command, whichever is installed (the venv's `explainer` script imports the
# installed copy, which may be another checkout); run with ``cwd=ROOT``.
EXPLAINER = [sys.executable, "-m", "explainer"]


def video_facts(path: Path) -> tuple[int, int, float, float]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return (
            stream.codec_context.width,
            stream.codec_context.height,
            round(float(stream.average_rate)),
            float(stream.duration * stream.time_base),
        )


def render(tmp_path: Path, *extra: str) -> int:
    return main(["render", "--output-dir", str(tmp_path), *extra])


@dataclass(frozen=True)
class Render:
    out: Path
    cache: Path
    run: subprocess.CompletedProcess
    left: list[str]
    """The processes of the command's group still there when it had exited."""


@pytest.fixture(scope="module")
def three_sections(tmp_path_factory) -> Render:
    """One render of three sections at low quality, spoken, from an empty cache, in a
    process group of its own: three parts (sections not next to each other each make one),
    so two worker processes (and multiprocessing's resource tracker), joined into one
    video. Three tests read it: its video and captions, the frame clock across its joins,
    and what is left of its processes."""
    base = tmp_path_factory.mktemp("three-sections")
    out, cache = base / "out", base / "cache"
    cmd = [*EXPLAINER, "render", "--quality", "low", "--output-dir", str(out)]
    for section in ("title", "image", "conclusion"):
        cmd += ["--section", section]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, EXPLAINER_CACHE_DIR=str(cache)),
        cwd=ROOT,
        start_new_session=True,
    )
    stdout, stderr = proc.communicate(timeout=600)
    left = processes_in_group(proc.pid)
    run = subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)
    assert run.returncode == 0, run.stderr
    return Render(out, cache, run, left)


def test_low_quality_sections_write_video_and_matching_captions(three_sections):
    # An empty cache: the parts are rendered by two worker processes (their section lines
    # reach the command's stderr directly).
    out, run = three_sections.out, three_sections.run
    video = Path(run.stdout.strip())
    assert video == out / "lecture-title-image-conclusion-480p15.mp4" and video.exists()
    width, height, fps, duration = video_facts(video)
    assert (width, height, fps) == (854, 480, 15)
    captions = list(srt.parse(video.with_suffix(".srt").read_text(encoding="utf-8")))
    assert [c.content for c in captions][:2] == [
        "How does a computer find a pattern in an image? With convolution.",
        "A 9×9 image: each orange pixel is +1, each blue pixel is −1.",
    ]
    end = captions[-1].end.total_seconds()
    # After the last sentence: its pause, the stage clearing and a short closing pause.
    assert duration - 2.0 <= end <= duration + 0.1, (end, duration)
    err = run.stderr
    assert "[ 1/3] title" in err and "[ 2/3] image" in err and "[ 3/3] conclusion" in err
    assert "Rendered" in err
    assert not list(out.glob(".render-*")), "temporary render folder left behind"


def test_nothing_of_a_render_outlives_it(three_sections):
    """Three parts, so two worker processes and multiprocessing's resource tracker: all
    are gone, reaped, when the command exits (a tracker left to end after the command
    stayed a zombie here)."""
    parts = [p for p in (three_sections.cache / "parts").iterdir() if p.name[0] not in ".j"]
    assert len(parts) == 3  # rendered by the workers, not in the command's own process
    assert three_sections.left == []


def test_a_part_keeps_its_sound_as_wav_beside_a_silent_video(three_sections):
    """The join takes a part's picture and its WAV: the part's own MP4 carries no sound
    track (manim's AAC encoding of it was work thrown away), and the WAV holds the
    spoken sentences, at least as long as the picture's last caption."""
    import json

    parts = [p for p in (three_sections.cache / "parts").iterdir() if p.name[0] not in ".j"]
    assert len(parts) == 3
    for part in parts:
        with av.open(str(part / "video.mp4")) as container:
            assert [s.type for s in container.streams] == ["video"]
        with wave.open(str(part / "audio.wav"), "rb") as sound:
            seconds = sound.getnframes() / sound.getframerate()
        last_spoken = max(b["end"] for b in json.loads((part / "part.json").read_text())["beats"])
        assert seconds >= last_spoken > 0


def test_joined_parts_keep_the_frame_clock(three_sections):
    """Three parts (sections not next to each other each make one) joined into one video:
    every frame decoded is one frame of the clock, at its place, with no frame held at a
    join, and the header says the rate the video was drawn at."""
    from fractions import Fraction

    cache = three_sections.cache
    video = Path(three_sections.run.stdout.strip())
    parts = [p / "video.mp4" for p in (cache / "parts").iterdir() if p.name[0] not in ".j"]
    assert len(parts) == 3
    part_frames = 0
    for part in parts:
        with av.open(str(part)) as container:
            part_frames += sum(1 for _ in container.decode(video=0))
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        # The header: 15 frames a second however it is read.
        assert stream.codec_context.framerate == 15
        assert stream.base_rate == 15 and stream.average_rate == 15
        duration = stream.duration * stream.time_base
        frame = Fraction(1, 15)
        times = [f.time for f in container.decode(stream)]
        audio = container.streams.audio[0]
        sound = float(audio.duration * audio.time_base)
        heard = (audio.rate, audio.codec_context.channels)
    assert len(times) == part_frames == stream.frames
    with wave.open(str(parts[0].with_name("audio.wav")), "rb") as spoken:
        assert heard == (spoken.getframerate(), spoken.getnchannels())  # not resampled
    assert duration == len(times) * frame  # exactly: no held frame at any of the joins
    gaps = {round(b - a, 6) for a, b in zip(times, times[1:], strict=False)}
    assert gaps == {round(float(frame), 6)}, gaps
    # The sound lasts as long as the picture, give or take AAC's framing: its encoder's
    # first packet of priming and its last packet filled up to 1024 samples (a whole
    # lecture's joined sound measured 1024 + 768 samples longer than its picture).
    assert abs(sound - float(duration)) <= 2 * 1024 / audio.rate + 1e-3, (sound, float(duration))


def test_high_quality_is_1080p60(tmp_path, capsys):
    assert render(tmp_path, "--section", "title") == 0
    video = Path(capsys.readouterr().out.strip())
    assert video.name == "lecture-title.mp4"
    width, height, fps, _ = video_facts(video)
    assert (width, height, fps) == (1920, 1080, 60)


def test_list_sections_and_unknown_section(tmp_path, capsys):
    assert render(tmp_path, "--list-sections") == 0
    out = capsys.readouterr().out
    assert "1. title" in out and "2. one-dimension" in out and "13. conclusion" in out
    assert render(tmp_path, "--section", "nope") == 2
    assert "unknown section 'nope'" in capsys.readouterr().err


def test_too_large_problem_is_refused_before_rendering(tmp_path, capsys):
    big = tmp_path / "big.npy"
    import numpy as np

    np.save(big, np.zeros((100, 100)))
    assert render(tmp_path, "--image", str(big)) == 2
    err = capsys.readouterr().err
    assert "too large to draw legibly" in err and err.count("\n") == 1
    assert not list(tmp_path.glob("*.mp4"))


def test_interrupted_render_keeps_the_previous_video(tmp_path, capsys, monkeypatch):
    assert render(tmp_path, "--quality", "low", "--section", "title") == 0
    video = Path(capsys.readouterr().out.strip())
    before = video.read_bytes()

    from scenes import lecture

    calls = {"n": 0}
    real_play = lecture.LectureScene.play

    def interrupting_play(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real_play(self, *args, **kwargs)

    monkeypatch.setattr(lecture.LectureScene, "play", interrupting_play)
    monkeypatch.setenv("EXPLAINER_CACHE_DIR", str(tmp_path.parent / "fresh-cache"))
    assert render(tmp_path, "--quality", "low", "--section", "title") == 130
    assert "interrupted" in capsys.readouterr().err
    assert video.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        video.name,
        video.with_suffix(".script.json").name,
        video.with_suffix(".srt").name,
    ]


def test_two_renders_of_the_same_video_at_once(tmp_path):
    cmd = [
        *EXPLAINER,
        "render",
        "--quality",
        "low",
        "--section",
        "title",
        "--output-dir",
        str(tmp_path),
    ]
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        for _ in range(2)
    ]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    video = tmp_path / "lecture-title-480p15.mp4"
    width, height, _, duration = video_facts(video)
    assert (width, height) == (854, 480) and duration > 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        video.name,
        video.with_suffix(".script.json").name,
        video.with_suffix(".srt").name,
    ]


def test_a_general_problem_renders(tmp_path, capsys):
    args = [
        "--image",
        "square",
        "--kernel",
        "sobel-x",
        "--padding",
        "same",
        "--stride",
        "2",
        "--quality",
        "low",
        "--section",
        "output-size",
    ]
    assert render(tmp_path, *args) == 0
    video = Path(capsys.readouterr().out.strip())
    assert video.name.startswith("lecture-square-sobel-x-stride-2-padding-same-")
    assert video.name.endswith("-output-size-480p15.mp4")
    assert video_facts(video)[3] > 2


def _start_render_and_wait_until_busy(
    tmp_path: Path, cache: Path, sections: tuple[str, ...] = ("multiply",)
) -> subprocess.Popen:
    """Start a render with an empty cache in another process; return once it is well into
    rendering (the multiply section takes several seconds, so it is still busy after)."""
    import time

    argv = ["render", "--quality", "low", "--output-dir", str(tmp_path)]
    for section in sections:
        argv += ["--section", section]
    proc = subprocess.Popen(
        [*EXPLAINER, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, EXPLAINER_CACHE_DIR=str(cache)),
        cwd=ROOT,
    )
    deadline = time.monotonic() + 60
    while not _work_folders(cache) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)
    return proc


def _work_folders(cache: Path) -> list[Path]:
    """Parts being rendered: temporary folders beside the finished ones."""
    parts = cache / "parts"
    return [p for p in parts.glob(".*") if p.is_dir()] if parts.is_dir() else []


def test_killed_render_leaves_the_previous_video_and_is_cleaned_up_later(
    tmp_path, capsys, monkeypatch
):
    out, cache = tmp_path / "out", tmp_path / "cache"
    assert render(out, "--quality", "low", "--section", "multiply") == 0
    video = Path(capsys.readouterr().out.strip())
    before = video.read_bytes()
    proc = _start_render_and_wait_until_busy(out, cache)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the render finished before it was killed"
    assert video.read_bytes() == before
    assert _work_folders(cache), "the killed render's work folder should be there"
    monkeypatch.setenv("EXPLAINER_CACHE_DIR", str(cache))
    assert render(out, "--quality", "low", "--section", "multiply") == 0
    assert not _work_folders(cache) and not list(out.glob(".render-*"))


def test_an_interrupted_render_in_parts_says_one_line(tmp_path):
    """Two parts, so worker processes: stopped, they leave no warnings of their own."""
    proc = _start_render_and_wait_until_busy(
        tmp_path / "out", tmp_path / "cache", ("multiply", "title")
    )
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    said = [line for line in err.splitlines() if not line.startswith(("[", "Rendering"))]
    assert proc.returncode == 130
    assert said == ["explainer: interrupted; nothing was left half-written"]


def test_sigterm_cleans_up(tmp_path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    proc = _start_render_and_wait_until_busy(out, cache)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in err
    assert not out.exists() or list(out.iterdir()) == []
    assert not _work_folders(cache)
