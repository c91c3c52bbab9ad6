"""Error texts raised by the service code (core/said.py): English where machines and logs read
them (``str(exc)``, HQ's JSON ``detail``), the manager's language where a person reads them."""

from __future__ import annotations

import pickle

import pytest

from core.said import Said, explain_in
from kiosk.errors import PinError, SettingError
from kiosk.pin import check_format
from kiosk.settings import validate


def test_the_text_is_english_and_the_translation_is_looked_up_where_it_is_shown() -> None:
    with pytest.raises(SettingError) as caught:
        validate("thank_you_s", 999)
    exc = caught.value
    assert str(exc) == "Setting 'thank_you_s': must be a whole number from 1 to 60 seconds, not 999"
    assert explain_in(exc, "en") == str(exc)
    # The problem inside the message and the unit inside the problem are translated too.
    assert explain_in(exc, "hi") == (
        "सेटिंग 'thank_you_s': 1 से 60 सेकंड तक की पूरी संख्या होनी चाहिए, 999 नहीं"
    )


def test_a_language_without_error_texts_and_an_unmarked_error_show_english() -> None:
    with pytest.raises(PinError) as caught:
        check_format("12")
    assert explain_in(caught.value, "hi") == "PIN में 4 से 8 अंक (0-9) होते हैं।"
    assert explain_in(caught.value, "ta") == "A PIN is 4 to 8 digits (0-9)."  # no Tamil errors
    assert explain_in(ValueError("plain words"), "hi") == "plain words"


def test_literal_braces_and_pickling_survive() -> None:
    with pytest.raises(SettingError) as caught:
        validate("opening_hours", {"mon": []})
    assert str(caught.value).endswith("give some hours, or {} for always open")
    assert explain_in(caught.value, "hi").endswith("हमेशा खुले के लिए {}")
    said = Said("HQ at {url} did not answer in time.", url="https://hq.example")
    again = pickle.loads(pickle.dumps(said))
    assert again == said and again.msgid == said.msgid and again.params == said.params
