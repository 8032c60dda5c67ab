"""Tests for bot.content: the shipped texts are complete and faithful, and the loader catches
the mistakes a hand editor makes (each reported with the file and line)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.content import (
    CONTENT_DIR,
    Content,
    ContentError,
    LocaleContent,
    html_problem,
    load_content,
)

LOCALES = ("ru", "en")
TELEGRAM_LIMIT = 4096
FOOTER = "x" * 300  # the bot's drug note, navigation hints, etc.

REQUIRED_SECTIONS = (
    "what",
    "risk",
    "prevent",
    "types",
    "hormones",
    "symptoms",
    "tests",
    "densitometry",
    "treatment",
    "weight",
    "nsaids",
    "antiresorptive",
    "regeneration",
    "secondary",
)

PRICES = {
    "consult": 500,
    "cycle1": 6500,
    "cycle2": 5900,
    "session": 700,
    "massage": 250,
    "taping_simple": 500,
    "taping_combo": 800,
}

DRUG_NAMES = {
    "en": (
        "Movalis",
        "Revmoxicam",
        "Diclofenac",
        "Osteochin",
        "Miacalcic",
        "Ossin",
        "Teriparatide",
    ),
    "ru": (
        "Мовалис",
        "Ревмоксикам",
        "Диклофенак",
        "Остеохин",
        "Миакальцик",
        "Оссин",
        "Терипаратид",
    ),
}

# (section id, fragment) that must appear verbatim. English keeps the source's notation
# ("7.5-15 mg"); Russian uses a decimal comma and an en dash ("7,5–15 мг").
FACTS = {
    "en": [
        ("what", "60-65 years"),
        ("what", "After the age of 65"),
        ("what", "vitamin D"),
        ("risk", "after menopause"),
        ("risk", "malignant tumours"),
        ("risk", "posture"),
        ("prevent", "at least once every 12 months"),
        ("prevent", "endocrinologist, neurologist, traumatologist"),
        ("prevent", "in bed for good"),
        ("types", "Patchy osteoporosis"),
        ("types", "streptococcal and gonococcal nature"),
        ("types", "burns and phlegmon"),
        ("types", "uniform, vitreous and diffuse"),
        ("types", "tuberculosis and rheumatoid arthritis"),
        ("types", "women after 55"),
        ("types", "after 70"),
        ("hormones", "thyroid hormone therapy"),
        ("hormones", "ovarian dysfunction"),
        ("hormones", "chemotherapy"),
        ("hormones", "adrenal"),
        ("hormones", "intestine"),
        ("symptoms", "more than 5 cm"),
        ("symptoms", "leg cramps"),
        ("tests", "total calcium"),
        ("tests", "inorganic phosphorus"),
        ("tests", "DPID"),
        ("tests", "osteocalcin"),
        ("tests", "up to 30%"),
        ("tests", "after 40"),
        ("tests", "calcium, fluoride and magnesium"),
        ("tests", "MRI"),
        ("tests", "bone biopsy"),
        ("densitometry", "no more than three minutes"),
        ("densitometry", "within one percent"),
        ("densitometry", "women over 45"),
        ("densitometry", "men after 50"),
        ("densitometry", "over 70"),
        ("densitometry", "parathyroid"),
        ("treatment", "endocrinologist, a neurologist and a rheumatologist"),
        ("treatment", "massage"),
        ("treatment", "dairy"),
        ("treatment", "disability"),
        ("weight", "body mass index"),
        ("weight", "estrogens"),
        ("weight", "no reason to gain weight"),
        ("nsaids", "first 2-3 days"),
        ("nsaids", "7.5-15 mg of the active substance, strictly once a day"),
        ("nsaids", "Tablets: 7.5 mg"),
        ("nsaids", "raised to 15 mg"),
        ("nsaids", "no more than three days in a row"),
        ("nsaids", "75 mg of Diclofenac"),
        ("nsaids", "also 75 mg daily"),
        ("nsaids", "at any stage"),
        ("antiresorptive", "200 mg three times a day after meals"),
        ("antiresorptive", "at least six months"),
        ("antiresorptive", "at least two to three years"),
        ("antiresorptive", "nasal spray"),
        ("antiresorptive", "200 IU/day"),
        ("antiresorptive", "every six months"),
        ("regeneration", "40 mg in the morning and evening"),
        ("regeneration", "at least four years"),
        ("regeneration", "40 mg daily for four years"),
        ("regeneration", "Teriparatide"),
        ("regeneration", "thigh or abdomen"),
        ("regeneration", "20 mcg once a day"),
        ("regeneration", "one and a half years"),
        ("secondary", "15% of cases"),
        ("secondary", "blood-forming organs"),
    ],
    "ru": [
        ("what", "60–65 лет"),
        ("what", "После 65 лет"),
        ("what", "витамина D"),
        ("risk", "после менопаузы"),
        ("risk", "злокачественными опухолями"),
        ("risk", "осанку"),
        ("prevent", "не реже одного раза в 12 месяцев"),
        ("prevent", "эндокринолога, невролога, травматолога"),
        ("prevent", "приковать человека к постели"),
        ("types", "Пятнистый остеопороз"),
        ("types", "стрептококковой и гонококковой природы"),
        ("types", "ожогами и флегмоной"),
        ("types", "равномерный, стекловидный и диффузный"),
        ("types", "туберкулёзе и ревматоидном артрите"),
        ("types", "после 55 лет"),
        ("types", "после 70 лет"),
        ("hormones", "гормонами щитовидной железы"),
        ("hormones", "яичников"),
        ("hormones", "химиотерапия"),
        ("hormones", "гиперфункции надпочечников"),
        ("hormones", "кишечнике"),
        ("symptoms", "более 5 см"),
        ("symptoms", "судороги в ногах"),
        ("tests", "общий кальций"),
        ("tests", "неорганический фосфор"),
        ("tests", "DPID"),
        ("tests", "остеокальцин"),
        ("tests", "до 30%"),
        ("tests", "после 40 лет"),
        ("tests", "кальция, фтора и магния"),
        ("tests", "МРТ"),
        ("tests", "биопсия кости"),
        ("densitometry", "не более трёх минут"),
        ("densitometry", "до одного процента"),
        ("densitometry", "женщинам старше 45 лет"),
        ("densitometry", "мужчинам после 50 лет"),
        ("densitometry", "старше 70 лет"),
        ("densitometry", "паращитовидных"),
        ("treatment", "эндокринолог, невролог и ревматолог"),
        ("treatment", "массажа"),
        ("treatment", "молочных продуктов"),
        ("treatment", "инвалидности"),
        ("weight", "индекс массы тела"),
        ("weight", "эстрогены"),
        ("weight", "не повод набирать вес"),
        ("nsaids", "первые 2–3 дня"),
        ("nsaids", "7,5–15 мг действующего вещества, строго один раз в день"),
        ("nsaids", "Таблетки: 7,5 мг"),
        ("nsaids", "повышают до 15 мг"),
        ("nsaids", "не более трёх дней подряд"),
        ("nsaids", "75 мг диклофенака"),
        ("nsaids", "тоже 75 мг в день"),
        ("nsaids", "на любой стадии"),
        ("antiresorptive", "200 мг три раза в день после еды"),
        ("antiresorptive", "не менее шести месяцев"),
        ("antiresorptive", "не менее двух-трёх лет"),
        ("antiresorptive", "назального спрея"),
        ("antiresorptive", "200 МЕ в сутки"),
        ("antiresorptive", "каждые шесть месяцев"),
        ("regeneration", "40 мг утром и вечером"),
        ("regeneration", "не менее четырёх лет"),
        ("regeneration", "40 мг ежедневно в течение четырёх лет"),
        ("regeneration", "Терипаратид"),
        ("regeneration", "бедра или живота"),
        ("regeneration", "20 мкг один раз в день"),
        ("regeneration", "полтора года"),
        ("secondary", "15% случаев"),
        ("secondary", "органов кроветворения"),
    ],
}

# Key words of the 10 causes, in the source's order.
CAUSES = {
    "en": (
        "60-65",
        "coffee",
        "alcohol",
        "steroids",
        "vitamin D",
        "menopause",
        "metabolism",
        "low body weight",
        "Short stature",
        "Malignant tumours",
    ),
    "ru": (
        "60–65",
        "кофе",
        "алкоголем",
        "стероидов",
        "витамина D",
        "менопаузе",
        "обмен веществ",
        "низкая масса тела",
        "Низкий рост",
        "Злокачественные опухоли",
    ),
}


@pytest.fixture(scope="module")
def shipped() -> Content:
    return load_content()


def _body(content: Content, locale: str, section_id: str) -> str:
    section = content.locales[locale].section(section_id)
    assert section is not None, f"{locale}: no section {section_id!r}"
    return section.body


def _numbered(body: str) -> list[tuple[int, str]]:
    return [(int(m[1]), m[2]) for m in re.finditer(r"^(\d+)\. (.+)$", body, re.MULTILINE)]


def _bullets(body: str) -> list[str]:
    return re.findall(r"^• (.+)$", body, re.MULTILINE)


# --------------------------------------------------------------------------- shipped content


def test_shipped_content_loads(shipped: Content) -> None:
    assert tuple(shipped.locales) == LOCALES
    for locale in LOCALES:
        texts = shipped.locales[locale]
        assert texts.locale == locale
        assert texts.article_title
        assert texts.article_intro
        assert texts.prices_note
        assert texts.region_note


def test_sections_same_ids_in_both_locales(shipped: Content) -> None:
    ids = {locale: [s.id for s in shipped.locales[locale].sections] for locale in LOCALES}
    assert len(ids["ru"]) >= 10
    assert ids["ru"] == ids["en"]
    assert tuple(ids["ru"]) == REQUIRED_SECTIONS


def test_every_section_fits_a_telegram_message(shipped: Content) -> None:
    for locale in LOCALES:
        for section in shipped.locales[locale].sections:
            assert 1 <= len(section.body) <= 1500
            assert 1 <= len(section.title) <= 60
            message = f"<b>{section.title}</b>\n\n{section.body}\n\n{FOOTER}"
            # Telegram counts UTF-16 code units
            assert len(message.encode("utf-16-le")) // 2 < TELEGRAM_LIMIT, (locale, section.id)


def test_bodies_are_valid_markup_without_source_leftovers(shipped: Content) -> None:
    for locale in LOCALES:
        for section in shipped.locales[locale].sections:
            assert html_problem(section.body) is None
            lowered = section.body.lower()
            for leftover in (
                "video",
                "видео",
                "**",
                "__",
                "](",
                "guests",
                "collar",
                "остеохондроз",
            ):
                assert leftover not in lowered, (locale, section.id, leftover)


def test_prices_exactly_as_in_source(shipped: Content) -> None:
    for locale in LOCALES:
        services = shipped.locales[locale].services
        assert {s.id: s.price_from for s in services} == PRICES
        assert [s.id for s in services] == list(PRICES)  # the source's order
        for service in services:
            assert type(service.price_from) is int
            assert 1 <= len(service.name) <= 60


def _service_name(content: Content, locale: str, service_id: str) -> str:
    service = content.locales[locale].service(service_id)
    assert service is not None, f"{locale}: no service {service_id!r}"
    return service.name


def test_price_names(shipped: Content) -> None:
    assert "(12 сеансов)" in _service_name(shipped, "ru", "cycle1")
    assert "(12 sessions)" in _service_name(shipped, "en", "cycle2")
    assert "остеопороза стопы" in _service_name(shipped, "ru", "consult")
    assert "foot osteoporosis" in _service_name(shipped, "en", "consult")
    assert _service_name(shipped, "en", "session") == "One session"
    assert _service_name(shipped, "ru", "taping_combo") == "Комбинированное зональное тейпирование"


@pytest.mark.parametrize(
    ("locale", "section_id", "fragment"),
    [(locale, sid, fragment) for locale, facts in FACTS.items() for sid, fragment in facts],
)
def test_fact_present(shipped: Content, locale: str, section_id: str, fragment: str) -> None:
    assert fragment in _body(shipped, locale, section_id)


@pytest.mark.parametrize("locale", LOCALES)
def test_ten_causes_numbered(shipped: Content, locale: str) -> None:
    items = _numbered(_body(shipped, locale, "what"))
    assert [n for n, _ in items] == list(range(1, 11))
    for (_, text), keyword in zip(items, CAUSES[locale], strict=True):
        assert keyword in text


@pytest.mark.parametrize("locale", LOCALES)
def test_list_lengths(shipped: Content, locale: str) -> None:
    assert len(_bullets(_body(shipped, locale, "prevent"))) == 8
    assert [n for n, _ in _numbered(_body(shipped, locale, "symptoms"))] == list(range(1, 8))
    assert [n for n, _ in _numbered(_body(shipped, locale, "types"))] == [1, 2]
    assert len(_bullets(_body(shipped, locale, "hormones"))) == 3
    assert len(_bullets(_body(shipped, locale, "secondary"))) == 7
    # tests: 4 blood indicators, 3 x-ray findings, 3 referrals, 5 main methods
    assert len(_bullets(_body(shipped, locale, "tests"))) == 4 + 3 + 3 + 5
    # densitometry: 5 facts about the method, 3 urgent cases
    assert len(_bullets(_body(shipped, locale, "densitometry"))) == 5 + 3
    # treatment: 6 kinds of medication + massage, physical therapy, nutrition
    assert len(_bullets(_body(shipped, locale, "treatment"))) == 6 + 3


@pytest.mark.parametrize("locale", LOCALES)
def test_number_format_is_consistent(shipped: Content, locale: str) -> None:
    for section in shipped.locales[locale].sections:
        if locale == "ru":
            assert not re.search(r"\d\.\d", section.body), section.id  # 7,5 not 7.5
            assert not re.search(r"\d-\d", section.body), section.id  # 7,5–15 not 7,5-15
        else:
            assert not re.search(r"\d,\d", section.body), section.id  # 7.5 not 7,5
            assert not re.search(r"\d–\d", section.body), section.id  # 7.5-15 as in the source


@pytest.mark.parametrize("locale", LOCALES)
def test_sections_naming_drugs_are_flagged(shipped: Content, locale: str) -> None:
    mentioned: set[str] = set()
    for section in shipped.locales[locale].sections:
        names = [name for name in DRUG_NAMES[locale] if name in section.body]
        mentioned.update(names)
        if names:
            assert section.drugs, (locale, section.id, names)
    assert mentioned == set(DRUG_NAMES[locale])  # every drug of the source is in the article
    for section_id in ("nsaids", "antiresorptive", "regeneration"):
        flagged = shipped.locales[locale].section(section_id)
        assert flagged is not None
        assert flagged.drugs


def test_drug_flags_match_across_locales(shipped: Content) -> None:
    ru = [(s.id, s.drugs) for s in shipped.locales["ru"].sections]
    en = [(s.id, s.drugs) for s in shipped.locales["en"].sections]
    assert ru == en


def test_seed_reviews(shipped: Content) -> None:
    first, second = shipped.seed_reviews
    assert first.author == "Света"
    assert second.author is None
    assert first.rating == second.rating == 5
    assert "каблуки" in first.text
    assert "Результат вижу" in first.text
    assert "сапоги" in second.text
    assert second.text.endswith("Спасибо!")


def test_lookup_helpers(shipped: Content) -> None:
    ru = shipped.for_locale("ru")
    assert ru.section_index("what") == 0
    assert ru.section_index("secondary") == len(ru.sections) - 1
    assert ru.section_index("nope") is None
    assert ru.section("nope") is None
    assert ru.service("nope") is None
    service = ru.service("massage")
    assert service is not None
    assert service.price_from == 250


def test_for_locale_falls_back(shipped: Content) -> None:
    assert shipped.for_locale("en").locale == "en"
    assert shipped.for_locale("en-US").locale == "en"
    assert shipped.for_locale("RU").locale == "ru"
    assert shipped.for_locale("de").locale == "ru"
    assert shipped.for_locale("").locale == "ru"
    assert shipped.for_locale(None).locale == "ru"


def test_for_locale_without_russian_uses_first() -> None:
    only_en = load_content(locales=("en",))
    assert only_en.for_locale("ru").locale == "en"
    assert isinstance(only_en.for_locale("de"), LocaleContent)


def test_content_dir_is_the_package() -> None:
    assert (CONTENT_DIR / "__init__.py").is_file()
    assert (CONTENT_DIR / "reviews.toml").is_file()


# --------------------------------------------------------------------------- html checker


@pytest.mark.parametrize(
    "text",
    ["plain", "<b>bold</b> and <i>it</i>", "<b><i>x</i></b>", "a &lt; b &amp;&gt; c &#8212;"],
)
def test_html_ok(text: str) -> None:
    assert html_problem(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "<a href='x'>link</a>",
        "<b>open",
        "close</b>",
        "<b><i>x</b></i>",
        "<B>x</B>",
        "<b class='x'>x</b>",
        "R&D",
        "a & b",
        "1 < 2",
        "2 > 1",
        "<u>x</u>",
        "<b><b>x</b></b>",
    ],
)
def test_html_rejected(text: str) -> None:
    assert html_problem(text) is not None


# --------------------------------------------------------------------------- broken copies


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def _edit(path: Path, old: str, new: str, *, after: str = "") -> int:
    """Replace the first `old` after `after`; return the 1-based line where the edit landed."""
    text = path.read_text(encoding="utf-8")
    start = text.index(after) if after else 0
    position = text.index(old, start)
    path.write_text(text[:position] + new + text[position + len(old) :], encoding="utf-8")
    return text.count("\n", 0, position) + 1


def _section_span(path: Path, array: str, item_id: str) -> tuple[int, int]:
    """Lines (first, last) of the `[[array]]` table whose id is `item_id`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    id_line = next(i for i, line in enumerate(lines) if line.strip() == f'id = "{item_id}"')
    first = max(i for i in range(id_line + 1) if lines[i].strip() == f"[[{array}]]")
    last = next(
        (i for i in range(id_line + 1, len(lines)) if lines[i].strip() == f"[[{array}]]"),
        len(lines),
    )
    return first + 1, last


