"""Business time and recurring cadences, in a vendor's timezone and holiday region.

Pure logic, no Slack and no database. DST comes from zoneinfo, public holidays from
the `holidays` package (by country, or by ISO 3166-2 region such as `GB-ENG`), recurring
fire times from APScheduler's CronTrigger — none of it is computed by hand. Every instant
returned is timezone-aware UTC.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays
from apscheduler.triggers.cron import CronTrigger

from bot.errors import UserError
from bot.time.timeparse import format_day, wall_to_utc

__all__ = [
    "DEFAULT_SUBDIVISIONS",
    "BusinessCalendar",
    "Cadence",
    "Region",
    "day_off_note",
    "describe_region",
    "holiday_names",
    "holiday_region",
    "in_quiet_hours",
    "local_day_bounds",
    "parse_days",
    "public_holidays",
    "quiet_hours_end",
    "resolve_region",
]

# A search that finds nothing in this many days is a bug, not a long weekend.
_MAX_SCAN_DAYS = 366 * 3


def _require_aware(*values: datetime) -> None:
    for value in values:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("aware datetimes only")


# --------------------------------------------------------------------------- holiday regions

DEFAULT_SUBDIVISIONS: dict[str, str] = {
    "AU": "NSW",
    "CA": "ON",
    "CH": "ZH",
    "ES": "MD",
    "GB": "ENG",
    "MY": "14",
}
"""The region whose holidays a bare country code means, where the national list is not
what most people there observe.

Checked against the `holidays` package for 2027: for every country with subdivisions, the
holidays kept by at least half of its regions but missing from its national list.

code  national list                         default            why
----  ------------------------------------  -----------------  ------------------------------
GB    8 days: no Easter Monday, no          ENG England        England and Wales (~89 % of
      August bank holiday                                      people) keep both
CH    4 days                                ZH Zürich          Good Friday, Easter Monday,
                                                               Whit Monday, St Stephen's kept
                                                               almost everywhere; largest
CA    6 days: no Victoria Day, no           ON Ontario         kept by nearly every province;
      Thanksgiving                                             largest province
AU    7 days: no King's Birthday            NSW New South      June King's Birthday kept by
                                            Wales              6 of 8 states; largest state
ES    9 days: no Maundy Thursday            MD Madrid          kept by 17 of 19 communities
MY    15 days: no Deepavali, no New         14 Kuala Lumpur    Deepavali kept in 15 of 16
      Year's Day                                               states
DE    9 nationwide days                     national           Corpus Christi, Reformation
                                                               Day … differ; no state typical
US    federal holidays                      national           what businesses observe
IN    18 days (central government list)     national           states add their own; none is
                                                               typical
other                                       national           the national list is what is
                                                               observed (or regions split
                                                               evenly, as in BA)

Every registration reply says which region's holidays apply and how to choose another.
"""

_SUBDIVISION_CODE = re.compile(r"^[A-Z0-9]{1,3}$")  # ISO 3166-2 shape; skips "NSW Western"


@dataclass(frozen=True)
class Region:
    """Where a vendor's public holidays come from: a country, or one of its regions."""

    country: str  # ISO 3166-1 alpha-2
    subdivision: str | None  # ISO 3166-2 part after the dash
    country_name: str
    subdivision_name: str | None
    defaulted: bool = False  # chosen for a bare country code (DEFAULT_SUBDIVISIONS)

    @property
    def code(self) -> str:
        """What is stored and shown: `GB-ENG`, `DE`."""
        return f"{self.country}-{self.subdivision}" if self.subdivision else self.country

    @property
    def place(self) -> str:
        """`England`, `Germany`: for "… is a weekend day in Germany"."""
        return self.subdivision_name or self.country_name

    def other_subdivisions(self) -> list[str]:
        return [s for s in _subdivisions(self.country) if s != self.subdivision]


@cache
def _countries() -> tuple[dict[str, str], dict[str, str]]:
    """(alpha-2 code → display name, lookup key → alpha-2 code) from the holidays package.

    Lookup keys are lower-case alpha-2 codes, alpha-3 codes, aliases and names.
    """
    from holidays.registry import COUNTRIES

    supported = set(holidays.list_supported_countries())
    names: dict[str, str] = {}
    lookup: dict[str, str] = {}
    for key, entry in COUNTRIES.items():
        codes = [c for c in entry[1:] if isinstance(c, str) and not c.startswith("Holidays")]
        if not codes or len(codes[0]) != 2 or codes[0] not in supported:
            continue
        alpha2 = codes[0]
        display = key.replace("_", " ").title()
        names[alpha2] = display
        for code in codes:
            lookup.setdefault(code.lower(), alpha2)
        lookup.setdefault(key.replace("_", " "), alpha2)
        lookup.setdefault(entry[0].lower(), alpha2)
    return names, lookup


