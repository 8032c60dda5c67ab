"""Callback data of every inline button; prefixes are short because Telegram allows 64 bytes."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from storage.models import RequestStatus, ReviewStatus


class Screen(StrEnum):
    MENU = "menu"
    ARTICLE = "art"
    PRICES = "prc"
    BOOK = "book"
    REVIEW = "rev"
    REVIEWS = "revs"


class NavCallback(CallbackData, prefix="nav"):
    """Jump to a top-level screen from an inline keyboard."""

    screen: Screen


class ArticleCallback(CallbackData, prefix="a"):
    section: str


class PriceBookCallback(CallbackData, prefix="pb"):
    """A price list's "Book" button: starts a new request with that service chosen."""

    service: str


class ServiceCallback(CallbackData, prefix="svc"):
    """Choose a service for a request; `NOT_SURE` when the patient leaves it to the clinic."""

    service: str


NOT_SURE = "-"


class BookingAction(StrEnum):
    TIME = "t"
    SKIP = "skip"
    AGREE = "ok"
    CONFIRM = "yes"
    EDIT = "edit"
    FIELD = "f"
    CANCEL = "no"
    REUSE = "same"
    RETYPE = "new"


class BookingCallback(CallbackData, prefix="bk"):
    action: BookingAction
    value: str = ""


class TimeSlot(StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"


class BookingField(StrEnum):
    SERVICE = "service"
    NAME = "name"
    PHONE = "phone"
    TIME = "time"
    COMPLAINT = "complaint"


class ReviewAction(StrEnum):
    RATE = "r"
    SKIP = "skip"
    SIGN = "sign"
    ANONYMOUS = "anon"
    CANCEL = "no"


class ReviewCallback(CallbackData, prefix="rv"):
    action: ReviewAction
    stars: int = 0


class ReviewsPageCallback(CallbackData, prefix="rp"):
    page: int


class LanguageCallback(CallbackData, prefix="lang"):
    locale: str


class StatusCallback(CallbackData, prefix="st"):
    """A status button of a request card; `was` is the status the card showed when pressed."""

    request: int
    new: RequestStatus
    was: RequestStatus


class ModerationCallback(CallbackData, prefix="md"):
    review: int
    status: ReviewStatus


class StaffPageCallback(CallbackData, prefix="sp"):
    """A page of a staff list: requests or reviews, optionally of one status, by keyset."""

    table: str  # "rq" or "rv"
    status: str = ""
    before: int = 0
    after: int = 0


class StaffModerationCallback(CallbackData, prefix="sm"):
    """Publish / Hide from a staff review list; `anchor` re-opens the same page after."""

    review: int
    status: ReviewStatus
    list_status: str = ""
    anchor: int = 0


class ForgetCallback(CallbackData, prefix="fg"):
    confirm: bool


class DigestCallback(CallbackData, prefix="dg"):
    """A button of a manager-chat digest: posts the full card of the outbox row it lists."""

    outbox: int


class AppointmentAction(StrEnum):
    OPEN = "o"  # the card's 🗓 button: set or change the appointment
    DAY = "d"  # value: YYYYMMDD, the clinic's local day
    SLOT = "s"  # value: YYYYMMDDHHMM, the clinic's local time
    BACK = "b"  # back to the days
    BRANCH = "br"  # value: the branch id
    NO_DOCTOR = "nd"
    CANCEL = "x"


class AppointmentCallback(CallbackData, prefix="ap"):
    """The managers' appointment dialog of a request (and the card's 🗓 button)."""

    action: AppointmentAction
    request: int
    value: str = ""


class VisitAction(StrEnum):
    COME = "c"
    MOVE = "m"
    CANCEL = "x"
    CANCEL_YES = "y"
    CANCEL_NO = "n"
    RATE = "r"  # stars: 1-5, the patient came
    MISSED = "0"


class VisitCallback(CallbackData, prefix="vs"):
    """A patient's button on a confirmation, reminder or follow-up; `revision` is the
    appointment's when the message was sent, so a button of a moved visit is stale."""

    action: VisitAction
    appointment: int
    revision: int = 0
    stars: int = 0


class TemplateCallback(CallbackData, prefix="tp"):
    """The card's 📋 button (template 0: show the list), a template chosen from it, or back."""

    request: int
    template: int = 0
    back: bool = False


class EditTargetCallback(CallbackData, prefix="ed"):
    """Staff's ✏️ on a service (`what` = service) or a branch's phone or hours."""

    what: str
    id: str


class EditConfirmCallback(CallbackData, prefix="eo"):
    """Staff's Apply or Cancel of an edit shown as old → new."""

    apply: bool


STAFF_PRIVATE_BUTTONS: tuple[type[CallbackData], ...] = (
    StaffPageCallback,
    StaffModerationCallback,
    EditTargetCallback,
    EditConfirmCallback,
)
"""Staff's buttons outside the manager chat (lists, moderation, price edits in a private chat)."""
