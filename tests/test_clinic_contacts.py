"""clinic.toml: the clinic's name, branches and holidays, checked when the bot starts."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from bot.content import CONTENT_DIR, ContentError, load_clinic, load_content
from bot.i18n import load_translations

CLINIC = CONTENT_DIR / "clinic.toml"


def _content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def _line_of(text: str, fragment: str) -> int:
    return text.count("\n", 0, text.index(fragment)) + 1


def test_shipped_clinic_has_a_name_a_branch_and_holidays_marked_as_placeholders() -> None:
    clinic = load_clinic()
    assert clinic.name_for("ru") == "Клиника остеопороза"
    assert clinic.name_for("en") == "Osteoporosis Clinic"
    assert clinic.name_for("de") == "Клиника остеопороза"  # the clinic's language otherwise
    (branch,) = clinic.branches
    assert branch.phone.startswith("+7")
    assert branch.address_for("en") != branch.address_for("ru")
    assert set(branch.hours) == {0, 1, 2, 3, 4, 5}  # Sunday closed
    assert date(2027, 1, 1) in clinic.holidays
    text = CLINIC.read_text(encoding="utf-8")
    for fragment in ("phone =", "latitude =", "hours =", "holidays =", 'ru = "Клиника'):
        line = text.splitlines()[_line_of(text, fragment) - 1]
        assert "ЗАГЛУШКА" in line and "placeholder" in line, line
    # what the bot's handlers get
    assert load_content().clinic == clinic


def test_a_file_with_only_the_legal_details_still_loads_with_no_contacts(tmp_path: Path) -> None:
    directory = _content_copy(tmp_path)
    (directory / "clinic.toml").write_text(
        '[legal]\nname = "ООО «Остео»"\naddress = "Москва"\n', encoding="utf-8"
    )
    clinic = load_clinic(directory)
    assert clinic.branches == ()
    assert clinic.name_for("en") == "ООО «Остео»"
    greeting = load_translations(directory, ("ru", "en"), "ru").get("en")(
        "contacts-greeting-clinic"
    )
    assert "ООО «Остео»" in greeting


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('mon = "09:00-20:00"', 'mon = "09:00-25:00"', "branch 'main'.hours.mon: not a time"),
        ('mon = "09:00-20:00"', 'mon = "9-20"', "branch 'main'.hours.mon: not a time"),
        ('mon = "09:00-20:00"', 'mon = "09:00"', "expected HH:MM-HH:MM"),
        ('mon = "09:00-20:00"', 'mon = "09:00-09:00"', "opens and closes at the same time"),
        ('mon = "09:00-20:00"', 'monday = "09:00-20:00"', "unknown day 'monday'"),
        ("latitude = 55.7558", "latitude = 155.7558", "latitude: 155.7558 is outside -90..90"),
        ("longitude = 37.6173", "longitude = -190", "longitude: -190 is outside -180..180"),
        ("latitude = 55.7558", 'latitude = "55.75"', "latitude: expected a number"),
        ('phone = "+74951234567"', 'phone = "8 495 123-45-67"', "is not in E.164 form"),
        ('phone = "+74951234567"', 'telephone = "+74951234567"', "telephone: unknown key"),
        ('en = "1 Primernaya St, Moscow"', 'en = "1 <Primernaya> St"', "not allowed in plain"),
        ('en = "Osteoporosis Clinic"', 'en = ""', "name.en: length 0"),
    ],
)
def test_a_broken_branch_is_reported_with_file_and_line(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    directory = _content_copy(tmp_path)
    text = CLINIC.read_text(encoding="utf-8")
    assert old in text
    broken = text.replace(old, new, 1)
    (directory / "clinic.toml").write_text(broken, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_content(directory)  # the bot refuses to start
    line = _line_of(broken, new)
    assert str(caught.value).startswith(f"clinic.toml, line {line}: "), str(caught.value)
    assert message in str(caught.value)


def test_a_missing_branch_field_is_named(tmp_path: Path) -> None:
    directory = _content_copy(tmp_path)
    text = CLINIC.read_text(encoding="utf-8")
    broken = "\n".join(line for line in text.splitlines() if not line.startswith("phone ="))
    (directory / "clinic.toml").write_text(broken + "\n", encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_clinic(directory)
    assert caught.value.line == _line_of(broken, "\n[[branches]]") + 1
    assert "branch[1]: missing key 'phone'" in str(caught.value)


@pytest.mark.parametrize("bad", ['"2026-13-01"', '"31.12.2026"', '"2026-02-30"', "20261231"])
def test_a_bad_holiday_is_reported_with_its_line(tmp_path: Path, bad: str) -> None:
    directory = _content_copy(tmp_path)
    text = CLINIC.read_text(encoding="utf-8")
    broken = text.replace('holidays = ["2026-12-31",', f'holidays = [\n  {bad},\n  "2026-12-31",')
    (directory / "clinic.toml").write_text(broken, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_clinic(directory)
    assert caught.value.file == "clinic.toml"
    expected = _line_of(broken, bad) if bad.startswith('"') else _line_of(broken, "holidays =")
    assert caught.value.line == expected
    assert "holidays:" in str(caught.value)
    assert 'is not a date like "2026-12-31"' in str(caught.value)


def test_duplicate_branch_ids_are_refused(tmp_path: Path) -> None:
    directory = _content_copy(tmp_path)
    text = CLINIC.read_text(encoding="utf-8")
    branch = text[text.index("\n[[branches]]") :]
    (directory / "clinic.toml").write_text(text + "\n" + branch, encoding="utf-8")
    with pytest.raises(ContentError, match="duplicate id 'main'"):
        load_clinic(directory)
