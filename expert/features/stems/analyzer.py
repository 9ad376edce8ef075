"""The stems of one song, read together block by block (one decode of each file).

Per stem: its BS.1770 meters (``LoudnessAnalyzer``), and per 93 ms frame of its mid signal
(L + R) / 2 the critical-band energies, the spectral flatness, the 40-150 Hz energy; per pair
the cross-energy below 1 kHz; with a mix, the cross-spectra that fit the stems to it. What is
kept grows by a few numbers per frame and stem; the judgement (masking regions, shares of
time) is made at the end from those (``expert.features.stems.masking``).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import combinations, permutations
from pathlib import Path

import numpy as np
import scipy.fft

from expert.audio.reader import AudioSource, open_audio
from expert.descriptors.stems import (
    BARK_EDGES_HZ,
    FRAME_S,
    LOW_END_CLOSE_DB,
    LOW_END_HZ,
    LOW_END_SOUNDING_DB,
    PHASE_BAND_HZ,
    PLAYING_RANGE_DB,
    SFM_RANGE_DB,
    SILENCE_DBFS,
    StemPairFacts,
    StemSetFacts,
)
from expert.descriptors.values import finite_or_none
from expert.errors import AudioError, StemMismatchError
from expert.features.base import AnalysisContext, TimeGrid, db
from expert.features.loudness.analyzer import LoudnessAnalyzer
from expert.features.stems.masking import band_matrix, pair_masking, threshold, tonality

FRAMES_PER_BLOCK = 16
_FLOOR_DB = -100.0  # a gain or residual of nothing at all


def stem_names(paths: Sequence[str]) -> dict[str, str]:
    """Path -> a name usable in a dotted descriptor name (``Kick Drum.wav`` -> kick_drum);
    a repeated name gets ``_2``, ``_3``."""
    names: dict[str, str] = {}
    for path in paths:
        base = re.sub(r"[^a-z0-9]+", "_", Path(path).stem.lower()).strip("_") or "stem"
        name, n = base, 1
        while name in names.values():
            n += 1
            name = f"{base}_{n}"
        names[path] = name
    return names


def _exact_blocks(source: AudioSource | None, size: int, channels: int, total: int
                  ) -> Iterator[np.ndarray]:
    """Blocks of exactly ``size`` frames (the last: what is left of ``total``), with
    ``channels`` channels (mono repeated); zeros after the file's end or for no source."""
    pending: list[np.ndarray] = []
    have = 0
    made = 0
    stream = source.blocks() if source is not None else iter(())
    while made < total:
        want = min(size, total - made)
        while have < want:
            block = next(stream, None)
            if block is None:
                pending.append(np.zeros((want - have, channels), dtype=np.float32))
                have = want
                break
            if block.shape[1] != channels:
                block = np.repeat(block[:, :1], channels, axis=1)
            pending.append(block)
            have += block.shape[0]
        joined = np.concatenate(pending) if len(pending) > 1 else pending[0]
        out, rest = joined[:want], joined[want:]
        pending, have = ([rest], rest.shape[0]) if rest.shape[0] else ([], 0)
        made += want
        yield out


def _mid(block: np.ndarray) -> np.ndarray:
    """(L + R) / 2 of a stereo block, the channel of a mono one."""
    return block[:, 0] if block.shape[1] == 1 else (block[:, 0] + block[:, 1]) * np.float32(0.5)


def _flatness_db(power: np.ndarray) -> np.ndarray:
    """Spectral flatness (dB, <= 0) per frame of (..., bins) powers, over the bins within
    SFM_RANGE_DB of the frame's strongest: a stem is band-limited (a bass has nothing above
    5 kHz), and its empty bins would make any noise read as a tone."""
    top = power.max(axis=-1, keepdims=True)
    counted = power >= top * np.float32(10.0 ** (-SFM_RANGE_DB / 10.0))
    n = np.maximum(counted.sum(-1), 1)
    logs = np.where(counted, np.log10(np.maximum(power, np.float32(1e-30))), 0.0)
    geometric = logs.sum(-1, dtype=np.float64) / n
    arithmetic = np.where(counted, power, 0.0).sum(-1, dtype=np.float64) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(arithmetic > 0, 10.0 * (geometric - np.log10(arithmetic)), 0.0)


