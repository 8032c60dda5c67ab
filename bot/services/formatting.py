"""Numbers shown to patients, in the conventions of their language."""

from __future__ import annotations


def group_thousands(amount: int, locale: str) -> str:
    """`6 500` in Russian, `6,500` in English."""
    grouped = f"{amount:,}"
    return grouped.replace(",", " ") if locale == "ru" else grouped


def format_decimal(value: float, locale: str, digits: int = 1) -> str:
    """`4,9` in Russian, `4.9` in English."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if locale == "ru" else text
