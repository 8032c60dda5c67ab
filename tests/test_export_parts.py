"""Splitting an export into zipped CSV parts that each fit Telegram's upload limit."""

from __future__ import annotations

import csv
import io
import random
import zipfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.services.export import ExportPart, ExportTooLargeError, write_zip_parts

COLUMNS = ("id", "day", "text")


@dataclass(frozen=True)
class Line:
    id: int
    day: date
    text: str


async def _stream(lines: Sequence[Line]) -> AsyncIterator[Line]:
    for line in lines:
        yield line


def _cells(line: Line) -> Sequence[object]:
    return (line.id, line.day.isoformat(), line.text)


def _day(line: Line) -> date:
    return line.day


async def _write(
    lines: Sequence[Line], folder: Path, max_bytes: int, max_parts: int = 10
) -> list[ExportPart]:
    return await write_zip_parts(
        _stream(lines),
        folder,
        "requests-2026-01-01-2026-12-31",
        COLUMNS,
        _cells,
        _day,
        max_bytes=max_bytes,
        max_parts=max_parts,
    )


def _rows(part: ExportPart) -> list[list[str]]:
    with zipfile.ZipFile(part.path) as bundle:
        [entry] = bundle.infolist()
        raw = bundle.read(entry)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == list(COLUMNS)
    return rows[1:]


def _noise(generator: random.Random, size: int) -> str:
    """Text deflate cannot shrink: random letters of a wide alphabet."""
    return "".join(chr(generator.randrange(0x400, 0x4FF)) for _ in range(size))


@pytest.mark.parametrize("limit", [4096, 10_000, 65_536])
async def test_parts_stay_under_the_limit_and_carry_every_row_once(
    tmp_path: Path, limit: int
) -> None:
    generator = random.Random(limit)
    first = date(2026, 1, 1)
    lines = [
        Line(
            number,
            first + timedelta(days=number // 40),
            _noise(generator, generator.randint(5, 300)),
        )
        for number in range(1, 601)
    ]
    parts = await _write(lines, tmp_path, limit, max_parts=1000)
    assert len(parts) > 1
    seen: list[str] = []
    for number, part in enumerate(parts, start=1):
        assert part.path.name == f"requests-2026-01-01-2026-12-31.part{number}.zip"
        assert part.path.stat().st_size <= limit
        rows = _rows(part)
        assert len(rows) == part.rows > 0
        seen += [row[0] for row in rows]
    assert seen == [str(line.id) for line in lines]
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(p.path.name for p in parts)


async def test_compressible_export_is_one_zip_far_smaller_than_its_csv(tmp_path: Path) -> None:
    lines = [Line(number, date(2026, 3, 1), "Массаж стопы, утром " * 5) for number in range(3000)]
    # The CSV is over the limit; zipped, it fits in one file.
    [part] = await _write(lines, tmp_path, 400_000)
    assert part.path.name == "requests-2026-01-01-2026-12-31.zip"
    with zipfile.ZipFile(part.path) as bundle:
        [entry] = bundle.infolist()
    assert entry.filename == "requests-2026-01-01-2026-12-31.csv"
    assert entry.file_size > 400_000
    assert part.path.stat().st_size * 10 < entry.file_size
    assert [row[2] for row in _rows(part)] == [line.text for line in lines]


async def test_formulas_are_defused_in_every_part(tmp_path: Path) -> None:
    lines = [Line(number, date(2026, 3, 1), f"=cmd|{number}" + "x" * 200) for number in range(80)]
    parts = await _write(lines, tmp_path, 4096)
    assert len(parts) > 1
    assert all(row[2].startswith("'=") for part in parts for row in _rows(part))


async def test_too_many_parts_is_refused_naming_the_last_day_that_fits(tmp_path: Path) -> None:
    generator = random.Random(7)
    first = date(2026, 1, 1)
    # Ten rows a day of ~1 KB each that deflate cannot shrink: about three days a part.
    lines = [
        Line(number, first + timedelta(days=number // 10), _noise(generator, 500))
        for number in range(400)
    ]
    with pytest.raises(ExportTooLargeError) as refusal:
        await _write(lines, tmp_path, 32_768, max_parts=3)
    assert refusal.value.max_parts == 3
    last_day = refusal.value.last_whole_day
    assert last_day is not None and first <= last_day < first + timedelta(days=40)
    assert list(tmp_path.iterdir()) == []  # nothing half-written is left behind
    # The period it names does fit.
    narrower = [line for line in lines if line.day <= last_day]
    parts = await _write(narrower, tmp_path, 32_768, max_parts=3)
    assert sum(part.rows for part in parts) == len(narrower)


async def test_a_row_larger_than_a_whole_file_is_refused(tmp_path: Path) -> None:
    generator = random.Random(3)
    lines = [Line(1, date(2026, 3, 1), "short"), Line(2, date(2026, 3, 1), _noise(generator, 5000))]
    with pytest.raises(ExportTooLargeError):
        await _write(lines, tmp_path, 4096)
    assert list(tmp_path.iterdir()) == []


async def test_an_empty_export_is_one_zip_with_the_header(tmp_path: Path) -> None:
    [part] = await _write([], tmp_path, 4096)
    assert part.rows == 0
    assert _rows(part) == []
