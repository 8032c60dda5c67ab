"""The repositories of clinic-bot, one per area, all over one `storage.database.Database`."""

from storage.repositories.audit import AuditRepository
from storage.repositories.conversations import ConversationRepository
from storage.repositories.forms import FormRepository
from storage.repositories.outbox import OUTBOX_LEASE, OutboxRepository
from storage.repositories.patients import PatientRepository
from storage.repositories.requests import RequestRepository
from storage.repositories.reviews import ReviewRepository

__all__ = [
    "OUTBOX_LEASE",
    "AuditRepository",
    "ConversationRepository",
    "FormRepository",
    "OutboxRepository",
    "PatientRepository",
    "RequestRepository",
    "ReviewRepository",
]
