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

The filter runs in block state-space form (``BlockFilter``) with numpy alone: ``scipy.signal``
would cost 0.4-0.9 s of start-up for one ``sosfilt`` call, more than the filtering itself.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

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
    """Gain in dB of one biquad (b0 b1 b2 1 a1 a2) at ``freqs_hz``."""
    delay = np.exp(-2j * np.pi * np.asarray(freqs_hz) / rate_hz)  # z^-1 on the unit circle
    numerator = row[0] + delay * (row[1] + delay * row[2])
    denominator = row[3] + delay * (row[4] + delay * row[5])
    return 20.0 * np.log10(np.abs(numerator / denominator))


#: Result of ``_refined_shelf`` (b0, b1, b2, 1, a1, a2) for the usual rates, by rate in Hz.
FITTED_SHELF: dict[int, tuple[float, ...]] = {
    8000: (
        1.312143420732561,
        -0.9261660634667614,
        0.296680985951611,
        1.0,
        -0.467900883771247,
        0.15051685103952475,
    ),
    11025: (
        1.3802175209901861,
        -1.3816870276697593,
        0.47000058524718324,
        1.0,
        -0.7886952120970023,
        0.2572165892225505,
    ),
    16000: (
        1.4403990393260102,
        -1.8503179183577205,
        0.685378049083414,
        1.0,
        -1.1174907316177716,
        0.39294868460194443,
    ),
    22050: (
        1.478599273132125,
        -2.1761127658801547,
        0.8624856764338391,
        1.0,
        -1.3428102221141025,
        0.5077822735394754,
    ),
    24000: (
        1.486954440284865,
        -2.249984544519888,
        0.9061807980021325,
        1.0,
        -1.3933774174493287,
        0.5365280474577139,
    ),
    32000: (
        1.5108441620196584,
        -2.465878127069212,
        1.042083743333351,
        1.0,
        -1.5398448141604777,
        0.6268945951940563,
    ),
    44100: (
        1.5308021547478068,
        -2.6510660811186395,
        1.169132083583766,
        1.0,
        -1.663721330438063,
        0.7125894891692364,
    ),
    88200: (
        1.5575913296859814,
        -2.905508040215878,
        1.3612138475632098,
        1.0,
        -1.8308531780918837,
        0.8441503135365577,
    ),
    96000: (
        1.559787591306185,
        -2.92662689720698,
        1.3781409713166675,
        1.0,
        -1.8445493717331523,
        0.8558510357550246,
    ),
    176400: (
        1.5711539176781353,
        -3.0364604620456164,
        1.4687746759004827,
        1.0,
        -1.9153084075950546,
        0.9187765386696328,
    ),
    192000: (
        1.572260839161616,
        -3.0472017025810723,
        1.477878411705252,
        1.0,
        -1.922184630735308,
        0.9251221786320818,
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


def state_space(sos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """State-space form (A, B, C, D) of a cascade of biquads, float64.

    Each section is in transposed direct form II (two states: y = b0 x + s0,
    s0' = b1 x - a1 y + s1, s1' = b2 x - a2 y); the sections' states are stacked in order,
    so A is block lower-triangular and x[n] -> y[n] is ``y = C s + D x``, ``s' = A s + B x``.
    """
    a = np.zeros((0, 0))
    b = np.zeros(0)
    c = np.zeros(0)
    d = 1.0
    for b0, b1, b2, _, a1, a2 in np.asarray(sos, dtype=np.float64):
        section_a = np.array([[-a1, 1.0], [-a2, 0.0]])
        section_b = np.array([b1 - a1 * b0, b2 - a2 * b0])
        size = a.shape[0]
        joined = np.zeros((size + 2, size + 2))
        joined[:size, :size] = a
        joined[size:, size:] = section_a
        joined[size:, :size] = np.outer(section_b, c)  # this section's input is y = C s + D x
        a = joined
        b = np.concatenate([b, section_b * d])
        c = np.concatenate([b0 * c, [1.0, 0.0]])
        d = b0 * d
    return a, b, c, d


class BlockFilter:
    """Streaming IIR filter evaluated a block of samples at a time with matrix products.

    Block state-space realization (C. S. Burrus, "Block realization of digital filters",
    IEEE Trans. Audio Electroacoust. 20(4), 1972; Burrus, "Block, Multi-rate,
    Multi-dimensional Processing and Distributed Arithmetic", OpenStax CNX m16914): for a
    block x of L samples starting in state s,

        y = T x + O s,    s_next = A^L s + G x,

    with T the L x L lower-triangular Toeplitz matrix of the impulse response, row i of O
    C A^i and column j of G A^(L-1-j) B. Products evaluate T x and G x for every block at
    once; the block-to-block recursion of the states is cut into groups of ``GROUP`` blocks
    and solved the same way, so Python loops once per L x GROUP samples. Every product is
    batched per group, small enough (m n k <= 2^18) that OpenBLAS runs it on the calling
    thread: its worker threads would compete with the other analysis process for the cores.

    The result equals direct recursion up to rounding: T x runs in float32 (error ~1e-7 of
    the input), the states in float64 (in float32 their errors would add up over the slow
    decay of the high-pass pole, to ~1e-4).
    """

    BLOCK = 64  # samples per block (L)
    GROUP = 32  # blocks per group

    def __init__(self, sos: np.ndarray, channels: int) -> None:
        a, b, c, d = state_space(sos)
        length, group, order = self.BLOCK, self.GROUP, a.shape[0]
        powers = [np.eye(order)]
        for _ in range(length):
            powers.append(a @ powers[-1])
        self._powers = powers  # A^0 .. A^L
        impulse = np.array([d] + [c @ powers[i] @ b for i in range(length - 1)])
        toeplitz = np.zeros((length, length))
        for i in range(length):
            toeplitz[i, :i + 1] = impulse[i::-1]
        # Row-vector form throughout: a block is a row, so every matrix is transposed.
        self._toeplitz = toeplitz.T.astype(np.float32)
        self._observe = np.stack([c @ p for p in powers[:length]], axis=1)  # O^T (order, L)
        self._gain = np.stack([powers[length - 1 - j] @ b for j in range(length)])  # G^T
        step = powers[length]  # A^L: the state carried over one block
        steps = [np.eye(order)]
        for _ in range(group):
            steps.append(step @ steps[-1])
        # States at the start of blocks 0 .. GROUP of a group started at zero, from the
        # blocks' state inputs u_i = G x_i: state_j = sum_{i<j} (A^L)^(j-1-i) u_i.
        within = np.zeros((group * order, (group + 1) * order))
        for j in range(group + 1):
            for i in range(j):
                within[i * order:(i + 1) * order, j * order:(j + 1) * order] = steps[j - 1 - i].T
        self._within = within
        # Contribution of the group's start state to the states at its blocks 0 .. GROUP - 1.
        self._spread = np.concatenate([p.T for p in steps[:group]], axis=1)
        self._group_step = steps[group].T
        self.state = np.zeros((channels, order))

    def apply(self, block: np.ndarray) -> np.ndarray:
        """Filter float32 (channels, n); return float32 (channels, n), state carried over."""
        length, group = self.BLOCK, self.GROUP
        channels, n = block.shape
        order = self.state.shape[1]
        count, rest = divmod(n, length)
        groups = count // group + 1  # room for block ``count``, which holds the last ``rest``
        # Zeros after the end change no earlier output or state: the filter is causal.
        padded = np.zeros((channels, groups * group * length), dtype=np.float32)
        padded[:, :n] = block
        frames = padded.reshape(channels, groups, group, length)
        inputs = frames.astype(np.float64) @ self._gain  # (channels, groups, group, order)
        local = inputs.reshape(channels, groups, 1, group * order) @ self._within
        starts = np.empty((channels, groups, 1, order))
        starts[:, 0, 0] = self.state
        for g in range(1, groups):
            starts[:, g, 0] = starts[:, g - 1, 0] @ self._group_step + local[:, g - 1, 0, -order:]
        states = (local[..., :-order] + starts @ self._spread).reshape(
            channels, groups, group, order)
        out = frames @ self._toeplitz + states @ self._observe
        last = states.reshape(channels, groups * group, order)[:, count]
        tail = block[:, count * length:].astype(np.float64)
        self.state = last @ self._powers[rest].T + tail @ self._gain[length - rest:]
        return out.reshape(channels, -1)[:, :n].astype(np.float32)


class KWeighting:
    """Streaming K-weighting: filter state carries from one block to the next.

    ``apply`` takes channel-major float32 (channels, n) and returns float32 (channels, n).
    """

    def __init__(self, rate_hz: int, channels: int) -> None:
        self.sos = k_weighting_sos(rate_hz)
        self._filter = BlockFilter(self.sos, channels)

    def apply(self, block: np.ndarray) -> np.ndarray:
        return self._filter.apply(block)
