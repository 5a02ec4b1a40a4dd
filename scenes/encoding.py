"""How the lecture's frames are encoded: x264 settings chosen by measurement, and held
frames converted once.

Most of a narrated lecture is held frames: the picture waits while a sentence is spoken.
manim hands such a frame to the encoder once with a repeat count, and its encoder then
converts the same RGBA picture to YUV again for every repeat; at 1080p that conversion
costs as much as x264's own work on a frame that did not change. :func:`install` makes
the conversion happen once per picture. The x264 preset is ``veryfast``: on the lecture's
frames it takes 0.72× the time of manim's default (``medium``) for 0.85× the size and an
SSIM of 0.998 against the drawn frames (``benchmarks/bench_encode.py``).
"""

from __future__ import annotations

from fractions import Fraction

# x264 splits each frame into one slice per encoder thread, and by default starts one
# thread per CPU the process may use: the same lecture rendered with fewer CPUs available
# (a busy machine's cgroup, taskset, a container) gave other bytes and other pixels. A
# fixed count makes the video depend on its input only.
ENCODER_THREADS = "2"


def _has_avx512() -> bool:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
            return any(line.startswith("flags") and " avx512f" in line for line in cpuinfo)
    except OSError:
        return False


def encoder_options() -> dict[str, str]:
    """The x264 options of every render.

    x264's AVX-512 code gives other bytes for the same frames from one run to the next
    when it encodes outside the main thread, as manim's writer thread does: three frames
    of the lecture's title encoded 20 times in a thread gave two different videos, ten
    times each; with AVX2 as the widest instruction set, one video, and 16 renders under
    load gave one video too. So where AVX-512 exists, x264 stops at AVX2, as it must on
    machines without AVX-512 anyway; it costs about 4% more encoding time.
    """
    options = {"threads": ENCODER_THREADS, "preset": "veryfast"}
    if _has_avx512():
        options["x264-params"] = "asm=avx2"
    return options


ENCODER_OPTIONS = encoder_options()

_installed = [False]


def install() -> None:
    """Convert each picture to the encoder's pixel format once, however often it repeats."""
    if _installed[0]:
        return
    import av
    from manim.scene import video_segment_encoder

    def write_frame(self, pixels, *, repeat: int = 1) -> None:
        self._validate_frame(pixels, repeat)
        time_base = Fraction(self.spec.frame_rate.denominator, self.spec.frame_rate.numerator)
        try:
            # One thread: swscale's automatic count follows the CPUs this process may
            # use, and the picture must not depend on that.
            frame = av.VideoFrame.from_ndarray(pixels, format="rgba")
            frame = frame.reformat(format=self._stream.pix_fmt, threads=1)
            for _ in range(repeat):
                frame.pts = self._next_pts
                frame.time_base = time_base
                self._next_pts += 1
                for packet in self._stream.encode(frame):
                    self._container.mux(packet)
        except BaseException as error:
            raise self._operation_error("encode", error) from error

    video_segment_encoder.VideoSegmentEncoder.write_frame = write_frame
    _installed[0] = True
