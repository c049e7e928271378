"""Due dates: the date phrase of an action item, resolved relative to the call.

dateparser reads the natural-language parts (weekdays, "Mar 10", "in 2 weeks"), cached;
the rest ("EOD", "end of month", "next week", business days) is computed here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import dateparser

from bot.text.extraction.context import Context
from bot.text.extraction.date_phrases import (
    ATOM_GAP_RE,
    MONTH_NAMES,
    MONTHS,
    WD_WORD,
    WEEKDAY_NAMES,
    WEEKDAYS,
    WORD_NUMBERS,
    ZONE_WORDS,
    date_atoms,
    past_before,
    prep_before,
)

DEFAULT_DUE_TIME = time(17, 0)


_DATE_TIME_KINDS = {"clock", "pod", "eod"}


@dataclass
class _Atom:
    kind: str
    start: int
    end: int
    m: re.Match[str]
    prep: str | None = None  # "dl" (deadline: by/before/until...) or "nt" (on/at/in...)


def find_due(text: str, ctx: Context) -> tuple[datetime | None, str, bool] | None:
    """The due date of an action item: (due_at UTC or None, due_text, sure)."""
    atoms: list[_Atom] = []
    for m in date_atoms(text):
        kind = m.lastgroup or ""  # the outer group of an alternative closes last
        before = text[max(0, m.start() - 40) : m.start()]
        if past_before(text, m.start()) or text[m.end() : m.end() + 5].lower() == " ago":
            continue
        pb = prep_before(text, m.start())
        prep = pb[0] if pb else None
        if kind == "num":
            if m.group("num_sep") == "." and not (m.group("num_y") or m.group("num_dot")):
                continue
            if prep is None and not re.search(r"(?i)\b(?:" + WD_WORD + r")\W*$", before):
                continue
        if kind == "wd":
            word = m.group("wd_d").lower()
            if m.group("wd_s") and m.group("wd_s").lower() == "s":
                continue  # "Thursdays": a recurring day, not a date
            if re.search(r"(?i)\b(?:the|a|every|each|weekly|biweekly|on\s+the)\s*$", before):
                continue
            if word not in WEEKDAY_NAMES and word not in (
                "montag",
                "dienstag",
                "mittwoch",
                "donnerstag",
                "freitag",
                "samstag",
                "sonntag",
            ):
                tail = text[m.end() :].strip(" .!)")
                if (
                    prep is None
                    and not m.group("wd_mod")
                    and tail
                    and not before.rstrip().endswith(",")
                ):
                    continue
        if kind == "vague":
            v = m.group(0).lower()
            month_word = v.split()[-1] in MONTHS
            if (
                prep != "dl"
                and not month_word
                and not v.startswith(("asap", "a.s.a.p", "as soon", "soon", "shortly"))
            ):
                continue
        atoms.append(_Atom(kind, m.start(), m.end(), m, prep))
    if not atoms:
        return None
    # Group adjacent atoms into phrases ("EOD tomorrow", "Thursday at 10am").
    phrases: list[list[_Atom]] = []
    for a in atoms:
        if phrases and ATOM_GAP_RE.match(text[phrases[-1][-1].end : a.start]):
            phrases[-1].append(a)
        else:
            phrases.append([a])
    candidates: list[tuple[int, int, datetime | None, str, bool]] = []
    for idx, ph in enumerate(phrases):
        if all(a.kind == "pod" for a in ph):
            continue
        if all(a.kind in ("clock", "pod") for a in ph) and ph[0].prep is None:
            continue
        start = ph[0].start
        pb = prep_before(text, start)
        if pb is not None:
            start = pb[1]
        due_text = text[start : ph[-1].end].strip(" ,")
        resolved, sure = _resolve_phrase(ph, ctx)
        score = (2 if ph[0].prep == "dl" else 0) + (1 if resolved is not None else 0)
        candidates.append((score, -idx, resolved, due_text, sure))
    if not candidates:
        return None
    candidates.sort(key=lambda c: (c[0], c[1]), reverse=True)
    best = candidates[0]
    _, _, local, due_text, sure = best
    others = [c for c in candidates[1:] if c[0] == best[0] and c[2] is not None and c[2] != local]
    if others:
        sure = False
    if local is None:
        return None, due_text, False
    due_at = local.replace(tzinfo=ctx.tz).astimezone(UTC)
    if local.date() < ctx.call_local.date() or local > ctx.call_local + timedelta(days=366):
        sure = False
    return due_at, due_text, sure


def _resolve_phrase(atoms: list[_Atom], ctx: Context) -> tuple[datetime | None, bool]:
    """A phrase of atoms → local naive datetime, or None when it names no date; a time
    written with a zone ("5pmET") is converted to the call's zone."""
    local, sure, zone = _resolve_in_zone(atoms, ctx)
    if local is not None and zone is not None and zone.key != ctx.tz.key:
        local = local.replace(tzinfo=zone).astimezone(ctx.tz).replace(tzinfo=None)
    return local, sure


