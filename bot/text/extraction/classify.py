"""Stage 3, classify: each unit (or each sentence of a paragraph) is a decision, an action
item, an open question or nothing."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from bot.text.extraction.actions import action_from, followup_verb, prose_action, task_shaped
from bot.text.extraction.context import Context, Found, Unit
from bot.text.extraction.dates import find_due
from bot.text.extraction.model import ActionItem
from bot.text.extraction.people import named_parts, owner_kind
from bot.text.extraction.sentences import FILLER_RE, is_question_text, split_sentences, tidy
from bot.text.extraction.tags import tag_of
from bot.text.extraction.vocabulary import FOLLOWUP_VERBS


def classify(units: Iterable[Unit], ctx: Context) -> list[Found]:
    """What each unit holds, in document order. In a transcript, a question that the next
    speaker answers with "not sure" / "let's decide later" is an open question."""
    found: list[Found] = []
    prev_turn_question: str | None = None
    prev_turn_speaker: str | None = None
    prev_last_sentence = ""
    for unit in units:
        if unit.turn and unit.speaker != prev_turn_speaker:
            if prev_turn_question and _UNRESOLVED_REPLY_RE.match(unit.text):
                found.append(Found("question", prev_turn_question, unit.order - 1, False))
            prev_turn_question = None
            prev_turn_speaker = unit.speaker
        sentences = split_sentences(unit.text) if unit.prose else [unit.text]
        _classify_unit(unit, sentences, ctx, found, prev_last_sentence if unit.turn else "")
        prev_last_sentence = sentences[-1] if sentences else ""
        if unit.turn:
            last = prev_last_sentence
            prev_turn_question = last if last.rstrip().endswith("?") else None
    return found


_CLAUSE_SPLIT_RE = re.compile(r"\s?;\s*|\s+[–—-]\s+|,\s+(?:and\s+|but\s+|so\s+|then\s+)?|\s+and\s+")

_DECISION_RE = re.compile(
    r"(?<!what\s)(?<!what\s\s)\b(?:we|they|the\s+team|the\s+group|both\s+sides|both\s+teams|everyone|all\s+parties|"
    r"all\s+of\s+us|the\s+\w+\s+team|the\s+vendor|the\s+(?:board|committee|council|"
    r"steering\s+committee|wg|working\s+group|sig|tac|tsc|members|chairs?|meeting))\s+"
    r"(?:have\s+|has\s+|had\s+|all\s+|then\s+|also\s+|"
    r"finally\s+|jointly\s+|unanimously\s+)?(?:agreed|decided|settled|concluded|aligned)\b"
    r"(?!\s+with\b)"
    r"|^(?:we|the\s+(?:board|committee|council|steering\s+committee|tac|tsc))\s+"
    r"(?:has\s+|have\s+|unanimously\s+)?(?:approved|appointed|elected|chose|selected)\b"
    r"|\b(?:it\s+was|it\s+is|it's)\s+(?:\w+ly\s+)?(?:agreed|decided)\s+(?:that|to)\b"
    r"|\b[A-Z][\w\-]+\s+(?:and|&)\s+[A-Z][\w\-]+\s+(?:have\s+|both\s+)?(?:agreed|decided)\b"
    r"|\b(?:from\s+now\s+on|going\s+forward|moving\s+forward|henceforth|ab\s+sofort)\b"
    r"|^(?:it\s+was\s+|it\s+is\s+|it's\s+)?(?:agreed|decided)\s*(?:that|to|on|:)"
    r"|^decided\b|^(?:general\s+|rough\s+)?agreement\s+(?:that|to|on|in\s+the\s+room)\b"
    r"|^the\s+\w+(?:\s+\w+)?\s+(?:has\s+|have\s+)?(?:agreed|decided|resolved)\b(?!\s+with\b)"
    r"|\bdecision\s+(?:is|was|made)\b|\bdecision\s+to\b|\b(?:the\s+)?decision:"
    r"|\blet'?s\s+(?:go\s+with|go\s+for|keep|stick\s+with|use|ship|move|postpone|drop|"
    r"skip|proceed|cut|go\s+ahead|not\s+\w+)\b"
    r"|\b(?:we'?ll|we\s+will|we\s+are|we're|we\s+are\s+going\s+to|we're\s+going\s+to|"
    r"we'?re\s+gonna|we\s+go|they'?ll|they\s+will)\s+go\s+(?:with|for|ahead)\b"
    r"|^(?:going|go|we\s+go|we're\s+going)\s+with\b"
    r"|\bsigned\s+off\s+on\b|\breached\s+consensus\b|\bconsensus\s+(?:is|was)\b"
    r"|^(?:general|rough|broad)\s+consensus\s+(?:on|to|that|for)\b"
    r"|\bsettled\s+on\b|^we\s+(?:keep(?!\s+\w+ing\b)|stick\s+with|go\s+with|drop|skip|postpone)\b"
    r"|^[A-Z][\w\-]+(?:\s+[A-Z][\w\-]+)?\s+will\s+(?:use|adopt|switch\s+to|stick\s+with|"
    r"stay\s+on|standardi[sz]e\s+on)\b",
    re.I,
)
_DECISION_KEYS = (
    "approved",
    "appointed",
    "elected",
    "chose",
    "selected",
    "adopted",
    "agreed",
    "agreement",
    "resolved",
    "decided",
    "settled",
    "concluded",
    "aligned",
    "decision",
    "let's",
    "lets",
    "go with",
    "going with",
    "go for",
    "go ahead",
    "signed off",
    "consensus",
    "now on",
    "forward",
    "henceforth",
    "sofort",
    "will use",
    "will adopt",
    "switch to",
    "stick with",
    "stay on",
    "standardi",
    "we keep",
    "we drop",
    "we skip",
    "we postpone",
)


def _any_of(keys: tuple[str, ...], low: str) -> bool:
    """Whether any key is in the lower-cased text (a cheap test before a costly regex)."""
    return any(k in low for k in keys)


def _decision_like(text: str) -> bool:
    return _any_of(_DECISION_KEYS, text.lower()) and _DECISION_RE.search(text) is not None


# Decisions written as plain statements of what will happen: a plan of the group ("We'll
# ship v2 in March", "We will not support IE11"), of a thing ("v2 ships in March", "The
# demo moves to Thursday", "The budget was approved"), or a recorded outcome ("There was
# consensus to …", "Motion carried").
_PLAN_VERBS = (
    r"(?:ship|release|launch|go\s+live|use|adopt|switch\s+to|move\s+to|migrate\s+to|keep|"
    r"stay\s+on|stick\s+with|drop|skip|postpone|delay|defer|freeze|deprecate|support|require|"
    r"standardi[sz]e\s+on|target|aim\s+for|cap|limit|pause|stop|retire|sunset|"
    r"continue\s+(?:to|with)|proceed\s+with|meet|not\s+\w+|no\s+longer\s+\w+)\b"
)
_NOT_A_THING = r"(?!(?:i|he|she|it|you|this|that|there|we|they|someone|everyone)\b)"
_PLAN_RE = re.compile(
    r"^(?:we|the\s+team|the\s+project|both\s+(?:teams|sides)|all\s+teams|"
    r"the\s+\w+\s+(?:team|group|wg|sig))(?:'ll|\s+will|\s+shall|\s+are\s+going\s+to|"
    r"'re\s+going\s+to|\s+are\s+gonna|'re\s+gonna)\s+(?:also\s+|now\s+|then\s+|officially\s+)?"
    + _PLAN_VERBS
    + r"|^(?:the\s+)?(?:plan|agreement|consensus|conclusion|outcome)\s+(?:is|was)\s+(?:to|that)\b"
    r"|\bthere(?:\s+(?:is|was)|['’]s)\s+(?:general\s+|rough\s+|broad\s+|strong\s+)?"
    r"(?:consensus|agreement)\s+(?:to|that|on|for|around)\b"
    r"|\b(?:motion|proposal|resolution|minutes|budget|request|rfc)\s+"
    r"(?:of\s+(?:the\s+)?(?:\w+\s+){0,3}?)?"  # "the minutes of the previous meeting were …"
    r"(?:was\s+|were\s+|is\s+|are\s+|has\s+been\s+|have\s+been\s+)?"
    r"(?:approved|adopted|accepted|carried|passed|ratified|rejected)\b"
    r"|\b(?:approved|accepted|adopted|agreed)\s+unanimously\b"
    r"|\b(?:approved|adopted|accepted|passed|carried)\s+by\s+(?:a\s+)?unanimous\b"
    r"|\bunanimously\s+(?:approved|accepted|adopted|agreed)\b"
    r"|^" + _NOT_A_THING + r"(?:the\s+)?[\w.\-]+(?:\s+[\w.\-]+){0,3}\s+(?:will\s+)?"
    r"(?:ships|launches|goes\s+live|moves\s+to|is\s+moving\s+to|slips\s+to)\b"
    r"|^" + _NOT_A_THING + r"(?:the\s+)?[\w.\-]+(?:\s+[\w.\-]+){0,3}\s+"
    r"(?:is|was|has\s+been|will\s+be)\s+(?:postponed|delayed|cancelled|canceled|deprecated|"
    r"frozen|rescheduled|moved\s+to|pushed\s+to|approved|dropped)\b",
    re.I,
)
_DEADLINE_WORDS = ("by ", "before ", "until ", "till ", "no later", "due ", "latest ")


_PLAN_KEYS = (
    "will", "'ll", "shall", "going", "gonna", "plan", "agreement", "consensus", "conclusion",
    "outcome", "approved", "adopted", "accepted", "carried", "passed", "ratified", "rejected",
    "unanimous", "ships", "launches", "live", "moves", "moving", "slips", "postponed",
    "delayed", "cancel", "deprecated", "frozen", "rescheduled", "pushed", "dropped",
)  # fmt: skip


def _plan_statement(body: str, ctx: Context) -> bool:
    """A decision written as a plain statement, not someone's commitment to a deadline."""
    if not _any_of(_PLAN_KEYS, body.lower()) or _PLAN_RE.search(body) is None:
        return False
    subject = ctx.people.subject_re.match(body)
    if subject is not None and owner_kind(subject.group("owner"), ctx) in ("person", "mention"):
        return False
    due = find_due(body, ctx)
    return due is None or not due[1].lower().startswith(_DEADLINE_WORDS)


