"""bot.time.timeparse: deadlines, durations, clock times, quiet hours, zones and countries."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import UserError
from bot.time.timeparse import (
    When,
    format_both,
    format_local,
    parse_clock_time,
    parse_duration,
    parse_quiet_hours,
    parse_when,
    resolve_zone,
    wall_to_utc,
)

BERLIN = ZoneInfo("Europe/Berlin")
NY = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")

# Friday 12 March 2027, 10:00 in Berlin (09:00 UTC).
FRI = datetime(2027, 3, 12, 10, 0, tzinfo=BERLIN)
THU = datetime(2027, 3, 11, 10, 0, tzinfo=BERLIN)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=UTC)


def when(text: str, now: datetime = FRI, tz: ZoneInfo = BERLIN) -> When:
    return parse_when(text, tz=tz, now=now)


def refused(text: str, now: datetime = FRI, tz: ZoneInfo = BERLIN) -> str:
    with pytest.raises(UserError) as info:
        parse_when(text, tz=tz, now=now)
    return info.value.message


# --------------------------------------------------------------------------- ISO


@pytest.mark.parametrize(
    ("text", "expected", "had_time"),
    [
        ("2027-03-15", utc(2027, 3, 15, 16), False),  # date only → 17:00 CET
        ("2027-03-15 17:00", utc(2027, 3, 15, 16), True),
        ("2027-03-15T17:00", utc(2027, 3, 15, 16), True),
        ("2027-03-15T17:00:30", utc(2027, 3, 15, 16, 0, 30), True),
        ("2027-03-15 9:05", utc(2027, 3, 15, 8, 5), True),
        ("2027/03/15", utc(2027, 3, 15, 16), False),
        ("2027-03-15T17:00Z", utc(2027, 3, 15, 17), True),
        ("2027-03-15T17:00+05:30", utc(2027, 3, 15, 11, 30), True),
        ("2027-04-15", utc(2027, 4, 15, 15), False),  # after DST: 17:00 CEST
        ("  2027-03-15   17:00 ", utc(2027, 3, 15, 16), True),
        ("by 2027-03-15", utc(2027, 3, 15, 16), False),
        ("due 2027-03-15", utc(2027, 3, 15, 16), False),
    ],
)
def test_iso(text: str, expected: datetime, had_time: bool) -> None:
    w = when(text)
    assert w.at == expected
    assert w.at.tzinfo is UTC
    assert w.local.tzinfo is BERLIN
    assert w.local == w.at
    assert w.had_time is had_time
    assert w.note is None


def test_text_is_kept_as_typed_minus_extra_spaces() -> None:
    assert when("  next   friday ").text == "next friday"


def test_iso_date_means_17_local_in_other_zones() -> None:
    ny_now = datetime(2027, 3, 12, 10, tzinfo=NY)
    assert when("2027-03-15", now=ny_now, tz=NY).at == utc(2027, 3, 15, 21)  # EDT
    assert when("2027-03-13", now=ny_now, tz=NY).at == utc(2027, 3, 13, 22)  # EST
    k_now = datetime(2027, 3, 12, 10, tzinfo=KOLKATA)
    assert when("2027-03-15", now=k_now, tz=KOLKATA).at == utc(2027, 3, 15, 11, 30)


@pytest.mark.parametrize(
    "text", ["2027-02-30", "2027-13-01", "2027-03-15 25:00", "2027-03-15 9:61"]
)
def test_invalid_iso_is_refused(text: str) -> None:
    message = refused(text)
    assert text in message


# --------------------------------------------------------------------------- natural language


@pytest.mark.parametrize(
    ("text", "local", "had_time"),
    [
        ("tomorrow 5pm", datetime(2027, 3, 13, 17), True),
        ("tomorrow", datetime(2027, 3, 13, 17), False),
        ("tomorrow at 9:30", datetime(2027, 3, 13, 9, 30), True),
        ("tomorrow morning", datetime(2027, 3, 13, 9), True),
        ("today", datetime(2027, 3, 12, 17), False),
        ("in 3 days", datetime(2027, 3, 15, 17), False),
        ("3 days", datetime(2027, 3, 15, 17), False),
        ("in 2 weeks", datetime(2027, 3, 26, 17), False),
        ("in 2 hours", datetime(2027, 3, 12, 12), True),
        ("in 90 minutes", datetime(2027, 3, 12, 11, 30), True),
        ("in 1h30m", datetime(2027, 3, 12, 11, 30), True),
        ("in 2 months", datetime(2027, 5, 12, 17), False),
        ("Mar 15", datetime(2027, 3, 15, 17), False),
        ("15 March", datetime(2027, 3, 15, 17), False),
        ("March 15th 9am", datetime(2027, 3, 15, 9), True),
        ("10 March 2028 9:30", datetime(2028, 3, 10, 9, 30), True),
        ("friday noon", datetime(2027, 3, 19, 12), True),
        ("monday", datetime(2027, 3, 15, 17), False),
        ("next tuesday 3pm", datetime(2027, 3, 16, 15), True),
        ("eod friday", datetime(2027, 3, 19, 17), True),
        ("friday eod", datetime(2027, 3, 19, 17), True),
        ("eod", datetime(2027, 3, 12, 17), True),
        ("eod tomorrow", datetime(2027, 3, 13, 17), True),
        ("end of day", datetime(2027, 3, 12, 17), True),
        ("by friday", datetime(2027, 3, 19, 17), False),
        ("on monday", datetime(2027, 3, 15, 17), False),
        ("end of week", datetime(2027, 3, 12, 17), False),  # Friday before 17:00: today
        ("eow", datetime(2027, 3, 12, 17), False),
        ("end of next week", datetime(2027, 3, 19, 17), False),
        ("end of month", datetime(2027, 3, 31, 17), False),
        ("end of the month", datetime(2027, 3, 31, 17), False),
        ("eom", datetime(2027, 3, 31, 17), False),
        ("end of next month", datetime(2027, 4, 30, 17), False),
        ("13/04/2027", datetime(2027, 4, 13, 17), False),  # unambiguous: 13 is a day
        ("4/13/2027", datetime(2027, 4, 13, 17), False),
        ("4/13", datetime(2027, 4, 13, 17), False),
        ("13.04.2027", datetime(2027, 4, 13, 17), False),
        ("13-04-2027 10:00", datetime(2027, 4, 13, 10), True),
        ("4/4", datetime(2027, 4, 4, 17), False),  # same either way round
    ],
)
def test_natural(text: str, local: datetime, had_time: bool) -> None:
    w = when(text)
    assert w.local.replace(tzinfo=None) == local, w
    assert w.at == w.local
    assert w.at.tzinfo is UTC
    assert w.had_time is had_time


def test_next_friday_on_a_friday_is_a_week_away() -> None:
    assert when("next friday").local.replace(tzinfo=None) == datetime(2027, 3, 19, 17)


def test_bare_weekday_on_that_weekday_is_next_week_but_this_means_today() -> None:
    assert when("friday").local.date().isoformat() == "2027-03-19"
    assert when("friday 5pm").local.date().isoformat() == "2027-03-19"
    assert when("this friday").local.replace(tzinfo=None) == datetime(2027, 3, 12, 17)


def test_next_friday_on_a_thursday_is_the_coming_friday() -> None:
    assert when("next friday", now=THU).local.replace(tzinfo=None) == datetime(2027, 3, 12, 17)


def test_month_day_already_past_this_year_is_next_year() -> None:
    w = when("Mar 10")
    assert w.local.replace(tzinfo=None) == datetime(2028, 3, 10, 17)
    assert when("Mar 10 5pm").at == utc(2028, 3, 10, 16)


def test_month_day_today_before_17_is_today() -> None:
    # dateparser would say 2028 here; 17:00 today is still ahead.
    assert when("Mar 12").at == utc(2027, 3, 12, 16)
    after_five = datetime(2027, 3, 12, 18, tzinfo=BERLIN)
    assert when("Mar 12", now=after_five).at == utc(2028, 3, 12, 16)


def test_feb_29_goes_to_the_next_leap_year() -> None:
    assert when("feb 29").local.date().isoformat() == "2028-02-29"


def test_end_of_week_after_friday_17_is_next_friday() -> None:
    late = datetime(2027, 3, 12, 18, tzinfo=BERLIN)
    assert when("end of week", now=late).local.replace(tzinfo=None) == datetime(2027, 3, 19, 17)
    saturday = datetime(2027, 3, 13, 12, tzinfo=BERLIN)
    assert when("eow", now=saturday).local.replace(tzinfo=None) == datetime(2027, 3, 19, 17)


def test_end_of_month_on_its_last_evening_is_next_month() -> None:
    late = datetime(2027, 3, 31, 18, tzinfo=BERLIN)
    assert when("end of month", now=late).local.replace(tzinfo=None) == datetime(2027, 4, 30, 17)
    feb = datetime(2028, 2, 3, 9, tzinfo=BERLIN)
    assert when("eom", now=feb).local.replace(tzinfo=None) == datetime(2028, 2, 29, 17)


def test_explicit_zone_in_text_is_honoured() -> None:
    w = when("tomorrow 5pm EST")
    assert w.at == utc(2027, 3, 13, 22)
    assert w.local.tzinfo is BERLIN
    assert w.had_time


def test_relative_hours_are_real_elapsed_time_across_dst() -> None:
    # 01:30 CET on the spring-forward night; two hours later is 04:30 CEST.
    now = datetime(2027, 3, 28, 1, 30, tzinfo=BERLIN)
    w = when("in 2 hours", now=now)
    assert w.at == now.astimezone(UTC) + timedelta(hours=2)
    assert w.local.replace(tzinfo=None) == datetime(2027, 3, 28, 4, 30)


def test_wall_clock_across_dst_week_berlin() -> None:
    saturday = datetime(2027, 3, 27, 10, tzinfo=BERLIN)
    assert when("tomorrow 17:00", now=saturday).at == utc(2027, 3, 28, 15)  # CEST
    assert when("tomorrow", now=saturday).at == utc(2027, 3, 28, 15)
    assert when("in 3 days", now=saturday).at == utc(2027, 3, 30, 15)
    assert when("2027-03-27 17:00", now=saturday).at == utc(2027, 3, 27, 16)  # CET


def test_wall_clock_across_dst_week_new_york() -> None:
    friday = datetime(2027, 3, 12, 10, tzinfo=NY)  # DST starts Sun 14 Mar 2027
    assert when("monday 9am", now=friday, tz=NY).at == utc(2027, 3, 15, 13)  # EDT
    assert when("tomorrow 9am", now=friday, tz=NY).at == utc(2027, 3, 13, 14)  # EST


def test_dst_gap_shifts_forward_with_a_note() -> None:
    w = when("2027-03-28 02:30")
    assert w.at == utc(2027, 3, 28, 1)  # the moment the clocks jump to 03:00 CEST
    assert w.local.replace(tzinfo=None) == datetime(2027, 3, 28, 3, 0)
    assert w.note is not None
    assert "02:30" in w.note
    assert "03:00 CEST" in w.note

    ny = when("2027-03-14 02:30", now=datetime(2027, 3, 1, tzinfo=NY), tz=NY)
    assert ny.at == utc(2027, 3, 14, 7)  # 03:00 EDT
    assert ny.note is not None


def test_dst_fold_picks_the_first() -> None:
    w = when("2027-10-31 02:30")
    assert w.at == utc(2027, 10, 31, 0, 30)  # 02:30 CEST, not 02:30 CET
    assert w.local.tzname() == "CEST"
    assert w.note is None
    ny = when("2027-11-07 01:30", now=datetime(2027, 11, 1, tzinfo=NY), tz=NY)
    assert ny.at == utc(2027, 11, 7, 5, 30)  # 01:30 EDT


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_is_refused(text: str) -> None:
    assert "Give a date" in refused(text)


def test_unreadable_is_refused_with_the_right_forms() -> None:
    assert refused("blah") == (
        "I couldn't read 'blah' as a date. Try `2027-03-10`, `2027-03-10 17:00`, "
        "`next friday` or `in 3 days`."
    )


def test_usage_is_attached() -> None:
    with pytest.raises(UserError) as info:
        when("blah")
    assert info.value.usage is not None
    assert "deadline add" in info.value.render()


def test_past_is_refused_with_what_was_understood() -> None:
    wednesday = datetime(2027, 3, 10, 18, tzinfo=BERLIN)
    message = refused("2027-03-09", now=wednesday)
    assert message.startswith("I read that as Tue 9 Mar 2027 17:00 CET — that is in the past.")
    assert "in the past" in refused("yesterday")
    assert "in the past" in refused("now")
    assert "in the past" in refused("last friday")
    assert "in the past" in refused("10 March 2027 9:30")
    assert "in the past" in refused("today", now=datetime(2027, 3, 12, 17, tzinfo=BERLIN))


def test_more_than_five_years_is_refused() -> None:
    assert "more than 5 years" in refused("2033-01-01")
    assert "more than 5 years" in refused("in 6 years")
    assert "more than 5 years" in refused("in 4000 days")
    assert "more than 5 years" in refused("9999-12-31")
    assert when("2032-03-12").at == utc(2032, 3, 12, 16)  # just inside


@pytest.mark.parametrize("text", ["03/04/2027", "3/4", "03/04", "5/6/27", "03.04.2027", "3-4-2027"])
def test_ambiguous_numeric_day_month_is_refused(text: str) -> None:
    message = refused(text)
    assert "YYYY-MM-DD" in message
    assert "month name" in message


@pytest.mark.parametrize("text", ["10.03", "tomorrow 9.30"])
def test_dotted_without_year_is_refused(text: str) -> None:
    assert "`9:30`" in refused(text)


@pytest.mark.parametrize("text", ["next week", "next month", "2027", "March 2028", "the 10th"])
def test_vague_spans_are_refused(text: str) -> None:
    assert "not a specific day" in refused(text)


def test_too_long_is_refused() -> None:
    assert "too long" in refused("tomorrow " * 30)


def test_fractional_days_are_refused() -> None:
    assert "whole days" in refused("in 1.5 days")


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        parse_when("tomorrow", tz=BERLIN, now=datetime(2027, 3, 12))


# --------------------------------------------------------------------------- every part is read


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("tomorrow 25:00", "`25:00` is not a time of day"),
        ("tomorrow 17:75", "`17:75` is not a time of day"),
        ("tomorrow at 9:61", "`9:61` is not a time of day"),
        ("next friday 24:00", "`24:00` is not a time of day"),
        ("tomorrow 17:00:99", "`17:00:99` is not a time of day"),
        ("tomorrow 9:5", "minutes take two digits"),
        ("tomorrow 13pm", "`13pm` is not a time of day"),
        ("tomorrow 0am", "with am/pm, hours go 1–12"),
        ("tomorrow 17:30pm", "`17:30pm` is not a time of day"),
        ("Mar 15 99:00", "`99:00` is not a time of day"),
        ("2027-03-15 24:00", "`24:00` is not a time of day"),
        ("tomorrow 17h", "could be a time of day or 17 hours"),
        ("tomorrow 9", "`9` (in 'tomorrow 9') is not a time of day"),
        ("tomorrow at 5", "write `5am`, `5pm` or `05:00`"),
        ("tomorrow 9 30", "`9`"),
        ("Mar 15 9", "`9` (in 'Mar 15 9') is not a time of day"),
        ("tomorrow 1700", "write `17:00`"),
        ("tomorrow blah", "I couldn't read `blah` in 'tomorrow blah'"),
        ("tomorrow 5pm 17:00", "more than one time of day"),
        ("tomorrow morning 9am", "more than one time of day"),
        ("in 2 hours at 5pm", "both a time of day and an amount of time"),
        ("friday midnight", "`midnight`"),
        ("mar 32", "`32` (in 'mar 32') is not a day of the month"),
        ("feb 30", "February has no day 30"),
        ("31 apr 2028", "April 2028 has no day 31"),
        ("2027-02-30 9am", "`2027-02-30` (in '2027-02-30 9am') is not a real date"),
        ("thursday 19 mar 2027", "Fri 19 Mar 2027 is a Friday, not a Thursday"),
        ("friday the 13th", "is a Saturday, not a Friday"),
        ("tomorrow 5pm IST", "`IST` could be India"),
    ],
)
def test_a_part_that_cannot_be_read_is_named(text: str, fragment: str) -> None:
    message = refused(text)
    assert fragment in message, message


@pytest.mark.parametrize(
    ("text", "local", "had_time"),
    [
        ("tomorrow 17h30", datetime(2027, 3, 13, 17, 30), True),
        ("friday 19 mar 2027", datetime(2027, 3, 19, 17), False),  # it is a Friday
        ("tomorrow 5:30 p.m.", datetime(2027, 3, 13, 17, 30), True),
        ("tomorrow 12am", datetime(2027, 3, 13, 0, 0), True),
        ("tomorrow 12pm", datetime(2027, 3, 13, 12, 0), True),
        ("tomorrow 23:59", datetime(2027, 3, 13, 23, 59), True),
        ("tmrw 5pm", datetime(2027, 3, 13, 17), True),
        ("2027-03-15 5pm", datetime(2027, 3, 15, 17), True),
        ("Mar 15, 2027 9:30", datetime(2027, 3, 15, 9, 30), True),
        ("in 3 days at 9am", datetime(2027, 3, 15, 9), True),
        ("day after tomorrow 9:00", datetime(2027, 3, 14, 9), True),
        ("tonight", datetime(2027, 3, 12, 20), True),
        ("monday 12 noon", datetime(2027, 3, 15, 12), True),
        ("Friday, March 19 5pm", datetime(2027, 3, 19, 17), True),
        ("tomorrow evening", datetime(2027, 3, 13, 18), True),
        ("5pm", datetime(2027, 3, 12, 17), True),  # today, still ahead
        ("9am", datetime(2027, 3, 13, 9), True),  # today's has gone: tomorrow's
    ],
)
def test_natural_time_of_day_is_what_was_typed(text: str, local: datetime, had_time: bool) -> None:
    w = when(text)
    assert w.local.replace(tzinfo=None) == local, w
    assert w.had_time is had_time


def test_generic_us_zone_follows_daylight_saving() -> None:
    # 5pm Pacific on 15 March 2027 is PDT (UTC-7): the US changed clocks on 14 March.
    assert when("Mar 15 5pm PT").at == utc(2027, 3, 16, 0)
    assert when("Mar 13 5pm PT").at == utc(2027, 3, 14, 1)  # still PST (UTC-8)
    assert when("tomorrow 17:00 +05:30").at == utc(2027, 3, 13, 11, 30)


_WORDS = st.sampled_from(
    [
        "tomorrow",
        "next",
        "friday",
        "in",
        "3",
        "days",
        "hours",
        "5pm",
        "17:00",
        "Mar",
        "10",
        "2027-03-10",
        "03/04",
        "13/04/2027",
        "eod",
        "end of month",
        "noon",
        "ago",
        "-",
        "/",
        ".",
        "0",
        "99999",
        "EST",
        "UTC",
        "+05:00",
        "T",
        "Z",
        "29",
        "feb",
        "9999",
        "0001",
        "week",
        "this",
        "last",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.one_of(st.text(max_size=40), st.lists(_WORDS, max_size=6).map(" ".join)),
    now=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
    ),
    tz=st.sampled_from([BERLIN, NY, KOLKATA, ZoneInfo("Pacific/Chatham"), ZoneInfo("UTC")]),
)
def test_parse_when_raises_only_user_error(text: str, now: datetime, tz: ZoneInfo) -> None:
    try:
        w = parse_when(text, tz=tz, now=now)
    except UserError as exc:
        assert exc.message
        return
    assert w.at.tzinfo is UTC
    assert w.at > now
    assert w.at <= now + timedelta(days=5 * 366)
    assert w.local == w.at
    assert w.local.tzinfo is tz


# --------------------------------------------------------------------------- stated parts hold

_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@st.composite
def typed_clock(draw: st.DrawFn) -> tuple[str, tuple[int, int] | None]:
    """A time of day as typed, and (hour, minute) when it is a real one (else None)."""
    style = draw(st.sampled_from(["24h", "ampm", "ampm spaced", "h-minutes"]))
    minute = draw(st.integers(0, 99))
    mm = f"{minute:02d}" if draw(st.booleans()) or minute > 9 else str(minute)
    valid_minute = len(mm) == 2 and minute <= 59
    if style in ("24h", "h-minutes"):
        hour = draw(st.integers(0, 30))
        hh = f"{hour:02d}" if draw(st.booleans()) else str(hour)
        text = f"{hh}:{mm}" if style == "24h" else f"{hh}h{mm}"
        ok = hour <= 23 and valid_minute
        return text, (hour, minute) if ok else None
    hour = draw(st.integers(0, 14))
    suffix = draw(st.sampled_from(["am", "pm", "a.m.", "p.m.", "AM", "PM"]))
    with_minutes = draw(st.booleans())
    body = f"{hour}:{mm}" if with_minutes else str(hour)
    text = f"{body} {suffix}" if style == "ampm spaced" else f"{body}{suffix}"
    ok = 1 <= hour <= 12 and (valid_minute or not with_minutes)
    pm = suffix.lower().startswith("p")
    h24 = hour % 12 + (12 if pm else 0)
    return text, (h24, minute if with_minutes else 0) if ok else None


@st.composite
def typed_day(draw: st.DrawFn, now_local: datetime) -> tuple[str, dict[str, int]]:
    """A day as typed and what it states: day, month, year, weekday, or days from today."""
    today = now_local.date()
    form = draw(
        st.sampled_from(
            [
                "tomorrow",
                "today",
                "in n days",
                "weekday",
                "next weekday",
                "d mon",
                "mon d, y",
                "iso",
            ]
        )
    )
    if form == "tomorrow":
        return "tomorrow", {"offset": 1}
    if form == "today":
        return "today", {"offset": 0}
    if form == "in n days":
        n = draw(st.integers(1, 400))
        return f"in {n} days", {"offset": n}
    if form in ("weekday", "next weekday"):
        wd = draw(st.integers(0, 6))
        prefix = "next " if form == "next weekday" else ""
        return prefix + _DAY_NAMES[wd], {"weekday": wd}
    day = draw(st.integers(1, 32))
    month = draw(st.integers(1, 12))
    year = draw(st.integers(today.year, today.year + 6))
    if form == "d mon":
        return f"{day} {_MONTH_ABBR[month - 1]}", {"day": day, "month": month}
    if form == "mon d, y":
        return f"{_MONTH_ABBR[month - 1]} {day}, {year}", {"day": day, "month": month, "year": year}
    return f"{year}-{month:02d}-{min(day, 31):02d}", {
        "day": min(day, 31),
        "month": month,
        "year": year,
    }


_NOWS = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2060, 1, 1), timezones=st.just(UTC)
)
_ZONES = st.sampled_from([BERLIN, NY, KOLKATA, ZoneInfo("Australia/Sydney"), ZoneInfo("UTC")])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), now=_NOWS, tz=_ZONES, clock_first=st.booleans())
def test_what_was_typed_is_what_is_stored_or_it_is_an_error(
    data: st.DataObject, now: datetime, tz: ZoneInfo, clock_first: bool
) -> None:
    """For a day and a time of day as people type them, the answer is an error or an instant
    whose hour, minute and day are the ones typed (a time the clocks skip says so in a note)."""
    now_local = now.astimezone(tz)
    day_text, stated = data.draw(typed_day(now_local))
    clock_text, clock = data.draw(typed_clock())
    at = " at " if data.draw(st.booleans()) else " "
    text = f"{clock_text}{at}{day_text}" if clock_first else f"{day_text}{at}{clock_text}"
    try:
        w = parse_when(text, tz=tz, now=now)
    except UserError as exc:
        assert exc.message
        if clock is not None and stated.get("offset") == 1:
            # Tomorrow at a real time of day is always readable and always ahead.
            pytest.fail(f"{text!r} refused: {exc.message}")
        return
    assert clock is not None, f"{text!r} was accepted as {w.local}"
    local = w.local
    if w.note is None:
        assert (local.hour, local.minute) == clock, (text, local)
    else:  # the typed time does not exist that day: the note names it
        assert f"{clock[0]:02d}:{clock[1]:02d} does not exist" in w.note
    assert w.had_time
    if "offset" in stated:
        assert local.date() == now_local.date() + timedelta(days=stated["offset"]), (text, local)
    if "weekday" in stated:
        assert local.weekday() == stated["weekday"], (text, local)
    for part in ("day", "month", "year"):
        if part in stated:
            assert getattr(local, part) == stated[part], (text, local)
    assert now < w.at <= now + timedelta(days=5 * 366 + 1)


_SOUP = st.sampled_from(
    [
        "tomorrow",
        "today",
        "next",
        "friday",
        "sat",
        "in",
        "3",
        "9",
        "13",
        "31",
        "days",
        "at",
        "5pm",
        "13pm",
        "17:00",
        "25:00",
        "9:61",
        "7:05",
        "17h30",
        "noon",
        "morning",
        "Mar",
        "march",
        "10th",
        "2028",
        "1700",
        "eod",
        "the",
        "of",
        ",",
    ]
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(words=st.lists(_SOUP, min_size=1, max_size=5), now=_NOWS, tz=_ZONES)
def test_any_mix_of_date_words_keeps_the_typed_clock_or_says_why(
    words: list[str], now: datetime, tz: ZoneInfo
) -> None:
    """Words thrown together: whatever is accepted shows the one typed time of day and the one
    typed day of the month; an impossible time of day is never accepted."""
    text = " ".join(words)
    try:
        w = parse_when(text, tz=tz, now=now)
    except UserError as exc:
        assert exc.message
        return
    assert not {"13pm", "25:00", "9:61"} & set(words), text
    clocks = [t for t in words if t in ("5pm", "17:00", "7:05", "17h30", "noon", "morning", "eod")]
    expected = {
        "5pm": (17, 0),
        "17:00": (17, 0),
        "eod": (17, 0),
        "7:05": (7, 5),
        "17h30": (17, 30),
        "noon": (12, 0),
        "morning": (9, 0),
    }
    if clocks and w.note is None and "days" not in words:  # `17h30 days`: amounts
        assert len(set(clocks)) == 1 or {expected[c] for c in clocks} == {(17, 0)}, text
        assert (w.local.hour, w.local.minute) == expected[clocks[0]], (text, w.local)
    days = [t for t in words if t in ("13", "31", "10th")]
    if days and {"mar", "march"} & {t.lower() for t in words}:
        assert w.local.day == int(days[0].rstrip("th")), (text, w.local)
        assert w.local.month == 3, (text, w.local)


# --------------------------------------------------------------------------- formatting


def test_format_local() -> None:
    assert format_local(utc(2027, 3, 10, 16), BERLIN) == "Wed 10 Mar 2027 17:00 CET"
    assert format_local(utc(2027, 4, 5, 8), BERLIN) == "Mon 5 Apr 2027 10:00 CEST"
    assert format_local(utc(2027, 3, 10, 16), KOLKATA) == "Wed 10 Mar 2027 21:30 IST"


def test_format_both() -> None:
    at = utc(2027, 3, 10, 16)
    assert format_both(at, BERLIN, NY) == "Wed 10 Mar 2027 17:00 CET (11:00 EST your time)"
    assert format_both(at, BERLIN, BERLIN) == "Wed 10 Mar 2027 17:00 CET"
    # Same wall clock, different zone name: nothing to add.
    assert format_both(at, BERLIN, ZoneInfo("Europe/Paris")) == "Wed 10 Mar 2027 17:00 CET"
    # Another calendar day for the user: the day is named.
    assert (
        format_both(at, BERLIN, ZoneInfo("Australia/Sydney"))
        == "Wed 10 Mar 2027 17:00 CET (Thu 11 Mar 03:00 AEDT your time)"
    )


def test_format_local_needs_aware() -> None:
    with pytest.raises(ValueError):
        format_local(datetime(2027, 3, 10), BERLIN)


def test_wall_to_utc() -> None:
    assert wall_to_utc(datetime(2027, 3, 10, 17), BERLIN) == utc(2027, 3, 10, 16)
    assert wall_to_utc(datetime(2027, 3, 28, 2, 30), BERLIN) == utc(2027, 3, 28, 1)
    assert wall_to_utc(datetime(2027, 10, 31, 2, 30), BERLIN) == utc(2027, 10, 31, 0, 30)


# --------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3d", timedelta(days=3)),
        ("12h", timedelta(hours=12)),
        ("90m", timedelta(minutes=90)),
        ("2w", timedelta(weeks=2)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("1d 12h", timedelta(days=1, hours=12)),
        ("3 days", timedelta(days=3)),
        ("1 day 12 hours", timedelta(days=1, hours=12)),
        ("1 week and 2 days", timedelta(days=9)),
        ("90 min", timedelta(minutes=90)),
        ("2 HOURS", timedelta(hours=2)),
        ("90d", timedelta(days=90)),
        ("12w6d", timedelta(days=90)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("forever", "needs an end"),
        ("", "how long"),
        ("0", "couldn't read"),
        ("0d", "no time at all"),
        ("0h0m", "no time at all"),
        ("-3d", "negative"),
        ("91d", "90 days"),
        ("13w", "90 days"),
        ("2160h1m", "90 days"),
        ("99999999999999999999d", "90 days"),
        ("1 month", "months"),
        ("1y", "years"),
        ("3", "couldn't read"),
        ("1.5d", "couldn't read"),
        ("soon", "couldn't read"),
        ("3x", "couldn't read"),
    ],
)
def test_parse_duration_refusals(text: str, fragment: str) -> None:
    with pytest.raises(UserError) as info:
        parse_duration(text)
    assert fragment in info.value.message
    if text:
        assert "`3d`" in info.value.message


# --------------------------------------------------------------------------- clock times


@pytest.mark.parametrize(
    ("text", "expected"),
    [("9:00", time(9)), ("09:00", time(9)), ("17:30", time(17, 30)), ("0:00", time(0)),
     ("23:59", time(23, 59)), (" 08:15 ", time(8, 15))],
)  # fmt: skip
def test_parse_clock_time(text: str, expected: time) -> None:
    assert parse_clock_time(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("25:00", "00–23"),
        ("24:00", "00–23"),
        ("9:60", "00–59"),
        ("9", "`09:00`"),
        ("9am", "24-hour"),
        ("5pm", "`17:00`"),
        ("9:5", "HH:MM"),
        ("nine", "HH:MM"),
        ("", "HH:MM"),
    ],
)
def test_parse_clock_time_refusals(text: str, fragment: str) -> None:
    with pytest.raises(UserError) as info:
        parse_clock_time(text)
    assert fragment in info.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("19:00-08:00", (time(19), time(8))),
        ("22:00 - 07:30", (time(22), time(7, 30))),
        ("12:00-13:00", (time(12), time(13))),
        ("22:00–06:00", (time(22), time(6))),
        ("22:00 to 06:00", (time(22), time(6))),
    ],
)
def test_parse_quiet_hours(text: str, expected: tuple[time, time]) -> None:
    assert parse_quiet_hours(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("9-9", "same time"),
        ("09:00-09:00", "same time"),
        ("19:00", "19:00-08:00"),
        ("19:00-25:00", "00–23"),
        ("7pm-8am", "24-hour"),
        ("", "19:00-08:00"),
    ],
)
def test_parse_quiet_hours_refusals(text: str, fragment: str) -> None:
    with pytest.raises(UserError) as info:
        parse_quiet_hours(text)
    assert fragment in info.value.message
    assert info.value.usage == "/outsource quiet <HH:MM>-<HH:MM>"


# --------------------------------------------------------------------------- zones, countries


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("AMERICA/NEW_YORK", "America/New_York"),
        ("UTC", "UTC"),
        ("utc", "UTC"),
        ("Asia/Kolkata", "Asia/Kolkata"),
    ],
)
def test_resolve_zone(name: str, key: str) -> None:
    assert resolve_zone(name) == ZoneInfo(key)


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("Berlin", "Europe/Berlin"),
        ("Europe/Berlni", "Europe/Berlin"),
        ("new_york", "America/New_York"),
        ("America/Los_Angles", "America/Los_Angeles"),
    ],
)
def test_resolve_zone_suggests(name: str, suggestion: str) -> None:
    with pytest.raises(UserError) as info:
        resolve_zone(name)
    assert f"`{suggestion}`" in info.value.message
    assert name in info.value.message


@pytest.mark.parametrize("name", ["", "Mars/Olympus", "localtime", "Factory", "../etc/passwd"])
def test_resolve_zone_refuses(name: str) -> None:
    with pytest.raises(UserError) as info:
        resolve_zone(name)
    assert "Europe/Berlin" in info.value.message
