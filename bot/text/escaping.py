"""People's text in and out of the bot: decode once on the way in, escape once on the way out.

Slack sends slash-command and message text HTML-escaped (`&amp;`, `&lt;`, `&gt;` and nothing
else), with its own markup in raw angle brackets: `<@U123|name>`, `<#C123|general>`, `<!here>`,
`<!subteam^S1|@team>`, `<https://…|label>`. Modal input arrives raw. The bot stores plain text:

- `from_slack` turns Slack's text into plain text (markup made readable, entities decoded once).
  User mentions stay as `<@U123>` tokens in the plain text, so a post can make them live again.
- `clean` removes what must never be stored or shown: control characters, bidi overrides and
  isolates, lone surrogates; text with nothing visible left becomes "".
- `mrkdwn` escapes plain text once for a post (blocks, `plain_text` objects and the `text`
  fallback, which Slack also reads as mrkdwn). Nothing anyone typed becomes a live `<!channel>`,
  `<!here>`, `<!everyone>`, user-group mention, channel link or masked link; a user mention is
  live only for the people the caller names (those in the channel), `@name` otherwise.
- `plain` does the same for one-line summaries (bundles, DM notifications).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

__all__ = [
    "USER_TOKEN",
    "clean",
    "from_slack",
    "mention_ids",
    "mrkdwn",
    "plain",
    "slack_escape",
    "unescape",
]

# --------------------------------------------------------------------------- characters

# Bidi embeddings/overrides (U+202A–U+202E) and isolates (U+2066–U+2069): they reorder what a
# reader sees ("txt.exe" shown as "exe.txt"), never needed in a title or a note.
_BIDI = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
# C0 controls but tab and newline (carriage returns are turned into newlines first), DEL, C1.
_CONTROLS = [c for c in range(0x20) if c not in (0x09, 0x0A)] + list(range(0x7F, 0xA0))
_DROP = dict.fromkeys([*_CONTROLS, *_BIDI])
_SURROGATES_RE = re.compile("[\ud800-\udfff]")
# Characters that show nothing: a text made only of these (and spaces) is empty.
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u180e"
_EDGES = " \t\n" + _ZERO_WIDTH
_SPACE_RUN_RE = re.compile(r"[ \t\n\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def _strip_unsafe(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.translate(_DROP)
    if not text.isascii() and _SURROGATES_RE.search(text):
        text = _SURROGATES_RE.sub("", text)
    return text


def clean(text: str, *, multiline: bool = False) -> str:
    """Text fit to store: controls, bidi overrides/isolates and lone surrogates removed, ends
    trimmed; "" when nothing visible is left. Single-line text has every run of whitespace
    (newlines and tabs included) made one space; multi-line text keeps newlines and tabs."""
    if not text:
        return ""
    text = _strip_unsafe(text)
    if not multiline:
        text = _SPACE_RUN_RE.sub(" ", text)
    text = text.strip(_EDGES)
    if text and not _visible(text):
        return ""
    return text


def _visible(text: str) -> bool:
    for ch in text:
        if ch.isspace() or ch in _ZERO_WIDTH:
            continue
        if unicodedata.category(ch) in ("Cf", "Cc", "Cs", "Zs", "Zl", "Zp", "Mn", "Me"):
            continue
        return True
    return False


# --------------------------------------------------------------------------- escaping

_ENTITY_RE = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}


def slack_escape(text: str) -> str:
    """Escape `&`, `<`, `>` the way Slack does (and wants): nothing else."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Decode Slack's three entities in one pass (`&amp;lt;` → `&lt;`, never `<`)."""
    if "&" not in text:
        return text
    return _ENTITY_RE.sub(lambda m: _ENTITIES[m.group(1)], text)


# --------------------------------------------------------------------------- Slack's markup

# Raw angle brackets in text from Slack are always markup: typed ones arrive as &lt; &gt;.
_MARKUP_RE = re.compile(r"<([^<>\n]{1,3000})>")
# A user mention in stored plain text (as Slack sent it): `<@U123>` or `<@U123|name>`.
USER_TOKEN = re.compile(r"<@([UW][A-Z0-9_]{1,30})(?:\|([^<>|\n]{0,80}))?>")
_SAFE_LABEL_RE = re.compile(r"[^<>&|\n]{1,80}")


