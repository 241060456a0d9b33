"""The client of a request, as a key for throttling and audit.

The peer address of the connection is the client, unless it is one of the
host's trusted proxies: then ``X-Forwarded-For`` is read hop by hop from the
right, and the first address that is not a trusted proxy is the client. One
implementation for every integration::

    >>> from portalkit.web import client_key
    >>> client_key("203.0.113.9", "1.2.3.4")            # no trusted proxy: header ignored
    'ip:203.0.113.9'
    >>> client_key("10.0.0.1", "1.2.3.4, 10.0.0.2", ["10.0.0.0/8"])
    'ip:1.2.3.4'
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from portalkit.errors import ConfigurationError

__all__ = ["client_address", "client_key"]

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _networks(trusted: Iterable[str]) -> list[_Network]:
    try:
        return [ipaddress.ip_network(item.strip(), strict=False) for item in trusted]
    except ValueError as exc:
        raise ConfigurationError("A trusted proxy is not an IP address or network.") from exc


def _address(text: str) -> _Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _key_of(address: _Address) -> str:
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"ip:{address.ipv4_mapped}"
        network = ipaddress.ip_network(f"{address}/64", strict=False)
        return f"ip:{network}"
    return f"ip:{address}"


def client_address(
    remote_addr: str | None,
    forwarded_for: str | None = None,
    trusted_proxies: Iterable[str] = (),
) -> str | None:
    """The client's address, believing ``X-Forwarded-For`` only from trusted proxies.

    The rules are :func:`client_key`'s; the answer is the address itself
    (``"203.0.113.7"``), for :meth:`Portal.request <portalkit.Portal.request>`,
    or None when nothing is usable.
    """
    networks = _networks(trusted_proxies)
    peer = _address(remote_addr or "")
    if peer is None:
        return None

    def trusted(address: _Address) -> bool:
        return any(address in network for network in networks)

    client = peer
    if forwarded_for and trusted(peer):
        for hop in reversed(forwarded_for.split(",")):
            address = _address(hop)
            if address is None:
                break
            client = address
            if not trusted(address):
                break
    return str(client)


def client_key(
    remote_addr: str | None,
    forwarded_for: str | None = None,
    trusted_proxies: Iterable[str] = (),
) -> str:
    """The key that identifies a client for throttling and audit.

    *remote_addr* is the peer address of the connection. ``X-Forwarded-For``
    (*forwarded_for*) is believed only hop by hop from the right, and only
    while the hop that added it is one of *trusted_proxies* (addresses or
    networks): the first untrusted address found is the client. Without
    trusted proxies the header is ignored. IPv6 clients are keyed by their
    /64 network (one customer's devices share one). The result looks like
    ``"ip:203.0.113.7"``; ``"ip:unknown"`` when nothing is usable.
    """
    address = client_address(remote_addr, forwarded_for, trusted_proxies)
    return "ip:unknown" if address is None else _key_of(ipaddress.ip_address(address))
