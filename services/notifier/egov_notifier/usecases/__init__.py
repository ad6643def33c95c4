"""Use cases of the notifier: deciding and sending notifications (``notifications``), the
webhook subscriptions' self-service (``subscriptions``) and the configuration: templates, rules
and the people to notify (``configuration``); all run in a
:class:`~egov_notifier.usecases.common.Work`."""

from egov_notifier.usecases.common import Begin, Context, Work, begin_on
from egov_notifier.usecases.notifications import (
    decide,
    dispatch_due,
    gather_digests,
    housekeeping,
    record_feed,
    replay,
)

__all__ = [
    "Begin",
    "Context",
    "Work",
    "begin_on",
    "decide",
    "dispatch_due",
    "gather_digests",
    "housekeeping",
    "record_feed",
    "replay",
]