def from_slack(text: str) -> str:
    """Plain text from Slack's (slash command, message) text; decoded exactly once.

    `<https://x|label>` → `label (https://x)` (a link never hides where it goes),
    `<https://x>` → `https://x`, `<mailto:a@b|a@b>` → `a@b`, `<#C1|general>` → `#general`,
    `<!here>` → `@here`, `<!subteam^S1|@team>` → `@team`, `<!date^…|fallback>` → `fallback`;
    user mentions stay
    `<@U1>` / `<@U1|name>` tokens (so `mrkdwn` can make them live for people in the channel).
    Not for modal input, which Slack sends raw."""
    if not text:
        return ""
    if "<" in text:
        text = _MARKUP_RE.sub(_markup_to_plain, text)
    return unescape(text)


def _markup_to_plain(match: re.Match[str]) -> str:
    inner = match.group(1)
    target, bar, label = inner.partition("|")
    if target.startswith("@"):
        uid = target[1:]
        if re.fullmatch(r"[UW][A-Z0-9_]{1,30}", uid):
            # The label is decoded with the rest of the text afterwards; keep one that will
            # still read as a label once decoded.
            if bar and _SAFE_LABEL_RE.fullmatch(unescape(label)):
                return f"<@{uid}|{label}>"
            return f"<@{uid}>"
        return label or target
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):
        special = target[1:]
        if special in ("here", "channel", "everyone", "group"):
            return "@" + special
        if special.startswith("subteam^"):
            return label or "@" + special.split("^", 1)[1]
        if special.startswith("date"):
            return label or ""
        return label or "@" + special
    if target.startswith("mailto:"):
        target = target[len("mailto:") :]
    if label and label != target:
        return f"{label} ({target})"
    return target


def mention_ids(text: str) -> list[str]:
    """The user ids mentioned in plain text, in order, each once."""
    seen: dict[str, None] = {}
    for m in USER_TOKEN.finditer(text or ""):
        seen.setdefault(m.group(1))
    return list(seen)


# --------------------------------------------------------------------------- the way out


def _render(text: str, live_users: Collection[str]) -> str:
    out: list[str] = []
    pos = 0
    for m in USER_TOKEN.finditer(text):
        out.append(slack_escape(text[pos : m.start()]))
        uid, label = m.group(1), m.group(2)
        if uid in live_users:
            out.append(f"<@{uid}>")
        else:
            name = (label or "").strip().lstrip("@") or uid
            out.append(slack_escape("@" + name))
        pos = m.end()
    out.append(slack_escape(text[pos:]))
    return "".join(out)


def mrkdwn(text: str, *, live_users: Collection[str] = frozenset()) -> str:
    """Plain text escaped once for Slack mrkdwn (blocks, `plain_text` objects, the `text`
    fallback). Every `&`, `<`, `>` is escaped, so no broadcast, user-group mention, channel
    link or masked link can form; `<@U…>` tokens are live only for ids in `live_users` and
    shown as `@name` otherwise. Controls and bidi overrides are dropped."""
    if not text:
        return ""
    return _render(_strip_unsafe(text), live_users)


def plain(text: str, *, limit: int | None = None, live_users: Collection[str] = frozenset()) -> str:
    """One line of plain text for a summary (a bundle line, a DM notification): whitespace
    runs made one space, cut at `limit` characters with "…", then escaped like `mrkdwn`."""
    if not text:
        return ""
    line = _SPACE_RUN_RE.sub(" ", _strip_unsafe(text)).strip(_EDGES)
    if limit is not None and len(line) > limit:
        cut = line[: max(limit - 1, 0)]
        # Never cut a mention token in half: drop a partial one.
        start = cut.rfind("<@")
        if start != -1 and ">" not in cut[start:]:
            cut = cut[:start]
        line = cut.rstrip() + "…"
    return _render(line, live_users)
