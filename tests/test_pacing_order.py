"""Under load, posts wait for Telegram's overall limit in arrival order, and the manager
chat's few posts go ahead of the patients' line."""

from __future__ import annotations

import asyncio

from bot.pacing import SendPace, SendPacingMiddleware

MANAGER_CHAT_ID = -100


class FakeTime:
    """A monotonic clock that a ticker moves on while the waiters sleep on it."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        until = self.now + seconds
        while self.now < until:
            await asyncio.sleep(0)

    async def tick(self, step: float, until: float) -> None:
        while self.now < until:
            self.now += step
            await asyncio.sleep(0)


async def test_patients_queue_in_order_and_the_manager_chat_goes_ahead() -> None:
    time = FakeTime()

    async def free_slot(chat_id: int, limit: int, window: float) -> float:
        return 0.0  # the manager chat's own 20 a minute is not what this test is about

    pacing = SendPacingMiddleware(
        free_slot,
        MANAGER_CHAT_ID,
        SendPace(overall_per_second=30),
        sleep=time.sleep,
        monotonic=time.monotonic,
    )
    granted: list[str] = []

    async def post(name: str, *, manager: bool = False) -> None:
        async with pacing.slot(into_manager_chat=manager):
            granted.append(name)

    # A second's worth of posts went out just now: everyone else waits for the window.
    for index in range(30):
        await post(f"earlier-{index}")
    waiting = [asyncio.create_task(post(f"patient-{index}")) for index in range(60)]
    await asyncio.sleep(0)  # the patients are in line first
    card = asyncio.create_task(post("card", manager=True))
    ticker = asyncio.create_task(time.tick(0.01, until=10.0))
    await asyncio.gather(*waiting, card)
    ticker.cancel()

    after = granted[30:]
    assert [name for name in after if name != "card"] == [f"patient-{i}" for i in range(60)]
    # Without its priority the card would come after all 60 patients' answers.
    assert after.index("card") < 30


async def test_a_post_counts_until_a_window_after_telegram_answered_it() -> None:
    """Telegram counts a post when it arrives: a post that left late (a busy process, a slow
    network) must not let the next second's posts arrive together with it."""
    time = FakeTime()

    async def free_slot(chat_id: int, limit: int, window: float) -> float:
        return 0.0

    pacing = SendPacingMiddleware(
        free_slot,
        MANAGER_CHAT_ID,
        SendPace(overall_per_second=1, margin=0.0),
        sleep=time.sleep,
        monotonic=time.monotonic,
    )
    granted: dict[str, float] = {}
    answered = asyncio.Event()

    async def post(name: str, *, answer: asyncio.Event | None = None) -> None:
        async with pacing.slot(into_manager_chat=False):
            granted[name] = time.now
            if answer is not None:
                await answer.wait()

    slow = asyncio.create_task(post("slow", answer=answered))
    await asyncio.sleep(0)
    ticker = asyncio.create_task(time.tick(0.01, until=10.0))
    following = asyncio.create_task(post("following"))
    while time.now < 3.0:
        await asyncio.sleep(0)
    answered.set()  # Telegram answers the slow post at t=3
    await asyncio.gather(slow, following)
    ticker.cancel()

    assert granted["slow"] == 0.0
    # Counted from its slot, the next post would have gone at t=1, while the first one was
    # still on its way; it goes a second after Telegram answered the first.
    assert 4.0 <= granted["following"] < 4.1
