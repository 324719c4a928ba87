"""The mssql home's Azure AD token: passed to the ODBC driver as it expects, fetched again
before it expires (DefaultAzureCredential itself is injected: no Azure here)."""

from __future__ import annotations

import struct
import time

from hygge.homes.sql.odbc import REFRESH_BEFORE, CachedToken


class CountingSource:
    def __init__(self, lifetime: float) -> None:
        self.lifetime = lifetime
        self.calls = 0

    def __call__(self) -> tuple[str, float]:
        self.calls += 1
        return f"token-{self.calls}", time.time() + self.lifetime


def test_the_token_is_utf16_with_its_byte_length_in_front():
    attribute = CachedToken(CountingSource(3600)).attribute()
    (length,) = struct.unpack("<I", attribute[:4])
    assert attribute[4:].decode("utf-16-le") == "token-1" and length == len(attribute) - 4


def test_a_fresh_token_is_reused_and_one_near_expiry_is_fetched_again():
    fresh = CountingSource(3600)
    token = CachedToken(fresh)
    token.attribute()
    token.attribute()
    assert fresh.calls == 1
    expiring = CountingSource(REFRESH_BEFORE - 1)
    token = CachedToken(expiring)
    token.attribute()
    assert token.attribute()[4:].decode("utf-16-le") == "token-2"


def test_every_mssql_home_of_a_process_shares_one_token(monkeypatch, tmp_path):
    """Two entities' homes (and every read of each) ask the credential once, not per open."""
    from hygge.homes.sql import MssqlHomeConfig, odbc
    from hygge.types import Place

    source = CountingSource(3600)
    monkeypatch.setattr(odbc, "_SHARED", {})
    monkeypatch.setattr(odbc, "default_credential_token", source)
    homes = [
        MssqlHomeConfig(server="sql.example.net", database="sales", table=f"dbo.{name}").open(
            Place(tmp_path, "shop", name)
        )
        for name in ("orders", "refunds")
    ]
    tokens = [home.driver.token for home in homes]  # type: ignore[attr-defined]
    assert tokens[0] is tokens[1] is odbc.shared_token()
    for token in tokens * 3:
        assert token.attribute()[4:].decode("utf-16-le") == "token-1"
    assert source.calls == 1


def test_the_shared_token_is_fetched_again_before_it_expires(monkeypatch):
    from hygge.homes.sql import odbc

    source = CountingSource(REFRESH_BEFORE + 1)
    monkeypatch.setattr(odbc, "_SHARED", {})
    token = odbc.shared_token(source)
    token.attribute()
    now = time.time()
    monkeypatch.setattr(odbc.time, "time", lambda: now + 2)  # within 5 minutes of expiry
    assert odbc.shared_token(source).attribute()[4:].decode("utf-16-le") == "token-2"
    assert source.calls == 2
