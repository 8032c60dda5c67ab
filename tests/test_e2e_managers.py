"""The manager chat end to end: status buttons, moderation, replies both ways, topics, bans."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bot.preview.emulator import ApiCall, FakeChat, FakeTelegramServer, FakeUser
from bot.settings import Settings
from storage.models import RequestStatus
from tests.conftest import MANAGER_CHAT_ID, RunningBot, SettingsFactory
from tests.e2e import choose_service_and_type_name, patient, press, say, tap

STATUS_BUTTONS = [
    "🙋 Взять",
    "📞 Позвонили",
    "✅ Записан",
    "📵 Не отвечает",
    "✖️ Отменена",
    "🚫 Спам",
    "📋 Шаблоны",
]
STAFF_ONLY = "только сотрудники"
WHEN = r"\d\d\.\d\d\.\d{4} \d\d:\d\d"  # the clinic's wall clock


# --------------------------------------------------------------------------- helpers


def managers(telegram: FakeTelegramServer, *, is_forum: bool = False) -> FakeChat:
    """The manager group (registered again: the fixture keeps no handle to it)."""
    return telegram.group(MANAGER_CHAT_ID, "Clinic managers", is_forum=is_forum)


def staff_member(telegram: FakeTelegramServer, user_id: int, first_name: str) -> FakeUser:
    user = telegram.private_user(user_id, first_name, last_name="Менеджер")
    telegram.chat_members[(MANAGER_CHAT_ID, user_id)] = "member"
    return user


def outsider(telegram: FakeTelegramServer, user_id: int, first_name: str) -> FakeUser:
    """Someone who writes in the manager chat but is no longer a member of it."""
    user = telegram.private_user(user_id, first_name)
    telegram.chat_members[(MANAGER_CHAT_ID, user_id)] = "left"
    return user


@asynccontextmanager
async def running(settings: Settings, telegram: FakeTelegramServer) -> AsyncIterator[RunningBot]:
    bot = RunningBot(settings, telegram)
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


async def book(
    telegram: FakeTelegramServer, clinic: RunningBot, user: FakeUser, name: str
) -> dict[str, Any]:
    """The patient books a consultation; returns the card as it arrived in the manager chat,
    once the bot has linked it to the patient (so that replies to it are understood)."""
    await tap(telegram, user, "📝 Записаться на консультацию", "Какая услуга")
    await choose_service_and_type_name(telegram, user, "Массаж стопы")
    await say(telegram, user, name, "Ваш телефон")
    await say(telegram, user, "+7 916 000-00-01", "Когда вам удобно")
    since = telegram.mark()
    telegram.press_button(user, "🌅 Утром (9:00–12:00)")
    await telegram.wait_for_message(user.id, "Коротко опишите", since=since)
    since = telegram.mark()
    telegram.press_button(user, "⏭ Пропустить")
    # Consent is asked once; a second request goes straight to the summary.
    asked = await telegram.wait_for_call(
        "sendMessage",
        lambda c: (
            c.ok
            and c.params.get("chat_id") == user.id
            and any(word in str(c.params.get("text")) for word in ("Согласие", "Проверьте"))
        ),
        since=since,
    )
    if "Проверьте" not in str(asked.params.get("text")):
        await press(telegram, user, "✅ Согласен(на)", "Проверьте")
    since = telegram.mark()
    done = await press(telegram, user, "✅ Подтвердить", "принята")
    number = re.search(r"№ (\d+)", done["text"])
    assert number is not None
    card = await telegram.wait_for_message(
        MANAGER_CHAT_ID, f"Заявка на консультацию № {number.group(1)}", since=since
    )
    await linked(clinic, card)
    return card


async def linked(clinic: RunningBot, message: dict[str, Any], timeout: float = 5.0) -> None:
    """Wait until the outbox has recorded a delivered message as belonging to its patient."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (
        await clinic.storage.conversations.manager_message(MANAGER_CHAT_ID, message["message_id"])
        is None
    ):
        assert loop.time() < deadline, f"message {message['message_id']} was never linked"
        await asyncio.sleep(0.01)


