"""A small stand-in for the descriptor catalogue (names, units, kinds, scopes).

The real catalogue is filled by the feature extractors; these tests only need the names
the built-in rules use, so that the rules can be validated and exercised on their own.
"""

from __future__ import annotations

from expert.features.catalogue.spec import DescriptorSpec

_BOTH = {"spectrum.sub_db", "spectrum.bass_db", "spectrum.low_mid_db", "spectrum.mid_db",
         "spectrum.high_mid_db", "spectrum.presence_db", "spectrum.brilliance_db"}
_WINDOW = {"loudness.short_term_lufs"}
_BOOL = {"audio.lossy", "stereo.identical_channels"}
_STEREO = {"stereo."}

_UNITS: dict[str, str] = {
    "audio.duration_s": "s", "audio.sample_rate_hz": "Hz", "audio.nyquist_hz": "Hz",
    "audio.channels": "count", "audio.lossy": "bool",
    "loudness.integrated_lufs": "LUFS", "loudness.momentary_max_lufs": "LUFS",
    "loudness.short_term_max_lufs": "LUFS", "loudness.range_lu": "LU",
    "loudness.true_peak_dbtp": "dBTP", "loudness.sample_peak_dbfs": "dBFS",
    "loudness.true_peak_left_dbtp": "dBTP", "loudness.true_peak_right_dbtp": "dBTP",
    "loudness.plr_db": "dB", "loudness.rms_dbfs": "dBFS", "loudness.crest_factor_db": "dB",
    "loudness.mono_integrated_lufs": "LUFS", "loudness.mono_fold_loss_db": "dB",
    "loudness.short_term_lufs": "LUFS",
    "spectrum.sub_db": "dB", "spectrum.bass_db": "dB", "spectrum.low_mid_db": "dB",
    "spectrum.mid_db": "dB", "spectrum.high_mid_db": "dB", "spectrum.presence_db": "dB",
    "spectrum.brilliance_db": "dB", "spectrum.tilt_db_per_octave": "dB/oct",
    "spectrum.centroid_hz": "Hz", "spectrum.rolloff_hz": "Hz", "spectrum.cutoff_hz": "Hz",
    "spectrum.cutoff_drop_db": "dB", "spectrum.resonance_hz": "Hz",
    "spectrum.resonance_prominence_db": "dB", "spectrum.resonance_q": "",
    "stereo.correlation": "", "stereo.correlation_min": "", "stereo.correlation_low": "",
    "stereo.correlation_bass": "", "stereo.side_to_mid_db": "dB",
    "stereo.side_to_mid_low_db": "dB", "stereo.balance_db": "dB", "stereo.width_pct": "%",
    "stereo.identical_channels": "bool",
    "artifacts.dc_offset_dbfs": "dBFS", "artifacts.clipped_samples": "count",
    "artifacts.clipped_runs": "count", "artifacts.click_count": "count",
    "artifacts.dropout_count": "count", "artifacts.hum_frequency_hz": "Hz",
    "artifacts.hum_salience_db": "dB", "artifacts.noise_floor_dbfs": "dBFS",
    "artifacts.snr_db": "dB", "artifacts.leading_silence_s": "s",
    "artifacts.trailing_silence_s": "s",
}


def _spec(name: str, unit: str) -> DescriptorSpec:
    return DescriptorSpec(
        name=name, unit=unit, meaning="test fixture", method="test fixture",
        kind="bool" if name in _BOOL else "number",
        scope="both" if name in _BOTH else "window" if name in _WINDOW else "track",
        stereo_only=name.startswith("stereo."),
    )


CATALOGUE: dict[str, DescriptorSpec] = {n: _spec(n, u) for n, u in _UNITS.items()}
