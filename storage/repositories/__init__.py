"""The repositories of clinic-bot, one per area, all over one `storage.database.Database`."""

from storage.repositories.appointments import AppointmentRepository
from storage.repositories.audit import AuditRepository
from storage.repositories.conversations import ConversationRepository
from storage.repositories.escalations import EscalationRepository, FirstTake, WaitingRequest
from storage.repositories.forms import FormRepository
from storage.repositories.outbox import OUTBOX_LEASE, OutboxRepository
from storage.repositories.overrides import OverrideRepository
from storage.repositories.patients import PatientRepository
from storage.repositories.requests import RequestRepository
from storage.repositories.reviews import ReviewRepository
from storage.repositories.sources import SourceRepository, SourceStats
from storage.repositories.templates import ReplyTemplate, TemplateRepository

__all__ = [
    "OUTBOX_LEASE",
    "AppointmentRepository",
    "AuditRepository",
    "ConversationRepository",
    "EscalationRepository",
    "FirstTake",
    "FormRepository",
    "OutboxRepository",
    "OverrideRepository",
    "PatientRepository",
    "ReplyTemplate",
    "RequestRepository",
    "ReviewRepository",
    "SourceRepository",
    "SourceStats",
    "TemplateRepository",
    "WaitingRequest",
]
