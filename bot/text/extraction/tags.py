"""Tagged lines: "ACTION: …", "AI jonas: …", "TODO(sofia): …", "#agreed …", "Decision: …"."""

from __future__ import annotations

import re

from bot.text.extraction.normalize import MENTION
from bot.text.extraction.vocabulary import FOLLOWUP_VERBS

TAG_RE = re.compile(
    # W3C minutes mark an action's state: "[NEW] ACTION: …", "[DONE] ACTION: …".
    r"^(?:\[(?P<state>new|pending|continues|continued|open|done|dropped|closed)\]\s*)?"
    r"(?:"
    r"(?P<tag>action[ _]items?|action points?|action required|action|todo|to-do|to do|"
    r"next steps?|follow[- ]?ups?|decision|decided|agreed|resolved|resolution|consensus|"
    r"conclusion|outcome|"
    r"open questions?|open points?|open items?|open issues?|open|still open|unresolved|"
    r"questions?|q|tbd|idea|info|note|fyi|"
    r"help|link|topic|aufgabe|entscheidung|beschluss|offene frage|frage)"
    r"(?:\s*\((?P<who>[^)]{1,40})\))?\s*[:\-–]\s+"
    r"|(?P<ai>AI)(?:\s*\((?P<aiwho>[^)]{1,40})\)\s*(?P<aicolon>[:\-–])?\s+"
    r"|(?:\s+(?P<aiwho2>@?[\w.\-]{2,30}))?\s*[:\-–]\s+)"
    r"|(?P<todowho>todo|action)\s+(?P<who2>@[\w.\-]+|" + MENTION + r")\s*:?\s+"
    # "Action Mark/Philippe: …", "ACTION BW: …", "ACTION ALL: …"
    r"|(?P<whotag>action(?:\s+items?)?|ai|todo)\s+"
    r"(?P<who3>(?-i:[A-Z@][\w.\-]*)(?:\s*(?:/|,|&|\band\b)\s*(?-i:[A-Z@][\w.\-]*)){0,3})\s*:\s+"
    # board resolutions: "RESOLVED, that …"
    r"|(?P<resolved>resolved),\s+(?=that\b)"
    # "[ACTION ITEM] …", "[AI] …", "[Decision] …"
    r"|\[(?P<btag>action\s+items?|action|ai|todo|decision|decided|agreed|resolved)\]\s*:?\s*"
    # a review of earlier items: "Last week's AI: …", "Previous action items: …"
    r"|(?P<past>(?:last\s+(?:week|meeting|call)['’]?s|previous|past|old)\s+"
    r"(?:ais?|action\s+items?|actions?))\s*[:\-–]\s+"
    # an upper-case tag without a colon: "ACTION ITEM scottmcm to …", "TODO fix …"
    r"|(?P<captag>(?-i:ACTION(?:[ _]ITEMS?)?|TODO))\s+(?=\S)"
    r"|#(?P<irc>action|agreed|agree|accepted|decided|decision|resolved|info|idea|link|topic|"
    r"help|todo|question|startmeeting|endmeeting|chair|undo)\b\s*"
    r")(?P<rest>.*)$",
    re.I | re.S,
)
# The tag written after the item: "… (TODO)", "… [action item]" (not "(AI)": a subject).
_SUFFIX_TAG_RE = re.compile(r"[(\[](?:todo|to-do|to\s+do|action(?:\s+item)?)[)\]]\s*[.!]?$", re.I)
_TAG_KIND: dict[str, str] = {
    "action": "action", "action item": "action", "action items": "action", "todo": "action",
    "to-do": "action", "to do": "action", "aufgabe": "action", "action point": "action",
    "action points": "action", "action required": "action", "next step": "action",
    "next steps": "action", "follow-up": "action", "follow-ups": "action",
    "follow up": "action", "follow ups": "action", "followup": "action",
    "followups": "action", "decision": "decision", "resolution": "decision",
    "consensus": "decision", "conclusion": "decision", "outcome": "decision",
    "accepted": "decision",
    "decided": "decision", "agreed": "decision", "agree": "decision",
    "resolved": "decision",
    "entscheidung": "decision", "beschluss": "decision", "open question": "question",
    "open questions": "question", "open": "question", "still open": "question",
    "unresolved": "question", "question": "question", "questions": "question",
    "open point": "question", "open points": "question", "open item": "question",
    "open items": "question", "open issue": "question", "open issues": "question",
    "q": "question", "tbd": "question", "offene frage": "question", "frage": "question",
}  # fmt: skip


def _task_follows(rest: str) -> bool:
    """Whether a tag written without a colon is followed by a task: a verb of follow-up work
    ("Check your boxes!") or someone to/will do it ("scottmcm to take a look")."""
    words = rest.split(None, 2)
    if not words:
        return False
    first = words[0].strip(",.:;!").lower()
    return (
        (words[0][:1].isupper() or words[0].islower())
        and not words[0].isupper()
        and (first in FOLLOWUP_VERBS or (len(words) > 1 and words[1].lower() in ("to", "will")))
    )


def tag_of(text: str) -> tuple[str | None, str | None, str]:
    """(kind, who, rest) for a tagged line ("ACTION: ...", "AI jonas: ...", "#agreed ...").

    kind is "action", "decision", "question", "none" (nothing to record: "IDEA:", "[DONE]
    ACTION:") or "remark" ("Note:", "FYI", "#info": the rest is read by its shape)."""
    m = TAG_RE.match(text)
    if not m:
        tail = text[-24:]  # only the end is read: long lines stay linear
        suffix = _SUFFIX_TAG_RE.search(tail)
        if suffix is not None:  # "Create a new GitHub issue for … (TODO)"
            rest = text[: len(text) - len(tail) + suffix.start()].rstrip()
            if rest[:1].strip() and _task_follows(rest):  # not "Pricing looks off (TODO)"
                return "action", None, rest
        return None, None, text
    if m.group("resolved"):
        return "decision", None, m.group("rest")
    if m.group("captag"):
        if not _task_follows(m.group("rest")):
            return None, None, text  # "TODO list for next week", "ACTION REQUIRED by …"
        return "action", None, m.group("rest")
    if m.group("aiwho") and not m.group("aicolon") and not _task_follows(m.group("rest")):
        return None, None, text  # "AI (Artificial Intelligence) features are out of scope"
    tag = m.group("tag") or m.group("irc") or m.group("todowho") or m.group("whotag")
    if (m.group("state") or "").lower() in ("done", "dropped", "closed") or m.group("past"):
        return "none", None, m.group("rest")  # an action already dealt with, or reviewed
    if m.group("btag"):
        tag = "ai" if m.group("btag").lower() == "ai" else m.group("btag")
        tag = re.sub(r"[\s_]+", " ", tag)
        if tag.lower() == "ai":
            return "action", None, m.group("rest")
    if m.group("ai"):
        return "action", m.group("aiwho") or m.group("aiwho2"), m.group("rest")
    assert tag is not None
    kind = _TAG_KIND.get(re.sub(r"[\s_]+", " ", tag.lower()), "none")
    who = m.group("who") or m.group("who2") or m.group("who3")
    if tag.lower() == "ai":
        return "action", who, m.group("rest")
    if tag.lower() in ("note", "fyi", "info"):
        return "remark", None, m.group("rest")  # read by its shape, never as a strong item
    if kind == "none" and tag.lower() not in (
        "idea",
        "info",
        "note",
        "fyi",
        "help",
        "link",
        "topic",
        "startmeeting",
        "endmeeting",
        "chair",
        "undo",
    ):
        return None, None, text
    return kind, who, m.group("rest")
