"""pipeline.pwa.serviceworker: precache entries, cache prefixes, and the generated sw.js and register.js.

The generated scripts are checked three ways: their text (determinism, embedded data), ``node --check``
(they parse as classic scripts and as modules), and behaviour, by running them in Node with a fake
service-worker scope / page (tests/unit/pwa_*_harness.mjs).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pipeline.core.errors import PipelineError
from pipeline.pwa.serviceworker import (
    PART_ENTRIES,
    PART_NAME,
    asset_url,
    cache_prefix_for,
    precache_entries,
    precache_entry,
    precache_parts,
    precache_version,
    render_precache_part,
    render_register_script,
    render_service_worker,
    template_paths,
)

HERE = Path(__file__).resolve().parent
NODE = shutil.which("node")
# Locally these may skip without node; under CI=true they must run (.ci/run installs Debian's nodejs).
needs_node = pytest.mark.skipif(NODE is None and os.environ.get("CI") != "true",
                                reason="node is not installed: cannot parse or run the generated JS")

WASM_BODY, CSS_BODY = "\0asm wasm bytes", "body{color:red}"
# Files named by their own content hash, as the build names them, and two pages, which are not.
WASM = f"/app.{hashlib.sha384(WASM_BODY.encode()).hexdigest()[:16]}.wasm"
CSS = f"/css/app.{hashlib.sha384(CSS_BODY.encode()).hexdigest()[:16]}.css"
SERVER = {  # served path -> body
    "/index.html": "<!doctype html><title>shell</title>",
    "/about.html": "<!doctype html><title>about</title>",
    WASM: WASM_BODY,
    CSS: CSS_BODY,
}
PREFIX = cache_prefix_for("/")


def integrity(body: str) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(body.encode()).digest()).decode()


def entry(url: str, body: str) -> dict[str, str | None]:
    return precache_entry(url, hashlib.sha384(body.encode()).hexdigest(), integrity(body))


ENTRIES = [entry(url, body) for url, body in SERVER.items()]
NAMED = {WASM, CSS}


def render(update: str = "prompt", **overrides: Any) -> bytes:
    args: dict[str, Any] = {"precache": ENTRIES, "shell_url": "/index.html", "scope": "/", "cache_prefix": PREFIX,
                            "update": update, "denylist": ["^/api/", r"\.zip$"], "version": "v1"}
    return render_service_worker(**{**args, **overrides})


def asset(path: str, size: int = 10, digest: str = "ab") -> dict[str, Any]:
    return {"path": path, "size": size, "hash": digest * 48, "integrity": f"sha384-{digest}", "hashed": True,
            "type": "text/plain", "encodings": {}}


# precache_entries -----------------------------------------------------------------------------------------

def test_precache_entries_cover_every_asset() -> None:
    assets = {"index.html": asset("index.html", digest="01"), "app.wasm": asset("app.0123.wasm", 5_000_000, "02"),
              "css/app.css": asset("css/app.0303030303030303.css", digest="03")}
    assert precache_entries(assets, "/shop/", 16 * 1024 * 1024) == [
        {"url": "/shop/app.0123.wasm", "revision": "sha384-02", "integrity": "sha384-02"},
        {"url": "/shop/css/app.0303030303030303.css", "revision": "0303030303030303", "integrity": None},
        {"url": "/shop/index.html", "revision": "sha384-01", "integrity": "sha384-01"},
    ]


def test_only_a_file_named_by_its_own_hash_goes_without_integrity() -> None:
    own = "ab" * 48
    assert precache_entry("/a.abababababababab.js", own, "sha384-x")["integrity"] is None
    assert precache_entry("/LICENSE.abababababababab", own, "sha384-x")["integrity"] is None  # no suffix
    # a cycle-wide hash (JS modules in an import cycle), a look-alike, a hash in a folder name: full integrity
    for url in ("/a.cdcdcdcdcdcdcdcd.js", "/abababababababab.js", "/abababababababab/a.js", "/a.ABABABABABABABAB.js"):
        assert precache_entry(url, own, "sha384-x") == {"url": url, "revision": "sha384-x", "integrity": "sha384-x"}


def test_precache_entries_leave_out_the_worker_and_exclusions_only() -> None:
    assets = {"sw.js": asset("sw.js"), "robots.txt": asset("robots.txt"), "a.js": asset("a.1.js"),
              "big.bin": asset("big.bin", 10**9)}
    urls = [e["url"] for e in precache_entries(assets, "/", 100, exclude={"robots.txt", "big.bin"})]
    assert urls == ["/a.1.js"]


def test_file_over_the_limit_is_an_error_naming_it_with_size_and_limit() -> None:
    assets = {"a.js": asset("a.1.js"), "app.wasm": asset("app.1.wasm", 17_000_000)}
    with pytest.raises(PipelineError) as info:
        precache_entries(assets, "/", 16 * 1024 * 1024)
    message = str(info.value)
    assert message.startswith("app.wasm: 17,000,000 bytes (16.2 MiB)")
    assert "16,777,216 bytes (16.0 MiB)" in message and "max_file_size" in message and "\n" not in message
    assert precache_entries(assets, "/", 17_000_000)  # exactly at the limit is fine


def test_asset_url_escapes_only_what_changes_the_url() -> None:
    assert asset_url("/app/", "img/a b é.png") == "/app/img/a b é.png"
    assert asset_url("/", "odd%#?.txt") == "/odd%25%23%3F.txt"


# cache names ----------------------------------------------------------------------------------------------

def test_cache_prefix_is_stable_safe_and_distinct() -> None:
    assert cache_prefix_for("/shop/") == cache_prefix_for("/shop/")
    prefixes = {cache_prefix_for(i) for i in ("/", "/shop/", "/shop/admin/", "/Shop/", "/shop?x", "/ünï/")}
    assert len(prefixes) == 6
    for prefix in prefixes:
        assert re.fullmatch(r"vango-[0-9a-f]{10}(-[a-z0-9-]+)?", prefix), prefix
    # No app's cache names can start with another app's prefix, even with look-alike slugs.
    a = cache_prefix_for("/x/")
    b = cache_prefix_for(f"/x-{a.split('-')[1]}/")
    assert not f"{b}-precache-1".startswith(a + "-") and not f"{a}-precache-1".startswith(b + "-")


def test_precache_version_follows_content_not_order() -> None:
    assert precache_version(ENTRIES) == precache_version(list(reversed(ENTRIES)))
    changed = [*ENTRIES[:-1], {**ENTRIES[-1], "revision": "00"}]
    assert precache_version(changed) != precache_version(ENTRIES)
    assert re.fullmatch(r"[0-9a-f]{16}", precache_version(ENTRIES))


# sw.js text -----------------------------------------------------------------------------------------------

def test_service_worker_is_deterministic() -> None:
    assert render() == render(precache=list(reversed(ENTRIES)))
    assert render() != render(precache=ENTRIES[:-1])
    assert render() != render(version="v2")


def test_every_entry_is_embedded_with_integrity_only_where_the_name_has_no_hash() -> None:
    text = render().decode()
    for item in ENTRIES:
        assert json.dumps(item["url"]) in text
        if item["url"] in NAMED:
            assert item["integrity"] is None and integrity(SERVER[item["url"]]) not in text
        else:
            assert json.dumps(item["integrity"]) in text
    assert re.findall(r'^  "([^"]+)",$', text, re.M) == sorted(NAMED)
    assert re.findall(r'^  \["([^"]+)", "sha384-', text, re.M) == sorted(set(SERVER) - NAMED)


def test_denylist_and_names_are_embedded() -> None:
    text = render(denylist=["^/api/", r"\.zip$", "^/files/[^/]+$"]).decode()
    assert 'new RegExp("^/api/")' in text and r'new RegExp("\\.zip$")' in text
    assert 'new RegExp("^/files/[^/]+$")' in text
    assert f'const PREFIX = "{PREFIX}-";' in text and "`${PREFIX}precache-${VERSION}`" in text
    assert 'cache: "reload"' in text and "integrity: entry.integrity" in text


def test_prompt_and_auto_differ_only_in_the_update_switch() -> None:
    prompt, auto = render("prompt").decode(), render("auto").decode()
    assert "const AUTO_UPDATE = false;" in prompt and "const AUTO_UPDATE = true;" in auto
    assert [line for line in prompt.splitlines() if "AUTO_UPDATE =" not in line] == \
        [line for line in auto.splitlines() if "AUTO_UPDATE =" not in line]


def test_strings_cannot_break_out_of_the_script() -> None:
    text = render(precache=[entry('/a"b</script>.js', "x")], shell_url=None).decode()
    assert "</script>" not in text and r"\u003c/script\u003e" in text


@pytest.mark.parametrize(("overrides", "message"), [
    ({"update": "later"}, "update must be"),
    ({"scope": "app/"}, "scope must be a path"),
    ({"shell_url": "/missing.html"}, "is not precached"),
    ({"cache_prefix": "bad prefix"}, "cache_prefix and version"),
    ({"version": ""}, "cache_prefix and version"),
    ({"denylist": ["(?P<x>a)"]}, "JavaScript"),
    ({"precache": [*ENTRIES, {**ENTRIES[0], "revision": "other"}]}, "listed twice"),
    ({"precache": [{"url": "/a.0123456789abcdef.js", "revision": "fedcba9876543210", "integrity": None}]},
     "not the hash in its name"),
])
def test_inconsistent_arguments_are_programming_errors(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        render(**overrides)


def test_exact_duplicate_entries_are_merged() -> None:
    assert render(precache=[*ENTRIES, dict(ENTRIES[0])]) == render()


# precache parts -------------------------------------------------------------------------------------------

def hashed_entries(count: int, salt: str = "") -> list[dict[str, str | None]]:
    """``count`` stylesheets named by their own hash and a page every 100th, as the build lists them."""
    entries = []
    for i in range(count):
        body = f"/* {i}{salt if i == 7 else ''} */"
        url = f"/sections/{i // 100}/s{i}.html" if i % 100 == 99 else \
            f"/css/s{i}.{hashlib.sha384(body.encode()).hexdigest()[:16]}.css"
        entries.append(entry(url, body))
    return sorted(entries, key=lambda e: str(e["url"]))


def test_a_list_of_up_to_a_part_has_no_parts() -> None:
    assert precache_parts(ENTRIES) == {}
    assert precache_parts(hashed_entries(PART_ENTRIES)) == {}
    assert len(precache_parts(hashed_entries(PART_ENTRIES + 1))) == 2


@pytest.mark.parametrize(("count", "buckets"), [(1001, 1), (2000, 2), (2030, 4), (3000, 4), (4100, 8)])
def test_parts_hold_every_entry_once_in_a_power_of_two_of_buckets(count: int, buckets: int) -> None:
    """``buckets`` for the files named by their hash; the pages (every 100th), which carry their SRI value,
    come after them in buckets of their own."""
    entries = hashed_entries(count)
    parts = precache_parts(entries, per_part=1000)
    assert set(parts) <= set(range(buckets + 1)) and len(parts) > buckets // 2
    assert [e["url"] for e in parts[buckets]] == sorted(e["url"] for e in entries if e["integrity"] is not None)
    assert all(e["integrity"] is None for bucket, part in parts.items() if bucket != buckets for e in part)
    assert list(parts) == sorted(parts)
    assert sorted((e for part in parts.values() for e in part), key=lambda e: str(e["url"])) == entries
    assert all(part == sorted(part, key=lambda e: str(e["url"])) for part in parts.values())
    assert precache_parts(list(reversed(entries)), per_part=1000).keys() == parts.keys()


def test_a_file_whose_bytes_change_stays_in_its_part() -> None:
    before, after = precache_parts(hashed_entries(3000)), precache_parts(hashed_entries(3000, salt="edited"))
    changed = [bucket for bucket in before if before[bucket] != after[bucket]]
    assert before.keys() == after.keys() and len(changed) == 1
    [old] = [e["url"] for e in before[changed[0]] if "/s7." in str(e["url"])]
    [new] = [e["url"] for e in after[changed[0]] if "/s7." in str(e["url"])]
    assert old != new


def test_an_edit_that_changes_every_page_changes_the_pages_parts_alone() -> None:
    entries = hashed_entries(3000)
    before = precache_parts(entries, per_part=1000)
    pages = {e["url"] for e in entries if e["integrity"] is not None}
    after = precache_parts([{**e, "revision": "sha384-new", "integrity": "sha384-new"} if e["url"] in pages else e
                            for e in entries], per_part=1000)
    assert before.keys() == after.keys()
    assert [bucket for bucket in before if before[bucket] != after[bucket]] == [max(before)]


def test_a_part_lists_its_entries_for_the_worker() -> None:
    text = render_precache_part(list(reversed(ENTRIES))).decode()
    assert text == render_precache_part(ENTRIES).decode() and text.endswith("]);\n")
    named, checked = json.loads(text.removeprefix("self.VANGO_PRECACHE.push(").removesuffix(");\n"))
    assert named == sorted(NAMED)
    assert checked == [[url, integrity(body)] for url, body in sorted(SERVER.items()) if url not in NAMED]
    with pytest.raises(ValueError, match="listed twice"):
        render_precache_part([*ENTRIES, {**ENTRIES[0], "revision": "other"}])


def test_with_parts_sw_js_imports_them_and_lists_no_file() -> None:
    parts = ["/sw-precache-0.0123456789abcdef.js", "/sw-precache-3.fedcba9876543210.js"]
    text = render(parts=parts).decode()
    assert "importScripts(\n" + "".join(f'  "{url}",\n' for url in parts) + ");" in text
    assert not any(json.dumps(item["url"]) in text for item in ENTRIES if item["url"] != "/index.html")
    assert render(parts=parts) != render() and render(parts=parts) == render(parts=parts)
    assert PART_NAME.format(3) == "sw-precache-3.js"


def test_register_script_text() -> None:
    prompt = render_register_script(sw_url="/app/sw.js", scope="/app/", update="prompt").decode()
    auto = render_register_script(sw_url="/app/sw.js", scope="/app/", update="auto").decode()
    assert prompt == render_register_script(sw_url="/app/sw.js", scope="/app/", update="prompt").decode()
    assert 'const SW_URL = "/app/sw.js";' in prompt and 'const SCOPE = "/app/";' in prompt
    assert "const PROMPT = true;" in prompt and "const PROMPT = false;" in auto
    for forbidden in ("eval(", "new Function", "innerHTML", "document.write", "import("):
        assert forbidden not in prompt
    with pytest.raises(ValueError):
        render_register_script(sw_url="/sw.js", scope="/", update="never")


def test_template_paths_exist() -> None:
    paths = template_paths()
    assert [Path(p).name for p in paths] == ["sw.js.j2", "register.js.j2"]
    assert all(Path(p).is_file() for p in paths)


# node --check ---------------------------------------------------------------------------------------------

@needs_node
@pytest.mark.parametrize("update", ["prompt", "auto"])
def test_generated_scripts_parse(tmp_path: Path, update: str) -> None:
    files = {
        "sw.js": render(update, shell_url=None),
        "sw-parted.js": render(update, parts=["/sw-precache-0.0123456789abcdef.js"]),
        "sw-precache-0.js": render_precache_part(ENTRIES),
        "register.js": render_register_script(sw_url="/sw.js", scope="/", update=update),
        "register.mjs": render_register_script(sw_url="/sw.js", scope="/", update=update),  # as a module
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        proc = subprocess.run([NODE, "--check", str(tmp_path / name)], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, f"{name}: {proc.stderr}"


# behaviour in Node ----------------------------------------------------------------------------------------

def run_harness(tmp_path: Path, harness: str, script: bytes, scenario: dict[str, Any]) -> dict[str, Any]:
    (tmp_path / "script.js").write_bytes(script)
    (tmp_path / "scenario.json").write_text(json.dumps(scenario), encoding="utf-8")
    proc = subprocess.run([NODE, str(HERE / harness), str(tmp_path / "script.js"), str(tmp_path / "scenario.json")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def run_sw(tmp_path: Path, steps: list[dict[str, Any]], *, script: bytes | None = None,
           caches: dict[str, Any] | None = None, server: dict[str, str] | None = None) -> list[dict[str, Any]]:
    return run_scenario(tmp_path, steps, script=script, caches=caches, server=server)["results"]


def run_scenario(tmp_path: Path, steps: list[dict[str, Any]], *, script: bytes | None = None,
                 caches: dict[str, Any] | None = None, server: dict[str, str] | None = None,
                 scripts: dict[str, bytes] | None = None) -> dict[str, Any]:
    """The harness's whole output; ``scripts``: what the worker's ``importScripts`` can load, by URL path."""
    files = {}
    for number, (path, data) in enumerate((scripts or {}).items()):
        files[path] = str(tmp_path / f"imported-{number}.js")
        Path(files[path]).write_bytes(data)
    scenario = {"origin": "https://app.test", "server": server or SERVER, "caches": caches or {}, "steps": steps,
                "scripts": files}
    return run_harness(tmp_path, "pwa_sw_harness.mjs", script or render(), scenario)


def parted(per_part: int = 1) -> tuple[bytes, dict[str, bytes]]:
    """sw.js with ENTRIES in parts, and the parts by URL path, as the sw step names them."""
    scripts = {}
    for bucket, listed in precache_parts(ENTRIES, per_part=per_part).items():
        data = render_precache_part(listed)
        scripts[f"/sw-precache-{bucket}.{hashlib.sha384(data).hexdigest()[:16]}.js"] = data
    return render(parts=list(scripts)), scripts


PRECACHE = f"{PREFIX}-precache-v1"


@needs_node
def test_install_precaches_every_entry_with_integrity_and_reload(tmp_path: Path) -> None:
    [install] = run_sw(tmp_path, [{"do": "install"}])
    assert install["ok"] and install["waited"] == 1
    fetched = sorted(install["network"], key=lambda r: r["url"])
    assert fetched == [{"url": url, "integrity": "" if url in NAMED else integrity(body), "cache": "reload",
                        "mode": "cors"} for url, body in sorted(SERVER.items())]
    cached = install["caches"][PRECACHE]
    assert {url: c["body"] for url, c in cached.items()} == SERVER
    for item in ENTRIES:
        stored = cached[item["url"]]
        assert stored["revision"] == item["revision"]
        assert stored["encoding"] is None and stored["length"] == str(len(SERVER[item["url"]].encode()))
    assert install["skipWaiting"] == 0  # prompt mode waits


@needs_node
def test_a_worker_with_parts_precaches_what_they_list(tmp_path: Path) -> None:
    script, scripts = parted()
    assert len(scripts) > 1
    whole, = run_sw(tmp_path, [{"do": "install"}])
    output = run_scenario(tmp_path, [{"do": "install"}, {"do": "activate"},
                                     {"do": "fetch", "url": "/gone", "mode": "navigate", "offline": True}],
                          script=script, scripts=scripts)
    assert output["imported"] == list(scripts)
    install, _, offline = output["results"]
    assert install["ok"] and install["caches"] == whole["caches"]
    assert sorted(install["network"], key=lambda r: r["url"]) == sorted(whole["network"], key=lambda r: r["url"])
    assert offline["responded"] and offline["body"] == SERVER["/index.html"]  # the shell, known from a part


@needs_node
def test_a_part_that_cannot_be_loaded_stops_the_worker(tmp_path: Path) -> None:
    script, scripts = parted()
    missing = next(iter(scripts))
    (tmp_path / "script.js").write_bytes(script)
    (tmp_path / "scenario.json").write_text(json.dumps({"origin": "https://app.test", "server": SERVER,
                                                        "steps": [{"do": "install"}]}))
    proc = subprocess.run([NODE, str(HERE / "pwa_sw_harness.mjs"), str(tmp_path / "script.js"),
                           str(tmp_path / "scenario.json")], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and f"{missing} could not be loaded" in proc.stderr


@needs_node
def test_one_failing_url_fails_the_install(tmp_path: Path) -> None:
    missing, = run_sw(tmp_path, [{"do": "install", "failing": ["/about.html"]}])
    assert not missing["ok"] and "/about.html" in missing["error"] and "404" in missing["error"]
    tampered, = run_sw(tmp_path, [{"do": "install"}], server={**SERVER, "/index.html": "<tampered>"})
    assert not tampered["ok"] and "integrity" in tampered["error"]
    swapped, = run_sw(tmp_path, [{"do": "install"}], server={**SERVER, WASM: "\0asm other bytes"})
    assert not swapped["ok"] and WASM in swapped["error"] and "do not match the hash in its name" in swapped["error"]
    offline, = run_sw(tmp_path, [{"do": "install", "offline": True}])
    assert not offline["ok"]


@needs_node
def test_auto_mode_skips_waiting_after_precaching(tmp_path: Path) -> None:
    [ok] = run_sw(tmp_path, [{"do": "install"}], script=render("auto"))
    assert ok["ok"] and ok["skipWaiting"] == 1
    [failed] = run_sw(tmp_path, [{"do": "install", "failing": ["/index.html"]}], script=render("auto"))
    assert not failed["ok"] and failed["skipWaiting"] == 0


@needs_node
def test_retried_install_fetches_only_what_is_missing(tmp_path: Path) -> None:
    failed, retried = run_sw(tmp_path, [{"do": "install", "failing": ["/about.html"]},
                                        {"do": "install", "failing": []}])
    assert not failed["ok"] and retried["ok"]
    assert [r["url"] for r in retried["network"]] == ["/about.html"]


@needs_node
def test_new_version_reuses_unchanged_files(tmp_path: Path) -> None:
    old = {f"{PREFIX}-precache-v0": {
        WASM: {"body": SERVER[WASM],
                                       "revision": ENTRIES[2]["revision"]},
        "/index.html": {"body": "<old shell>", "revision": "old-revision"},
    }}
    [install] = run_sw(tmp_path, [{"do": "install"}], caches=old)
    assert install["ok"]
    assert sorted(r["url"] for r in install["network"]) == ["/about.html", CSS,
                                                            "/index.html"]
    assert install["caches"][PRECACHE]["/index.html"]["body"] == SERVER["/index.html"]
    assert install["caches"][PRECACHE][WASM]["body"] == SERVER[WASM]


@needs_node
def test_activate_deletes_only_this_apps_outdated_caches(tmp_path: Path) -> None:
    other_app = cache_prefix_for("/other/")
    caches = {name: {"/x": {"body": "x"}} for name in (
        f"{PREFIX}-precache-v0", f"{PREFIX}-runtime", f"{other_app}-precache-v0", "user-data", "workbox-precache")}
    install, activate = run_sw(tmp_path, [{"do": "install"}, {"do": "activate"}], caches=caches)
    assert install["ok"] and activate["ok"] and activate["waited"] == 1 and activate["claimed"] == 1
    assert sorted(activate["caches"]) == sorted([PRECACHE, f"{other_app}-precache-v0", "user-data", "workbox-precache"])


@needs_node
def test_fetch_routing(tmp_path: Path) -> None:
    steps = [
        {"do": "install"},
        {"do": "fetch", "url": "/", "mode": "navigate"},  # online: network first
        {"do": "fetch", "url": "/some/route", "mode": "navigate", "offline": True},  # offline: the shell
        {"do": "fetch", "url": "/about.html", "mode": "navigate"},  # offline: the page itself
        {"do": "fetch", "url": "/api/items", "mode": "navigate"},  # denylisted: untouched
        {"do": "fetch", "url": "/files/report.zip", "mode": "navigate"},
        {"do": "fetch", "url": WASM},  # precached: from the cache, no network
        {"do": "fetch", "url": WASM + "#x"},
        {"do": "fetch", "url": WASM, "method": "POST"},
        {"do": "fetch", "url": WASM, "headers": {"Range": "bytes=0-1"}},
        {"do": "fetch", "url": WASM + "?v=2"},  # not a precached URL
        {"do": "fetch", "url": "/not-precached.js"},
        {"do": "fetch", "url": "/api/items"},
        {"do": "fetch", "url": "https://cdn.example" + WASM},
    ]
    results = run_sw(tmp_path, steps)
    online, shell, page, api_nav, zip_nav, cached, fragment, post, ranged, query, other, api, cross = results[1:]
    assert online["responded"] and online["body"] == "not found" and online["network"][0]["mode"] == "navigate"
    assert shell["responded"] and shell["body"] == SERVER["/index.html"]
    assert page["responded"] and page["body"] == SERVER["/about.html"]
    for untouched in (api_nav, zip_nav, post, ranged, query, other, api, cross):
        assert untouched == {"responded": False, "network": [], "skipWaiting": 0, "claimed": 0}
    for hit in (cached, fragment):
        assert hit["responded"] and hit["body"] == SERVER[WASM] and hit["network"] == []


@needs_node
def test_offline_navigation_without_a_shell(tmp_path: Path) -> None:
    steps = [{"do": "install"}, {"do": "fetch", "url": "/about.html", "mode": "navigate", "offline": True},
             {"do": "fetch", "url": "/some/route", "mode": "navigate"}]
    _, page, unknown = run_sw(tmp_path, steps, script=render(shell_url=None))
    assert page["body"] == SERVER["/about.html"]
    assert unknown["responded"] and not unknown["ok"] and "offline" in unknown["error"]


@needs_node
def test_directory_navigation_falls_back_to_its_index(tmp_path: Path) -> None:
    server = {**SERVER, "/docs/index.html": "docs"}
    script = render(precache=[*ENTRIES, entry("/docs/index.html", "docs")])
    _, docs = run_sw(tmp_path, [{"do": "install"}, {"do": "fetch", "url": "/docs/", "mode": "navigate",
                                                    "offline": True}], script=script, server=server)
    assert docs["body"] == "docs"


@needs_node
def test_messages(tmp_path: Path) -> None:
    steps = [{"do": "message", "data": {"type": "GET_VERSION"}, "port": True},
             {"do": "message", "data": {"type": "GET_VERSION"}},
             {"do": "message", "data": {"type": "SKIP_WAITING"}},
             {"do": "message", "data": "SKIP_WAITING"},
             {"do": "message", "data": None}]
    by_port, by_source, skip, string, empty = run_sw(tmp_path, steps)
    assert by_port["replies"] == [{"via": "port", "message": {"type": "VERSION", "version": "v1"}}]
    assert by_source["replies"] == [{"via": "source", "message": {"type": "VERSION", "version": "v1"}}]
    assert skip["skipWaiting"] == 1 and string["skipWaiting"] == 0 and empty["skipWaiting"] == 0


def run_page(tmp_path: Path, update: str, **scenario: Any) -> dict[str, Any]:
    script = render_register_script(sw_url="/sw.js", scope="/", update=update)
    return run_harness(tmp_path, "pwa_register_harness.mjs", script, scenario)


@needs_node
def test_prompt_mode_announces_a_waiting_worker_and_reloads_once(tmp_path: Path) -> None:
    page = run_page(tmp_path, "prompt", controlled=True, waiting=True,
                    steps=[{"do": "update"}, {"do": "controllerchange"}, {"do": "controllerchange"}])
    assert page["registered"] == [{"url": "/sw.js", "options": {"scope": "/"}}]
    assert page["dataset"] == {"vangoSw": "registered", "vangoUpdate": "available"}
    assert page["events"] == [{"type": "vango:update-available", "hasUpdate": True}]
    assert page["posted"] == [{"to": "waiting-at-load", "message": {"type": "SKIP_WAITING"}}]
    assert page["reloads"] == 1
    assert page["newGlobals"] == [] and page["warnings"] == []


@needs_node
def test_prompt_mode_announces_a_worker_installed_later(tmp_path: Path) -> None:
    page = run_page(tmp_path, "prompt", controlled=True, steps=[{"do": "updatefound"}])
    assert page["events"] == [{"type": "vango:update-available", "hasUpdate": True}]
    assert page["posted"] == [] and page["reloads"] == 0  # nothing happens until the user agrees


@needs_node
def test_first_install_is_not_an_update(tmp_path: Path) -> None:
    """An uncontrolled page: the first worker installs and claims it; no prompt, no reload. A later
    version is then announced, and the page reloads when it takes over."""
    page = run_page(tmp_path, "prompt", controlled=False, waiting=True, readyState="loading",
                    steps=[{"do": "load"}, {"do": "controllerchange"}, {"do": "updatefound"},
                           {"do": "request-update"}, {"do": "controllerchange"}])
    assert [e["type"] for e in page["events"]] == ["vango:update-available", "vango:update"]
    assert page["posted"] == [{"to": "new-2", "message": {"type": "SKIP_WAITING"}}]
    assert page["reloads"] == 1


@needs_node
def test_registration_waits_for_the_load_event(tmp_path: Path) -> None:
    assert run_page(tmp_path, "prompt", readyState="loading")["registered"] == []
    assert run_page(tmp_path, "prompt", readyState="loading", steps=[{"do": "load"}])["registered"]


@needs_node
def test_auto_mode_never_prompts_and_reloads_on_takeover(tmp_path: Path) -> None:
    page = run_page(tmp_path, "auto", controlled=True, waiting=True,
                    steps=[{"do": "updatefound"}, {"do": "request-update"}, {"do": "controllerchange"},
                           {"do": "controllerchange"}])
    assert [e["type"] for e in page["events"]] == ["vango:update"]  # only the one the test dispatched
    assert "vangoUpdate" not in page["dataset"] and page["posted"] == []
    assert page["reloads"] == 1


@needs_node
def test_visible_page_checks_for_updates(tmp_path: Path) -> None:
    page = run_page(tmp_path, "prompt", steps=[{"do": "visible"}, {"do": "visible"}])
    assert page["updates"] == 2 and page["warnings"] == []  # a failed check (offline) stays quiet


@needs_node
def test_unsupported_or_failing_registration(tmp_path: Path) -> None:
    unsupported = run_page(tmp_path, "prompt", supported=False)
    assert unsupported["registered"] == [] and unsupported["dataset"] == {} and unsupported["newGlobals"] == []
    failed = run_page(tmp_path, "prompt", registerFails=True)
    assert failed["dataset"] == {"vangoSw": "failed"} and "SecurityError" in failed["warnings"][0]