@cache
def _subdivisions(country: str) -> tuple[str, ...]:
    """The ISO-shaped subdivision codes `holidays` has for `country` (`ENG`, `CA`, `14`)."""
    entity = holidays.country_holidays(country)
    return tuple(s for s in entity.subdivisions if _SUBDIVISION_CODE.match(s))


@cache
def _subdivision_names(country: str) -> dict[str, str]:
    """Subdivision code → its first (fullest) name, e.g. `ENG` → `England`."""
    entity = holidays.country_holidays(country)
    names: dict[str, str] = {}
    for alias, code in getattr(entity, "subdivisions_aliases", {}).items():
        if code in _subdivisions(country):
            names.setdefault(code, alias)
    return names


@cache
def _subdivision_lookup(country: str) -> dict[str, str]:
    """lower-case code or name → subdivision code (`england` → `ENG`, `kul` → `14`)."""
    entity = holidays.country_holidays(country)
    subs = _subdivisions(country)
    lookup = {s.lower(): s for s in subs}
    for alias, code in getattr(entity, "subdivisions_aliases", {}).items():
        if code in subs:
            lookup.setdefault(alias.lower(), code)
    return lookup


_COUNTRY_ALIASES = {"UK": "GB"}


def _region(country: str, subdivision: str | None, *, defaulted: bool = False) -> Region:
    names, _ = _countries()
    sub_name = _subdivision_names(country).get(subdivision) if subdivision else None
    return Region(country, subdivision, names.get(country, country), sub_name, defaulted)


def holiday_region(code: str) -> Region:
    """The region of a stored country code: `GB-ENG` as is, `GB` → its default region.

    Raises NotImplementedError for a code the holidays package does not know (stored before
    it was checked), as `holidays` itself does.
    """
    country, _, sub = code.strip().upper().partition("-")
    country = _COUNTRY_ALIASES.get(country, country)
    if country not in _countries()[0]:
        raise NotImplementedError(f"no public holidays for {code!r}")
    if sub:
        if sub not in _subdivisions(country):
            raise NotImplementedError(f"no public holidays for {code!r}")
        return _region(country, sub)
    default = DEFAULT_SUBDIVISIONS.get(country)
    return _region(country, default, defaulted=default is not None)


COUNTRY_FORMS = "a two-letter ISO code (`DE`, `US`, `IN`) or a region (`GB-ENG`, `US-CA`, `IN-KA`)"


def resolve_region(text: str) -> Region:
    """What a person typed as a vendor's country → its holiday region, or a UserError.

    `de` → DE; `UK`/`GB` → GB-ENG (DEFAULT_SUBDIVISIONS); `gb-sct` → GB-SCT; `US-California`
    → US-CA (names the `holidays` package knows are accepted). Unknown countries and regions
    are refused with what they probably meant.
    """
    s = str(text).strip()
    if not s:
        raise UserError(f"Give a country as {COUNTRY_FORMS}.")
    head, dash, tail = s.partition("-")
    country = _resolve_country_part(head.strip() if dash else s)
    if not dash:
        return holiday_region(country)
    tail = tail.strip()
    lookup = _subdivision_lookup(country)
    sub = lookup.get(tail.lower())
    if sub is not None:
        return _region(country, sub)
    names = _subdivision_names(country)
    subs = _subdivisions(country)
    if not subs:
        raise UserError(
            f"I have no regional holidays for {_countries()[0][country]}: use `{country}`."
        )
    guesses: list[str] = []
    for key in difflib.get_close_matches(tail.lower(), list(lookup), n=5, cutoff=0.6):
        if lookup[key] not in guesses:
            guesses.append(lookup[key])
    hint = (
        " Did you mean "
        + ", ".join(
            f"`{country}-{g}`" + (f" ({names[g]})" if g in names else "") for g in guesses[:3]
        )
        + "?"
        if guesses
        else ""
    )
    raise UserError(
        f"I don't know the region '{s}'.{hint} Regions of {_countries()[0][country]}: "
        f"{_list_codes(country, subs)}."
    )


