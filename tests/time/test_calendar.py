"""bot.calendar: business time, holidays, cadences, local days and quiet hours."""

from __future__ import annotations

import time as _time
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.calendar import (
    BusinessCalendar,
    Cadence,
    in_quiet_hours,
    local_day_bounds,
    parse_days,
    public_holidays,
    quiet_hours_end,
)
from bot.errors import UserError

BERLIN = ZoneInfo("Europe/Berlin")
NY = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
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


def test_one_year_span_is_fast() -> None:
    a, b = utc(2027, 1, 1), utc(2028, 1, 1)
    public_holidays("DE", 2027)  # the holiday table is built once per process
    public_holidays("DE", 2028)
    best = float("inf")
    for _ in range(5):
        cal = BusinessCalendar(BERLIN, "DE")  # fresh: no per-instance cache
        t0 = _time.perf_counter()
        seconds = cal.business_seconds_between(a, b)
        best = min(best, _time.perf_counter() - t0)
    # 261 weekdays in 2027, minus New Year, Good Friday, Easter Monday, Ascension and
    # Whit Monday (1 May, 3 Oct and Christmas fall on weekends).
    assert seconds == (261 - 5) * 8 * HOUR
    assert best < 0.005


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
_COUNTRIES = st.sampled_from([None, "DE", "US", "IN", "EG", "AU"])
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
