"""Decode audio files block by block, so memory does not grow with the file's duration.

libsndfile (through ``soundfile``) streams WAV, AIFF, FLAC and OGG/Vorbis/Opus in blocks.
MP3 and the formats libsndfile does not decode (M4A/AAC and the rest of what FFmpeg knows)
go through Essentia's ``AudioLoader``, which decodes the whole file at once: fine for songs,
and the only way Essentia offers. MP3 is not read block-wise because libsndfile 1.2.2 returns
wrong samples after the first block of some MP3 files (those written by libsndfile itself;
see tests/audio/test_reader.py::test_libsndfile_mp3_block_reading_is_unreliable).
"""

from __future__ import annotations

import os
import pickle
import signal
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from expert.descriptors.audio_info import AudioInfo
from expert.errors import AudioError
from expert.fileio import kind_of

AUDIO_EXTENSIONS = frozenset(
    {
        ".wav",
        ".wave",
        ".aif",
        ".aiff",
        ".aifc",
        ".flac",
        ".ogg",
        ".oga",
        ".opus",
        ".mp3",
        ".m4a",
        ".mp4",
        ".aac",
        ".w64",
        ".rf64",
        ".caf",
        ".wma",
    }
)
MIN_SAMPLE_RATE_HZ = 8000
MAX_SAMPLE_RATE_HZ = 192000
DEFAULT_BLOCK_FRAMES = 1 << 16

_LOSSY_SUBTYPES = {"MPEG_LAYER_I", "MPEG_LAYER_II", "MPEG_LAYER_III", "VORBIS", "OPUS"}
_BIT_DEPTH = {
    "PCM_S8": 8,
    "PCM_U8": 8,
    "PCM_16": 16,
    "PCM_24": 24,
    "PCM_32": 32,
    "FLOAT": 32,
    "DOUBLE": 64,
    "ALAC_16": 16,
    "ALAC_20": 20,
    "ALAC_24": 24,
    "ALAC_32": 32,
}
# Container signatures: a file named like one of these must start with its magic bytes.
_MAGIC: dict[str, tuple[bytes, ...]] = {
    ".wav": (b"RIFF", b"RF64", b"RIFX", b"riff"),
    ".wave": (b"RIFF", b"RF64", b"RIFX"),
    ".aif": (b"FORM",),
    ".aiff": (b"FORM",),
    ".aifc": (b"FORM",),
    ".flac": (b"fLaC", b"ID3"),
    ".ogg": (b"OggS",),
    ".oga": (b"OggS",),
    ".opus": (b"OggS",),
}
# ITU-R BS.775 stereo downmix of a 5.1 file in SMPTE/WAV order L R C LFE Ls Rs (LFE dropped).
_DOWNMIX_5_1 = np.array(
    [[1.0, 0.0], [0.0, 1.0], [0.7071, 0.7071], [0.0, 0.0], [0.7071, 0.0], [0.0, 0.7071]],
    dtype=np.float32,
)


