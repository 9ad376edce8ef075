"""Masking between two stems per critical band (Johnston 1988; see ``expert.descriptors.stems``).

Shapes: ``T`` frames, ``K`` = 24 critical bands. Energies are linear powers; margins dB.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from expert.descriptors.stems import (
    BAND_RANGE_DB,
    BARK_EDGES_HZ,
    MASKING_FROM_HZ,
    NOISE_MASKER_OFFSET_DB,
    REGION_SHARE,
    SFM_TONE_DB,
    TONE_MASKER_OFFSET_DB,
)

N_BANDS = len(BARK_EDGES_HZ) - 1
_FIRST = BARK_EDGES_HZ.index(MASKING_FROM_HZ)  # first band a region may hold


def band_matrix(freqs_hz: np.ndarray) -> np.ndarray:
    """(bins, K) 0/1 matrix summing FFT bins into the critical bands."""
    edges = np.asarray(BARK_EDGES_HZ, dtype=float)
    index = np.searchsorted(edges, freqs_hz, side="right") - 1
    out = np.zeros((freqs_hz.size, N_BANDS), dtype=np.float32)
    inside = (index >= 0) & (index < N_BANDS)
    out[np.flatnonzero(inside), index[inside]] = 1.0
    return out


def _a_weighting_db(freqs_hz: np.ndarray) -> np.ndarray:
    """IEC 61672-1 A-weighting (dB), the ear's sensitivity at moderate levels."""
    f2 = np.asarray(freqs_hz, dtype=float) ** 2
    ra = (12194.0 ** 2 * f2 ** 2) / ((f2 + 20.6 ** 2) * np.sqrt((f2 + 107.7 ** 2)
                                      * (f2 + 737.9 ** 2)) * (f2 + 12194.0 ** 2))
    return 20.0 * np.log10(ra) + 2.0


_CENTRES_HZ = np.sqrt(np.asarray(BARK_EDGES_HZ[:-1], float) * np.asarray(BARK_EDGES_HZ[1:], float))
#: Bands weighted by the ear's sensitivity when choosing which a stem plays in.
_AUDIBILITY = 10.0 ** (_a_weighting_db(_CENTRES_HZ) / 10.0)


def _spreading() -> np.ndarray:
    """(K, K) linear spreading S[maskee, masker]: Schroeder et al. 1979,
    SF(dz) = 15.81 + 7.5 (dz + 0.474) - 17.5 sqrt(1 + (dz + 0.474)^2) dB, dz in Bark."""
    dz = np.arange(N_BANDS)[:, None] - np.arange(N_BANDS)[None, :]
    sf_db = 15.81 + 7.5 * (dz + 0.474) - 17.5 * np.sqrt(1.0 + (dz + 0.474) ** 2)
    return (10.0 ** (sf_db / 10.0)).astype(np.float64)


SPREADING = _spreading()
_BARK = np.arange(1, N_BANDS + 1, dtype=np.float64)


def tonality(sfm_db: np.ndarray) -> np.ndarray:
    """Johnston's tonality coefficient from the spectral flatness (dB, <= 0): 1 = tone."""
    return np.clip(sfm_db / SFM_TONE_DB, 0.0, 1.0)


def threshold(masker_bands: np.ndarray, masker_tonality: np.ndarray) -> np.ndarray:
    """(T, K) masking threshold of a masker: spread band energy minus Johnston's offset
    O = a (14.5 + z) + (1 - a) 5.5 dB (a: tonality per frame, z: Bark band number)."""
    spread = masker_bands.astype(np.float64) @ SPREADING.T
    a = masker_tonality[:, None]
    offset_db = a * (TONE_MASKER_OFFSET_DB + _BARK[None, :]) + (1.0 - a) * NOISE_MASKER_OFFSET_DB
    return spread * 10.0 ** (-offset_db / 10.0)


@dataclass(frozen=True)
class PairMasking:
    """How one stem lies under another's threshold: the worst region and when."""

    masked: np.ndarray  # (T,) bool: the frame's region margin is above 0 dB
    playing: np.ndarray  # (T,) bool: the masked stem plays
    time_pct: float | None  # None when the masked stem never plays
    margin_db: float | None  # median region margin over the masked frames
    low_hz: float | None
    high_hz: float | None


def pair_masking(bands: np.ndarray, playing: np.ndarray, masker_threshold: np.ndarray
                 ) -> PairMasking:
    """``bands``: (T, K) energies of the masked stem; ``playing``: (T,) where it plays;
    ``masker_threshold``: (T, K) from ``threshold``."""
    heard = bands * _AUDIBILITY
    floor = heard.max(axis=1, keepdims=True) * 10.0 ** (-BAND_RANGE_DB / 10.0)
    counts = playing[:, None] & (heard >= floor) & (bands > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        margin = 10.0 * np.log10(masker_threshold / bands)
    margin = np.where(counts, margin, np.nan)
    n_playing = int(playing.sum())
    none = np.zeros_like(playing)
    if n_playing == 0:
        return PairMasking(none, playing, None, None, None, None)
    share = (margin > 0).sum(axis=0) / n_playing
    share[:_FIRST] = 0.0
    worst = int(np.argmax(share))
    if share[worst] == 0:
        return PairMasking(none, playing, 0.0, None, None, None)
    lo = hi = worst
    while lo > _FIRST and share[lo - 1] >= REGION_SHARE * share[worst]:
        lo -= 1
    while hi < N_BANDS - 1 and share[hi + 1] >= REGION_SHARE * share[worst]:
        hi += 1
    region = margin[:, lo:hi + 1]
    has = ~np.isnan(region).all(axis=1)
    mean = np.full(region.shape[0], np.nan)
    mean[has] = np.nanmean(region[has], axis=1)
    masked = has & (mean > 0)
    return PairMasking(masked, playing, 100.0 * masked.sum() / n_playing,
                       float(np.median(mean[masked])) if masked.any() else None,
                       float(BARK_EDGES_HZ[lo]), float(BARK_EDGES_HZ[hi + 1]))
