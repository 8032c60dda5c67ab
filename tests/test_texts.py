"""The texts a clinic signs: faithful to its source, safe around medicines, an honest consent,
and Russian and English that read naturally. Each test shows what a patient would see."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from fluent.syntax import ast, parse

from bot import views
from bot.content import CONTENT_DIR, Content, ContentError, load_clinic, load_content
from bot.i18n import Translations, Translator, load_translations

LOCALES = ("ru", "en")
SHARED_PARAMS = frozenset({"clinic_legal_name", "clinic_legal_address", "retention_days"})

# The types of osteoporosis the clinic's article names (besides diffuse, postmenopausal and
# senile). Its first item is garbled ("Collar osteochondrosis") and is deliberately left out.
SOURCE_TYPES = {
    "en": ["Patchy osteoporosis.", "Homogeneous osteoporosis."],
    "ru": ["Пятнистый остеопороз.", "Гомогенный остеопороз."],
}

# Every figure of each section, in the source's order (decimal point; list numbering excluded).
SOURCE_NUMBERS = {
    "what": ["65", "60", "65"],
    "risk": [],
    "prevent": ["12"],
    "types": ["55", "70"],
    "hormones": [],
    "symptoms": ["5"],
    "tests": ["30", "40"],
    "densitometry": ["45", "50", "70"],
    "treatment": [],
    "weight": [],
    # Movalis: 2-3 days, 7.5-15 mg injected, 7.5 mg tablets up to 15 mg; Revmoxicam 7.5-15 mg
    # injected and in tablets; diclofenac 75 mg tablets and 75 mg injections
    "nsaids": ["2", "3", "7.5", "15", "7.5", "15", "7.5", "15", "7.5", "15", "75", "75"],
    "antiresorptive": ["200", "200"],  # Osteochin 200 mg, Miacalcic 200 IU
    "regeneration": ["40", "40", "20"],  # Ossin 40 mg twice, 40 mg to prevent; teriparatide 20 mcg
    "secondary": ["15"],
}

RU_DRUGS = (
    "мовалис",
    "ревмоксикам",
    "диклофенак",
    "остеохин",
    "миакальцик",
    "оссин",
    "терипаратид",
)
DOSE_RE = re.compile(r"\d+(?:[.,]\d+)?\s*(?:mcg|mg|IU|мкг|мг|МЕ)(?![^\W\d_])")

# Latin words a Russian text may contain: the product name, the deliberately bilingual language
# picker, and arguments of staff commands.
RU_LATIN_ALLOWED = {"Telegram", "Language", "Choose", "the", "language", "English", "id", "N"}
RU_LATIN_ALLOWED |= {"requests", "reviews", "new", "taken", "called", "booked", "noanswer"}
RU_LATIN_ALLOWED |= {"cancelled", "spam", "pending", "published", "hidden"}
# Staff commands' arguments, file names and markup shown to staff (edits, /reload, /link).
RU_LATIN_ALLOWED |= {"code", "off", "reset", "ru", "en", "Consultation", "clinic", "toml"}
RU_LATIN_ALLOWED |= {"content", "QR", "flyer", "vk", "post", "lt", "gt", "amp"}
# Reply templates: their placeholders and the subcommands of /templates.
RU_LATIN_ALLOWED |= {"name", "service", "phone", "add", "edit", "remove", "CSV"}


@pytest.fixture(scope="module")
def shipped() -> Content:
    return load_content()


@pytest.fixture(scope="module")
def translations() -> Translations:
    return load_translations(CONTENT_DIR, LOCALES, "ru")


def _messages(locale: str) -> dict[str, set[str]]:
    """Every message of a locale's .ftl with the variables it uses."""
    source = (CONTENT_DIR / locale / "bot.ftl").read_text(encoding="utf-8")
    result: dict[str, set[str]] = {}
    for entry in parse(source).body:
        if isinstance(entry, ast.Message) and entry.span is not None:
            text = source[entry.span.start : entry.span.end]
            result[entry.id.name] = set(re.findall(r"\$([A-Za-z_][\w-]*)", text))
    return result


