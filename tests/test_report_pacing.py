"""A report gives way to patients: it pauses only while other updates are being handled."""

from __future__ import annotations

from bot.middlewares import UpdatesInFlight
from bot.reports import ReportPacing


class Updates(UpdatesInFlight):
    """Updates in flight as the test sets them."""

    def __init__(self, running: int) -> None:
        super().__init__()
        self.now_running = running

    @property
    def running(self) -> int:
        return self.now_running


async def test_an_export_pauses_for_patients_and_runs_flat_out_alone() -> None:
    pauses: list[float] = []
    moments = iter([0.0, 0.0, 0.01, 0.01, 0.03, 0.03])

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    updates = Updates(running=2)  # the export's own update and a patient's
    pacing = ReportPacing(updates, share=0.1, sleep=sleep, monotonic=lambda: next(moments))
    await pacing()  # nothing worked yet
    await pacing()  # 10 ms of work: 90 ms of rest, a tenth of the time
    updates.now_running = 1  # alone: no pause
    await pacing()
    assert pauses[0] == 0
    assert abs(pauses[1] - 0.09) < 1e-9
    assert pauses[2] == 0
