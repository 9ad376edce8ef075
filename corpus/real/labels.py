"""Label rules of the real corpus: present / absent / unknown per file and problem key.

Inputs: the recipe line (what was injected, at which strength), the independent meter's
measurements of the file (``corpus.real.meter``), those of the source's ``norm`` control
and the spread of the clean sources (``spread.yaml``). Each rule is written once here and
explained, with its source, in ``corpus/README.md``. A label is the strongest of what the
recipe says and what the meter says (present > unknown > absent), except that an injected
problem the meter must see is present only when it does: a tonal one (a band-share change
of at least ``TONAL_PRESENT_DB``), a true peak over the ceiling (``TP_CEILING_DBTP``), a
clip (``CLIP_PRESENT_RUNS`` runs at full scale),
a loss of mono compatibility or a polarity inversion (a correlation fallen by
``MONO_PRESENT_DROP``); otherwise it is unknown.
"""

from __future__ import annotations

from typing import Any

PRESENT, UNKNOWN, ABSENT = "present", "unknown", "absent"
RANK = {ABSENT: 0, UNKNOWN: 1, PRESENT: 2}

TARGET_LUFS = -14.0  # contract: streaming profile
HOT_PRESENT_LUFS = -11.0  # 3 LU over the target: every platform turns it down audibly
HOT_UNKNOWN_LUFS = -13.0  # 1 LU over: within meter and gating differences
QUIET_PRESENT_LUFS = -20.0  # 6 LU under; also under AES TD1004's -16 LUFS maximum by 4 LU
QUIET_UNKNOWN_LUFS = -16.0  # AES TD1004 recommends at most -16 LUFS for streaming: above it,
#                              a quieter master is within practice; -16..-20 is a gray zone
TP_CEILING_DBTP = -1.0  # contract: the streaming profile's true-peak ceiling (EBU R128)
TP_PRESENT_DBTP = -0.5  # 0.5 dB over the -1 dBTP ceiling (EBU Tech 3341 TP tolerance +0.2/-0.4)
TP_UNKNOWN_DBTP = -1.3
CLIP_PRESENT_RUNS = 10  # runs of >= 3 samples at full scale
CUTOFF_PRESENT_HZ = 16000.0  # below: audible band-limiting (a low-bit-rate encoder)
CUTOFF_UNKNOWN_HZ = 18000.0  # 16-18 kHz: typical of 128-160 kbps encodes; a gray zone
DC_PRESENT = 0.02  # -34 dBFS: 6 dB over the -40 dBFS of a DC fault (AR001's threshold)
#: An excerpt's mean holds the music's own asymmetry too: a real-dev master with no offset
#: held through it (journeys-end) has a 30 s mean of 0.0095. Between -60 and -34 dBFS the
#: mean alone cannot tell an offset from the music, so it is unknown. Present also needs
#: an offset held by nine sounding seconds in ten (``meter.held_offset``) of at least a DC
#: fault's -40 dBFS: a real-dev master whose 1 s means wander from -0.005 to +0.06 (a metal
#: track's infrasound; a fifth of its seconds negative) has an excerpt mean of 0.024 and
#: no offset.
DC_UNKNOWN = 0.001  # -60 dBFS
DC_HELD_PRESENT = 0.01  # -40 dBFS
BALANCE_UNKNOWN_DB = 1.5
BALANCE_PRESENT_DB = 4.0
NARROW_UNKNOWN_DB = -20.0  # side/mid: RTW normal range of correlation 0.3-0.7 ~ -10..-4 dB
WIDE_UNKNOWN_DB = -1.0  # side about as loud as mid: correlation near or below 0
CORRELATION_UNKNOWN = 0.0
HUM_UNKNOWN_DB = 20.0  # a mains line 20 dB over its neighbours (may be a musical note)
TONAL_PRESENT_DB = 2.0
#: Infrasound (``meter.INFRASONIC_HZ``) at 1 % of the audible power or more: a master that
#: holds this much has rumble of its own (or an inaudible effect), so its files cannot be
#: said to be free of it. real-dev: 25 of 104 masters, all but one electronic (median -28 dB).
INFRASONIC_UNKNOWN_DB = -20.0
#: An injected mono-compatibility problem is present only where the channels' correlation
#: fell at least this much against the source's ``norm``: on real-dev, injections that do
#: not touch the stereo image move it by up to 0.085 (95th percentile; by re-weighting the
#: spectrum), and inverting one side of an uncorrelated part leaves it where it was.
MONO_PRESENT_DROP = 0.1
#: Tonal keys: band of ``meter.BANDS_HZ`` and the direction of the problem (+1 = too much).
TONAL: dict[str, tuple[str, int]] = {
    "sub_rumble": ("sub", +1), "boomy": ("bass", +1), "weak_bass": ("bass", -1),
    "muddy": ("low_mid", +1), "harsh": ("upper_mid", +1), "dull": ("high", -1),
    "too_bright": ("high", +1),
}
#: Not in the real-set scores: no source has an isolated vocal stem and which sources have
#: vocals was not established by listening, so sibilance is never asserted either way.
NEVER_ASSERTED = {"sibilant": "no vocal stem; sibilance cannot be injected or asserted"}


