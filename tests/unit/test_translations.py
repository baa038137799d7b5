"""The message catalogue: every marked string has a Traditional Chinese translation with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import hexops

PACKAGE = Path(hexops.__file__).parent
CATALOGUE = PACKAGE / "dashboard" / "translations" / "zh_Hant" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _marked() -> set[str]:
    found = set()
    for folder in (PACKAGE / "dashboard", PACKAGE / "services"):
        for _file, _line, message, _comments, _context in extract_from_dir(
                str(folder), keywords={"_": None, "N_": None}, comment_tags=()):
            if isinstance(message, str) and message:
                found.add(message)
    return found


def test_every_string_marked_in_the_pages_and_the_form_rules_has_a_chinese_translation():
    catalogue = read_po(CATALOGUE.open("rb"))
    translated = {m.id: m.string for m in catalogue if m.id and m.string}
    missing = sorted(_marked() - set(translated))
    assert not missing, "run pybabel extract/update and translate: " + "; ".join(missing[:20])


def test_translations_keep_every_placeholder_and_contain_chinese():
    catalogue = read_po(CATALOGUE.open("rb"))
    for message in catalogue:
        if not message.id:
            continue
        assert set(PLACEHOLDER.findall(message.id)) == set(PLACEHOLDER.findall(message.string)), message.id
        assert any("\u3400" <= ch <= "\u9fff" for ch in message.string) or message.id.isupper(), message.id


def test_language_tags_from_links_and_settings_are_recognised_and_junk_is_not():
    from hexops.dashboard.i18n import tag_from

    assert tag_from("zh-Hant") == tag_from("zh_hant") == tag_from("ZH-HANT") == "zh-Hant"
    assert tag_from("en") == "en"
    for junk in ("fr", "", None, 3, "zh-Hant" * 10, "../etc"):
        assert tag_from(junk) is None