def find_audio_files(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """Expand files and folders (searched recursively) into a sorted list of audio files.

    A path named explicitly is kept whatever its extension, so that a bad file given on
    the command line gets its own error instead of being silently skipped; so is a
    sub-folder that cannot be read (its entry says why). Links to folders are not
    followed (no loops).
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            found.append(path)
            continue
        inside: list[Path] = []
        unreadable: list[OSError] = []
        for folder, _dirs, names in os.walk(path, onerror=unreadable.append):
            inside.extend(
                p
                for name in names
                if (p := Path(folder, name)).suffix.lower() in AUDIO_EXTENSIONS and p.is_file()
            )
        inside.extend(Path(error.filename) for error in unreadable if error.filename)
        found.extend(sorted(inside))
    return found


class AudioSource:
    """An opened audio file: ``info`` plus ``blocks()``, float32 arrays of shape (n, channels).

    Samples are in full-scale units (1.0 = 0 dBFS). Stereo stays stereo, mono stays mono;
    more than two channels is an error unless ``downmix`` is set (5.1 only, BS.775).
    ``notes`` says what the file's header gets wrong (e.g. a WAV cut short).
    """

    def __init__(self, path: str | os.PathLike[str], *, downmix: bool = False) -> None:
        self.path = str(path)
        self._downmix = downmix
        self._whole: np.ndarray | None = None
        self.notes: list[str] = []
        self.info = self._probe()

    # -- probing -------------------------------------------------------------------
    def _probe(self) -> AudioInfo:
        path = self.path
        size, head = check_input(path)
        expected = _MAGIC.get(Path(path).suffix.lower())
        if expected and not head.startswith(expected):
            kind = Path(path).suffix.lstrip(".").upper()
            raise AudioError(path, f"not an audio file (no {kind} header)")
        try:
            with _decoder_output_hidden():
                meta = sf.info(os.fsencode(path))  # bytes: soundfile cannot encode surrogates
        except (sf.LibsndfileError, RuntimeError, TypeError):
            return self._probe_with_essentia(size, head)
        if meta.format == "MP3":
            return self._probe_with_essentia(size, head)
        channels = meta.channels
        self._check_rate_and_channels(meta.samplerate, channels)
        duration = meta.frames / meta.samplerate if meta.samplerate else 0.0
        claimed = _riff_claimed_frames(path) if head[:4] == b"RIFF" else None
        if claimed is not None and claimed > meta.frames:
            self.notes.append(
                f"the header claims {claimed / meta.samplerate:.1f} s of audio but the file "
                f"holds {duration:.1f} s: it was cut short (an incomplete copy or download?)"
            )
        return AudioInfo(
            duration_s=duration,
            sample_rate_hz=int(meta.samplerate),
            channels=min(channels, 2),
            source_channels=channels,
            frames=int(meta.frames),
            container=meta.format,
            codec=meta.subtype,
            bit_depth=_BIT_DEPTH.get(meta.subtype),
            bit_rate_kbps=round(size * 8 / duration / 1000, 1) if duration > 0 else None,
            lossy=meta.subtype in _LOSSY_SUBTYPES,
            downmixed=channels > 2,
        )

    def _probe_with_essentia(self, size: int, head: bytes) -> AudioInfo:
        if not _looks_like_media(head, self.path):
            raise AudioError(self.path, "not an audio file (no known audio header)")
        audio, rate, channels, _md5, bit_rate, codec = _decode_whole(self.path)
        if audio.shape[0] == 0:
            raise AudioError(self.path, "decodes to no samples (truncated or corrupt?)")
        self._check_rate_and_channels(int(rate), int(channels))
        # AudioLoader always returns two columns; a mono file comes back duplicated.
        data = np.ascontiguousarray(audio[:, :1] if channels == 1 else audio, dtype=np.float32)
        self._whole = data
        duration = data.shape[0] / rate
        return AudioInfo(
            duration_s=duration,
            sample_rate_hz=int(rate),
            channels=int(min(channels, 2)),
            source_channels=int(channels),
            frames=int(data.shape[0]),
            container=Path(self.path).suffix.lstrip(".").upper() or "unknown",
            codec=str(codec),
            bit_depth=None,
            bit_rate_kbps=round(bit_rate / 1000, 1)
            if bit_rate
            else round(size * 8 / duration / 1000, 1),
            lossy=str(codec).lower() not in {"pcm_s16le", "pcm_s24le", "flac", "alac"},
            downmixed=False,
        )

    def _check_rate_and_channels(self, rate: int, channels: int) -> None:
        if not MIN_SAMPLE_RATE_HZ <= rate <= MAX_SAMPLE_RATE_HZ:
            raise AudioError(
                self.path,
                f"sample rate {rate} Hz is outside the supported 8-192 kHz",
            )
        if channels > 2 and not (self._downmix and channels == 6):
            hint = " (use --downmix to fold 5.1 to stereo)" if channels == 6 else ""
            raise AudioError(
                self.path, f"{channels} channels: only mono and stereo mixes are analysed{hint}"
            )

    # -- reading -------------------------------------------------------------------
    def blocks(self, block_frames: int = DEFAULT_BLOCK_FRAMES) -> Iterator[np.ndarray]:
        """Yield consecutive float32 blocks of shape (n <= block_frames, channels).

        Raises ``AudioError`` if the file holds NaN or infinite samples.
        """
        rate = self.info.sample_rate_hz
        if self._whole is not None:
            for start in range(0, self._whole.shape[0], block_frames):
                yield self._checked(self._whole[start : start + block_frames], start, rate)
            return
        position = 0
        try:
            with _decoder_output_hidden():
                opened = sf.SoundFile(os.fsencode(self.path))
            with opened as handle:
                for block in handle.blocks(blocksize=block_frames, dtype="float32", always_2d=True):
                    if self.info.downmixed:
                        block = block @ _DOWNMIX_5_1
                    yield self._checked(block, position, rate)
                    position += block.shape[0]
        except sf.LibsndfileError as exc:
            raise AudioError(
                self.path, f"decoding failed at {position / rate:.2f} s ({exc})"
            ) from None

    def _checked(self, block: np.ndarray, start: int, rate: int) -> np.ndarray:
        if not np.isfinite(block).all():
            bad = int(np.argmin(np.isfinite(block).all(axis=1)))
            raise AudioError(
                self.path,
                f"contains NaN or infinite samples (first at {(start + bad) / rate:.3f} s)",
            )
        return np.ascontiguousarray(block, dtype=np.float32)


def check_input(path: str) -> tuple[int, bytes]:
    """(size in bytes, first 16 bytes) of a regular file we may read, else ``AudioError``.

    Says what a path is when it is not a file; never opens a FIFO or a device (reading one
    would block, or never end).
    """
    try:
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            os.scandir(path).close()  # an unreadable folder says so
            raise AudioError(path, "is a folder, not an audio file")
        if not stat.S_ISREG(mode):
            raise AudioError(path, f"is {kind_of(mode)}, not an audio file")
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            head = handle.read(16)
    except FileNotFoundError:
        raise AudioError(path, "no such file") from None
    except OSError as exc:
        raise AudioError(path, f"cannot read: {exc.strerror or exc}") from None
    if size == 0:
        raise AudioError(path, "empty file (0 bytes)")
    return size, head


def open_audio(path: str | os.PathLike[str], *, downmix: bool = False) -> AudioSource:
    """Open ``path`` for block-wise analysis; raises ``AudioError`` with a one-line reason."""
    return AudioSource(path, downmix=downmix)


def _decode_whole(path: str) -> tuple[Any, ...]:
    """Essentia's ``AudioLoader`` outputs for ``path``, decoded in a forked child where
    fork exists: FFmpeg crashes (SIGSEGV, SIGABRT) on some damaged files, found by fuzzing
    (tests/hostile/test_fuzz.py), and a crash must be that file's error, not the end of
    the batch. Raises ``AudioError``."""
    import essentia

    # Silence Essentia's import-time INFO lines before loading its algorithms.
    essentia.log.warningActive = False
    essentia.log.infoActive = False
    import essentia.standard as es

    def decode() -> tuple[str, Any]:
        try:
            with _decoder_name(path) as name, _decoder_output_hidden():
                return "ok", es.AudioLoader(filename=name)()
        except RuntimeError as exc:
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else "decoder error"
            return "error", f"cannot decode ({message})"

    if not hasattr(os, "fork"):
        status, result = decode()
    else:
        status, result = _in_child(decode, path)
    if status != "ok":
        raise AudioError(path, result)
    return result


def _in_child(task: Callable[[], tuple[str, Any]], path: str) -> tuple[str, Any]:
    """``task()`` run in a forked child, its result pickled back through a pipe; a child
    that dies gives ("error", why). Plain os.fork: a pool worker (daemonic) may not start
    multiprocessing children."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code
        code = 1
        try:
            os.close(read_end)
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's
            with os.fdopen(write_end, "wb") as out:
                pickle.dump(task(), out, protocol=pickle.HIGHEST_PROTOCOL)
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb") as received:
            payload = received.read()
        _, wait_status = os.waitpid(pid, 0)
    except BaseException:  # Ctrl-C while decoding: the child goes too, not left running
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise
    if os.WIFSIGNALED(wait_status):
        name = signal.Signals(os.WTERMSIG(wait_status)).name
        return "error", f"the decoder crashed on this file ({name}): damaged or not audio"
    if not payload:
        return "error", "the decoder failed on this file"
    return pickle.loads(payload)


@contextmanager
def _decoder_output_hidden() -> Iterator[None]:
    """Decoders write warnings straight to file descriptor 2 (mpg123 inside libsndfile:
    "Xing stream size off by more than 1%"); they are not ours to print, and what matters
    about the file is reported in its entry. Hidden while a decoder opens a file."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all: nothing to hide
        yield
        return
    hole = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(hole, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(hole)


_RIFF_MAX_CHUNKS = 64
_RIFF_UNKNOWN_SIZES = (0, 0xFFFFFFFF)  # written by streaming encoders that cannot seek back


def _riff_claimed_frames(path: str) -> int | None:
    """Frames the ``data`` chunk of a RIFF/WAVE header claims (None when it says nothing
    usable): libsndfile silently trusts the file's length instead."""
    try:
        with open(path, "rb") as handle:
            if handle.read(12)[8:12] != b"WAVE":
                return None
            block_align = 0
            for _ in range(_RIFF_MAX_CHUNKS):
                header = handle.read(8)
                if len(header) < 8:
                    return None
                chunk, size = header[:4], int.from_bytes(header[4:], "little")
                if chunk == b"data":
                    known = block_align and size not in _RIFF_UNKNOWN_SIZES
                    return size // block_align if known else None
                body_start = handle.tell()
                if chunk == b"fmt ":
                    block_align = int.from_bytes(handle.read(14)[12:14], "little")
                handle.seek(body_start + size + (size & 1))  # chunks are word-aligned
    except OSError:
        return None
    return None


@contextmanager
def _decoder_name(path: str) -> Iterator[str]:
    """``path`` as Essentia can take it: a name that is not valid UTF-8 (kept as surrogate
    escapes) is passed as the /proc link of an open descriptor."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        fd = os.open(path, os.O_RDONLY)
        try:
            yield f"/proc/self/fd/{fd}"
        finally:
            os.close(fd)
        return
    yield path


def _looks_like_media(head: bytes, path: str) -> bool:
    """Cheap sniffing so that text or random files get a clear error, not a decoder dump."""
    if (
        head[4:8] in (b"ftyp",)
        or head[:3] == b"ID3"
        or head[:4] in (b"OggS", b"fLaC", b"RIFF", b"FORM")
    ):
        return True
    if head[:2] in (b"\xff\xf1", b"\xff\xf9") or (
        len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0
    ):
        return True  # ADTS AAC or an MPEG audio frame sync
    if head[:4] == b"\x30\x26\xb2\x75":
        return True  # ASF/WMA
    return Path(path).suffix.lower() in {".m4a", ".mp4", ".aac", ".wma"} and len(head) >= 8
