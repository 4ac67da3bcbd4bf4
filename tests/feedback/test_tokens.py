"""Signed, expiring survey tokens."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpdesk_kit.errors import InvalidInput, InvalidToken, PermissionDenied
from helpdesk_kit.feedback.tokens import sign_token, verify_token

SECRET = b"0123456789abcdef0123456789abcdef"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_round_trip_names_the_survey():
    token = sign_token(SECRET, "01SURVEY", NOW + timedelta(days=7))
    assert verify_token(SECRET, token, NOW) == "01SURVEY"
    assert verify_token(SECRET, token, NOW + timedelta(days=7) - timedelta(seconds=1)) == "01SURVEY"


def test_expired_token_is_refused():
    token = sign_token(SECRET, "01SURVEY", NOW + timedelta(hours=1))
    with pytest.raises(InvalidToken) as info:
        verify_token(SECRET, token, NOW + timedelta(hours=1))
    assert info.value.reason == "expired"
    assert isinstance(info.value, PermissionDenied)


def test_other_secret_or_other_survey_is_refused():
    token = sign_token(SECRET, "01SURVEY", NOW + timedelta(days=1))
    with pytest.raises(InvalidToken, match="signature"):
        verify_token(b"another-secret-another-secret!!", token, NOW)
    survey, expires, sig = token.split(".")
    with pytest.raises(InvalidToken, match="signature"):
        verify_token(SECRET, f"01OTHER.{expires}.{sig}", NOW)
    with pytest.raises(InvalidToken, match="signature"):
        verify_token(SECRET, f"{survey}.{int(expires) + 86400}.{sig}", NOW)


@pytest.mark.parametrize(
    "bad", ["", "x", "a.b", "a.b.c.d", "a.notanumber.sig", ".123.sig", None, 42]
)
def test_malformed_tokens(bad):
    with pytest.raises(InvalidToken) as info:
        verify_token(SECRET, bad, NOW)
    assert info.value.reason == "malformed"


def test_naive_now_and_bad_ids_are_refused():
    with pytest.raises(InvalidInput):
        verify_token(SECRET, "a.1.b", datetime(2026, 11, 2))
    with pytest.raises(InvalidInput):
        sign_token(SECRET, "has.dot", NOW)


@given(st.integers(min_value=0, max_value=60), st.characters(codec="ascii"))
def test_any_change_to_the_signature_breaks_it(position, char):
    token = sign_token(SECRET, "01SURVEYID", NOW + timedelta(days=1))
    head, sig = token.rsplit(".", 1)
    i = position % len(sig)
    if sig[i] == char:
        return
    forged = head + "." + sig[:i] + char + sig[i + 1 :]
    with pytest.raises(InvalidToken):
        verify_token(SECRET, forged, NOW)
