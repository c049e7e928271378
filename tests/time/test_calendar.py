"""bot.time.calendar: business time, holidays, cadences, local days and quiet hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import UserError
from bot.time.calendar import (
    DEFAULT_SUBDIVISIONS,
    BusinessCalendar,
    Cadence,
    day_off_note,
    describe_region,
    holiday_names,
    holiday_region,
    in_quiet_hours,
    local_day_bounds,
    parse_days,
    public_holidays,
    quiet_hours_end,
    resolve_region,
)

BERLIN = ZoneInfo("Europe/Berlin")
NY = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
LONDON = ZoneInfo("Europe/London")
LA = ZoneInfo("America/Los_Angeles")
CAIRO = ZoneInfo("Africa/Cairo")  # DST changes on weekdays at midnight
SANTIAGO = ZoneInfo("America/Santiago")  # spring-forward skips midnight
HOUR = 3600.0


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=UTC)


def berlin(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=BERLIN)


def ny(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=NY)


DE = BusinessCalendar(BERLIN, "DE")
US = BusinessCalendar(NY, "US")
PLAIN_BERLIN = BusinessCalendar(BERLIN, None)


# --------------------------------------------------------------------------- business days


@pytest.mark.parametrize(
    ("cal", "day", "expected"),
    [
        (DE, date(2027, 3, 25), True),  # Thursday
        (DE, date(2027, 3, 26), False),  # Good Friday
        (DE, date(2027, 3, 27), False),  # Saturday
        (DE, date(2027, 3, 28), False),  # Easter Sunday
        (DE, date(2027, 3, 29), False),  # Easter Monday
        (DE, date(2027, 3, 30), True),
        (DE, date(2027, 10, 4), True),  # Unity Day is Sunday 3 Oct in 2027
        (DE, date(2027, 12, 24), True),  # Christmas Eve is not a public holiday
        (US, date(2027, 7, 5), False),  # Independence Day observed (4 Jul is a Sunday)
        (US, date(2027, 11, 25), False),  # Thanksgiving
        (US, date(2027, 3, 29), True),  # Easter Monday is a working day in the US
        (PLAIN_BERLIN, date(2027, 3, 29), True),  # no country: weekends only
        (PLAIN_BERLIN, date(2027, 3, 28), False),
        (BusinessCalendar(LONDON, "GB"), date(2027, 3, 29), False),  # GB means England
        (BusinessCalendar(LONDON, "GB-ENG"), date(2027, 8, 30), False),  # August bank holiday
        (BusinessCalendar(LONDON, "GB-SCT"), date(2027, 3, 29), True),  # not in Scotland
        (BusinessCalendar(LONDON, "GB-SCT"), date(2027, 11, 30), False),  # St Andrew's Day
        (BusinessCalendar(BERLIN, "DE-BY"), date(2027, 1, 6), False),  # Epiphany
        (DE, date(2027, 1, 6), True),  # not nationwide
        (BusinessCalendar(LA, "US-CA"), date(2027, 3, 31), False),  # César Chávez Day
        (US, date(2027, 3, 31), True),
        (BusinessCalendar(KOLKATA, "IN-KA"), date(2027, 11, 1), False),  # Rajyotsava
        (BusinessCalendar(KOLKATA, "IN"), date(2027, 11, 1), True),
    ],
)
def test_is_business_day(cal: BusinessCalendar, day: date, expected: bool) -> None:
    assert cal.is_business_day(day) is expected


def test_public_holidays_cached_per_year() -> None:
    assert date(2027, 3, 29) in public_holidays("DE", 2027)
    assert public_holidays("DE", 2027) is public_holidays("DE", 2027)


def test_unknown_country_fails_early() -> None:
    with pytest.raises(NotImplementedError):
        BusinessCalendar(BERLIN, "XX")
    with pytest.raises(NotImplementedError):
        BusinessCalendar(BERLIN, "DE-XX")


def test_a_calendar_names_its_region() -> None:
    assert BusinessCalendar(LONDON, "GB").country == "GB-ENG"
    assert BusinessCalendar(LONDON, "uk").country == "GB-ENG"
    assert DE.country == "DE"
    assert Cadence("mon", time(10), LONDON, "GB")._calendar.country == "GB-ENG"


def test_bad_hours_are_refused() -> None:
    with pytest.raises(ValueError):
        BusinessCalendar(BERLIN, None, time(17), time(9))


# --------------------------------------------------------------------------- business seconds


@pytest.mark.parametrize(
    ("cal", "a", "b", "hours"),
    [
        # Fri 16:00 → Mon 10:00 across a weekend
        (DE, berlin(2027, 3, 12, 16), berlin(2027, 3, 15, 10), 2),
        (DE, berlin(2027, 3, 15, 10), berlin(2027, 3, 15, 12, 30), 2.5),
        (DE, berlin(2027, 3, 15, 6), berlin(2027, 3, 15, 20), 8),
        (DE, berlin(2027, 3, 13, 6), berlin(2027, 3, 14, 20), 0),  # weekend
        (DE, berlin(2027, 3, 15, 17), berlin(2027, 3, 16, 9), 0),  # overnight
        # Thu 16:00 → Tue 10:00 over Easter (Good Friday, weekend, Easter Monday)
        (DE, berlin(2027, 3, 25, 16), berlin(2027, 3, 30, 10), 2),
        # Same span without a country: Friday and Monday count
        (PLAIN_BERLIN, berlin(2027, 3, 25, 16), berlin(2027, 3, 30, 10), 2 + 16),
        # DST week in Berlin (28 Mar 2027): every working day still has 8 h
        (PLAIN_BERLIN, berlin(2027, 3, 26, 9), berlin(2027, 3, 29, 17), 16),
        (PLAIN_BERLIN, berlin(2027, 3, 22, 0), berlin(2027, 3, 29, 0), 40),
        # DST week in New York (14 Mar 2027)
        (US, ny(2027, 3, 12, 16), ny(2027, 3, 15, 10), 2),
        (US, ny(2027, 3, 8, 0), ny(2027, 3, 20, 0), 80),
        # Whole weeks across the autumn change
        (PLAIN_BERLIN, berlin(2027, 10, 25, 0), berlin(2027, 11, 1, 0), 40),
        # Inputs in other zones are the same instants
        (DE, utc(2027, 3, 12, 15), utc(2027, 3, 15, 9), 2),
    ],
)
def test_business_seconds_between(
    cal: BusinessCalendar, a: datetime, b: datetime, hours: float
) -> None:
    assert cal.business_seconds_between(a, b) == hours * HOUR


def test_business_seconds_on_a_day_the_clocks_change() -> None:
    # Cairo springs forward at midnight on Friday 30 Apr 2027: 00:00–08:00 is 7 real hours.
    night = BusinessCalendar(CAIRO, None, time(0), time(8))
    start, end = local_day_bounds(utc(2027, 4, 30, 12), CAIRO)
    assert night.business_seconds_between(start, end) == 7 * HOUR
    assert night.add_business_hours(start, 7) == end - timedelta(hours=16)


def test_business_seconds_never_negative() -> None:
    assert DE.business_seconds_between(berlin(2027, 3, 16, 10), berlin(2027, 3, 15, 10)) == 0.0
    assert DE.business_seconds_between(berlin(2027, 3, 16, 10), berlin(2027, 3, 16, 10)) == 0.0


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        DE.business_seconds_between(datetime(2027, 3, 1), datetime(2027, 3, 2))
    with pytest.raises(ValueError):
        DE.add_business_hours(datetime(2027, 3, 1), 1)


def test_one_year_span() -> None:
    # How fast this is: bench/bench_calendar.py.
    seconds = BusinessCalendar(BERLIN, "DE").business_seconds_between(
        utc(2027, 1, 1), utc(2028, 1, 1)
    )
    # 261 weekdays in 2027, minus New Year, Good Friday, Easter Monday, Ascension and
    # Whit Monday (1 May, 3 Oct and Christmas fall on weekends).
    assert seconds == (261 - 5) * 8 * HOUR


# --------------------------------------------------------------------------- adding


@pytest.mark.parametrize(
    ("cal", "start", "hours", "expected"),
    [
        (DE, berlin(2027, 3, 12, 16), 2, berlin(2027, 3, 15, 10)),
        (DE, berlin(2027, 3, 12, 16), 1, berlin(2027, 3, 12, 17)),  # ends at 17:00
        (DE, berlin(2027, 3, 13, 12), 1, berlin(2027, 3, 15, 10)),  # from Saturday
        (DE, berlin(2027, 3, 15, 7), 8, berlin(2027, 3, 15, 17)),
        (DE, berlin(2027, 3, 15, 18), 0.5, berlin(2027, 3, 16, 9, 30)),
        (DE, berlin(2027, 3, 25, 16), 2, berlin(2027, 3, 30, 10)),  # over Easter
        (DE, berlin(2027, 3, 15, 10), 40, berlin(2027, 3, 22, 10)),
        (US, ny(2027, 3, 12, 16), 2, ny(2027, 3, 15, 10)),  # over US DST change
        (DE, berlin(2027, 3, 13, 12), 0, berlin(2027, 3, 13, 12)),
    ],
)
def test_add_business_hours(
    cal: BusinessCalendar, start: datetime, hours: float, expected: datetime
) -> None:
    result = cal.add_business_hours(start, hours)
    assert result == expected
    assert result.tzinfo is UTC


def test_add_business_hours_refuses_negative() -> None:
    with pytest.raises(ValueError):
        DE.add_business_hours(berlin(2027, 3, 15, 10), -1)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (berlin(2027, 3, 16, 10), 1, berlin(2027, 3, 17, 10)),  # Tue → Wed
        (berlin(2027, 3, 12, 16), 1, berlin(2027, 3, 15, 16)),  # Fri → Mon
        (berlin(2027, 3, 13, 12), 1, berlin(2027, 3, 15, 17)),  # Sat → end of Mon
        (berlin(2027, 3, 16, 20), 1, berlin(2027, 3, 17, 17)),  # after hours
        (berlin(2027, 3, 25, 10), 1, berlin(2027, 3, 30, 10)),  # over Easter
        (berlin(2027, 3, 15, 10), 5, berlin(2027, 3, 22, 10)),
    ],
)
def test_add_business_days(start: datetime, days: int, expected: datetime) -> None:
    assert DE.add_business_days(start, days) == expected


def test_next_business_moment() -> None:
    assert DE.next_business_moment(berlin(2027, 3, 15, 10)) == berlin(2027, 3, 15, 10)
    assert DE.next_business_moment(berlin(2027, 3, 12, 18)) == berlin(2027, 3, 15, 9)
    assert DE.next_business_moment(berlin(2027, 3, 26, 8)) == berlin(2027, 3, 30, 9)


# --------------------------------------------------------------------------- properties

_ZONES = st.sampled_from([BERLIN, NY, KOLKATA, CAIRO, ZoneInfo("Australia/Lord_Howe")])
_COUNTRIES = st.sampled_from([None, "DE", "US", "IN", "EG", "AU", "GB-ENG", "US-CA", "DE-BY"])
_INSTANTS = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2029, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=200, deadline=None)
@given(tz=_ZONES, country=_COUNTRIES, points=st.lists(_INSTANTS, min_size=3, max_size=3))
def test_business_seconds_additive_and_non_negative(
    tz: ZoneInfo, country: str | None, points: list[datetime]
) -> None:
    a, b, c = sorted(points)
    cal = BusinessCalendar(tz, country)
    ab = cal.business_seconds_between(a, b)
    bc = cal.business_seconds_between(b, c)
    ac = cal.business_seconds_between(a, c)
    assert ab >= 0
    assert bc >= 0
    assert ac == pytest.approx(ab + bc, abs=1e-6)
    assert ac <= (c - a).total_seconds()
    assert cal.business_seconds_between(c, a) == 0.0


@settings(max_examples=200, deadline=None)
@given(
    tz=_ZONES,
    country=_COUNTRIES,
    start=_INSTANTS,
    hours=st.floats(min_value=0, max_value=2000, allow_nan=False, allow_infinity=False),
)
def test_add_business_hours_inverts_business_seconds(
    tz: ZoneInfo, country: str | None, start: datetime, hours: float
) -> None:
    cal = BusinessCalendar(tz, country)
    end = cal.add_business_hours(start, hours)
    assert end >= start
    assert end.tzinfo is UTC
    assert cal.business_seconds_between(start, end) == pytest.approx(hours * HOUR, abs=1e-5)
    if timedelta(hours=hours) > timedelta(0):
        # The hours run out inside a business window, never in the night.
        local = end.astimezone(tz)
        assert cal.is_business_day(local.date())
        assert cal.start < local.time() <= cal.end


# --------------------------------------------------------------------------- parse_days


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("mon,thu", "mon,thu"),
        ("thu,mon", "mon,thu"),
        ("Mon, Thu", "mon,thu"),
        ("mon thu", "mon,thu"),
        ("weekdays", "mon-fri"),
        ("daily", "mon-fri"),
        ("every day", "mon-fri"),
        ("mon-fri", "mon-fri"),
        ("mon,tue,wed,thu,fri", "mon-fri"),
        ("mon", "mon"),
        ("Monday", "mon"),
        ("tue,fri", "tue,fri"),
        ("tuesday,friday", "tue,fri"),
        ("mon-wed", "mon,tue,wed"),
        ("mon-wed,fri", "mon,tue,wed,fri"),
        ("mon,mon", "mon"),
    ],
)
def test_parse_days(spec: str, expected: str) -> None:
    assert parse_days(spec) == expected
    assert parse_days(expected) == expected  # idempotent: stored value re-parses


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("funday", "I don't know the day 'funday'"),
        ("mon,funday", "'funday'"),
        ("sat", "weekend"),
        ("mon,sun", "weekend"),
        ("weekends", "weekend"),
        ("fri-mon", "backwards"),
        ("mon-sat", "weekend"),
        ("", "which days"),
        ("1,2", "I don't know the day"),
    ],
)
def test_parse_days_refusals(spec: str, fragment: str) -> None:
    with pytest.raises(UserError) as info:
        parse_days(spec)
    assert fragment in info.value.message
    assert "`mon,thu`" in info.value.message
    assert info.value.usage is not None


def test_parse_days_output_is_a_valid_cron_expression() -> None:
    from apscheduler.triggers.cron import CronTrigger

    for spec in ("mon,thu", "weekdays", "mon-wed,fri"):
        CronTrigger(day_of_week=parse_days(spec), hour=10, timezone=BERLIN)


# --------------------------------------------------------------------------- cadences


def test_cadence_skips_easter_monday_and_follows_dst() -> None:
    c = Cadence("mon", time(10), BERLIN, "DE")
    assert c.next_after(utc(2027, 3, 16)) == utc(2027, 3, 22, 9)
    assert c.next_after(utc(2027, 3, 22, 9)) == utc(2027, 4, 5, 8)  # 29 Mar skipped
    assert c.occurrences_between(utc(2027, 3, 20), utc(2027, 4, 10)) == [
        utc(2027, 3, 22, 9),
        utc(2027, 4, 5, 8),
    ]
    assert c.next_after(utc(2027, 3, 16)).tzinfo is UTC


def test_cadence_new_york_dst_week() -> None:
    c = Cadence("mon,thu", time(10), NY, "US")
    assert c.occurrences_between(utc(2027, 3, 10), utc(2027, 3, 19)) == [
        utc(2027, 3, 11, 15),  # EST
        utc(2027, 3, 15, 14),  # EDT
        utc(2027, 3, 18, 14),
    ]


def test_daily_skips_weekends_and_holidays() -> None:
    c = Cadence("daily", time(9), BERLIN, "DE")
    assert c.next_after(berlin(2027, 3, 25, 9)) == berlin(2027, 3, 30, 9)
    fires = c.occurrences_between(berlin(2027, 3, 22), berlin(2027, 4, 3))
    assert [f.astimezone(BERLIN).date().day for f in fires] == [22, 23, 24, 25, 30, 31, 1, 2]
    assert all(f.astimezone(BERLIN).time() == time(9) for f in fires)


def test_cadence_without_country_fires_on_holidays() -> None:
    c = Cadence("mon", time(10), BERLIN, None)
    assert c.next_after(utc(2027, 3, 22, 9)) == utc(2027, 3, 29, 8)


def test_next_after_is_strict_and_occurrences_inclusive() -> None:
    c = Cadence("mon,thu", time(10), BERLIN, "DE")
    first = utc(2027, 3, 22, 9)
    assert c.next_after(first) == utc(2027, 3, 25, 9)
    assert c.next_after(first - timedelta(microseconds=1)) == first
    assert c.occurrences_between(first, utc(2027, 3, 25, 9)) == [first, utc(2027, 3, 25, 9)]
    assert c.occurrences_between(utc(2027, 3, 25, 9), first) == []


def test_latest_at_or_before() -> None:
    c = Cadence("mon", time(10), BERLIN, "DE")
    assert c.latest_at_or_before(utc(2027, 3, 22, 9)) == utc(2027, 3, 22, 9)
    assert c.latest_at_or_before(utc(2027, 3, 22, 8, 59)) == utc(2027, 3, 15, 9)
    assert c.latest_at_or_before(utc(2027, 4, 4)) == utc(2027, 3, 22, 9)  # 29 Mar skipped
    assert c.latest_at_or_before(utc(2027, 4, 5, 8)) == utc(2027, 4, 5, 8)


def test_latest_at_or_before_bridges_long_holiday_gaps() -> None:
    # Christmas and New Year fall on the Friday cadence in 2027 → still found.
    c = Cadence("fri", time(10), BERLIN, "DE")
    latest = c.latest_at_or_before(berlin(2028, 1, 6, 12))
    assert latest == berlin(2027, 12, 31, 10)  # 31 Dec is not a German public holiday


def test_cadence_fires_once_when_the_clocks_go_back() -> None:
    # Cairo falls back at midnight after the last Thursday of October: 23:30 happens twice.
    c = Cadence("thu", time(23, 30), CAIRO, None)
    assert c.occurrences_between(utc(2027, 10, 20), utc(2027, 11, 5)) == [
        utc(2027, 10, 21, 20, 30),
        utc(2027, 10, 28, 20, 30),  # the first 23:30 (EEST) only
        utc(2027, 11, 4, 21, 30),
    ]


def test_cadence_in_a_dst_gap_fires_when_the_clocks_jump() -> None:
    # Cairo springs forward at 00:00 on Friday 30 Apr 2027; 00:30 does not exist that day.
    # CronTrigger alone would drop the day; the cadence fires at the jump (01:00 EEST).
    c = Cadence("fri", time(0, 30), CAIRO, None)
    assert c.occurrences_between(utc(2027, 4, 20), utc(2027, 5, 8)) == [
        utc(2027, 4, 22, 22, 30),
        utc(2027, 4, 29, 22, 0),
        utc(2027, 5, 6, 21, 30),
    ]


def test_cadence_gap_time_with_old_offset_is_normalised() -> None:
    # CronTrigger returns Berlin's skipped 02:30 with the old offset (= 03:30 CEST);
    # the cadence turns it into the jump instant, 03:00 CEST.
    c = Cadence("mon", time(2, 30), BERLIN, None)
    skipped = datetime(2027, 3, 28, 2, 30, tzinfo=BERLIN)
    assert c._fix_gap(utc(2027, 3, 28), skipped) == utc(2027, 3, 28, 1)


def test_cadence_accepts_user_spec_and_rejects_bad_days() -> None:
    assert Cadence("Monday, Thursday", time(10), BERLIN, "de").days == "mon,thu"
    with pytest.raises(UserError):
        Cadence("funday", time(10), BERLIN, "DE")


def test_cadence_naive_is_refused() -> None:
    with pytest.raises(ValueError):
        Cadence("mon", time(10), BERLIN, None).next_after(datetime(2027, 3, 1))


# --------------------------------------------------------------------------- local days


@pytest.mark.parametrize(
    ("at", "tz", "start", "hours"),
    [
        (utc(2027, 3, 15, 12), BERLIN, utc(2027, 3, 14, 23), 24),
        (utc(2027, 3, 28, 12), BERLIN, utc(2027, 3, 27, 23), 23),  # spring forward
        (utc(2027, 10, 31, 12), BERLIN, utc(2027, 10, 30, 22), 25),  # fall back
        (utc(2027, 3, 14, 12), NY, utc(2027, 3, 14, 5), 23),
        (utc(2027, 3, 14, 3), NY, utc(2027, 3, 13, 5), 24),  # still Saturday in NY
        (utc(2027, 9, 5, 16), SANTIAGO, utc(2027, 9, 5, 4), 23),  # midnight skipped
        (utc(2027, 3, 15, 20), KOLKATA, utc(2027, 3, 15, 18, 30), 24),
    ],
)
def test_local_day_bounds(at: datetime, tz: ZoneInfo, start: datetime, hours: int) -> None:
    lo, hi = local_day_bounds(at, tz)
    assert lo == start
    assert hi - lo == timedelta(hours=hours)
    assert lo <= at < hi
    assert lo.tzinfo is UTC
    assert hi.tzinfo is UTC


# --------------------------------------------------------------------------- quiet hours

EVENING = (time(19), time(8))


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        (berlin(2027, 3, 15, 20), True),
        (berlin(2027, 3, 15, 19), True),
        (berlin(2027, 3, 15, 23, 59), True),
        (berlin(2027, 3, 16, 0, 0), True),
        (berlin(2027, 3, 16, 7, 59), True),
        (berlin(2027, 3, 16, 8, 0), False),
        (berlin(2027, 3, 16, 12), False),
        (berlin(2027, 3, 16, 18, 59), False),
    ],
)
def test_in_quiet_hours_wrapping(local: datetime, quiet: bool) -> None:
    assert in_quiet_hours(local, BERLIN, *EVENING) is quiet
    assert in_quiet_hours(local.astimezone(UTC), BERLIN, *EVENING) is quiet


def test_in_quiet_hours_plain_span_and_empty_span() -> None:
    assert in_quiet_hours(berlin(2027, 3, 16, 12, 30), BERLIN, time(12), time(13))
    assert not in_quiet_hours(berlin(2027, 3, 16, 13), BERLIN, time(12), time(13))
    assert not in_quiet_hours(berlin(2027, 3, 16, 12), BERLIN, time(12), time(12))


def test_quiet_hours_use_the_zone_given() -> None:
    at = utc(2027, 3, 16, 1)  # 02:00 Berlin, 21:00 New York
    assert in_quiet_hours(at, BERLIN, *EVENING)
    assert in_quiet_hours(at, NY, *EVENING)
    assert not in_quiet_hours(utc(2027, 3, 16, 20), KOLKATA, time(2), time(6))


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (berlin(2027, 3, 15, 20), berlin(2027, 3, 16, 8)),  # evening → next morning
        (berlin(2027, 3, 16, 7), berlin(2027, 3, 16, 8)),  # early morning → same day
        (berlin(2027, 3, 16, 12), berlin(2027, 3, 16, 12)),  # not quiet → at
        # Across spring-forward night: 23:00 CET → 08:00 CEST is 8 real hours later.
        (berlin(2027, 3, 27, 23), berlin(2027, 3, 28, 8)),
    ],
)
def test_quiet_hours_end(at: datetime, expected: datetime) -> None:
    end = quiet_hours_end(at, BERLIN, *EVENING)
    assert end == expected
    assert end.tzinfo is UTC
    assert not in_quiet_hours(end, BERLIN, *EVENING)


def test_quiet_hours_end_dst_spring_forward_real_duration() -> None:
    end = quiet_hours_end(berlin(2027, 3, 27, 23), BERLIN, *EVENING)
    assert end - berlin(2027, 3, 27, 23) == timedelta(hours=8)


def test_quiet_hours_end_inside_a_dst_gap() -> None:
    # Quiet until 02:30, which does not exist on 28 Mar 2027: ends when clocks jump.
    end = quiet_hours_end(berlin(2027, 3, 28, 1, 30), BERLIN, time(1), time(2, 30))
    assert end == utc(2027, 3, 28, 1)
    assert end.astimezone(BERLIN).replace(tzinfo=None) == datetime(2027, 3, 28, 3, 0)


def test_quiet_hours_end_in_a_repeated_hour() -> None:
    quiet = (time(1), time(2, 30))
    # First pass through 02:15 (CEST) → ends at the first 02:30.
    assert quiet_hours_end(utc(2027, 10, 31, 0, 15), BERLIN, *quiet) == utc(2027, 10, 31, 0, 30)
    # Second pass through 02:15 (CET) → ends at the second 02:30.
    assert quiet_hours_end(utc(2027, 10, 31, 1, 15), BERLIN, *quiet) == utc(2027, 10, 31, 1, 30)


@settings(max_examples=200, deadline=None)
@given(
    at=_INSTANTS,
    tz=_ZONES,
    start=st.times(),
    end=st.times(),
)
def test_quiet_hours_end_leaves_quiet_hours(
    at: datetime, tz: ZoneInfo, start: time, end: time
) -> None:
    start, end = start.replace(second=0, microsecond=0), end.replace(second=0, microsecond=0)
    result = quiet_hours_end(at, tz, start, end)
    assert result >= at
    assert result - at <= timedelta(hours=26)
    assert not in_quiet_hours(result, tz, start, end)


# --------------------------------------------------------------------------- holiday regions


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("DE", "DE"),
        ("de", "DE"),
        (" us ", "US"),
        ("gb", "GB-ENG"),
        ("UK", "GB-ENG"),
        ("GB-ENG", "GB-ENG"),
        ("gb-sct", "GB-SCT"),
        ("US-CA", "US-CA"),
        ("IN-KA", "IN-KA"),
        ("DE-BY", "DE-BY"),
        ("US-California", "US-CA"),  # names the holidays package knows
        ("GB-England", "GB-ENG"),
        ("MY-KUL", "MY-14"),
        ("CH", "CH-ZH"),
        ("AU", "AU-NSW"),
        ("IN", "IN"),
        ("FR", "FR"),
    ],
)
def test_resolve_region(code: str, expected: str) -> None:
    region = resolve_region(code)
    assert region.code == expected
    assert len(region.code) <= 8  # the vendors.country column


@pytest.mark.parametrize(
    ("code", "suggestion"),
    [
        ("DEU", "`DE` (Germany)"),
        ("Germany", "`DE`"),
        ("germny", "`DE`"),
        ("usa", "`US`"),
        ("GB-EN", "Did you mean `GB-ENG` (England)?"),
        ("US-Cali", "`US-CA` (California)"),
        ("GB-XX", "Regions of United Kingdom: `GB-ENG`, `GB-NIR`, `GB-SCT`, `GB-WLS`."),
        ("DE-QQ", "`DE-BY`"),
        ("MX-XX", "I have no regional holidays for Mexico: use `MX`."),
    ],
)
def test_resolve_region_suggests(code: str, suggestion: str) -> None:
    with pytest.raises(UserError) as info:
        resolve_region(code)
    assert suggestion in info.value.message


@pytest.mark.parametrize("code", ["", "XX", "D", "123", "XX-YY", "-ENG"])
def test_resolve_region_refuses(code: str) -> None:
    with pytest.raises(UserError) as info:
        resolve_region(code)
    assert "two-letter" in info.value.message


@pytest.mark.parametrize(("country", "sub"), sorted(DEFAULT_SUBDIVISIONS.items()))
def test_each_default_region_adds_holidays_the_national_list_lacks(country: str, sub: str) -> None:
    """If `holidays` ever fills in a national list, its default here should be revisited."""
    added = set(holiday_names(f"{country}-{sub}", 2027)) - set(
        holidays.country_holidays(country, years=2027)
    )
    assert added, f"{country}-{sub} adds nothing to {country}'s national list"
    assert holiday_region(country).code == f"{country}-{sub}"
    assert holiday_region(country).defaulted


def test_gb_national_list_lacks_easter_monday_the_default_region_has_it() -> None:
    assert date(2027, 3, 29) not in holidays.country_holidays("GB", years=2027)
    assert holiday_names("GB", 2027)[date(2027, 3, 29)] == "Easter Monday"
    assert holiday_names("GB-ENG", 2027)[date(2027, 3, 29)] == "Easter Monday"


def test_describe_region() -> None:
    text, example = describe_region(resolve_region("GB"))
    assert text.startswith("England, United Kingdom (`GB-ENG`) — the default for `GB`")
    assert "`GB-SCT`" in text and example == "GB-NIR"
    assert describe_region(resolve_region("GB-SCT")) == (
        "Scotland, United Kingdom (`GB-SCT`)",
        None,
    )
    text, example = describe_region(resolve_region("DE"))
    assert text.startswith("Germany (`DE`), nationwide holidays only; regions: `DE-BB`")
    assert "and 8 more" in text and example == "DE-BB"
    assert describe_region(resolve_region("FR"))[0].startswith("France (`FR`)")
    assert describe_region(resolve_region("MX")) == ("Mexico (`MX`)", None)


@pytest.mark.parametrize(
    ("at", "tz", "country", "note"),
    [
        (utc(2027, 3, 13, 12), BERLIN, "DE", "Sat 13 Mar is a weekend day in Germany."),
        (utc(2027, 3, 13, 12), BERLIN, None, "Sat 13 Mar is a weekend day."),
        (utc(2027, 3, 29, 16), LONDON, "GB-ENG", "Mon 29 Mar is Easter Monday in England."),
        (utc(2027, 3, 29, 16), LONDON, "GB", "Mon 29 Mar is Easter Monday in England."),
        (utc(2027, 3, 29, 16), LONDON, "GB-SCT", None),
        (utc(2027, 1, 6, 16), BERLIN, "DE-BY", "Wed 6 Jan is Epiphany in Bayern."),
        (utc(2027, 3, 31, 23), LA, "US-CA", "Wed 31 Mar is Cesar Chavez Day in California."),
        (utc(2027, 11, 1, 11), KOLKATA, "IN-KA", "Mon 1 Nov is Karnataka Rajyotsava in Karnataka."),
        (utc(2027, 12, 25, 16), LONDON, "GB", "Sat 25 Dec is Christmas Day in England."),
        (utc(2027, 3, 12, 16), BERLIN, "DE", None),
        # Friday 23:30 UTC is already Saturday in Berlin: the vendor's day counts.
        (utc(2027, 3, 12, 23, 30), BERLIN, "DE", "Sat 13 Mar is a weekend day in Germany."),
        (utc(2027, 3, 13, 12), BERLIN, "XX", "Sat 13 Mar is a weekend day."),  # unknown code
    ],
)
def test_day_off_note(at: datetime, tz: ZoneInfo, country: str | None, note: str | None) -> None:
    assert day_off_note(at, tz, country) == note