_DECIDED_THAT_RE = re.compile(r"\b(?:agreed|decided|confirmed)\s+that\s+(?P<clause>.+)$", re.I)

_OPENQ_INLINE_RE = re.compile(
    r"\b(?:remains?|is|are|still|was|it's)\s+(?:still\s+)?(?:unclear|undecided|open|unknown|"
    r"tbd|not\s+(?:yet\s+)?(?:clear|decided|known|agreed))(?:\s+yet)?\s*"
    r"(?:whether|if|how|who|what|when|which|why)\b"
    r"|\b(?:unclear|undecided|tbd|unknown)\s*:"
    r"|\bnobody\s+owns\b|\bno\s+(?:one|owner)\s+(?:owns|yet|assigned)\b|\bunassigned\b"
    r"|\b(?:still\s+)?to\s+be\s+(?:decided|determined|clarified|confirmed)\b"
    r"|\bopen\s+question\b|[,;–—-]\s*tbd\s*[.!]?$|\bundecided\b",
    re.I,
)
_OPENQ_KEYS = (
    "unclear",
    "undecided",
    "open",
    "unknown",
    "tbd",
    "not ",
    "nobody",
    "no one",
    "no owner",
    "unassigned",
    "to be ",
)


def _open_question_like(text: str) -> bool:
    return _any_of(_OPENQ_KEYS, text.lower()) and _OPENQ_INLINE_RE.search(text) is not None


