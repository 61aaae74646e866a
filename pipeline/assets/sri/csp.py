"""The Content-Security-Policy that fits a Vango app: only its own scripts, wasm compilation allowed.

``'wasm-unsafe-eval'`` lets the page compile WebAssembly without allowing JS ``eval``; inline scripts
and styles are allowed by hash only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# Directives that a <meta> policy ignores (CSP 3, "delivery via meta element").
META_IGNORED = frozenset({"frame-ancestors", "report-uri", "report-to", "sandbox"})


Policy = dict[str, list[str]]


def build_policy(*, script_hashes: Iterable[str] = (), style_hashes: Iterable[str] = (),
                 style_attributes: bool = False, extra: Mapping[str, Iterable[str]] | None = None) -> Policy:
    """Directive -> sources, in a stable order."""
    policy: Policy = {
        "default-src": ["'self'"],
        "script-src": ["'self'", "'wasm-unsafe-eval'", *sorted({f"'{h}'" for h in script_hashes})],
        "style-src": ["'self'", *sorted({f"'{h}'" for h in style_hashes})],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "manifest-src": ["'self'"],
        "worker-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    }
    if style_attributes:
        policy["style-src"].append("'unsafe-inline'")  # style="" cannot be allowed by hash portably
        policy["style-src"] = [s for s in policy["style-src"] if not s.startswith("'sha")]  # hashes disable it
    for directive, sources in sorted((extra or {}).items()):
        current = policy.setdefault(directive, [])
        current.extend(s for s in sources if s not in current)
    return policy


def serialize(policy: Mapping[str, Iterable[str]], *, for_meta: bool = False) -> str:
    return "; ".join(f"{d} {' '.join(s)}" for d, s in policy.items() if not (for_meta and d in META_IGNORED))


def merge(policies: Iterable[Mapping[str, Iterable[str]]]) -> Policy:
    """One policy allowing what each of several page steps' policies allows (directive order kept)."""
    merged: Policy = {}
    for policy in policies:
        for directive, sources in policy.items():
            current = merged.setdefault(directive, [])
            current.extend(s for s in sources if s not in current)
    return merged
