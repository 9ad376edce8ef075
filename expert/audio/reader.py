"""Decode audio files block by block, so memory does not grow with the file's duration.

Uncompressed and lossless files libsndfile knows (WAV, AIFF, FLAC, W64, RF64, CAF) go
through libsndfile (``soundfile``), the fastest reader of PCM. Every lossy file (MP3,
M4A/AAC, Ogg Vorbis, Opus, WMA) and whatever else FFmpeg knows is decoded packet by packet
with FFmpeg's libraries (PyAV), gaplessly: the encoder delay and padding announced by the
LAME/Xing header, the MP4 edit list or the Ogg granule positions are removed, so the decoded
length is the source's (tests/audio/test_reader.py compares every sample with the ``ffmpeg``
command's decode). libsndfile is not used for MP3 because 1.2.2 returns wrong samples after
the first block of some MP3 files (tests/audio/test_reader.py::
test_libsndfile_mp3_block_reading_is_unreliable). Essentia's ``AudioLoader`` is not used
either: it decodes the whole file into memory (2.8 GB for an hour of MP3).
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
import soundfile as sf

from expert.descriptors.audio_info import AudioInfo
from expert.errors import AudioError
from expert.fileio import kind_of

if TYPE_CHECKING:
    import av

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
# How far the decoded length may fall short of the container's announcement before a note
# says so: FFmpeg estimates the length of an MP3 without a Xing/LAME header from its bit
# rate and size, which is off by up to a frame per second of VBR drift.
ANNOUNCED_TOLERANCE_S = 0.5
ANNOUNCED_TOLERANCE = 0.01

#: libsndfile formats read with libsndfile (when their subtype is not lossy); the rest: FFmpeg.
_SNDFILE_FORMATS = {"WAV", "WAVEX", "AIFF", "FLAC", "W64", "RF64", "CAF"}
_SNDFILE_MAGIC = (b"RIFF", b"RIFX", b"RF64", b"riff", b"FORM", b"fLaC", b"caff")
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
        self._via_ffmpeg = False
        self._announced_frames = 0
        self._exact_length = False
        #: One-line remarks about the decode (a file cut short, corrupt packets skipped),
        #: complete once ``blocks()`` has run to the end.
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
        meta = None
        if head.startswith(_SNDFILE_MAGIC):  # libsndfile's MP3 reader is never asked
            try:
                with _decoder_output_hidden():
                    meta = sf.info(os.fsencode(path))  # bytes: soundfile cannot encode surrogates
            except (sf.LibsndfileError, RuntimeError, TypeError):
                pass
        if meta is None or meta.format not in _SNDFILE_FORMATS or meta.subtype in _LOSSY_SUBTYPES:
            return self._probe_with_ffmpeg(size, head)
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

    def _probe_with_ffmpeg(self, size: int, head: bytes) -> AudioInfo:
        """What the container announces; ``frames`` is corrected by ``blocks()``."""
        if not _looks_like_media(head, self.path):
            raise AudioError(self.path, "not an audio file (no known audio header)")
        self._via_ffmpeg = True
        av = _pyav()
        with self._open_container() as container:
            stream = container.streams.audio[0]
            codec = stream.codec_context
            if codec.format is None or codec.layout is None or not codec.sample_rate:
                # A header FFmpeg half-parsed (found by fuzzing a damaged FLAC).
                raise AudioError(self.path, "cannot decode (no sample format, channel layout "
                                            "or rate in its header: damaged?)")
            rate, channels = int(codec.sample_rate), int(codec.layout.nb_channels)
            self._check_rate_and_channels(rate, channels)
            # The stream's duration is the presentation length (MP4 edit list, Xing/LAME
            # frame count); the container's is an estimate from the bit rate.
            self._exact_length = stream.duration is not None
            if stream.duration is not None:
                duration = float(stream.duration * stream.time_base)
            else:
                duration = (container.duration or 0) / av.time_base
            bit_rate = codec.bit_rate or container.bit_rate
            name = codec.codec.name
            lossless = codec.codec.lossless
            # 24-bit ALAC/FLAC decode to 32-bit samples and PyAV does not expose the coded
            # depth: only a 16- or 8-bit decode tells the depth for certain.
            bits = codec.format.bits if lossless and codec.format.bits <= 16 else None
        self._announced_frames = round(duration * rate)
        return AudioInfo(
            duration_s=duration,
            sample_rate_hz=rate,
            channels=min(channels, 2),
            source_channels=channels,
            frames=self._announced_frames,
            container=Path(self.path).suffix.lstrip(".").upper() or "unknown",
            codec=name,
            bit_depth=bits,
            bit_rate_kbps=round(bit_rate / 1000, 1)
            if bit_rate
            else (round(size * 8 / duration / 1000, 1) if duration > 0 else None),
            lossy=not lossless,
            downmixed=channels > 2,
        )

    def _open_container(self) -> av.container.InputContainer:
        """Open with FFmpeg, mapping its errors to one line naming the file."""
        av = _pyav()
        try:
            container = av.open(_ffmpeg_input(self.path), "r")
        except (av.error.FFmpegError, OSError, UnicodeError) as exc:
            raise AudioError(self.path, f"cannot decode ({_first_line(exc)})") from None
        if not container.streams.audio:
            container.close()
            raise AudioError(self.path, "holds no audio stream")
        if container.streams.audio[0].codec_context is None:  # PyAV: no decoder for it
            container.close()
            raise AudioError(
                self.path, "its audio codec has no decoder in the installed FFmpeg libraries "
                "(PyAV); convert it to WAV or FLAC")
        return container

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
        if self._via_ffmpeg:
            yield from self._ffmpeg_blocks(block_frames)
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

    def _ffmpeg_blocks(self, block_frames: int) -> Iterator[np.ndarray]:
        """Decode packet by packet and regroup the codec's frames into blocks."""
        rate = self.info.sample_rate_hz
        pending: list[np.ndarray] = []
        held = position = skipped = 0
        self.notes = []
        with self._open_container() as container:
            stream = container.streams.audio[0]
            # An MP4 edit list gives the presentation length; FFmpeg removes the AAC
            # priming samples it announces but not the padding at the end (ISO/IEC
            # 14496-12 8.6.6), so the decode is cut to that length.
            limit = self._announced_frames if _is_mp4(container) and self._exact_length else None
            for frame in _decoded_frames(container, stream, self.path):
                if frame is None:
                    skipped += 1
                    continue
                samples = _frame_samples(frame)
                if limit is not None:
                    samples = samples[: max(0, limit - position - held)]
                if self.info.downmixed:
                    samples = samples @ _DOWNMIX_5_1
                pending.append(samples)
                held += samples.shape[0]
                while held >= block_frames:
                    merged = np.concatenate(pending)
                    yield self._checked(merged[:block_frames], position, rate)
                    position += block_frames
                    pending, held = [merged[block_frames:]], held - block_frames
        if held:
            yield self._checked(np.concatenate(pending), position, rate)
            position += held
        if position == 0:
            raise AudioError(self.path, "decodes to no samples (truncated or corrupt?)")
        self._account(position, skipped)

    def _account(self, frames: int, skipped: int) -> None:
        """Make ``info`` say what was decoded, and note where it differs from the header."""
        rate = self.info.sample_rate_hz
        missing_s = (self._announced_frames - frames) / rate
        if missing_s > max(ANNOUNCED_TOLERANCE_S, ANNOUNCED_TOLERANCE * frames / rate):
            self.notes.append(
                f"decoded {frames / rate:.1f} s of the {self._announced_frames / rate:.1f} s "
                f"the file announces ({missing_s:.1f} s missing: cut short?); measured on "
                "what was decoded"
            )
        if skipped:
            self.notes.append(f"{skipped} corrupt packet(s) skipped while decoding")
        self.info = self.info.model_copy(update={"frames": frames, "duration_s": frames / rate})

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


