"""MIDI writing and stem rendering: one MIDI file per part, rendered by FluidSynth.

Stems are rendered once per song and cached (mono, 24-bit FLAC, peak-normalised: the mix
sets levels from each stem's active RMS, not from the synthesizer's output level). The
vocal stem also gets synthesized fricatives ("s", "sh": band-limited noise bursts before
some syllables), because General MIDI voice patches have no consonants and the
``sibilant`` variant needs sibilance to exaggerate.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from dataclasses import asdict
from pathlib import Path

import mido
import numpy as np
import soundfile as sf

from corpus import dsp
from corpus.music import Part, SongSpec, compose, song_length_s, sub_seed

SOUNDFONT = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")
TICKS_PER_BEAT = 480
TAIL_S = 1.5  # release and reverb tail kept after the last bar
FRICATIVE_BAND_HZ = (4500.0, 11000.0)
FRICATIVE_LEVEL_DB = -6.0  # burst RMS relative to the voice's active RMS


class RenderError(RuntimeError):
    """FluidSynth is missing or failed."""


def write_midi(part: Part, tempo_bpm: float, path: Path) -> None:
    """One track: tempo, program change, then the notes (note-offs first at equal ticks)."""
    channel = 9 if part.drums else 0
    events: list[tuple[int, int, mido.Message]] = []
    for note in part.notes:
        on = round(note.start_beats * TICKS_PER_BEAT)
        off = max(on + 1, round((note.start_beats + note.length_beats) * TICKS_PER_BEAT))
        events.append((on, 1, mido.Message("note_on", channel=channel, note=note.pitch,
                                           velocity=note.velocity)))
        events.append((off, 0, mido.Message("note_off", channel=channel, note=note.pitch)))
    events.sort(key=lambda e: (e[0], e[1], e[2].note))
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo_bpm), time=0))
    if not part.drums:
        track.append(mido.Message("program_change", channel=channel, program=part.program))
    now = 0
    for tick, _, message in events:
        track.append(message.copy(time=tick - now))
        now = tick
    midi = mido.MidiFile(ticks_per_beat=TICKS_PER_BEAT)
    midi.tracks.append(track)
    midi.save(str(path))


def render_midi(midi_path: Path, wav_path: Path) -> np.ndarray:
    """Render with FluidSynth (its reverb and chorus off: the mix adds its own), mono."""
    if shutil.which("fluidsynth") is None or not SOUNDFONT.exists():
        raise RenderError(
            "the corpus needs fluidsynth and the TimGM6mb SoundFont: apt-get install "
            "--no-install-recommends fluidsynth timgm6mb-soundfont"
        )
    command = ["fluidsynth", "-q", "-n", "-i", "-R", "0", "-C", "0", "-g", "0.5", "-O", "float",
               "-T", "wav", "-F", str(wav_path), "-r", str(dsp.SR_HZ), str(SOUNDFONT),
               str(midi_path)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not wav_path.exists():
        raise RenderError(f"fluidsynth failed on {midi_path.name}: {done.stderr.strip()[:200]}")
    audio, _ = sf.read(str(wav_path), dtype="float32", always_2d=True)
    return audio.mean(axis=1)


def fricatives(onsets_s: list[float], n: int, voice_rms: float, seed: int) -> np.ndarray:
    """Noise bursts (60-140 ms, 4.5-11 kHz) starting 40 ms before each onset, mono."""
    rng = np.random.default_rng(seed)
    out = np.zeros(n, dtype=np.float32)
    band = dsp.butter_sos(4, FRICATIVE_BAND_HZ, "bandpass")
    for onset in onsets_s:
        length = int(rng.uniform(0.06, 0.14) * dsp.SR_HZ)
        start = max(0, int((onset - 0.04) * dsp.SR_HZ))
        if start + length >= n:
            continue
        burst = dsp.apply(band, rng.standard_normal(length + 256).astype(np.float32))[256:]
        envelope = np.sin(np.linspace(0.0, np.pi, length)) ** 0.6
        burst *= envelope / max(float(np.sqrt(np.mean((burst * envelope) ** 2))), 1e-9)
        out[start : start + length] += burst * voice_rms * dsp.db_to_gain(
            FRICATIVE_LEVEL_DB + rng.uniform(-3.0, 3.0))
    return out


def active_rms(x: np.ndarray) -> float:
    """RMS over the 100 ms frames within 40 dB of the loudest one (where the part plays)."""
    hop = dsp.SR_HZ // 10
    frames = x[: x.shape[0] // hop * hop].reshape(-1, hop, *x.shape[1:])
    power = (frames.astype(np.float64) ** 2).reshape(frames.shape[0], -1).mean(axis=1)
    if power.size == 0 or power.max() <= 0:
        return 0.0
    return float(np.sqrt(power[power > power.max() * 1e-4].mean()))


def source_digest(*modules: str) -> str:
    """Digest of generator modules' source: editing the code invalidates what it made."""
    digest = hashlib.sha256()
    for module in modules:
        digest.update((Path(__file__).parent / f"{module}.py").read_bytes())
    return digest.hexdigest()[:16]


def stem_key(spec: SongSpec) -> str:
    """Cache key of a song's stems: its specification and the composing/rendering code."""
    blob = json.dumps({"spec": asdict(spec), "code": source_digest("music", "render", "dsp"),
                       "soundfont_bytes": SOUNDFONT.stat().st_size if SOUNDFONT.exists()
                       else None}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def render_stems(spec: SongSpec, cache_dir: Path) -> dict[str, np.ndarray]:
    """Mono float32 stems of a song, all the same length, from the cache or rendered."""
    folder = cache_dir / f"{spec.name}-{stem_key(spec)}"
    parts, onsets, _ = compose(spec)
    n = int((song_length_s(spec) + TAIL_S) * dsp.SR_HZ)
    if not (folder / "done").exists():
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            for name, part in parts.items():
                mid, wav = Path(tmp) / f"{name}.mid", Path(tmp) / f"{name}.wav"
                write_midi(part, spec.tempo_bpm, mid)
                shutil.copy(mid, folder / mid.name)
                audio = np.zeros(n, dtype=np.float32)
                rendered = render_midi(mid, wav)[:n]
                audio[: rendered.shape[0]] = rendered
                if name == "vox":
                    audio += fricatives(onsets, n, active_rms(audio), sub_seed(spec.seed, "s"))
                peak = float(np.abs(audio).max())
                if peak > 0:
                    audio *= 0.9 / peak
                sf.write(str(folder / f"{name}.flac"), audio, dsp.SR_HZ, subtype="PCM_24")
        (folder / "done").write_text("ok\n")
    return {name: sf.read(str(folder / f"{name}.flac"), dtype="float32")[0] for name in parts}