def _open(paths: Sequence[str], errors: dict[str, str]) -> dict[str, AudioSource]:
    sources: dict[str, AudioSource] = {}
    for path in paths:
        try:
            sources[path] = open_audio(path)
        except AudioError as exc:
            errors[path] = exc.reason
    return sources


def _check_alike(sources: dict[str, AudioSource], mix: AudioSource | None) -> None:
    """One-line error naming the files unless every stem has the rate and length of the
    first (and the mix its rate)."""
    shape = {p: (s.info.sample_rate_hz, s.info.frames) for p, s in sources.items()}
    if len(set(shape.values())) > 1:
        listed = ", ".join(f"{Path(p).name} ({r} Hz, {n / r:.3f} s)"
                           for p, (r, n) in shape.items())
        raise StemMismatchError(f"stems differ in length or sample rate: {listed}; export "
                                f"every stem from the same start to the same end at one rate")
    if mix is not None and sources:
        rate = next(iter(shape.values()))[0]
        if mix.info.sample_rate_hz != rate:
            raise StemMismatchError(f"{mix.path}: the mix runs at {mix.info.sample_rate_hz} Hz, "
                                    f"the stems at {rate} Hz")


def measure_stems(paths: Sequence[str], mix: str | None = None) -> StemSetFacts:
    """Measure the stems (and the mix) together. A stem that cannot be read is named in
    ``errors`` and left out; raises ``StemMismatchError`` when the readable stems (or the
    mix) differ in length or rate, ``AudioError`` when the mix cannot be read."""
    errors: dict[str, str] = {}
    sources = _open(paths, errors)
    mix_source = open_audio(mix) if mix is not None else None
    _check_alike(sources, mix_source)
    while True:
        try:
            return _measure(sources, mix_source, errors)
        except AudioError as exc:  # a stem that fails mid-decode: judge the others
            if exc.path not in sources:
                raise
            errors[exc.path] = exc.reason
            sources = {p: open_audio(p) for p in sources if p != exc.path}
            mix_source = open_audio(mix) if mix is not None else None


