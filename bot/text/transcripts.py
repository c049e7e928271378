"""Turning transcript files (.vtt, .srt, .txt) and pasted summaries into plain text.

A transcript becomes one line per speaker turn, "Name: text", with consecutive captions
of the same speaker merged; that is the shape `bot.text.extraction.extract` reads best.
Anything that cannot be read raises `UserError` with a message fit for the person who
shared the file. Nothing here talks to Slack.
"""

from __future__ import annotations

import io
import re
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from bot.errors import UserError

__all__ = [
    "DOWNLOAD_OPENER",
    "MAX_SUMMARY_CHARS",
    "MAX_TRANSCRIPT_BYTES",
    "SUPPORTED_EXTENSIONS",
    "decode_text",
    "transcript_to_text",
    "validate_summary",
]

MAX_TRANSCRIPT_BYTES = 5 * 1024 * 1024
MAX_SUMMARY_CHARS = 30_000
SUPPORTED_EXTENSIONS = (".vtt", ".srt", ".txt")

# Consecutive captions without a speaker are joined into one line until a pause this long
# (seconds) or a line this long (characters).
_PAUSE_SECONDS = 4.0
_MAX_LINE_CHARS = 600

_VOICE_RE = re.compile(
    r"<v(?:\.[\w-]{1,40}){0,5}\s+([^>\n]{1,100}?)\s*>(.*?)(?:</v>|(?=<v[\s.])|$)", re.S
)
_TAG_RE = re.compile(r"<[^>\n]{0,200}>")
_NAME_PREFIX_RE = re.compile(
    r"^\s*(?:>>\s*)?(?:\[(?P<b>[^\]\d]{1,60})\]|(?P<n>[^\W\d_][\w'.\-]*(?:\s+[^\W\d_][\w'.\-]*){0,3}"
    r"(?:\s\d{1,3})?))\s*:\s*(?P<rest>.*)$",
    re.S,
)
_TIMING_LINE_RE = re.compile(
    r"^\s*(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3}\s*-->\s*(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3}.*$"
)
_NOT_SPEAKER_WORDS = {
    "note", "notes", "http", "https", "warning", "music", "applause", "laughter", "summary",
    "subject", "re", "fyi", "q", "a", "action", "todo", "decision", "agreed", "question",
}  # fmt: skip
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def validate_summary(text: str) -> str:
    """The pasted summary, stripped; refuses empty text and text over the limit."""
    cleaned = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not cleaned:
        raise UserError(
            "The summary is empty. Paste the call summary or your notes (decisions, "
            "action items, open questions) and try again."
        )
    if len(cleaned) > MAX_SUMMARY_CHARS:
        raise UserError(
            f"The summary is too long: {len(cleaned):,} characters, the limit is "
            f"{MAX_SUMMARY_CHARS:,}. Shorten it, or share the transcript as a .vtt, .srt "
            "or .txt file instead."
        )
    return cleaned


