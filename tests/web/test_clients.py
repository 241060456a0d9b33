"""The client key (portalkit.web.clients): X-Forwarded-For only through trusted proxies."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portalkit.errors import ConfigurationError
from portalkit.web import client_key


def test_client_key_trusts_forwarded_for_only_through_trusted_proxies() -> None:
    """X-Forwarded-For is read right to left through trusted proxies only."""
    assert client_key("203.0.113.9", "1.2.3.4") == "ip:203.0.113.9"
    assert client_key("10.0.0.1", "1.2.3.4, 10.0.0.2", ["10.0.0.0/8"]) == "ip:1.2.3.4"
    assert client_key("10.0.0.1", "6.6.6.6, 5.6.7.8", ["10.0.0.0/8"]) == "ip:5.6.7.8"
    assert client_key("10.0.0.1", "garbage", ["10.0.0.0/8"]) == "ip:10.0.0.1"
    assert client_key("203.0.113.9", "1.2.3.4", ["10.0.0.0/8"]) == "ip:203.0.113.9"
    assert client_key("2001:db8::1:2") == "ip:2001:db8::/64"
    assert client_key("::ffff:1.2.3.4") == "ip:1.2.3.4"
    assert client_key(None) == "ip:unknown"
    with pytest.raises(ConfigurationError):
        client_key("1.2.3.4", None, ["not-an-ip"])


@given(st.ip_addresses(v=4), st.lists(st.ip_addresses(v=4), max_size=4))
def test_untrusted_peers_cannot_choose_their_key(peer: object, forwarded: list[object]) -> None:
    """Without trusted proxies, whatever X-Forwarded-For says, the key is the peer's."""
    header = ", ".join(str(a) for a in forwarded)
    assert client_key(str(peer), header) == f"ip:{peer}"
