"""Analytics figures against hand-computed expectations, on SQLite and PostgreSQL.

The data set is tests/analytics_seed.py; the comments name the messages behind each figure.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.analytics_seed import A, B, at, inbound, outbound, seed
from tests.services.conftest import Driver
from tidings.container import Application
from tidings.domain.analytics import build_report
from tidings.domain.messages import Message, MessageStatus
from tidings.domain.numbers import NumberType
from tidings.domain.timefmt import ensure_utc
from tidings.services.analytics import failure_reason
from tidings.services.sms import Recipient, SendRequest
from tidings.storage.analytics_schema import analytics_days


def report(app: Application, **params: str) -> dict[str, Any]:
    service = app.services.analytics
    defaults = {"start": "2026-11-20T00:00:00Z", "end": "2026-11-23T00:00:00Z"}
    return service.report(service.query(**{**defaults, **params}))


def test_overall_figures(application: Application) -> None:
    seed(application)
    r = report(application)
    assert (r["from"], r["to"], r["bucket"]) == (
        "2026-11-20T00:00:00Z",
        "2026-11-23T00:00:00Z",
        "day",
    )
    assert r["totals"] == {
        "sent": 6,  # o1-o6 (o7 before, o8 after the range)
        "received": 4,  # i1-i4
        "delivered": 3,  # o1 o2 o4
        "failed": 2,  # o3 o5
        "pending": 1,  # o6
        "segments": 9,  # 1+2+1+1+3+1
        "deliveryRate": 0.6,  # 3 / (3 + 2)
        "optOuts": 2,  # A/P1 by keyword, B/P2 by API (A/P2 is before the range)
        "optIns": 1,  # A/P1 back in
        "activeConversations": 6,  # A/P1 A/P2 A/P3 B/P1 B/P2 B/P3
        "replyRate": 0.5,  # answered after the first outbound: A/P1 (i1), A/P3 (i4), B/P1 (i3)
        "deliveryLatencyMs": {"p50": 2000, "p90": 3000, "p99": 3000},  # 1000 2000 3000
        "timeToFirstReplySeconds": {"p50": 300, "p90": 600},  # 90 300 600
    }
    assert r["series"] == [
        {"start": "2026-11-20T00:00:00Z", "sent": 2, "received": 2, "delivered": 2,
         "failed": 0, "segments": 3, "optOuts": 1, "optIns": 0},
        {"start": "2026-11-21T00:00:00Z", "sent": 2, "received": 2, "delivered": 1,
         "failed": 1, "segments": 2, "optOuts": 0, "optIns": 1},
        {"start": "2026-11-22T00:00:00Z", "sent": 2, "received": 0, "delivered": 0,
         "failed": 1, "segments": 4, "optOuts": 1, "optIns": 0},
    ]  # fmt: skip
    assert r["failureReasons"] == [
        {"reason": "4006: Destination unreachable", "count": 1},
        {"reason": "4007: Sender blocked for given recipient.", "count": 1},
    ]
    assert r["topKeywords"] == [
        {"keyword": "STOP", "count": 2},  # "Stop please", "STOP"
        {"keyword": "HELLO", "count": 1},
        {"keyword": "YES", "count": 1},
    ]
    assert r["byNumber"] == [
        {"number": A, "sent": 3, "received": 3, "delivered": 2, "failed": 1,
         "deliveryRate": 2 / 3},
        {"number": B, "sent": 3, "received": 1, "delivered": 1, "failed": 1,
         "deliveryRate": 0.5},
    ]  # fmt: skip
    assert r["byTag"] == [
        {"tag": "promo", "sent": 2, "delivered": 0, "failed": 2, "deliveryRate": 0.0},
        {"tag": "welcome", "sent": 2, "delivered": 2, "failed": 0, "deliveryRate": 1.0},
    ]


def test_filtered_by_number(application: Application) -> None:
    seed(application)
    r = report(application, number=B)
    t = r["totals"]
    assert (t["sent"], t["received"], t["delivered"], t["failed"], t["pending"]) == (3, 1, 1, 1, 1)
    assert (t["optOuts"], t["optIns"]) == (1, 0)  # B/P2
    assert t["activeConversations"] == 3
    assert t["replyRate"] == 1 / 3  # only B/P1 answered (90 s)
    assert t["timeToFirstReplySeconds"] == {"p50": 90, "p90": 90}
    assert t["deliveryLatencyMs"] == {"p50": 2000, "p90": 2000, "p99": 2000}  # o4
    assert [row["number"] for row in r["byNumber"]] == [B]
    assert r["topKeywords"] == [{"keyword": "YES", "count": 1}]


def test_filtered_by_tag(application: Application) -> None:
    seed(application)
    t = report(application, tag="promo")["totals"]
    assert (t["sent"], t["delivered"], t["failed"], t["deliveryRate"]) == (2, 0, 2, 0.0)
    assert t["deliveryLatencyMs"] == {"p50": None, "p90": None, "p99": None}
    assert t["activeConversations"] == 2  # A/P3 (o3), B/P2 (o5)
    assert t["replyRate"] == 0.5  # A/P3 answered 600 s after o3
    assert t["timeToFirstReplySeconds"] == {"p50": 600, "p90": 600}


def test_hour_and_week_buckets(application: Application) -> None:
    seed(application)
    hourly = report(
        application, start="2026-11-20T09:30:00Z", end="2026-11-20T12:00:00Z", bucket="hour"
    )
    assert [(s["start"], s["sent"], s["received"]) for s in hourly["series"]] == [
        ("2026-11-20T09:00:00Z", 0, 0),
        ("2026-11-20T10:00:00Z", 1, 2),  # o1; i1 i2
        ("2026-11-20T11:00:00Z", 1, 0),  # o2
    ]
    weekly = report(
        application, start="2026-11-10T00:00:00Z", end="2026-11-24T00:00:00Z", bucket="week"
    )
    # Weeks start on Monday: 9, 16 and 23 November 2026.
    assert [(s["start"], s["sent"], s["received"]) for s in weekly["series"]] == [
        ("2026-11-09T00:00:00Z", 0, 0),
        ("2026-11-16T00:00:00Z", 7, 5),  # o1-o7; i1-i5
        ("2026-11-23T00:00:00Z", 1, 0),  # o8
    ]


def test_empty_database_is_zero_filled(application: Application) -> None:
    r = report(application)
    assert [s["sent"] for s in r["series"]] == [0, 0, 0]
    assert r["totals"]["deliveryRate"] is None
    assert r["totals"]["replyRate"] is None
    assert r["totals"]["deliveryLatencyMs"] == {"p50": None, "p90": None, "p99": None}
    assert r["failureReasons"] == [] and r["topKeywords"] == [] and r["byTag"] == []
    assert r["byNumber"] == [
        {"number": A, "sent": 0, "received": 0, "delivered": 0, "failed": 0, "deliveryRate": None}
    ]


@pytest.mark.anyio
async def test_real_flow_counts(application: Application, driver: Driver) -> None:
    """Figures after messages go through the SMS service, worker and simulated carrier."""
    request = SendRequest(
        A, [Recipient("+15555550009"), Recipient("+15555550008")], "hi", tag="flow"
    )
    application.services.sms.send(request)
    await driver.settle()
    await driver.settle(advance=30)
    service = application.services.analytics
    t = service.report(service.query())["totals"]
    assert (t["sent"], t["delivered"], t["pending"]) == (2, 2, 0)
    assert t["deliveryLatencyMs"]["p50"] is not None and t["deliveryLatencyMs"]["p50"] > 0


def _rolled_days(app: Application) -> list[str]:
    with app.database.engine.connect() as c:
        rows = c.execute(sa.select(analytics_days.c.day).where(analytics_days.c.valid.is_(True)))
        return sorted(ensure_utc(d).strftime("%m-%d") for d in rows.scalars())


def test_whole_days_come_from_rollups_and_late_reports_refresh_them(
    application: Application,
) -> None:
    seed(application)
    assert report(application)["totals"]["pending"] == 1  # o6
    assert _rolled_days(application) == ["11-20", "11-21", "11-22"]
    # A late delivery report for o6 (created on the 22nd) clears that day's rollup...
    finished = application.services.store.write(
        lambda tx: tx.messages.finish(
            "o6", status=MessageStatus.DELIVERED, code=2000, at=at(23, 11), attempts=()
        )
    )
    assert finished
    assert _rolled_days(application) == ["11-20", "11-21"]
    # ...and the next answer counts it again.
    t = report(application)["totals"]
    assert (t["delivered"], t["pending"]) == (4, 0)
    assert _rolled_days(application) == ["11-20", "11-21", "11-22"]


def test_rollups_and_messages_agree_on_partial_days(application: Application) -> None:
    """Hourly buckets never use the rollups: the same odd range by day (rollup for the whole
    days, messages for the partial ones) and by hour must give the same figures."""
    seed(application)
    odd = {"start": "2026-11-19T09:30:00Z", "end": "2026-11-22T08:30:00Z"}
    by_day = report(application, **odd)
    by_hour = report(application, **odd, bucket="hour")
    assert _rolled_days(application) == ["11-20", "11-21"]
    assert by_day["totals"] == by_hour["totals"]
    for key in ("failureReasons", "topKeywords", "byNumber", "byTag"):
        assert by_day[key] == by_hour[key]
    assert by_day["totals"]["sent"] == 6  # o7 (19th 10:00) ... o5 (22nd 08:00); not o6


def _random_traffic(app: Application, count: int = 600) -> None:
    """Conversations of two numbers with five peers over four days, replies at random, some
    at the very second of an outbound message."""
    rng = random.Random(7)
    peers = [f"+1555555{i:04d}" for i in range(5)]
    made: list[Message] = []
    for i in range(count):
        ours, peer = rng.choice([A, B]), rng.choice(peers)
        created = at(20, 0) + timedelta(seconds=rng.randrange(0, 4 * 86_400, rng.choice([1, 60])))
        if rng.random() < 0.6:
            tag = rng.choice([None, "promo", "welcome"])
            made.append(outbound(f"r{i}", ours, peer, created, MessageStatus.DELIVERED, tag=tag))
            if rng.random() < 0.1:
                made.append(inbound(f"s{i}", peer, ours, created, "same second"))
        else:
            made.append(inbound(f"r{i}", peer, ours, created, rng.choice(["yes", "STOP", "hm"])))
    app.services.numbers.provision(B, NumberType.TOLL_FREE)
    app.services.store.write(lambda t: t.messages.add_many([(m, None) for m in made]))


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"number": B},
        {"tag": "promo"},
        {"number": A, "tag": "welcome"},
        {"bucket": "hour"},
        {"bucket": "hour", "number": A},
        {"bucket": "hour", "tag": "promo"},
        {"bucket": "week"},
    ],
)
def test_rollups_answer_as_the_messages_do(
    application: Application, params: dict[str, str]
) -> None:
    """Whole days from the rollups (daily and hourly counts, conversation pieces), partial
    ones from the messages: the same document as counting everything from the messages."""
    _random_traffic(application)
    service, store = application.services.analytics, application.services.store
    query = service.query(start="2026-11-20T07:30:00Z", end="2026-11-23T18:00:00Z", **params)
    counted = store.read(lambda tx: tx.analytics.counts(query, None))
    from_messages = build_report(query, counted, failure_reason)
    from_rollups = service.report(query)  # counts the whole days into the rollups first
    assert _rolled_days(application) == ["11-21", "11-22"]
    now = application.services.clock.now()
    assert store.read(lambda tx: tx.analytics.rollup_block(query, now)) is not None
    assert from_rollups == from_messages
    totals = from_rollups["totals"]
    assert totals["activeConversations"] > 0 and totals["sent"] > 0 and totals["received"] > 0
    assert totals["replyRate"] not in (None, 0.0)


def test_keywords_ignore_the_punctuation_around_them(application: Application) -> None:
    """ "THANKS!", "Thanks," and "thanks" are one keyword; "?" alone stays a keyword."""
    seed(application)
    texts = ["THANKS!", "Thanks, bye", "thanks", "¿Hola?", "hola", "?"]
    extra = [
        inbound(f"k{i}", f"+1555555020{i}", A, at(21, 9, i), text) for i, text in enumerate(texts)
    ]
    application.services.store.write(lambda t: t.messages.add_many([(m, None) for m in extra]))
    keywords = {k["keyword"]: k["count"] for k in report(application)["topKeywords"]}
    assert keywords["THANKS"] == 3 and keywords["HOLA"] == 2 and keywords["?"] == 1
    assert not {"THANKS!", "THANKS,", "¿HOLA?"} & set(keywords)
