"""Action items: owner, due date and what, from an item or a sentence that commits someone."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from bot.text.extraction.context import Context, Unit
from bot.text.extraction.date_phrases import DATE_ATOM_RE
from bot.text.extraction.dates import find_due
from bot.text.extraction.model import ActionItem
from bot.text.extraction.names import MODAL_WEAK, nick_tokens, plausible_nick
from bot.text.extraction.people import NO_OWNER, Owner, owner_kind, resolve_owner
from bot.text.extraction.sentences import FILLER_RE, ends_with_abbreviation, tidy
from bot.text.extraction.vocabulary import (
    ADVERBS,
    FOLLOWUP_VERBS,
    NOT_NICKS,
    STATUS_WORDS,
    STOP_VERBS,
    STOPWORDS,
)

_NOW_ACTION_RE = re.compile(
    r"\b(?:share\s+my\s+screen|stop\s+sharing|share\s+(?:the|my)\s+screen|right\s+now|"
    r"real\s+quick|in\s+a\s+(?:sec|second|minute|moment)|hand\s+(?:it\s+)?over\s+to|"
    r"pass\s+(?:it\s+)?(?:over|on)\s+to|turn\s+it\s+over|keep\s+it\s+short|be\s+quick|"
    r"start\s+(?:with|by)\b|kick\s+(?:us|things|this)\s+off|mute|unmute|drop\s+off|"
    r"jump\s+off|let\s+you\s+go|see\s+you|talk\s+(?:to\s+you\s+)?soon|take\s+notes|"
    r"recap\s+quickly|go\s+through|walk\s+(?:you|us)\s+through|do\s+it\s+now|now\b)",
    re.I,
)
_NOT_A_TASK_RE = re.compile(r"(?i)\binto\s+account\b|^(?:care|mind|note)\b")
# A note at the end that the task was done while the meeting ran: "(emailed)", "(done)",
# "(opened as python/peps#2937)", "(sent: #123)" — the word alone, or with what it made; not
# "(done when on-call signs off)" or "(sent last time to the wrong address)".
_DONE_NOTE_RE = re.compile(
    r"\((?:already\s+)?(?:done|completed?|emailed|e-mailed|sent|merged|filed|fixed|opened|"
    r"created|submitted|posted)(?:\s+as\s+[^()]*(?:\([^()]*\)[^()]*)*|\s*[:\-–]?\s*#\d+)?\)"
    r"\s*[.!]?\s*$",
    re.I,
)
# A line that reports work done ("Opened devguide issues for …", "Published a landscape
# document …") rather than giving a task; verbs whose past form is rarely an adjective
# ("Updated SOW to be sent …" and "Shared folder access for …" are tasks).
_REPORTED_RE = re.compile(
    r"^(?:opened|filed|published|discussed|merged|posted|submitted|finished|released|"
    r"presented|moved|wrote)\s"
    # not an adjective before what is still to do ("Released build needs a smoke test"), and
    # nothing after a comma, dash or colon: "Moved standup to 10am, Priya will update the
    # invite", "Opened tickets: Sarah to triage" give a task
    r"(?!.*\b(?:needs?|to\s+be|should|must|has|have)\b)(?!.*(?:[,;]|\s[-–—]\s|:\s))",
    re.I,
)
# Verbs of taking part in the call, not of work after it: "I'll hold off on that", "I'll
# second that", "I'll jump in here".
_RUNNING_THE_CALL = frozenset(
    {"pass", "go", "hold", "defer", "second", "try", "jump", "chime", "echo", "leave", "stop",
     "wait", "stay", "keep", "agree", "disagree", "admit", "say", "note", "add", "answer",
     "start", "begin", "finish", "wrap", "hand", "turn", "be", "skip", "play", "repeat",
     "trust", "remember", "assume", "guess", "bet", "spare", "concede"}
)  # fmt: skip
# "Sarah, please find attached …", "please correct me if …", "please walk us through …":
# courtesy and the call's own running, not a task.
_COURTESY_VERBS = frozenset(
    {"find", "correct", "walk", "take", "continue", "reach", "let", "feel", "go", "note", "see",
     "keep", "bear", "excuse", "join", "share", "start", "stop", "come", "hold", "wait", "do"}
)  # fmt: skip
# Help anyone may give: "If anyone wants to pick this up …, help is wanted".
_OFFER_RE = re.compile(r"^if\s+(?:anyone|anybody|someone|somebody|you)\b", re.I)
# "Assign to Roy", "assigned to @mnot": who the task goes to.
ASSIGNED_TO_RE = re.compile(r"(?i)^assign(?:ed)?\s+(?:it\s+|this\s+)?to\s+(?P<o>@?[\w.\-]+)")
_PRONOUN_RE = re.compile(r"\b(?:it|that|this|those|them|these|the\s+same)\b", re.I)


def _first_verb(rest: str) -> tuple[str, str]:
    """(first verb, remainder starting at it) after skipping adverbs."""
    words = rest.split()
    i = 0
    while i < len(words) - 1:
        word = words[i].lower().strip(",")
        if word in ("try", "need", "have", "want") and words[i + 1].lower() == "to":
            i += 2  # "will need to pick …", "will try to update …"
            continue
        if word not in ADVERBS:
            break
        i += 1
    if i < len(words):
        return words[i].lower().strip(".,;:!"), " ".join(words[i:])
    return "", rest


_DETERMINERS = frozenset(
    {
        "the", "a", "an", "this", "that", "these", "those", "our", "their", "his", "her", "its",
        "my", "your", "all", "every", "each", "some", "any", "no", "it",
    }
)  # fmt: skip


_SUBJECTLESS_RE = re.compile(r"^(?:(?P<will>(?i:will))|(?i:to))\s+(?P<rest>\S.*)$")


def _addressed(unit: Unit) -> bool:
    return (unit.label or unit.speaker or "").startswith("@")


def _imperative(body: str) -> bool:
    first = body.split(None, 1)[0] if body else ""
    return (
        first.isalpha()
        and first.islower()
        and first not in STOPWORDS
        and first not in STOP_VERBS
        and (followup_verb(first) or len(body.split()) >= 3)
    )


def task_shaped(text: str, unit: Unit, ctx: Context) -> bool:
    """Whether a line reads as a task: someone to/will do something, or an imperative
    ("Try building …", "File a new issue …") — not a name ("Victor Roland, OBEO") or a
    remark ("RFC does not have an absence policy")."""
    body = FILLER_RE.sub("", text).strip()
    body = re.sub(r"(?i)^please\s+", "", body)
    if ctx.people.subject_re.match(body) or _nick_subject(body, ctx):
        return True
    if _SUBJECTLESS_RE.match(body) or ctx.people.lead_owner_re.match(body):
        return True
    verb, _ = _first_verb(body)
    if followup_verb(verb):
        return True
    # After a name ("Tom: decide on the QA headcount", "Jo: Blog post on the sprint"), a
    # task unless it is only names ("Mercedes: Daniel Dilger (Primary)").
    words = re.findall(r"[^\W\d_]+", body)
    return bool(unit.label) and any(w.islower() and w not in STOPWORDS for w in words)


def _starts_like_a_verb_object(rest: str) -> bool:
    first = rest.split(None, 1)[0].lower().strip(",.") if rest.strip() else ""
    return first in _DETERMINERS or first in ("as", "up", "down", "out", "off", "on", "in")


def _is_commitment(verb: str, rest: str) -> bool:
    if not verb or verb in STOP_VERBS:
        m = re.match(r"(?i)be\s+(\w+)ing\b", rest) if verb == "be" else None
        # "will be setting up …" commits; "will be happening on …" does not
        return m is not None and not {m.group(1).lower(), m.group(1).lower() + "e"} & STOP_VERBS
    if verb in _DETERMINERS:
        return False
    return not verb[:1].isdigit()


def followup_verb(verb: str) -> bool:
    """Whether a word (any form: \"sharing\", \"shared\") is a verb of follow-up work."""
    v = verb.lower()
    if v in FOLLOWUP_VERBS:
        return True
    for suffix in ("ing", "s", "ed", "d"):
        stem = v[: -len(suffix)]
        if (
            v.endswith(suffix)
            and (
                stem in FOLLOWUP_VERBS
                or stem + "e" in FOLLOWUP_VERBS  # "sharing", "shared"
                or (len(stem) > 2 and stem[-1] == stem[-2] and stem[:-1] in FOLLOWUP_VERBS)
            )
        ):
            return True
    return False


def _verb_of(verb: str, rest: str) -> str:
    """The verb that says what is done: "setting" in "be setting up use cases"."""
    if verb == "be":
        words = rest.split()
        if len(words) > 1 and words[1].lower().endswith("ing"):
            return words[1].lower()
    return verb


def _not_a_name(owner_text: str) -> bool:
    """A capitalised subject that is no one: "Updates to provide", "Moving to have …"."""
    words = [
        w.lower().strip(",.")
        for w in re.split(r"[\s/,&+]+", owner_text)
        if w and w.lower() not in ("and", "&")
    ]
    return any(w in NOT_NICKS or (len(w) > 5 and w.endswith("ing")) for w in words)


def prose_action(
    clause: str,
    unit: Unit,
    ctx: Context,
    context: str,
    *,
    named_only: bool,
    context_is_clause: bool = False,
) -> ActionItem | None:
    """An action item in free text: needs an owner subject and a commitment."""
    body = FILLER_RE.sub("", clause).strip()
    if _DONE_NOTE_RE.search(body) or _REPORTED_RE.match(body):
        return None
    addressed = False
    m_let = re.match(r"(?i)^let\s+me\s+(?P<rest>\S.*)$", body)
    if m_let:
        owner_text, modal, rest, strong = "I", "let me", m_let.group("rest"), True
    elif (m := ctx.people.subject_re.match(body)) is not None:
        owner_text = m.group("owner")
        modal = (m.group("c") or m.group("m") or "").lower()
        rest = m.group("rest")
        strong = not re.fullmatch(MODAL_WEAK, modal)
    elif (
        (lm := ctx.people.lead_owner_re.match(body)) is not None
        and lm.group("sep") == ","
        and (
            pm := re.match(
                r"(?i)(?:please|pls|can\s+you|could\s+you)\s+(?P<rest>\S.*)$", lm.group("rest")
            )
        )
        is not None
        and followup_verb(pm.group("rest").split(None, 1)[0])  # not "please ignore", "don't"
        and pm.group("rest").split(None, 1)[0].lower() not in _COURTESY_VERBS
    ):
        # "Oliver, please follow up with Solomon": a task given to the person addressed
        owner_text, modal, rest, strong = lm.group("owner"), "will", pm.group("rest"), True
        addressed = True
    elif _addressed(unit) and _imperative(body):
        # "@Sam: pursue a report for Hivemall": a task given to the handle addressed
        owner_text, modal, rest, strong = unit.label or unit.speaker or "", "will", body, True
        addressed = True
    elif (m := _SUBJECTLESS_RE.match(body)) is not None and (
        m.group("will") or unit.label or unit.speaker
    ):
        # A note without a subject ("will regroup with …", "Aaron: to PR the changes"): the
        # speaker's, or no one's.
        owner_text = "I" if (unit.label or unit.speaker or ctx.author) else ""
        modal, rest, strong = "will", m.group("rest"), True
        if (m.group("will") and not rest[:1].islower()) or len(rest.split()) < 2:
            return None  # "Will Chan: …" is a name; "Will do." is a reply
    else:
        return None
    if re.match(r"(?i)(?:not|never|no\s+longer)\b", rest):
        return None
    verb, rest_v = _first_verb(rest)
    progressive = modal.startswith(("is ", "are ", "am "))
    if not progressive and not _is_commitment(verb, rest_v):
        return None
    if modal == "to" and (
        not verb[:1].isalpha() or (verb.endswith("ing") and verb not in FOLLOWUP_VERBS)
    ):
        return None
    kind = owner_kind(owner_text, ctx) if owner_text else "nobody"
    if named_only and kind not in ("person", "mention"):
        return None
    if kind in ("generic", "multi") and _not_a_name(owner_text):
        return None
    due = find_due(clause, ctx)
    resolved_due = due is not None and due[0] is not None
    # A speaker's own "I'll <verb> …" is a commitment whatever the verb ("I'll discuss this
    # with the team"); elsewhere an unnamed owner needs a verb of follow-up work.
    own_word = (
        kind == "self"
        and strong
        and bool(unit.speaker or unit.label)
        and re.fullmatch(r"will|shall|['’]ll|let me|(?:am|['’]m)\s+going\s+to", modal) is not None
        and verb not in _RUNNING_THE_CALL
        and len(rest_v.split()) >= 3  # "I'll pass", "I'll go first": running the call
        and resolve_owner("I", unit, ctx).user_id is not None
    )
    if kind in ("self", "group", "generic", "nobody") and not (
        addressed or own_word or followup_verb(_verb_of(verb, rest_v)) or resolved_due
    ):
        return None
    if kind in ("self", "group") and _NOW_ACTION_RE.search(rest_v) and not resolved_due:
        return None
    if _NOT_A_TASK_RE.search(rest_v) or clause.rstrip().endswith(":"):
        return None  # "take it into account"; "we will propose:" introduces a list
    if not strong and not resolved_due:
        return None
    owner = resolve_owner(owner_text, unit, ctx) if owner_text else NO_OWNER
    if progressive:  # "Rahul is checking with his team" → "Checking with his team"
        what = tidy(re.sub(r"(?i)^(?:is|are|am)\s+", "", modal) + " " + rest)
    else:
        what = tidy(rest_v)
    what = _without_due(what, due[1] if due else None)
    # "…the spec will be done; Julian to edit": what is edited was said just before
    short = len(what.split()) <= 1 and context_is_clause
    if (short or (_PRONOUN_RE.search(what) and len(what.split()) <= 7)) and context:
        what = f"{what.rstrip('.')} (re: {tidy(_shorten(context)).rstrip('.')})"
    line = unit.raw if len(unit.raw) <= 300 else clause
    return _make_item(what, owner, due, line)


def _shorten(text: str, limit: int = 140) -> str:
    text = FILLER_RE.sub("", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def action_from(
    text: str, unit: Unit, ctx: Context, *, who: str | None, in_section: bool
) -> ActionItem | None:
    """An item known to be an action: find its owner, due date and what."""
    body = text.strip()
    if _DONE_NOTE_RE.search(body) or _OFFER_RE.match(body) or _REPORTED_RE.match(body):
        return None  # done while the meeting ran; help anyone may give; work reported
    owner: Owner | None = None
    # 1. an owner given with the tag: "AI jonas:", "TODO(sofia):"
    if who:
        owner = resolve_owner(who, unit, ctx)
    # 2. "[Name] Title: ..." (Gemini)
    m = re.match(r"^\[(?P<o>[^\]]{2,40})\]\s*(?P<rest>\S.*)$", body)
    if owner is None and m and owner_kind(m.group("o"), ctx) in ("person", "mention"):
        owner = resolve_owner(m.group("o"), unit, ctx)
        body = m.group("rest")
    # 3. "<owner> will/to ..." at the start (a nickname counts: "mriedem to …")
    stripped = FILLER_RE.sub("", body)
    sm = ctx.people.subject_re.match(stripped) or _nick_subject(stripped, ctx)
    if sm is not None:
        kind = owner_kind(sm.group("owner"), ctx)
        if kind not in ("generic", "multi") or not _not_a_name(sm.group("owner")):
            if owner is None:
                owner = resolve_owner(sm.group("owner"), unit, ctx)
            modal = (sm.group("c") or sm.group("m") or "").lower()
            if modal.startswith(("is ", "are ", "am ")):
                body = re.sub(r"(?i)^(?:is|are|am)\s+", "", modal) + " " + sm.group("rest")
            else:
                body = sm.group("rest")
    else:
        m_let = re.match(r"(?i)^(?:let\s+me|i\s+can)\s+(?P<rest>\S.*)$", stripped)
        if m_let:
            owner = owner or resolve_owner("I", unit, ctx)
            body = m_let.group("rest")
    # 4. a leading mention / @name / known name without a verb: "<@U1> rollback script",
    #    or a nickname with a colon: "jdoe: update the wiki"
    if owner is None or sm is None:
        lm = ctx.people.lead_owner_re.match(body)
        if lm is not None and not lm.group("sep") and _starts_like_a_verb_object(lm.group("rest")):
            lm = None  # "Mark this 'at risk'": a verb, not Mark
        lm = lm or _nick_lead(body, ctx)
        if lm is not None:
            if owner is None:
                owner = resolve_owner(lm.group("owner"), unit, ctx)
            body = lm.group("rest")
    # 5. a trailing owner: "... - Priya Sharma", "... (Tom Becker)", "... (dims)", "... @x"
    trailing = ctx.people.trailing_owner(body, nicks=True) or ctx.people.trailing_handles(body)
    if trailing is not None:
        t_rest, t_owner = trailing
        if owner_kind(t_owner, ctx) != "generic" or _plausible_generic(t_owner):
            if owner is None:
                owner = resolve_owner(t_owner, unit, ctx)
            body = t_rest
    # 6. "owner: X" anywhere
    if owner is None:
        om = ctx.people.label_owner_re.search(body)
        if om is not None:
            owner = resolve_owner(om.group("o"), unit, ctx)
            body = body[: om.start()].rstrip(" ,;-–—(") or body
    # 6b. "Assign to Roy"
    if owner is None:
        am = ASSIGNED_TO_RE.match(body)
        if am is not None and owner_kind(am.group("o"), ctx) in ("person", "mention"):
            owner = resolve_owner(am.group("o"), unit, ctx)
    # 7. a "Name:" label of the item (or an Owner cell), then a group heading above it
    if owner is None and unit.label:
        owner = resolve_owner(unit.label, unit, ctx)
    if owner is None and unit.group_owner:
        owner = resolve_owner(unit.group_owner, unit, ctx)
    if owner is None and unit.speaker and re.match(r"(?i)^(?:i\b|i'|let me)", text.strip()):
        owner = resolve_owner("I", unit, ctx)
    first = body.split(None, 1)[0].lower() if body.strip() else ""
    if (
        owner is None
        and unit.speaker
        and first in FOLLOWUP_VERBS
        and not unit.raw.lstrip("[0-9:] ").startswith("<")
    ):
        # A task a speaker words as an order ("mnot: next step: refactor") is probably the
        # speaker's, when the speaker is one of the call's people (not in an IRC log, where
        # the chair records everyone's items); marked unsure.
        spoken = resolve_owner("I", unit, ctx)
        owner = replace(spoken, sure=False) if spoken.user_id is not None else None
    if trailing is None and _REPORTED_RE.match(body.strip()):
        return None  # "Followup: @CAM opened devguide issues …": done already
    due = find_due(unit.due_hint, ctx) if unit.due_hint else find_due(text, ctx)
    if unit.due_hint and due is None:
        due = (None, unit.due_hint, False)
    what = _without_due(tidy(body), due[1] if due else None)
    if not what:
        return None
    line = unit.raw if len(unit.raw) <= 300 else text
    return _make_item(what, owner or NO_OWNER, due, line)


_DUE_CUT = " ,;:-–—(→"


def _without_due(what: str, due_text: str | None) -> str:
    """The item's words without a trailing due phrase ("… by Friday", "… (EOD)") and
    without a closing full stop: the due date is shown on its own."""
    text = what.rstrip()
    phrase = " ".join((due_text or "").split()).lower().rstrip(" .!;,")
    if phrase:
        core = text.rstrip(" .!;,")
        paren = core.endswith(")")
        inner = core[:-1].rstrip() if paren else core
        if inner.lower().endswith(phrase):
            cut = inner[: len(inner) - len(phrase)].rstrip()
            if (not paren or cut.endswith("(")) and any(c.isalpha() for c in cut):
                text = cut.rstrip(_DUE_CUT)
    if text.endswith(".") and not text.endswith("..") and not ends_with_abbreviation(text):
        text = text[:-1].rstrip()
    return text


def _nick_subject(text: str, ctx: Context) -> re.Match[str] | None:
    """ "mriedem to send …", "sdague, jaypipes will review …": nicknames as the subject."""
    m = ctx.people.nick_subject_re.match(text)
    if m is None or not all(plausible_nick(n) for n in nick_tokens(m.group("owner"))):
        return None
    verb, rest = _first_verb(m.group("rest"))
    if not _is_commitment(verb, rest) or verb in ("be", "get"):
        return None  # "docs to be updated"
    return m


def _nick_lead(text: str, ctx: Context) -> re.Match[str] | None:
    m = ctx.people.nick_lead_re.match(text)
    if m is None or not all(plausible_nick(n) for n in nick_tokens(m.group("owner"))):
        return None
    return m


def _plausible_generic(text: str) -> bool:
    words = text.split()
    return (
        1 <= len(words) <= 3
        and text.lower() not in STATUS_WORDS
        and words[0].lower() not in NOT_NICKS
        and not any(w.lower() in STOPWORDS for w in words)
        and not re.search(r"\d", text)
        and not DATE_ATOM_RE.search(text)
    )


def _make_item(
    what: str,
    owner: Owner,
    due: tuple[datetime | None, str, bool] | None,
    line: str,
) -> ActionItem:
    due_at, due_text, due_sure = (None, None, False) if due is None else due
    return ActionItem(
        what=what,
        owner_user_id=owner.user_id,
        owner_name=owner.name,
        owner_sure=owner.sure and owner.user_id is not None,
        due_at=due_at,
        due_text=due_text,
        due_sure=due_sure and due_at is not None,
        line=line.strip(),
    )
