"""Holidays by region and days-off warnings, through signed requests and the fake Slack.

A vendor registered with `country GB-ENG` (or a bare `GB`, which means England) gets England's
bank holidays: its check-ins skip Easter Monday, its SLA clock does not run that day, and a
deadline due that day is accepted with a warning. Another country with regional lists
(`US-CA`, `DE-BY`, `IN-KA`) behaves the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.blocks.ids import BlockId, Callback
from storage.models import AuditEntry, Deadline, Vendor
from tests.checkins.helpers import checkin_posts
from tests.harness import ALEX, OWNER, PRIYA, SHARED_CHANNEL, Harness
from tests.vendors.helpers import BOT, deliver, joined, last_view


def _reply(h: Harness, text: str, **kw: object) -> str:
    resp = h.command(text, **kw)  # type: ignore[arg-type]
    assert resp.status == 200
    body = resp.json()
    assert body["response_type"] == "ephemeral", body
    return str(body["text"])


def _vendor(h: Harness) -> Vendor:
    with h.session() as s:
        vendor = s.scalars(select(Vendor)).one()
        s.expunge(vendor)
        return vendor


def _deadlines(h: Harness) -> list[tuple[str, datetime]]:
    with h.session() as s:
        return [(d.title, d.due_at) for d in s.scalars(select(Deadline).order_by(Deadline.id))]


def _register(h: Harness, country: str, tz: str) -> str:
    text = _reply(h, f"vendor add Acme Dev tz {tz} country {country}")
    assert "*Acme Dev* is registered" in text
    assert "is now *Acme Dev*'s vendor primary contact" in _reply(
        h, f"contact set vendor <@{PRIYA}>"
    )
    return text


# --------------------------------------------------------------------------- England


def test_gb_eng_vendor_skips_easter_monday_and_warns_about_it(harness: Harness) -> None:
    h = harness
    text = _register(h, "GB-ENG", "Europe/London")
    assert "country: GB-ENG" in text
    assert (
        "Days off: weekends and the public holidays of England, United Kingdom (`GB-ENG`)" in text
    )
    assert _vendor(h).country == "GB-ENG"

    assert "every mon at 10:00 Europe/London" in _reply(h, "checkin every mon 10:00")
    h.sweep("2027-03-22T10:01Z")  # Mon 22 Mar 10:01 GMT
    assert len(checkin_posts(h)) == 1
    h.sweep("2027-03-29T09:01Z")  # Easter Monday 10:01 BST: a bank holiday in England
    h.sweep("2027-03-29T15:00Z")
    assert len(checkin_posts(h)) == 1
    h.sweep("2027-04-05T09:01Z")  # Mon 5 Apr 10:01 BST
    assert len(checkin_posts(h)) == 2

    h.clock.set(datetime(2027, 3, 2, 9, tzinfo=UTC))
    text = _reply(h, 'deadline add "Handover" 2027-03-29')
    assert "✅ Deadline *#1 Handover* added — due *Mon 29 Mar 2027 17:00 BST" in text
    assert "⚠️ Mon 29 Mar is Easter Monday in England." in text
    assert "The deadline is set for that day anyway" in text
    text = _reply(h, 'deadline add "Weekend work" 2027-03-13 12:00')
    assert "⚠️ Sat 13 Mar is a weekend day in England." in text
    text = _reply(h, 'deadline add "Ordinary" 2027-03-30')
    assert "⚠️" not in text
    assert _deadlines(h) == [
        ("Handover", datetime(2027, 3, 29, 16, tzinfo=UTC)),
        ("Weekend work", datetime(2027, 3, 13, 12, tzinfo=UTC)),
        ("Ordinary", datetime(2027, 3, 30, 16, tzinfo=UTC)),
    ]

    text = _reply(h, 'deadline move 3 2027-03-29 reason "moved to the bank holiday"')
    assert "📨 Change request posted" in text
    assert "⚠️ Mon 29 Mar is Easter Monday in England. The request is posted anyway." in text


def test_a_bare_gb_means_england_and_the_reply_says_how_to_choose_another(
    harness: Harness,
) -> None:
    h = harness
    text = _register(h, "GB", "Europe/London")
    assert _vendor(h).country == "GB-ENG"
    assert "England, United Kingdom (`GB-ENG`) — the default for `GB`" in text
    assert "other regions: `GB-NIR`, `GB-SCT`, `GB-WLS`" in text
    assert "To choose another: `/outsource vendor add Acme Dev country GB-NIR`" in text

    text = _reply(h, "vendor add Acme Dev country GB-SCT")
    assert "✅ Updated *Acme Dev*: country GB-ENG → GB-SCT." in text
    assert "public holidays of Scotland, United Kingdom (`GB-SCT`)" in text
    assert _vendor(h).country == "GB-SCT"

    # Scotland has no Easter Monday bank holiday: a Monday check-in goes out.
    _reply(h, "checkin every mon 10:00")
    h.sweep("2027-03-29T09:01Z")
    assert len(checkin_posts(h)) == 1


def test_an_unknown_region_is_refused_with_a_suggestion_and_changes_nothing(
    harness: Harness,
) -> None:
    h = harness
    _register(h, "GB-SCT", "Europe/London")
    with h.session() as s:
        audits = s.query(AuditEntry).count()
    posts = len(h.posts())
    text = _reply(h, "vendor add Acme Dev country GB-EN")
    assert "I don't know the region 'GB-EN'. Did you mean `GB-ENG` (England)?" in text
    assert "Traceback" not in text
    text = _reply(h, "vendor add Acme Dev country US-Cali")
    assert "`US-CA` (California)" in text
    assert _vendor(h).country == "GB-SCT"
    with h.session() as s:
        assert s.query(AuditEntry).count() == audits
    assert len(h.posts()) == posts


def test_sla_clock_does_not_run_on_easter_monday_in_england(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/London", country="GB-ENG")
    _reply(h, "sla 4")
    h.clock.set(datetime(2027, 3, 25, 15, tzinfo=UTC))  # Thu 15:00 GMT: 2 business hours left
    h.say(f"<@{PRIYA}> could you send the release notes?", user=ALEX)
    # Good Friday, the weekend and Easter Monday do not count: 4 hours end Tue 11:00 BST.
    h.sweep("2027-03-29T15:00Z")
    assert h.dms(OWNER) == []
    h.sweep("2027-03-30T09:59Z")
    assert h.dms(OWNER) == []
    h.sweep("2027-03-30T10:01Z")
    dms = h.dms(OWNER)
    assert len(dms) == 1 and "SLA of 4 business hours" in dms[0]["text"]


# --------------------------------------------------------------------------- other regions


def test_us_ca_vendor_skips_cesar_chavez_day_and_warns_about_it(harness: Harness) -> None:
    h = harness
    text = _register(h, "us-ca", "America/Los_Angeles")
    assert "public holidays of California, United States (`US-CA`)" in text
    assert _vendor(h).country == "US-CA"
    _reply(h, "checkin every wed 10:00")
    h.sweep("2027-03-24T17:01Z")  # Wed 24 Mar 10:01 PDT
    assert len(checkin_posts(h)) == 1
    h.sweep("2027-03-31T17:01Z")  # César Chávez Day
    assert len(checkin_posts(h)) == 1
    h.sweep("2027-04-07T17:01Z")
    assert len(checkin_posts(h)) == 2

    h.clock.set(datetime(2027, 3, 2, 17, tzinfo=UTC))
    text = _reply(h, 'deadline add "Pen test report" 2027-03-31')
    assert "⚠️ Wed 31 Mar is Cesar Chavez Day in California." in text


@pytest.mark.parametrize(
    ("country", "tz", "when", "warning"),
    [
        ("DE-BY", "Europe/Berlin", "2028-01-06", "⚠️ Thu 6 Jan is Epiphany in Bayern."),
        ("DE", "Europe/Berlin", "2028-01-06", None),  # not a holiday in all of Germany
        ("DE", "Europe/Berlin", "2027-03-13", "⚠️ Sat 13 Mar is a weekend day in Germany."),
        (
            "IN-KA",
            "Asia/Kolkata",
            "2027-11-01",
            "⚠️ Mon 1 Nov is Karnataka Rajyotsava in Karnataka.",
        ),
        ("IN", "Asia/Kolkata", "2027-11-01", None),
    ],
)
def test_deadline_on_a_regional_holiday_warns(
    harness: Harness, country: str, tz: str, when: str, warning: str | None
) -> None:
    h = harness
    _register(h, country, tz)
    text = _reply(h, f'deadline add "Delivery" {when}')
    assert "✅ Deadline *#1 Delivery* added" in text
    if warning is None:
        assert "⚠️" not in text
    else:
        assert warning in text
    assert len(_deadlines(h)) == 1


# --------------------------------------------------------------------------- the register modal


def test_register_modal_takes_a_region_and_refuses_an_unknown_one(harness: Harness) -> None:
    h = harness
    h.event(joined(BOT, SHARED_CHANNEL, inviter=OWNER))
    deliver(h)
    [intro] = h.posts(SHARED_CHANNEL)
    h.click_button(intro, "Register this vendor", user=OWNER)
    view = last_view(h)
    field = next(b for b in view["blocks"] if b.get("block_id") == BlockId.VENDOR_COUNTRY)
    assert "GB-SCT" in field["hint"]["text"]

    def submit(country: str) -> dict:
        resp = h.submit(
            Callback.REGISTER_VENDOR_MODAL,
            {
                BlockId.VENDOR_NAME: {BlockId.VENDOR_NAME: "Acme Dev"},
                BlockId.VENDOR_TZ: {BlockId.VENDOR_TZ: "Europe/London"},
                BlockId.VENDOR_COUNTRY: {BlockId.VENDOR_COUNTRY: country},
            },
            user=OWNER,
            private_metadata=view["private_metadata"],
        )
        assert resp.status == 200
        return resp.json() if resp.body_text else {}

    body = submit("GB-EN")
    assert body["response_action"] == "errors"
    assert "`GB-ENG` (England)" in body["errors"][BlockId.VENDOR_COUNTRY]
    with h.session() as s:
        assert s.scalars(select(Vendor)).first() is None

    assert submit("gb") == {}  # the modal closes
    assert _vendor(h).country == "GB-ENG"
    [confirmation] = h.fake.ephemeral(SHARED_CHANNEL, user=OWNER)
    assert "England, United Kingdom (`GB-ENG`) — the default for `GB`" in confirmation["text"]