def _load_error(directory: Path) -> ContentError:
    with pytest.raises(ContentError) as caught:
        load_content(directory)
    return caught.value


def _assert_located(error: ContentError, file: str, line: int) -> None:
    assert error.file == file
    assert error.line == line
    assert str(error).startswith(f"{file}, line {line}: ")


def _assert_in_span(error: ContentError, file: str, span: tuple[int, int]) -> None:
    assert error.file == file
    assert error.line is not None
    assert span[0] <= error.line <= span[1], (str(error), span)
    assert str(error).startswith(f"{file}, line {error.line}: ")


def test_rejects_broken_toml(content_copy: Path) -> None:
    path = content_copy / "ru" / "article.toml"
    line = _edit(path, "drugs = false", "drugs = flase", after='id = "risk"')
    error = _load_error(content_copy)
    _assert_located(error, "ru/article.toml", line)
    assert "invalid TOML" in str(error)


def test_rejects_unclosed_multiline_string(content_copy: Path) -> None:
    path = content_copy / "en" / "prices.toml"
    _edit(path, 'name = "Foot massage"', 'name = "Foot massage')
    error = _load_error(content_copy)
    assert error.file == "en/prices.toml"
    assert error.line is not None


def test_rejects_unknown_tag(content_copy: Path) -> None:
    path = content_copy / "ru" / "article.toml"
    line = _edit(path, "Низкий рост.", '<a href="https://example.com">Низкий рост</a>.')
    error = _load_error(content_copy)
    _assert_located(error, "ru/article.toml", line)  # the line of the tag itself
    assert "unsupported tag" in str(error)
    assert "'what'" in str(error)


