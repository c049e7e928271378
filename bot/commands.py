"""The `/outsource` grammar: text in, a typed command out, or a UserError that says what to type.

Parsing never raises anything but UserError and never touches state. Values that need context
(dates, zones) are kept as text here and validated by the service that knows the vendor's zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import UserError

USER_MENTION = re.compile(r"^<@([UW][A-Z0-9_]+)(?:\|[^>]*)?>$")
CHANNEL_MENTION = re.compile(r"^<#([CGD][A-Z0-9]+)(?:\|[^>]*)?>$")
OPEN_QUOTES = '"“”„«»'
MAX_TITLE = 200

USAGE = {
    "help": "/outsource help",
    "vendor add": "/outsource vendor add <name> [tz <IANA zone>] [country <ISO code>]",
    "vendor list": "/outsource vendor list",
    "vendor remove": "/outsource vendor remove",
    "contact set": "/outsource contact set internal|vendor <@user> [backup]",
    "contacts": "/outsource contacts",
    "deadline add": '/outsource deadline add "<title>" <when> [owner <@user>] [milestone] '
    "[under <n>]",
    "deadline list": "/outsource deadline list",
    "deadline show": "/outsource deadline show <n>",
    "deadline done": "/outsource deadline done <n>",
    "deadline move": '/outsource deadline move <n> <when> reason "<why>"',
    "change": '/outsource change "<what changes>"',
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
    "access list": "/outsource access list",
    "offboard": "/outsource offboard",
    "export": "/outsource export [md|csv]",
}

EXAMPLES = {
    "help": "/outsource help",
    "vendor add": "/outsource vendor add Acme Dev tz Europe/Berlin country DE",
    "vendor list": "/outsource vendor list",
    "vendor remove": "/outsource vendor remove",
    "contact set": "/outsource contact set vendor @priya backup",
    "contacts": "/outsource contacts",
    "deadline add": '/outsource deadline add "API v2 handover" 2027-03-10 owner @priya',
    "deadline list": "/outsource deadline list",
    "deadline show": "/outsource deadline show 2",
    "deadline done": "/outsource deadline done 2",
    "deadline move": '/outsource deadline move 2 next friday reason "QA found a blocker"',
    "change": '/outsource change "Add SSO to the admin panel"',
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
    "access list": "/outsource access list",
    "offboard": "/outsource offboard",
    "export": "/outsource export md",
}


@dataclass(frozen=True)
class Token:
    text: str
    quoted: bool = False


@dataclass(frozen=True)
class Help:
    topic: str | None = None


@dataclass(frozen=True)
class VendorAdd:
    name: str
    tz: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class VendorList:
    pass


@dataclass(frozen=True)
class VendorRemove:
    pass


@dataclass(frozen=True)
class ContactSet:
    side: str  # internal | vendor
    user_id: str
    backup: bool = False


@dataclass(frozen=True)
class ContactsShow:
    pass


@dataclass(frozen=True)
class DeadlineAdd:
    title: str
    when: str
    owner_user_id: str | None = None
    milestone: bool = False
    parent_number: int | None = None


@dataclass(frozen=True)
class DeadlineList:
    pass


@dataclass(frozen=True)
class DeadlineShow:
    number: int


@dataclass(frozen=True)
class DeadlineDone:
    number: int


@dataclass(frozen=True)
class DeadlineMove:
    number: int
    when: str
    reason: str


@dataclass(frozen=True)
class ChangeRequestCmd:
    description: str


@dataclass(frozen=True)
class RecapOpen:
    pass


@dataclass(frozen=True)
class CheckinEvery:
    days: str
    at: str
    tz: str | None = None


@dataclass(frozen=True)
class CheckinOff:
    pass


@dataclass(frozen=True)
class CheckinNow:
    pass


@dataclass(frozen=True)
class SlaSet:
    hours: float


@dataclass(frozen=True)
class QuietSet:
    spec: str | None  # None turns quiet hours off


@dataclass(frozen=True)
class Pause:
    duration: str


@dataclass(frozen=True)
class Resume:
    pass


@dataclass(frozen=True)
class Status:
    pass


@dataclass(frozen=True)
class AccessAdd:
    system: str
    user_id: str | None = None


@dataclass(frozen=True)
class AccessList:
    pass


@dataclass(frozen=True)
class Offboard:
    pass


@dataclass(frozen=True)
class Export:
    fmt: str = "md"


Command = (
    Help
    | VendorAdd
    | VendorList
    | VendorRemove
    | ContactSet
    | ContactsShow
    | DeadlineAdd
    | DeadlineList
    | DeadlineShow
    | DeadlineDone
    | DeadlineMove
    | ChangeRequestCmd
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
    | AccessList
    | Offboard
    | Export
)


def tokenize(text: str) -> list[Token]:
    """Split on whitespace; straight or curly double quotes group words. Apostrophes are text."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in OPEN_QUOTES:
            j = i + 1
            while j < n and text[j] not in OPEN_QUOTES:
                j += 1
            if j >= n:
                raise UserError(
                    "There is an opening quote without a closing one. Put the title in "
                    'straight quotes, like "API v2 handover".'
                )
            tokens.append(Token(text[i + 1 : j].strip(), quoted=True))
            i = j + 1
            continue
        j = i
        while j < n and not text[j].isspace() and text[j] not in OPEN_QUOTES:
            j += 1
        tokens.append(Token(text[i:j]))
        i = j
    return tokens


