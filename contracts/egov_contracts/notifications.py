"""Delivery results of the notifier."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from egov_contracts.envelope import EventData, register
from egov_contracts.topics import NOTIFICATION_DELIVERIES
from egov_contracts.types import Code, Text, VnDatetime


class NotificationChannel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"
    SMS = "sms"
    IN_APP = "in-app"


class _Delivery(EventData):
    topic = NOTIFICATION_DELIVERIES.name

    notification_id: str = Field(description="Mã thông báo")
    rule_id: Code
    channel: NotificationChannel
    recipient: str = Field(description="Masked recipient or subscription id, never in clear")
    source_event_id: str
    source_event_type: str
    attempts: int = Field(ge=1)


@register
class NotificationDelivered(_Delivery):
    event_type = "vn.egov.notifications.notification.delivered.v1"
    occurred_field = "delivered_at"
    delivered_at: VnDatetime


@register
class NotificationFailed(_Delivery):
    event_type = "vn.egov.notifications.notification.failed.v1"
    occurred_field = "failed_at"
    failed_at: VnDatetime
    last_error: Text