def test_rejects_unbalanced_bold(content_copy: Path) -> None:
    path = content_copy / "en" / "article.toml"
    line = _edit(path, "<b>Attention!</b> Drugs", "<b>Attention! Drugs")
    error = _load_error(content_copy)
    _assert_located(error, "en/article.toml", line)
    assert "<b> is never closed" in str(error)


def test_rejects_bold_opened_twice(content_copy: Path) -> None:
    path = content_copy / "ru" / "article.toml"
    _edit(path, "<b>Оссин</b>", "<b>Оссин")
    error = _load_error(content_copy)
    _assert_in_span(error, "ru/article.toml", _section_span(path, "sections", "regeneration"))
    assert "before the previous <b> was closed" in str(error)


def test_rejects_stray_closing_tag(content_copy: Path) -> None:
    path = content_copy / "ru" / "article.toml"
    _edit(path, "Симптомы остеопороза редко", "Симптомы</i> остеопороза редко")
    error = _load_error(content_copy)
    _assert_in_span(error, "ru/article.toml", _section_span(path, "sections", "symptoms"))
    assert "</i>" in str(error)


def test_rejects_bare_ampersand(content_copy: Path) -> None:
    path = content_copy / "en" / "article.toml"
    line = _edit(path, "Bone density drops", "Bone mass & density drops")
    error = _load_error(content_copy)
    _assert_located(error, "en/article.toml", line)
    assert "&amp;" in str(error)


