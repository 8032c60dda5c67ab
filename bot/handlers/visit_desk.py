"""The services behind a request card and the visit loop, handed to handlers as one piece."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.outbox import OutboxSender
from bot.settings import Settings
from storage import Storage
from storage.repositories import (
    AppointmentRepository,
    AuditRepository,
    ConversationRepository,
    OutboxRepository,
    PatientRepository,
    RequestRepository,
)


@dataclass(frozen=True, slots=True)
class VisitDesk:
    """What refreshing a request card, noting a patient's answer under it and saving an
    appointment need, built once per dispatcher and injected as `visit_desk`.

    Only services that live as long as the dispatcher: the texts (`content`, `clinic_t`,
    `translations`) change on /reload and are passed per update alongside it.
    """

    request_repo: RequestRepository
    appointment_repo: AppointmentRepository
    conversation_repo: ConversationRepository
    patient_repo: PatientRepository
    audit_repo: AuditRepository
    outbox_repo: OutboxRepository
    outbox: OutboxSender
    settings: Settings
    clock: Clock

    @classmethod
    def of(
        cls, storage: Storage, *, outbox: OutboxSender, settings: Settings, clock: Clock
    ) -> VisitDesk:
        return cls(
            request_repo=storage.requests,
            appointment_repo=storage.appointments,
            conversation_repo=storage.conversations,
            patient_repo=storage.patients,
            audit_repo=storage.audit,
            outbox_repo=storage.outbox,
            outbox=outbox,
            settings=settings,
            clock=clock,
        )
