"""core.mobile_token: the same module makes tokens on the kiosk and checks them at HQ."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.mobile_token import (
    TokenBadSignature,
    TokenExpired,
    TokenMalformed,
    TokenUnknownDevice,
    make_token,
    verify_token,
)

SECRET = b"k" * 32
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def token(**changes: object) -> str:
    args: dict = {"secret": SECRET, "store_id": "s1", "device_id": "d1", "issued_at": NOW}
    args.update(changes)
    return make_token(**args)


def test_a_token_round_trips_and_is_url_safe() -> None:
    t = token(nonce="abcdefgh12")
    assert all(c.isalnum() or c in "-_." for c in t) and len(t) < 200
    claims = verify_token(t, secret_for_device=SECRET, now=NOW + timedelta(minutes=14))
    assert (claims.store_id, claims.device_id, claims.nonce, claims.kind) == (
        "s1",
        "d1",
        "abcdefgh12",
        "single",
    )
    assert claims.expires_at - claims.issued_at == 15 * 60


def test_each_token_gets_its_own_nonce() -> None:
    assert token() != token()


def test_expired_and_future_tokens() -> None:
    with pytest.raises(TokenExpired):
        verify_token(token(), secret_for_device=SECRET, now=NOW + timedelta(minutes=16))
    with pytest.raises(TokenExpired):
        verify_token(token(issued_at=NOW + timedelta(hours=1)), secret_for_device=SECRET, now=NOW)
    poster = token(kind="poster")
    assert (
        verify_token(poster, secret_for_device=SECRET, now=NOW + timedelta(days=90)).kind
        == "poster"
    )
    with pytest.raises(TokenExpired):  # HQ's max_age caps whatever the token says
        verify_token(poster, secret_for_device=SECRET, now=NOW + timedelta(days=2), max_age=86400)


def test_forged_and_unknown_devices() -> None:
    t = token()
    with pytest.raises(TokenBadSignature):
        verify_token(t, secret_for_device=b"x" * 32, now=NOW)
    with pytest.raises(TokenUnknownDevice):
        verify_token(t, secret_for_device=lambda device: None, now=NOW)
    body, sig = t.split(".")
    other = token(store_id="s2").split(".")[0]
    with pytest.raises(TokenBadSignature):  # a payload moved onto another signature
        verify_token(f"{other}.{sig}", secret_for_device=SECRET, now=NOW)


@pytest.mark.parametrize("bad", ["", "abc", "a.b.c", "!!!.???", "e30.AAAA", "x" * 600 + ".y"])
def test_malformed_tokens(bad: str) -> None:
    with pytest.raises(TokenMalformed):
        verify_token(bad, secret_for_device=SECRET, now=NOW)


@given(st.text(max_size=120))
def test_any_text_is_refused_cleanly(text: str) -> None:
    with pytest.raises((TokenMalformed, TokenBadSignature, TokenExpired, TokenUnknownDevice)):
        verify_token(text, secret_for_device=SECRET, now=NOW)
