"""Keyboards as pure functions of their texts and data; no handler builds markup inline."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache, wraps
from typing import Any, ParamSpec, TypeVar, cast

from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot.callbacks import (
    NOT_SURE,
    AppointmentAction,
    AppointmentCallback,
    ArticleCallback,
    BookingAction,
    BookingCallback,
    BookingField,
    LanguageCallback,
    ModerationCallback,
    NavCallback,
    PriceBookCallback,
    ReviewAction,
    ReviewCallback,
    ReviewsPageCallback,
    Screen,
    ServiceCallback,
    StatusCallback,
    TemplateCallback,
    TimeSlot,
    VisitAction,
    VisitCallback,
)
from bot.content import ArticleSection, Service
from bot.i18n import Translator
from storage.models import RequestStatus, ReviewStatus

Markup = TypeVar("Markup", InlineKeyboardMarkup, ReplyKeyboardMarkup)
Arguments = ParamSpec("Arguments")


_KEPT: list[Any] = []  # the lru caches of every kept keyboard builder


def forget_kept_keyboards() -> None:
    """Drop every kept keyboard: called when texts are loaded anew (/reload, the preview's
    reload on each edit), so that the translators of earlier texts, their Fluent bundles and
    kept texts, are not held by keyboards no answer will use again."""
    for kept in _KEPT:
        kept.cache_clear()


def kept_keyboards() -> int:
    """How many keyboards are kept now."""
    return sum(kept.cache_info().currsize for kept in _KEPT)


def _reused(build: Callable[Arguments, Markup]) -> Callable[Arguments, Markup]:
    """Build each distinct keyboard once, and hand out a fresh copy of it every time.

    A keyboard depends only on its arguments (texts come in through `t`); building one was
    ~15% of the CPU per update. The first build is kept and each answer gets a copy: new
    rows of new buttons (~25 µs for eight buttons; validating a new model from the kept data
    took ~60, a `model_copy(deep=True)` ~120).
    Fresh matters: aiogram's markups are mutable models, and a handler that changed a shared
    one would change every later answer. A button's copy is shallow, so the kept keyboard
    may hold buttons of strings, numbers and flags only: `_immutable_buttons` checks that
    once.
    Keyboards with unbounded arguments (request ids, names) are not cached.
    """

    def built(*args: Arguments.args, **kwargs: Arguments.kwargs) -> Markup:
        return _immutable_buttons(build(*args, **kwargs))

    # Arguments are hashable (a Translator, tuples, strings, numbers): lru_cache needs that.
    kept = cast(Callable[Arguments, Markup], lru_cache(maxsize=1024)(built))
    _KEPT.append(kept)

    @wraps(build)
    def fresh(*args: Arguments.args, **kwargs: Arguments.kwargs) -> Markup:
        return _copy(kept(*args, **kwargs))

    return fresh


def _rows_of(markup: InlineKeyboardMarkup | ReplyKeyboardMarkup) -> Sequence[Sequence[Any]]:
    if isinstance(markup, InlineKeyboardMarkup):
        return markup.inline_keyboard
    return markup.keyboard


def _copy(markup: Markup) -> Markup:
    rows = [[button.model_copy() for button in row] for row in _rows_of(markup)]
    field = "inline_keyboard" if isinstance(markup, InlineKeyboardMarkup) else "keyboard"
    return markup.model_copy(update={field: rows})


def _immutable_buttons(markup: Markup) -> Markup:
    for row in _rows_of(markup):
        for button in row:
            for name, value in button:
                if not isinstance(value, str | int | bool | None):
                    raise TypeError(
                        f"{name}={value!r}: a kept keyboard's button is copied shallowly, so "
                        "it may hold strings, numbers and flags only; build it per answer instead"
                    )
    return markup


REQUEST_STATUS_BUTTONS: tuple[RequestStatus, ...] = (
    RequestStatus.TAKEN,
    RequestStatus.CALLED,
    RequestStatus.BOOKED,
    RequestStatus.NO_ANSWER,
    RequestStatus.CANCELLED,
    RequestStatus.SPAM,
)


@_reused
def main_menu(t: Translator) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=t("menu-article")), KeyboardButton(text=t("menu-prices"))],
            [KeyboardButton(text=t("menu-book")), KeyboardButton(text=t("menu-review"))],
            [
                KeyboardButton(text=t("menu-reviews")),
                KeyboardButton(text=t("contacts-menu-button")),
            ],
            [KeyboardButton(text=t("menu-language"))],
        ],
        resize_keyboard=True,
        is_persistent=True,
        input_field_placeholder=t("menu-placeholder"),
    )


@_reused
def form_cancel(t: Translator) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=t("form-cancel-button"))]],
        resize_keyboard=True,
        input_field_placeholder=t("form-placeholder"),
    )


@_reused
def phone_request(t: Translator) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=t("book-share-phone"), request_contact=True)],
            [KeyboardButton(text=t("form-cancel-button"))],
        ],
        resize_keyboard=True,
        input_field_placeholder=t("book-phone-placeholder"),
    )


def _nav_button(t: Translator, screen: Screen, key: str) -> InlineKeyboardButton:
    return _button(t(key), NavCallback(screen=screen))


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def _rows(buttons: Sequence[InlineKeyboardButton], *sizes: int) -> list[list[InlineKeyboardButton]]:
    """`buttons` in rows of `sizes`, the last size repeated (InlineKeyboardBuilder.adjust's
    rule). Built directly: the builder deep-copies every button on export."""
    rows: list[list[InlineKeyboardButton]] = []
    start = 0
    while start < len(buttons):
        size = sizes[min(len(rows), len(sizes) - 1)]
        rows.append(list(buttons[start : start + size]))
        start += size
    return rows


@_reused
def back_to_menu(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_nav_button(t, Screen.MENU, "nav-menu")]])


@_reused
def article_sections(t: Translator, sections: Sequence[ArticleSection]) -> InlineKeyboardMarkup:
    rows = [[_button(section.title, ArticleCallback(section=section.id))] for section in sections]
    rows.append([_nav_button(t, Screen.BOOK, "nav-book"), _nav_button(t, Screen.MENU, "nav-menu")])
    return InlineKeyboardMarkup(inline_keyboard=rows)


@_reused
def article_navigation(
    t: Translator, previous: ArticleSection | None, following: ArticleSection | None
) -> InlineKeyboardMarkup:
    steps: list[InlineKeyboardButton] = []
    if previous is not None:
        steps.append(_button(t("article-previous"), ArticleCallback(section=previous.id)))
    if following is not None:
        steps.append(_button(t("article-next"), ArticleCallback(section=following.id)))
    rows = [steps] if steps else []
    rows.append(
        [
            _nav_button(t, Screen.ARTICLE, "article-sections"),
            _nav_button(t, Screen.BOOK, "nav-book"),
        ]
    )
    rows.append([_nav_button(t, Screen.MENU, "nav-menu")])
    return InlineKeyboardMarkup(inline_keyboard=rows)


@_reused
def price_list(t: Translator, services: Sequence[Service]) -> InlineKeyboardMarkup:
    rows = [
        [
            _button(
                t("prices-book-service", service=service.short),
                PriceBookCallback(service=service.id),
            )
        ]
        for service in services
    ]
    rows.append([_nav_button(t, Screen.MENU, "nav-menu")])
    return InlineKeyboardMarkup(inline_keyboard=rows)


SERVICE_BUTTON_CHARS = 36
"""Longer service names are cut on a phone's full-width button: the button then shows the
short name, and the choice is confirmed with the full one."""


@_reused
def service_choice(t: Translator, services: Sequence[Service]) -> InlineKeyboardMarkup:
    buttons = [
        _button(
            service.name if len(service.name) <= SERVICE_BUTTON_CHARS else service.short,
            ServiceCallback(service=service.id),
        )
        for service in services
    ]
    buttons.append(_button(t("book-service-not-sure"), ServiceCallback(service=NOT_SURE)))
    buttons.append(_button(t("form-cancel-button"), BookingCallback(action=BookingAction.CANCEL)))
    return InlineKeyboardMarkup(inline_keyboard=_rows(buttons, 1))


@_reused
def time_slots(t: Translator) -> InlineKeyboardMarkup:
    buttons = [
        _button(
            t(f"book-time-{slot.value}"),
            BookingCallback(action=BookingAction.TIME, value=slot.value),
        )
        for slot in TimeSlot
    ]
    return InlineKeyboardMarkup(inline_keyboard=_rows(buttons, 1))


@_reused
def skip_button(t: Translator, callback_data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t("form-skip"), callback_data=callback_data)]]
    )


@_reused
def consent(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t("book-consent-agree"), BookingCallback(action=BookingAction.AGREE))],
            [_button(t("form-cancel-button"), BookingCallback(action=BookingAction.CANCEL))],
        ]
    )


def booking_confirm(t: Translator, form_token: str) -> InlineKeyboardMarkup:
    """The summary's buttons; Confirm names its form, so that a press the form no longer
    waits for (pressed twice, or on another instance) finds the request it made."""
    buttons = [
        _button(
            t("book-confirm-button"),
            BookingCallback(action=BookingAction.CONFIRM, value=form_token),
        ),
        _button(t("book-edit-button"), BookingCallback(action=BookingAction.EDIT)),
        _button(t("form-cancel-button"), BookingCallback(action=BookingAction.CANCEL)),
    ]
    return InlineKeyboardMarkup(inline_keyboard=_rows(buttons, 1, 2))


@_reused
def saved_details(t: Translator) -> InlineKeyboardMarkup:
    buttons = [
        _button(t("book-saved-yes"), BookingCallback(action=BookingAction.REUSE)),
        _button(t("book-saved-change"), BookingCallback(action=BookingAction.RETYPE)),
        _button(t("form-cancel-button"), BookingCallback(action=BookingAction.CANCEL)),
    ]
    return InlineKeyboardMarkup(inline_keyboard=_rows(buttons, 2, 1))


@_reused
def booking_fields(t: Translator) -> InlineKeyboardMarkup:
    buttons = [
        _button(
            t(f"book-field-{field.value}"),
            BookingCallback(action=BookingAction.FIELD, value=field.value),
        )
        for field in BookingField
    ]
    buttons.append(_button(t("book-edit-done"), BookingCallback(action=BookingAction.CONFIRM)))
    return InlineKeyboardMarkup(inline_keyboard=_rows(buttons, 2, 2, 1, 1))


@_reused
def review_stars(t: Translator) -> InlineKeyboardMarkup:
    buttons = [
        _button("⭐" * stars, ReviewCallback(action=ReviewAction.RATE, stars=stars))
        for stars in range(1, 6)
    ]
    buttons.append(_review_cancel(t))
    return InlineKeyboardMarkup(inline_keyboard=_rows(buttons, 1))


def _review_cancel(t: Translator) -> InlineKeyboardButton:
    return _button(t("form-cancel-button"), ReviewCallback(action=ReviewAction.CANCEL))


@_reused
def review_text(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t("form-skip"), ReviewCallback(action=ReviewAction.SKIP))],
            [_review_cancel(t)],
        ]
    )


def review_signature(t: Translator, first_name: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(
                    t("review-sign-as", name=first_name), ReviewCallback(action=ReviewAction.SIGN)
                )
            ],
            [_button(t("review-sign-anonymous"), ReviewCallback(action=ReviewAction.ANONYMOUS))],
            [_review_cancel(t)],
        ]
    )


@_reused
def reviews_pages(t: Translator, page: int, pages: int) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    if pages > 1:
        steps: list[InlineKeyboardButton] = []
        if page > 0:
            steps.append(_button(t("reviews-newer"), ReviewsPageCallback(page=page - 1)))
        if page < pages - 1:
            steps.append(_button(t("reviews-older"), ReviewsPageCallback(page=page + 1)))
        rows.append(steps)
    rows.append([_nav_button(t, Screen.REVIEW, "menu-review")])
    rows.append([_nav_button(t, Screen.MENU, "nav-menu")])
    return InlineKeyboardMarkup(inline_keyboard=rows)


@_reused
def languages(t: Translator, locales: Sequence[str]) -> InlineKeyboardMarkup:
    choices = [
        _button(t(f"language-name-{locale}"), LanguageCallback(locale=locale)) for locale in locales
    ]
    return InlineKeyboardMarkup(
        inline_keyboard=[choices, [_nav_button(t, Screen.MENU, "nav-menu")]]
    )


def request_card(
    t: Translator, request_id: int, current: RequestStatus, *, has_appointment: bool = False
) -> InlineKeyboardMarkup:
    """Status buttons of a request card in the manager chat; the current status is marked.

    A booked request also gets the 🗓 button that sets (or changes) its appointment.
    """
    statuses = []
    for status in REQUEST_STATUS_BUTTONS:
        label = t(f"status-button-{status.value}")
        statuses.append(
            _button(
                f"• {label} •" if status == current else label,
                StatusCallback(request=request_id, new=status, was=current),
            )
        )
    rows = _rows(statuses, 3)
    if current == RequestStatus.BOOKED:
        appointment = AppointmentCallback(action=AppointmentAction.OPEN, request=request_id)
        key = "appt-button-change" if has_appointment else "appt-button-set"
        rows.append([_button(t(key), appointment)])
    # Reply templates: a ready answer sent to the patient (revision 0004).
    rows.append([_button(t("tpl-button"), TemplateCallback(request=request_id))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def template_choice(
    t: Translator, request_id: int, templates: Sequence[tuple[int, str]]
) -> InlineKeyboardMarkup:
    """The card's buttons replaced by its templates (id, name) to send, and ↩ back."""
    choices = [
        _button(f"📋 {name}", TemplateCallback(request=request_id, template=template_id))
        for template_id, name in templates
    ]
    rows = _rows(choices, 2)
    rows.append([_button(t("tpl-back"), TemplateCallback(request=request_id, back=True))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def review_card(t: Translator, review_id: int) -> InlineKeyboardMarkup:
    publish = ModerationCallback(review=review_id, status=ReviewStatus.PUBLISHED)
    hide = ModerationCallback(review=review_id, status=ReviewStatus.HIDDEN)
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(t("moderation-button-publish"), publish),
                _button(t("moderation-button-hide"), hide),
            ]
        ]
    )