_UNRESOLVED_REPLY_RE = re.compile(
    r"^(?:(?:hmm+|um+|uh+|well|so|honestly|ok(?:ay)?|good question|tough one)[,.!]?\s+)*"
    r"(?:i'?m\s+not\s+(?:sure|certain)|not\s+sure|not\s+decided|no\s+idea|"
    r"i\s+don'?t\s+know|don'?t\s+know|good\s+question|let'?s\s+(?:decide|discuss|talk\s+about|"
    r"park|revisit)|let\s+me\s+(?:check|get\s+back|think)|tbd|unclear|we'?ll\s+see|"
    r"not\s+yet|undecided|(?:we\s+)?haven'?t\s+decided|nobody\s+knows|open\s+question)",
    re.I,
)


def _classify_unit(
    unit: Unit, sentences: list[str], ctx: Context, found: list[Found], context: str
) -> None:
    if unit.section in ("actions", "decisions", "questions"):
        _classify_item(unit, ctx, found)
        return
    # Free text: each sentence on its own.
    if unit.box == "done" or (unit.box == "open" and unit.section == "past"):
        return  # done, or an earlier meeting's item under review
    if unit.box == "open":
        _classify_item(unit, ctx, found, forced="action")
        return
    for sentence in sentences:
        _classify_sentence(sentence, unit, ctx, found, context)
        if len(FILLER_RE.sub("", sentence + " ").split()) > 2:
            context = sentence


