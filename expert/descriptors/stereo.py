"""Catalogue entries of the stereo descriptors (all null for mono files: not applicable)."""

from __future__ import annotations

from expert.descriptors.spec import DescriptorSpec, Gate
from expert.descriptors.spectrum import NAMED_BANDS_HZ, SILENCE_DBFS

#: "Low" for the bass-mono checks: 20-150 Hz.
LOW_BAND_HZ: tuple[float, float] = (20.0, 150.0)
#: Channels whose difference is this far below their level are the same signal.
IDENTICAL_DIFFERENCE_DB = -90.0
#: Ratios of zero or infinity (identical or exactly opposite channels) read as -/+ this.
RATIO_LIMIT_DB = 120.0
_RATIO_GATE = Gate(minimum=-RATIO_LIMIT_DB, maximum=RATIO_LIMIT_DB,
                   reason="ratios of zero or infinity (a silent or cancelled side) read the limit")
_CORRELATION_GATE = Gate(minimum=-1.0, maximum=1.0, reason="a correlation coefficient")

_REF_BLUMLEIN = "A. D. Blumlein, British Patent 394,325 (1933): sum and difference (M/S) stereo"
_REF_ESSENTIA = "Essentia FalseStereoDetector (Pearson correlation of the channels)"
_MS = "M = (L + R) / 2, S = (L - R) / 2"


def _spectral(over: str) -> str:
    """How the spectral stereo sums are formed, over a frequency range."""
    return (
        f"{_MS}. From the spectra of M and S (Hann STFT, 186 ms, 50 % overlap; S is transformed "
        "directly, so near-identical channels are not lost to cancellation), summed over the "
        f"bins of {over} weighted by their overlap with it; |L|^2 = |M|^2 + |S|^2 + 2 Re(M S*), "
        "|R|^2 = |M|^2 + |S|^2 - 2 Re(M S*), Re(L R*) = |M|^2 - |S|^2. "
    )


_SPECTRAL = _spectral("the band")
#: Broadband measures cover 20 Hz-20 kHz: DC offsets and infrasonic drift would otherwise
#: dominate a correlation (opposite DC offsets read as anti-phase).
_BROADBAND = _spectral("20 Hz-20 kHz")


def _band_correlation_spec(name: str, lo_hz: float, hi_hz: float) -> DescriptorSpec:
    return DescriptorSpec(
        name=f"stereo.correlation_{name}", unit="coefficient", stereo_only=True,
        gate=_CORRELATION_GATE,
        meaning=(
            f"Correlation of L and R in the {name.replace('_', '-')} band "
            f"({lo_hz:g}-{hi_hz:g} Hz): +1 mono, 0 unrelated, -1 opposite polarity."
        ),
        method=(
            _SPECTRAL + "sum Re(L R*) / sqrt(sum |L|^2 sum |R|^2) over the whole file; null above "
            "the Nyquist frequency or when a channel is silent in the band."
        ),
        references=(_REF_ESSENTIA,),
    )


def _band_side_to_mid_spec(name: str, lo_hz: float, hi_hz: float) -> DescriptorSpec:
    return DescriptorSpec(
        name=f"stereo.side_to_mid_{name}_db", unit="dB", stereo_only=True,
        gate=_RATIO_GATE,
        meaning=(
            f"Side relative to mid in the {name.replace('_', '-')} band ({lo_hz:g}-{hi_hz:g} "
            "Hz): very negative = mono there, 0 = as much side as mid, > 0 = anti-phase "
            "content dominates. Band by band it shows where the image turns mono (a crossover)."
        ),
        method=(
            _SPECTRAL + f"10*log10(sum |S|^2 / sum |M|^2) over the band and the whole file, "
            f"limited to +-{RATIO_LIMIT_DB:g} dB; null above the Nyquist frequency."
        ),
        references=(_REF_BLUMLEIN,),
    )


