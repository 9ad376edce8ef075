"""``CodecRoundTripAnalyzer``: what a lossy streaming encode does to the peaks of the master.

Perceptual codecs discard and re-synthesise spectral detail; the decoded waveform's peaks
differ from the master's, and a master limited to 0 dBTP (or just under) comes back with
overs (AES TD1004.1.15-10, "Recommendation for Loudness of Audio Streaming and Network File
Playback", advises -1 dBTP for this reason). We encode the mix as Ogg Vorbis at libvorbis's
highest quality setting (the codec Spotify streams; libsndfile offers it for every rate
8-192 kHz and decodes it reliably block by block, unlike its MP3 decoder), decode it again
and measure true peak (``expert.features.loudness.truepeak``, BS.1770-4 Annex 2) and the decoded
samples at or beyond full scale, which clip in any fixed-point output. The encoded stream
goes to a temporary file, never to memory; it is deleted in ``finish``.
"""

from __future__ import annotations

import math
import os
import tempfile
import weakref

import numpy as np
import soundfile as sf

from expert.errors import AudioError
from expert.features.base import AnalysisContext, Analyzer, Measurements
from expert.features.loudness.truepeak import TruePeakEnvelope

#: libsndfile compression level for Vorbis: 0.0 = libvorbis quality 1.0 (highest).
VORBIS_COMPRESSION_LEVEL = 0.0
CODEC_NAME = "Ogg Vorbis, highest quality"


class CodecRoundTripAnalyzer(Analyzer):
    """True peak and overs after a Vorbis encode/decode round trip (optional, costs time)."""


    def __init__(self, context: AnalysisContext) -> None:
        super().__init__(context)
        handle, self._path = tempfile.mkstemp(prefix="mixexpert-", suffix=".ogg")
        os.close(handle)
        try:
            self._writer = sf.SoundFile(
                self._path, "w", samplerate=context.sample_rate_hz, channels=context.channels,
                format="OGG", subtype="VORBIS", compression_level=VORBIS_COMPRESSION_LEVEL)
        except (sf.LibsndfileError, RuntimeError) as exc:
            os.unlink(self._path)
            raise AudioError(self._path, f"cannot start the Vorbis encoder ({exc})") from None
        # Remove the temporary file even if the analysis stops before ``finish``.
        self._cleanup = weakref.finalize(self, _discard, self._writer, self._path)
        self._source_peak = _PeakMeter(context.sample_rate_hz, context.channels)
        self._frames = 0

    def process(self, block: np.ndarray) -> None:
        self._writer.write(block)
        self._source_peak.push(block)
        self._frames += block.shape[0]

    def finish(self) -> Measurements:
        m = Measurements()
        try:
            self._writer.close()
            size_bits = os.path.getsize(self._path) * 8
            decoded = _PeakMeter(self.context.sample_rate_hz, self.context.channels)
            with sf.SoundFile(self._path) as reader:
                for block in reader.blocks(blocksize=1 << 16, dtype="float32", always_2d=True):
                    decoded.push(block)
        finally:
            self._cleanup()
        source_tp = self._source_peak.true_peak_dbtp()
        after_tp = decoded.true_peak_dbtp()
        v = m.values
        v["codec.true_peak_dbtp"] = after_tp
        both = after_tp is not None and source_tp is not None
        v["codec.true_peak_change_db"] = after_tp - source_tp if both else None
        v["codec.sample_peak_dbfs"] = decoded.sample_peak_dbfs()
        v["codec.clipped_samples"] = decoded.overs
        duration = self._frames / self.context.sample_rate_hz
        v["codec.bitrate_kbps"] = round(size_bits / duration / 1000, 1) if duration > 0 else None
        m.notes.append(f"codec round trip: {CODEC_NAME}")
        return m


def _discard(writer: sf.SoundFile, path: str) -> None:
    writer.close()
    if os.path.exists(path):
        os.unlink(path)


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