class Labeller:
    """Collects labels with their reasons; a stronger label replaces a weaker one."""

    def __init__(self, vocabulary: tuple[str, ...]) -> None:
        self.state = dict.fromkeys(vocabulary, ABSENT)
        self.why: dict[str, str] = {}

    def say(self, key: str, state: str, why: str) -> None:
        if RANK[state] > RANK[self.state.get(key, ABSENT)]:
            self.state[key] = state
            self.why[key] = why

    def force(self, key: str, state: str, why: str) -> None:
        self.state[key] = state
        self.why[key] = why


def label(
    *,
    vocabulary: tuple[str, ...],
    present: list[str],
    unknown: list[str],
    injected: str,
    measured: dict[str, Any],
    reference: dict[str, Any] | None,
    spread: dict[str, list[float]],
    family: str,
    clean_case: bool,
) -> tuple[dict[str, str], dict[str, str]]:
    """Labels and reasons of one file (see the module docstring)."""
    lab = Labeller(vocabulary)
    for key in present:
        lab.say(key, PRESENT, f"injected: {injected}")
    for key in unknown:
        lab.say(key, UNKNOWN, f"subtle or side effect of: {injected}")

    lufs, tp = measured["integrated_lufs"], measured["true_peak_dbtp"]
    if lufs is not None:
        if lufs > HOT_PRESENT_LUFS:
            lab.say("loudness_too_hot", PRESENT, f"{lufs} LUFS > {HOT_PRESENT_LUFS}")
        elif lufs > HOT_UNKNOWN_LUFS:
            lab.say("loudness_too_hot", UNKNOWN, f"{lufs} LUFS in ({HOT_UNKNOWN_LUFS}, "
                    f"{HOT_PRESENT_LUFS}]")
        if lufs < QUIET_PRESENT_LUFS:
            lab.say("loudness_too_quiet", PRESENT, f"{lufs} LUFS < {QUIET_PRESENT_LUFS}")
        elif lufs < QUIET_UNKNOWN_LUFS:
            lab.say("loudness_too_quiet", UNKNOWN, f"{lufs} LUFS in [{QUIET_PRESENT_LUFS}, "
                    f"{QUIET_UNKNOWN_LUFS})")
    if tp is not None:
        if tp > TP_PRESENT_DBTP:
            lab.say("true_peak_over", PRESENT, f"{tp} dBTP > {TP_PRESENT_DBTP}")
        elif tp > TP_UNKNOWN_DBTP:
            lab.say("true_peak_over", UNKNOWN, f"{tp} dBTP in ({TP_UNKNOWN_DBTP}, "
                    f"{TP_PRESENT_DBTP}]")
    runs = measured["clipped_runs"]
    if runs >= CLIP_PRESENT_RUNS:
        lab.say("clipping", PRESENT, f"{runs} runs of >= 3 samples at full scale")
    elif runs > 0:
        lab.say("clipping", UNKNOWN, f"{runs} runs of >= 3 samples at full scale")
    cutoff = measured["cutoff_hz"]
    if cutoff < CUTOFF_PRESENT_HZ:
        lab.say("band_limited", PRESENT, f"cut-off {cutoff:.0f} Hz < {CUTOFF_PRESENT_HZ:.0f}")
    elif cutoff < CUTOFF_UNKNOWN_HZ:
        lab.say("band_limited", UNKNOWN, f"cut-off {cutoff:.0f} Hz in [{CUTOFF_PRESENT_HZ:.0f},"
                f" {CUTOFF_UNKNOWN_HZ:.0f})")
    dc, held = measured["dc_offset"], measured["dc_held"]
    if dc > DC_PRESENT and held > DC_HELD_PRESENT:
        lab.say("dc_offset", PRESENT, f"offset {dc} > {DC_PRESENT}, nine seconds in ten "
                f"holding {held} > {DC_HELD_PRESENT}")
    elif dc > DC_UNKNOWN:
        lab.say("dc_offset", UNKNOWN, f"offset {dc} > {DC_UNKNOWN}")
    if measured["identical_channels"]:
        lab.say("fake_stereo", PRESENT, "identical channels")
        lab.say("too_narrow", UNKNOWN, "identical channels")
    side = measured["side_to_mid_db"]
    if side is not None and side < NARROW_UNKNOWN_DB:
        lab.say("too_narrow", UNKNOWN, f"side/mid {side} dB < {NARROW_UNKNOWN_DB}")
    if side is not None and side > WIDE_UNKNOWN_DB:
        lab.say("too_wide", UNKNOWN, f"side/mid {side} dB > {WIDE_UNKNOWN_DB}")
    if measured["correlation"] < CORRELATION_UNKNOWN:
        for key in ("poor_mono_compatibility", "polarity_inverted_channel"):
            lab.say(key, UNKNOWN, f"correlation {measured['correlation']} < 0")
    bal = measured["balance_db"]
    if bal is not None and abs(bal) > BALANCE_PRESENT_DB:
        lab.say("lr_imbalance", PRESENT, f"L/R {bal} dB, |.| > {BALANCE_PRESENT_DB}")
    elif bal is not None and abs(bal) > BALANCE_UNKNOWN_DB:
        lab.say("lr_imbalance", UNKNOWN, f"L/R {bal} dB, |.| > {BALANCE_UNKNOWN_DB}")
    low_corr = measured.get("low_correlation")
    if low_corr is not None and low_corr < 0.7:
        lab.say("bass_not_mono", UNKNOWN, f"20-150 Hz correlation {low_corr} < 0.7")
    if measured["hum_prominence_db"] > HUM_UNKNOWN_DB:
        lab.say("hum", UNKNOWN, f"mains line {measured['hum_prominence_db']} dB over its "
                "neighbours")
    infrasonic = measured["infrasonic_db"]
    if infrasonic > INFRASONIC_UNKNOWN_DB:
        lab.say("sub_rumble", UNKNOWN, f"infrasound {infrasonic} dB re the audible power > "
                f"{INFRASONIC_UNKNOWN_DB}")
    if clean_case and family == "orchestral/acoustic":
        lab.say("noise", UNKNOWN, "room noise of an acoustic recording cannot be asserted")
    if clean_case and measured.get("limiter_reduction_db", 0.0) > 3.0:
        lab.say("over_compressed", UNKNOWN,
                f"normalising limiter took {measured['limiter_reduction_db']} dB")

    shares = measured["band_shares_db"]
    for key, (band, sign) in TONAL.items():
        lo, hi = spread.get(band, (float("-inf"), float("inf")))
        value = shares[band]
        if (sign > 0 and value > hi) or (sign < 0 and value < lo):
            lab.say(key, UNKNOWN, f"{band} share {value} dB outside the clean sources' "
                    f"5-95 % range [{lo}, {hi}]")
        if key in present and reference is not None:
            change = sign * (value - reference["band_shares_db"][band])
            if change < TONAL_PRESENT_DB:
                lab.force(key, UNKNOWN, f"injected ({injected}) but the {band} share moved "
                          f"{change:+.1f} dB (< {TONAL_PRESENT_DB})")
    # An injection the stereo meter must see: a loss of mono compatibility cancels only what
    # was in phase before, and inverting one channel of an anti-correlated master makes it
    # correlate (what a meter sees then is the cure of a polarity fault, not one).
    for key, unseen in (("poor_mono_compatibility", ": nothing cancels in mono that did not "
                         "before"), ("polarity_inverted_channel", "")):
        if key in present and reference is not None:
            drop = reference["correlation"] - measured["correlation"]
            if drop < MONO_PRESENT_DROP:
                lab.force(key, UNKNOWN, f"injected ({injected}) but the channels' correlation "
                          f"fell {drop:+.3f} (< {MONO_PRESENT_DROP}) against the source's "
                          f"norm{unseen}")
    # A limiter on sample peaks leaves the inter-sample peaks over only where the music
    # reached it: an excerpt that did not stays under the ceiling, whatever was injected.
    # A clip injected into a quiet master (a loud one normalised down) may reach full scale
    # nowhere, or in a run or two: present takes what the meter calls clipping on its own.
    if "clipping" in present and runs < CLIP_PRESENT_RUNS:
        lab.force("clipping", UNKNOWN, f"injected ({injected}) but {runs} runs of samples "
                  f"reached full scale (< {CLIP_PRESENT_RUNS})")
    if "true_peak_over" in present and (tp is None or tp <= TP_CEILING_DBTP):
        lab.force("true_peak_over", UNKNOWN, f"injected ({injected}) but the true peak is {tp} "
                  f"dBTP, not over the {TP_CEILING_DBTP} dBTP ceiling")
    for key, why in NEVER_ASSERTED.items():
        if key in lab.state:
            lab.force(key, UNKNOWN, why)
    return lab.state, lab.why
