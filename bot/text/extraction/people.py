"""Stage: owner resolution. An owner as written ("I", "we", "@marta", "Tom", "<@U1>")
becomes a Slack user id when it can be tied to exactly one person, else keeps its name."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.text.extraction.context import Context, Unit
from bot.text.extraction.normalize import MENTION_RE
from bot.text.extraction.vocabulary import COMMON_WORD_NAMES


@dataclass(frozen=True)
class Owner:
    user_id: str | None
    name: str | None
    sure: bool


NO_OWNER = Owner(None, None, False)


_SELF_RE = re.compile(r"(?i)^(?:i|me|myself)$")
_WE_RE = re.compile(r"(?i)^(?:we|us|our\s+(?:side|team))$")
_THEY_RE = re.compile(
    r"(?i)^(?:they|them|(?:the\s+)?vendor(?:\s+(?:team|side))?|their\s+(?:side|team))$"
)
_YOU_RE = re.compile(r"(?i)^(?:your\s+(?:side|team)|you\s+guys)$")
_NOBODY_RE = re.compile(
    r"(?i)^(?:someone|somebody|everyone|everybody|nobody|all|team|the\s+team|both|unassigned)$"
)
_MULTI_RE = re.compile(r"\s*(?:,|\band\b|&|\+|/)\s*")


def named_parts(text: str) -> list[str]:
    """The owners written in "Greg/David", "Nick and Ross", "A, B & C", first named first."""
    return [part for part in _MULTI_RE.split(text.strip()) if part]


def owner_kind(text: str, ctx: Context) -> str:
    t = text.strip()
    if len(named_parts(t)) > 1:
        return "multi"
    if MENTION_RE.fullmatch(t):
        return "mention"
    if _SELF_RE.match(t):
        return "self"
    if _WE_RE.match(t) or _THEY_RE.match(t) or _YOU_RE.match(t):
        return "group"
    if _NOBODY_RE.match(t):
        return "nobody"
    if ctx.people.is_person(t):
        return "person"
    return "generic"


def resolve_owner(text: str, unit: Unit, ctx: Context) -> Owner:
    t = text.strip().strip(",:;.")
    kind = owner_kind(t, ctx)
    if kind == "multi":
        # Several people: the first one named holds the item, marked unsure.
        first = named_parts(t)[0]
        lead = resolve_owner(first, unit, ctx) if owner_kind(first, ctx) != "multi" else None
        return Owner(lead.user_id if lead else None, t, False)
    if kind == "mention":
        m = MENTION_RE.fullmatch(t)
        assert m is not None
        uid = m.group("id")
        name = ctx.people.display.get(uid) or (m.group("label") or None)
        return Owner(uid, name, True)
    if kind == "self":
        speaker = unit.speaker or unit.label or ctx.author
        if speaker:
            # "Martin Thomson (MT)": the name without the initials or affiliation after it
            speaker = re.sub(r"\s*[(\[][^)\]]{1,40}[)\]]$", "", speaker) or speaker
        if speaker and not _SELF_RE.match(speaker):
            return resolve_owner(speaker, unit, ctx)
        return Owner(None, None, False)
    if kind == "group":
        side = _speaker_side(unit, ctx)
        if _WE_RE.match(t):
            uid = ctx.they if side == "vendor" else ctx.we
        elif _THEY_RE.match(t):
            uid = ctx.we if side == "vendor" else ctx.they
        else:  # "your side": the side the speaker is not on
            uid = {"vendor": ctx.we, "internal": ctx.they}.get(side or "")
        return Owner(uid, t.lower(), False)
    if kind == "nobody":
        return Owner(None, t, False)
    if kind == "person":
        ids = ctx.people.lookup(t)
        if len(ids) == 1:
            name = t.lstrip("@")
            if name.islower():
                name = ctx.people.display.get(ids[0], name)
            return Owner(ids[0], name, True)
        return Owner(None, t.lstrip("@"), False)
    name = t.lstrip("@")
    if name.lower() in COMMON_WORD_NAMES and name[:1].islower():
        return NO_OWNER
    return Owner(None, name or None, False)


def _speaker_side(unit: Unit, ctx: Context) -> str | None:
    speaker = unit.speaker or unit.label or ctx.author
    if not speaker:
        return None
    m = MENTION_RE.fullmatch(speaker)
    ids = (m.group("id"),) if m else ctx.people.lookup(speaker)
    if len(ids) == 1:
        return ctx.people.side.get(ids[0])
    return None