def user_id_of(token: str) -> str | None:
    match = USER_MENTION.match(token)
    return match.group(1) if match else None


def _need_user(token: Token | None, usage_key: str) -> str:
    if token is None:
        raise UserError("Mention the person with @.", usage=USAGE[usage_key])
    uid = user_id_of(token.text)
    if uid is None:
        if token.text.startswith(("<#", "<!")):
            raise UserError(f"`{token.text}` is not a person.", usage=USAGE[usage_key])
        raise UserError(
            f"`{token.text}` is not a mention of a Slack user — type @ and pick the person.",
            usage=USAGE[usage_key],
        )
    return uid


def _need_number(token: Token | None, usage_key: str) -> int:
    if token is None:
        raise UserError(
            "Which deadline? Give its number from `deadline list`.", usage=USAGE[usage_key]
        )
    raw = token.text.lstrip("#")
    if not raw.isdigit() or len(raw) > 9 or int(raw) == 0:
        raise UserError(
            f"`{token.text}` is not a deadline number (like `2` or `#2`).", usage=USAGE[usage_key]
        )
    return int(raw)


def _no_more(tokens: list[Token], usage_key: str) -> None:
    if tokens:
        extra = " ".join(t.text for t in tokens)
        raise UserError(f"I didn't expect `{extra}` here.", usage=USAGE[usage_key])


def _words(tokens: list[Token]) -> str:
    return " ".join(t.text for t in tokens).strip()


def parse(text: str) -> Command:
    """Parse the text after `/outsource`."""
    tokens = tokenize(text or "")
    if not tokens:
        return Help()
    head, rest = tokens[0].text.lower(), tokens[1:]
    parser = _PARSERS.get(head)
    if parser is None or tokens[0].quoted:
        raise UserError(
            f"I don't know the command `{tokens[0].text}`. Here is what I understand:",
            usage=USAGE["help"],
        )
    return parser(rest)


def _sub(rest: list[Token], group: str, options: tuple[str, ...]) -> tuple[str, list[Token]]:
    if not rest:
        raise UserError(
            f"`{group}` needs one of: {', '.join(options)}.",
            usage=USAGE.get(f"{group} {options[0]}"),
        )
    sub = rest[0].text.lower()
    if sub not in options:
        raise UserError(
            f"`{group} {rest[0].text}` is not a command; try `{group} "
            + f"`, `{group} ".join(options)
            + "`."
        )
    return sub, rest[1:]


def _parse_help(rest: list[Token]) -> Command:
    return Help(topic=_words(rest) or None)


