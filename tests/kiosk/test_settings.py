"""Settings: defaults, stored values, and errors that name the setting and what is allowed."""

from __future__ import annotations

import pytest

from kiosk.db import Database
from kiosk.errors import SettingError
from kiosk.settings import Settings, validate


def test_defaults_cover_both_languages_and_every_category(db: Database) -> None:
    s = db.settings()
    assert s.text("question", "en") == (
        "How likely are you to recommend us to a friend or colleague?"
    )
    assert s.text("label_low", "en") == "Not at all likely"
    assert s.text("label_high", "en") == "Extremely likely"
    assert s.follow_up_text("detractor", "en") == "What could we do better?"
    assert s.follow_up_text("passive", "en") == "What would make it a 10?"
    assert s.follow_up_text("promoter", "en") == "What did you like most?"
    assert {k for k, _ in s.reason_chips("detractor", "en")} >= {
        "wait_time",
        "staff",
        "price",
        "product_range",
        "cleanliness",
        "checkout",
    }
    assert s.languages == ("en", "hi")
    assert (s.follow_up_timeout_s, s.thank_you_s, s.min_tap_interval_s) == (20, 5, 3.0)
    hindi = s.text("question", "hi")
    assert any("\u0900" <= ch <= "\u097f" for ch in hindi)


def test_changes_are_stored_and_survive_reopening(db: Database, db_path) -> None:
    db.update_settings(store_name="Koramangala", follow_up_timeout_s=30)
    from kiosk.db import open_database

    again = open_database(db_path)
    try:
        assert again.settings().store_name == "Koramangala"
        assert again.settings().follow_up_timeout_s == 30
    finally:
        again.close()


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("follow_up_timeout_s", 2, "follow_up_timeout_s': must be a whole number from 5 to 300"),
        ("thank_you_s", "5", "thank_you_s': must be a whole number from 1 to 60"),
        ("min_tap_interval_s", -1, "min_tap_interval_s': must be a number from 0 to 60"),
        ("languages", ["en", "fr"], "unknown language 'fr'; allowed: en, hi, ta, bn, mr, te"),
        ("store_name", "  ", "store_name': must be a non-empty text"),
        ("question", {"hi": "x"}, "question': must give a text per language, with English"),
        ("store_id", "has space", "store_id': must be 1-64 letters"),
        ("colour", "red", "colour': there is no such setting"),
        ("screen", 1, "screen': must be a screen's name (e.g. HDMI-1) or its number"),
        ("screen", "HDMI\n1", "screen': must be a screen's name"),
    ],
)
def test_bad_values_name_the_setting_and_what_is_allowed(
    db: Database, key: str, value: object, message: str
) -> None:
    before = db.settings()
    with pytest.raises(SettingError) as err:
        db.update_settings(**{key: value})
    assert message in str(err.value)
    assert db.settings() == before  # nothing stored


def test_reason_chips_need_unique_keys() -> None:
    chips = {
        cat: [{"key": "staff", "en": "Staff"}, {"key": "staff", "en": "Team"}]
        for cat in ("detractor", "passive", "promoter")
    }
    with pytest.raises(SettingError, match="used twice"):
        validate("reasons", chips)


def test_a_broken_stored_value_falls_back_to_its_default(db: Database) -> None:
    from kiosk.db import utcnow
    from kiosk.models import SettingRow

    with db.writing() as s:
        s.merge(SettingRow(key="thank_you_s", value='"not a number"', updated_at=utcnow()))
    assert db.settings().thank_you_s == Settings().thank_you_s


def test_peek_reads_the_stored_settings_without_opening_the_database(db: Database, db_path) -> None:
    from kiosk.settings import peek_settings

    db.update_settings(store_name="Jayanagar", default_language="hi")
    peeked = peek_settings(db_path)
    assert peeked is not None
    assert (peeked.store_name, peeked.default_language) == ("Jayanagar", "hi")


def test_peek_gives_up_quietly_on_a_missing_or_broken_file(tmp_path) -> None:
    from kiosk.settings import peek_settings

    assert peek_settings(tmp_path / "none.db") is None
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not sqlite at all" * 100)
    assert peek_settings(junk) is None
    assert junk.read_bytes() == b"not sqlite at all" * 100


def test_the_screen_defaults_to_the_primary_and_takes_a_name_or_number(db: Database) -> None:
    assert db.settings().screen == ""
    db.update_settings(screen="customer")
    assert db.settings().screen == "customer"
    db.update_settings(screen="1")
    assert db.settings().screen == "1"


def test_the_review_link_is_https_only_and_empty_means_none(db: Database) -> None:
    assert db.settings().review_url == ""
    url = "https://g.page/r/our-store/review"
    assert db.update_settings(review_url=f"  {url} ").review_url == url
    assert db.update_settings(review_url="").review_url == ""
    with pytest.raises(SettingError, match=r"review_url.*https://") as err:
        validate("review_url", "http://insecure.example/review")
    assert "http://insecure.example/review" in str(err.value)
    with pytest.raises(SettingError, match=r"review_url.*at most 500 characters"):
        validate("review_url", "https://x.example/" + "a" * 490)
    for bad in ("https://", "ftp://x.example", "https://x.example/a b", 42):
        with pytest.raises(SettingError, match="review_url"):
            validate("review_url", bad)