def button_data(telegram: FakeTelegramServer, message: dict[str, Any], label: str) -> str:
    for text, data in telegram.inline_buttons(message):
        if text == label:
            return data
    raise AssertionError(f"no button {label!r} in {telegram.inline_buttons(message)}")


async def answer_of(telegram: FakeTelegramServer, query_id: str, since: int) -> dict[str, Any]:
    call = await telegram.wait_for_call(
        "answerCallbackQuery",
        lambda c: c.params.get("callback_query_id") == query_id,
        since=since,
    )
    return call.params


def manager_chat_sends(telegram: FakeTelegramServer, since: int = 0) -> list[ApiCall]:
    return [
        call
        for call in telegram.calls[since:]
        if call.ok
        and call.method.lower() in ("sendmessage", "copymessage", "sendphoto")
        and call.params.get("chat_id") == MANAGER_CHAT_ID
    ]


async def manager_says(
    telegram: FakeTelegramServer,
    manager: FakeUser,
    group: FakeChat,
    text: str,
    reply_to: int,
    expect: str,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A manager replies in the group; returns (their message, the bot's answer in the group)."""
    since = telegram.mark()
    sent = telegram.send_text(manager, text, chat=group, reply_to_message_id=reply_to)
    answer = await telegram.wait_for_message(MANAGER_CHAT_ID, expect, since=since)
    assert answer["reply_to_message"]["message_id"] == sent["message_id"]
    return sent, answer


# --------------------------------------------------------------------------- status buttons


async def test_take_edits_the_card_in_place_and_stores_history(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    group = managers(telegram)
    maria = staff_member(telegram, 901, "Мария")
    anna = await patient(telegram, 801, "Анна")
    card = await book(telegram, clinic, anna, "Анна")
    assert [text for text, _ in telegram.inline_buttons(card)] == STATUS_BUTTONS
    take = button_data(telegram, card, "🙋 Взять")

    since = telegram.mark()
    query = telegram.press(maria, card, take, chat=group)
    edited = await telegram.wait_for_message(MANAGER_CHAT_ID, "Статус:", since=since)
    assert edited["message_id"] == card["message_id"]
    assert re.search(rf"Статус: взята в работу — Мария Менеджер, {WHEN}", edited["text"])
    assert edited["text"].startswith(card["text"])  # the card itself is kept
    labels = [text for text, _ in telegram.inline_buttons(edited)]
    assert labels[0] == "• 🙋 Взять •"
    assert labels[1:] == STATUS_BUTTONS[1:]
    assert (await answer_of(telegram, query, since))["text"] == "Статус: взята в работу"
    # One message in the chat, edited; nothing new was posted.
    assert [m["message_id"] for m in telegram.chat_messages(MANAGER_CHAT_ID)] == [
        card["message_id"]
    ]

    # The next step is pressed on the edited card.
    since = telegram.mark()
    telegram.press(maria, edited, button_data(telegram, edited, "📞 Позвонили"), chat=group)
    called = await telegram.wait_for_message(MANAGER_CHAT_ID, "Статус: позвонили", since=since)
    assert called["message_id"] == card["message_id"]
    assert "взята в работу" not in called["text"]  # only the latest status is shown

    events = await clinic.storage.requests.request_events(1)
    assert [(e.status, e.staff_id, e.staff_name) for e in events] == [
        (RequestStatus.TAKEN, 901, "Мария Менеджер"),
        (RequestStatus.CALLED, 901, "Мария Менеджер"),
    ]
    request = await clinic.storage.requests.get_request(1)
    assert request is not None
    assert request.status == RequestStatus.CALLED


async def test_two_managers_take_the_same_card_only_first_wins(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    group = managers(telegram)
    maria = staff_member(telegram, 901, "Мария")
    oleg = staff_member(telegram, 902, "Олег")
    anna = await patient(telegram, 801, "Анна")
    card = await book(telegram, clinic, anna, "Анна")
    take = button_data(telegram, card, "🙋 Взять")  # both see the card before any edit

    since = telegram.mark()
    first = telegram.press(maria, card, take, chat=group)
    await answer_of(telegram, first, since)
    second = telegram.press(oleg, card, take, chat=group)
    refused = await answer_of(telegram, second, since)

    assert refused["show_alert"] is True
    assert "Вас опередили" in refused["text"]
    assert "Мария Менеджер" in refused["text"]
    assert "взята в работу" in refused["text"]
    events = await clinic.storage.requests.request_events(1)
    assert [(e.staff_id, e.status) for e in events] == [(901, RequestStatus.TAKEN)]
    await telegram.wait_idle()
    (current,) = telegram.chat_messages(MANAGER_CHAT_ID)
    assert "Мария Менеджер" in current["text"]
    assert "Олег" not in current["text"]


async def test_simultaneous_presses_store_one_event(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    group = managers(telegram)
    pressers = [staff_member(telegram, 910 + i, f"Сотрудник{i}") for i in range(4)]
    anna = await patient(telegram, 801, "Анна")
    card = await book(telegram, clinic, anna, "Анна")
    take = button_data(telegram, card, "🙋 Взять")

    since = telegram.mark()
    queries = [telegram.press(user, card, take, chat=group) for user in pressers]
    answers = [await answer_of(telegram, query, since) for query in queries]

    events = await clinic.storage.requests.request_events(1)
    assert len(events) == 1
    winner = events[0].staff_name
    won = [a for a in answers if a.get("text") == "Статус: взята в работу"]
    lost = [a for a in answers if "Вас опередили" in (a.get("text") or "")]
    assert len(won) == 1
    assert len(lost) == 3
    assert all(winner in a["text"] for a in lost)


async def test_non_staff_press_changes_nothing(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    group = managers(telegram)
    stranger = outsider(telegram, 950, "Гость")
    anna = await patient(telegram, 801, "Анна")
    card = await book(telegram, clinic, anna, "Анна")

    since = telegram.mark()
    query = telegram.press(stranger, card, button_data(telegram, card, "🙋 Взять"), chat=group)
    answer = await answer_of(telegram, query, since)
    assert STAFF_ONLY in answer["text"]
    assert answer["show_alert"] is True
    await telegram.wait_idle()
    assert [c.method for c in telegram.calls[since:] if c.method.lower().startswith("edit")] == []
    assert await clinic.storage.requests.request_events(1) == []
    request = await clinic.storage.requests.get_request(1)
    assert request is not None
    assert request.status == RequestStatus.NEW
    assert telegram.chat_messages(MANAGER_CHAT_ID)[0]["text"] == card["text"]


async def test_only_admins_act_when_chat_membership_is_not_trusted(
    make_settings: SettingsFactory, telegram: FakeTelegramServer
) -> None:
    group = managers(telegram)
    member = staff_member(telegram, 901, "Мария")  # a member of the chat, but not an admin
    admin = telegram.private_user(555, "Главврач")
    settings = make_settings(staff_from_manager_chat=False, admin_ids=(555,))
    async with running(settings, telegram) as clinic:
        anna = await patient(telegram, 801, "Анна")
        card = await book(telegram, clinic, anna, "Анна")
        take = button_data(telegram, card, "🙋 Взять")

        since = telegram.mark()
        query = telegram.press(member, card, take, chat=group)
        assert STAFF_ONLY in (await answer_of(telegram, query, since))["text"]
        await manager_says(telegram, member, group, "Перезвоним", card["message_id"], STAFF_ONLY)
        assert not [c for c in telegram.calls_of("copyMessage") if c.params["chat_id"] == anna.id]
        assert await clinic.storage.requests.request_events(1) == []

        since = telegram.mark()
        query = telegram.press(admin, card, take, chat=group)
        edited = await telegram.wait_for_message(MANAGER_CHAT_ID, "Статус:", since=since)
        assert "Главврач" in edited["text"]
        events = await clinic.storage.requests.request_events(1)
        assert [e.staff_id for e in events] == [555]
        # Membership was never asked about: the setting turns that source off.
        assert telegram.calls_of("getChatMember") == []


# --------------------------------------------------------------------------- reviews


async def _leave_review(telegram: FakeTelegramServer, user: FakeUser, text: str) -> dict[str, Any]:
    await tap(telegram, user, "✍️ Оставить отзыв", "Выберите от 1 до 5")
    await press(telegram, user, "⭐⭐⭐⭐", "Расскажите")
    await say(telegram, user, text, "Как подписать")
    since = telegram.mark()
    await press(telegram, user, f"✍️ Подписать: {user.first_name}", "Спасибо за отзыв")
    return await telegram.wait_for_message(MANAGER_CHAT_ID, "Новый отзыв", since=since)


async def test_review_publish_and_hide(clinic: RunningBot, telegram: FakeTelegramServer) -> None:
    group = managers(telegram)
    maria = staff_member(telegram, 901, "Мария")
    sveta = await patient(telegram, 601, "Света")
    card = await _leave_review(telegram, sveta, "Помогли с болью в стопе")
    assert [t for t, _ in telegram.inline_buttons(card)] == ["✅ Опубликовать", "🙈 Скрыть"]
    listing = await tap(telegram, sveta, "⭐ Отзывы", "из 5")
    assert "Помогли" not in listing["text"]

    since = telegram.mark()
    query = telegram.press(maria, card, button_data(telegram, card, "✅ Опубликовать"), chat=group)
    edited = await telegram.wait_for_message(MANAGER_CHAT_ID, "Отзыв опубликован", since=since)
    assert edited["message_id"] == card["message_id"]
    assert re.search(rf"Отзыв опубликован — Мария Менеджер, {WHEN}", edited["text"])
    assert (await answer_of(telegram, query, since))["text"] == "опубликован"
    listing = await tap(telegram, sveta, "⭐ Отзывы", "из 5")
    assert "Помогли с болью в стопе" in listing["text"]
    assert "3 оценки" in listing["text"]

    since = telegram.mark()
    telegram.press(maria, edited, button_data(telegram, edited, "🙈 Скрыть"), chat=group)
    hidden = await telegram.wait_for_message(MANAGER_CHAT_ID, "Отзыв скрыт", since=since)
    assert hidden["message_id"] == card["message_id"]
    assert "опубликован" not in hidden["text"]
    listing = await tap(telegram, sveta, "⭐ Отзывы", "из 5")
    assert "Помогли" not in listing["text"]
    assert "2 оценки" in listing["text"]


async def test_non_staff_cannot_publish_a_review(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    group = managers(telegram)
    stranger = outsider(telegram, 950, "Гость")
    sveta = await patient(telegram, 601, "Света")
    card = await _leave_review(telegram, sveta, "Помогли с болью в стопе")
    since = telegram.mark()
    data = button_data(telegram, card, "✅ Опубликовать")
    query = telegram.press(stranger, card, data, chat=group)
    assert STAFF_ONLY in (await answer_of(telegram, query, since))["text"]
    listing = await tap(telegram, sveta, "⭐ Отзывы", "из 5")
    assert "Помогли" not in listing["text"]
    assert [c for c in telegram.calls[since:] if c.method.lower().startswith("edit")] == []


# --------------------------------------------------------------------------- replies


async def test_manager_reply_reaches_the_patient(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    group = managers(telegram)
    maria = staff_member(telegram, 901, "Мария")
    anna = await patient(telegram, 801, "Анна")
    card = await book(telegram, clinic, anna, "Анна")

    since = telegram.mark()
    sent, _ = await manager_says(
        telegram, maria, group, "Здравствуйте! Перезвоним в 15:00", card["message_id"], "Доставлено"
    )
    copy = await telegram.wait_for_call(
        "copyMessage", lambda c: c.params.get("chat_id") == anna.id, since=since
    )
    assert copy.ok
    assert copy.params["from_chat_id"] == MANAGER_CHAT_ID
    assert copy.params["message_id"] == sent["message_id"]
    received = telegram.chat_messages(anna.id)[-1]
    assert received["text"] == "Здравствуйте! Перезвоним в 15:00"
    assert "Доставлено пациенту" in telegram.chat_messages(MANAGER_CHAT_ID)[-1]["text"]

    # A photo is copied too, with its caption.
    since = telegram.mark()
    photo = telegram.send_photo(
        maria, "Схема упражнений", chat=group, reply_to_message_id=card["message_id"]
    )
    delivered = await telegram.wait_for_message(MANAGER_CHAT_ID, "Доставлено", since=since)
    assert delivered["reply_to_message"]["message_id"] == photo["message_id"]
    copied = telegram.chat_messages(anna.id)[-1]
    assert "photo" in copied
    assert copied["caption"] == "Схема упражнений"
    assert telegram.file_of(copied).content == telegram.file_of(photo).content

    # Exactly two copies reached the patient, nothing else was sent to them by the managers.
    assert len([c for c in telegram.calls_of("copyMessage") if c.params["chat_id"] == anna.id]) == 2


async def test_reply_to_a_patient_who_blocked_the_bot(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    group = managers(telegram)
    maria = staff_member(telegram, 901, "Мария")
    anna = await patient(telegram, 801, "Анна")
    card = await book(telegram, clinic, anna, "Анна")
    telegram.blocked_users.add(anna.id)
    _, answer = await manager_says(
        telegram, maria, group, "Вы нас слышите?", card["message_id"], "Не доставлено"
    )
    assert "пациент заблокировал бота" in answer["text"]
    assert "Вы нас слышите?" not in [m.get("text") for m in telegram.chat_messages(anna.id)]


async def test_managers_talking_among_themselves_is_not_relayed(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    group = managers(telegram)
    maria = staff_member(telegram, 901, "Мария")
    oleg = staff_member(telegram, 902, "Олег")
    anna = await patient(telegram, 801, "Анна")
    await book(telegram, clinic, anna, "Анна")
    note = telegram.send_text(oleg, "Кто возьмёт?", chat=group)
    since = telegram.mark()
    telegram.send_text(maria, "Я возьму", chat=group, reply_to_message_id=note["message_id"])
    await telegram.wait_idle()
    assert manager_chat_sends(telegram, since) == []
    assert telegram.calls_of("copyMessage") == []


async def test_reply_to_a_bot_message_of_no_patient_is_not_lost_silently(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    group = managers(telegram)
    maria = staff_member(telegram, 901, "Мария")
    anna = await patient(telegram, 801, "Анна")
    card = await book(telegram, clinic, anna, "Анна")
    _, delivered = await manager_says(
        telegram, maria, group, "Ждём вас завтра", card["message_id"], "Доставлено"
    )
    # Answering the bot's "Delivered" instead of the card: the manager is told, nothing is sent.
    since = telegram.mark()
    await manager_says(
        telegram, maria, group, "И возьмите снимки", delivered["message_id"], "Не знаю, какому"
    )
    assert [c for c in telegram.calls[since:] if c.method == "copyMessage"] == []
    assert "снимки" not in str(telegram.chat_messages(anna.id))


async def test_patient_message_is_threaded_under_the_card_and_answered(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    group = managers(telegram)
    maria = staff_member(telegram, 901, "Мария")
    anna = await patient(telegram, 801, "Анна", username="anna")
    boris = await patient(telegram, 802, "Борис")
    card = await book(telegram, clinic, anna, "Анна")
    other = await book(telegram, clinic, boris, "Борис")

    since = telegram.mark()
    await say(telegram, anna, "Нужна ли подготовка к приёму?", "Передали")
    relayed = await telegram.wait_for_message(MANAGER_CHAT_ID, "подготовка", since=since)
    assert relayed["reply_to_message"]["message_id"] == card["message_id"]
    (call,) = [c for c in manager_chat_sends(telegram, since) if c.method == "sendMessage"]
    assert call.params["reply_parameters"]["message_id"] == card["message_id"]
    assert "Сообщение от пациента" in relayed["text"]
    assert "Анна" in relayed["text"]
    assert "@anna" in relayed["text"]

    # A photo of the patient is copied into the chat, under their request card too.
    since = telegram.mark()
    telegram.send_photo(anna, "Снимок стопы")
    await telegram.wait_for_message(anna.id, "Передали", since=since)
    photo = await telegram.wait_for_message(MANAGER_CHAT_ID, "Снимок стопы", since=since)
    assert "photo" in photo
    assert photo["reply_to_message"]["message_id"] == card["message_id"]

    # The manager answers the relayed message itself: it reaches Anna, not Boris.
    since = telegram.mark()
    await manager_says(
        telegram, maria, group, "Нет, приходите как есть", relayed["message_id"], "Доставлено"
    )
    await telegram.wait_for_message(anna.id, "приходите как есть", since=since)
    assert not [m for m in telegram.chat_messages(boris.id) if "приходите" in m.get("text", "")]
    # Boris's own question goes under his own card.
    since = telegram.mark()
    await say(telegram, boris, "А сколько длится приём?", "Передали")
    relayed_b = await telegram.wait_for_message(MANAGER_CHAT_ID, "длится", since=since)
    assert relayed_b["reply_to_message"]["message_id"] == other["message_id"]


async def test_reply_to_an_old_card_after_restart(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    group = managers(telegram)
    maria = staff_member(telegram, 901, "Мария")
    anna = await patient(telegram, 801, "Анна")
    boris = await patient(telegram, 802, "Борис")
    card_a = await book(telegram, clinic, anna, "Анна")
    card_b = await book(telegram, clinic, boris, "Борис")
    await clinic.restart()

    since = telegram.mark()
    await manager_says(telegram, maria, group, "Анна, ждём вас", card_a["message_id"], "Доставлено")
    await manager_says(
        telegram, maria, group, "Борис, ждём вас", card_b["message_id"], "Доставлено"
    )
    copies = [
        (c.params["chat_id"], c.ok) for c in telegram.calls[since:] if c.method == "copyMessage"
    ]
    assert copies == [(anna.id, True), (boris.id, True)]
    assert telegram.chat_messages(anna.id)[-1]["text"] == "Анна, ждём вас"
    assert telegram.chat_messages(boris.id)[-1]["text"] == "Борис, ждём вас"


# --------------------------------------------------------------------------- forum topics


async def test_each_patient_gets_a_topic_recreated_when_deleted(
    make_settings: SettingsFactory, telegram: FakeTelegramServer
) -> None:
    group = managers(telegram, is_forum=True)
    maria = staff_member(telegram, 901, "Мария")
    async with running(make_settings(manager_topics=True), telegram) as clinic:
        anna = await patient(telegram, 801, "Анна")
        boris = await patient(telegram, 802, "Борис")

        first = await book(telegram, clinic, anna, "Анна")
        (created,) = [c for c in telegram.calls_of("createForumTopic") if c.ok]
        assert created.params["chat_id"] == MANAGER_CHAT_ID
        assert created.params["name"] == "Анна · 801"
        topic_a = created.result["message_thread_id"]
        assert first["message_thread_id"] == topic_a

        second = await book(telegram, clinic, anna, "Анна")
        assert second["message_thread_id"] == topic_a
        assert len(telegram.calls_of("createForumTopic")) == 1

        third = await book(telegram, clinic, boris, "Борис")
        created_b = telegram.calls_of("createForumTopic")[-1]
        assert created_b.params["name"] == "Борис · 802"
        topic_b = created_b.result["message_thread_id"]
        assert topic_b != topic_a
        assert third["message_thread_id"] == topic_b
        assert [
            m["message_id"] for m in telegram.chat_messages(MANAGER_CHAT_ID, thread_id=topic_a)
        ] == [
            first["message_id"],
            second["message_id"],
        ]

        # A reply in the topic reaches the patient.
        since = telegram.mark()
        await manager_says(telegram, maria, group, "Ждём вас", second["message_id"], "Доставлено")
        await telegram.wait_for_message(anna.id, "Ждём вас", since=since)

        # A manager deletes Anna's topic; her next message opens a new one and arrives.
        assert clinic.app is not None
        assert await clinic.app.bot.delete_forum_topic(MANAGER_CHAT_ID, topic_a)
        since = telegram.mark()
        await say(telegram, anna, "Я опоздаю на 10 минут", "Передали")
        relayed = await telegram.wait_for_message(MANAGER_CHAT_ID, "опоздаю", since=since)
        gone = [c for c in telegram.calls[since:] if not c.ok and c.method == "sendMessage"]
        assert [c.description for c in gone] == ["Bad Request: message thread not found"]
        recreated = [c for c in telegram.calls[since:] if c.method == "createForumTopic"]
        assert [c.params["name"] for c in recreated] == ["Анна · 801"]
        new_topic = recreated[0].result["message_thread_id"]
        assert new_topic not in (topic_a, topic_b)
        assert relayed["message_thread_id"] == new_topic
        assert (
            len([m for m in manager_chat_sends(telegram, since) if "опоздаю" in str(m.params)]) == 1
        )

        # And the next request of hers goes into the new topic as well.
        fourth = await book(telegram, clinic, anna, "Анна")
        assert fourth["message_thread_id"] == new_topic
        assert await clinic.storage.outbox.pending_outbox_count() == 0


# --------------------------------------------------------------------------- bans


async def test_ban_and_unban_as_a_reply_to_the_card(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    group = managers(telegram)
    maria = staff_member(telegram, 901, "Мария")
    anna = await patient(telegram, 801, "Анна")
    card = await book(telegram, clinic, anna, "Анна")

    await manager_says(telegram, maria, group, "/ban", card["message_id"], "Пациент заблокирован")
    assert await clinic.storage.patients.is_banned(anna.id)

    before = len(telegram.chat_messages(MANAGER_CHAT_ID))
    since = telegram.mark()
    telegram.send_text(anna, "Почему мне не перезвонили?!")
    await telegram.wait_idle()
    assert manager_chat_sends(telegram, since) == []
    assert not [c for c in telegram.calls[since:] if c.params.get("chat_id") == anna.id]
    assert len(telegram.chat_messages(MANAGER_CHAT_ID)) == before
    assert await clinic.storage.outbox.pending_outbox_count() == 0

    await tap(telegram, anna, "📝 Записаться на консультацию", "не можем принять")
    await say(telegram, anna, "/review", "не можем принять")
    assert await clinic.storage.requests.get_request(2) is None

    await manager_says(telegram, maria, group, "/unban", card["message_id"], "разблокирован")
    assert not await clinic.storage.patients.is_banned(anna.id)
    since = telegram.mark()
    await say(telegram, anna, "Извините за тон", "Передали")
    relayed = await telegram.wait_for_message(MANAGER_CHAT_ID, "Извините", since=since)
    assert relayed["reply_to_message"]["message_id"] == card["message_id"]
    await book(telegram, clinic, anna, "Анна")


async def test_ban_needs_a_reply_and_staff(
    clinic: RunningBot, telegram: FakeTelegramServer
) -> None:
    group = managers(telegram)
    maria = staff_member(telegram, 901, "Мария")
    stranger = outsider(telegram, 950, "Гость")
    anna = await patient(telegram, 801, "Анна")
    card = await book(telegram, clinic, anna, "Анна")

    since = telegram.mark()
    telegram.send_text(maria, "/ban", chat=group)
    await telegram.wait_for_message(MANAGER_CHAT_ID, "ответом на карточку", since=since)
    since = telegram.mark()
    telegram.send_text(stranger, "/ban", chat=group, reply_to_message_id=card["message_id"])
    await telegram.wait_idle()
    assert manager_chat_sends(telegram, since) == []
    assert not await clinic.storage.patients.is_banned(anna.id)