def _render_all(t: Translator, locale: str) -> dict[str, str]:
    return {
        key: t(key, **{name: 3 for name in names - SHARED_PARAMS})
        for key, names in _messages(locale).items()
    }


def _body(content: Content, locale: str, section_id: str) -> str:
    section = content.locales[locale].section(section_id)
    assert section is not None
    return section.body


# --------------------------------------------------------------------------- the article


@pytest.mark.parametrize("locale", LOCALES)
def test_types_of_osteoporosis_are_only_the_sources(shipped: Content, locale: str) -> None:
    body = _body(shipped, locale, "types")
    names = re.findall(r"^\d+\. <b>([^<]+)</b>", body, re.MULTILINE)
    assert names == SOURCE_TYPES[locale]
    lowered = body.lower()
    for invented in ("focal", "local", "очагов", "локальн", "osteochondrosis", "остеохондроз"):
        assert invented not in lowered


@pytest.mark.parametrize("locale", LOCALES)
def test_figures_are_exactly_the_sources(shipped: Content, locale: str) -> None:
    for section in shipped.locales[locale].sections:
        body = re.sub(r"^\d+\. ", "", section.body, flags=re.MULTILINE)
        numbers = [n.replace(",", ".") for n in re.findall(r"\d+(?:[.,]\d+)?", body)]
        assert numbers == SOURCE_NUMBERS[section.id], (locale, section.id)


@pytest.mark.parametrize("locale", LOCALES)
def test_doctor_note_comes_before_the_first_dose(
    shipped: Content, translations: Translations, locale: str
) -> None:
    t = translations.get(locale)
    note = t("article-doctor-note")
    texts = shipped.locales[locale]
    with_doses = 0
    for index, section in enumerate(texts.sections):
        page = views.article_section(t, texts, index)
        dose = DOSE_RE.search(page)
        if dose is None:
            continue
        with_doses += 1
        assert note in page, (locale, section.id)
        assert page.index(note) < dose.start(), (locale, section.id)
    assert with_doses == 3  # NSAIDs, drugs against bone destruction, bone regeneration


def test_doctor_note_names_contraindications_and_a_specialist(
    translations: Translations,
) -> None:
    ru = translations.get("ru")("article-doctor-note")
    en = translations.get("en")("article-doctor-note")
    assert "только врач" in ru
    assert "противопоказания" in ru
    assert "проконсультируйтесь со специалистом" in ru
    assert "Only a doctor" in en
    assert "contraindications" in en
    assert "consult a specialist" in en


def test_russian_drug_names_are_lower_case_mid_sentence(shipped: Content) -> None:
    for section in shipped.locales["ru"].sections:
        for line in section.body.splitlines():
            # a heading or the start of a sentence may capitalise the name; nothing else may
            rest = re.sub(r"^(?:<b>|• )?", "", line)
            for drug in RU_DRUGS:
                capitalised = drug.capitalize()
                for match in re.finditer(capitalised, rest):
                    before = rest[: match.start()].rstrip()
                    assert before == "" or before.endswith((".", "!", "?")), (section.id, line)
    nsaids = _body(shipped, "ru", "nsaids")
    assert "75 мг диклофенака" in nsaids
    assert "с миакальциком" in _body(shipped, "ru", "antiresorptive")


def test_price_names_follow_the_source(shipped: Content) -> None:
    session_ru = shipped.locales["ru"].service("session")
    session_en = shipped.locales["en"].service("session")
    assert session_ru is not None and session_ru.name == "Одно занятие"
    assert session_en is not None and session_en.name == "One session"


def test_review_keeps_the_patients_words(shipped: Content) -> None:
    second = shipped.seed_reviews[1].text
    assert "как раз вовремя" in second
    assert "ещё пара лет" in second


# --------------------------------------------------------------------------- consent


