"""The cache is never trusted: every entry is checked before use, and a damaged one is
removed with one warning line and made again (issue 18, "Caches are trusted blindly").

Store-level and voice-level tests need no render; the render-level tests (one short
silent section at 480p15) corrupt the entries a real render made and render again.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import struct
import warnings
from pathlib import Path

import pytest

from explainer.errors import ExplainerWarning
from explainer.files import cache
from scenes.voice import PiperVoice
from tests.cli_support import run

FOREIGN = b"FOREIGN-BYTES-" * 64


# ----- the store ------------------------------------------------------------------------


def _make_entry(root: Path, name: str = "e1") -> Path:
    work = cache.new_work_folder(root, name)
    (work / "a.bin").write_bytes(b"A" * 1000)
    (work / "b.json").write_text('{"duration": 1.5}')
    cache.publish(work, root / name, {"duration": 1.5})
    return root / name


def _open(folder: Path) -> tuple[cache.Entry | None, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        entry = cache.open_entry(folder, ("a.bin",), "thing")
    return entry, [str(w.message) for w in caught if issubclass(w.category, ExplainerWarning)]


def _same_size_garbage(path: Path) -> None:
    path.write_bytes(bytes(random.Random(1).randrange(256) for _ in range(path.stat().st_size)))


def _fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def _link_to_foreign(path: Path) -> None:
    foreign = path.parent.parent / "foreign.bin"
    foreign.write_bytes(FOREIGN)
    path.unlink()
    path.symlink_to(foreign)


def _link_entry(folder: Path) -> None:
    elsewhere = folder.parent / "elsewhere"
    shutil.copytree(folder, elsewhere)
    shutil.rmtree(folder)
    folder.symlink_to(elsewhere)


def _record_says(folder: Path, **changes) -> None:
    """Rewrite the record consistently (as a forger would), with ``changes`` to its meta."""
    doc = json.loads((folder / cache.RECORD).read_text())
    doc["meta"].update(changes)
    (folder / cache.RECORD).write_text(json.dumps(doc))


STORE_CORRUPTIONS = {
    "same-size garbage": lambda f: _same_size_garbage(f / "a.bin"),
    "empty file": lambda f: (f / "a.bin").write_bytes(b""),
    "truncated": lambda f: (f / "a.bin").write_bytes(b"A" * 10),
    "longer": lambda f: (f / "a.bin").write_bytes(b"A" * 2000),
    "file is a FIFO": lambda f: _fifo(f / "a.bin"),
    "file links to foreign bytes": lambda f: _link_to_foreign(f / "a.bin"),
    "file links to /dev/zero": lambda f: (
        (f / "a.bin").unlink(),
        (f / "a.bin").symlink_to("/dev/zero"),
    ),
    "file is a folder": lambda f: ((f / "a.bin").unlink(), (f / "a.bin").mkdir()),
    "missing file": lambda f: (f / "a.bin").unlink(),
    "missing record": lambda f: (f / cache.RECORD).unlink(),
    "garbage record": lambda f: (f / cache.RECORD).write_bytes(b"\x00garbage"),
    "record with NaN": lambda f: (f / cache.RECORD).write_text('{"format": 1, "files": NaN}'),
    "deeply nested record": lambda f: (f / cache.RECORD).write_text("[" * 100000),
    "record is a FIFO": lambda f: _fifo(f / cache.RECORD),
    "record links elsewhere": lambda f: _link_to_foreign(f / cache.RECORD),
    "stray file": lambda f: (f / "audio.wav").write_bytes(FOREIGN),
    "entry is a link": _link_entry,
    "entry is a file": lambda f: (shutil.rmtree(f), f.write_bytes(FOREIGN)),
}


@pytest.mark.parametrize("corruption", sorted(STORE_CORRUPTIONS))
def test_a_damaged_entry_is_removed_with_one_warning(tmp_path, corruption):
    folder = _make_entry(tmp_path / "store")
    assert _open(folder)[0] is not None
    STORE_CORRUPTIONS[corruption](folder)
    entry, said = _open(folder)
    assert entry is None
    assert len(said) == 1 and "was damaged" in said[0] and "\n" not in said[0], said
    assert not os.path.lexists(folder)
    assert (tmp_path / "store" / "foreign.bin").exists() or corruption not in (
        "file links to foreign bytes",
        "record links elsewhere",
    ), "removing a link must not remove what it points to"
    # Made again, it is good.
    folder = _make_entry(tmp_path / "store")
    assert _open(folder) == (_open(folder)[0], [])


def test_a_damaged_entry_is_replaced_when_published_over(tmp_path):
    folder = _make_entry(tmp_path)
    (folder / cache.RECORD).unlink()  # a part that lost its record: never blocks a render
    with pytest.warns(ExplainerWarning, match="has no record"):
        entry = _make_entry(tmp_path)
    assert entry == folder and _open(folder)[0] is not None


def test_a_copy_out_is_bounded_and_checked(tmp_path):
    folder = _make_entry(tmp_path / "store")
    entry, _ = _open(folder)
    assert entry is not None
    cache.copy_verified(entry, "a.bin", tmp_path / "good")
    assert (tmp_path / "good").read_bytes() == b"A" * 1000
    _same_size_garbage(folder / "a.bin")  # changed after the check
    with pytest.raises(cache.Damaged):
        cache.copy_verified(entry, "a.bin", tmp_path / "bad")
    assert not (tmp_path / "bad").exists()
    (folder / "a.bin").unlink()
    (folder / "a.bin").symlink_to("/dev/zero")
    with pytest.raises(cache.Damaged):
        cache.read_verified(entry, "a.bin")


def test_prune_removes_the_least_recently_used(tmp_path):
    root = tmp_path / "cache"
    folders = [_make_entry(root / "parts", f"p{k}") for k in range(4)]
    for k, folder in enumerate(folders):
        os.utime(folder, (1000 + k, 1000 + k))
    size = sum(p.stat().st_size for p in folders[0].iterdir())
    removed = cache.prune(root, keep=[folders[0]], limit=2 * size)
    assert removed == 2
    assert [f.exists() for f in folders] == [True, False, False, True]


def test_cache_info_and_clear(tmp_path, capsys, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv("EXPLAINER_CACHE_DIR", str(root))
    _make_entry(root / "parts", "p1")
    _make_entry(root / "voice" / "joe", "v1")
    (root / "mine.txt").write_text("not the cache's")
    code, out, err = run(capsys, "cache", "info")
    assert code == 0 and "parts" in out and "voice" in out and "3.0 GiB" in out, out + err
    code, out, err = run(capsys, "cache", "clear")
    assert code == 0 and "2 entries" in err, err
    assert not (root / "parts").exists() and (root / "mine.txt").exists()
    monkeypatch.setenv("EXPLAINER_CACHE_LIMIT", "lots")
    code, out, err = run(capsys, "cache", "info")
    assert code == 2 and err.count("\n") == 1 and "EXPLAINER_CACHE_LIMIT" in err


# ----- the voice cache, without a real voice ----------------------------------------------


class _Chunk:
    sample_channels, sample_width, sample_rate = 1, 2, 22050

    def __init__(self, text: str) -> None:
        seed = sum(map(ord, text))
        self.audio_int16_bytes = bytes((seed + k) % 251 for k in range(2 * 11025))


class _FakeModel:
    def synthesize(self, text, syn_config=None):
        return [_Chunk(text), _Chunk(text[::-1])]


def _fake_voice(tmp_path: Path) -> PiperVoice:
    voice = PiperVoice.__new__(PiperVoice)
    model = tmp_path / "model.onnx"
    model.write_bytes(b"model")
    voice._model, voice._loaded = model, _FakeModel()
    voice._folder = tmp_path / "cache" / "voice" / "joe"
    voice._settings = lambda: None
    return voice


def _wav_header_claiming(path: Path, seconds: float) -> None:
    data = bytearray(path.read_bytes())
    data[40:44] = struct.pack("<I", int(seconds * 22050 * 2) & 0xFFFFFFFF)
    path.write_bytes(bytes(data))


def _consistent(folder: Path) -> None:
    """Rewrite the record so that its digests match the files (a forger's entry)."""
    doc = json.loads((folder / cache.RECORD).read_text())
    for name in doc["files"]:
        rec = cache.file_record(folder / name)
        doc["files"][name] = {"size": rec.size, "sha256": rec.sha256}
    (folder / cache.RECORD).write_text(json.dumps(doc))


VOICE_CORRUPTIONS = {
    "garbage wav": lambda f: _same_size_garbage(f / "audio.wav"),
    "empty wav": lambda f: (f / "audio.wav").write_bytes(b""),
    "truncated wav": lambda f: (f / "audio.wav").write_bytes((f / "audio.wav").read_bytes()[:60]),
    "FIFO wav": lambda f: _fifo(f / "audio.wav"),
    "wav links to /dev/zero": lambda f: (
        (f / "audio.wav").unlink(),
        (f / "audio.wav").symlink_to("/dev/zero"),
    ),
    "wav links to foreign bytes": lambda f: _link_to_foreign(f / "audio.wav"),
    "header claims 13.5 hours": lambda f: (
        _wav_header_claiming(f / "audio.wav", 13.5 * 3600),
        _consistent(f),
    ),
    "duration 1e308": lambda f: _record_says(f, duration=1e308),
    "negative duration": lambda f: _record_says(f, duration=-1),
    "duration disagrees with the audio": lambda f: _record_says(f, duration=99.0),
    "missing record": lambda f: (f / cache.RECORD).unlink(),
    "entry is a link": _link_entry,
}


@pytest.mark.parametrize("corruption", sorted(VOICE_CORRUPTIONS))
def test_a_damaged_sentence_is_synthesized_again(tmp_path, corruption):
    voice = _fake_voice(tmp_path)
    clean = voice.speak("Seven ninths.")
    clean_bytes, clean_duration = clean.path.read_bytes(), clean.duration
    assert clean_duration == pytest.approx(1.0)
    VOICE_CORRUPTIONS[corruption](clean.path.parent)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = voice.speak("Seven ninths.")
    said = [str(w.message) for w in caught if issubclass(w.category, ExplainerWarning)]
    assert len(said) == 1 and "cached sentence" in said[0], said
    assert again.path.read_bytes() == clean_bytes and again.duration == clean_duration
    assert not again.path.is_symlink()


# ----- a real render: every kind of entry corrupted --------------------------------------

ARGS = ("render", "--quality", "low", "--voice", "none", "--section", "title")


def _render(capsys, out: Path) -> tuple[int, str, bytes | None]:
    code, stdout, err = run(capsys, *ARGS, "--output-dir", str(out))
    videos = list(out.glob("*.mp4")) if out.is_dir() else []
    return code, err, videos[0].read_bytes() if videos else None


def _entries(root: Path) -> dict[str, Path]:
    parts = root / "parts"
    joined = next(p for p in parts.iterdir() if p.name.startswith("joined-"))
    part = next(p for p in parts.iterdir() if p.is_dir() and p.name[0] not in ".j")
    return {"joined": joined, "part": part}


def _corrupt_media(path: Path, how: str, foreign: Path) -> None:
    if how == "garbage":
        _same_size_garbage(path)
    elif how == "foreign file":
        shutil.copyfile(foreign, path)
    elif how == "link to foreign file":
        path.unlink()
        path.symlink_to(foreign)
    elif how == "link to /dev/zero":
        path.unlink()
        path.symlink_to("/dev/zero")
    elif how == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "FIFO":
        _fifo(path)
    elif how == "removed":
        path.unlink()


MEDIA_DAMAGE = (
    "garbage",
    "foreign file",
    "link to foreign file",
    "link to /dev/zero",
    "truncated",
    "empty",
    "FIFO",
    "removed",
)


@pytest.fixture(scope="module")
def clean_render(tmp_path_factory):
    """One clean render (its bytes) and its cache, which each test copies."""
    from _pytest.capture import CaptureFixture  # noqa: F401  (capsys is per test)

    base = tmp_path_factory.mktemp("clean")
    old = os.environ.get("EXPLAINER_CACHE_DIR")
    os.environ["EXPLAINER_CACHE_DIR"] = str(base / "cache")
    try:
        from explainer.cli import main

        assert main([*ARGS, "--output-dir", str(base / "out")]) == 0
    finally:
        os.environ["EXPLAINER_CACHE_DIR"] = old or ""
    video = next((base / "out").glob("*.mp4")).read_bytes()
    return base / "cache", video


def test_the_cache_fuzz_rebuilds_or_refuses_and_never_copies_foreign_bytes(
    tmp_path, capsys, monkeypatch, clean_render
):
    clean_cache, clean_video = clean_render
    foreign = tmp_path / "foreign.mp4"
    foreign.write_bytes(FOREIGN * 50)
    rng = random.Random(18)
    files = {
        "joined": ("video.mp4", "captions.srt", "script.json"),
        "part": ("video.mp4", "part.json"),
    }
    tried: list[tuple[str, str, str, int]] = []
    # Every kind of damage once, each to a file of an entry drawn at random.
    for k, how in enumerate(rng.sample(MEDIA_DAMAGE, len(MEDIA_DAMAGE))):
        root = tmp_path / f"cache-{k}"
        shutil.copytree(clean_cache, root, symlinks=True)
        monkeypatch.setenv("EXPLAINER_CACHE_DIR", str(root))
        kind = rng.choice(sorted(files))
        name = rng.choice(files[kind])
        out = tmp_path / f"out-{k}"
        out.mkdir()
        (out / "lecture-title-silent-480p15.mp4").write_bytes(b"previous good video")
        entries = _entries(root)
        if kind == "part":  # so that the joined video is made from the parts again
            shutil.rmtree(entries["joined"])
        _corrupt_media(entries[kind] / name, how, foreign)
        code, err, video = _render(capsys, out)
        tried.append((kind, name, how, code))
        assert FOREIGN[:14] not in (video or b""), (kind, name, how)
        if code == 0:
            assert video == clean_video, (kind, name, how)
            assert err.count("explainer: warning:") == 1 and "was damaged" in err, err
        else:
            assert code == 2 and err.count("\n") == 1, err
            assert video == b"previous good video"
        # and the next render is clean, without a warning
        code, err, video = _render(capsys, out)
        assert code == 0 and video == clean_video and "warning" not in err, err
    assert {t[2] for t in tried} == set(MEDIA_DAMAGE), tried


@pytest.mark.parametrize(
    ("kind", "name", "how"),
    [
        ("joined", "video.mp4", "foreign file"),
        ("joined", "video.mp4", "link to foreign file"),
        ("part", "video.mp4", "garbage"),
        ("part", "part.json", "removed"),
    ],
)
def test_issue_18_reproductions(tmp_path, capsys, monkeypatch, clean_render, kind, name, how):
    """The issue's cases: a replaced joined video or part, a linked entry, a part that
    lost its part.json: each is rebuilt, the output is the clean render's bytes."""
    clean_cache, clean_video = clean_render
    foreign = tmp_path / "foreign.mp4"
    foreign.write_bytes(FOREIGN * 50)
    root = tmp_path / "cache"
    shutil.copytree(clean_cache, root, symlinks=True)
    monkeypatch.setenv("EXPLAINER_CACHE_DIR", str(root))
    entries = _entries(root)
    if kind == "part":  # the joined video is made from the parts again
        shutil.rmtree(entries["joined"])
    _corrupt_media(entries[kind] / name, how, foreign)
    code, err, video = _render(capsys, tmp_path / "out")
    assert code == 0, err
    assert video == clean_video
    assert foreign.read_bytes() == FOREIGN * 50
