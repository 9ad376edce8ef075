"""``CodecRoundTripAnalyzer``: what the delivery encoders do to the peaks of the master.

Perceptual codecs discard and re-synthesise spectral detail; the decoded waveform's peaks
differ from the master's, and a master limited to 0 dBTP (or just under) comes back with
overs (AES TD1004.1.15-10, "Recommendation for Loudness of Audio Streaming and Network File
Playback", advises -1 dBTP for this reason). Each delivery codec of the catalogue
(``expert.descriptors.codec.DELIVERY_CODECS``) encodes and decodes the master, in memory
and block by block: AAC, MP3 and Opus with FFmpeg's encoders (PyAV: FFmpeg's native AAC
encoder, LAME, libopus), Vorbis with libvorbis through libsndfile (PyAV's FFmpeg has only
FFmpeg's own Vorbis encoder, which FFmpeg marks experimental and no service uses). After
each, true peak (``expert.features.loudness.truepeak``, BS.1770-4 Annex 2) and the decoded
samples at or beyond full scale, which clip in any fixed-point output.

An encode of every codec costs some 30 times the rest of the analysis, so the round trip
runs on an excerpt reel (its parameters: ``expert.descriptors.codec``): the ``EXCERPTS``
segments of ``SEGMENT_S`` with the highest sample peaks (where a codec overshoot can cross
a ceiling), each with ``MARGIN_S`` of the music around it faded in and out, so the encoder
meets music, not a cut (its click would be an overshoot of our making), and ``GAP_S`` of
silence between them. The segments are chosen in the same single pass, keeping only the
candidates' samples (bounded memory).
"""

from __future__ import annotations

import heapq
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import soundfile as sf

from expert.descriptors.codec import DELIVERY_CODECS, EXCERPTS, GAP_S, MARGIN_S, SEGMENT_S
from expert.features.base import AnalysisContext, Analyzer, Measurements
from expert.features.loudness.truepeak import TruePeakEnvelope

_BLOCK_FRAMES = 1 << 16


@dataclass(frozen=True)
class _Encoder:
    """How one catalogue codec is encoded and decoded again."""

    encoder: str  # FFmpeg encoder name; "libsndfile" for Vorbis
    decoder: str  # FFmpeg decoder name (float output: the overs must not be clipped away)
    bit_rate: int  # bit/s; for Vorbis, libvorbis's quality gives it
    sample_format: str = "fltp"
    vorbis_quality: float = 0.0


#: Settings per catalogue codec. Vorbis quality 0.9 (q9) is libvorbis's 320 kbit/s setting
#: (Xiph's quality table), Spotify's "Very high".
_ENCODERS: dict[str, _Encoder] = {
    "aac_256": _Encoder("aac", "aac", 256_000),
    "aac_128": _Encoder("aac", "aac", 128_000),
    "mp3_320": _Encoder("libmp3lame", "mp3float", 320_000),
    "opus_160": _Encoder("libopus", "opus", 160_000, sample_format="flt"),
    "vorbis_320": _Encoder("libsndfile", "", 0, vorbis_quality=0.9),
}


class CodecRoundTripAnalyzer(Analyzer):
    """True peak and overs after each delivery codec's round trip (optional, costs time)."""

    def __init__(self, context: AnalysisContext) -> None:
        super().__init__(context)
        rate = context.sample_rate_hz
        self._segment = max(1, round(SEGMENT_S * rate))
        self._margin = round(MARGIN_S * rate)
        self._picker = _SegmentPicker(self._segment, self._margin, EXCERPTS)

    def process(self, block: np.ndarray) -> None:
        self._picker.push(block)

    def finish(self) -> Measurements:
        m = Measurements()
        v = m.values
        rate, channels = self.context.sample_rate_hz, self.context.channels
        reel = _reel(self._picker.finish(), self._margin, round(GAP_S * rate), channels)
        # The source's true peak on the reel itself: the same passages the codecs saw.
        source = _PeakMeter(rate, channels)
        source.push(reel)
        source_tp = source.true_peak_dbtp()
        measured: list[_PeakMeter] = []
        for codec in DELIVERY_CODECS:
            prefix = f"codec.{codec.name}"
            try:
                meter, bits = _round_trip(_ENCODERS[codec.name], reel, rate, channels)
            except _EncoderMissing as exc:
                m.notes.append(f"codec check: {codec.title} not measured ({exc})")
                v.update({f"{prefix}.true_peak_dbtp": None, f"{prefix}.clipped_samples": None,
                          f"{prefix}.bitrate_kbps": None})
                continue
            measured.append(meter)
            v[f"{prefix}.true_peak_dbtp"] = meter.true_peak_dbtp()
            v[f"{prefix}.clipped_samples"] = meter.overs
            v[f"{prefix}.bitrate_kbps"] = round(bits / (reel.shape[0] / rate) / 1000, 1)
        # The track-level figures are the worst codec's.
        worst = max(measured, key=lambda meter: meter.true_peak, default=None)
        after_tp = worst.true_peak_dbtp() if worst else None
        v["codec.true_peak_dbtp"] = after_tp
        both = after_tp is not None and source_tp is not None
        v["codec.true_peak_change_db"] = after_tp - source_tp if both else None  # type: ignore[operator]
        v["codec.sample_peak_dbfs"] = max(
            (p for meter in measured if (p := meter.sample_peak_dbfs()) is not None), default=None)
        v["codec.clipped_samples"] = max((meter.overs for meter in measured), default=None)
        seconds = self._picker.kept * SEGMENT_S
        m.notes.append(
            "codec check: " + ", ".join(c.title for c in DELIVERY_CODECS)
            + f", on the {seconds:.0f} s of the master with the highest peaks"
        )
        return m