@pytest.mark.parametrize(
    ("locale", "fragments"),
    [
        (
            "ru",
            (
                "имя, телефон, удобное время звонка и жалобы",
                "чтобы связаться с вами по поводу консультации",
                "до года после закрытия заявки",
                "сведения о здоровье",
                "особая категория персональных данных",
                "/forget",
                "версия 2099-01-01",
            ),
        ),
        (
            "en",
            (
                "name, phone number, preferred call time and complaint",
                "to contact you about the consultation",
                "up to a year after the request is closed",
                "health data",
                "special category of personal data",
                "/forget",
                "version 2099-01-01",
            ),
        ),
    ],
)
def test_consent_says_what_why_how_long_and_how_to_withdraw(
    translations: Translations, locale: str, fragments: tuple[str, ...]
) -> None:
    # exactly the call the booking handler makes
    consent = translations.get(locale)("book-ask-consent", version="2099-01-01")
    for fragment in fragments:
        assert fragment in consent
    clinic = load_clinic()
    assert f"{clinic.legal_name}, {clinic.legal_address}" in consent


def _content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def test_consent_names_the_clinic_from_content_and_the_retention_setting(
    tmp_path: Path,
) -> None:
    directory = _content_copy(tmp_path)
    (directory / "clinic.toml").write_text(
        '[legal]\nname = "ООО «Остео»"\naddress = "190000, Санкт-Петербург, Невский пр., 1"\n',
        encoding="utf-8",
    )
    translations = load_translations(directory, LOCALES, "ru", retention_days=30)
    ru = translations.get("ru")("book-ask-consent", version="1")
    en = translations.get("en")("book-ask-consent", version="1")
    for consent in (ru, en):
        assert "ООО «Остео», 190000, Санкт-Петербург, Невский пр., 1" in consent
    assert "до 30 дней после закрытия заявки" in ru
    assert "up to 30 days after the request is closed" in en
    # a handler's own parameter still wins over the shared ones
    assert "ООО «Другое»" in translations.get("ru")(
        "book-ask-consent", version="1", clinic_legal_name="ООО «Другое»"
    )


def test_shipped_clinic_details_are_marked_as_placeholders() -> None:
    text = (CONTENT_DIR / "clinic.toml").read_text(encoding="utf-8")
    assert "ЗАГЛУШК" in text
    assert "placeholder" in text.lower()
    clinic = load_clinic()
    assert clinic.legal_name == "ООО «Клиника»"
    assert clinic.legal_address


