"""Users' text files in the encodings their editors write: UTF-8, UTF-8 with a BOM, UTF-16 or UTF-32 with a BOM.

Every reader of a user's text file (scenario YAML, resistance and reclass
tables, measures CSV, Circuitscape INI and point files, Conefor files, GeoJSON
sites) goes through :func:`read_text` or :func:`decode_text`, so the same file
reads the same way everywhere and a wrong encoding is one line naming the file
and the line.

Text without a byte-order mark must be UTF-8. There is no fallback to Latin-1
or Windows-1252: in the Range States Windows editors save Cyrillic text as
Windows-1251, which a Latin-1 fallback would turn silently into other letters
(and Latin-1 decodes any bytes at all, so it would hide every other mistake
too). Refusing with "save it as UTF-8" costs the user one click.
"""

from __future__ import annotations

import codecs
import gzip
import os
from pathlib import Path

from corridors._errors import CorridorsError, DataError

#: Byte-order marks and their codecs; UTF-32 first, since its little-endian mark starts with UTF-16's.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_HOW = "save it as UTF-8 (Notepad: Save as, Encoding UTF-8; Excel: CSV UTF-8)"


def _codec(data: bytes) -> str:
    return next((c for bom, c in _BOMS if data.startswith(bom)), "utf-8")


def sniff_text(head: bytes) -> str:
    """The first bytes of a file as text, to guess its kind: the byte-order mark honoured, what does not decode dropped.

    Parameters
    ----------
    head : bytes
        The first bytes (a character cut at the end is dropped).

    Returns
    -------
    str
    """
    return head.decode(_codec(head), errors="ignore")


def decode_text(data: bytes, path: object, error: type[CorridorsError] = DataError) -> str:
    """Decode the bytes of a user's text file.

    Parameters
    ----------
    data : bytes
        The file's content.
    path : object
        The file, named in the error.
    error : CorridorsError subclass, default DataError
        The error raised (ConfigError for configuration files).

    Returns
    -------
    str
        The text, without its byte-order mark, with ``\\r\\n`` and ``\\r``
        line ends read as ``\\n`` (as Python's text mode does).

    Raises
    ------
    CorridorsError
        ``error``, naming the file, the line of the first byte that does not
        decode, and the fix, when the text is neither UTF-8 nor marked
        UTF-16/UTF-32 (or holds NUL characters: UTF-16 without its mark).
    """
    codec = _codec(data)
    utf16 = error(f"{path}: the file looks like UTF-16 without a byte-order mark; {_HOW}.")
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        if codec != "utf-8":
            raise error(f"{path}, line {line}: the file starts with a {codec.upper()} byte-order mark but is not "
                        f"{codec.upper()} text; {_HOW}.") from None
        if b"\x00" in data[:200]:
            raise utf16 from None
        raise error(f"{path}, line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}; perhaps Latin-1 or "
                    f"Windows-1251); {_HOW}.") from None
    if "\x00" in text:  # UTF-16 of plain ASCII is valid UTF-8 with a NUL after every letter
        raise utf16
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text(path: str | os.PathLike, error: type[CorridorsError] = DataError) -> str:
    """Read a user's text file (gzip-compressed when its name ends in ``gz``).

    Parameters
    ----------
    path : path-like
        The file. Callers check that it exists, with their own hint.
    error : CorridorsError subclass, default DataError
        The error raised (ConfigError for configuration files).

    Returns
    -------
    str
        See :func:`decode_text`.

    Raises
    ------
    CorridorsError
        ``error``, naming the file, when it cannot be read or decoded.
    """
    p = Path(path)
    try:
        data = gzip.decompress(p.read_bytes()) if p.name.lower().endswith("gz") else p.read_bytes()
    except (OSError, EOFError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise error(f"{p}: cannot be read ({reason}); check the path and that it is a text file.") from None
    return decode_text(data, p, error)