def test_rejects_markup_in_plain_title(content_copy: Path) -> None:
    path = content_copy / "ru" / "article.toml"
    line = _edit(path, 'title = "Симптомы"', 'title = "Симптомы & признаки"')
    error = _load_error(content_copy)
    _assert_located(error, "ru/article.toml", line)
    assert "section 'symptoms'.title" in str(error)


def test_rejects_mismatched_section_ids(content_copy: Path) -> None:
    path = content_copy / "en" / "article.toml"
    line = _edit(path, 'id = "risk"', 'id = "risks"')
    error = _load_error(content_copy)
    _assert_located(error, "en/article.toml", line)
    assert "ru/article.toml" in str(error)
    assert "'risk'" in str(error)


def test_rejects_reordered_sections(content_copy: Path) -> None:
    path = content_copy / "en" / "article.toml"
    text = path.read_text(encoding="utf-8")
    head, *tables = text.split("[[sections]]\n")
    tables[0], tables[1] = tables[1], tables[0]
    # keep a trailing blank line between tables after the swap
    tables = [t if t.endswith("\n\n") else t.rstrip("\n") + "\n\n" for t in tables]
    path.write_text(head + "".join("[[sections]]\n" + t for t in tables), encoding="utf-8")
    error = _load_error(content_copy)
    _assert_in_span(error, "en/article.toml", _section_span(path, "sections", "risk"))