class _Frames:
    """Per-frame accumulators of every stem (and the mix)."""

    def __init__(self, n: int, nfft: int, rate: int) -> None:
        self.nfft = nfft
        self.window = np.hanning(nfft + 1)[:-1].astype(np.float32)
        self.window_power = float((self.window ** 2).sum())
        freqs = np.fft.rfftfreq(nfft, 1.0 / rate)
        self.freqs_hz = freqs
        self.bands = band_matrix(freqs)
        # the flatness is Johnston's over the critical bands' span
        self.audible = np.flatnonzero((freqs >= BARK_EDGES_HZ[0]) & (freqs <= BARK_EDGES_HZ[-1]))
        self.low = np.flatnonzero((freqs >= LOW_END_HZ[0]) & (freqs < LOW_END_HZ[1]))
        self.phase = np.flatnonzero((freqs >= PHASE_BAND_HZ[0]) & (freqs < PHASE_BAND_HZ[1]))
        self.level: list[np.ndarray] = []  # (n, t) mean square of the frame
        self.band: list[np.ndarray] = []  # (n, t, K)
        self.sfm_db: list[np.ndarray] = []  # (n, t)
        self.low_energy: list[np.ndarray] = []  # (n, t)
        self.phase_cross: list[np.ndarray] = []  # (n, n, t): Re sum X_i X_j*, 20-1000 Hz
        self.low_spectrum = np.zeros((n, self.low.size))
        self.total_energy = np.zeros(n)
        self.mix_cross = np.zeros((n, freqs.size), dtype=np.complex128)  # sum X_mix X_i*
        self.gram = np.zeros((n, n))  # Re sum X_i X_j* over frames and bins
        self.mix_energy = 0.0

    def _spectra(self, mids: np.ndarray) -> np.ndarray:
        """(rows, n_frames, bins) complex64 spectra of (rows, frames x nfft) signals."""
        rows, length = mids.shape
        frames = mids.reshape(rows, length // self.nfft, self.nfft) * self.window
        self.level.append(np.einsum("rtn,rtn->rt", frames, frames, dtype=np.float64)
                          / self.window_power)
        return scipy.fft.rfft(frames, axis=-1)

    def add(self, mids: np.ndarray, mix_mid: np.ndarray | None) -> None:
        x = self._spectra(mids)
        power = x.real ** 2 + x.imag ** 2
        self.band.append(power @ self.bands)
        self.sfm_db.append(_flatness_db(power[..., self.audible]))
        low = power[..., self.low]
        # mean square of the band (one-sided spectrum, Parseval): comparable with dBFS
        self.low_energy.append(low.sum(-1) * (2.0 / (self.nfft * self.window_power)))
        self.low_spectrum += low.sum(axis=1)
        self.total_energy += power.sum(axis=(1, 2))
        xp = x[..., self.phase]
        self.phase_cross.append(np.einsum("itf,jtf->ijt", xp, xp.conj()).real)
        if mix_mid is not None:
            frames = mix_mid.reshape(-1, self.nfft) * self.window
            xm = scipy.fft.rfft(frames, axis=-1)
            self.mix_cross += np.einsum("tf,itf->if", xm, x.conj())
            flat = x.reshape(x.shape[0], -1).astype(np.complex128)
            self.gram += (flat @ flat.conj().T).real
            self.mix_energy += float((xm.real.astype(np.float64) ** 2 + xm.imag ** 2).sum())


def _measure(sources: dict[str, AudioSource], mix: AudioSource | None,
             errors: dict[str, str]) -> StemSetFacts:
    paths = list(sources)
    out = StemSetFacts(paths=paths, errors=dict(errors))
    if not paths:
        return out
    first = sources[paths[0]].info
    rate, total = first.sample_rate_hz, first.frames
    nfft = 2 ** round(math.log2(FRAME_S * rate))
    block = nfft * FRAMES_PER_BLOCK
    channels = max(s.info.channels for s in sources.values())
    meters = [LoudnessAnalyzer(AnalysisContext(rate, s.info.channels, total), true_peak=False)
              for s in sources.values()]
    sum_meter = LoudnessAnalyzer(AnalysisContext(rate, channels, total), true_peak=False)
    acc = _Frames(len(paths), nfft, rate)
    readers = [_exact_blocks(s, block, s.info.channels, total) for s in sources.values()]
    mix_reader = _exact_blocks(mix, block, mix.info.channels, total) if mix else None
    # The meters and the frame analysis of a block run side by side: their work is in
    # numpy and BLAS, which release the GIL.
    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        for blocks in zip(*readers, strict=True):
            length = blocks[0].shape[0]
            padded = -(-length // nfft) * nfft
            mids = np.zeros((len(blocks), padded), dtype=np.float32)
            summed = np.zeros((length, channels), dtype=np.float32)
            for i, b in enumerate(blocks):
                mids[i, :length] = _mid(b)
                summed += b if b.shape[1] == channels else np.repeat(b, channels, axis=1)
            mix_mid = None
            if mix_reader is not None:
                mix_mid = np.zeros(padded, dtype=np.float32)
                mix_mid[:length] = _mid(next(mix_reader))
            jobs = [pool.submit(meter.process, b) for meter, b in
                    zip([*meters, sum_meter], [*blocks, summed], strict=True)]
            jobs.append(pool.submit(acc.add, mids, mix_mid))
            for job in jobs:
                job.result()
    out.audio = {p: s.info for p, s in sources.items()}
    for path, meter in zip(paths, meters, strict=True):
        out.stem_descriptors[path] = {k: finite_or_none(v) for k, v in meter.finish().values.items()
                                      if isinstance(v, (int, float)) or v is None}
    sum_lufs = finite_or_none(sum_meter.finish().values.get("loudness.integrated_lufs"))
    names = stem_names(paths)
    _judge(out, acc, names, rate, total, sum_lufs, mix is not None)
    return out


def _playing(level: np.ndarray) -> np.ndarray:
    """(t,) where a stem plays: above the silence floor and within PLAYING_RANGE_DB of its
    95th percentile frame level."""
    level_db = db(level)
    above = level_db > SILENCE_DBFS
    if not above.any():
        return above
    return above & (level_db >= np.percentile(level_db[above], 95) - PLAYING_RANGE_DB)


def _windows(n_frames: int, frame_s: float, duration_s: float) -> tuple[list[float], np.ndarray]:
    """Window starts (s) of the shared 3 s / 1 s grid and the (windows, frames) membership
    of each frame (by its start time)."""
    grid = TimeGrid(1)  # only its window and hop lengths
    count = max(1, math.floor((duration_s - grid.window_s) / grid.hop_s) + 1)
    starts = np.arange(count) * grid.hop_s
    times = np.arange(n_frames) * frame_s
    member = (times[None, :] >= starts[:, None]) & (times[None, :] < starts[:, None]
                                                    + grid.window_s)
    return [round(float(s), 3) for s in starts], member


def _r(value: float | None, decimals: int = 2) -> float | None:
    v = finite_or_none(value)
    return None if v is None else round(v, decimals) + 0.0


def _judge(out: StemSetFacts, acc: _Frames, names: dict[str, str], rate: int, total: int,
           sum_lufs: float | None, with_mix: bool) -> None:
    paths = out.paths
    level = np.concatenate(acc.level, axis=1)
    bands = np.concatenate(acc.band, axis=1)
    sfm = np.concatenate(acc.sfm_db, axis=1)
    low = np.concatenate(acc.low_energy, axis=1)
    cross = np.concatenate(acc.phase_cross, axis=2)
    playing = np.stack([_playing(row) for row in level])
    frame_s = acc.nfft / rate
    out.window_starts_s, member = _windows(level.shape[1], frame_s, total / rate)
    out.whole = {"stems.n_stems": float(len(paths)), "stems.sum_lufs": _r(sum_lufs),
                 "stems.mix_offset_ms": None, "stems.mix_gain_db": None,
                 "stems.mix_polarity": None, "stems.mix_residual_db": None}
    for path in paths:
        lufs = out.stem_descriptors[path].get("loudness.integrated_lufs")
        vs = None if lufs is None or sum_lufs is None else lufs - sum_lufs
        share = None if vs is None else 100 * 10 ** (vs / 10)
        out.stems[path] = {"stems.stem_name": names[path], "stems.stem_vs_sum_lu": _r(vs),
                           "stems.stem_share_pct": _r(share),
                           "stems.stem_mix_gain_db": None, "stems.stem_mix_polarity": None,
                           "stems.stem_mix_offset_ms": None}
    thresholds = [threshold(bands[j], tonality(sfm[j])) for j in range(len(paths))]
    for i, j in permutations(range(len(paths)), 2):
        m = pair_masking(bands[i], playing[i], thresholds[j])
        centre = None if m.low_hz is None else math.sqrt(m.low_hz * m.high_hz)
        in_window = (member & m.playing[None, :]).sum(axis=1)
        hit = (member & m.masked[None, :]).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            per_window = np.where(in_window > 0, 100.0 * hit / in_window, np.nan)
        out.masking.append(StemPairFacts(
            members=[paths[i], paths[j]],
            facts={"stems.masking_masked_name": names[paths[i]],
                   "stems.masking_masker_name": names[paths[j]],
                   "stems.masking_time_pct": _r(m.time_pct, 1),
                   "stems.masking_margin_db": _r(m.margin_db, 1),
                   "stems.masking_low_hz": m.low_hz, "stems.masking_high_hz": m.high_hz,
                   "stems.masking_center_hz": _r(centre, 0),
                   "stems.masking_q": _r(None if centre is None
                                         else centre / (m.high_hz - m.low_hz))},  # type: ignore[operator]
            series={"stems.masking_time_pct": [_r(v, 1) for v in per_window]}))
    low_db = db(low)
    sounding = np.zeros_like(playing)
    for i in range(len(paths)):
        on = low_db[i] > SILENCE_DBFS
        if on.any():
            sounding[i] = on & (low_db[i] >= np.percentile(low_db[i][on], 90)
                                - LOW_END_SOUNDING_DB)
    low_share = 100.0 * acc.low_spectrum.sum(axis=1) / np.maximum(acc.total_energy, 1e-30)
    low_freqs = acc.freqs_hz[acc.low]
    for i, j in combinations(range(len(paths)), 2):
        # over the frames where the sparser of the two sounds (the kick's hits)
        sparser = min(int(sounding[i].sum()), int(sounding[j].sum()))
        close = np.abs(low_db[i] - low_db[j]) <= LOW_END_CLOSE_DB
        both_low = sounding[i] & sounding[j] & close
        overlap = 100.0 * both_low.sum() / sparser if sparser else None
        both = playing[i] & playing[j]
        e_i, e_j, c_ij = (float(cross[i, i][both].sum()), float(cross[j, j][both].sum()),
                          float(cross[i, j][both].sum()))
        corr = c_ij / math.sqrt(e_i * e_j) if e_i > 0 and e_j > 0 else None
        together = e_i + e_j + 2 * c_ij
        loss = (10 * math.log10((e_i + e_j) / max(together, 1e-30 * (e_i + e_j)))
                if e_i + e_j > 0 else None)
        peak = [float(low_freqs[np.argmax(acc.low_spectrum[k])]) if low_freqs.size
                and acc.low_spectrum[k].any() else None for k in (i, j)]
        out.pairs.append(StemPairFacts(
            members=[paths[i], paths[j]],
            facts={"stems.pair_a_name": names[paths[i]], "stems.pair_b_name": names[paths[j]],
                   "stems.pair_low_end_overlap_pct": _r(overlap, 1),
                   "stems.pair_low_end_share_min_pct": _r(min(low_share[i], low_share[j]), 1),
                   "stems.pair_low_end_a_hz": _r(peak[0], 0),
                   "stems.pair_low_end_b_hz": _r(peak[1], 0),
                   "stems.pair_correlation": _r(corr, 3),
                   "stems.pair_sum_loss_db": _r(loss, 2)}))
    if with_mix:
        _fit_mix(out, acc, rate)


def _lag(cross: np.ndarray, nfft: int) -> int:
    """Samples by which the mix runs late against a signal, from their cross-spectrum
    summed over frames (GCC-PHAT): within half a frame either way."""
    magnitude = np.abs(cross)
    # Phase transform on the bins that hold the music (60 dB): whitened, the empty bins'
    # rounding noise would outvote it.
    held = magnitude > magnitude.max(initial=0.0) * 1e-6
    phat = np.fft.irfft(np.where(held, cross / np.maximum(magnitude, 1e-300), 0), n=nfft)
    index = int(np.argmax(np.abs(phat)))
    return index if index < nfft // 2 else index - nfft


def _gain_db(gain: float) -> float | None:
    return _r(max(20 * math.log10(abs(gain)), _FLOOR_DB) if gain else _FLOOR_DB)


def _fit_mix(out: StemSetFacts, acc: _Frames, rate: int) -> None:
    """Offset of the mix against the sum and against each stem (GCC-PHAT), one gain for
    the aligned sum and one per aligned stem (least squares over every frame and bin), and
    what of the mix the aligned sum leaves unexplained."""
    energy, gram = acc.mix_energy, acc.gram
    if energy <= 0 or gram.trace() <= 0:
        return
    k = np.arange(acc.mix_cross.shape[1])
    lag = _lag(acc.mix_cross.sum(axis=0), acc.nfft)
    lags = [_lag(row, acc.nfft) for row in acc.mix_cross]

    def aligned(row: np.ndarray, samples: int) -> float:
        """Cross-energy after undoing the lag; divided by the windows' overlap at that lag
        (a frame of the mix holds only part of the stem's frame)."""
        w = acc.window.astype(np.float64)
        overlap = float(w[abs(samples):] @ w[:acc.nfft - abs(samples)]) / acc.window_power
        phase = np.exp(2j * np.pi * k * samples / acc.nfft)
        return float((row * phase).sum().real) / max(overlap, 1e-3)

    together = sum(aligned(row, lag) for row in acc.mix_cross)
    g_sum = together / gram.sum()
    residual = max(energy - g_sum * together, 0.0)
    gains = np.linalg.lstsq(gram, [aligned(row, n) for row, n in zip(acc.mix_cross, lags,
                                                                    strict=True)],
                            rcond=None)[0]
    out.whole.update({
        "stems.mix_offset_ms": _r(1000.0 * lag / rate, 2),
        "stems.mix_gain_db": _gain_db(g_sum),
        "stems.mix_polarity": 1.0 if g_sum >= 0 else -1.0,
        "stems.mix_residual_db": _r(max(float(db(residual / energy)), _FLOOR_DB)),
    })
    for path, gain, n in zip(out.paths, gains, lags, strict=True):
        out.stems[path].update({"stems.stem_mix_gain_db": _gain_db(gain),
                                "stems.stem_mix_polarity": 1.0 if gain >= 0 else -1.0,
                                "stems.stem_mix_offset_ms": _r(1000.0 * n / rate, 2)})