def _parse_vendor(rest: list[Token]) -> Command:
    sub, rest = _sub(rest, "vendor", ("add", "list", "remove"))
    if sub == "list":
        _no_more(rest, "vendor list")
        return VendorList()
    if sub == "remove":
        _no_more(rest, "vendor remove")
        return VendorRemove()
    name_parts: list[str] = []
    tz = country = None
    i = 0
    while i < len(rest):
        word = rest[i].text.lower()
        if word in ("tz", "country") and not rest[i].quoted:
            if i + 1 >= len(rest):
                raise UserError(f"`{word}` needs a value.", usage=USAGE["vendor add"])
            if word == "tz":
                tz = rest[i + 1].text
            else:
                country = rest[i + 1].text
            i += 2
            continue
        if tz or country:
            raise UserError(
                "Put the vendor's name first, then `tz` and `country`.", usage=USAGE["vendor add"]
            )
        name_parts.append(rest[i].text)
        i += 1
    name = " ".join(name_parts).strip()
    if not name:
        raise UserError("The vendor needs a name.", usage=USAGE["vendor add"])
    if len(name) > 120:
        raise UserError("A vendor name can be at most 120 characters.", usage=USAGE["vendor add"])
    if user_id_of(name) or CHANNEL_MENTION.match(name):
        raise UserError(
            "The vendor's name should be text, not a mention.", usage=USAGE["vendor add"]
        )
    return VendorAdd(name=name, tz=tz, country=country)


def _parse_contact(rest: list[Token]) -> Command:
    _, rest = _sub(rest, "contact", ("set",))
    if not rest or rest[0].text.lower() not in ("internal", "vendor"):
        raise UserError("Say which side: `internal` or `vendor`.", usage=USAGE["contact set"])
    side = rest[0].text.lower()
    user_id = _need_user(rest[1] if len(rest) > 1 else None, "contact set")
    tail = rest[2:]
    backup = False
    if tail and tail[0].text.lower() == "backup":
        backup = True
        tail = tail[1:]
    elif tail and tail[0].text.lower() == "primary":
        tail = tail[1:]
    _no_more(tail, "contact set")
    return ContactSet(side=side, user_id=user_id, backup=backup)


def _parse_contacts(rest: list[Token]) -> Command:
    _no_more(rest, "contacts")
    return ContactsShow()


def _parse_deadline(rest: list[Token]) -> Command:
    sub, rest = _sub(rest, "deadline", ("add", "list", "done", "move", "show"))
    if sub == "list":
        _no_more(rest, "deadline list")
        return DeadlineList()
    if sub == "done":
        number = _need_number(rest[0] if rest else None, "deadline done")
        _no_more(rest[1:], "deadline done")
        return DeadlineDone(number)
    if sub == "show":
        number = _need_number(rest[0] if rest else None, "deadline show")
        _no_more(rest[1:], "deadline show")
        return DeadlineShow(number)
    if sub == "move":
        number = _need_number(rest[0] if rest else None, "deadline move")
        rest = rest[1:]
        idx = next(
            (i for i, t in enumerate(rest) if t.text.lower() == "reason" and not t.quoted), None
        )
        if idx is None:
            raise UserError(
                "A move needs a reason, so both sides know why.", usage=USAGE["deadline move"]
            )
        when = _words(rest[:idx])
        reason = _words(rest[idx + 1 :])
        if not when:
            raise UserError("To when? Give the new date.", usage=USAGE["deadline move"])
        if not reason:
            raise UserError("The reason is empty.", usage=USAGE["deadline move"])
        return DeadlineMove(number=number, when=when, reason=reason[:1000])
    # add
    if not rest or not rest[0].quoted:
        raise UserError(
            "Put the deadline's title in double quotes first.", usage=USAGE["deadline add"]
        )
    title = rest[0].text
    if not title:
        raise UserError("The title is empty.", usage=USAGE["deadline add"])
    if len(title) > MAX_TITLE:
        raise UserError(
            f"The title is {len(title)} characters; keep it under {MAX_TITLE}.",
            usage=USAGE["deadline add"],
        )
    rest = rest[1:]
    owner: str | None = None
    milestone = False
    parent: int | None = None
    when_parts: list[str] = []
    i = 0
    while i < len(rest):
        word = rest[i].text.lower()
        if word == "owner" and not rest[i].quoted:
            owner = _need_user(rest[i + 1] if i + 1 < len(rest) else None, "deadline add")
            i += 2
            continue
        if word == "milestone" and not rest[i].quoted:
            milestone = True
            i += 1
            continue
        if word == "under" and not rest[i].quoted:
            parent = _need_number(rest[i + 1] if i + 1 < len(rest) else None, "deadline add")
            i += 2
            continue
        if rest[i].quoted:
            raise UserError("Only the title goes in quotes.", usage=USAGE["deadline add"])
        when_parts.append(rest[i].text)
        i += 1
    when = " ".join(when_parts).strip()
    if not when:
        raise UserError("When is it due?", usage=USAGE["deadline add"])
    return DeadlineAdd(
        title=title, when=when, owner_user_id=owner, milestone=milestone, parent_number=parent
    )


