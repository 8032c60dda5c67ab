"""The benchmark's tools run end to end at a tiny scale and write every figure of their report.

No timing is asserted: only that an operator running them gets the fields docs/performance.md
and bench/README.md describe.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import open_loop, per_update


def _saved_report(folder: Path, prefix: str) -> dict[str, object]:
    (path,) = folder.glob(f"{prefix}-*.json")
    assert path.with_suffix(".md").is_file()
    report: dict[str, object] = json.loads(path.read_text())
    return report


def test_per_update_reports_each_bot_per_stage_and_the_ratio_with_its_interval(
    tmp_path: Path,
) -> None:
    code = per_update.main(["--pairs", "2", "--warmup", "1", "--force", "--out", str(tmp_path)])

    assert code == 0
    report = _saved_report(tmp_path, "per-update")
    bots = {bot["name"]: bot for bot in report["bots"]}  # type: ignore[attr-defined]
    assert set(bots) == {"clinic-bot", "bare"}
    for bot in bots.values():
        assert bot["batches"] == 2
        assert bot["wall_us"] > 0
        assert bot["cpu_us"] > 0
        assert set(bot["stages_us"]) == set(per_update.STAGES)
        assert bot["stages_us"]["storage"] is not None  # SQL time found for both bots
        assert "manager status" in bot["steps_us"]  # the manager's press was replayed too
        assert bot["messages_per_batch"] > 0  # what Telegram's 30 messages a second counts
    (wall, cpu) = report["ratios"]  # type: ignore[misc]
    assert (wall["measure"], cpu["measure"]) == ("wall", "cpu")
    for ratio in (wall, cpu):
        assert (ratio["numerator"], ratio["denominator"]) == ("clinic-bot", "bare")
        assert ratio["low"] <= ratio["median"] <= ratio["high"]


def test_per_update_refuses_to_measure_on_a_busy_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(per_update.os, "getloadavg", lambda: (64.0, 64.0, 64.0))

    code = per_update.main(["--pairs", "1", "--out", str(tmp_path)])

    assert code != 0
    assert "load average" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_open_loop_reports_latency_per_offered_rate_and_the_manager_chat_drain(
    tmp_path: Path,
) -> None:
    code = open_loop.main(
        [
            *("--rates", "5", "--seconds", "2", "--bookings", "2", "--think", "0.5"),
            *("--force", "--out", str(tmp_path)),
        ]
    )

    assert code == 0
    report = _saved_report(tmp_path, "open-loop")
    (rate,) = report["rates"]  # type: ignore[misc]
    assert rate["offered_per_second"] == 5
    assert rate["sent"] == 10
    assert rate["answered"] + rate["unanswered"] == rate["sent"]
    assert rate["answered"] > 0
    assert 0 < rate["latency_p50_ms"] <= rate["latency_p99_ms"]
    assert rate["too_many_requests"] >= 0
    drain = report["drain"]
    assert drain["bookings"] == 2  # type: ignore[index]
    assert drain["confirmed"] == drain["visible"] == 2  # type: ignore[index]
    assert drain["drain_seconds"] is not None  # type: ignore[index]
    assert len(drain["visible_after_s"]) == 2  # type: ignore[index]
