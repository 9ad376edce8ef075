"""Shape measures of a power spectrum: band weights, tilt, roll-off, cutoff and resonances.

Pure functions on arrays, separated from the block-wise ``SpectralAnalyzer`` so that each can be
tested on its own. Frequencies are in Hz, levels in dB, powers linear (any consistent scale).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

if TYPE_CHECKING:
    from scipy import sparse

from expert.descriptors.spectrum import (
    CUTOFF_DROP_DB,
    CUTOFF_MAX_DROP_DB,
    CUTOFF_MAX_NYQUIST,
    CUTOFF_MIN_HZ,
    LEVEL_FLOOR_DB,
    RESONANCE_MAX_COUNT,
    RESONANCE_MIN_PERSISTENCE_PCT,
    RESONANCE_MIN_PROMINENCE_DB,
)

#: Cap of spectrum.cutoff_drop_db: a stopband of digital silence reads this.
#: A segment's spectrum "stands out" at a frequency when it is this far above its median.
SEGMENT_EXCESS_DB = 3.0
#: Stride of the cells entering the running median.
MEDIAN_STRIDE = 4


def overlap_weights(bins_hz: np.ndarray, lo_hz: np.ndarray, hi_hz: np.ndarray) -> sparse.csr_array:
    """Sparse (n_bins, n_bands) matrix: the fraction of each FFT bin inside each band.

    Bin k stands for [f_k - df/2, f_k + df/2] clipped to [0, Nyquist]; band j is
    [lo_hz[j], hi_hz[j]). ``power_per_bin @ weights`` then gives band powers that add up
    exactly when bands tile a range, and a band narrower than a bin gets its share.
    """
    bins_hz = np.asarray(bins_hz, dtype=np.float64)
    df = bins_hz[1] - bins_hz[0]
    bin_lo = np.maximum(bins_hz - df / 2, 0.0)
    bin_hi = np.minimum(bins_hz + df / 2, bins_hz[-1])
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    for j, (lo, hi) in enumerate(zip(np.atleast_1d(lo_hz), np.atleast_1d(hi_hz), strict=True)):
        first = max(int(np.searchsorted(bin_hi, lo, side="right")), 0)
        last = int(np.searchsorted(bin_lo, hi, side="left"))
        k = np.arange(first, last)
        overlap = (np.minimum(hi, bin_hi[k]) - np.maximum(lo, bin_lo[k])) / df
        keep = overlap > 0
        rows.append(k[keep])
        cols.append(np.full(int(keep.sum()), j))
        vals.append(overlap[keep])
    shape = (len(bins_hz), len(np.atleast_1d(lo_hz)))
    from scipy import sparse  # 0.15 s to import: only where the layout is built

    return sparse.csr_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=shape
    )


def log_grid(lo_hz: float, hi_hz: float, per_octave: int) -> tuple[np.ndarray, np.ndarray]:
    """Edges (n + 1,) and geometric centres (n,) of cells 1/per_octave octave wide.

    Cells are anchored on 1 kHz; the first and last cell are cut at ``lo_hz`` and ``hi_hz``.
    """
    first = int(np.floor(per_octave * np.log2(lo_hz / 1000.0)))
    last = int(np.ceil(per_octave * np.log2(hi_hz / 1000.0)))
    edges = 1000.0 * 2.0 ** (np.arange(first, last + 1) / per_octave)
    edges = np.clip(edges, lo_hz, hi_hz)
    edges = np.unique(edges)
    return edges, np.sqrt(edges[:-1] * edges[1:])


def level_db(power: np.ndarray, reference: np.ndarray | float) -> np.ndarray:
    """10*log10(power / reference) floored at LEVEL_FLOOR_DB; NaN where reference <= 0."""
    power = np.asarray(power, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = power / reference
        out = 10.0 * np.log10(np.maximum(ratio, 10.0 ** (LEVEL_FLOOR_DB / 10.0)))
    return np.where(reference > 0, out, np.nan)


def tilt_db_per_octave(levels_db: np.ndarray, centres_hz: np.ndarray) -> np.ndarray:
    """Least-squares slope (dB per octave) of band levels against log2 frequency, per row.

    ``levels_db`` is (..., n_bands); rows holding NaN give NaN; fewer than 3 bands give NaN.
    """
    levels_db = np.asarray(levels_db, dtype=np.float64)
    if len(centres_hz) < 3:
        return np.full(levels_db.shape[:-1], np.nan)
    x = np.log2(np.asarray(centres_hz, dtype=np.float64))
    x = x - x.mean()
    y = levels_db - levels_db.mean(axis=-1, keepdims=True)
    return (y @ x) / (x @ x)


def rolloff_hz(
    band_power: np.ndarray, lo_hz: np.ndarray, hi_hz: np.ndarray, fraction: float
) -> np.ndarray:
    """Frequency below which ``fraction`` of the bands' total power lies, per row.

    The crossing is interpolated geometrically inside its band, as if the power were spread
    evenly over log frequency there. Rows with no power give NaN.
    """
    band_power = np.atleast_2d(np.asarray(band_power, dtype=np.float64))
    cum = np.cumsum(band_power, axis=-1)
    total = cum[:, -1]
    target = fraction * total
    idx = np.minimum((cum < target[:, None]).sum(axis=-1), band_power.shape[-1] - 1)
    rows = np.arange(band_power.shape[0])
    before = np.where(idx > 0, cum[rows, idx - 1], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.clip((target - before) / band_power[rows, idx], 0.0, 1.0)
    lo, hi = np.asarray(lo_hz)[idx], np.asarray(hi_hz)[idx]
    return np.where(total > 0, lo * (hi / lo) ** share, np.nan)


def cutoff(
    psd: np.ndarray, centres_hz: np.ndarray, edges_hz: np.ndarray, nyquist_hz: float
) -> tuple[float | None, float | None, float | None]:
    """Effective bandwidth (Hz), the depth of the fall above it and the steepness of the fall
    at it (dB), or (None, None, None).

    ``psd`` is the power density of the cells of a log grid (``centres_hz``, ``edges_hz``)
    reaching the Nyquist frequency. The cutoff is the lower edge of the lowest cell, between
    CUTOFF_MIN_HZ and CUTOFF_MAX_NYQUIST * Nyquist, from which every cell up to Nyquist lies
    CUTOFF_DROP_DB or more below the mean density of the half octave around half its frequency.
    The steepness is the mean density of the sixth of an octave below the cutoff's twelfth-
    octave neighbourhood over that of the sixth above it (what a third of an octave around
    the cutoff falls, the transition band itself left out).
    """
    psd = np.asarray(psd, dtype=np.float64)
    if not np.any(psd > 0):
        return None, None, None
    floor = psd.max() * 10.0 ** (-(CUTOFF_MAX_DROP_DB + 30.0) / 10.0)
    level = 10.0 * np.log10(np.maximum(psd, floor))
    # Mean density over the half octave around f/2, from cumulative sums over the cells.
    cum = np.concatenate([[0.0], np.cumsum(psd)])
    lo = np.searchsorted(centres_hz, centres_hz / 2 * 2.0 ** -0.25)
    hi = np.searchsorted(centres_hz, centres_hz / 2 * 2.0 ** 0.25)
    count = hi - lo
    with np.errstate(divide="ignore", invalid="ignore"):
        reference = 10.0 * np.log10((cum[hi] - cum[lo]) / count)
    tail_max = np.maximum.accumulate(level[::-1])[::-1]
    candidate = (
        (centres_hz >= CUTOFF_MIN_HZ)
        & (centres_hz <= CUTOFF_MAX_NYQUIST * nyquist_hz)
        & (centres_hz / 2 * 2.0 ** -0.25 >= edges_hz[0])
        & (count > 0)
    )
    with np.errstate(invalid="ignore"):
        steep = candidate & (reference - tail_max >= CUTOFF_DROP_DB)
    if not steep.any():
        return None, None, None
    i = int(np.argmax(steep))
    drop = min(float(reference[i] - np.median(level[i:])), CUTOFF_MAX_DROP_DB)
    cut_hz = float(edges_hz[i])
    below = (centres_hz >= cut_hz * 2.0 ** -0.25) & (centres_hz < cut_hz * 2.0 ** (-1 / 12))
    above = (centres_hz > cut_hz * 2.0 ** (1 / 12)) & (centres_hz <= cut_hz * 2.0 ** 0.25)
    slope = None
    if below.any() and above.any():
        fall = 10.0 * np.log10(psd[below].mean() / max(psd[above].mean(), floor))
        slope = round(min(float(fall), CUTOFF_MAX_DROP_DB), 2)
    return cut_hz, drop, slope


def peak_excess_db(level: np.ndarray, per_octave: int) -> np.ndarray:
    """Level minus its running median over one octave (last axis), in dB.

    A median ignores peaks narrower than half its span, so narrow peaks stand out at their
    full height while the smooth trend of the spectrum is removed.
    """
    half = per_octave // 2
    pad = [(0, 0)] * (np.ndim(level) - 1) + [(half, half)]
    padded = np.pad(level, pad, mode="edge")
    # Every 4th cell of the octave (13 of 49 at 1/48 octave): same median on a smooth spectrum,
    # a quarter of the sorting work.
    span = sliding_window_view(padded, 2 * half + 1, axis=-1)[..., ::MEDIAN_STRIDE]
    return level - np.median(span, axis=-1)


@dataclass(frozen=True)
class Resonance:
    """One persistent narrow peak of the long-term spectrum."""

    frequency_hz: float
    prominence_db: float
    q: float | None
    persistence_pct: float
    #: The excess an octave below (None off the grid): a held note's fundamental shows
    #: there when the peak is its second partial; an EQ bump or a ringing body does not.
    suboctave_db: float | None


def resonances(
    excess_db: np.ndarray,
    centres_hz: np.ndarray,
    persistence_pct: np.ndarray,
    range_hz: tuple[float, float],
    *,
    partials_db: np.ndarray,
    cells_per_octave: int,
) -> list[Resonance]:
    """Qualifying peaks of a log-grid excess curve (dB above the running median), strongest first.

    A local maximum qualifies when it reaches RESONANCE_MIN_PROMINENCE_DB and
    ``persistence_pct`` (per cell: share of segments in which the spectrum stood out there)
    reaches RESONANCE_MIN_PERSISTENCE_PCT within one cell of it. ``partials_db``: the same
    excess of the long-term spectrum with its lines kept (the partials of held notes), read
    an octave below each peak.
    """
    found: list[Resonance] = []
    for i in _local_maxima(excess_db, RESONANCE_MIN_PROMINENCE_DB):
        if not range_hz[0] <= centres_hz[i] <= range_hz[1]:
            continue
        persistence = float(np.max(persistence_pct[max(i - 1, 0) : i + 2]))
        if persistence < RESONANCE_MIN_PERSISTENCE_PCT:
            continue
        position = i + parabolic_offset(excess_db, i)
        below = i - cells_per_octave  # within 1/24 octave of half the frequency
        found.append(
            Resonance(
                frequency_hz=_cell_frequency(centres_hz, position),
                prominence_db=float(excess_db[i]),
                q=_q_factor(excess_db, i, centres_hz),
                persistence_pct=persistence,
                suboctave_db=float(np.max(partials_db[below - 2:below + 3])) if below >= 2
                else None,
            )
        )
    found.sort(key=lambda r: -r.prominence_db)
    # A bump dented by notes can show two maxima: keep the stronger of any closer than 1/6 oct.
    kept: list[Resonance] = []
    for candidate in found:
        if all(abs(math.log2(candidate.frequency_hz / k.frequency_hz)) >= 1 / 6 for k in kept):
            kept.append(candidate)
    return kept[:RESONANCE_MAX_COUNT]


def _local_maxima(values: np.ndarray, height: float) -> np.ndarray:
    """Indices of the local maxima reaching ``height`` (middle of a flat top)."""
    rises = np.flatnonzero(np.diff(values) > 0) + 1  # a value above its left neighbour
    peaks = []
    for start in rises[values[rises] >= height]:
        end = start
        while end + 1 < len(values) and values[end + 1] == values[start]:
            end += 1
        if end + 1 < len(values) and values[end + 1] < values[start]:
            peaks.append((start + end) // 2)
    return np.unique(np.array(peaks, dtype=np.int64))


def parabolic_offset(level: np.ndarray, i: int) -> float:
    """Sub-cell position of the peak at ``i`` from a parabola through it and its neighbours."""
    if i == 0 or i == len(level) - 1:
        return 0.0
    a, b, c = level[i - 1], level[i], level[i + 1]
    denominator = a - 2 * b + c
    return 0.0 if denominator >= 0 else float(np.clip(0.5 * (a - c) / denominator, -0.5, 0.5))


def _cell_frequency(centres_hz: np.ndarray, position: float) -> float:
    """Frequency at a fractional cell index (geometric interpolation between centres)."""
    log_f = np.interp(position, np.arange(len(centres_hz)), np.log2(centres_hz))
    return float(2.0**log_f)


def _q_factor(level: np.ndarray, i: int, centres_hz: np.ndarray) -> float | None:
    """f0 / bandwidth at half the height (dB) of the excess peak at ``i``; None if no skirt."""
    half = level[i] / 2
    below = np.flatnonzero(level[:i] <= half)
    above = np.flatnonzero(level[i + 1 :] <= half)
    if len(below) == 0 or len(above) == 0:
        return None
    left, right = below[-1], i + 1 + above[0]
    # Interpolate the crossings linearly in dB between the cells around them.
    left_pos = left + (half - level[left]) / (level[left + 1] - level[left])
    right_pos = right - (half - level[right]) / (level[right - 1] - level[right])
    f_lo = _cell_frequency(centres_hz, left_pos)
    f_hi = _cell_frequency(centres_hz, right_pos)
    f0 = np.sqrt(f_lo * f_hi)
    return float(f0 / (f_hi - f_lo)) if f_hi > f_lo else None