def _classify_item(unit: Unit, ctx: Context, found: list[Found], forced: str | None = None) -> None:
    """An item of a headed section (or a checkbox): the section decides what it is."""
    text = unit.text
    kind, who, rest = tag_of(text)
    if kind in ("none", "remark"):
        return
    if kind is None:
        kind = (
            forced
            or {"actions": "action", "decisions": "decision", "questions": "question"}[unit.section]
        )
    else:
        text = rest
    if unit.box == "done" and kind == "action":
        return
    if unit.nested and kind in ("decision", "question"):
        return  # a note under a decision or question
    if kind == "action" and (unit.nested or forced) and not task_shaped(text, unit, ctx):
        return  # a note under an item, an attendance checkbox
    if not text.strip() or re.fullmatch(r"(?i)\W*(?:none|n/?a|nothing|-+|tbd)\W*", text):
        return
    if text.rstrip().endswith(":") and len(text.split()) <= 3:
        return  # "Release:" over its own items
    if kind == "action" and is_question_text(text) and not (who or unit.label):
        kind = "question"
    if kind == "action" and _records_a_decision(text, ctx):
        kind = "decision"  # "ACTION: Consensus is that we will not share …"
    if kind == "decision":
        found.append(Found("decision", tidy(text), unit.order, True))
        _decided_task(text, unit, ctx, found)
    elif kind == "question":
        found.append(Found("question", tidy(text), unit.order, True))
    else:
        for i, part in enumerate(_tasks(text)):
            item = action_from(part, unit, ctx, who=who if i == 0 else None, in_section=True)
            if item is not None:
                found.append(Found("action", item.what, unit.order, True, item))


_STANDING_RE = re.compile(
    r"(?i)\b(?:from\s+now\s+on|going\s+forward|moving\s+forward|henceforth|always|"
    r"every\s+\w+|each\s+\w+|weekly|daily|monthly|over\s+\d\w*|above\s+\d\w*|any\s+\w+)\b"
)


# "Sarah will use Postgres for the new service" in a list of decisions is the choice itself.
_CHOICE_VERBS = frozenset(
    {"use", "adopt", "switch", "stick", "stay", "remain", "keep", "continue", "support",
     "require", "go", "own", "lead", "be", "join", "attend", "represent", "chair"}
)  # fmt: skip


def _decided_task(text: str, unit: Unit, ctx: Context, found: list[Found]) -> None:
    """A decision that gives a named person a task ("Decision: Mara will ask RustNL …") is
    also that person's action item."""
    first = split_sentences(text)[:1]
    if not first or _STANDING_RE.search(first[0]):
        return  # "Anil will join the standup from now on": a rule, not a task
    clause = _clauses(first[0], ctx, "")[0][0]
    item = prose_action(clause, unit, ctx, "", named_only=True)
    if item is not None and item.what.split(None, 1)[0].lower() not in _CHOICE_VERBS:
        found.append(Found("action", item.what, unit.order, True, item))


