"""The K-weighting filter of ITU-R BS.1770-4 at any sample rate, and its streaming form.

BS.1770-4 Annex 1 gives the filter as two biquads at 48 kHz (Table 1: the "pre-filter", a
+4 dB high shelf that models the acoustic effect of the head; Table 2: the "RLB" high-pass)
and asks that at other rates the coefficients give the same frequency response. We derive
them in two steps:

1. The analog prototype of each stage is recovered from the 48 kHz table by inverting the
   bilinear transform, then re-digitised at the target rate by the bilinear transform
   pre-warped at the stage's pole frequency (Oppenheim & Schafer, *Discrete-Time Signal
   Processing*, 3rd ed., section 7.2.3; the same design as R. Bristow-Johnson's *Audio EQ
   Cookbook* and libebur128, whose fitted pole frequencies 1681.97 Hz and 38.135 Hz this
   reproduces). At 48 kHz this gives the table back exactly.
2. Bilinear warping bends the shelf near Nyquist at low rates (-0.20 dB at 1 kHz at 8 kHz),
   so the shelf stage is refined by a least-squares fit of its magnitude response to the
   48 kHz one between 20 Hz and 0.49 x Nyquist (max deviation 0.02 dB at 8 kHz, under
   0.001 dB from 32 kHz up). Only the magnitude matters: loudness is a mean square.

The fit needs ``scipy.optimize`` (0.3 s to import), so its result for the usual sample
rates is kept in ``FITTED_SHELF`` (checked against a fresh fit by the tests); other rates
are fitted on first use.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.signal import freqz, sosfilt

#: ITU-R BS.1770-4 Annex 1, Table 1 (pre-filter) and Table 2 (RLB high-pass), fs = 48 kHz.
REFERENCE_RATE_HZ = 48000
BS1770_SHELF_48K = (
    (1.53512485958697, -2.69169618940638, 1.19839281085285),
    (1.0, -1.69065929318241, 0.73248077421585),
)
BS1770_HIGHPASS_48K = ((1.0, -2.0, 1.0), (1.0, -1.99004745483398, 0.99007225036621))

_FIT_POINTS = 256
_FIT_LOW_HZ = 20.0


def _analog_prototype(coeffs: np.ndarray) -> np.ndarray:
    """Inverse bilinear transform of a z^-1 polynomial at 48 kHz.

    Returns (c2, c1, c0) of c2 s^2 + c1 s + c0 with s in units of 2 x 48 kHz, obtained by
    substituting z^-1 = (1 - s) / (1 + s) and multiplying through by (1 + s)^2.
    """
    b0, b1, b2 = coeffs
    return np.array([b0 - b1 + b2, 2.0 * (b0 - b2), b0 + b1 + b2])


def _bilinear(analog: np.ndarray, scale: float) -> np.ndarray:
    """Bilinear transform of c2 s^2 + c1 s + c0 after the frequency scaling s -> scale * s."""
    c2, c1, c0 = analog[0] * scale * scale, analog[1] * scale, analog[2]
    return np.array([c2 + c1 + c0, 2.0 * (c0 - c2), c2 - c1 + c0])


def _prewarped_stage(b48: tuple[float, ...], a48: tuple[float, ...], rate_hz: int) -> np.ndarray:
    """One biquad stage at ``rate_hz`` (sos row b0 b1 b2 1 a1 a2), pre-warped at its pole."""
    analog_b = _analog_prototype(np.asarray(b48))
    analog_a = _analog_prototype(np.asarray(a48))
    warped_pole = np.sqrt(analog_a[2] / analog_a[0])  # tan(pi f_pole / 48 kHz)
    pole_hz = REFERENCE_RATE_HZ / np.pi * np.arctan(warped_pole)
    scale = warped_pole / np.tan(np.pi * pole_hz / rate_hz)
    b = _bilinear(analog_b, scale)
    a = _bilinear(analog_a, scale)
    return np.concatenate([b / a[0], a / a[0]])


def _magnitude_db(row: np.ndarray, freqs_hz: np.ndarray, rate_hz: float) -> np.ndarray:
    response = freqz(row[:3], row[3:], worN=freqs_hz, fs=rate_hz)[1]
    return 20.0 * np.log10(np.abs(response))


#: Result of ``_refined_shelf`` (b0, b1, b2, 1, a1, a2) for the usual rates, by rate in Hz.
FITTED_SHELF: dict[int, tuple[float, ...]] = {
    8000: (
        1.312143420730793,
        -0.9261660655300379,
        0.29668098647747077,
        1.0,
        -0.4679008853367224,
        0.1505168510516365,
    ),
    11025: (
        1.3802175209889216,
        -1.3816870269153974,
        0.4700005849300664,
        1.0,
        -0.7886952115592627,
        0.25721658912567297,
    ),
    16000: (
        1.4403990393262849,
        -1.8503179184011405,
        0.6853780491078458,
        1.0,
        -1.117490731646814,
        0.39294868461205584,
    ),
    22050: (
        1.478599273132111,
        -2.176112765883337,
        0.8624856764360478,
        1.0,
        -1.3428102221162428,
        0.5077822735406133,
    ),
    24000: (
        1.4869544402848833,
        -2.2499845445211903,
        0.9061807980030283,
        1.0,
        -1.3933774174501485,
        0.53652804745814,
    ),
    32000: (
        1.5108441620196584,
        -2.4658781270691916,
        1.0420837433333374,
        1.0,
        -1.539844814160465,
        0.62689459519405,
    ),
    44100: (
        1.5308021547478086,
        -2.651066081118711,
        1.1691320835838188,
        1.0,
        -1.6637213304381044,
        0.7125894891692605,
    ),
    88200: (
        1.5575913296860195,
        -2.905508040215853,
        1.3612138475631481,
        1.0,
        -1.8308531780918131,
        0.8441503135364897,
    ),
    96000: (
        1.5597875913062402,
        -2.926626897207236,
        1.3781409713168535,
        1.0,
        -1.8445493717332333,
        0.8558510357550912,
    ),
    176400: (
        1.57115391767835,
        -3.0364604620461533,
        1.4687746759007974,
        1.0,
        -1.9153084075951041,
        0.918776538669675,
    ),
    192000: (
        1.572260839162235,
        -3.047201702593625,
        1.4778784117169539,
        1.0,
        -1.9221846307423422,
        0.925122178638827,
    ),
}


def _refined_shelf(start: np.ndarray, rate_hz: int) -> np.ndarray:
    """Least-squares fit of the shelf's magnitude to the 48 kHz table's (see module doc)."""
    from scipy.optimize import least_squares

    top_hz = 0.49 * min(rate_hz, REFERENCE_RATE_HZ)
    freqs_hz = np.geomspace(_FIT_LOW_HZ, top_hz, _FIT_POINTS)
    reference = np.concatenate([np.asarray(c, dtype=np.float64) for c in BS1770_SHELF_48K])
    target_db = _magnitude_db(reference, freqs_hz, REFERENCE_RATE_HZ)

    def residual(params: np.ndarray) -> np.ndarray:
        row = np.concatenate([params[:3], [1.0], params[3:]])
        return _magnitude_db(row, freqs_hz, rate_hz) - target_db

    fit = least_squares(
        residual, np.concatenate([start[:3], start[4:]]), method="lm", xtol=1e-12, ftol=1e-12
    )
    row = np.concatenate([fit.x[:3], [1.0], fit.x[3:]])
    if np.max(np.abs(np.roots(row[3:]))) >= 1.0:
        raise RuntimeError(f"K-weighting design is unstable at {rate_hz} Hz")
    return row


@lru_cache(maxsize=8)
def _shelf_row(rate_hz: int) -> tuple[float, ...]:
    if rate_hz in FITTED_SHELF:
        return FITTED_SHELF[rate_hz]
    return tuple(_refined_shelf(_prewarped_stage(*BS1770_SHELF_48K, rate_hz), rate_hz))


def k_weighting_sos(rate_hz: int) -> np.ndarray:
    """Second-order sections (2, 6) of the BS.1770-4 K-weighting filter at ``rate_hz``.

    ``rate_hz``: sample rate in Hz, 8000 to 192000. At 48 kHz the rows are exactly the
    coefficients of BS.1770-4 Tables 1 and 2.
    """
    if rate_hz == REFERENCE_RATE_HZ:
        return np.array(
            [
                [*BS1770_SHELF_48K[0], *BS1770_SHELF_48K[1]],
                [*BS1770_HIGHPASS_48K[0], *BS1770_HIGHPASS_48K[1]],
            ]
        )
    shelf = np.array(_shelf_row(rate_hz))
    highpass = _prewarped_stage(*BS1770_HIGHPASS_48K, rate_hz)
    return np.stack([shelf, highpass])


class KWeighting:
    """Streaming K-weighting: filter state carries from one block to the next.

    ``apply`` takes channel-major float32 (channels, n) and returns float64 (channels, n).
    """

    def __init__(self, rate_hz: int, channels: int) -> None:
        self.sos = k_weighting_sos(rate_hz)
        self._state = np.zeros((self.sos.shape[0], channels, 2))

    def apply(self, block: np.ndarray) -> np.ndarray:
        out, self._state = sosfilt(self.sos, block, axis=1, zi=self._state)
        return out
