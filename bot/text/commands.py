"""The `/outsource` grammar: text in, a typed command out, or a UserError that says what to type.

Parsing never raises anything but UserError and never touches state. Values that need context
(dates, zones) are kept as text here and validated by the service that knows the vendor's zone.

Slack sends the text HTML-escaped with its markup in raw angle brackets; it is decoded once here
(`bot.text.escaping.from_slack`), so every string in a parsed command is plain text. Mentions
are read from the text as Slack sent it: a `<@U…>` token is a person picked from the @ menu, an
`@word` is not.

Quotes: titles, reasons and descriptions go in double quotes, straight ("…") or curly (“…”,
also „…“ and «…»). A quote opens only at the start of a word and closes only where a space or
the end follows it. Inside, the other kind of quote is plain text (“The "beta" launch”), and
so is a pair of the same kind ("The "beta" launch").
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import ClassVar

from bot.errors import UserError
from bot.text.escaping import clean, from_slack, slack_escape

USER_MENTION = re.compile(r"^<@([UW][A-Z0-9_]+)(?:\|[^>]*)?>$")
CHANNEL_MENTION = re.compile(r"^<#([CGD][A-Z0-9_]+)(?:\|[^>]*)?>$")
SPECIAL_MENTION = re.compile(r"^<!([^|>]+)(?:\|[^>]*)?>$")
MAX_TITLE = 200
MAX_REASON = 1000
MAX_DESCRIPTION = 2000
MAX_VENDOR_NAME = 120
MAX_SYSTEM = 200
MIN_SLA_HOURS = 0.5
MAX_SLA_HOURS = 200.0

USAGE = {
    "help": "/outsource help",
    "vendor add": "/outsource vendor add <name> [tz <IANA zone>] [country <ISO code>]",
    "vendor list": "/outsource vendor list",
    "vendor remove": "/outsource vendor remove",
    "vendor restore": "/outsource vendor restore",
    "contact set": "/outsource contact set internal|vendor <@user> [backup]",
    "contacts": "/outsource contacts",
    "deadline add": '/outsource deadline add "<title>" <when> [owner <@user>] [milestone] '
    "[under <n>]",
    "deadline list": "/outsource deadline list",
    "deadline show": "/outsource deadline show <n>",
    "deadline done": "/outsource deadline done <n>",
    "deadline move": '/outsource deadline move <n> <when> reason "<why>"',
    "deadline cancel": '/outsource deadline cancel <n> reason "<why>"',
    "deadline rename": '/outsource deadline rename <n> "<title>"',
    "deadline owner": "/outsource deadline owner <n> <@user>",
    "change": '/outsource change "<what changes>"',
    "change withdraw": "/outsource change withdraw <n>",
    "recap": "/outsource recap",
    "checkin every": "/outsource checkin every <days> <HH:MM> [<IANA zone>]",
    "checkin off": "/outsource checkin off",
    "checkin now": "/outsource checkin now",
    "sla": "/outsource sla <hours>",
    "quiet": "/outsource quiet <HH:MM>-<HH:MM>  (or: quiet off)",
    "pause": "/outsource pause <duration>  (e.g. 3d, 12h)",
    "resume": "/outsource resume",
    "status": "/outsource status",
    "access add": "/outsource access add <system> [<@user>]",
    "access remove": "/outsource access remove <system>",
    "access list": "/outsource access list",
    "offboard": "/outsource offboard",
    "export": "/outsource export [md|csv]",
}

EXAMPLES = {
    "help": "/outsource help",
    "vendor add": "/outsource vendor add Acme Dev tz Europe/Berlin country DE",
    "vendor list": "/outsource vendor list",
    "vendor remove": "/outsource vendor remove",
    "vendor restore": "/outsource vendor restore",
    "contact set": "/outsource contact set vendor @priya backup",
    "contacts": "/outsource contacts",
    "deadline add": '/outsource deadline add "API v2 handover" 2027-03-10 owner @priya',
    "deadline list": "/outsource deadline list",
    "deadline show": "/outsource deadline show 2",
    "deadline done": "/outsource deadline done 2",
    "deadline move": '/outsource deadline move 2 next friday reason "QA found a blocker"',
    "deadline cancel": '/outsource deadline cancel 2 reason "Dropped from the release"',
    "deadline rename": '/outsource deadline rename 2 "API v2 handover (staging)"',
    "deadline owner": "/outsource deadline owner 2 @priya",
    "change": '/outsource change "Add SSO to the admin panel"',
    "change withdraw": "/outsource change withdraw 3",
    "recap": "/outsource recap",
    "checkin every": "/outsource checkin every mon,thu 10:00 Europe/Berlin",
    "checkin off": "/outsource checkin off",
    "checkin now": "/outsource checkin now",
    "sla": "/outsource sla 8",
    "quiet": "/outsource quiet 19:00-08:00",
    "pause": "/outsource pause 3d",
    "resume": "/outsource resume",
    "status": "/outsource status",
    "access add": "/outsource access add GitHub @priya",
    "access remove": "/outsource access remove GitHub",
    "access list": "/outsource access list",
    "offboard": "/outsource offboard",
    "export": "/outsource export md",
}

# The subcommands of each command word (a word alone is a command of its own).
GROUPS: dict[str, tuple[str, ...]] = {
    "vendor": ("add", "list", "remove", "restore"),
    "contact": ("set",),
    "deadline": ("add", "list", "show", "done", "move", "cancel", "rename", "owner"),
    "checkin": ("every", "off", "now"),
    "access": ("add", "remove", "list"),
}

QUOTE_RULE = (
    'Titles and reasons go in double quotes, "…" or “…”. A quote inside is fine if it is '
    'the other kind (“The "beta" launch”) or one of a pair ("The "beta" launch"); '
    "a closing quote needs a space or the end of the line after it."
)


# --------------------------------------------------------------------------- commands


@dataclass(frozen=True)
class Help:
    KEY: ClassVar[str] = "help"
    topic: str | None = None


@dataclass(frozen=True)
class VendorAdd:
    KEY: ClassVar[str] = "vendor add"
    name: str
    tz: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class VendorList:
    KEY: ClassVar[str] = "vendor list"


@dataclass(frozen=True)
class VendorRemove:
    KEY: ClassVar[str] = "vendor remove"


@dataclass(frozen=True)
class VendorRestore:
    KEY: ClassVar[str] = "vendor restore"


@dataclass(frozen=True)
class ContactSet:
    KEY: ClassVar[str] = "contact set"
    side: str  # internal | vendor
    user_id: str
    backup: bool = False


@dataclass(frozen=True)
class ContactsShow:
    KEY: ClassVar[str] = "contacts"


@dataclass(frozen=True)
class DeadlineAdd:
    KEY: ClassVar[str] = "deadline add"
    title: str
    when: str
    owner_user_id: str | None = None
    milestone: bool = False
    parent_number: int | None = None


@dataclass(frozen=True)
class DeadlineList:
    KEY: ClassVar[str] = "deadline list"


@dataclass(frozen=True)
class DeadlineShow:
    KEY: ClassVar[str] = "deadline show"
    number: int


@dataclass(frozen=True)
class DeadlineDone:
    KEY: ClassVar[str] = "deadline done"
    number: int


@dataclass(frozen=True)
class DeadlineMove:
    KEY: ClassVar[str] = "deadline move"
    number: int
    when: str
    reason: str


@dataclass(frozen=True)
class DeadlineCancel:
    KEY: ClassVar[str] = "deadline cancel"
    number: int
    reason: str


@dataclass(frozen=True)
class DeadlineRename:
    KEY: ClassVar[str] = "deadline rename"
    number: int
    title: str


@dataclass(frozen=True)
class DeadlineOwner:
    KEY: ClassVar[str] = "deadline owner"
    number: int
    user_id: str


@dataclass(frozen=True)
class ChangeRequestCmd:
    KEY: ClassVar[str] = "change"
    description: str


@dataclass(frozen=True)
class ChangeWithdraw:
    KEY: ClassVar[str] = "change withdraw"
    number: int


@dataclass(frozen=True)
class RecapOpen:
    KEY: ClassVar[str] = "recap"


@dataclass(frozen=True)
class CheckinEvery:
    KEY: ClassVar[str] = "checkin every"
    days: str
    at: str
    tz: str | None = None


@dataclass(frozen=True)
class CheckinOff:
    KEY: ClassVar[str] = "checkin off"


@dataclass(frozen=True)
class CheckinNow:
    KEY: ClassVar[str] = "checkin now"


@dataclass(frozen=True)
class SlaSet:
    KEY: ClassVar[str] = "sla"
    hours: float


@dataclass(frozen=True)
class QuietSet:
    KEY: ClassVar[str] = "quiet"
    spec: str | None  # None turns quiet hours off


@dataclass(frozen=True)
class Pause:
    KEY: ClassVar[str] = "pause"
    duration: str


@dataclass(frozen=True)
class Resume:
    KEY: ClassVar[str] = "resume"


@dataclass(frozen=True)
class Status:
    KEY: ClassVar[str] = "status"


@dataclass(frozen=True)
class AccessAdd:
    KEY: ClassVar[str] = "access add"
    system: str
    user_id: str | None = None


@dataclass(frozen=True)
class AccessRemove:
    KEY: ClassVar[str] = "access remove"
    system: str


@dataclass(frozen=True)
class AccessList:
    KEY: ClassVar[str] = "access list"


@dataclass(frozen=True)
class Offboard:
    KEY: ClassVar[str] = "offboard"


@dataclass(frozen=True)
class Export:
    KEY: ClassVar[str] = "export"
    fmt: str = "md"


Command = (
    Help
    | VendorAdd
    | VendorList
    | VendorRemove
    | VendorRestore
    | ContactSet
    | ContactsShow
    | DeadlineAdd
    | DeadlineList
    | DeadlineShow
    | DeadlineDone
    | DeadlineMove
    | DeadlineCancel
    | DeadlineRename
    | DeadlineOwner
    | ChangeRequestCmd
    | ChangeWithdraw
    | RecapOpen
    | CheckinEvery
    | CheckinOff
    | CheckinNow
    | SlaSet
    | QuietSet
    | Pause
    | Resume
    | Status
    | AccessAdd
    | AccessRemove
    | AccessList
    | Offboard
    | Export
)


def usage_of(command: Command) -> str:
    """The usage line of a parsed command's subcommand."""
    return USAGE[command.KEY]


