"""Header logic of the dev server: content-coding negotiation, navigation detection, Host and Origin checks."""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Iterable
from urllib.parse import urlsplit

# Preference when q-values tie: brotli is smaller than gzip, both beat sending the file as is.
ENCODINGS = {"br": ".br", "gzip": ".gz"}
_PREFERENCE = ("br", "gzip", "identity")
_DEFAULT_PORTS = {"http": 80, "ws": 80, "https": 443, "wss": 443}


def parse_qlist(header: str | None) -> dict[str, float]:
    """``"br;q=1.0, gzip;q=0.5, *;q=0"`` -> ``{"br": 1.0, "gzip": 0.5, "*": 0.0}`` (lower-cased names; a malformed
    q-value counts as 0, so a garbled header never makes the server pick something the client refused)."""
    result: dict[str, float] = {}
    for item in (header or "").split(","):
        name, *params = (part.strip() for part in item.split(";"))
        if not name:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        result[name.lower()] = max(q, result.get(name.lower(), 0.0))
    return result


def choose_encoding(accept_encoding: str | None, available: Iterable[str]) -> str:
    """The content coding to send: one of ``available`` (``"br"``, ``"gzip"``) or ``"identity"``.

    Codings the header does not list take the q of ``*`` if present, else are unacceptable (RFC 9110 §12.5.3);
    ``q=0`` refuses. Among the acceptable ones the highest q wins, ties going to br, then gzip. Like nginx and
    Caddy, an acceptable compressed file beats the implied identity; only an explicitly listed ``identity`` with
    a higher q than every offered coding gets the file as is. Nothing acceptable also sends the file as is (the
    RFC's advice, rather than a 406 a browser cannot handle).
    """
    accepted = parse_qlist(accept_encoding)
    wildcard = accepted.get("*", 0.0)
    offered = set(available) - {"identity"}
    scored = [(accepted.get(coding, wildcard), -rank, coding) for rank, coding in enumerate(_PREFERENCE)
              if coding in offered]
    if "identity" in accepted:
        scored.append((accepted["identity"], -len(_PREFERENCE), "identity"))
    scored = [entry for entry in scored if entry[0] > 0]
    return max(scored)[2] if scored else "identity"


def accepts_html(accept: str | None) -> bool:
    """A navigation: the client lists ``text/html`` (browsers do for pages, never for fetch()/subresources)."""
    return parse_qlist(accept).get("text/html", 0.0) > 0


def split_host(value: str) -> tuple[str, int | None]:
    """``"Example.com:8000"`` -> ``("example.com", 8000)``; ``"[::1]:80"`` -> ``("::1", 80)``; bad ports raise."""
    value = value.strip()
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
        if rest and not rest.startswith(":"):
            raise ValueError(f"bad host {value!r}")
    elif value.count(":") == 1:
        host, _, port = value.partition(":")
    else:
        host, port = value, ""
    if port and not port.isdigit():
        raise ValueError(f"bad port in {value!r}")
    return host.rstrip(".").lower(), int(port) if port else None


def origin_matches_host(origin: str | None, host: str | None) -> bool:
    """The WebSocket Origin check. Browsers always send ``Origin`` on WebSocket handshakes, so a cross-site page
    can never omit it: an absent Origin is a non-browser client (a script, ``websocat``), which gains nothing it
    could not read from disk, and is accepted. A present Origin must name the same host and port as the ``Host``
    the request was sent to (ports defaulted from the origin's scheme); ``null`` (sandboxed frames, ``file:``)
    and anything unparsable is refused."""
    if origin is None:
        return True
    try:
        parts = urlsplit(origin.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or not host:
            return False
        origin_port = parts.port or _DEFAULT_PORTS[parts.scheme]
        host_name, host_port = split_host(host)
    except ValueError:
        return False
    return (parts.hostname.rstrip(".").lower(), origin_port) == (host_name, host_port or _DEFAULT_PORTS[parts.scheme])


def host_allowed(host: str | None, allowed: Collection[str] | None) -> bool:
    """DNS-rebinding protection: a page on ``evil.example`` whose name re-resolves to 127.0.0.1 reaches the dev
    server with ``Host: evil.example`` (and a matching Origin, so the Origin check alone cannot tell).

    ``allowed`` None (the default) accepts IP literals, ``localhost`` and ``*.localhost``: names an attacker
    cannot point at this machine. Otherwise it lists host names (``"myhost.lan"``), ``".example.test"`` for a
    domain and its subdomains, or ``"*"`` for any host. A request without Host (HTTP/1.0 tools) is accepted.
    """
    if host is None:
        return True
    try:
        name, _ = split_host(host)
    except ValueError:
        return False
    if allowed is not None and "*" in allowed:
        return True
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        pass
    if name == "localhost" or name.endswith(".localhost"):
        return True
    for pattern in allowed or ():
        pattern = pattern.lower().rstrip(".")
        if name == pattern or (pattern.startswith(".") and (name == pattern[1:] or name.endswith(pattern))):
            return True
    return False