def _list_codes(country: str, subs: tuple[str, ...] | list[str], limit: int = 12) -> str:
    shown = ", ".join(f"`{country}-{s}`" for s in subs[:limit])
    return shown + (f" and {len(subs) - limit} more" if len(subs) > limit else "")


def _resolve_country_part(s: str) -> str:
    names, lookup = _countries()
    upper = _COUNTRY_ALIASES.get(s.upper(), s.upper())
    if len(upper) == 2 and upper in names:
        return upper
    suggestions: list[str] = []
    direct = lookup.get(s.lower())
    if direct:
        suggestions.append(direct)
    for key in difflib.get_close_matches(s.lower(), list(lookup), n=5, cutoff=0.7):
        if lookup[key] not in suggestions:
            suggestions.append(lookup[key])
    suggestions = suggestions[:3]
    hint = (
        " Did you mean " + ", ".join(f"`{c}` ({names[c]})" for c in suggestions) + "?"
        if suggestions
        else ""
    )
    raise UserError(
        f"I don't know the country code '{s}' (or have no public holidays for it).{hint} "
        f"Use {COUNTRY_FORMS}."
    )


def describe_region(region: Region) -> tuple[str, str | None]:
    """For a registration reply: (whose holidays count, another code to show how to choose).

    `England, United Kingdom (`GB-ENG`) — the default for `GB`; other regions: `GB-NIR`, …`;
    `Germany (`DE`), nationwide holidays only; regions: `DE-BB`, … and 8 more`.
    """
    code = f"`{region.code}`"
    if region.subdivision:
        text = f"{region.place}, {region.country_name} ({code})"
        others = region.other_subdivisions()
        if region.defaulted and others:
            text += (
                f" — the default for `{region.country}`; other regions: "
                f"{_list_codes(region.country, others, limit=8)}"
            )
            return text, f"{region.country}-{others[0]}"
        return text, None
    subs = _subdivisions(region.country)
    text = f"{region.country_name} ({code})"
    if subs:
        text += f", nationwide holidays only; regions: {_list_codes(region.country, subs, limit=8)}"
        return text, f"{region.country}-{subs[0]}"
    return text, None


# --------------------------------------------------------------------------- days off


@lru_cache(maxsize=1024)
def holiday_names(code: str, year: int) -> Mapping[date, str]:
    """The public holidays of a country or region code (`DE`, `GB-ENG`) in `year`, by date.

    From `holidays`, in English. Cached per (code, year): a year's holidays do not depend on
    the current time.
    """
    region = holiday_region(code)
    entity = holidays.country_holidays(region.country)
    language = "en_US" if "en_US" in (entity.supported_languages or ()) else None
    table = holidays.country_holidays(
        region.country, subdiv=region.subdivision, years=year, language=language
    )
    return MappingProxyType(dict(table.items()))


def public_holidays(code: str, year: int) -> frozenset[date]:
    """The dates of `holiday_names(code, year)`."""
    return _holiday_dates(code.upper(), year)


@lru_cache(maxsize=1024)
def _holiday_dates(code: str, year: int) -> frozenset[date]:
    return frozenset(holiday_names(code, year))


def day_off_note(at: datetime, tz: ZoneInfo, country: str | None) -> str | None:
    """Why `at` is not a working day for a vendor in `tz`/`country`, or None if it is one.

    `Sat 13 Mar is a weekend day in Germany.` / `Mon 29 Mar is Easter Monday in England.`
    """
    _require_aware(at)
    day = at.astimezone(tz).date()
    region: Region | None = None
    if country:
        try:
            region = holiday_region(country)
        except NotImplementedError:
            region = None
    where = f" in {region.place}" if region is not None else ""
    shown = format_day(day, year=False)
    if region is not None:
        name = holiday_names(region.code, day.year).get(day)
        if name:
            return f"{shown} is {name}{where}."
    if day.weekday() >= 5:
        return f"{shown} is a weekend day{where}."
    return None


# --------------------------------------------------------------------------- business time