class _EncoderMissing(Exception):
    """The installed FFmpeg or libsndfile lacks the encoder."""


class _SegmentPicker:
    """Keeps, in one pass, the ``count`` segments with the highest sample peaks.

    Each kept segment carries its samples from ``margin`` before to ``margin`` after it;
    only the candidates and one segment's look-back are held.
    """

    def __init__(self, segment: int, margin: int, count: int) -> None:
        self._segment, self._margin, self._count = segment, margin, count
        self._buffer = np.zeros((0, 0), np.float32)
        self._buffer_start = 0  # file position of the buffer's first frame
        self._next = 0  # file position of the next segment to judge
        self._heap: list[tuple[float, int, np.ndarray]] = []  # (peak, -start, samples)

    @property
    def kept(self) -> int:
        return len(self._heap)

    def push(self, block: np.ndarray) -> None:
        if self._buffer.shape[0] == 0:
            self._buffer = np.zeros((0, block.shape[1]), np.float32)
        self._buffer = np.concatenate([self._buffer, block])
        end = self._buffer_start + self._buffer.shape[0]
        while self._next + self._segment + self._margin <= end:
            self._judge(self._next, self._next + self._segment)
            self._next += self._segment
        drop = max(0, self._next - self._margin - self._buffer_start)
        self._buffer = self._buffer[drop:]
        self._buffer_start += drop

    def finish(self) -> list[np.ndarray]:
        """The kept excerpts, in the order they come in the file."""
        end = self._buffer_start + self._buffer.shape[0]
        if self._next < end:
            self._judge(self._next, end)
        return [samples for _, _, samples in sorted(self._heap, key=lambda e: -e[1])]

    def _judge(self, start: int, stop: int) -> None:
        local = start - self._buffer_start
        peak = float(np.abs(self._buffer[local : local + stop - start]).max(initial=0.0))
        entry = (peak, -start, np.empty(0))
        if len(self._heap) == self._count and entry[:2] <= self._heap[0][:2]:
            return
        lo = max(0, local - self._margin)
        samples = self._buffer[lo : local + stop - start + self._margin].copy()
        entry = (peak, -start, samples)
        if len(self._heap) < self._count:
            heapq.heappush(self._heap, entry)
        else:
            heapq.heapreplace(self._heap, entry)


