"""The .ics file a patient gets with a booked visit (RFC 5545, written by hand).

One VCALENDAR (METHOD:PUBLISH) with one VEVENT in the clinic's timezone and a VTIMEZONE
describing that zone around the visit, so Google Calendar, Apple Calendar and Outlook show
the same local time. The UID is stable per request (`appointment-<id>@<domain>`): a moved
visit sent again with a higher `sequence` updates the event instead of adding a second one.

Text values are escaped (backslash, semicolon, comma, newline), control characters are
dropped, lines end with CRLF and are folded at 75 octets without splitting a UTF-8 character.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

PRODUCT_ID = "-//clinic-bot//Visit calendar 1.0//EN"
DEFAULT_UID_DOMAIN = "clinic-bot.local"
MAX_LINE_OCTETS = 75
# The VTIMEZONE lists the zone's changes this far around the visit.
TIMEZONE_MARGIN = timedelta(days=400)
_SCAN_STEP = timedelta(hours=6)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_DOMAIN = re.compile(r"[A-Za-z0-9.-]+")


@dataclass(frozen=True)
class DescriptionLabels:
    doctor: str
    bring: str


LABELS_RU = DescriptionLabels(doctor="Врач", bring="Взять с собой")
LABELS_EN = DescriptionLabels(doctor="Doctor", bring="Please bring")


def labels_for(locale: str) -> DescriptionLabels:
    """Russian labels for "ru", English for anything else."""
    return LABELS_RU if locale == "ru" else LABELS_EN


def ics_filename(request_id: int) -> str:
    return f"appointment-{request_id}.ics"


def escape_text(value: str) -> str:
    """A TEXT value per RFC 5545 3.3.11: `\\`, `;`, `,` and newlines escaped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value)
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold_line(line: str) -> bytes:
    """One content line as UTF-8, folded at 75 octets (continuations start with a space)."""
    out = bytearray()
    current = bytearray()
    limit = MAX_LINE_OCTETS
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > limit:
            out += current + b"\r\n"
            current = bytearray(b" ")
        current += encoded
    out += current + b"\r\n"
    return bytes(out)


def _utc_stamp(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def _local_stamp(moment: datetime) -> str:
    return f"{moment:%Y%m%dT%H%M%S}"


def _offset(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    sign = "+" if seconds >= 0 else "-"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{secs:02d}" if secs else "")


def _state(moment: datetime, zone: ZoneInfo) -> tuple[timedelta, timedelta, str]:
    local = moment.astimezone(zone)
    return (
        local.utcoffset() or timedelta(0),
        local.dst() or timedelta(0),
        local.tzname() or "",
    )


def _transitions(zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """UTC moments in (start, end] where the zone's offset, DST flag or name changes."""
    found: list[datetime] = []
    before = start
    while before < end:
        after = min(before + _SCAN_STEP, end)
        if _state(before, zone) != _state(after, zone):
            low, high = before, after  # the state changes in (low, high]
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if middle <= low:
                    break
                if _state(middle, zone) == _state(low, zone):
                    low = middle
                else:
                    high = middle
            found.append(high)
        before = after
    return found


def _observance(
    zone: ZoneInfo, onset_utc: datetime, offset_from: timedelta, lines: list[str]
) -> None:
    offset_to, dst, name = _state(onset_utc, zone)
    kind = "DAYLIGHT" if dst else "STANDARD"
    lines.append(f"BEGIN:{kind}")
    # The onset is written in the local time in force just before it (RFC 5545 3.6.5).
    lines.append(f"DTSTART:{_local_stamp((onset_utc + offset_from).replace(tzinfo=None))}")
    lines.append(f"TZOFFSETFROM:{_offset(offset_from)}")
    lines.append(f"TZOFFSETTO:{_offset(offset_to)}")
    if name:
        lines.append(f"TZNAME:{escape_text(name)}")
    lines.append(f"END:{kind}")


def vtimezone_lines(zone: ZoneInfo, start: datetime, end: datetime) -> list[str]:
    """A VTIMEZONE for `zone` valid from before `start` to after `end` (aware moments)."""
    first_day = (start - TIMEZONE_MARGIN).astimezone(zone).date()
    window_start = datetime.combine(first_day, time(0), tzinfo=zone).astimezone(UTC)
    window_end = (end + TIMEZONE_MARGIN).astimezone(UTC)
    lines = ["BEGIN:VTIMEZONE", f"TZID:{zone.key}"]
    first_offset = _state(window_start, zone)[0]
    _observance(zone, window_start, first_offset, lines)
    previous_offset = first_offset
    for onset in _transitions(zone, window_start, window_end):
        _observance(zone, onset, previous_offset, lines)
        previous_offset = _state(onset, zone)[0]
    lines.append("END:VTIMEZONE")
    return lines


def appointment_ics(
    *,
    request_id: int,
    starts_at: datetime,
    duration: timedelta,
    zone: ZoneInfo,
    summary: str,
    address: str,
    stamp: datetime,
    doctor: str | None = None,
    bring: str | None = None,
    labels: DescriptionLabels = LABELS_RU,
    sequence: int = 0,
    uid_domain: str = DEFAULT_UID_DOMAIN,
) -> bytes:
    """The bytes of an .ics file with the visit as one event.

    `starts_at` and `stamp` (when the file is made, from the clock) are aware; the event is
    written in `zone` with its TZID. DESCRIPTION holds the doctor and what to bring, one
    labelled line each, when given.
    """
    for moment in (starts_at, stamp):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("aware datetimes are required")
    if duration <= timedelta(0):
        raise ValueError("a visit lasts a positive time")
    if not _DOMAIN.fullmatch(uid_domain):
        raise ValueError("the UID domain is letters, digits, dots and hyphens")
    start_local = starts_at.astimezone(zone)
    end_local = (starts_at + duration).astimezone(zone)
    description = [
        f"{label}: {value.strip()}"
        for label, value in ((labels.doctor, doctor), (labels.bring, bring))
        if value and value.strip()
    ]
    event = [
        "BEGIN:VEVENT",
        f"UID:appointment-{request_id}@{uid_domain}",
        f"DTSTAMP:{_utc_stamp(stamp)}",
        f"DTSTART;TZID={zone.key}:{_local_stamp(start_local)}",
        f"DTEND;TZID={zone.key}:{_local_stamp(end_local)}",
        f"SEQUENCE:{sequence}",
        f"SUMMARY:{escape_text(summary)}",
        f"LOCATION:{escape_text(address)}",
    ]
    if description:
        event.append(f"DESCRIPTION:{escape_text(chr(10).join(description))}")
    event += ["STATUS:CONFIRMED", "TRANSP:OPAQUE", "END:VEVENT"]
    lines = [
        "BEGIN:VCALENDAR",
        f"PRODID:{PRODUCT_ID}",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        *vtimezone_lines(zone, starts_at, starts_at + duration),
        *event,
        "END:VCALENDAR",
    ]
    return b"".join(fold_line(line) for line in lines)