# A sentence that gives another task to someone else: "The chair to write to … . Secretariat
# to draft a letter." (not "He will monitor …", which carries on the task before it).
_NEXT_TASK_RE = re.compile(
    r"^(?!(?:he|she|they|it|this|that|these|those|if|which|who|we|i|you)\b)"
    r"(?:the\s+)?(?-i:[A-Z])[\w\-]*(?:\s+[\w\-/.]+){0,7}?"
    r"(?<!\bwhy)(?<!\bhow)(?<!\bwhat)\s+(?:to|will|shall|must)\s+(?:be\s+)?[a-z]{2,}\b",
    re.I,
)


def _tasks(text: str) -> list[str]:
    """An action item's text split where a sentence gives a new task."""
    sentences = split_sentences(text)
    parts = sentences[:1]
    for s in sentences[1:]:
        if _NEXT_TASK_RE.match(s):
            parts.append(s)
        else:
            parts[-1] += " " + s
    return parts or [text]


def _classify_sentence(
    sentence: str, unit: Unit, ctx: Context, found: list[Found], context: str
) -> None:
    kind, who, rest = tag_of(sentence)
    if kind == "none":
        return
    if kind == "remark":
        kind, who, sentence = None, None, rest
    if kind == "decision":
        found.append(Found("decision", tidy(rest), unit.order, True))
        _decided_task(rest, unit, ctx, found)
        return
    if kind == "question":
        if rest.strip():
            found.append(Found("question", tidy(rest), unit.order, True))
        return
    if kind == "action" and _records_a_decision(rest, ctx):
        found.append(Found("decision", tidy(rest), unit.order, True))
        return
    if kind == "action":
        item = action_from(rest, unit, ctx, who=who, in_section=True)
        if item is not None and unit.section != "past":
            found.append(Found("action", item.what, unit.order, True, item))
        return
    if _open_question_like(sentence):
        found.append(Found("question", tidy(sentence), unit.order, False))
        return
    if is_question_text(sentence):
        return
    body = FILLER_RE.sub("", sentence)
    if _people_took_it_on(body, ctx):
        # "Nick and Ross agreed to prepare a resolution": their task, not the group's decision
        item = prose_action(body, unit, ctx, context, named_only=False)
        if item is not None:
            found.append(Found("action", item.what, unit.order, False, item))
            return
    if _decision_like(body):
        m = _DECIDED_THAT_RE.search(body)
        if m:
            item = prose_action(m.group("clause"), unit, ctx, context, named_only=True)
            if item is not None:
                found.append(Found("action", item.what, unit.order, False, item))
                return
        found.append(Found("decision", tidy(sentence), unit.order, False))
        _named_tasks_beside(sentence, unit, ctx, found, context)
        return
    if _plan_statement(body, ctx):
        found.append(Found("decision", tidy(sentence), unit.order, False))
        _named_tasks_beside(sentence, unit, ctx, found, context)
        return
    if unit.section == "past":
        return  # status of earlier meetings' items
    om = _OWNS_IT_RE.match(body)
    if om is not None and context:  # "… new channels. Mara owns the action item."
        item = action_from(context, unit, ctx, who=om.group("owner"), in_section=True)
        if item is not None:
            found.append(Found("action", item.what, unit.order, False, item))
        return
    if unit.bullet and _owned_imperative(sentence, ctx):
        # "- Send the invoice (Owen)", "- Book the venue - Sara": a task and who does it
        item = action_from(sentence, unit, ctx, who=None, in_section=True)
        if item is not None and item.owner_user_id is not None:
            found.append(Found("action", item.what, unit.order, False, item))
            return
    lm = _TOPIC_LABEL_RE.match(sentence)
    if lm and not ctx.people.subject_re.match(FILLER_RE.sub("", sentence)):
        sentence = lm.group("rest")
    low = " " + sentence.lower()
    if not (_any_of(_COMMITMENT_CUES, low) or (unit.label or unit.speaker or "")[:1] == "@"):
        return  # nobody commits to anything here (a cheap test before the clause regexes)
    passive = _PASSIVE_TASK_RE.match(FILLER_RE.sub("", sentence)) if " be " in low else None
    if passive is not None and (
        followup_verb(passive.group("verb")) or passive.group("verb").lower() in _IRREGULAR_DONE
    ):
        # "An updated version of the letter will be shared …": a task with no owner named
        item = action_from(sentence, unit, ctx, who=None, in_section=True)
        if item is not None:
            found.append(Found("action", item.what, unit.order, False, item))
        return
    for clause, clause_context, same in _clauses(sentence, ctx, context):
        item = prose_action(
            clause, unit, ctx, clause_context, named_only=False, context_is_clause=same
        )
        if item is not None and not _dates_the_task_before(item, unit, found):
            found.append(Found("action", item.what, unit.order, False, item))