def test_rejects_missing_section_in_second_locale(content_copy: Path) -> None:
    path = content_copy / "en" / "article.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.rindex("[[sections]]")], encoding="utf-8")
    error = _load_error(content_copy)
    assert error.file == "en/article.toml"
    assert "'secondary'" in str(error)


def test_rejects_dose_in_section_without_drug_flag(content_copy: Path) -> None:
    path = content_copy / "en" / "article.toml"
    _edit(path, "Why:", "Why (vitamin D 800 IU helps too):", after='id = "weight"')
    error = _load_error(content_copy)
    span = _section_span(path, "sections", "weight")
    _assert_in_span(error, "en/article.toml", span)
    assert "800 IU" in str(error)
    assert "drugs = false" in str(error)


def test_rejects_dose_in_russian(content_copy: Path) -> None:
    path = content_copy / "ru" / "article.toml"
    _edit(path, "Почему так:", "Почему так (кальций 500 мг):", after='id = "weight"')
    error = _load_error(content_copy)
    _assert_in_span(error, "ru/article.toml", _section_span(path, "sections", "weight"))


@pytest.mark.parametrize("bad", ["-500", "0", '"500"', "500.0", "true", "100000000"])
def test_rejects_bad_price(content_copy: Path, bad: str) -> None:
    path = content_copy / "ru" / "prices.toml"
    line = _edit(path, "price_from = 500", f"price_from = {bad}", after='id = "consult"')
    error = _load_error(content_copy)
    _assert_located(error, "ru/prices.toml", line)
    assert "price_from" in str(error)


