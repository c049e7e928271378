"""Reading what people type about time: deadlines, durations, clock times and zones.

Pure functions, no Slack and no database. Every bad input raises `UserError` with a
message that says what was understood and what the right form is.

Rules this module keeps:

* Every returned instant is timezone-aware; `When.at` is in UTC.
* DST is zoneinfo's business: a wall-clock time that does not exist (the hour the
  clocks skip) moves forward to the first instant that wall-clock time is reached,
  and a wall-clock time that happens twice (the hour the clocks repeat) means the
  first one.
* Nothing time-dependent is cached: "now" always comes from the caller.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import UserError

__all__ = [
    "DEFAULT_DUE_TIME",
    "MAX_PAUSE",
    "When",
    "format_both",
    "format_day",
    "format_local",
    "parse_clock_time",
    "parse_duration",
    "parse_quiet_hours",
    "parse_when",
    "resolve_zone",
    "wall_to_utc",
]

DEFAULT_DUE_TIME = time(17, 0)
"""A date given without a time of day means this local time."""

MAX_AHEAD_YEARS = 5
MAX_PAUSE = timedelta(days=90)
MAX_INPUT_CHARS = 100

WHEN_USAGE = '/outsource deadline add "<title>" <when>'
WHEN_EXAMPLES = "Try `2027-03-10`, `2027-03-10 17:00`, `next friday` or `in 3 days`."

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# --------------------------------------------------------------------------- formatting


def _fmt_time_zone(local: datetime) -> str:
    return f"{local:%H:%M} {local.tzname() or ''}".rstrip()


def _fmt_day(local: date, *, year: bool = True) -> str:
    text = f"{_WEEKDAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]}"
    return f"{text} {local.year}" if year else text


def format_day(day: date, *, year: bool = True) -> str:
    """`Sat 13 Mar 2027` (or `Sat 13 Mar`) — English names whatever the process locale is."""
    return _fmt_day(day, year=year)


def format_local(at: datetime, tz: ZoneInfo | tzinfo) -> str:
    """`Wed 10 Mar 2027 17:00 CET` — English names whatever the process locale is."""
    if at.tzinfo is None:
        raise ValueError("format_local needs an aware datetime")
    local = at.astimezone(tz)
    return f"{_fmt_day(local)} {_fmt_time_zone(local)}"


def format_both(at: datetime, vendor_tz: ZoneInfo, user_tz: ZoneInfo) -> str:
    """`Wed 10 Mar 2027 17:00 CET (11:00 EST your time)`.

    The part in brackets appears only when the user's wall clock differs from the
    vendor's; it names the day too when the user's calendar day is a different one.
    """
    first = format_local(at, vendor_tz)
    vendor_local = at.astimezone(vendor_tz)
    user_local = at.astimezone(user_tz)
    if vendor_local.replace(tzinfo=None) == user_local.replace(tzinfo=None):
        return first
    if user_local.date() == vendor_local.date():
        theirs = _fmt_time_zone(user_local)
    else:
        theirs = f"{_fmt_day(user_local, year=False)} {_fmt_time_zone(user_local)}"
    return f"{first} ({theirs} your time)"


# --------------------------------------------------------------------------- wall clock


def wall_to_utc(naive: datetime, tz: ZoneInfo | tzinfo) -> datetime:
    """The first UTC instant at which the wall clock in `tz` reads `naive` or later.

    An ordinary time maps to its one instant; a repeated time (DST fold) maps to the
    first of its two instants; a skipped time (DST gap) maps to the instant the
    clocks jump, i.e. it shifts forward to the first valid wall-clock time.
    """
    naive = naive.replace(tzinfo=None, fold=0)
    first = naive.replace(tzinfo=tz).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == naive:
        return first
    # In a gap. fold=1 applies the offset after the transition, which lands before
    # the jump; fold=0 the offset before it, which lands after. The jump is between.
    lo = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    hi = first
    if lo >= hi:  # not a gap after all (odd zone data); keep zoneinfo's answer
        return first
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0)
        if mid <= lo:
            break
        if mid.astimezone(tz).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid
    return hi


def _add_years(d: datetime, years: int) -> datetime:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


# --------------------------------------------------------------------------- parse_when


@dataclass(frozen=True)
class When:
    """A parsed `<when>`.

    at: the instant, aware, UTC. local: the same instant in the zone it was read in.
    had_time: whether the text named a time of day (else 17:00 local was used).
    text: what the user typed. note: set when the time was adjusted (DST gap), to be
    shown with the confirmation.
    """

    at: datetime
    local: datetime
    had_time: bool
    text: str
    note: str | None = None


_MONTH_RE = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_MONTH_WORD = re.compile(rf"\b{_MONTH_RE}\b", re.IGNORECASE)
_MONTH_NAMES_FULL = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_WEEKDAY_RE = (
    r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?"
    r"|sat(?:urday)?|sun(?:day)?)"
)
_WEEKDAY_WORD = re.compile(rf"\b{_WEEKDAY_RE}\b", re.IGNORECASE)
_YEAR_WORD = re.compile(r"\b\d{4}\b")

_ISO = re.compile(
    r"^(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})"
    r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?"
    r"(?:\s*(?P<z>[zZ]|[+-]\d{2}:?\d{2}))?)?$"
)
# Day/month written with digits only: 03/04/2027, 3/4, 10.03.2027, 10-03-2027, 10.03.
_NUMERIC_DM = re.compile(
    r"(?<![\d:/.\-])(?P<a>\d{1,2})(?P<sep>[/.\-])(?P<b>\d{1,2})"
    r"(?:(?P=sep)(?P<y>\d{4}|\d{2}))?(?![\d:/\-]|\.\d)"
)
_PERIOD_END = re.compile(
    r"^(?:(?P<short>eow|eom)|end of (?:the )?(?P<which>this |next )?(?P<unit>week|month))$",
    re.IGNORECASE,
)
_LEADING_FILLER = re.compile(r"^(?:due\s+by|due|by|on)\s+", re.IGNORECASE)
_RELATIVE = re.compile(
    r"^(?:in\s+)?(?P<parts>(?:(?:\d+(?:\.\d+)?|an?|one)\s*"
    r"(?:weeks?|wks?|w|days?|d|hours?|hrs?|h|minutes?|mins?|m)(?![a-z])[\s,]*(?:and\s+)?)+)$",
    re.IGNORECASE,
)
_RELATIVE_PART = re.compile(
    r"(?P<n>\d+(?:\.\d+)?|an?|one)\s*(?P<unit>weeks?|wks?|w|days?|d|hours?|hrs?|h|minutes?|mins?|m)(?![a-z])",
    re.IGNORECASE,
)


def _unparseable(text: str) -> UserError:
    return UserError(f"I couldn't read '{text}' as a date. {WHEN_EXAMPLES}", usage=WHEN_USAGE)


def parse_when(text: str, *, tz: ZoneInfo, now: datetime) -> When:
    """Read a deadline `<when>` in `tz`, relative to `now` (aware).

    Accepted: ISO (`2027-03-10`, `2027-03-10 17:00`, `2027-03-10T17:00`, with an
    optional `Z`/`+01:00` offset, `2027/03/10`), and English natural language via
    dateparser (`tomorrow 5pm`, `next friday`, `in 3 days`, `in 2 hours`, `Mar 10`,
    `10 March 2027 9:30`, `friday noon`, `eod friday`, `end of week`, `end of month`).
    A date without a time of day means 17:00 local. Refused: empty, unreadable,
    numeric day/month that could be either way round (`03/04/2027`), vague spans
    (`next month`, `2027`), the past, more than 5 years ahead.
    """
    if now.tzinfo is None:
        raise ValueError("parse_when needs an aware `now`")
    original = text if isinstance(text, str) else str(text)
    shown = " ".join(original.split())
    if not shown:
        raise UserError(f"Give a date for the deadline. {WHEN_EXAMPLES}", usage=WHEN_USAGE)
    if len(shown) > MAX_INPUT_CHARS:
        raise UserError(
            f"That date is too long for me ({len(shown)} characters). {WHEN_EXAMPLES}",
            usage=WHEN_USAGE,
        )
    now_local = now.astimezone(tz)
    s = _LEADING_FILLER.sub("", shown).strip()

    try:
        when = (
            _parse_period_end(s, shown, tz, now_local)
            or _parse_iso(s, shown, tz)
            or _parse_relative(s, shown, tz, now_local)
            or _parse_natural(s, shown, tz, now_local)
        )
        _check_range(when, now_local)
    except (OverflowError, ValueError):  # dates at the edge of what datetime can hold
        raise _unparseable(shown) from None
    return when


def _make(
    local_naive: datetime, tz: ZoneInfo, *, had_time: bool, text: str, note: str | None = None
) -> When:
    at = wall_to_utc(local_naive, tz)
    local = at.astimezone(tz)
    if note is None and local.replace(tzinfo=None) != local_naive.replace(tzinfo=None):
        note = (
            f"{local_naive:%H:%M} does not exist on {_fmt_day(local)} in {tz} "
            f"(the clocks go forward), so I used {_fmt_time_zone(local)}."
        )
    return When(at=at, local=local, had_time=had_time, text=text, note=note)


def _make_aware(aware: datetime, tz: ZoneInfo, *, had_time: bool, text: str) -> When:
    at = aware.astimezone(UTC)
    return When(at=at, local=at.astimezone(tz), had_time=had_time, text=text)


def _parse_period_end(s: str, shown: str, tz: ZoneInfo, now_local: datetime) -> When | None:
    m = _PERIOD_END.match(s)
    if not m:
        return None
    short = (m.group("short") or "").lower()
    unit = "week" if short == "eow" else "month" if short == "eom" else m.group("unit").lower()
    explicit_next = (m.group("which") or "").strip().lower() == "next"
    today = now_local.date()

    def end_of(d: date) -> date:
        if unit == "week":  # the Friday of d's week
            return d + timedelta(days=4 - d.weekday())
        first_next = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
        return first_next - timedelta(days=1)

    def step(d: date) -> date:
        if unit == "week":
            return d + timedelta(days=7)
        return (d.replace(day=28) + timedelta(days=4)).replace(day=1)

    day = end_of(step(today)) if explicit_next else end_of(today)
    candidate = _make(datetime.combine(day, DEFAULT_DUE_TIME), tz, had_time=False, text=shown)
    if not explicit_next and candidate.at <= now_local:
        # This week's Friday (or this month's last day) at 17:00 has gone: the next one.
        day = end_of(step(today if unit == "month" else day))
        candidate = _make(datetime.combine(day, DEFAULT_DUE_TIME), tz, had_time=False, text=shown)
    return candidate


def _parse_iso(s: str, shown: str, tz: ZoneInfo) -> When | None:
    m = _ISO.match(s)
    if not m:
        return None
    try:
        day = date(int(m["y"]), int(m["m"]), int(m["d"]))
    except ValueError:
        raise UserError(
            f"'{shown}' is not a real date. {WHEN_EXAMPLES}", usage=WHEN_USAGE
        ) from None
    if m["H"] is None:
        return _make(datetime.combine(day, DEFAULT_DUE_TIME), tz, had_time=False, text=shown)
    token = s[m.start("H") : m.end("S") if m["S"] is not None else m.end("M")]
    clock = _clock(m["H"], m["M"], m["S"], None, token=token, shown=shown)
    naive = datetime.combine(day, clock)
    zone = m["z"]
    if zone is None:
        return _make(naive, tz, had_time=True, text=shown)
    if zone in ("z", "Z"):
        offset = timedelta(0)
    else:
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 23 or minutes > 59:
            raise UserError(f"'{zone}' is not a UTC offset I can use.", usage=WHEN_USAGE)
        offset = sign * timedelta(hours=hours, minutes=minutes)
    return _make_aware(naive.replace(tzinfo=timezone(offset)), tz, had_time=True, text=shown)


def _number(word: str) -> float:
    w = word.lower()
    return 1.0 if w in ("a", "an", "one") else float(w)


def _parse_relative(s: str, shown: str, tz: ZoneInfo, now_local: datetime) -> When | None:
    """`in 3 days`, `in 2 hours`, `in 1h30m`, `3d`: done here, not by dateparser.

    Days and weeks count calendar days in the local zone and land at 17:00 unless
    hours or minutes are part of the amount; hours and minutes count real elapsed
    time (so `in 2 hours` across a DST change is still two hours).
    """
    m = _RELATIVE.match(s)
    if not m:
        return None
    days = 0.0
    seconds = 0.0
    has_clock_unit = False
    for part in _RELATIVE_PART.finditer(m["parts"]):
        n = _number(part["n"])
        unit = part["unit"].lower()
        if unit.startswith("w"):
            days += 7 * n
        elif unit.startswith("d"):
            days += n
        elif unit.startswith("h"):
            seconds += 3600 * n
            has_clock_unit = True
        else:
            seconds += 60 * n
            has_clock_unit = True
    if days > 366 * (MAX_AHEAD_YEARS + 1) or seconds > 86400 * 366 * (MAX_AHEAD_YEARS + 1):
        raise UserError(
            f"'{shown}' is more than {MAX_AHEAD_YEARS} years away. {WHEN_EXAMPLES}",
            usage=WHEN_USAGE,
        )
    if has_clock_unit:
        at = now_local.astimezone(UTC) + timedelta(days=days, seconds=seconds)
        return _make_aware(at, tz, had_time=True, text=shown)
    if days != int(days):
        raise UserError(
            f"'{shown}': give whole days, or hours (e.g. `in 36 hours`).", usage=WHEN_USAGE
        )
    day = now_local.date() + timedelta(days=int(days))
    return _make(datetime.combine(day, DEFAULT_DUE_TIME), tz, had_time=False, text=shown)


def _rewrite_numeric_dates(s: str, shown: str, now_local: datetime) -> str:
    """Turn unambiguous digit-only day/month forms into words; refuse ambiguous ones."""

    def repl(m: re.Match[str]) -> str:
        a, b, y, sep = int(m["a"]), int(m["b"]), m["y"], m["sep"]
        if sep == "-" and y is None:
            return m.group(0)  # `3-4` is a range or a minus, not a date
        if sep == "." and y is None:
            where = "" if m.group(0) == shown else f" in '{shown}'"
            raise UserError(
                f"I can't tell whether '{m.group(0)}'{where} is a date or a time. "
                "Write times as `9:30` and dates as `2027-03-10` or `10 Mar`.",
                usage=WHEN_USAGE,
            )
        if a <= 12 and b <= 12 and a != b:
            raise UserError(
                f"'{m.group(0)}' could be {a} {_MONTHS[b - 1]} or {b} {_MONTHS[a - 1]}. "
                "Write the date as `YYYY-MM-DD` (e.g. `2027-03-10`) or with a month name "
                "(e.g. `10 Mar`).",
                usage=WHEN_USAGE,
            )
        if a > 12 and b <= 12:
            day, month = a, b
        elif b > 12 and a <= 12:
            day, month = b, a
        elif a == b:
            day, month = a, b
        else:
            raise _unparseable(shown)
        if not 1 <= month <= 12 or not 1 <= day <= 31:
            raise _unparseable(shown)
        words = f"{day} {_MONTH_NAMES_FULL[month - 1]}"
        if y is not None:
            year = int(y) + (2000 if len(y) == 2 else 0)
            words += f" {year}"
        return words

    return _NUMERIC_DM.sub(repl, s)


def _dateparser_parse(s: str, now_local: datetime) -> tuple[datetime | None, str | None]:
    # Imported here: dateparser is slow to import and only this path needs it.
    from dateparser.date import DateDataParser

    parser = DateDataParser(
        languages=["en"],
        settings={
            "RELATIVE_BASE": now_local.replace(tzinfo=None),
            "PREFER_DATES_FROM": "future",
        },
    )
    data = parser.get_date_data(s)
    return data.date_obj, data.period


# ----------------------------------------------------------------- natural language: parts
#
# The natural-language path reads the time of day itself and gives dateparser only the
# date words, then checks that every day, month, year and weekday the person typed is
# in the answer. dateparser alone is lenient: it reads `tomorrow 25:00` as tomorrow at
# the current time and `friday the 13th` as whichever 13th it finds. Here any part that
# cannot be read is an error that names it.

# Anything that looks like a time of day, valid or not: `17:00`, `25:00`, `9:5`, `5pm`,
# `13pm`, `5:30 p.m.`, `17h30`, `17h`.
_CLOCK_CANDIDATE = re.compile(
    r"(?<![\w:.])(?:"
    r"(?P<ah>\d+)(?::(?P<am>\d*)(?::(?P<as>\d*))?)?\s*(?P<ap>[ap])\.?m\.?(?![a-z])"
    r"|(?P<h>\d+):(?P<m>\d*)(?::(?P<s>\d*))?(?![\d:])"
    r"|(?P<hh>\d+)h(?P<hm>\d*)(?![a-z\d])"
    r")",
    re.IGNORECASE,
)
_NAMED_TIMES = {
    "noon": time(12),
    "midday": time(12),
    "morning": time(9),
    "afternoon": time(15),
    "evening": time(18),
    "night": time(20),
    "tonight": time(20),
}
_NAMED_TIME_WORD = re.compile(
    r"\b(?:noon|midday|morning|afternoon|evening|tonight|night|midnight)\b"
)
_EOD = re.compile(r"\b(?:eod|cob|end of (?:the )?day|close of business)\b", re.IGNORECASE)
_TWELVE_NAMED = re.compile(r"\b12\s*(noon|midday|midnight)\b", re.IGNORECASE)
# Zone abbreviations that name no one offset: US generic names follow the zone's own
# DST; `IST` is India, Israel or Ireland, so it is refused rather than guessed.
_GENERIC_ZONES = {
    "et": "America/New_York",
    "ct": "America/Chicago",
    "mt": "America/Denver",
    "pt": "America/Los_Angeles",
}
_AMBIGUOUS_ZONES = {"ist": "India (`+05:30`), Israel (`+02:00`) or Ireland (`+01:00`)"}

_MONTH_NUMBERS = {
    name: i + 1
    for i, full in enumerate(_MONTH_NAMES_FULL)
    for name in {full.lower(), full[:3].lower(), *(["sept"] if i == 8 else [])}
}
_WEEKDAY_NUMBERS = {
    name: i
    for i, names in enumerate(
        [
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "weds", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        ]
    )
    for name in names
}
_WEEKDAY_NAMES_FULL = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAY_WORDS = {"yesterday": -1, "today": 0, "tomorrow": 1, "tmrw": 1, "tmr": 1}
_CLOCK_UNITS = frozenset(
    {"hour", "hours", "hr", "hrs", "minute", "minutes", "min", "mins"}
    | {"second", "seconds", "sec", "secs"}
)
_DAY_UNITS = frozenset({"day", "days", "week", "weeks", "wk", "wks", "month", "months"})
_AMOUNT_UNITS = _CLOCK_UNITS | _DAY_UNITS | {"year", "years", "yr", "yrs"}
# Words that make the answer a moment relative to now (`now`, `2 hours ago`), not a day.
_CLOCK_AMOUNT_WORDS = _CLOCK_UNITS | {"now"}
_FILLER_WORDS = frozenset({"next", "this", "last", "the", "of", "at", "on", "by", "due"})
_FILLER_WORDS |= {"in", "a", "an", "one", "and", "after", "before", "from", "ago"}
_ISO_DATE_IN_TEXT = re.compile(
    r"(?<![\d/.-])(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})(?![\d/.-])"
)
_DATE_TOKEN = re.compile(r"[a-z0-9]+|[^\sa-z0-9]")
_ORDINAL = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)$")


@dataclass
class _Parts:
    """What the date words of a natural `<when>` say, as typed."""

    words: list[str]
    month: int | None = None
    day: int | None = None
    year: int | None = None
    weekday: int | None = None
    day_word: int | None = None  # yesterday -1, today 0, tomorrow +1
    clock_amount: bool = False  # `now`, `hours`, `minutes`: a moment, not a day


def _where(token: str, shown: str) -> str:
    return "" if token.strip().lower() == shown.strip().lower() else f" (in '{shown}')"


def _bad_clock(token: str, shown: str, why: str) -> UserError:
    return UserError(
        f"`{token}` is not a time of day{_where(token, shown)}: {why}", usage=WHEN_USAGE
    )


def _clock(
    hour: str, minute: str | None, second: str | None, ampm: str | None, *, token: str, shown: str
) -> time:
    """A typed time of day, or an error that names it. Never a different time."""
    if minute is not None and len(minute) != 2:
        raise _bad_clock(token, shown, "minutes take two digits, e.g. `09:05` or `17:30`.")
    if second is not None and len(second) != 2:
        raise _bad_clock(token, shown, "seconds take two digits, e.g. `17:00:30`.")
    h, m, sec = int(hour), int(minute or 0), int(second or 0)
    if ampm is not None:
        if not 1 <= h <= 12 or m > 59 or sec > 59:
            raise _bad_clock(
                token,
                shown,
                "with am/pm, hours go 1–12 and minutes 00–59 (e.g. `5pm`, `11:30am`); "
                "or use the 24-hour clock, e.g. `17:00`.",
            )
        h = h % 12 + (12 if ampm.lower() == "p" else 0)
        return time(h, m, sec)
    if h == 24 and m == 0 and sec == 0:
        raise _bad_clock(token, shown, "write `23:59`, or `00:00` of the next day.")
    if h > 23 or m > 59 or sec > 59:
        raise _bad_clock(token, shown, "hours go 00–23 and minutes 00–59, e.g. `17:00` or `09:30`.")
    return time(h, m, sec)


def _pop_zone(s: str, shown: str) -> tuple[str, tzinfo | None]:
    """Take a zone abbreviation or offset out of `s` (`EST`, `UTC`, `+05:30`, `PT`)."""
    from dateparser.timezone_parser import pop_tz_offset_from_string

    for word, zone_name in _GENERIC_ZONES.items():
        pattern = re.compile(rf"(?<![\w+-]){word}(?![\w+-])", re.IGNORECASE)
        if pattern.search(s):
            return pattern.sub(" ", s, count=1), ZoneInfo(zone_name)
    for word, meanings in _AMBIGUOUS_ZONES.items():
        if re.search(rf"(?<![\w+-]){word}(?![\w+-])", s, re.IGNORECASE):
            raise UserError(
                f"`{word.upper()}` could be {meanings}. Write the offset instead "
                "(e.g. `tomorrow 17:00 +05:30`), or leave the zone out to use the vendor's.",
                usage=WHEN_USAGE,
            )
    rest, zone = pop_tz_offset_from_string(s)
    return (rest, zone) if isinstance(zone, tzinfo) else (s, None)


def _pop_clock(s: str, shown: str) -> tuple[str, time | None]:
    """Take the time of day out of `s`: at most one, and a real one."""
    found: list[tuple[str, time]] = []
    for m in _CLOCK_CANDIDATE.finditer(s):
        token = m.group(0).strip()
        if m["ah"] is not None:
            clock = _clock(m["ah"], m["am"], m["as"], m["ap"], token=token, shown=shown)
        elif m["h"] is not None:
            clock = _clock(m["h"], m["m"], m["s"], None, token=token, shown=shown)
        elif m["hm"]:
            clock = _clock(m["hh"], m["hm"], None, None, token=token, shown=shown)
        else:
            n = int(m["hh"])
            raise UserError(
                f"`{token}`{_where(token, shown)} could be a time of day or {n} hours: write "
                f"the time as `{n:02d}:00`, or the amount as `in {n} hours`.",
                usage=WHEN_USAGE,
            )
        found.append((token, clock))
    rest = _CLOCK_CANDIDATE.sub(" ", s)
    for m in _NAMED_TIME_WORD.finditer(rest.lower()):
        word = m.group(0)
        if word == "midnight":
            raise UserError(
                f"`midnight`{_where(word, shown)} could be the start or the end of that day: "
                "write `23:59`, or `00:00` of the next day.",
                usage=WHEN_USAGE,
            )
        found.append((word, _NAMED_TIMES[word]))
    if len(found) > 1:
        named = ", ".join(f"`{token}`" for token, _ in found)
        raise UserError(
            f"'{shown}' names more than one time of day ({named}). Give one, e.g. "
            "`tomorrow 17:00`.",
            usage=WHEN_USAGE,
        )
    rest = re.sub(r"\btonight\b", " today ", rest, flags=re.IGNORECASE)
    rest = _NAMED_TIME_WORD.sub(" ", rest.lower())
    return rest, (found[0][1] if found else None)


def _not_a_number_part(token: str, shown: str, now_local: datetime) -> UserError:
    n = int(token)
    if len(token) <= 2 and n <= 23:
        forms = f"`{n}am`, `{n}pm` or `{n:02d}:00`" if 1 <= n <= 12 else f"`{n:02d}:00`"
        return UserError(
            f"`{token}`{_where(token, shown)} is not a time of day I can read: write {forms}.",
            usage=WHEN_USAGE,
        )
    if len(token) == 4 and int(token[:2]) <= 23 and int(token[2:]) <= 59:
        return UserError(
            f"`{token}`{_where(token, shown)} is not a year I can use; as a time of day, "
            f"write `{token[:2]}:{token[2:]}`.",
            usage=WHEN_USAGE,
        )
    return UserError(f"I couldn't read `{token}` in '{shown}'. {WHEN_EXAMPLES}", usage=WHEN_USAGE)


def _read_parts(s: str, shown: str, now_local: datetime, *, has_clock: bool) -> _Parts:
    """Check every date word and number of `s` and note what they state."""
    tokens = _DATE_TOKEN.findall(s.lower())
    parts = _Parts(words=[t for t in tokens if t not in ("at", "@")])
    has_month = any(t in _MONTH_NUMBERS for t in tokens)
    unknown: list[str] = []

    def once(attr: str, value: int, token: str) -> None:
        current = getattr(parts, attr)
        if current is not None and current != value:
            raise UserError(
                f"'{shown}' names two different dates. Give one, e.g. `10 Mar` or `next friday`.",
                usage=WHEN_USAGE,
            )
        setattr(parts, attr, value)

    for i, token in enumerate(tokens):
        prev = tokens[i - 1] if i else ""
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        ordinal = _ORDINAL.match(token)
        if token in _MONTH_NUMBERS:
            once("month", _MONTH_NUMBERS[token], token)
        elif token in _WEEKDAY_NUMBERS:
            once("weekday", _WEEKDAY_NUMBERS[token], token)
        elif token in _DAY_WORDS:
            once("day_word", _DAY_WORDS[token], token)
        elif token in _FILLER_WORDS or token in _AMOUNT_UNITS or token in (",", ".", "@"):
            parts.clock_amount = parts.clock_amount or token in _CLOCK_AMOUNT_WORDS
        elif token == "now":
            parts.clock_amount = True
        elif token == "day":
            pass
        elif ordinal or token.isdigit():
            n = int(ordinal.group(1) if ordinal else token)
            if token.isdigit() and (nxt in _AMOUNT_UNITS or prev == "in"):
                continue  # an amount: `in 3 days`, `2 weeks ago`
            if token.isdigit() and len(token) == 4:
                if 1900 <= n <= 2999:
                    once("year", n, token)
                    continue
                raise _not_a_number_part(token, shown, now_local)
            if (ordinal or has_month) and parts.day is None:
                if not 1 <= n <= 31:
                    raise UserError(
                        f"`{token}`{_where(token, shown)} is not a day of the month. "
                        f"{WHEN_EXAMPLES}",
                        usage=WHEN_USAGE,
                    )
                once("day", n, token)
                continue
            raise _not_a_number_part(token, shown, now_local)
        else:
            unknown.append(token)
    if unknown:
        read_something = has_clock or any(
            value is not None
            for value in (parts.month, parts.day, parts.year, parts.weekday, parts.day_word)
        )
        if not read_something:  # nothing here is a date: no one part to point at
            raise _unparseable(shown)
        raise UserError(
            f"I couldn't read `{unknown[0]}` in '{shown}'. {WHEN_EXAMPLES}", usage=WHEN_USAGE
        )
    return parts


def _check_stated(parts: _Parts, day: date, shown: str, today: date) -> None:
    """Refuse an answer that contradicts a day, month, year or weekday that was typed."""
    read = _fmt_day(datetime.combine(day, time()))
    wrong = (
        (parts.month is not None and day.month != parts.month)
        or (parts.day is not None and day.day != parts.day)
        or (parts.year is not None and day.year != parts.year)
    )
    relative_day = any(w in ("after", "before") for w in parts.words)
    if parts.day_word is not None and not relative_day:
        wrong = wrong or day != today + timedelta(days=parts.day_word)
    if wrong:
        raise UserError(
            f"'{shown}' names a date in more than one way (I'd read it as {read}). "
            "Give it once, e.g. `10 Mar`, `next friday` or `2027-03-10`.",
            usage=WHEN_USAGE,
        )
    if parts.weekday is not None and day.weekday() != parts.weekday:
        raise UserError(
            f"'{shown}': {read} is a {_WEEKDAY_NAMES_FULL[day.weekday()]}, not a "
            f"{_WEEKDAY_NAMES_FULL[parts.weekday]}. Check the date.",
            usage=WHEN_USAGE,
        )


def _rewrite_iso_dates(s: str, shown: str) -> str:
    """`2027-03-10 5pm` → `10 March 2027 5pm`: an ISO date beside other words."""

    def repl(m: re.Match[str]) -> str:
        try:
            day = date(int(m["y"]), int(m["m"]), int(m["d"]))
        except ValueError:
            raise UserError(
                f"`{m.group(0)}`{_where(m.group(0), shown)} is not a real date. {WHEN_EXAMPLES}",
                usage=WHEN_USAGE,
            ) from None
        return f" {day.day} {_MONTH_NAMES_FULL[day.month - 1]} {day.year} "

    return _ISO_DATE_IN_TEXT.sub(repl, s)


def _check_day_of_month(parts: _Parts, shown: str) -> None:
    if parts.month is None or parts.day is None:
        return
    try:
        date(parts.year or 2028, parts.month, parts.day)  # 2028: a leap year
    except ValueError:
        year = f" {parts.year}" if parts.year else ""
        raise UserError(
            f"'{shown}': {_MONTH_NAMES_FULL[parts.month - 1]}{year} has no day {parts.day}. "
            f"{WHEN_EXAMPLES}",
            usage=WHEN_USAGE,
        ) from None


def _parse_natural(s: str, shown: str, tz: ZoneInfo, now_local: datetime) -> When:
    s = _rewrite_iso_dates(s, shown)
    s = _rewrite_numeric_dates(s, shown, now_local)
    s = _EOD.sub(" 17:00 ", s)
    s = _TWELVE_NAMED.sub(lambda m: f" {m.group(1)} ", s)  # `12 noon` is `noon`
    s, zone = _pop_zone(s, shown)
    s, clock = _pop_clock(s, shown)
    parts = _read_parts(s, shown, now_local, has_clock=clock is not None)
    _check_day_of_month(parts, shown)
    words = ["tomorrow" if w in ("tmrw", "tmr") else w for w in parts.words]
    date_text = " ".join(words).replace(" ,", ",")
    today = now_local.date()
    if zone is not None:
        today = now_local.astimezone(zone).date()

    def instant(day: date, at: time) -> datetime:
        naive = datetime.combine(day, at)
        return naive.replace(tzinfo=zone) if zone is not None else wall_to_utc(naive, tz)

    def done(day: date, at: time, had_time: bool) -> When:
        if zone is not None:
            return _make_aware(instant(day, at), tz, had_time=had_time, text=shown)
        return _make(datetime.combine(day, at), tz, had_time=had_time, text=shown)

    if not date_text.strip(" ,.@"):
        if clock is None:
            raise _unparseable(shown)
        # Only a time of day (`5pm`, `noon`): the next time the clock shows it.
        day = today if instant(today, clock) > now_local else today + timedelta(days=1)
        return done(day, clock, True)

    if parts.clock_amount and clock is not None:
        raise UserError(
            f"'{shown}' gives both a time of day and an amount of time. Give one, e.g. "
            "`tomorrow 17:00` or `in 3 hours`.",
            usage=WHEN_USAGE,
        )
    try:
        parsed, period = _dateparser_parse(date_text, now_local)
    except UserError:
        raise
    except Exception:  # dateparser has many ways to fail on odd input
        raise _unparseable(shown) from None
    if parsed is None:
        raise _unparseable(shown)
    if period not in (None, "day", "time"):
        relative = re.match(r"^(?:in\s+)?(?:\d+|an?|one)\s", date_text, re.IGNORECASE) is not None
        if not relative:
            raise UserError(
                f"'{shown}' is not a specific day. Name one: `next friday`, `end of week`, "
                "`end of month`, `Mar 10` or `2027-03-10`.",
                usage=WHEN_USAGE,
            )
    if parsed.year > now_local.year + MAX_AHEAD_YEARS + 1:
        raise UserError(
            f"I read that as {parsed.year} — that is more than {MAX_AHEAD_YEARS} years away.",
            usage=WHEN_USAGE,
        )
    if parts.clock_amount:
        # `now`, `2 hours ago`: a moment relative to now, with its own time of day.
        _check_stated(parts, parsed.date(), shown, today)
        naive = parsed.replace(tzinfo=None, microsecond=0)
        return _make(naive, tz, had_time=True, text=shown)

    day = parsed.date()
    at = clock if clock is not None else DEFAULT_DUE_TIME

    # A weekday after "next" is never today (dateparser agrees today, but keep it so).
    if parts.weekday is not None and "next" in parts.words and day <= today:
        day += timedelta(days=7)

    # `Mar 10` without a year: the first one still ahead, this year or next. dateparser
    # prefers next year for today's date even when its 17:00 has not come yet.
    if parts.month is not None and parts.year is None:
        for year in (today.year, today.year + 1):
            try:
                candidate_day = day.replace(year=year)
            except ValueError:  # 29 February
                continue
            if instant(candidate_day, at) > now_local:
                day = candidate_day
                break

    _check_stated(parts, day, shown, today)
    return done(day, at, clock is not None)


def _check_range(when: When, now_local: datetime) -> None:
    if when.at <= now_local:
        raise UserError(
            f"I read that as {format_local(when.at, when.local.tzinfo or UTC)} — "
            f"that is in the past. {WHEN_EXAMPLES}",
            usage=WHEN_USAGE,
        )
    # Counted in local calendar days: the same date 5 years on is still fine.
    if when.at.astimezone(now_local.tzinfo).date() > _add_years(now_local, MAX_AHEAD_YEARS).date():
        raise UserError(
            f"I read that as {format_local(when.at, when.local.tzinfo or UTC)} — "
            f"that is more than {MAX_AHEAD_YEARS} years away.",
            usage=WHEN_USAGE,
        )


# --------------------------------------------------------------------------- durations

_DURATION_PART = re.compile(
    r"(?P<n>\d+)\s*(?P<unit>weeks?|wks?|w|days?|d|hours?|hrs?|h|minutes?|mins?|m)(?![a-z])",
    re.IGNORECASE,
)
_DURATION = re.compile(
    r"^(?:\d+\s*(?:weeks?|wks?|w|days?|d|hours?|hrs?|h|minutes?|mins?|m)(?![a-z])[\s,]*"
    r"(?:and\s+)?)+$",
    re.IGNORECASE,
)
DURATION_USAGE = "/outsource pause <duration>"
DURATION_EXAMPLES = "e.g. `3d`, `12h`, `90m`, `2w`, `1d12h` or `3 days`"


def parse_duration(text: str) -> timedelta:
    """`3d`, `12h`, `90m` (minutes), `2w`, `1d12h`, `3 days`, `1 day 12 hours`.

    Whole numbers only; `m` means minutes. Refused: empty, `forever`, zero,
    negative, months/years, more than 90 days.
    """
    s = " ".join(str(text).split())
    if not s:
        raise UserError(f"Say how long: {DURATION_EXAMPLES}.", usage=DURATION_USAGE)
    low = s.lower()
    if low in ("forever", "indefinitely", "always", "permanent", "permanently", "inf", "∞"):
        raise UserError(
            f"A pause needs an end, at most 90 days: {DURATION_EXAMPLES}. "
            "For a vendor you no longer work with, use `/outsource offboard`.",
            usage=DURATION_USAGE,
        )
    if low.startswith("-"):
        raise UserError(
            f"'{s}' is negative. Give a length of time: {DURATION_EXAMPLES}.",
            usage=DURATION_USAGE,
        )
    if re.search(r"\b(?:months?|mo|years?|yrs?|y)\b|\d(?:mo|y)\b", low):
        raise UserError(
            f"'{s}': months and years vary in length; give days or weeks (at most 90 days), "
            f"{DURATION_EXAMPLES}.",
            usage=DURATION_USAGE,
        )
    if len(s) > 60 or not _DURATION.match(s):
        raise UserError(
            f"I couldn't read '{s}' as a length of time. Use {DURATION_EXAMPLES}.",
            usage=DURATION_USAGE,
        )
    total = timedelta(0)
    for part in _DURATION_PART.finditer(s):
        n = int(part["n"])
        unit = part["unit"].lower()
        if n > 100_000:
            total = MAX_PAUSE * 2
            break
        if unit.startswith("w"):
            total += timedelta(weeks=n)
        elif unit.startswith("d"):
            total += timedelta(days=n)
        elif unit.startswith("h"):
            total += timedelta(hours=n)
        else:
            total += timedelta(minutes=n)
    if total <= timedelta(0):
        raise UserError(
            f"'{s}' is no time at all. Give a length of time: {DURATION_EXAMPLES}.",
            usage=DURATION_USAGE,
        )
    if total > MAX_PAUSE:
        raise UserError(
            f"'{s}' is longer than the 90 days a pause may last. {DURATION_EXAMPLES}.",
            usage=DURATION_USAGE,
        )
    return total


# --------------------------------------------------------------------------- clock times

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_clock_time(text: str) -> time:
    """A 24-hour `HH:MM` (or `H:MM`): `9:00`, `09:00`, `17:30`.

    Deliberately strict: `9`, `9am`, `25:00`, `9:5`, `24:00` are refused with the
    right form, so a check-in never lands twelve hours off.
    """
    s = str(text).strip()
    m = _CLOCK.match(s)
    if m:
        hour, minute = int(m.group(1)), int(m.group(2))
        if hour <= 23 and minute <= 59:
            return time(hour, minute)
        raise UserError(
            f"'{s}' is not a time of day: hours go 00–23 and minutes 00–59, "
            "e.g. `09:00` or `17:30`."
        )
    hint = ""
    if re.fullmatch(r"\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)", s, re.IGNORECASE):
        hint = " (I use the 24-hour clock: 9am is `09:00`, 5pm is `17:00`)"
    elif re.fullmatch(r"\d{1,2}", s):
        hint = f" (did you mean `{int(s):02d}:00`?)" if int(s) <= 23 else ""
    raise UserError(f"I couldn't read '{s}' as a time{hint}. Use 24-hour HH:MM, e.g. `09:00`.")


QUIET_USAGE = "/outsource quiet <HH:MM>-<HH:MM>"


def parse_quiet_hours(text: str) -> tuple[time, time]:
    """`19:00-08:00` → (19:00, 08:00). May wrap midnight; start == end is refused."""
    s = " ".join(str(text).split())
    parts = re.split(r"\s*(?:-|–|—|\bto\b)\s*", s, maxsplit=1)
    if len(parts) != 2 or not parts[0] or not parts[1]:
        raise UserError(
            f"I couldn't read '{s}' as quiet hours. Give start and end as 24-hour times, "
            "e.g. `19:00-08:00`.",
            usage=QUIET_USAGE,
        )
    try:
        start = parse_clock_time(parts[0])
        end = parse_clock_time(parts[1])
    except UserError as exc:
        if re.fullmatch(r"\d{1,2}", parts[0]) and parts[0] == parts[1]:
            message = f"'{s}' starts and ends at the same time, and times need minutes."
        else:
            message = exc.message
        raise UserError(
            f"{message} Quiet hours look like `19:00-08:00` (they may run past midnight).",
            usage=QUIET_USAGE,
        ) from None
    if start == end:
        raise UserError(
            f"Quiet hours '{s}' start and end at the same time. Give a span, "
            "e.g. `19:00-08:00` (it may run past midnight).",
            usage=QUIET_USAGE,
        )
    return start, end


# --------------------------------------------------------------------------- zones


_NOT_ZONES = frozenset({"Factory", "localtime", "posixrules", "posix/Factory"})


@cache
def _zone_names() -> dict[str, str]:
    """lower-case name → canonical spelling, for every zone the system knows."""
    import zoneinfo

    return {
        name.lower(): name
        for name in zoneinfo.available_timezones()
        if name not in _NOT_ZONES and not name.startswith(("posix/", "right/"))
    }


def resolve_zone(name: str) -> ZoneInfo:
    """An IANA zone by name; case-insensitive (`europe/berlin` works).

    Unknown names are refused with the closest known names (`Berlin` →
    `Europe/Berlin`).
    """
    s = str(name).strip()
    if not s:
        raise UserError("Give a timezone as an IANA name, e.g. `Europe/Berlin`.")
    names = _zone_names()
    key = s.lower()
    canonical = names.get(key) or names.get(key.replace(" ", "_"))
    if canonical is not None:
        try:
            return ZoneInfo(canonical)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    suggestions = _zone_suggestions(key, names)
    hint = " Did you mean " + ", ".join(f"`{n}`" for n in suggestions) + "?" if suggestions else ""
    raise UserError(
        f"I don't know the timezone '{s}'.{hint} Use an IANA name like `Europe/Berlin` "
        "or `America/New_York`."
    )


def _zone_suggestions(key: str, names: dict[str, str], n: int = 3) -> list[str]:
    key_ = key.replace(" ", "_")
    out: list[str] = []
    city = key_.rsplit("/", 1)[-1]
    # Same city, any region ("berlin", "asia/berlin").
    for low, canonical in sorted(names.items()):
        if low.rsplit("/", 1)[-1] == city and canonical not in out:
            out.append(canonical)
    for low in difflib.get_close_matches(key_, list(names), n=n, cutoff=0.6):
        if names[low] not in out:
            out.append(names[low])
    if len(out) < n:
        cities: dict[str, list[str]] = {}
        for low, canonical in names.items():
            if "/" in low:
                cities.setdefault(low.rsplit("/", 1)[-1], []).append(canonical)
        for c in difflib.get_close_matches(city, list(cities), n=n, cutoff=0.75):
            for canonical in sorted(cities[c]):
                if canonical not in out:
                    out.append(canonical)
    return out[:n]