# "Will aim to do this within the next week", "I'll get it done by Friday": the date of the
# task just named, not a task of its own.
_DO_IT_RE = re.compile(
    r"(?:(?:aim|try|plan|hope|expect)\s+to\s+)?(?:do|finish|complete|get|have)"
    r"(?:\s+(?:this|it|that|them))?(?:\s+done)?[.!]?",
    re.I,
)


def _dates_the_task_before(item: ActionItem, unit: Unit, found: list[Found]) -> bool:
    if item.due_at is None or not _DO_IT_RE.fullmatch(item.what.split(" (re: ")[0].strip()):
        return False
    before = found[-1] if found else None
    if (
        before is None
        or before.order != unit.order
        or before.action is None
        or before.action.due_at is not None
        or before.action.owner_user_id != item.owner_user_id
    ):
        return False
    before.action = replace(
        before.action, due_at=item.due_at, due_text=item.due_text, due_sure=item.due_sure
    )
    return True


# Words without which no sentence commits anyone (modals, "let me", "owns", progressive
# forms of work); a line addressed to a @handle is always read in full.
_COMMITMENT_CUES = (
    "will", "'ll", "’ll", "shall", " to ", "going", "gonna", "must", "can", "could", "should",
    "need", "would", "plan", "intend", "let me", "own", "responsible", "care of", "checking",
    "looking", "following", "preparing", "drafting", "reviewing", "investigating", "handling",
    "working", "sorting", "chasing", "organi", "arranging", "setting", "fixing", "updating",
    "writing", "sending", "scheduling", "taking", "putting", "confirming", "please",
)  # fmt: skip
_OWNS_IT_RE = re.compile(
    r"^(?P<owner>\S+(?:\s+\S+)?)\s+(?:owns|has|takes|will\s+own|will\s+take)\s+"
    r"(?:the|this|that)\s+(?:action(?:\s+item)?|ai|task)\b",
    re.I,
)
_IRREGULAR_DONE = frozenset(
    {"sent", "set", "put", "made", "done", "built", "run", "written", "given"}
)
_PASSIVE_TASK_RE = re.compile(
    r"^(?:an?|the)\s+[^,;:]{2,80}?\s+"
    r"(?:will|shall|is\s+to|are\s+to)\s+be\s+(?P<verb>[a-z]+(?:ed|en)|sent|set|put|made|"
    r"done|held|built|run|written|given)\b",
    re.I,
)


_TOOK_ON_RE = re.compile(
    r"(?:has\s+|have\s+)?(?:agreed|agrees|volunteered|volunteers|offered|committed|promised)\b",
    re.I,
)


def _people_took_it_on(body: str, ctx: Context) -> bool:
    """A named person (not "we") agreed, or named people volunteered, to do something.
    ("Jonas and Lena agreed to limit the sprint …" is a decision between them.)"""
    m = ctx.people.subject_re.match(body)
    took = _TOOK_ON_RE.match(m.group("m") or "") if m is not None else None
    if m is None or took is None:
        return False
    names = named_parts(m.group("owner"))
    if len(names) > 1 and "agree" in took.group(0).lower():
        return False
    return owner_kind(names[0], ctx) in ("person", "mention")