# ---- the visit loop: the managers' appointment dialog and the patient's answers ----


def appointment_days(
    t: Translator, request_id: int, days: Sequence[tuple[str, str]]
) -> InlineKeyboardMarkup:
    """`days`: (label, YYYYMMDD) of the next working days."""
    rows = _rows(_appointment_choices(AppointmentAction.DAY, request_id, days), 3)
    rows.append([_appointment_cancel(t, request_id)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def appointment_slots(
    t: Translator, request_id: int, slots: Sequence[tuple[str, str]]
) -> InlineKeyboardMarkup:
    """`slots`: (HH:MM, YYYYMMDDHHMM) of one day."""
    rows = _rows(_appointment_choices(AppointmentAction.SLOT, request_id, slots), 4)
    back = AppointmentCallback(action=AppointmentAction.BACK, request=request_id)
    rows.append([_button(t("appt-button-back"), back), _appointment_cancel(t, request_id)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def appointment_branches(
    t: Translator, request_id: int, branches: Sequence[tuple[str, str]]
) -> InlineKeyboardMarkup:
    """`branches`: (address, branch id)."""
    rows = _rows(_appointment_choices(AppointmentAction.BRANCH, request_id, branches), 1)
    rows.append([_appointment_cancel(t, request_id)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def appointment_doctor(t: Translator, request_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(
                    t("appt-button-no-doctor"),
                    AppointmentCallback(action=AppointmentAction.NO_DOCTOR, request=request_id),
                ),
                _appointment_cancel(t, request_id),
            ]
        ]
    )


def _appointment_choices(
    action: AppointmentAction, request_id: int, options: Sequence[tuple[str, str]]
) -> list[InlineKeyboardButton]:
    """A button per (label, value) of the appointment dialog's step `action`."""
    return [
        _button(label, AppointmentCallback(action=action, request=request_id, value=value))
        for label, value in options
    ]


def _appointment_cancel(t: Translator, request_id: int) -> InlineKeyboardButton:
    return _button(
        t("appt-button-cancel"),
        AppointmentCallback(action=AppointmentAction.CANCEL, request=request_id),
    )


def _visit_button(
    t: Translator, key: str, action: VisitAction, appointment_id: int, revision: int
) -> InlineKeyboardButton:
    return _button(
        t(key), VisitCallback(action=action, appointment=appointment_id, revision=revision)
    )


def visit_answers(t: Translator, appointment_id: int, revision: int) -> InlineKeyboardMarkup:
    """✅ I'll come · ↪️ Move · ✖️ Cancel, under a confirmation or a reminder."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_visit_button(t, "visit-button-come", VisitAction.COME, appointment_id, revision)],
            [
                _visit_button(t, "visit-button-move", VisitAction.MOVE, appointment_id, revision),
                _visit_button(
                    t, "visit-button-cancel", VisitAction.CANCEL, appointment_id, revision
                ),
            ],
        ]
    )


def visit_cancel_confirm(t: Translator, appointment_id: int, revision: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _visit_button(
                    t, "visit-cancel-yes", VisitAction.CANCEL_YES, appointment_id, revision
                ),
                _visit_button(
                    t, "visit-cancel-no", VisitAction.CANCEL_NO, appointment_id, revision
                ),
            ]
        ]
    )


def visit_follow_up(t: Translator, appointment_id: int, revision: int) -> InlineKeyboardMarkup:
    """1-5 stars (the patient came) or "I did not come"."""
    rows = [
        [
            _button(
                "⭐" * stars,
                VisitCallback(
                    action=VisitAction.RATE,
                    appointment=appointment_id,
                    revision=revision,
                    stars=stars,
                ),
            )
        ]
        for stars in range(1, 6)
    ]
    rows.append(
        [_visit_button(t, "visit-button-missed", VisitAction.MISSED, appointment_id, revision)]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)
