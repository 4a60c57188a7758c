"""The shop speaks Simplified Chinese first and Traditional Chinese on request: no string is left in English there."""

import ast
import re
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def entries(language: str) -> list[dict]:
    """The catalogue's entries as {msgid, msgstr, fuzzy}; plural forms count as translated when any is."""
    found, current, field = [], None, None
    for raw in (LOCALE / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#~"):
            continue  # obsolete
        if line.startswith("#,"):
            current = {"msgid": "", "msgstr": "", "fuzzy": "fuzzy" in line}
            found.append(current)
            continue
        keyword = re.match(r"^(msgid_plural|msgid|msgstr(?:\[\d+\])?|msgctxt)\s+(\".*\")$", line)
        if keyword:
            name, text = keyword.groups()
            if name == "msgid" and (current is None or current["msgid"] or current.get("_has_id")):
                current = {"msgid": "", "msgstr": "", "fuzzy": False}
                found.append(current)
            if name == "msgid":
                current["_has_id"] = True
            field = "msgid" if name in ("msgid", "msgid_plural", "msgctxt") else "msgstr"
            if name in ("msgid_plural", "msgctxt"):
                field = None
            if field:
                current[field] += ast.literal_eval(text)
        elif line.startswith('"') and field and current is not None:
            current[field] += ast.literal_eval(line)
        elif not line:
            field = None
    return [entry for entry in found if entry["msgid"]]


@pytest.mark.parametrize("language", ["zh_Hans", "zh_Hant"])
def test_every_message_of_the_shop_is_translated_into_chinese(language):
    missing = [entry["msgid"] for entry in entries(language) if not entry["msgstr"] or entry["fuzzy"]]

    assert not missing, f"{len(missing)} untranslated in {language}, e.g. {missing[:5]}"


def test_both_chinese_catalogues_hold_the_same_messages():
    assert {e["msgid"] for e in entries("zh_Hans")} == {e["msgid"] for e in entries("zh_Hant")}