class BusinessCalendar:
    """Working time of one vendor: Mon–Fri, `start`–`end` local time, minus the public
    holidays of its country or region (`country`: `DE`, `GB-ENG`, `US-CA`).

    Business windows are computed per local calendar day through zoneinfo, so a day
    on which the clocks change still counts its real elapsed working time.
    """

    def __init__(
        self,
        tz: ZoneInfo,
        country: str | None,
        start: time = time(9),
        end: time = time(17),
    ) -> None:
        if start >= end:
            raise ValueError("business hours must start before they end on the same day")
        self.tz = tz
        # Fails early on an unsupported country or region (NotImplementedError). A bare
        # country code means its default region (DEFAULT_SUBDIVISIONS: `GB` → `GB-ENG`).
        self.region = holiday_region(country) if country else None
        self.country = self.region.code if self.region is not None else None
        self.start = start
        self.end = end
        self._windows: dict[date, tuple[datetime, datetime] | None] = {}

    def __repr__(self) -> str:
        return (
            f"BusinessCalendar({self.tz!s}, {self.country!r}, {self.start:%H:%M}-{self.end:%H:%M})"
        )

    def is_holiday(self, d: date) -> bool:
        return self.country is not None and d in public_holidays(self.country, d.year)

    def is_business_day(self, d: date) -> bool:
        """Mon–Fri and not a public holiday of the country."""
        return d.weekday() < 5 and not self.is_holiday(d)

    def window(self, d: date) -> tuple[datetime, datetime] | None:
        """The business window of local day `d` as UTC instants, or None on a day off."""
        try:
            return self._windows[d]
        except KeyError:
            pass
        result: tuple[datetime, datetime] | None = None
        if self.is_business_day(d):
            result = (
                wall_to_utc(datetime.combine(d, self.start), self.tz),
                wall_to_utc(datetime.combine(d, self.end), self.tz),
            )
        if len(self._windows) > 20_000:
            self._windows.clear()
        self._windows[d] = result
        return result

    def business_seconds_between(self, a: datetime, b: datetime) -> float:
        """Business seconds in [a, b]. 0.0 when b <= a (never negative)."""
        _require_aware(a, b)
        if b <= a:
            return 0.0
        a_utc, b_utc = a.astimezone(UTC), b.astimezone(UTC)
        d = a_utc.astimezone(self.tz).date()
        last = b_utc.astimezone(self.tz).date()
        total = timedelta(0)
        while d <= last:
            w = self.window(d)
            if w is not None:
                lo = max(w[0], a_utc)
                hi = min(w[1], b_utc)
                if hi > lo:
                    total += hi - lo
            d += timedelta(days=1)
        return total.total_seconds()

    def add_business_hours(self, start: datetime, hours: float) -> datetime:
        """The instant after `hours` business hours have elapsed from `start` (UTC).

        Lands exactly on the end of a window when the hours run out there (17:00,
        not 09:00 the next business day). `hours == 0` returns `start` itself.
        """
        _require_aware(start)
        if hours < 0:
            raise ValueError("hours must be >= 0")
        remaining = timedelta(hours=hours)
        cursor = start.astimezone(UTC)
        if not remaining:
            return cursor
        d = cursor.astimezone(self.tz).date()
        for _ in range(int(hours / 4) + _MAX_SCAN_DAYS):
            w = self.window(d)
            if w is not None:
                lo = max(w[0], cursor)
                if w[1] > lo:
                    available = w[1] - lo
                    if remaining <= available:
                        return lo + remaining
                    remaining -= available
            d += timedelta(days=1)
        raise ValueError("no business time found; check the calendar")  # pragma: no cover

    def add_business_days(self, start: datetime, days: float) -> datetime:
        """`days` working days of business time after `start` (UTC).

        One business day is the length of one working day (8 h for 09:00–17:00), so
        Tue 10:00 + 1 → Wed 10:00, Fri 16:00 + 1 → Mon 16:00 (weekend and holidays
        skipped), and Sat 12:00 + 1 → Mon 17:00.
        """
        hours_per_day = (
            datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)
        ).total_seconds() / 3600
        return self.add_business_hours(start, days * hours_per_day)

    def next_business_moment(self, at: datetime) -> datetime:
        """`at` itself when inside business hours, else the start of the next window."""
        _require_aware(at)
        cursor = at.astimezone(UTC)
        d = cursor.astimezone(self.tz).date()
        for _ in range(_MAX_SCAN_DAYS):
            w = self.window(d)
            if w is not None and w[1] > cursor:
                return max(w[0], cursor)
            d += timedelta(days=1)
        raise ValueError("no business time found; check the calendar")  # pragma: no cover


# --------------------------------------------------------------------------- cadences

