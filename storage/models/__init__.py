"""All models, imported here so `Base.metadata` knows every table."""

from storage.models.base import Base, UTCDateTime
from storage.models.checkins import CheckIn, ResponseClock
from storage.models.core import AuditEntry, OutboxMessage, ProcessedEvent
from storage.models.deadlines import ChangeRequest, Deadline
from storage.models.recaps import CallMention, Recap, RecapRevision
from storage.models.records import AccessItem, OffboardingChecklist, OffboardingItem
from storage.models.vendors import BACKUP, INTERNAL, PRIMARY, VENDOR, Contact, Vendor

# SQLite reuses the highest rowid after a delete or a rolled-back insert; ids travel in buttons
# and message metadata, so on SQLite every table uses AUTOINCREMENT: an id is never given twice.
for _table in Base.metadata.tables.values():
    _table.dialect_options["sqlite"]["autoincrement"] = True

__all__ = [
    "BACKUP",
    "INTERNAL",
    "PRIMARY",
    "VENDOR",
    "AccessItem",
    "AuditEntry",
    "Base",
    "CallMention",
    "ChangeRequest",
    "CheckIn",
    "Contact",
    "Deadline",
    "OffboardingChecklist",
    "OffboardingItem",
    "OutboxMessage",
    "ProcessedEvent",
    "Recap",
    "RecapRevision",
    "ResponseClock",
    "UTCDateTime",
    "Vendor",
]