def test_short_names_fit_a_phone_button(shipped: Content) -> None:
    for locale in ("ru", "en"):
        for service in shipped.locales[locale].services:
            assert 1 <= len(service.short) <= 24, (locale, service.id)
    assert shipped.locales["en"].service("cycle1") is not None
    assert _short_name(shipped, "en", "cycle1") == "1st cycle (12 sessions)"
    assert _short_name(shipped, "ru", "consult") == "Консультация врача"


def _short_name(content: Content, locale: str, service_id: str) -> str:
    service = content.locales[locale].service(service_id)
    assert service is not None
    return service.short


def test_rejects_a_too_long_short_name(content_copy: Path) -> None:
    path = content_copy / "ru" / "prices.toml"
    line = _edit(
        path,
        'short = "Массаж стопы"',
        'short = "Массаж стопы, очень длинно"',
        after='id = "massage"',
    )
    error = _load_error(content_copy)
    _assert_located(error, "ru/prices.toml", line)
    assert "short" in str(error)


def test_rejects_a_missing_short_name(content_copy: Path) -> None:
    path = content_copy / "en" / "prices.toml"
    _edit(path, 'short = "Foot massage"\n', "", after='id = "massage"')
    error = _load_error(content_copy)
    assert error.file == "en/prices.toml"
    assert "short" in str(error)