@pytest.mark.parametrize(
    ("toml", "line", "message"),
    [
        ('[legal]\naddress = "Москва"\n', 1, "missing key 'name'"),
        ('[legal]\nname = "ООО «Клиника»"\naddress = "  "\n', 3, "legal.address: length 0"),
        ('[legal]\nname = "ООО <Клиника>"\naddress = "Москва"\n', 2, "not allowed in plain text"),
        ('[legal]\nname = "ООО «Клиника»"\naddress = "Москва"\nphone = "1"\n', 4, "unknown key"),
        ('[legal]\nname = 5\naddress = "Москва"\n', 2, "expected a string"),
        ('[legal]\nname = "ООО «Клиника»\n', 2, "invalid TOML"),
    ],
)
def test_broken_clinic_details_are_reported_with_file_and_line(
    tmp_path: Path, toml: str, line: int, message: str
) -> None:
    directory = _content_copy(tmp_path)
    (directory / "clinic.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_translations(directory, LOCALES, "ru")  # the bot refuses to start
    assert caught.value.file == "clinic.toml"
    assert caught.value.line == line
    assert str(caught.value).startswith(f"clinic.toml, line {line}: ")
    assert message in str(caught.value)


def test_missing_clinic_file_is_reported(tmp_path: Path) -> None:
    directory = _content_copy(tmp_path)
    (directory / "clinic.toml").unlink()
    with pytest.raises(ContentError, match=r"^clinic\.toml: file not found$"):
        load_translations(directory, LOCALES, "ru")
    (directory / "clinic.toml").write_text('title = "x"\n', encoding="utf-8")
    with pytest.raises(ContentError, match=r"^clinic\.toml, line 1: title: unknown key"):
        load_clinic(directory)


# --------------------------------------------------------------------------- bot texts


def test_review_signature_button_is_grammatical(translations: Translations) -> None:
    assert translations.get("ru")("review-sign-as", name="Анна") == "✍️ Подписать: Анна"
    assert translations.get("en")("review-sign-as", name="Anna") == "✍️ Sign as Anna"


@pytest.mark.parametrize(
    ("locale", "fragments"),
    [
        ("ru", ("Простите, я не понял", "менеджер клиники")),
        ("en", ("Sorry, I didn't understand", "clinic manager")),
    ],
)
def test_not_understood_is_natural_and_points_to_the_manager(
    translations: Translations, locale: str, fragments: tuple[str, ...]
) -> None:
    text = translations.get(locale)("not-understood")
    for fragment in fragments:
        assert fragment in text
    assert "не понял сообщение" not in text


@pytest.mark.parametrize(
    ("locale", "fragments"),
    [
        ("ru", ("Любое сообщение", "получит менеджер клиники", "Ответ придёт в этот же чат")),
        ("en", ("Any message you type here", "goes to a clinic manager", "in this chat")),
    ],
)
def test_help_says_typed_messages_reach_a_manager_who_answers_here(
    translations: Translations, locale: str, fragments: tuple[str, ...]
) -> None:
    text = translations.get(locale)("help-text")
    for fragment in fragments:
        assert fragment in text


def test_both_locales_use_the_same_variables(translations: Translations) -> None:
    """A handler passes the same parameters whatever the patient's language."""
    assert _messages("ru") == _messages("en")


def test_every_message_formats(translations: Translations) -> None:
    for locale in LOCALES:
        for key, text in _render_all(translations.get(locale), locale).items():
            assert text.strip(), (locale, key)


def test_russian_has_no_english_leftovers_and_one_form_of_you(
    translations: Translations,
) -> None:
    for key, text in _render_all(translations.get("ru"), "ru").items():
        plain = re.sub(r"<code>.*?</code>", "", text, flags=re.S)  # what is typed literally
        plain = re.sub(r"</?[bi]>", "", plain)
        plain = re.sub(r"/[a-z]+", "", plain)  # commands
        for word in re.findall(r"[A-Za-z]+", plain):
            assert word in RU_LATIN_ALLOWED, (key, word)
        # "вы" is lower case everywhere except at the start of a sentence
        capital_you = re.search(r"(?<=[а-яё,:;—] )(Вы|Вас|Вам|Ваш\w*)\b", plain)
        assert capital_you is None, (key, plain)


@pytest.mark.parametrize(
    ("locale", "days", "heading"),
    [
        ("ru", 1, "Статистика за 1 день"),
        ("ru", 3, "Статистика за 3 дня"),
        ("ru", 30, "Статистика за 30 дней"),
        ("en", 1, "Statistics for 1 day"),
        ("en", 30, "Statistics for 30 days"),
    ],
)
def test_stats_heading_agrees_with_the_number_of_days(
    translations: Translations, locale: str, days: int, heading: str
) -> None:
    others = ("total", "per_day", "per_status", "per_service", "conversion", "reviews", "average")
    text = translations.get(locale)("staff-stats", days=days, **dict.fromkeys(others, "0"))
    assert f"<b>{heading}</b>" in text


def test_a_kept_text_follows_its_parameters_and_plural_forms(translations: Translations) -> None:
    ru = translations.get("ru")
    for _ in range(2):  # formatted, then served from the translator's kept texts
        assert "1 оценка" in ru("reviews-summary", average="4.5", count=1)
        assert "3 оценки" in ru("reviews-summary", average="4.5", count=3)
        assert "5 оценок" in ru("reviews-summary", average="4.5", count=5)