_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_ALIASES = {
    "mon": 0,
    "monday": 0,
    "tue": 1,
    "tues": 1,
    "tuesday": 1,
    "wed": 2,
    "weds": 2,
    "wednesday": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "thursday": 3,
    "fri": 4,
    "friday": 4,
    "sat": 5,
    "saturday": 5,
    "sun": 6,
    "sunday": 6,
}
_EVERY_WORKDAY = frozenset(
    {
        "daily",
        "weekdays",
        "weekday",
        "workdays",
        "workday",
        "everyday",
        "every day",
        "business days",
    }
)
CHECKIN_USAGE = "/outsource checkin every <days> <HH:MM> [<IANA zone>]"
_DAYS_FORMS = "`mon,thu`, `tue`, `mon-fri`, `weekdays` or `daily`"


def parse_days(spec: str) -> str:
    """A check-in day spec → a CronTrigger `day_of_week` expression.

    `mon,thu` → `mon,thu`; `weekdays`/`daily`/`mon-fri` → `mon-fri`; `Tuesday` →
    `tue`; `mon-wed,fri` → `mon,tue,wed,fri`. Idempotent, so its output can be
    stored and parsed again. Check-ins never happen on weekends, so `daily` means
    every working day and naming `sat`/`sun` is refused.
    """
    s = " ".join(str(spec).lower().split())
    if not s:
        raise UserError(f"Say which days: {_DAYS_FORMS}.", usage=CHECKIN_USAGE)
    if s in _EVERY_WORKDAY:
        return "mon-fri"
    days: set[int] = set()
    for raw in re.split(r"\s*,\s*|\s+", s):
        if not raw:
            continue
        if raw in ("weekend", "weekends"):
            raise _weekend_error(s)
        if raw in _EVERY_WORKDAY:
            days.update(range(5))
            continue
        bounds = raw.split("-")
        if len(bounds) == 1 and raw in _DAY_ALIASES:
            days.add(_DAY_ALIASES[raw])
        elif len(bounds) == 2 and all(b in _DAY_ALIASES for b in bounds):
            first, last = _DAY_ALIASES[bounds[0]], _DAY_ALIASES[bounds[1]]
            if last < first:
                raise UserError(
                    f"'{raw}' runs backwards through the weekend. Check-ins are on working "
                    f"days only: {_DAYS_FORMS}.",
                    usage=CHECKIN_USAGE,
                )
            days.update(range(first, last + 1))
        else:
            raise UserError(
                f"I don't know the day '{raw}'. Use day names like {_DAYS_FORMS}.",
                usage=CHECKIN_USAGE,
            )
    if days & {5, 6}:
        raise _weekend_error(s)
    if not days:
        raise UserError(f"Say which days: {_DAYS_FORMS}.", usage=CHECKIN_USAGE)
    if days == set(range(5)):
        return "mon-fri"
    return ",".join(_DAY_NAMES[d] for d in sorted(days))


def _weekend_error(spec: str) -> UserError:
    return UserError(
        f"'{spec}' includes a weekend day; check-ins skip weekends and public holidays. "
        f"Use working days: {_DAYS_FORMS}.",
        usage=CHECKIN_USAGE,
    )