# --------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class Token:
    """One word or quoted string. `raw` is as Slack sent it (escaped, with markup), `text` is
    plain. An `unterminated` token is an opening quote without a closing one: the rest of the
    line."""

    text: str
    quoted: bool = False
    raw: str = ""
    unterminated: bool = False
    start: int = 0
    source: str = field(default="", repr=False, compare=False)

    @property
    def rest(self) -> str:
        """The plain text from this token to the end of the command, as typed."""
        return from_slack(self.source[self.start :]).strip() if self.source else self.text

    @property
    def bare(self) -> bool:
        """An unquoted word (keywords like `owner` or `reason` count only when bare)."""
        return not self.quoted


# Opening quote → the quotes that close it.
_CLOSERS = {'"': '"', "“": "”", "„": "“”", "«": "»", "”": "”"}


def _markup_end(text: str, i: int) -> int:
    """If a Slack markup token (`<…>`) starts at i, the index after it; else i."""
    if text[i] != "<":
        return i
    j = text.find(">", i + 1)
    if j == -1:
        return i
    inner = text[i + 1 : j]
    if not inner or "<" in inner or "\n" in inner:
        return i
    return j + 1


def _closing_quote(text: str, i: int) -> int:
    """Given an opening quote at i, the index of the quote that closes it, or -1.

    A quote of the same kind that starts a word opens a pair inside; a closing quote ends the
    innermost open pair, and the outermost only where a space or the end follows it."""
    opener = text[i]
    closers = _CLOSERS[opener]
    depth = 1
    j, n = i + 1, len(text)
    while j < n:
        ch = text[j]
        after = _markup_end(text, j)
        if after != j:
            j = after
            continue
        at_end = j + 1 >= n or text[j + 1].isspace()
        starts_word = text[j - 1].isspace() and not at_end
        if ch == opener and opener not in closers:
            depth += 1  # a distinct opening quote (“, „, «) inside: a pair
        elif ch in closers:
            if opener in closers and starts_word:
                depth += 1  # a straight (or ”…”) quote starting a word inside: a pair
            elif depth > 1:
                depth -= 1
            elif at_end:
                return j
        j += 1
    return -1


