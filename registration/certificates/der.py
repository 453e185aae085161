"""A minimal DER reader: enough to decode the string values CAs put in private extensions."""

from __future__ import annotations

from dataclasses import dataclass

# --- Minimal DER reader ------------------------------------------------------


class DerError(ValueError):
    pass


@dataclass(frozen=True)
class Tlv:
    tag: int
    value: bytes
    end: int  # offset just after this element in the buffer it was read from


def read_header(data: bytes, offset: int) -> tuple[int, int, int]:
    """Return (tag, length, offset of the value) of the DER element at ``offset``."""
    if offset + 2 > len(data):
        raise DerError("short header")
    tag, first = data[offset], data[offset + 1]
    if tag & 0x1F == 0x1F:
        raise DerError("high tag numbers are not used here")
    start = offset + 2
    if first < 0x80:
        return tag, first, start
    size = first & 0x7F
    if size == 0 or size > 4 or start + size > len(data):
        raise DerError("unsupported length")
    return tag, int.from_bytes(data[start : start + size], "big"), start + size


def read_tlv(data: bytes, offset: int = 0) -> Tlv:
    tag, length, start = read_header(data, offset)
    end = start + length
    if end > len(data):
        raise DerError("truncated value")
    return Tlv(tag=tag, value=data[start:end], end=end)


# Text string tags read as UTF-8 (falling back to Latin-1: CAs are not always
# strict about PrintableString/IA5String), and the two wide encodings.
_TEXT_TAGS = frozenset(
    {
        0x0C,  # UTF8String
        0x12,  # NumericString
        0x13,  # PrintableString
        0x14,  # TeletexString (T61)
        0x16,  # IA5String
        0x1A,  # VisibleString
    }
)
_WIDE_CODECS: dict[int, str] = {0x1C: "utf-32-be", 0x1E: "utf-16-be"}


def decode_text(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return "".join(char for char in text if char.isprintable()).strip()


def decode_der_string(raw: bytes) -> str:
    """Decode a DER string value; a value that is not one is read as raw UTF-8 text."""
    try:
        tlv = read_tlv(raw)
    except DerError:
        return decode_text(raw)
    if tlv.end != len(raw):
        return decode_text(raw)
    if tlv.tag in _TEXT_TAGS:
        return decode_text(tlv.value)
    if tlv.tag in _WIDE_CODECS:
        try:
            return tlv.value.decode(_WIDE_CODECS[tlv.tag]).strip()
        except UnicodeDecodeError:
            return ""
    return decode_text(raw)