def _parse_change(rest: list[Token]) -> Command:
    text = _words(rest)
    if not text:
        raise UserError("Describe the change.", usage=USAGE["change"])
    if len(text) > 2000:
        raise UserError(
            "Keep the change description under 2,000 characters.", usage=USAGE["change"]
        )
    return ChangeRequestCmd(description=text)


def _parse_recap(rest: list[Token]) -> Command:
    _no_more(rest, "recap")
    return RecapOpen()


def _parse_checkin(rest: list[Token]) -> Command:
    sub, rest = _sub(rest, "checkin", ("every", "off", "now"))
    if sub == "off":
        _no_more(rest, "checkin off")
        return CheckinOff()
    if sub == "now":
        _no_more(rest, "checkin now")
        return CheckinNow()
    if len(rest) < 2:
        raise UserError("Say which days and at what time.", usage=USAGE["checkin every"])
    tz = rest[2].text if len(rest) > 2 else None
    _no_more(rest[3:], "checkin every")
    return CheckinEvery(days=rest[0].text, at=rest[1].text, tz=tz)


def _parse_sla(rest: list[Token]) -> Command:
    if len(rest) != 1:
        raise UserError("Give the expected reply time in business hours.", usage=USAGE["sla"])
    raw = rest[0].text.lower().removesuffix("h")
    try:
        hours = float(raw)
    except ValueError:
        raise UserError(f"`{rest[0].text}` is not a number of hours.", usage=USAGE["sla"]) from None
    if not (0 < hours <= 200) or hours != hours:
        raise UserError("The SLA must be between 0 and 200 business hours.", usage=USAGE["sla"])
    return SlaSet(hours=hours)


def _parse_quiet(rest: list[Token]) -> Command:
    if len(rest) == 1 and rest[0].text.lower() == "off":
        return QuietSet(spec=None)
    if len(rest) != 1:
        raise UserError("Give quiet hours as a range.", usage=USAGE["quiet"])
    return QuietSet(spec=rest[0].text)


def _parse_pause(rest: list[Token]) -> Command:
    if not rest:
        raise UserError("For how long?", usage=USAGE["pause"])
    return Pause(duration=_words(rest))


def _parse_resume(rest: list[Token]) -> Command:
    _no_more(rest, "resume")
    return Resume()


def _parse_status(rest: list[Token]) -> Command:
    _no_more(rest, "status")
    return Status()


def _parse_access(rest: list[Token]) -> Command:
    sub, rest = _sub(rest, "access", ("add", "list"))
    if sub == "list":
        _no_more(rest, "access list")
        return AccessList()
    user_id = None
    if rest and user_id_of(rest[-1].text):
        user_id = user_id_of(rest[-1].text)
        rest = rest[:-1]
    system = _words(rest)
    if not system:
        raise UserError("Which system? e.g. GitHub, AWS, Jira.", usage=USAGE["access add"])
    if len(system) > 200:
        raise UserError("Keep the system name under 200 characters.", usage=USAGE["access add"])
    return AccessAdd(system=system, user_id=user_id)


def _parse_offboard(rest: list[Token]) -> Command:
    _no_more(rest, "offboard")
    return Offboard()


def _parse_export(rest: list[Token]) -> Command:
    if not rest:
        return Export("md")
    fmt = rest[0].text.lower()
    if fmt not in ("md", "csv") or len(rest) > 1:
        raise UserError("Export as `md` or `csv`.", usage=USAGE["export"])
    return Export(fmt)


_PARSERS = {
    "help": _parse_help,
    "vendor": _parse_vendor,
    "contact": _parse_contact,
    "contacts": _parse_contacts,
    "deadline": _parse_deadline,
    "deadlines": lambda rest: (
        _parse_deadline([Token("list"), *rest]) if not rest else _parse_deadline(rest)
    ),
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
