"""Bytes from a file or an upload -> text, or a clear error. Nothing is stored on failure.

Order: size limit, empty, byte-order marks (UTF-8, UTF-16), UTF-16 without a mark (every other
byte NUL), binary sniffing (NUL bytes, control characters), strict UTF-8, then Windows-1252 /
Latin-1 with a warning that says so. A stray NUL past the sniffed head is dropped with a warning
(PostgreSQL refuses NUL in text, and it never carries meaning in a transcript).
"""

from __future__ import annotations

import codecs

from pilot.domain.errors import ErrorCode, PilotError

_CONTROL = set(range(0, 9)) | {11, 12} | set(range(14, 32))


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
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):  # fmt: skip
        if data.startswith(bom):
            try:
                return _normalize(data.decode(encoding)), warnings
            except UnicodeDecodeError as exc:
                raise PilotError(ErrorCode.INVALID_INPUT, f"{filename}: not valid {encoding}: {exc}") from exc
    head = data[:65536]
    utf16 = _utf16_without_bom(head)
    if utf16 is not None:
        try:
            text = data.decode(utf16)
        except UnicodeDecodeError:
            pass
        else:
            warnings.append(f"read as {utf16.upper()} (no byte order mark)")
            return _strip_nul(_normalize(text), warnings), warnings
    if b"\x00" in head or sum(b in _CONTROL for b in head) > len(head) * 0.05:
        raise PilotError(
            ErrorCode.INVALID_INPUT, f"{filename}: looks like a binary file, not a transcript or notes"
        )
    try:
        return _strip_nul(_normalize(data.decode("utf-8")), warnings), warnings
    except UnicodeDecodeError as exc:
        warnings.append(
            f"not valid UTF-8 (byte {exc.start}); read as Windows-1252/Latin-1, check names with accents"
        )
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return _strip_nul(_normalize(text), warnings), warnings


def _utf16_without_bom(head: bytes) -> str | None:
    """Text in UTF-16 has a NUL in nearly every other byte (for Latin script); binary does not."""
    if len(head) < 16:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _strip_nul(text: str, warnings: list[str]) -> str:
    if "\x00" not in text:
        return text
    warnings.append(f"{text.count(chr(0))} NUL character(s) removed")
    return text.replace("\x00", "")


def _normalize(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
