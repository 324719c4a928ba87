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
