"""When the messages around a visit go out: reminders before it, the follow-up after it.

`plan_messages` is called when a visit is booked (or moved): it returns what to schedule.
`still_makes_sense` and `when_to_send` are for the sender when a message is late because
the bot was down. All moments are aware UTC; quiet hours are read on the clinic's wall clock.

The rules:

- a reminder is due at visit - offset; one whose time has already come when the plan is
  made is skipped (a visit booked for in 3 hours gets only the 2 h reminder);
- one that falls in quiet hours moves to the end of that quiet period, if that is still at
  least `min_lead` before the visit, and is skipped otherwise;
- reminders that land on the same moment (or within `merge_within` of each other) become
  one: the later of them, carrying the smallest offset;
- the follow-up ("Did you come?") is due at visit + follow_up_after, moved out of quiet
  hours to their end; it is always planned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.services.clinic_time import QuietHours, format_duration

DEFAULT_MIN_LEAD = timedelta(minutes=30)
DEFAULT_FOLLOW_UP_GRACE = timedelta(days=3)


class MessageKind(StrEnum):
    REMINDER = "reminder"
    FOLLOW_UP = "follow_up"


@dataclass(frozen=True)
class PlannedMessage:
    kind: MessageKind
    due_at: datetime  # aware UTC
    offset: timedelta  # before the visit for a reminder, after it for the follow-up

    @property
    def key(self) -> str:
        """A stable name for storage's uniqueness: `reminder-1d`, `reminder-2h`, `follow_up`."""
        if self.kind is MessageKind.FOLLOW_UP:
            return self.kind.value
        return f"{self.kind.value}-{format_duration(self.offset)}"


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("an aware datetime is required")
    return moment.astimezone(UTC)


def plan_messages(
    *,
    visit_at: datetime,
    now: datetime,
    reminders: Sequence[timedelta],
    follow_up_after: timedelta,
    quiet: QuietHours | None,
    zone: ZoneInfo,
    min_lead: timedelta = DEFAULT_MIN_LEAD,
    merge_within: timedelta = timedelta(0),
) -> list[PlannedMessage]:
    """The reminders and the follow-up to schedule for a visit, earliest first."""
    visit_at, now = _utc(visit_at), _utc(now)
    kept: list[PlannedMessage] = []
    for offset in sorted(set(reminders), reverse=True):
        natural = visit_at - offset
        if natural <= now:
            continue
        due = quiet.release(natural, zone) if quiet else natural
        if due != natural and visit_at - due < min_lead:
            continue
        kept.append(PlannedMessage(MessageKind.REMINDER, due, offset))
    merged: list[PlannedMessage] = []
    # At one moment the smaller offset sorts last and is the one kept.
    for message in sorted(kept, key=lambda item: (item.due_at, -item.offset)):
        if merged and message.due_at - merged[-1].due_at <= merge_within:
            merged[-1] = message
        else:
            merged.append(message)
    natural_follow_up = visit_at + follow_up_after
    follow_up_due = quiet.release(natural_follow_up, zone) if quiet else natural_follow_up
    merged.append(PlannedMessage(MessageKind.FOLLOW_UP, follow_up_due, follow_up_after))
    return merged


def still_makes_sense(
    kind: MessageKind,
    due_at: datetime,
    visit_at: datetime,
    now: datetime,
    *,
    follow_up_grace: timedelta = DEFAULT_FOLLOW_UP_GRACE,
) -> bool:
    """Whether a message due at `due_at` is still worth sending at `now`.

    A reminder is dropped once the visit time has come; a follow-up more than
    `follow_up_grace` late is dropped (the patient would hardly remember the visit).
    """
    due_at, visit_at, now = _utc(due_at), _utc(visit_at), _utc(now)
    if kind is MessageKind.REMINDER:
        return now < visit_at
    return now - due_at <= follow_up_grace


def when_to_send(
    kind: MessageKind,
    due_at: datetime,
    visit_at: datetime,
    now: datetime,
    *,
    quiet: QuietHours | None,
    zone: ZoneInfo,
    min_lead: timedelta = DEFAULT_MIN_LEAD,
    follow_up_grace: timedelta = DEFAULT_FOLLOW_UP_GRACE,
) -> datetime | None:
    """When a message that is due (possibly late) should actually go out, or None to drop it.

    Not before `due_at`; a late message that would now land in quiet hours waits for their
    end, the same rules as the plan (a reminder that would then be less than `min_lead`
    before the visit, or a follow-up past its grace, is dropped).
    """
    due_at, visit_at, now = _utc(due_at), _utc(visit_at), _utc(now)
    if not still_makes_sense(kind, due_at, visit_at, now, follow_up_grace=follow_up_grace):
        return None
    moment = max(due_at, now)
    send_at = quiet.release(moment, zone) if quiet else moment
    if kind is MessageKind.REMINDER:
        if send_at >= visit_at or (send_at != moment and visit_at - send_at < min_lead):
            return None
    elif send_at - due_at > follow_up_grace:
        return None
    return send_at
