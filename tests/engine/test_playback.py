"""Playback per platform: the gain a service applies, what limits it, the peak after it."""

from __future__ import annotations

import pytest

from expert.engine.playback import playback, playback_of
from expert.rules.model import Normalisation
from expert.rules.profiles import playback_destinations, profiles, resolve_profile

DOWN_ONLY = Normalisation(reference_lufs=-14.0, turns_up=False, source="test")
PEAK_LIMITED = Normalisation(reference_lufs=-14.0, turns_up=True, turn_up_limit="true_peak",
                             ceiling_dbtp=-1.0, source="test")
LIMITER = Normalisation(reference_lufs=-14.0, turns_up=True, turn_up_limit="limiter",
                        ceiling_dbtp=-1.0, source="test")
UNBOUNDED = Normalisation(reference_lufs=-16.0, turns_up=True, source="test")


@pytest.mark.parametrize(
    ("norm", "lufs", "peak", "gain", "limited_by", "peak_after"),
    [
        # Louder than the reference: turned down by the difference, whatever the service.
        (DOWN_ONLY, -8.2, -0.8, -5.8, None, -6.6),
        (PEAK_LIMITED, -8.2, -0.8, -5.8, None, -6.6),
        (LIMITER, -8.2, -0.8, -5.8, None, -6.6),
        # Quieter, on a service that only turns down: left alone.
        (DOWN_ONLY, -18.0, -3.0, 0.0, "turn_down_only", -3.0),
        # Spotify's own example: -20 LUFS peaking at -5 dBTP is lifted only to -16 LUFS.
        (PEAK_LIMITED, -20.0, -5.0, 4.0, "true_peak", -1.0),
        # Enough headroom: lifted all the way.
        (PEAK_LIMITED, -20.0, -9.0, 6.0, None, -3.0),
        # Peaks already over the ceiling: no lift at all, never a turn-down.
        (PEAK_LIMITED, -16.0, 0.3, 0.0, "true_peak", 0.3),
        # Through a limiter: the whole gain; the peaks stop at the limiter's ceiling.
        (LIMITER, -20.0, -3.0, 6.0, "limiter", -1.0),
        (LIMITER, -16.0, -6.0, 2.0, None, -4.0),
        (UNBOUNDED, -20.0, -3.0, 4.0, None, 1.0),
        # On the reference: nothing to do.
        (PEAK_LIMITED, -14.0, -1.0, 0.0, None, -1.0),
    ],
)
def test_playback_of(norm, lufs, peak, gain, limited_by, peak_after) -> None:
    out = playback_of("svc", norm, lufs, peak)
    assert out.gain_db == pytest.approx(gain, abs=1e-9)
    assert out.limited_by == limited_by
    assert out.true_peak_after_dbtp == pytest.approx(peak_after, abs=1e-9)
    assert out.reference_lufs == norm.reference_lufs


def test_undefined_true_peak_is_not_lifted_and_has_no_peak_after() -> None:
    out = playback_of("svc", PEAK_LIMITED, -20.0, None)
    assert (out.gain_db, out.limited_by, out.true_peak_after_dbtp) == (0.0, "true_peak", None)
    down = playback_of("svc", DOWN_ONLY, -10.0, None)
    assert down.gain_db == -4.0 and down.true_peak_after_dbtp is None


@pytest.mark.parametrize("lufs", [None, float("-inf"), float("nan")])
def test_undefined_loudness_gives_no_playback(lufs) -> None:
    dests = [("a", DOWN_ONLY), ("b", PEAK_LIMITED)]
    assert playback({"loudness.integrated_lufs": lufs, "loudness.true_peak_dbtp": -1.0},
                    dests) == []


def test_one_entry_per_destination_in_order_and_no_negative_zero() -> None:
    dests = [("a", DOWN_ONLY), ("b", PEAK_LIMITED), ("c", UNBOUNDED)]
    out = playback({"loudness.integrated_lufs": -14.0, "loudness.true_peak_dbtp": -1.0}, dests)
    assert [p.platform for p in out] == ["a", "b", "c"]
    assert str(out[0].gain_db) == "0.0"
    assert out[2].gain_db == -2.0


def test_builtin_streaming_family() -> None:
    """The default profile shows every normalising platform, with its published reference."""
    names = dict(playback_destinations(resolve_profile("streaming")))
    assert {"spotify", "apple_music", "youtube", "tidal", "amazon_music", "deezer"} <= set(names)
    assert names["spotify"].reference_lufs == -14.0
    assert names["apple_music"].reference_lufs == -16.0
    assert names["deezer"].reference_lufs == -15.0
    assert names["youtube"].turns_up is False and names["tidal"].turns_up is False
    assert (names["spotify"].turn_up_limit, names["spotify"].ceiling_dbtp) == ("true_peak", -1.0)
    table = {p.platform: p for p in playback(
        {"loudness.integrated_lufs": -20.0, "loudness.true_peak_dbtp": -5.0}, names.items())}
    assert table["spotify"].gain_db == 4.0 and table["spotify"].limited_by == "true_peak"
    assert table["youtube"].gain_db == 0.0 and table["youtube"].limited_by == "turn_down_only"


def test_broadcast_profiles_show_no_streaming_playback() -> None:
    assert playback_destinations(resolve_profile("ebu_r128")) == []
    cd = [name for name, _ in playback_destinations(resolve_profile("cd"))]
    assert "spotify" in cd


def test_every_normalising_destination_names_its_source() -> None:
    for spec in profiles().values():
        if spec.normalisation is not None:
            assert len(spec.normalisation.source) > 40, spec.name
            # The reference level is the loudness target: one place for the figure.
            assert resolve_profile(spec.name).targets.integrated_lufs == \
                spec.normalisation.reference_lufs


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"reference_lufs": -14.0, "turns_up": False, "turn_up_limit": "true_peak",
          "ceiling_dbtp": -1.0, "source": "x"}, "turns_up is false"),
        ({"reference_lufs": -14.0, "turns_up": True, "turn_up_limit": "limiter",
          "source": "x"}, "needs ceiling_dbtp"),
    ],
)
def test_inconsistent_normalisation_is_rejected(entry, message) -> None:
    with pytest.raises(ValueError, match=message):
        Normalisation(**entry)


def test_a_platform_sets_its_reference_once() -> None:
    from expert.rules.model import ProfileSpec

    with pytest.raises(ValueError, match="not both"):
        ProfileSpec(name="svc", title="Svc", kind="platform", source="x",
                    targets={"integrated_lufs": -14.0},
                    normalisation={"reference_lufs": -14.0, "turns_up": False, "source": "x"})