def test_rejects_price_differing_between_locales(content_copy: Path) -> None:
    path = content_copy / "en" / "prices.toml"
    line = _edit(path, "price_from = 6500", "price_from = 6600", after='id = "cycle1"')
    error = _load_error(content_copy)
    _assert_located(error, "en/prices.toml", line)
    assert "6500" in str(error)


def test_rejects_mismatched_service_ids(content_copy: Path) -> None:
    path = content_copy / "en" / "prices.toml"
    line = _edit(path, 'id = "massage"', 'id = "foot_massage"')
    error = _load_error(content_copy)
    _assert_located(error, "en/prices.toml", line)


def test_rejects_duplicate_and_malformed_ids(content_copy: Path) -> None:
    path = content_copy / "ru" / "article.toml"
    line = _edit(path, 'id = "risk"', 'id = "what"')
    _assert_located(_load_error(content_copy), "ru/article.toml", line)
    _edit(path, 'id = "what"', 'id = "Risk-section"', after='id = "what"\ntitle')
    error = _load_error(content_copy)
    assert error.file == "ru/article.toml"
    assert "[a-z0-9_]" in str(error)


def test_rejects_long_title_and_body(content_copy: Path) -> None:
    path = content_copy / "en" / "article.toml"
    line = _edit(path, 'title = "Prevention"', f'title = "{"P" * 61}"')
    _assert_located(_load_error(content_copy), "en/article.toml", line)
    _edit(path, 'title = "' + "P" * 61 + '"', 'title = "Prevention"')
    _edit(path, "Give up smoking", "Give up smoking" + " very" * 300)
    error = _load_error(content_copy)
    _assert_in_span(error, "en/article.toml", _section_span(path, "sections", "prevent"))
    assert "1..1500" in str(error)


def test_rejects_missing_and_unknown_keys(content_copy: Path) -> None:
    path = content_copy / "ru" / "article.toml"
    line = _edit(path, "drugs = false", "drug = false", after='id = "types"')
    error = _load_error(content_copy)
    _assert_located(error, "ru/article.toml", line)
    assert "unknown key" in str(error)


def test_rejects_too_few_sections(content_copy: Path) -> None:
    path = content_copy / "ru" / "article.toml"
    text = path.read_text(encoding="utf-8")
    parts = text.split("[[sections]]")
    path.write_text("[[sections]]".join(parts[:10]), encoding="utf-8")  # 9 sections
    error = _load_error(content_copy)
    assert error.file == "ru/article.toml"
    assert "at least 10" in str(error)


def test_rejects_bad_review(content_copy: Path) -> None:
    path = content_copy / "reviews.toml"
    line = _edit(path, "rating = 5", "rating = 6")
    _assert_located(_load_error(content_copy), "reviews.toml", line)
    _edit(path, "rating = 6", "rating = 5")
    text = path.read_text(encoding="utf-8")
    start = text.rindex('text = """')
    path.write_text(text[:start] + 'text = """\n   \n"""\n', encoding="utf-8")
    error = _load_error(content_copy)
    assert error.file == "reviews.toml"
    assert "text" in str(error)


def test_rejects_missing_file(content_copy: Path) -> None:
    (content_copy / "en" / "prices.toml").unlink()
    error = _load_error(content_copy)
    assert error.file == "en/prices.toml"
    assert error.line is None
    assert str(error) == "en/prices.toml: file not found"
