"""Bytes from a file or an upload -> text, or a clear error. Nothing is stored on failure.

Order: size limit, empty, byte-order marks (UTF-8, then UTF-32 before UTF-16: the UTF-32-LE mark
FF FE 00 00 starts with the UTF-16-LE one), UTF-32 / UTF-16 without a mark (NUL bytes in a
regular pattern), binary sniffing (NUL bytes, control characters), strict UTF-8, then a charset
detector (charset-normalizer) for text in another encoding: GB2312/GBK, Big5, Shift_JIS, EUC-KR,
Windows-1251 and the like are read as what they are; Latin-script text stays Windows-1252 /
Latin-1 (the detector cannot tell those apart on a few accented names). Every guess is a warning.

NUL characters are never returned (PostgreSQL refuses them in text and they never carry meaning
in a transcript): a few stray ones are dropped with a warning; text that is mostly NUL was
decoded with the wrong encoding, and is an error rather than stored garbled.
"""

from __future__ import annotations

import codecs

from pilot.domain.errors import ErrorCode, PilotError

_CONTROL = set(range(0, 9)) | {11, 12} | set(range(14, 32))
# UTF-32 marks first: BOM_UTF32_LE (FF FE 00 00) begins with BOM_UTF16_LE (FF FE).
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_DETECT_BYTES = 256 * 1024  # the detector reads the head; the whole file is then decoded strictly
# Unicode blocks of Latin-script text: the detector's pick among Western code pages is a coin toss
# on short text, and Windows-1252 is what such files nearly always are.
_LATIN_BLOCKS = frozenset(
    {"Basic Latin", "Latin-1 Supplement", "Control character", "General Punctuation", "Currency Symbols"}
)
MAX_NUL_SHARE = 0.01


def decode_text(data: bytes, filename: str, *, max_bytes: int) -> tuple[str, list[str]]:
    warnings: list[str] = []
    if len(data) > max_bytes:
        raise PilotError(
            ErrorCode.INVALID_INPUT,
            f"{filename}: {len(data) / 1048576:.1f} MB is larger than the {max_bytes / 1048576:.0f} MB limit",
            details={"bytes": len(data), "limit": max_bytes},
        )
    if not data.strip():
        raise PilotError(ErrorCode.INVALID_INPUT, f"{filename}: the file is empty")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise PilotError(ErrorCode.INVALID_INPUT, f"{filename}: not valid {encoding}: {exc}") from exc
            return strip_nul(_normalize(text), warnings, filename), warnings
    head = data[:65536]
    unmarked = _unicode_without_bom(head)
    if unmarked is not None:
        try:
            text = data.decode(unmarked)
        except UnicodeDecodeError:
            pass
        else:
            warnings.append(f"read as {unmarked.upper()} (no byte order mark)")
            return strip_nul(_normalize(text), warnings, filename), warnings
    if b"\x00" in head or sum(b in _CONTROL for b in head) > len(head) * 0.05:
        raise PilotError(
            ErrorCode.INVALID_INPUT, f"{filename}: looks like a binary file, not a transcript or notes"
        )
    try:
        return strip_nul(_normalize(data.decode("utf-8")), warnings, filename), warnings
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    return strip_nul(_normalize(_decode_legacy(data, first_bad, warnings)), warnings, filename), warnings


def _decode_legacy(data: bytes, first_bad: int, warnings: list[str]) -> str:
    """Text that is not UTF-8: the detector's encoding when the text is in another script,
    Windows-1252 (Latin-1 as the last resort) when it is Latin."""
    detected = _detect(data)
    if detected is not None:
        encoding, language = detected
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:  # the detector read the head; a bad byte further on
            text = data.decode(encoding, errors="replace")
            warnings.append(f"some bytes are not valid {encoding.upper()} and were replaced")
        said = f" ({language})" if language and language != "Unknown" else ""
        warnings.append(f"not valid UTF-8; read as {encoding.upper()}{said}, detected from the content")
        return text
    warnings.append(
        f"not valid UTF-8 (byte {first_bad}); read as Windows-1252/Latin-1, check names with accents"
    )
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _detect(data: bytes) -> tuple[str, str] | None:
    """(encoding, language) from charset-normalizer, or None for Latin-script text and for text
    it cannot place."""
    from charset_normalizer import from_bytes  # imported here: only non-UTF-8 files need it

    best = from_bytes(data[:_DETECT_BYTES]).best()
    if best is None or not best.encoding or set(best.alphabets) <= _LATIN_BLOCKS:
        return None
    return best.encoding, str(best.language or "")


def _unicode_without_bom(head: bytes) -> str | None:
    """Text in UTF-32 has three NUL bytes in every four, UTF-16 one in every two (for Latin
    script); binary data has neither pattern."""
    if len(head) < 16:
        return None
    head = head[: len(head) // 4 * 4]
    lanes = [head[i::4] for i in range(4)]
    zero = [lane.count(0) / len(lane) for lane in lanes]
    if zero[1] > 0.9 and zero[2] > 0.9 and zero[3] > 0.9 and zero[0] < 0.1:
        return "utf-32-le"
    if zero[0] > 0.9 and zero[1] > 0.9 and zero[2] > 0.9 and zero[3] < 0.1:
        return "utf-32-be"
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def strip_nul(text: str, warnings: list[str], filename: str = "the file") -> str:
    """No NUL reaches storage: a few are dropped with a warning; text that is more than 1 % NUL
    was read in the wrong encoding and is refused."""
    count = text.count("\x00")
    if not count:
        return text
    if count > max(2, len(text) * MAX_NUL_SHARE):
        raise PilotError(
            ErrorCode.INVALID_INPUT,
            f"{filename}: {count} NUL characters in {len(text)}: the encoding is not one pilot can "
            "tell; save the file as UTF-8 and upload it again",
        )
    warnings.append(f"{count} NUL character(s) removed")
    return text.replace("\x00", "")


def _normalize(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