def _resolve_in_zone(
    atoms: list[_Atom], ctx: Context
) -> tuple[datetime | None, bool, ZoneInfo | None]:
    base = ctx.call_local
    sure = True
    tod: time | None = None
    day: date | None = None
    date_atoms = [a for a in atoms if a.kind not in _DATE_TIME_KINDS]
    zone: ZoneInfo | None = None  # "5pmET": the time is in that zone, not the call's
    for a in atoms:
        if a.kind == "clock":
            tod = _parse_clock(a.m.group(0))
            written = (a.m.group("zone") or a.m.group("zone2") or "").lower()
            if written and tod is not None and zone is None:
                zone = ZoneInfo(ZONE_WORDS[written])
        elif a.kind == "pod" and tod is None:
            tod = {
                "morning": time(9, 0),
                "afternoon": time(15, 0),
                "evening": time(19, 0),
                "night": time(20, 0),
            }.get(a.m.group(0).lower())
        elif a.kind == "eod" and tod is None:
            tod = DEFAULT_DUE_TIME
    if zone is not None:  # the call's time as the clock in that zone showed it
        base = ctx.call_local.replace(tzinfo=ctx.tz).astimezone(zone).replace(tzinfo=None)
    if not date_atoms:
        if any(a.kind == "eod" for a in atoms):
            day = base.date()
        elif tod is not None:
            # A time alone is the call's day; one already past is kept but unsure (notes
            # rarely say when the call ended, and "by 5pm" means that day's 5pm).
            day = base.date()
            if datetime.combine(day, tod) <= base:
                sure = False
        else:
            return None, False, None
        return datetime.combine(day, tod or DEFAULT_DUE_TIME), sure, zone
    # The most specific date atom wins ("Saturday 23 March" → 23 March).
    rank = {"iso": 0, "md": 1, "dm": 1, "wom": 1, "num": 2, "wd": 3}
    a = min(date_atoms, key=lambda x: rank.get(x.kind, 4))
    m = a.m
    k = a.kind
    text = m.group(0).lower()
    if k == "iso":
        try:
            day = date.fromisoformat(m.group("iso")[:10])
        except ValueError:
            return None, False, None
        if m.group("iso_t"):
            tod = _parse_clock(m.group("iso_t"))
    elif k == "num":
        day, sure_num = _numeric_date(m, ctx)
        sure = sure and sure_num
    elif k in ("md", "dm"):
        mon = MONTHS.get((m.group(k + "_m") or "").lower().rstrip("."), 0)
        dnum = int(re.sub(r"\D", "", m.group(k + "_d")) or 0)
        yr = m.group(k + "_y")
        phrase = f"{MONTH_NAMES[mon - 1]} {dnum}" + (f" {re.sub(r'[^0-9]', '', yr)}" if yr else "")
        parsed = dateparser_parse(phrase, base, ctx.date_order) if mon else None
        if parsed is None:
            return None, False, None
        day = parsed.date()
        if not yr and day.year > base.year:
            sure = False  # "by Mar 1" said on Mar 6: next year, or a typo?
    elif k == "wd":
        word = m.group("wd_d").lower()
        name = WEEKDAY_NAMES[WEEKDAYS[word]]
        mod = (m.group("wd_mod") or "").lower()
        if mod in ("next", "nächsten", "nächster", "the following"):
            phrase = "next " + name
            sure = False
        elif mod in ("this", "this coming", "coming", "kommenden", "diesen"):
            phrase = "this " + name if WEEKDAYS[word] >= base.weekday() else name
        else:
            phrase = name
            if WEEKDAYS[word] == base.weekday():
                sure = False  # "by Friday" said on a Friday: today or next week?
        parsed = dateparser_parse(phrase, base, ctx.date_order)
        if parsed is None:
            return None, False, None
        day = parsed.date()
    elif k == "today":
        day = base.date()
        if "tonight" in text and tod is None:
            tod = time(20, 0)
    elif k == "tomorrow":
        if "after" in text or "übermorgen" in text:
            day = base.date() + timedelta(days=2)
        else:
            parsed = dateparser_parse("tomorrow", base, ctx.date_order)
            day = parsed.date() if parsed else base.date() + timedelta(days=1)
    elif k == "eow":
        day = _friday_on_or_after(base.date())
        if "later" in text:
            sure = False
    elif k == "nw":
        monday = base.date() + timedelta(days=7 - base.weekday())
        mod = (m.group("nw_mod") or "").lower()
        if mod.startswith(("early", "beginning", "the beginning", "start", "the start")):
            day = monday
            sure = not mod.startswith("early")
        elif mod.startswith("mid"):
            day, sure = monday + timedelta(days=2), False
        elif mod.startswith(("late", "sometime")):
            day, sure = monday + timedelta(days=4), False
        else:
            day = monday + timedelta(days=4)
    elif k == "sametime":  # "this time next week": a week after the call, at its time
        moved = base + timedelta(days=7)
        day, tod = moved.date(), tod or moved.time()
    elif k == "eom":
        day = _last_weekday_of_month(base.year, base.month)
    elif k == "nm":
        y, mo = (base.year + 1, 1) if base.month == 12 else (base.year, base.month + 1)
        day = _last_weekday_of_month(y, mo)
    elif k == "eomon":
        mo = MONTHS[m.group("eomon_m").lower()]
        y = base.year if mo >= base.month else base.year + 1
        day = _last_weekday_of_month(y, mo)
    elif k == "eoq":
        qm = ((base.month - 1) // 3 + 1) * 3
        day = _last_weekday_of_month(base.year, qm)
    elif k == "eoy":
        day = _last_weekday_of_month(base.year, 12)
    elif k == "wom":  # "the third week in December": that week's Friday
        mo = MONTHS[m.group("wom_m").lower()]
        yr_raw = re.sub(r"\D", "", m.group("wom_y") or "")
        y = int(yr_raw) if yr_raw else (base.year if mo >= base.month else base.year + 1)
        day = _friday_of_week_in_month(y, mo, m.group("wom_n").lower())
    elif k == "rel":
        n_raw = (m.group("rel_n") or "one").lower()  # "within the next week"
        if n_raw == "a few":
            return None, False, None
        n = int(n_raw) if n_raw.isdigit() else WORD_NUMBERS.get(re.sub(r"\s+", " ", n_raw), 0)
        if n_raw.startswith("a couple"):
            sure = False
        unit_word = m.group("rel_u").lower().rstrip("s")
        if unit_word == "hour":
            return base + timedelta(hours=n), sure, None
        if m.group("rel_b"):
            day = _add_business_days(base.date(), n)
        else:
            parsed = dateparser_parse(f"in {n} {unit_word}s", base, ctx.date_order)
            if parsed is None:
                return None, False, None
            day = parsed.date()
    else:  # vague
        return None, False, None
    if day is None:
        return None, False, None
    return datetime.combine(day, tod or DEFAULT_DUE_TIME), sure, zone


def _numeric_date(m: re.Match[str], ctx: Context) -> tuple[date | None, bool]:
    a, b = int(m.group("num_a")), int(m.group("num_b"))
    sep = m.group("num_sep")
    order = "DMY" if sep == "." else ctx.date_order
    d, mo = (a, b) if order == "DMY" else (b, a)
    sure = True
    if sep == "/" and a <= 12 and b <= 12 and a != b:
        sure = False  # 4/5: April 5 or 4 May?
    if not 1 <= mo <= 12:
        d, mo = mo, d
        if not 1 <= mo <= 12:
            return None, False
        sure = False
    base = ctx.call_local.date()
    y_raw = m.group("num_y")
    try:
        if y_raw:
            y = int(y_raw) + (2000 if len(y_raw) == 2 else 0)
            return date(y, mo, d), sure
        day = date(base.year, mo, d)
        if day < base - timedelta(days=14):
            day = date(base.year + 1, mo, d)
            sure = False
        return day, sure
    except ValueError:
        return None, False


def _parse_clock(text: str) -> time | None:
    t = text.lower().replace(".", "").strip()
    if t in ("noon", "midday", "mittag"):
        return time(12, 0)
    if t == "midnight":
        return time(23, 59)
    mm = re.match(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?", t)
    if not mm:
        return None
    h, mi = int(mm.group(1)), int(mm.group(2) or 0)
    if mm.group(3) == "pm" and h < 12:
        h += 12
    elif mm.group(3) == "am" and h == 12:
        h = 0
    if not (0 <= h <= 23 and 0 <= mi <= 59):
        return None
    return time(h, mi)


def _friday_on_or_after(d: date) -> date:
    if d.weekday() <= 4:
        return d + timedelta(days=4 - d.weekday())
    return d + timedelta(days=11 - d.weekday())


_WEEK_ORDINALS = {
    "first": 0,
    "1st": 0,
    "second": 1,
    "2nd": 1,
    "third": 2,
    "3rd": 2,
    "fourth": 3,
    "4th": 3,
}


def _friday_of_week_in_month(year: int, month: int, ordinal: str) -> date:
    """The Friday of a month's nth week, counting from the week that holds the 1st."""
    if ordinal == "last":
        nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        last = nxt - timedelta(days=1)
        return last - timedelta(days=last.weekday()) + timedelta(days=4)
    first = date(year, month, 1)
    monday = first - timedelta(days=first.weekday())
    return monday + timedelta(days=7 * _WEEK_ORDINALS[ordinal] + 4)


def _last_weekday_of_month(year: int, month: int) -> date:
    nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    d = nxt - timedelta(days=1)
    while d.weekday() >= 5:
        d -= timedelta(days=1)
    return d


def _add_business_days(d: date, n: int) -> date:
    while n > 0:
        d += timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d


@lru_cache(maxsize=4096)
def dateparser_parse(phrase: str, base: datetime, date_order: str) -> datetime | None:
    settings: dict[str, Any] = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": base,
        "DATE_ORDER": date_order,
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    try:
        result = dateparser.parse(phrase, languages=["en"], settings=settings)
    except Exception:  # dateparser raises assorted errors on odd input
        return None
    return result