# An "Action:" line that records how an item ended: "Action: Closed with no action",
# "Action: Proposal accepted".
_OUTCOME_RE = re.compile(
    r"^(?:(?:the\s+)?(?:proposal|issue|pr|request|item)\s+)?(?:closed|accepted|rejected|"
    r"deferred|withdrawn|approved|adopted)(?:\s+(?:with|as|without|by|for|in)\b.*)?[.!]?$"
    r"|^no\s+action\b",
    re.I,
)  # not "Merged the hotfix", "Closed Jira ticket ABC-12": work reported, not an outcome


def _named_tasks_beside(
    sentence: str, unit: Unit, ctx: Context, found: list[Found], context: str
) -> None:
    """A named person's task in a later clause of a decision ("We approved the scope change,
    and Sarah will update the estimate by Friday")."""
    for clause, clause_context, same in _clauses(sentence, ctx, context)[1:]:
        item = prose_action(
            clause, unit, ctx, clause_context, named_only=True, context_is_clause=same
        )
        if item is not None:
            found.append(Found("action", item.what, unit.order, False, item))


def _owned_imperative(sentence: str, ctx: Context) -> bool:
    """An imperative of follow-up work with a known person after it."""
    first = sentence.split(None, 1)[0] if sentence.strip() else ""
    if not (first[:1].isupper() and first.lower() in FOLLOWUP_VERBS):  # "Send", not "Sent"
        return False
    trailing = ctx.people.trailing_owner(sentence)
    return trailing is not None and owner_kind(trailing[1], ctx) in ("person", "mention", "multi")


def _records_a_decision(text: str, ctx: Context) -> bool:
    body = FILLER_RE.sub("", text)
    outcome = (
        _OUTCOME_RE.match(body) is not None
        and len(body.split()) <= 5
        and not re.search(r"(?i)\b(?:to\s+be|needs?|should|must)\b|[)\]]\s*$", body)
    )  # "Closed with no action", not "Closed tickets need re-testing (Sarah)"
    return outcome or _decision_like(body) or _plan_statement(body, ctx)


_TOPIC_LABEL_RE = re.compile(r"^(?P<label>[^:;.!?]{2,40}?):\s+(?P<rest>\S.*)$")


def _clauses(sentence: str, ctx: Context, context: str) -> list[tuple[str, str, bool]]:
    """Split a sentence where a new "<owner> will/to ..." clause starts, or a subject-less
    "will …" after a clause without a subject ("9 responses; will regroup …"). Each clause
    comes with its context and whether that context is the clause before it."""
    pieces = _CLAUSE_SPLIT_RE.split(sentence)
    if len(pieces) == 1:
        return [(sentence, context, False)]
    out: list[tuple[str, str, bool]] = []
    seps = [m.group(0) for m in _CLAUSE_SPLIT_RE.finditer(sentence)]
    current = pieces[0]
    same = False
    for sep, piece in zip(seps, pieces[1:], strict=False):
        starts = FILLER_RE.sub("", piece)
        new_subject = ctx.people.subject_re.match(starts) or re.match(r"(?i)let\s+me\s", starts)
        subjectless = re.match(r"(?i)will\s", starts) and not ctx.people.subject_re.match(
            FILLER_RE.sub("", current)
        )
        if (
            new_subject
            and re.fullmatch(r"\s+(?:and|&)\s+", sep)
            and owner_kind(FILLER_RE.sub("", current).strip(), ctx) in ("person", "mention")
        ):
            current += sep + piece  # "Claudio and Ben will …": one subject of two people
        elif new_subject or subjectless:
            out.append((current, context, same))
            if len(FILLER_RE.sub("", current + " ").split()) > 2:
                context, same = current, True
            current = piece
        else:
            current += sep + piece
    out.append((current, context, same))
    return out