class Cadence:
    """A check-in schedule: `days` at wall-clock `at` in `tz`, skipping public holidays.

    Fire times come from APScheduler's CronTrigger (wall-clock across DST). A fire
    time on a public holiday of `country` (or, defensively, a weekend) is skipped,
    not moved. On the night the clocks go back, a time that happens twice fires
    once, at the first.
    """

    def __init__(self, days: str, at: time, tz: ZoneInfo, country: str | None) -> None:
        self.days = parse_days(days)
        self.at = at.replace(tzinfo=None, microsecond=0)
        self.tz = tz
        self.country = country.upper() if country else None
        self._calendar = BusinessCalendar(tz, self.country)
        self._trigger = CronTrigger(
            day_of_week=self.days,
            hour=self.at.hour,
            minute=self.at.minute,
            second=self.at.second,
            timezone=tz,
        )

    def __repr__(self) -> str:
        return f"Cadence({self.days!r}, {self.at:%H:%M}, {self.tz!s}, {self.country!r})"

    def _weekdays(self) -> frozenset[int]:
        if self.days == "mon-fri":
            return frozenset(range(5))
        return frozenset(_DAY_NAMES.index(name) for name in self.days.split(","))

    def _fix_gap(self, previous: datetime, fire: datetime) -> datetime:
        """Correct CronTrigger around a DST gap (a wall-clock time the clocks skip).

        CronTrigger either returns the skipped time with the old offset (02:30 in
        Berlin → 03:30 CEST) or drops that day altogether (00:30 in Cairo when the
        clocks jump at midnight). Both become the instant the clocks jump, which is
        the first moment the wall clock reads `at` or later.
        """
        fire_local = fire.astimezone(UTC).astimezone(self.tz)  # via UTC: normalizes gaps
        day = previous.astimezone(self.tz).date()
        weekdays = self._weekdays()
        while day < fire_local.date():
            if day.weekday() in weekdays:
                naive = datetime.combine(day, self.at)
                candidate = wall_to_utc(naive, self.tz)
                skipped = candidate.astimezone(self.tz).replace(tzinfo=None) != naive
                if skipped and candidate > previous:
                    return candidate
            day += timedelta(days=1)
        naive_fire = fire.replace(tzinfo=None)
        if fire_local.replace(tzinfo=None) != naive_fire:
            return wall_to_utc(naive_fire, self.tz)
        return fire

    def _skip(self, fire: datetime) -> bool:
        local = fire.astimezone(UTC).astimezone(self.tz)
        if local.fold == 1:  # the second pass through a repeated wall-clock time
            return True
        return not self._calendar.is_business_day(local.date())

    def next_after(self, after: datetime) -> datetime:
        """The first occurrence strictly after `after` (aware UTC)."""
        _require_aware(after)
        previous = after.astimezone(self.tz)
        for _ in range(_MAX_SCAN_DAYS):
            # previous == now makes CronTrigger start one microsecond later: strictly after.
            fire = self._trigger.get_next_fire_time(previous, previous)
            if fire is None:  # pragma: no cover - a cron without end always has a next
                break
            fire = self._fix_gap(previous, fire)
            if not self._skip(fire):
                return fire.astimezone(UTC)
            previous = fire
        raise ValueError(f"{self!r} never fires")  # pragma: no cover

    def occurrences_between(self, a: datetime, b: datetime) -> list[datetime]:
        """Every occurrence t with a <= t <= b, in order (aware UTC)."""
        _require_aware(a, b)
        out: list[datetime] = []
        if b < a:
            return out
        end = b.astimezone(UTC)
        t = self.next_after(a.astimezone(UTC) - timedelta(microseconds=1))
        while t <= end:
            out.append(t)
            t = self.next_after(t)
        return out

    def latest_at_or_before(self, at: datetime) -> datetime | None:
        """The most recent occurrence <= `at` (what a sweep at `at` should have sent).

        None only if there was none in the preceding year, which real calendars
        never produce.
        """
        _require_aware(at)
        for lookback in (timedelta(days=8), timedelta(days=40), timedelta(days=370)):
            found = self.occurrences_between(at - lookback, at)
            if found:
                return found[-1]
        return None


# --------------------------------------------------------------------------- local days


def local_day_bounds(at: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of the local calendar day containing `at`, as UTC instants.

    23 or 25 hours long on DST change days; a day whose midnight is skipped starts
    when the clocks jump.
    """
    _require_aware(at)
    d = at.astimezone(tz).date()
    start = wall_to_utc(datetime.combine(d, time(0)), tz)
    end = wall_to_utc(datetime.combine(d + timedelta(days=1), time(0)), tz)
    return start, end


def in_quiet_hours(at: datetime, tz: ZoneInfo, start: time, end: time) -> bool:
    """Is the local wall-clock time of `at` within [start, end)? Wraps midnight when
    start > end (`19:00-08:00`); start == end means no quiet hours."""
    _require_aware(at)
    t = at.astimezone(tz).time().replace(tzinfo=None)
    start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
    if start == end:
        return False
    if start < end:
        return start <= t < end
    return t >= start or t < end


def quiet_hours_end(at: datetime, tz: ZoneInfo, start: time, end: time) -> datetime:
    """When the quiet hours containing `at` end (aware UTC); `at` itself if not quiet.

    The end is the first instant the local wall clock reads `end` or later, so an
    end time inside a DST gap ends when the clocks jump.
    """
    _require_aware(at)
    at_utc = at.astimezone(UTC)
    if not in_quiet_hours(at, tz, start, end):
        return at_utc
    local = at.astimezone(tz)
    end = end.replace(tzinfo=None)
    day = local.date()
    if start.replace(tzinfo=None) > end and local.time().replace(tzinfo=None) >= end:
        day += timedelta(days=1)  # evening part of a span that runs past midnight
    naive_end = datetime.combine(day, end)
    result = wall_to_utc(naive_end, tz)
    if result <= at_utc:
        # `at` is in the second pass of a repeated hour (clocks went back): the end is
        # the second time the wall clock shows `end`.
        result = naive_end.replace(tzinfo=tz, fold=1).astimezone(UTC)
    return max(result, at_utc)