SPECS: tuple[DescriptorSpec, ...] = (
    DescriptorSpec(
        name="stereo.correlation", unit="coefficient", scope="both", stereo_only=True,
        gate=_CORRELATION_GATE,
        meaning=(
            "Phase correlation of L and R: +1 mono, 0 unrelated, < 0 cancels when summed to mono."
        ),
        method=(
            _BROADBAND + "sum Re(L R*) / sqrt(sum |L|^2 sum |R|^2), the spectral form of "
            "sum(L R) / sqrt(sum L^2 sum R^2), over the file or the 3 s window (windows below "
            f"{SILENCE_DBFS:g} dBFS RMS are null); -1..1."
        ),
        references=(_REF_ESSENTIA,),
    ),
    DescriptorSpec(
        name="stereo.correlation_min", unit="coefficient", stereo_only=True,
        meaning="Lowest stereo.correlation over the non-silent 3 s windows.",
        method=(
            "Minimum of the per-window stereo.correlation, skipping windows below "
            f"{SILENCE_DBFS:g} dBFS RMS; null if every window is silent."
        ),
    ),
    *(_band_correlation_spec(name, lo, hi) for name, (lo, hi) in NAMED_BANDS_HZ.items()),
    _band_correlation_spec("low", *LOW_BAND_HZ),
    DescriptorSpec(
        name="stereo.side_to_mid_db", unit="dB", scope="both", stereo_only=True,
        gate=_RATIO_GATE,
        meaning=(
            "Side energy relative to mid energy: very negative = near mono, 0 = as much side as "
            "mid (uncorrelated), > 0 = anti-phase content dominates."
        ),
        method=(
            _BROADBAND + f"10*log10(sum |S|^2 / sum |M|^2), limited to "
            f"+-{RATIO_LIMIT_DB:g} dB (-{RATIO_LIMIT_DB:g} = identical channels, "
            f"+{RATIO_LIMIT_DB:g} = exact opposites)."
        ),
        references=(_REF_BLUMLEIN,),
    ),
    *(_band_side_to_mid_spec(name, lo, hi) for name, (lo, hi) in NAMED_BANDS_HZ.items()),
    _band_side_to_mid_spec("low", *LOW_BAND_HZ),
    DescriptorSpec(
        name="stereo.balance_db", unit="dB", scope="both", stereo_only=True,
        gate=_RATIO_GATE,
        meaning="Left level minus right level: + = left louder, - = right louder.",
        method=(
            _BROADBAND + f"10*log10(sum |L|^2 / sum |R|^2), limited to +-{RATIO_LIMIT_DB:g} dB "
            "(one channel silent)."
        ),
    ),
    DescriptorSpec(
        name="stereo.width_pct", unit="%", scope="both", stereo_only=True,
        gate=Gate(minimum=0.0, maximum=100.0, reason="a share of the energy"),
        meaning="Stereo width: 0 mono, 50 unrelated channels, 100 exact opposites.",
        method=_BROADBAND + "100 * sum |S|^2 / (sum |M|^2 + sum |S|^2).",
        references=(_REF_BLUMLEIN,),
    ),
    DescriptorSpec(
        name="stereo.identical_channels", unit="bool", kind="bool", stereo_only=True,
        meaning="True when L and R carry the same signal (a mono mix stored as stereo).",
        method=(
            f"stereo.channel_difference_db <= {IDENTICAL_DIFFERENCE_DB:g} dB. Essentia's "
            "FalseStereoDetector (correlation >= 0.9995 in any 512-sample frame) is checked "
            "against it in the tests."
        ),
        references=(_REF_ESSENTIA,),
    ),
    DescriptorSpec(
        name="stereo.channel_difference_db", unit="dB", stereo_only=True,
        meaning=(
            "Energy of L - R relative to the channels' mean energy: -120 identical, about -30 "
            "a barely widened mono, +3 unrelated, +6 opposite polarity."
        ),
        method=(
            "10*log10(sum (L - R)^2 / (sum (L^2 + R^2) / 2)) over samples, computed from the "
            f"sample difference (exact, not by cancellation), floored at -{RATIO_LIMIT_DB:g} dB."
        ),
    ),
)
