"""DSN parsing and masking go through psycopg.conninfo; secrets never leak into messages."""

from __future__ import annotations

import pytest

from app.core.dsn import mask_dsn, parse_dsn, scrub, to_url
from app.core.errors import BadInput

SECRET = "s3cr@t pw"


def test_url_password_is_split_off() -> None:
    t = parse_dsn("postgresql://bob:s3cr%40t%20pw@db.example.com:5433/ailt?sslmode=require")
    assert t.password == SECRET
    assert t.params == {
        "user": "bob",
        "host": "db.example.com",
        "port": "5433",
        "dbname": "ailt",
        "sslmode": "require",
    }
    assert "s3cr" not in t.conninfo and "s3cr" not in t.display and "s3cr" not in repr(t)
    assert "password=****" in t.display
    assert t.key == "bob@db.example.com:5433/ailt"


def test_keyword_form_and_url_round_trip() -> None:
    t = parse_dsn("host=/tmp/sock port=5499 dbname=ai user=me password='a b'")
    assert t.password == "a b"
    url = to_url(t)
    assert "a b" not in url
    assert parse_dsn(url).params == t.params


def test_mask_keeps_the_form() -> None:
    assert mask_dsn("postgresql://u:pw9@h/db") == "postgresql://u:****@h/db"
    assert "pw9" not in mask_dsn("host=h password=pw9 dbname=d")


@pytest.mark.parametrize(
    "bad", ["host=h password=hunter22 bogus", "foo=1 password=hunter22", "   "]
)
def test_malformed_dsn_is_bad_input_without_the_password(bad: str) -> None:
    with pytest.raises(BadInput) as err:
        parse_dsn(bad)
    assert "hunter22" not in str(err.value)
    assert "DSN" in str(err.value)


def test_scrub_removes_plain_and_url_encoded_forms() -> None:
    text = "failed for s3cr@t pw and s3cr%40t%20pw"
    assert scrub(text, [SECRET]) == "failed for **** and ****"