def decoder_versions(path: str) -> dict[str, Any]:
    """The versions of the libraries that decode ``path``: a decoder upgrade may change the
    samples, so what was measured with it is keyed by them (``expert.features.cache``).

    libsndfile reads files with its magic; the rest (and a RIFF file whose codec libsndfile
    lacks) go to FFmpeg, whose libraries are imported only when such a file is keyed.
    """
    from importlib.metadata import PackageNotFoundError, version

    versions: dict[str, Any] = {"libsndfile": sf.__libsndfile_version__}
    try:
        versions["pyav"] = version("av")
    except PackageNotFoundError:
        versions["pyav"] = None
    _size, head = check_input(path)
    if not head.startswith(_SNDFILE_MAGIC) and versions["pyav"] is not None:
        versions["ffmpeg"] = _pyav().library_versions
    return versions


def open_audio(path: str | os.PathLike[str], *, downmix: bool = False) -> AudioSource:
    """Open ``path`` for block-wise analysis; raises ``AudioError`` with a one-line reason."""
    return AudioSource(path, downmix=downmix)


def _ffmpeg_input(path: str) -> Any:
    """``path`` as FFmpeg can open it: a name that is not valid UTF-8 (held as surrogate
    escapes) is opened here and handed over as a file object."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return open(path, "rb")  # noqa: SIM115 - read through by the container
    return path


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



def _pyav() -> ModuleType:
    """PyAV (FFmpeg's libraries), imported on first use: 0.1 s that ``--help`` need not pay.

    FFmpeg's own log lines would reach stderr between our output; what matters of them
    reaches the user as a note or a one-line error instead.
    """
    import av
    import av.logging

    av.logging.set_level(av.logging.PANIC)
    return av


def _decoded_frames(
    container: av.container.InputContainer, stream: av.AudioStream, path: str
) -> Iterator[av.AudioFrame | None]:
    """The stream's decoded frames; ``None`` for a packet that does not decode.

    A corrupt packet is skipped, as players do; a demuxer error ends the stream with what
    was decoded (a file cut short).
    """
    av = _pyav()
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except av.error.FFmpegError:
            break
        try:
            yield from stream.codec_context.decode(packet)
        except av.error.InvalidDataError:
            yield None
        except av.error.FFmpegError as exc:
            raise AudioError(path, f"cannot decode ({_first_line(exc)})") from None
    try:
        yield from stream.codec_context.decode(None)
    except av.error.FFmpegError:
        return


def _frame_samples(frame: av.AudioFrame) -> np.ndarray:
    """A decoded frame as float32 of shape (n, channels), full scale = 1.0."""
    data = frame.to_ndarray()
    data = data.T if frame.format.is_planar else data.reshape(-1, len(frame.layout.channels))
    if data.dtype.kind == "i":  # fixed-point decoders: scale by 2^(bits - 1)
        return data.astype(np.float32) / np.float32(2 ** (8 * data.dtype.itemsize - 1))
    if data.dtype.kind == "u":
        return (data.astype(np.float32) - 128) / np.float32(128)
    return data.astype(np.float32, copy=False)


def _is_mp4(container: av.container.InputContainer) -> bool:
    return "mp4" in container.format.name.split(",")


def _first_line(exc: BaseException) -> str:
    """One line of a decoder error: FFmpeg's reason and its last log line, without the
    errno and the path (the message names the file already)."""
    reason = getattr(exc, "strerror", None)
    if reason:
        log = getattr(exc, "log", None)
        detail = str(log[2]).strip() if log and len(log) > 2 else ""
        text = f"{reason}: {detail}" if detail else str(reason)
    else:
        text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


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
