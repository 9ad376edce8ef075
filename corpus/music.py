"""Composition: a song specification becomes note lists, one part per stem.

A style fixes the instruments (General MIDI programs), the drum grooves, the bass and
comping rhythms and the chord progression; a seeded generator adds the melody, velocity
and timing humanisation. Songs have sections (intro, verse, chorus, ..., outro) whose
intensity scales velocities and decides which parts play, so loudness, density and width
change over time as in records.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)
KEYS = {"C": 0, "C#": 1, "D": 2, "Eb": 3, "E": 4, "F": 5, "F#": 6, "G": 7, "Ab": 8, "A": 9,
        "Bb": 10, "B": 11}
STEPS_PER_BAR = 16  # sixteenth notes in 4/4
DRUM_NOTES = {"kick": 36, "snare": 38, "sidestick": 37, "hat": 42, "open_hat": 46,
              "crash": 49, "ride": 51}
#: Every stem a song renders; "chords" is played twice (two takes, panned apart).
STEMS = ("kick", "snare", "hats", "bass", "chords", "pads", "vox")
SECTION_INTENSITY = {"intro": 0.6, "verse": 0.78, "chorus": 1.0, "outro": 0.7}


@dataclass(frozen=True)
class Note:
    """One note: start and length in beats (quarter notes), MIDI pitch and velocity."""

    start_beats: float
    length_beats: float
    pitch: int
    velocity: int


@dataclass(frozen=True)
class Part:
    """What one MIDI file plays: a GM program (or the drum kit) and its notes."""

    name: str
    program: int
    drums: bool
    notes: tuple[Note, ...]


@dataclass(frozen=True)
class Section:
    name: str
    start_bar: int
    bars: int


@dataclass(frozen=True)
class Style:
    """Instrumentation and grooves of a genre; grids are 16 steps, 'x' loud, 'o' ghost."""

    bass_program: int
    chords_program: int
    pads_program: int
    vox_program: int
    mode: tuple[int, ...]
    progression: tuple[int, ...]  # scale degrees, one chord per bar
    kick: str
    snare: str
    hats: str
    bass_rhythm: str  # 'x' root, 'o' octave, '5' fifth, '-' hold previous
    comp_rhythm: str  # 'x' chord, 'a' arpeggio tone, '-' hold
    power_chords: bool = False
    swing: float = 0.0  # delay of off-beat sixteenths, fraction of a sixteenth


STYLES: dict[str, Style] = {
    "pop": Style(33, 0, 48, 52, MAJOR, (0, 4, 5, 3),
                 kick="x.......x.x.....", snare="....x.......x...", hats="x.x.x.x.x.x.x.x.",
                 bass_rhythm="x-x-x-x-x-o-x-x-", comp_rhythm="x---x---x---x-x-"),
    "rock": Style(34, 30, 49, 52, MINOR, (0, 5, 2, 6), power_chords=True,
                  kick="x.....x.x.......", snare="....x.......x...", hats="x.x.x.x.x.x.x.x.",
                  bass_rhythm="x-x-x-x-x-x-x-x-", comp_rhythm="x-x-x-x-x-x-x-x-"),
    "ballad": Style(35, 0, 48, 52, MAJOR, (0, 5, 3, 4),
                    kick="x.........x.....", snare="....x.......x...", hats="x...x...x...x...",
                    bass_rhythm="x-------5-------", comp_rhythm="a-a-a-a-a-a-a-a-"),
    "funk": Style(36, 4, 61, 85, MINOR, (0, 3, 0, 3),
                  kick="x..x..x...x..x..", snare="....x..o.o..x..o", hats="xxxxxxxxxxxxxxxx",
                  bass_rhythm="x--o-.x.-x-o.x-5", comp_rhythm="..x-..x-..x-.x-."),
    "hiphop": Style(38, 4, 89, 85, MINOR, (0, 5, 3, 4), swing=0.35,
                    kick="x......x..x.....", snare="....x.......x...", hats="x.x.x.x.x.x.xxx.",
                    bass_rhythm="x-------.--x----", comp_rhythm="x-------x-------"),
}


@dataclass(frozen=True)
class SongSpec:
    """A song of the recipe: style, tempo, key, seed and length in seconds."""

    name: str
    style: str
    tempo_bpm: float
    key: str
    seed: int
    duration_s: float

    @property
    def bar_s(self) -> float:
        return 240.0 / self.tempo_bpm


def sub_seed(seed: int, label: str) -> int:
    """A stable child seed (crc32, not Python's salted ``hash``)."""
    return (seed * 1_000_003 + zlib.crc32(label.encode())) % (2**32)


def sections(spec: SongSpec) -> list[Section]:
    """Intro (2 bars), alternating verse/chorus blocks of about 4 bars, a 1-bar outro."""
    total = max(7, round(spec.duration_s / spec.bar_s))
    body = total - 3
    blocks = max(2, body // 4)
    sizes = [body // blocks] * blocks
    sizes[-1] += body - sum(sizes)
    plan = [("intro", 2)] + [("verse" if i % 2 == 0 else "chorus", n) for i, n in
                             enumerate(sizes)] + [("outro", 1)]
    out, bar = [], 0
    for name, bars in plan:
        out.append(Section(name, bar, bars))
        bar += bars
    return out


def _chord(spec: SongSpec, style: Style, bar: int) -> tuple[int, list[int]]:
    """Root pitch class offset and the triad (plus 7th in funk) as semitones from tonic."""
    degree = style.progression[bar % len(style.progression)]
    scale = style.mode
    tones = [scale[(degree + k) % 7] + 12 * ((degree + k) // 7) for k in (0, 2, 4)]
    if spec.style == "funk":
        tones.append(scale[(degree + 6) % 7] + 12 * ((degree + 6) // 7))
    return KEYS[spec.key], tones


class _Performer:
    """Adds deterministic human timing and velocity variation."""

    def __init__(self, spec: SongSpec, part: str, timing_ms: float, velocity_jitter: int) -> None:
        self.rng = np.random.default_rng(sub_seed(spec.seed, part))
        self.beats_per_s = spec.tempo_bpm / 60.0
        self.timing_ms = timing_ms
        self.velocity_jitter = velocity_jitter
        self.notes: list[Note] = []

    def play(self, start: float, length: float, pitch: int, velocity: float) -> None:
        shift = self.rng.normal(0.0, self.timing_ms / 1000.0) * self.beats_per_s
        vel = int(round(velocity + self.rng.integers(-self.velocity_jitter,
                                                     self.velocity_jitter + 1)))
        self.notes.append(Note(max(0.0, start + shift), length, pitch, min(127, max(1, vel))))


def _step_beats(style: Style, step: int) -> float:
    """Start of a sixteenth step in beats, with swing on the off-beat sixteenths."""
    return step / 4.0 + (style.swing / 4.0 if step % 2 else 0.0)


def _drums(spec: SongSpec, style: Style, plan: list[Section]) -> dict[str, Part]:
    players = {name: _Performer(spec, name, 2.0, 6) for name in ("kick", "snare", "hats")}
    for sec in plan:
        level = SECTION_INTENSITY[sec.name]
        for bar in range(sec.start_bar, sec.start_bar + sec.bars):
            base = bar * 4.0
            if sec.name == "outro":
                players["kick"].play(base, 1.0, DRUM_NOTES["kick"], 110 * level)
                players["hats"].play(base, 4.0, DRUM_NOTES["crash"], 105 * level)
                continue
            if sec.name == "chorus" and bar == sec.start_bar:
                players["hats"].play(base, 4.0, DRUM_NOTES["crash"], 112)
            for step in range(STEPS_PER_BAR):
                at = base + _step_beats(style, step)
                if sec.name != "intro":
                    if style.kick[step] == "x":
                        players["kick"].play(at, 0.25, DRUM_NOTES["kick"], 118 * level)
                    mark = style.snare[step]
                    if mark != ".":
                        note = "sidestick" if spec.style == "ballad" and sec.name == "verse" \
                            else "snare"
                        players["snare"].play(at, 0.25, DRUM_NOTES[note],
                                              (112 if mark == "x" else 45) * level)
                if style.hats[step] == "x":
                    open_hat = sec.name == "chorus" and step % 8 == 6
                    accent = 1.0 if step % 4 == 0 else 0.78
                    players["hats"].play(at, 0.25, DRUM_NOTES["open_hat" if open_hat else "hat"],
                                         100 * level * accent)
    return {n: Part(n, 0, True, tuple(p.notes)) for n, p in players.items()}


def _hits(rhythm: str, marks: str) -> list[tuple[int, str, int]]:
    """(step, mark, held steps) of each hit of a 16-step pattern ("-" holds the note)."""
    hits = []
    for step, mark in enumerate(rhythm):
        if mark in marks:
            hold = 1
            while step + hold < 16 and rhythm[step + hold] == "-":
                hold += 1
            hits.append((step, mark, hold))
    return hits


def _bass(spec: SongSpec, style: Style, plan: list[Section]) -> Part:
    player = _Performer(spec, "bass", 4.0, 5)
    for sec in plan:
        if sec.name == "intro":
            continue
        level = SECTION_INTENSITY[sec.name]
        for bar in range(sec.start_bar, sec.start_bar + sec.bars):
            tonic, tones = _chord(spec, style, bar)
            root = 28 + (tonic + tones[0] - 4) % 12  # E1 .. D#2
            rhythm = "x---------------" if sec.name == "outro" else style.bass_rhythm
            for step, mark, hold in _hits(rhythm, "xo5"):
                pitch = root + {"x": 0, "o": 12, "5": 7}[mark]
                player.play(bar * 4.0 + _step_beats(style, step), hold / 4.0 * 0.92, pitch,
                            105 * level)
    return Part("bass", style.bass_program, False, tuple(player.notes))


def _voicing(spec: SongSpec, style: Style, bar: int, *, power: bool = False) -> list[int]:
    """Pitches of the bar's chord: a power chord (root, fifth, octave) or a close triad."""
    tonic, tones = _chord(spec, style, bar)
    if power:
        base = 40 + (tonic + tones[0] - 4) % 12  # E2 .. D#3
        return [base, base + 7, base + 12]
    return sorted(55 + (tonic + t - 7) % 12 for t in tones)  # close voicing G3 .. F#4


def _chords(spec: SongSpec, style: Style, plan: list[Section], take: str) -> Part:
    player = _Performer(spec, f"chords-{take}", 7.0, 8)
    for sec in plan:
        level = SECTION_INTENSITY[sec.name] * (0.8 if sec.name == "intro" else 1.0)
        for bar in range(sec.start_bar, sec.start_bar + sec.bars):
            voicing = _voicing(spec, style, bar, power=style.power_chords)
            rhythm = "x---------------" if sec.name == "outro" else style.comp_rhythm
            for step, mark, hold in _hits(rhythm, "xa"):
                at, length = bar * 4.0 + _step_beats(style, step), hold / 4.0 * 0.9
                if mark == "a":  # broken chord: one tone per step, walking up and down
                    cycle = voicing + voicing[-2:0:-1]
                    player.play(at, length * 2, cycle[step // 2 % len(cycle)] + 12, 88 * level)
                else:
                    for pitch in voicing:
                        player.play(at, length, pitch, 92 * level)
    return Part(f"chords_{take}", style.chords_program, False, tuple(player.notes))


def _pads(spec: SongSpec, style: Style, plan: list[Section]) -> Part:
    player = _Performer(spec, "pads", 3.0, 3)
    for sec in plan:
        if sec.name == "verse":
            continue
        level = SECTION_INTENSITY[sec.name]
        for bar in range(sec.start_bar, sec.start_bar + sec.bars):
            for pitch in _voicing(spec, style, bar):
                player.play(bar * 4.0, 4.0 if sec.name != "outro" else 6.0, pitch, 80 * level)
    return Part("pads", style.pads_program, False, tuple(player.notes))


def _melody(spec: SongSpec, style: Style, plan: list[Section]) -> tuple[Part, list[float]]:
    """The vocal line, and the onsets (s) of syllables that begin with a fricative."""
    player = _Performer(spec, "vox", 6.0, 6)
    rng = np.random.default_rng(sub_seed(spec.seed, "melody"))
    fricatives: list[float] = []
    tonic = KEYS[spec.key]
    scale = [60 + tonic % 12 + s - (12 if tonic % 12 > 6 else 0) for s in style.mode]
    scale = scale + [p + 12 for p in scale]
    for sec in plan:
        if sec.name not in ("verse", "chorus"):
            continue
        lift = 2 if sec.name == "chorus" else 0
        level = SECTION_INTENSITY[sec.name]
        for bar in range(sec.start_bar, sec.start_bar + sec.bars):
            if bar % 2 == 1 and rng.random() < 0.3:
                continue  # breathe: some phrases rest for a bar
            _, tones = _chord(spec, style, bar)
            position = 0.0
            index = 2 + lift + int(rng.integers(0, 3))
            while position < 3.5:
                length = float(rng.choice([0.5, 0.5, 1.0, 1.0, 1.5]))
                degree_step = int(rng.choice([-1, 0, 1, 1, 2, -2]))
                index = min(max(index + degree_step, 0), len(scale) - 1)
                if position == 0.0:  # land on a chord tone at the bar line
                    chord_pcs = {(tonic + t) % 12 for t in tones}
                    while scale[index] % 12 not in chord_pcs and index > 0:
                        index -= 1
                start = bar * 4.0 + position
                player.play(start, min(length, 4.0 - position) * 0.95, scale[index], 100 * level)
                if rng.random() < 0.35:
                    fricatives.append(start * 60.0 / spec.tempo_bpm)
                position += length
    return Part("vox", style.vox_program, False, tuple(player.notes)), fricatives


def compose(spec: SongSpec) -> tuple[dict[str, Part], list[float], list[Section]]:
    """All parts of a song (chords as two takes), fricative onsets (s) and the sections."""
    style = STYLES[spec.style]
    plan = sections(spec)
    parts = _drums(spec, style, plan)
    parts["bass"] = _bass(spec, style, plan)
    parts["chords_a"] = _chords(spec, style, plan, "a")
    parts["chords_b"] = _chords(spec, style, plan, "b")
    parts["pads"] = _pads(spec, style, plan)
    vox, fricatives = _melody(spec, style, plan)
    parts["vox"] = vox
    return parts, fricatives, plan


def song_length_s(spec: SongSpec) -> float:
    """Length of the arrangement in seconds (without the release tail)."""
    plan = sections(spec)
    return (plan[-1].start_bar + plan[-1].bars) * spec.bar_s


def beats_to_s(spec: SongSpec, beats: float) -> float:
    return beats * 60.0 / spec.tempo_bpm