def _reel(excerpts: list[np.ndarray], margin: int, gap: int, channels: int) -> np.ndarray:
    """The excerpts faded in and out over ``margin`` frames, ``gap`` frames of silence apart."""
    parts: list[np.ndarray] = []
    for samples in excerpts:
        n = samples.shape[0]
        ramp = min(margin, n // 2)
        gain = np.ones(n, np.float32)
        if ramp:
            fade = (0.5 - 0.5 * np.cos(np.pi * (np.arange(ramp) + 0.5) / ramp)).astype(np.float32)
            gain[:ramp] = fade
            gain[n - ramp :] = fade[::-1]
        parts += [samples * gain[:, None], np.zeros((gap, channels), np.float32)]
    return np.concatenate(parts) if parts else np.zeros((0, channels), np.float32)


def _round_trip(
    how: _Encoder, reel: np.ndarray, rate: int, channels: int
) -> tuple[_PeakMeter, int]:
    """Encode and decode ``reel``; the decoded stream's peak meter and the encoded bits."""
    if how.encoder == "libsndfile":
        return _vorbis_round_trip(how.vorbis_quality, reel, rate, channels)
    import av  # imported here: only --codec-check needs the encoders

    try:
        encoder = av.CodecContext.create(how.encoder, "w")
        decoder = av.CodecContext.create(how.decoder, "r")
    except (av.error.FFmpegError, ValueError) as exc:  # not in this FFmpeg build
        raise _EncoderMissing(f"no {how.encoder} in this FFmpeg build: {exc}") from None
    layout = "mono" if channels == 1 else "stereo"
    out_rate = _encode_rate(rate, encoder.codec.audio_rates)
    encoder.sample_rate, encoder.layout, encoder.format = out_rate, layout, how.sample_format
    encoder.bit_rate = how.bit_rate
    encoder.thread_count = 1  # one thread: the same bits on every run
    try:
        encoder.open()
    except av.error.FFmpegError as exc:  # e.g. a rate or layout this build does not take
        raise _EncoderMissing(f"{how.encoder} refused {out_rate} Hz {layout}: {exc}") from None
    decoder.sample_rate, decoder.layout = out_rate, layout
    if encoder.extradata:  # AAC's AudioSpecificConfig, Opus's header
        decoder.extradata = encoder.extradata
    resampler = av.AudioResampler(format=how.sample_format, layout=layout, rate=out_rate,
                                  frame_size=encoder.frame_size or None)
    meter = _PeakMeter(out_rate, channels)
    bits = 0
    for frame in _frames(av, reel, rate, layout):
        for packet in (p for f in resampler.resample(frame) for p in encoder.encode(f)):
            bits += packet.size * 8
            for decoded in decoder.decode(packet):
                meter.push(_planar(decoded))
    for packet in encoder.encode(None):
        bits += packet.size * 8
        for decoded in decoder.decode(packet):
            meter.push(_planar(decoded))
    for decoded in decoder.decode(None):
        meter.push(_planar(decoded))
    return meter, bits


def _frames(av: object, reel: np.ndarray, rate: int, layout: str) -> Iterator[object]:
    """The reel as PyAV frames of planar float, then None (flushes the resampler)."""
    for start in range(0, reel.shape[0], _BLOCK_FRAMES):
        block = np.ascontiguousarray(reel[start : start + _BLOCK_FRAMES].T)
        frame = av.AudioFrame.from_ndarray(block, format="fltp", layout=layout)  # type: ignore[attr-defined]
        frame.sample_rate, frame.pts = rate, start
        yield frame
    yield None


def _planar(frame: object) -> np.ndarray:
    data = frame.to_ndarray()  # type: ignore[attr-defined]
    planar = frame.format.is_planar  # type: ignore[attr-defined]
    channels = len(frame.layout.channels)  # type: ignore[attr-defined]
    return np.asarray(data.T if planar else data.reshape(-1, channels), np.float32)


def _encode_rate(rate: int, supported: list[int] | None) -> int:
    """The rate the encoder runs at: the source's, or the lowest supported one above it,
    or the highest (Opus always runs at 48 kHz; LAME at most at 48 kHz)."""
    if not supported or rate in supported:
        return rate
    above = [r for r in supported if r >= rate]
    return min(above) if above else max(supported)


def _vorbis_round_trip(
    quality: float, reel: np.ndarray, rate: int, channels: int
) -> tuple[_PeakMeter, int]:
    encoded = io.BytesIO()
    try:
        # libsndfile's compression level 0..1 is libvorbis quality 1..0.
        with sf.SoundFile(encoded, "w", samplerate=rate, channels=channels, format="OGG",
                          subtype="VORBIS", compression_level=1.0 - quality) as writer:
            for start in range(0, reel.shape[0], _BLOCK_FRAMES):
                writer.write(reel[start : start + _BLOCK_FRAMES])
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise _EncoderMissing(f"libsndfile cannot encode Vorbis: {exc}") from None
    bits = len(encoded.getvalue()) * 8
    encoded.seek(0)
    meter = _PeakMeter(rate, channels)
    with sf.SoundFile(encoded) as reader:
        for block in reader.blocks(blocksize=_BLOCK_FRAMES, dtype="float32", always_2d=True):
            meter.push(block)
    return meter, bits


class _PeakMeter:
    """Running true peak, sample peak and count of samples at or beyond full scale."""

    def __init__(self, rate_hz: int, channels: int) -> None:
        self._envelope = TruePeakEnvelope(rate_hz, channels)
        self.true_peak = 0.0
        self.sample_peak = 0.0
        self.overs = 0
        self._flushed = False

    def push(self, block: np.ndarray) -> None:
        x = np.ascontiguousarray(block.T, dtype=np.float32)
        magnitude = np.abs(x)
        self.sample_peak = max(self.sample_peak, float(magnitude.max(initial=0.0)))
        self.overs += int(np.count_nonzero(magnitude >= 1.0))
        envelope = self._envelope.push(x)
        if envelope.size:
            self.true_peak = max(self.true_peak, float(envelope.max()))

    def _finish(self) -> None:
        if self._flushed:
            return
        self._flushed = True
        tail = self._envelope.flush()
        if tail.size:
            self.true_peak = max(self.true_peak, float(tail.max()))

    def true_peak_dbtp(self) -> float | None:
        self._finish()
        return 20 * math.log10(self.true_peak) if self.true_peak > 0 else None

    def sample_peak_dbfs(self) -> float | None:
        return 20 * math.log10(self.sample_peak) if self.sample_peak > 0 else None
