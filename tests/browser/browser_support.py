"""How the browser tests start Debian's chromium (never a downloaded browser build)."""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def wait_for(page, function: str, arg=None, timeout: float = 20.0):
    """Poll ``page.evaluate(function)`` until it is truthy. Unlike ``wait_for_function`` this does not
    ``eval`` inside the page, which the pipeline's Content-Security-Policy (rightly) forbids."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(function, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"still false after {timeout}s: {function}")
        page.wait_for_timeout(100)


# An init script: collects the page's Content-Security-Policy violations in window.__cspViolations.
COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
"""
