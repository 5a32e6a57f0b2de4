"""SMS events against the seed document's samples, key by key."""

import json
from datetime import UTC, datetime

from tidings.domain.events import sms_delivery_report, sms_received
from tidings.domain.messages import DeliveryAttempt, DeliveryStatus
from tidings.domain.timefmt import iso_seconds_z, iso_z

TOPIC = (
    "/subscriptions/50ad1522-5c2c-4d9a-a6c8-67c11ecb75b8/resourcegroups/acse2e/providers/"
    "microsoft.communication/communicationservices/tidings"
)

SEED_DELIVERY_REPORT = json.loads("""{
  "id": "Outgoing_202009180022138813a09b-0cbf-4304-9b03-1546683bb910",
  "topic": "x",
  "subject": "/phonenumber/15555555555",
  "data": {
    "MessageId": "Outgoing_202009180022138813a09b-0cbf-4304-9b03-1546683bb910",
    "From": "15555555555",
    "To": "+15555555555",
    "DeliveryStatus": "Delivered",
    "DeliveryStatusDetails": "No error.",
    "ReceivedTimestamp": "2020-09-18T00:22:20.2855749Z",
    "DeliveryAttempts": [
      {"Timestamp": "2020-09-18T00:22:14.9315918Z", "SegmentsSucceeded": 1, "SegmentsFailed": 0}
    ]
  },
  "eventType": "Microsoft.Communication.SMSDeliveryReportReceived",
  "dataVersion": "1.0",
  "metadataVersion": "1",
  "eventTime": "2020-09-18T00:22:20Z"
}""")

SEED_RECEIVED = json.loads("""{
  "id": "Incoming_20200918002745d29ebbea-3341-4466-9690-0a03af35228e",
  "topic": "x",
  "subject": "/phonenumber/15555555555",
  "data": {
    "MessageId": "Incoming_20200918002745d29ebbea-3341-4466-9690-0a03af35228e",
    "From": "15555555555",
    "To": "15555555555",
    "Message": "Great to connect with ACS events ",
    "ReceivedTimestamp": "2020-09-18T00:27:45.32Z"
  },
  "eventType": "Microsoft.Communication.SMSReceived",
  "dataVersion": "1.0",
  "metadataVersion": "1",
  "eventTime": "2020-09-18T00:27:47Z"
}""")


def test_delivery_report_has_the_seed_shape() -> None:
    event = sms_delivery_report(
        message_id=SEED_DELIVERY_REPORT["id"],
        sender="+15555555555",
        recipient="+15555555555",
        status=DeliveryStatus.DELIVERED,
        details="No error.",
        attempts=(DeliveryAttempt(datetime(2020, 9, 18, 0, 22, 14, 931591, tzinfo=UTC), 1, 0),),
        received_at=datetime(2020, 9, 18, 0, 22, 20, 285574, tzinfo=UTC),
        tag=None,
        topic="x",
        pascal=True,
        now=datetime(2020, 9, 18, 0, 22, 20, 500000, tzinfo=UTC),
    ).to_event_grid()
    assert list(event) == list(SEED_DELIVERY_REPORT)
    assert list(event["data"]) == list(SEED_DELIVERY_REPORT["data"])
    for key in ("id", "subject", "eventType", "dataVersion", "metadataVersion", "eventTime"):
        assert event[key] == SEED_DELIVERY_REPORT[key]
    data, seed = event["data"], SEED_DELIVERY_REPORT["data"]
    for key in ("MessageId", "From", "To", "DeliveryStatus", "DeliveryStatusDetails"):
        assert data[key] == seed[key]
    assert list(data["DeliveryAttempts"][0]) == list(seed["DeliveryAttempts"][0])
    assert data["ReceivedTimestamp"] == "2020-09-18T00:22:20.285574Z"


def test_received_has_the_seed_shape() -> None:
    event = sms_received(
        message_id=SEED_RECEIVED["id"],
        sender="+15555555555",
        recipient="+15555555555",
        body="Great to connect with ACS events ",
        received_at=datetime(2020, 9, 18, 0, 27, 45, 320000, tzinfo=UTC),
        segments=1,
        topic="x",
        pascal=True,
        now=datetime(2020, 9, 18, 0, 27, 47, 100000, tzinfo=UTC),
    ).to_event_grid()
    assert event == SEED_RECEIVED


def test_tag_and_camel_case_variant() -> None:
    event = sms_delivery_report(
        message_id="Outgoing_1",
        sender="+18005550100",
        recipient="+15555550111",
        status=DeliveryStatus.FAILED,
        details="4007: Sender blocked for given recipient.",
        attempts=(),
        received_at=datetime(2026, 1, 1, tzinfo=UTC),
        tag="welcome",
        topic=TOPIC,
        pascal=False,
        now=datetime(2026, 1, 1, tzinfo=UTC),
    ).to_event_grid()
    assert event["subject"] == "/phonenumber/18005550100"
    assert event["data"]["messageId"] == "Outgoing_1"
    assert event["data"]["from"] == "18005550100"
    assert event["data"]["to"] == "+15555550111"
    assert event["data"]["tag"] == "welcome"
    assert event["data"]["deliveryAttempts"] == []


def test_time_formats() -> None:
    moment = datetime(2020, 9, 18, 0, 27, 45, 320000, tzinfo=UTC)
    assert iso_z(moment) == "2020-09-18T00:27:45.32Z"
    assert iso_z(moment.replace(microsecond=0)) == "2020-09-18T00:27:45Z"
    assert iso_seconds_z(moment) == "2020-09-18T00:27:45Z"
