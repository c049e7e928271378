"""Stage 1, normalize: lines of plain text from what people paste.

Slack markup becomes readable text (links keep their label, channels their name), odd
spaces and zero-width characters go, and per line: emoji, shortcodes and Markdown
emphasis (``strip_decor``) and transcript timestamps (``strip_timestamps``).
"""

from __future__ import annotations

import re

TS = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
# Every space-like character but the line break (form feed, vertical tab, the \x1c–\x1f
# separators and \x85 too: left as they are, long runs of them made lines slow to read).
_SPACES_RE = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000\t\x0b\x0c\x1c-\x1f\x85]")
_EMOJI = "\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff"
# A zero-width joiner stays inside an emoji sequence (👩‍💻), nowhere else.
_ZERO_WIDTH_RE = re.compile("[\u200b\u200c\u2060\ufeff]|(?<![" + _EMOJI + "\ufe0f])\u200d")
# Bounded repetitions throughout: an unclosed "<http://x|..." must not make every "<"
# scan to the end of a long line.
_SLACK_LINK_RE = re.compile(r"<((?:https?|mailto|tel):[^|>\s]{1,2000})(?:\|([^>\n]{0,300}))?>")
_SLACK_CHANNEL_RE = re.compile(r"<#[CG][A-Z0-9]{1,20}(?:\|([^>\n]{0,100}))?>")
_SLACK_SPECIAL_RE = re.compile(r"<!(here|channel|everyone)(?:\|[^>\n]{0,100})?>")
_SLACK_SUBTEAM_RE = re.compile(r"<!subteam\^[A-Z0-9]{1,20}(?:\|([^>\n]{0,100}))?>")
_SLACK_DATE_RE = re.compile(r"<!date\^\d{1,12}\^[^|>\n]{0,100}\|([^>\n]{0,100})>")
MENTION = r"<@[UW][A-Z0-9]{2,20}(?:\|[^>\n]{0,80})?>"
MENTION_RE = re.compile(r"<@(?P<id>[UW][A-Z0-9]{2,20})(?:\|(?P<label>[^>\n]{0,80}))?>")
_SHORTCODE_RE = re.compile(r"(?<![\w:]):[a-z0-9][a-z0-9_+\-]*:(?![\w:])")
_EMOJI_RE = re.compile("[" + _EMOJI + "\ufe0f\u20e3\u200d]")
# Emoji and shortcodes before the words of a line decorate it ("👉 ", ":pushpin: "); after
# that they are part of what people wrote and stay.
_LEAD_DECOR_RE = re.compile(
    "^(?:[" + _EMOJI + "\ufe0f\u20e3\u200d]" + r"|:[a-z0-9][a-z0-9_+\-]*:)+(?:\s+|$)"
)
_EMPHASIS_RE = re.compile(r"\*\*|__|~~|`")
_SINGLE_EMPH_RE = re.compile(r"(?<![\w*])[*_~](?=\S)([^*_~\n]*?\S)[*_~](?![\w*])")
_MULTISPACE_RE = re.compile(r"\s{2,}")
_TS_HINT_RE = re.compile(r"\d:\d\d")
_LEAD_TS_RE = re.compile(r"^[\[(]?" + TS + r"[\])]?\s*(?:[-–|]\s+)?(?=\S)")
_TRAIL_PAREN_TS_RE = re.compile(r"\s?[(\[][^()\[\]]{0,40}?\b" + TS + r"\b[^()\[\]]{0,20}[)\]]\s*$")
_WHEN_WORDS_RE = re.compile(
    r"(?i)\b(?:by|until|before|tomorrow|today|tonight|noon|[ap]\.?m|central|pacific|eastern|utc)\b"
)
_INLINE_TS_RE = re.compile(
    r"\s?[(\[]\s*" + TS + r"(?:\s*[-–]\s*" + TS + r")?\s*[)\]]|\s[-–]\s+WATCH\b.*$"
)


def prepare_lines(text: str) -> list[str]:
    """The text's lines: any line break, no zero-width characters, odd spaces as spaces."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ZERO_WIDTH_RE.sub("", text)
    text = _SPACES_RE.sub(" ", text)
    return text.split("\n")


def unslack(s: str) -> str:
    """Slack markup as readable text: link labels, #channel, @here; mentions stay."""
    if "<" in s:
        s = _SLACK_LINK_RE.sub(lambda m: m.group(2) or m.group(1), s)
        s = _SLACK_CHANNEL_RE.sub(lambda m: "#" + (m.group(1) or "channel"), s)
        s = _SLACK_SPECIAL_RE.sub(lambda m: "@" + m.group(1), s)
        s = _SLACK_SUBTEAM_RE.sub(lambda m: m.group(1) or "@team", s)
        s = _SLACK_DATE_RE.sub(lambda m: m.group(1), s)
    if "&" in s:
        s = s.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return s


def strip_markup(s: str) -> str:
    """An item's words as written: Markdown emphasis and leading decoration gone, emoji
    and shortcodes inside the text kept, mentions kept."""
    if "*" in s or "_" in s or "~" in s or "`" in s:
        s = _EMPHASIS_RE.sub("", s)
        s = _SINGLE_EMPH_RE.sub(r"\1", s)
    s = s.strip()
    if s and (not s[0].isascii() or s[0] == ":"):
        s = _LEAD_DECOR_RE.sub("", s)
    if "  " in s:
        s = _MULTISPACE_RE.sub(" ", s)
    return s


def strip_decor(s: str) -> str:
    """Emoji, shortcodes, markdown emphasis: gone (for reading headings and labels)."""
    changed = False
    if ":" in s and _SHORTCODE_RE.search(s):
        s = _SHORTCODE_RE.sub("", s)
        changed = True
    if not s.isascii():
        s = _EMOJI_RE.sub("", s)
        changed = True
    if "*" in s or "_" in s or "~" in s or "`" in s:
        s = _EMPHASIS_RE.sub("", s)
        s = _SINGLE_EMPH_RE.sub(r"\1", s)
        changed = True
    if changed or "  " in s:
        s = _MULTISPACE_RE.sub(" ", s)
    return s.strip()


def strip_timestamps(s: str) -> str:
    """Without a transcript's "[00:12:03]", "(14:22)" or "- WATCH" timestamps."""
    if ":" not in s or _TS_HINT_RE.search(s) is None:
        return s
    s = _LEAD_TS_RE.sub("", s)
    m = _TRAIL_PAREN_TS_RE.search(s)
    if m is not None and _WHEN_WORDS_RE.search(m.group(0)) is None:
        s = s[: m.start()]  # "(priya, 14:11:45)", not "(tomorrow at 10:30 Central)"
    s = _INLINE_TS_RE.sub("", s)
    return s.strip()
