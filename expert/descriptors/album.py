"""Catalogue entries of a collection judged as one release (``mixexpert album``).

Not measured on audio: ``expert.engine.album`` computes them from the members'
descriptors, in album order (the files sorted by path, so ``01 ...``, ``02 ...``). Names
without ``track_`` describe the whole album (the collection's ``descriptors``); ``track_``
names describe one member against the album and are seen by the rules with that member's
own descriptors. "The album" is the median over its tracks: from three tracks on, one
outlier barely moves it (a mean would follow it), and an album of two sits halfway.
"""

from expert.descriptors.spec import DescriptorSpec

_BS1770 = "ITU-R BS.1770-4 integrated loudness of each track"
_SPOTIFY_ALBUM = ("Spotify for Artists, 'Loudness normalization': when an album is played, "
                  "the whole album gets one gain, so the relative levels of its tracks are "
                  "kept; the gain is set by the album's loudness (modelled as its loudest track)")
_REDBOOK = "IEC 60908 (Red Book CD): 2 s default pause before a track"

#: The catalogue of album facts; the rule loader knows these names.
SPECS: tuple[DescriptorSpec, ...] = (
    DescriptorSpec(
        name="album.n_tracks", unit="count",
        meaning="Tracks of the album that could be measured.",
        method="Readable files of the folder; an unreadable one is named in the report.",
    ),
    DescriptorSpec(
        name="album.loudness_spread_lu", unit="LU",
        meaning="Loudest minus quietest track of the album.",
        method=f"Max minus min of {_BS1770}.", references=(_BS1770,),
    ),
    DescriptorSpec(
        name="album.loudest_lufs", unit="LUFS",
        meaning="The loudest track: the anchor of album normalisation.",
        method=f"Max of {_BS1770}.", references=(_SPOTIFY_ALBUM,),
    ),
    DescriptorSpec(
        name="album.loudness_median_lufs", unit="LUFS",
        meaning="Median integrated loudness of the album's tracks.",
        method=f"Median of {_BS1770}.",
    ),
    DescriptorSpec(
        name="album.true_peak_max_dbtp", unit="dBTP",
        meaning="Highest true peak of any track.",
        method="Max of loudness.true_peak_dbtp (ITU-R BS.1770-4 Annex 2) over the tracks.",
    ),
    DescriptorSpec(
        name="album.track_number", unit="count",
        meaning="The track's position in album order (1 = first).",
        method="Order of the readable files sorted by path.",
    ),
    DescriptorSpec(
        name="album.track_vs_album_lu", unit="LU",
        meaning="How much louder (+) or quieter (-) the track is than the album.",
        method="loudness.integrated_lufs minus the album's median (all tracks).",
        references=(_BS1770,),
    ),
    DescriptorSpec(
        name="album.track_below_loudest_lu", unit="LU",
        meaning="How far under the loudest track it plays when the album is normalised as one.",
        method="album.loudest_lufs minus loudness.integrated_lufs (0 for the loudest track).",
        references=(_SPOTIFY_ALBUM,),
    ),
    DescriptorSpec(
        name="album.track_brightness_vs_album_db", unit="dB",
        meaning="How much brighter (+) or darker (-) than the album the track is.",
        method="spectrum.brilliance_db - spectrum.mid_db (6-20 kHz over 500-2000 Hz) minus "
               "the album's median of the same contrast.",
    ),
    DescriptorSpec(
        name="album.track_bass_vs_album_db", unit="dB",
        meaning="How much heavier (+) or thinner (-) in the bass than the album.",
        method="spectrum.bass_db - spectrum.mid_db (60-250 Hz over 500-2000 Hz) minus the "
               "album's median of the same contrast.",
    ),
    DescriptorSpec(
        name="album.track_width_vs_album_pct", unit="%",
        meaning="How much wider (+) or narrower (-) than the album the track is.",
        method="stereo.width_pct minus the album's median (all tracks).",
    ),
    DescriptorSpec(
        name="album.track_plr_vs_album_db", unit="dB",
        meaning="How much more (+) or less (-) dynamic (peak to loudness) than the album.",
        method="loudness.plr_db minus the album's median (all tracks).",
    ),
    DescriptorSpec(
        name="album.track_gap_before_s", unit="s",
        meaning="Silence between the previous track's end and this track's start.",
        method="Previous track's artifacts.trailing_silence_s plus this track's "
               "artifacts.leading_silence_s; null for the first track.",
        references=(_REDBOOK,),
    ),
)

CATALOGUE: dict[str, DescriptorSpec] = {s.name: s for s in SPECS}
#: Prefix of the names that describe one member against the album.
TRACK_PREFIX = "album.track_"