def tokenize(text: str) -> list[Token]:
    """Split Slack's (escaped) text into words and quoted strings, decoded to plain text."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in _CLOSERS:
            j = _closing_quote(text, i)
            if j == -1:
                raw = text[i + 1 :]
                tokens.append(
                    Token(
                        clean(from_slack(raw), multiline=True),
                        quoted=True,
                        raw=raw,
                        unterminated=True,
                        start=i,
                        source=text,
                    )
                )
                return tokens
            raw = text[i + 1 : j]
            tokens.append(
                Token(
                    clean(from_slack(raw), multiline=True),
                    quoted=True,
                    raw=raw,
                    start=i,
                    source=text,
                )
            )
            i = j + 1
            continue
        j = i
        while j < n and not text[j].isspace():
            after = _markup_end(text, j)
            j = after if after != j else j + 1
        raw = text[i:j]
        tokens.append(Token(from_slack(raw), raw=raw, start=i, source=text))
        i = j
    return tokens


def user_id_of(token: str) -> str | None:
    """The user id of a mention as Slack sends it (`<@U123>` / `<@U123|name>`), else None."""
    match = USER_MENTION.match(token)
    return match.group(1) if match else None


def _code(value: str) -> str:
    """A piece of what someone typed, quoted back in an error message."""
    value = " ".join(value.split())  # one line, whatever was typed
    shown = value if len(value) <= 60 else value[:59] + "…"
    return "`" + slack_escape(shown.replace("`", "'")) + "`"


def _fail(message: str, key: str | None) -> UserError:
    return UserError(message, usage=USAGE[key] if key else None)


def _person_problem(token: Token) -> str | None:
    """Why this token is not a person picked from the @ menu (None if it is one)."""
    if USER_MENTION.match(token.raw):
        return None
    if CHANNEL_MENTION.match(token.raw):
        return f"{_code(token.text)} is a channel, not a person."
    special = SPECIAL_MENTION.match(token.raw)
    if special:
        return f"{_code(token.text)} is not a person — pick one person from the @ menu."
    if token.text.startswith("@") and len(token.text) > 1:
        return f"I can't find {slack_escape(token.text)} — pick the person from the @ menu."
    return (
        f"{_code(token.text)} is not a mention of a Slack user — type @ and pick the person "
        "from the menu."
    )


def _need_user(token: Token | None, key: str) -> str:
    if token is None:
        raise _fail("Mention the person with @.", key)
    problem = _person_problem(token)
    if problem:
        raise _fail(problem, key)
    uid = user_id_of(token.raw)
    assert uid is not None
    return uid


def _looks_like_person(token: Token) -> bool:
    return token.bare and (
        bool(USER_MENTION.match(token.raw))
        or bool(SPECIAL_MENTION.match(token.raw))
        or (token.text.startswith("@") and len(token.text) > 1)
    )


def _need_number(token: Token | None, key: str, what: str = "deadline") -> int:
    if token is None:
        source = "`deadline list`" if what == "deadline" else "the request's message"
        raise _fail(f"Which {what}? Give its number from {source}.", key)
    raw = token.text.lstrip("#")
    if token.quoted or not raw.isdigit() or len(raw) > 9 or int(raw) == 0:
        raise _fail(f"{_code(token.text)} is not a {what} number (like `2` or `#2`).", key)
    return int(raw)


def _no_more(tokens: list[Token], key: str) -> None:
    if tokens:
        raise _fail(f"I didn't expect {_code(tokens[0].rest)} here.", key)


def _words(tokens: list[Token]) -> str:
    return " ".join(t.text for t in tokens).strip()


def _unterminated(tokens: list[Token], what: str, key: str) -> None:
    for t in tokens:
        if t.unterminated:
            raise _fail(
                f"The {what} has an opening quote without a closing one — end it with a quote "
                "followed by a space or the end of the line.",
                key,
            )


def _field(value: str, *, what: str, key: str, limit: int, multiline: bool = False) -> str:
    """A cleaned text field; refused when empty (after cleaning) or too long."""
    value = clean(value, multiline=multiline)
    if not value:
        raise _fail(f"The {what} is empty.", key)
    if len(value) > limit:
        raise _fail(f"The {what} is {len(value)} characters; keep it under {limit}.", key)
    return value


def _quoted_or_words(tokens: list[Token], *, what: str, key: str) -> str:
    """A text argument that runs to the end: one quoted string, or the words as typed."""
    _unterminated(tokens, what, key)
    if len(tokens) == 1 and tokens[0].quoted:
        return tokens[0].text
    if tokens and tokens[0].quoted:
        raise _fail(f"I didn't expect {_code(tokens[1].rest)} after the {what}.", key)
    return tokens[0].rest if tokens else ""


# --------------------------------------------------------------------------- did you mean


def _close(word: str, options: list[str] | tuple[str, ...]) -> str | None:
    found = difflib.get_close_matches(word.lower(), options, n=1, cutoff=0.6)
    return found[0] if found else None


def _suggest_command(head: Token, rest: list[Token]) -> UserError:
    word = head.text
    guess = _close(word, list(_PARSERS))
    if guess is None:
        return UserError(
            f"I don't know the command {_code(word)}. "
            "Type `/outsource help` to see what I understand."
        )
    guess = "deadline" if guess == "deadlines" else guess
    subs = GROUPS.get(guess)
    if subs is None:
        return UserError(
            f"I don't know the command {_code(word)}. Did you mean `{guess}`?", usage=USAGE[guess]
        )
    sub = _close(rest[0].text, subs) if rest and rest[0].bare else None
    if sub is not None:
        key = f"{guess} {sub}"
        return UserError(
            f"I don't know the command {_code(word)}. Did you mean `{key}`?", usage=USAGE[key]
        )
    return UserError(
        f"I don't know the command {_code(word)}. Did you mean `{guess}`? "
        f"It takes one of: {', '.join(subs)}."
    )


def _sub(rest: list[Token], group: str) -> tuple[str, list[Token]]:
    options = GROUPS[group]
    if not rest:
        raise UserError(
            f"`{group}` needs one of: {', '.join(options)}.", usage=USAGE[f"{group} {options[0]}"]
        )
    word = rest[0].text
    sub = word.lower()
    if sub in options and rest[0].bare:
        return sub, rest[1:]
    guess = _close(sub, options)
    if guess is not None:
        key = f"{group} {guess}"
        raise UserError(
            f"`{group} {slack_escape(word)}` is not a command. Did you mean `{key}`?",
            usage=USAGE[key],
        )
    raise UserError(
        f"{_code(group + ' ' + word)} is not a command; try `{group} "
        + f"`, `{group} ".join(options)
        + "`."
    )


# --------------------------------------------------------------------------- parsing


def parse(text: str) -> Command:
    """Parse the text after `/outsource`, as Slack sends it (escaped)."""
    tokens = tokenize(clean(text or "", multiline=True))
    if not tokens:
        return Help()
    head, rest = tokens[0], tokens[1:]
    parser = _PARSERS.get(head.text.lower())
    if parser is None or not head.bare:
        raise _suggest_command(head, rest)
    return parser(rest)


def _parse_help(rest: list[Token]) -> Command:
    return Help(topic=_words(rest).lower() or None)


def _parse_vendor(rest: list[Token]) -> Command:
    sub, rest = _sub(rest, "vendor")
    if sub in ("list", "remove", "restore"):
        key = f"vendor {sub}"
        _no_more(rest, key)
        if sub == "list":
            return VendorList()
        return VendorRemove() if sub == "remove" else VendorRestore()
    key = "vendor add"
    _unterminated(rest, "name", key)
    name_parts: list[Token] = []
    tz = country = None
    i = 0
    while i < len(rest):
        word = rest[i].text.lower()
        if word in ("tz", "country") and rest[i].bare:
            if i + 1 >= len(rest):
                raise _fail(f"`{word}` needs a value.", key)
            if (word == "tz" and tz) or (word == "country" and country):
                raise _fail(f"`{word}` given twice.", key)
            if word == "tz":
                tz = rest[i + 1].text
            else:
                country = rest[i + 1].text
            i += 2
            continue
        if tz or country:
            raise _fail("Put the vendor's name first, then `tz` and `country`.", key)
        name_parts.append(rest[i])
        i += 1
    if any(_looks_like_person(t) or CHANNEL_MENTION.match(t.raw) for t in name_parts):
        raise _fail("The vendor's name should be text, not a mention.", key)
    if not clean(_words(name_parts)):
        raise _fail("The vendor needs a name.", key)
    name = _field(_words(name_parts), what="vendor's name", key=key, limit=MAX_VENDOR_NAME)
    return VendorAdd(name=name, tz=tz, country=country)


def _parse_contact(rest: list[Token]) -> Command:
    _, rest = _sub(rest, "contact")
    key = "contact set"
    if not rest or rest[0].text.lower() not in ("internal", "vendor"):
        raise _fail("Say which side: `internal` or `vendor`.", key)
    side = rest[0].text.lower()
    user_id = _need_user(rest[1] if len(rest) > 1 else None, key)
    tail = rest[2:]
    backup = False
    if tail and tail[0].text.lower() == "backup":
        backup = True
        tail = tail[1:]
    elif tail and tail[0].text.lower() == "primary":
        tail = tail[1:]
    _no_more(tail, key)
    return ContactSet(side=side, user_id=user_id, backup=backup)


def _parse_contacts(rest: list[Token]) -> Command:
    _no_more(rest, "contacts")
    return ContactsShow()


def _title(token: Token, key: str) -> str:
    return _field(token.text, what="title", key=key, limit=MAX_TITLE)


def _reason_index(tokens: list[Token]) -> int | None:
    return next((i for i, t in enumerate(tokens) if t.text.lower() == "reason" and t.bare), None)


def _parse_deadline(rest: list[Token]) -> Command:
    sub, rest = _sub(rest, "deadline")
    key = f"deadline {sub}"
    if sub == "list":
        _no_more(rest, key)
        return DeadlineList()
    if sub in ("done", "show"):
        number = _need_number(rest[0] if rest else None, key)
        _no_more(rest[1:], key)
        return DeadlineDone(number) if sub == "done" else DeadlineShow(number)
    if sub == "move":
        return _parse_move(rest)
    if sub == "cancel":
        return _parse_cancel(rest)
    if sub == "rename":
        number = _need_number(rest[0] if rest else None, key)
        if not rest[1:]:
            raise _fail("Give the new title in quotes.", key)
        title = _quoted_or_words(rest[1:], what="title", key=key)
        return DeadlineRename(
            number=number, title=_field(title, what="title", key=key, limit=MAX_TITLE)
        )
    if sub == "owner":
        number = _need_number(rest[0] if rest else None, key)
        if len(rest) > 1 and rest[1].text.lower() == "owner" and rest[1].bare:
            rest = rest[1:]  # "deadline owner 2 owner @priya" reads the same
        user_id = _need_user(rest[1] if len(rest) > 1 else None, key)
        _no_more(rest[2:], key)
        return DeadlineOwner(number=number, user_id=user_id)
    return _parse_add(rest)


def _parse_add(rest: list[Token]) -> Command:
    key = "deadline add"
    if rest and rest[0].unterminated:
        _unterminated(rest, "title", key)
    if not rest or not rest[0].quoted:
        raise _fail("Put the deadline's title in double quotes first.", key)
    title = _title(rest[0], key)
    rest = rest[1:]
    owner: str | None = None
    milestone = False
    parent: int | None = None
    when_parts: list[Token] = []
    i = 0
    while i < len(rest):
        token = rest[i]
        word = token.text.lower()
        if word == "owner" and token.bare:
            if owner is not None:
                raise _fail("`owner` given twice — a deadline has one owner.", key)
            owner = _need_user(rest[i + 1] if i + 1 < len(rest) else None, key)
            i += 2
            continue
        if word == "milestone" and token.bare:
            milestone = True
            i += 1
            continue
        if word == "under" and token.bare:
            if parent is not None:
                raise _fail("`under` given twice — a deadline sits under one milestone.", key)
            parent = _need_number(rest[i + 1] if i + 1 < len(rest) else None, key)
            i += 2
            continue
        if token.quoted:
            raise _fail("Only the title goes in quotes.", key)
        if _looks_like_person(token):
            raise _fail(f"Put `owner` before the person: `owner {slack_escape(token.text)}`.", key)
        when_parts.append(token)
        i += 1
    when = _words(when_parts)
    if not when:
        raise _fail("When is it due?", key)
    return DeadlineAdd(
        title=title, when=when, owner_user_id=owner, milestone=milestone, parent_number=parent
    )


def _parse_move(rest: list[Token]) -> Command:
    key = "deadline move"
    number = _need_number(rest[0] if rest else None, key)
    rest = rest[1:]
    idx = _reason_index(rest)
    if idx is None:
        _unterminated(rest, "date", key)
        raise _fail("A move needs a reason, so both sides know why.", key)
    _unterminated(rest[:idx], "date", key)
    when = _words(rest[:idx])
    if not when:
        raise _fail("To when? Give the new date.", key)
    reason = _quoted_or_words(rest[idx + 1 :], what="reason", key=key)
    reason = _field(reason, what="reason", key=key, limit=MAX_REASON, multiline=True)
    return DeadlineMove(number=number, when=when, reason=reason)


def _parse_cancel(rest: list[Token]) -> Command:
    key = "deadline cancel"
    number = _need_number(rest[0] if rest else None, key)
    rest = rest[1:]
    if rest and rest[0].text.lower() == "reason" and rest[0].bare:
        rest = rest[1:]
    if not rest:
        raise _fail("A cancel needs a reason, so both sides know why.", key)
    reason = _quoted_or_words(rest, what="reason", key=key)
    reason = _field(reason, what="reason", key=key, limit=MAX_REASON, multiline=True)
    return DeadlineCancel(number=number, reason=reason)


def _parse_change(rest: list[Token]) -> Command:
    if rest and rest[0].bare and rest[0].text.lower() == "withdraw":
        key = "change withdraw"
        if len(rest) == 1:
            raise _fail("Which change request? Give its number.", key)
        if len(rest) == 2 and re.fullmatch(r"#?\d+", rest[1].text):
            return ChangeWithdraw(number=_need_number(rest[1], key, what="change request"))
        if len(rest) == 2 and rest[1].bare:
            # `change withdraw abc`: a mistyped number, not a change described as "withdraw abc"
            # (a description is quoted: `change "withdraw the old API"`).
            raise _fail(f"`{rest[1].text}` is not a change request number.", key)
    key = "change"
    text = _quoted_or_words(rest, what="description", key=key)
    if not clean(text):
        raise _fail("Describe the change.", key)
    return ChangeRequestCmd(
        description=_field(text, what="description", key=key, limit=MAX_DESCRIPTION, multiline=True)
    )


def _parse_recap(rest: list[Token]) -> Command:
    _no_more(rest, "recap")
    return RecapOpen()


def _parse_checkin(rest: list[Token]) -> Command:
    sub, rest = _sub(rest, "checkin")
    if sub == "off":
        _no_more(rest, "checkin off")
        return CheckinOff()
    if sub == "now":
        _no_more(rest, "checkin now")
        return CheckinNow()
    if len(rest) < 2:
        raise _fail("Say which days and at what time.", "checkin every")
    tz = rest[2].text if len(rest) > 2 else None
    _no_more(rest[3:], "checkin every")
    return CheckinEvery(days=rest[0].text, at=rest[1].text, tz=tz)


def _parse_sla(rest: list[Token]) -> Command:
    if len(rest) != 1:
        raise _fail("Give the expected reply time in business hours.", "sla")
    raw = rest[0].text.lower().removesuffix("h")
    try:
        hours = float(raw)
    except ValueError:
        raise _fail(f"{_code(rest[0].text)} is not a number of hours.", "sla") from None
    if not (MIN_SLA_HOURS <= hours <= MAX_SLA_HOURS):  # NaN fails both comparisons
        raise _fail(
            f"The SLA must be between {MIN_SLA_HOURS:g} and {MAX_SLA_HOURS:g} business hours.",
            "sla",
        )
    return SlaSet(hours=hours)


def _parse_quiet(rest: list[Token]) -> Command:
    if len(rest) == 1 and rest[0].text.lower() == "off":
        return QuietSet(spec=None)
    if len(rest) != 1:
        raise _fail("Give quiet hours as a range.", "quiet")
    return QuietSet(spec=rest[0].text)


def _parse_pause(rest: list[Token]) -> Command:
    if not rest:
        raise _fail("For how long?", "pause")
    return Pause(duration=_words(rest))


def _parse_resume(rest: list[Token]) -> Command:
    _no_more(rest, "resume")
    return Resume()


def _parse_status(rest: list[Token]) -> Command:
    _no_more(rest, "status")
    return Status()


def _system(tokens: list[Token], key: str) -> str:
    _unterminated(tokens, "system's name", key)
    for t in tokens:
        if _looks_like_person(t) or CHANNEL_MENTION.match(t.raw):
            problem = _person_problem(t)
            if key == "access remove":
                raise _fail("`access remove` takes only the system's name.", key)
            if problem is None:  # a real mention, but not at the end
                raise _fail("Name the system first, then the person.", key)
            raise _fail(problem, key)
    if not tokens:
        raise _fail("Which system? e.g. GitHub, AWS, Jira.", key)
    return _field(_words(tokens), what="system's name", key=key, limit=MAX_SYSTEM)


def _parse_access(rest: list[Token]) -> Command:
    sub, rest = _sub(rest, "access")
    if sub == "list":
        _no_more(rest, "access list")
        return AccessList()
    if sub == "remove":
        return AccessRemove(system=_system(rest, "access remove"))
    user_id = None
    if rest and user_id_of(rest[-1].raw):
        user_id = user_id_of(rest[-1].raw)
        rest = rest[:-1]
    return AccessAdd(system=_system(rest, "access add"), user_id=user_id)


def _parse_offboard(rest: list[Token]) -> Command:
    _no_more(rest, "offboard")
    return Offboard()


def _parse_export(rest: list[Token]) -> Command:
    if not rest:
        return Export("md")
    fmt = rest[0].text.lower()
    if fmt not in ("md", "csv") or len(rest) > 1:
        raise _fail("Export as `md` or `csv`.", "export")
    return Export(fmt)


def _parse_deadlines(rest: list[Token]) -> Command:
    return _parse_deadline(rest or [Token("list", raw="list")])


_PARSERS = {
    "help": _parse_help,
    "vendor": _parse_vendor,
    "contact": _parse_contact,
    "contacts": _parse_contacts,
    "deadline": _parse_deadline,
    "deadlines": _parse_deadlines,
    "change": _parse_change,
    "recap": _parse_recap,
    "checkin": _parse_checkin,
    "sla": _parse_sla,
    "quiet": _parse_quiet,
    "pause": _parse_pause,
    "resume": _parse_resume,
    "status": _parse_status,
    "access": _parse_access,
    "offboard": _parse_offboard,
    "export": _parse_export,
}