def decode_text(content: bytes, filename: str = "the file") -> str:
    """Decode transcript bytes: UTF-8 (with or without BOM) or UTF-16 with a BOM.

    Anything else, and anything that looks binary, is refused with a UserError.
    """
    not_text = UserError(
        f"“{filename}” is not a text file I can read. Transcripts must be plain text "
        "encoded as UTF-8 (or UTF-16 with a byte-order mark)."
    )
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = content.decode("utf-16")
        except UnicodeDecodeError:
            raise not_text from None
    elif content.startswith(b"\xef\xbb\xbf"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise not_text from None
    else:
        if b"\x00" in content:
            raise not_text
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            raise not_text from None
    if text and len(_CONTROL_RE.findall(text[:65536])) > max(8, len(text[:65536]) // 100):
        raise not_text
    return text.lstrip("\ufeff")


def transcript_to_text(filename: str, content: bytes) -> str:
    """The text of a transcript file: "Name: text" lines for .vtt/.srt, as-is for .txt."""
    name = (filename or "").strip() or "the file"
    ext = ""
    if "." in name:
        ext = "." + name.rsplit(".", 1)[1].lower()
    if ext not in SUPPORTED_EXTENSIONS:
        what = f"a {ext} file" if ext else "a file without an extension"
        raise UserError(
            f"I can only read transcripts in .vtt, .srt or .txt files, and “{name}” is {what}."
        )
    if len(content) > MAX_TRANSCRIPT_BYTES:
        raise UserError(
            f"“{name}” is too large ({len(content) / (1024 * 1024):.1f} MB); transcripts can "
            f"be at most {MAX_TRANSCRIPT_BYTES // (1024 * 1024)} MB. Paste the summary instead, "
            "or share a shorter part of the transcript."
        )
    if not content.strip():
        raise UserError(f"“{name}” is empty.")
    text = decode_text(content, name).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise UserError(f"“{name}” is empty.")
    if ext == ".txt":
        return _clean_txt(text)
    result = _captions_to_text(text, "srt" if ext == ".srt" else "vtt")
    if not result.strip():
        raise UserError(f"“{name}” has no captions with text in it.")
    return result


# --------------------------------------------------------------------------------------


@dataclass
class _Cue:
    start: float
    end: float
    speaker: str | None
    text: str


def _clean_txt(text: str) -> str:
    lines = [ln.rstrip() for ln in text.split("\n")]
    out = "\n".join(lines).strip()
    return re.sub(r"\n{3,}", "\n\n", out)


def _captions_to_text(text: str, fmt: str) -> str:
    cues = _parse_cues(text, fmt)
    if cues is None:
        # Not parseable as captions (no header, broken timings): keep the readable lines.
        cues = _loose_cues(text)
    return _merge(cues)


def _parse_cues(text: str, fmt: str) -> list[_Cue] | None:
    buffer = io.StringIO(text)
    try:
        if fmt == "srt":
            parsed = webvtt.from_buffer(buffer, format="srt")
        else:
            parsed = webvtt.from_buffer(buffer)
    except (MalformedFileError, MalformedCaptionError, ValueError):
        if fmt == "vtt" and "-->" in text:
            # A .vtt that is really SRT (numbered cues, comma decimals) or lacks its header.
            try:
                parsed = webvtt.from_buffer(io.StringIO(text), format="srt")
            except (MalformedFileError, MalformedCaptionError, ValueError):
                return None
        else:
            return None
    cues: list[_Cue] = []
    for caption in parsed.captions:
        start = float(caption.start_time.in_milliseconds()) / 1000.0
        end = float(caption.end_time.in_milliseconds()) / 1000.0
        cues.extend(_cues_of(caption.raw_text, start, end))
    if not cues and parsed.captions == []:
        return None
    return cues


def _loose_cues(text: str) -> list[_Cue]:
    """Captions from a file webvtt-py refuses: drop headers, numbers and timings."""
    cues: list[_Cue] = []
    skip_block = False
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped:
            skip_block = False
            continue
        if skip_block:
            continue
        if stripped.startswith(("WEBVTT", "NOTE", "STYLE", "REGION", "X-TIMESTAMP")):
            skip_block = stripped.startswith(("NOTE", "STYLE", "REGION"))
            continue
        if stripped.isdigit() or _TIMING_LINE_RE.match(stripped) or "-->" in stripped:
            continue
        cues.extend(_cues_of(stripped, 0.0, 0.0))
    return cues


def _cues_of(raw: str, start: float, end: float) -> list[_Cue]:
    """One caption's text → cues with speakers (a caption can hold several voices)."""
    out: list[_Cue] = []
    if "<v" in raw:
        pos = 0
        for vm in _VOICE_RE.finditer(raw):
            before = _plain(raw[pos : vm.start()])
            if before:
                out.append(_Cue(start, end, None, before))
            body = _plain(vm.group(2))
            if body:
                out.append(_Cue(start, end, vm.group(1).strip(), body))
            pos = vm.end()
        tail = _plain(raw[pos:])
        if tail:
            out.append(_Cue(start, end, None, tail))
        if out:
            return out
    for line in raw.split("\n"):
        plain = _plain(line)
        if not plain:
            continue
        m = _NAME_PREFIX_RE.match(plain)
        if m and _speaker_name(m.group("b") or m.group("n") or ""):
            rest = m.group("rest").strip()
            speaker = (m.group("b") or m.group("n") or "").strip()
            if rest:
                out.append(_Cue(start, end, speaker, rest))
            continue
        out.append(_Cue(start, end, None, plain))
    return out


def _plain(text: str) -> str:
    text = _TAG_RE.sub("", text)
    text = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    text = text.replace("&nbsp;", " ").replace("&lrm;", "").replace("&rlm;", "")
    return re.sub(r"\s+", " ", text).strip()


def _speaker_name(name: str) -> bool:
    words = name.split()
    if not 1 <= len(words) <= 5:
        return False
    if words[0].lower() in _NOT_SPEAKER_WORDS:
        return False
    return words[0][:1].isupper()


def _merge(cues: list[_Cue]) -> str:
    """Consecutive cues of one speaker → one "Name: text" line; rolling duplicates dropped."""
    lines: list[str] = []
    cur_speaker: str | None = None
    cur_parts: list[str] = []
    cur_len = 0
    last_end = 0.0
    last_text = ""

    def flush() -> None:
        nonlocal cur_parts, cur_len
        if cur_parts:
            body = " ".join(cur_parts)
            lines.append(f"{cur_speaker}: {body}" if cur_speaker else body)
        cur_parts = []
        cur_len = 0

    for cue in cues:
        text = cue.text
        if text == last_text:
            continue  # rolling captions repeat the previous line
        if last_text and text.startswith(last_text + " "):
            text = text[len(last_text) :].strip()
        speaker = cue.speaker
        if speaker is not None:
            new_turn = speaker != cur_speaker
        else:
            pause = cue.start - last_end > _PAUSE_SECONDS if cue.start or last_end else False
            new_turn = cur_speaker is not None or pause or cur_len > _MAX_LINE_CHARS
        if new_turn:
            flush()
            cur_speaker = speaker
        cur_parts.append(text)
        cur_len += len(text) + 1
        last_end = cue.end
        last_text = cue.text
    flush()
    return "\n".join(lines)


# --------------------------------------------------------------------------- downloads


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


class _TokenStaysHome(urllib.request.HTTPRedirectHandler):
    """urllib copies every header, `Authorization` included, into a redirected request,
    whatever the new host. The bot token may follow a redirect only to the same scheme, host
    and port; a file served from elsewhere (a CDN's signed URL) is fetched without it."""

    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and _origin(newurl) != _origin(req.full_url):
            new.remove_header("Authorization")
        return new


#: Opens `url_private` downloads (a Request carrying the bot token) without ever sending the
#: token to another host.
DOWNLOAD_OPENER = urllib.request.build_opener(_TokenStaysHome)
