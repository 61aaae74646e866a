"""The dev server's ASGI app through Starlette's TestClient (and raw ASGI calls for paths httpx would normalise)."""

from __future__ import annotations

import gzip
import re
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote

import anyio
import brotli
import pytest

from pipeline.core.dirswap import swap_into_place
from pipeline.dev.server import Hub, create_app
from pipeline.dev.server.app import CLIENT_TAG, inject_client

with warnings.catch_warnings():  # Starlette >= 1.x would rather have httpx2; httpx works the same for this
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient
    from starlette.websockets import WebSocketDisconnect

HOST = "127.0.0.1:8000"
ORIGIN = f"http://{HOST}"
WS = f"ws://{HOST}"
SECRET = b"TOP-SECRET: outside the served folder"
NAVIGATE = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
SHELL = b"<!doctype html><html><head><title>Shell</title></head><body><main>app shell</main></body></html>"
CSS = b"body { color: rgb(1, 2, 3); }\n" * 80
JS = b"export const answer = 42; // </body> in a string is not HTML\n" * 40


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """tmp/dist (served), with a secret next to it, a look-alike sibling folder and symlinks pointing out."""
    (tmp_path / "secret.txt").write_bytes(SECRET)
    (tmp_path / "dist-evil").mkdir()
    (tmp_path / "dist-evil" / "secret.txt").write_bytes(SECRET)
    root = tmp_path / "dist"
    files = {
        "index.html": SHELL,
        "index.html.br": brotli.compress(SHELL),
        "about/index.html": b"<html><BODY>about</BODY></html>",
        "fragment.html": b"<p>no body tag</p>",
        "app.wasm": b"\0asm\x01\0\0\0",
        "app.webmanifest": b'{"name": "x"}',
        "css/app.css": CSS,
        "css/app.css.br": brotli.compress(CSS),
        "css/app.css.gz": gzip.compress(CSS),
        "js/app.js": JS,
        "js/app.js.gz": gzip.compress(JS),
        "data.json": b"{}",
        "fonts/x.woff2": b"wOF2",
        "img/logo.svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        "backup.tar.gz": gzip.compress(b"tar"),
        ".well-known/security.txt": b"Contact: mailto:x@example.com",
        "%2e%2e/literal.txt": b"a folder literally named %2e%2e",
    }
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    (root / "link-out.txt").symlink_to(tmp_path / "secret.txt")
    (root / "link-dir").symlink_to(tmp_path)
    (root / "link-in.css").symlink_to(root / "css" / "app.css")
    return root


@pytest.fixture
def hub() -> Hub:
    return Hub()


@pytest.fixture
def client(site: Path, hub: Hub):
    with TestClient(create_app(site, hub), base_url=ORIGIN) as test_client:
        yield test_client


def raw_get(app, raw_path: bytes, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One GET with this exact request target, as a server would pass it (no client-side normalisation)."""
    messages: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        messages.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": unquote(raw_path.decode("latin-1"), errors="replace"), "raw_path": raw_path, "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
        "headers": [(b"host", HOST.encode()), *((k.encode(), v.encode()) for k, v in (headers or {}).items())],
    }
    with ThreadPoolExecutor(1) as pool:  # not in the main thread: Playwright may keep an event loop running there
        pool.submit(anyio.run, app, scope, receive, send).result(30)
    start = next(m for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body


# ---- content types, caching ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "expected"), [
    ("/app.wasm", "application/wasm"),
    ("/app.webmanifest", "application/manifest+json"),
    ("/css/app.css", "text/css"),
    ("/js/app.js", "text/javascript"),
    ("/data.json", "application/json"),
    ("/fonts/x.woff2", "font/woff2"),
    ("/img/logo.svg", "image/svg+xml"),
    ("/backup.tar.gz", "application/gzip"),  # a compressed file is the archive, not what it decompresses to
    ("/.well-known/security.txt", "text/plain"),
    ("/", "text/html"),
])
def test_content_types_and_dev_caching(client, path, expected):
    response = client.get(path, headers={"accept-encoding": "identity"})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == expected
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "content-encoding" not in response.headers


def test_bytes_are_served_unchanged_with_a_correct_length(client, site: Path):
    response = client.get("/app.wasm", headers={"accept-encoding": "identity"})
    assert response.content == (site / "app.wasm").read_bytes()
    assert response.headers["content-length"] == str(len(response.content))


def test_head_gives_the_headers_without_the_body(client):
    for path in ("/css/app.css", "/"):
        response = client.head(path, headers={"accept-encoding": "identity", "x-request-id": "same"})
        assert response.status_code == 200 and response.content == b""
        full = client.get(path, headers={"accept-encoding": "identity", "x-request-id": "same"})
        assert response.headers == full.headers and int(response.headers["content-length"]) == len(full.content)


def test_other_methods_are_refused(client):
    assert client.post("/css/app.css").status_code == 405
    assert client.put("/new.txt", content=b"x").status_code == 405


# ---- precompressed files ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("accept_encoding", "expected"), [
    ("gzip, deflate, br, zstd", "br"),
    ("gzip", "gzip"),
    ("gzip;q=1, br;q=0.5", "gzip"),
    ("br;q=0, gzip", "gzip"),
    ("br;q=0, gzip;q=0", None),
    ("identity", None),
    ("deflate", None),
])
def test_precompressed_siblings_are_negotiated(site: Path, hub: Hub, accept_encoding, expected):
    app = create_app(site, hub)
    status, headers, body = raw_get(app, b"/css/app.css", {"accept-encoding": accept_encoding})
    assert status == 200
    assert headers.get("content-encoding") == expected
    assert headers["vary"] == "Accept-Encoding"
    assert headers["content-type"] == "text/css"
    assert int(headers["content-length"]) == len(body)
    assert {"br": brotli.decompress, "gzip": gzip.decompress}.get(expected, bytes)(body) == CSS


def test_only_existing_siblings_are_offered(site: Path, hub: Hub):
    app = create_app(site, hub)
    status, headers, body = raw_get(app, b"/js/app.js", {"accept-encoding": "br"})
    assert status == 200 and "content-encoding" not in headers and body == JS
    assert headers["vary"] == "Accept-Encoding"  # a gzip client would get something else
    status, headers, body = raw_get(app, b"/js/app.js", {"accept-encoding": "br, gzip"})
    assert headers["content-encoding"] == "gzip" and gzip.decompress(body) == JS
    status, headers, _ = raw_get(app, b"/data.json", {"accept-encoding": "br, gzip"})
    assert "content-encoding" not in headers and "vary" not in headers


def test_html_is_never_sent_precompressed_because_the_client_is_injected(client):
    response = client.get("/", headers={"accept-encoding": "br"})
    assert "content-encoding" not in response.headers
    assert CLIENT_TAG in response.content


def test_a_sibling_that_is_a_symlink_out_of_the_root_is_not_used(site: Path, hub: Hub, tmp_path: Path):
    (site / "data.json.br").symlink_to(tmp_path / "secret.txt")
    status, headers, body = raw_get(create_app(site, hub), b"/data.json", {"accept-encoding": "br"})
    assert status == 200 and "content-encoding" not in headers and body == b"{}"


# ---- SPA fallback, directories, misses -------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/todos", "/todos/42", "/deep/route/here/", "/%C3%A9t%C3%A9"])
def test_navigations_to_unknown_routes_get_the_app_shell(client, path):
    response = client.get(path, headers=NAVIGATE)
    assert response.status_code == 200
    assert b"app shell" in response.content and CLIENT_TAG in response.content


@pytest.mark.parametrize(("path", "headers"), [
    ("/todos/42", {"accept": "*/*"}),  # fetch(): a JSON API call must not get HTML
    ("/todos/42", {"accept": "application/json"}),
    ("/missing.js", NAVIGATE),  # has an extension: a missing file, not a route
    ("/css/missing.css", {"accept": "text/css,*/*;q=0.1"}),
    ("/__vango/nothing", NAVIGATE),
    ("/__vango", NAVIGATE),
    ("/css/app.css/", NAVIGATE),  # a file is not a folder
])
def test_other_misses_are_404(client, path, headers):
    response = client.get(path, headers=headers)
    assert response.status_code == 404
    assert b"app shell" not in response.content


def test_a_missed_navigation_gets_an_html_404_that_still_live_reloads(client):
    response = client.get("/missing.html", headers=NAVIGATE)
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    assert CLIENT_TAG in response.content


def test_folders_serve_their_index_after_a_slash_redirect(client):
    response = client.get("/about?x=1", follow_redirects=False)
    assert response.status_code == 302 and response.headers["location"] == "/about/?x=1"
    response = client.get("/about/")
    assert response.status_code == 200 and b"about" in response.content
    assert response.content.endswith(CLIENT_TAG + b"</BODY></html>")


def test_redirects_are_built_from_checked_names_never_from_the_raw_target(site: Path, hub: Hub):
    status, headers, _ = raw_get(create_app(site, hub), b"//about")
    assert status == 302 and headers["location"] == "/about/"  # not the protocol-relative "//about/"


def test_a_custom_entry_page(site: Path, hub: Hub):
    (site / "shell.html").write_bytes(b"<body>custom shell</body>")
    with TestClient(create_app(site, hub, entry="shell.html"), base_url=ORIGIN) as client:
        response = client.get("/some/route", headers=NAVIGATE)
    assert response.status_code == 200 and response.content.startswith(b"<body>custom shell")


def test_base_path(site: Path, hub: Hub):
    with TestClient(create_app(site, hub, base="/app/"), base_url=ORIGIN) as client:
        assert client.get("/app/css/app.css").content == CSS
        assert b"app shell" in client.get("/app/", headers=NAVIGATE).content
        assert b"app shell" in client.get("/app/todos/1", headers=NAVIGATE).content
        assert client.get("/", follow_redirects=False).headers["location"] == "/app/"
        assert client.get("/app", follow_redirects=False).headers["location"] == "/app/"
        assert client.get("/css/app.css").status_code == 404
        assert client.get("/other/route", headers=NAVIGATE).status_code == 404
        assert client.get("/__vango/client.js").status_code == 200  # dev endpoints stay at the server's root


@pytest.mark.parametrize(("entry", "base"), [("../x.html", "/"), ("", "/"), ("index.html", "/../"),
                                             ("index.html", "app/")])
def test_bad_entry_or_base_is_refused_upfront(site: Path, hub: Hub, entry, base):
    with pytest.raises(ValueError):
        create_app(site, hub, entry=entry, base=base)


# ---- the root is resolved per request --------------------------------------------------------------------------

def test_the_output_folder_is_looked_up_on_every_request(tmp_path: Path, hub: Hub):
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "version.txt").write_text("one")
    with TestClient(create_app(lambda: dist, hub), base_url=ORIGIN) as client:
        assert client.get("/version.txt").text == "one"
        staging = tmp_path / ".dist.staging"
        staging.mkdir()
        (staging / "version.txt").write_text("two")
        swap_into_place(staging, dist)  # what a build's publish step does
        assert client.get("/version.txt").text == "two"


def test_requests_during_repeated_folder_swaps_get_whole_files(tmp_path: Path, hub: Hub):
    dist = tmp_path / "dist"
    dist.mkdir()
    versions = [b"A" * 300_000, b"B" * 300_000]
    (dist / "big.bin").write_bytes(versions[0])
    stop = threading.Event()

    def publisher() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            staging = tmp_path / f".dist.staging-{n}"
            staging.mkdir()
            (staging / "big.bin").write_bytes(versions[n % 2])
            swap_into_place(staging, dist)

    worker = threading.Thread(target=publisher)
    worker.start()
    statuses = set()
    try:
        with TestClient(create_app(lambda: dist, hub), base_url=ORIGIN) as client:
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline:
                response = client.get("/big.bin")
                statuses.add(response.status_code)
                if response.status_code == 200:
                    assert response.content in versions
    finally:
        stop.set()
        worker.join(10)
    # 200 always with an atomic exchange; where the platform lacks it, the instant without dist/ may give 503/404.
    assert 200 in statuses and statuses <= {200, 404, 503}


def test_before_the_first_build_navigations_get_a_waiting_page_that_reloads(tmp_path: Path, hub: Hub):
    with TestClient(create_app(tmp_path / "dist", hub), base_url=ORIGIN) as client:
        page = client.get("/", headers=NAVIGATE)
        assert page.status_code == 503 and CLIENT_TAG in page.content and b"Waiting" in page.content
        assert client.get("/app.css").status_code == 503


# ---- HTML injection --------------------------------------------------------------------------------------------

def test_html_gets_the_client_before_body_end_and_files_on_disk_do_not(client, site: Path):
    response = client.get("/")
    assert response.content == SHELL.replace(b"</body>", CLIENT_TAG + b"</body>")
    assert response.headers["content-length"] == str(len(response.content))
    assert (site / "index.html").read_bytes() == SHELL
    assert client.get("/fragment.html").content == b"<p>no body tag</p>" + CLIENT_TAG


def test_non_html_is_never_injected(client):
    assert client.get("/js/app.js", headers={"accept-encoding": "identity"}).content == JS


@pytest.mark.parametrize(("html", "expected"), [
    (b"<body>x</body>", b"<body>x" + CLIENT_TAG + b"</body>"),
    (b"<BODY>x</BODY >", b"<BODY>x" + CLIENT_TAG + b"</BODY >"),
    (b"<body><script>'</body>'</script></body>", b"<body><script>'</body>'</script>" + CLIENT_TAG + b"</body>"),
    (b"x", b"x" + CLIENT_TAG),
    (b"<body>" + CLIENT_TAG + b"</body>", b"<body>" + CLIENT_TAG + b"</body>"),
    ("<body>é</body>".encode(), "<body>é".encode() + CLIENT_TAG + b"</body>"),
])
def test_inject_client(html, expected):
    assert inject_client(html) == expected


# ---- traversal -------------------------------------------------------------------------------------------------

def traversal_targets(tmp_path: Path) -> list[bytes]:
    outside = str(tmp_path / "secret.txt").encode()
    return [
        b"/../secret.txt", b"/../../secret.txt", b"/css/../../secret.txt", b"/./../secret.txt",
        b"/%2e%2e/secret.txt", b"/%2E%2E/secret.txt", b"/.%2e/secret.txt", b"/%2e./secret.txt",
        b"/%2e%2e%2fsecret.txt", b"/..%2fsecret.txt", b"/..%2Fsecret.txt", b"/css%2f..%2f..%2fsecret.txt",
        b"/..\\secret.txt", b"/..%5csecret.txt", b"/..%5Csecret.txt", b"/%5c..%5csecret.txt",
        b"/css\\..\\..\\secret.txt",
        b"/%252e%252e/secret.txt", b"/%252e%252e%252fsecret.txt",
        b"/..%00/secret.txt", b"/secret.txt%00.css", b"/%00", b"/..%c0%afsecret.txt", b"/%c0%ae%c0%ae/secret.txt",
        b"/%ff%fe/secret.txt", b"/..;/secret.txt", b"/...//secret.txt",
        b"/" + outside, b"//" + outside, b"/%2f" + outside[1:].replace(b"/", b"%2f"),
        b"/../dist-evil/secret.txt", b"/%2e%2e/dist-evil/secret.txt",
        b"/link-out.txt", b"/link-dir/secret.txt", b"/link-dir/dist-evil/secret.txt",
        b"/%2e%2e/literal.txt/../../secret.txt",
        b"secret.txt", b"*", b"http://127.0.0.1:8000/../secret.txt",
        "/\u2025/secret.txt".encode(), b"/\xc0\xae\xc0\xae/secret.txt",
    ]


def test_no_request_path_reaches_a_file_outside_the_root(site: Path, hub: Hub, tmp_path: Path):
    app = create_app(site, hub)
    for target in traversal_targets(tmp_path):
        for headers in ({"accept": "*/*"}, NAVIGATE):
            status, _, body = raw_get(app, target, headers)
            assert SECRET not in body, target
            if headers is not NAVIGATE:
                assert status in (400, 404), (target, status)
            else:
                assert status in (400, 404) or (status == 200 and b"app shell" in body), (target, status)


def test_symlinks_inside_the_root_are_followed(client):
    assert client.get("/link-in.css", headers={"accept-encoding": "identity"}).content == CSS


def test_a_literal_percent_name_is_a_name(site: Path, hub: Hub):
    status, _, body = raw_get(create_app(site, hub), b"/%252e%252e/literal.txt")
    assert status == 200 and body == b"a folder literally named %2e%2e"


def test_dot_segments_and_encoded_separators_are_400(site: Path, hub: Hub):
    app = create_app(site, hub)
    for target in (b"/css/../index.html", b"/css%2fapp.css", b"/a%5cb", b"/%00"):
        assert raw_get(app, target)[0] == 400, target


# ---- Host and Origin checks ------------------------------------------------------------------------------------

def test_requests_for_foreign_host_names_are_refused(site: Path, hub: Hub):
    with TestClient(create_app(site, hub), base_url="http://evil.example:8000") as client:
        response = client.get("/css/app.css")
        assert response.status_code == 403 and CSS not in response.content
    with TestClient(create_app(site, hub), base_url="http://localhost:8000") as client:
        assert client.get("/css/app.css").status_code == 200
    with TestClient(create_app(site, hub, allowed_hosts=["devbox.lan"]), base_url="http://devbox.lan:8000") as client:
        assert client.get("/css/app.css").status_code == 200


@pytest.mark.parametrize("endpoint", ["/__vango/ws", "/__vango/devtools"])
def test_websockets_accept_same_origin_and_non_browser_clients(client, hub: Hub, endpoint):
    hub.publish("reload", {"type": "error", "task": "css", "message": "bad"})
    hub.publish("devtools", {"type": "build.started", "id": 1})
    expected = {"/__vango/ws": {"type": "error", "task": "css", "message": "bad"},
                "/__vango/devtools": {"type": "build.started", "id": 1}}[endpoint]
    for headers in ({"origin": ORIGIN}, {}):
        with client.websocket_connect(WS + endpoint, headers=headers) as socket:
            assert socket.receive_json() == expected


@pytest.mark.parametrize("endpoint", ["/__vango/ws", "/__vango/devtools"])
@pytest.mark.parametrize("origin", ["http://evil.example", "http://127.0.0.1:8001", "http://localhost:8000", "null"])
def test_websockets_refuse_cross_origin_handshakes(client, hub: Hub, endpoint, origin):
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(WS + endpoint,
                                                                                 headers={"origin": origin}):
        pass
    assert refused.value.code == 1008
    assert hub.subscriber_count("reload") == hub.subscriber_count("devtools") == 0


def test_websockets_for_foreign_host_names_are_refused(client):
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(
            "ws://evil.example:8000/__vango/ws", headers={"origin": "http://evil.example:8000"}):
        pass
    assert refused.value.code == 1008


# ---- WebSocket channels ----------------------------------------------------------------------------------------

def test_reload_channel_sends_the_error_state_then_live_messages(client, hub: Hub):
    hub.publish("reload", {"type": "reload"})  # not retained
    hub.publish("reload", {"type": "error", "task": "wasm:compile", "message": "main.go:12:5: syntax error"})
    with client.websocket_connect(WS + "/__vango/ws", headers={"origin": ORIGIN}) as socket:
        assert socket.receive_json() == {"type": "error", "task": "wasm:compile",
                                         "message": "main.go:12:5: syntax error"}
        hub.publish("reload", {"type": "ok"})
        hub.publish("reload", {"type": "css", "changes": [{"from": "/a.1.css", "to": "/a.2.css", "integrity": "x"}]})
        assert socket.receive_json() == {"type": "ok"}
        assert socket.receive_json()["type"] == "css"
    with client.websocket_connect(WS + "/__vango/ws", headers={"origin": ORIGIN}) as socket:
        hub.publish("reload", {"type": "reload"})
        assert socket.receive_json() == {"type": "reload"}  # the first message: no stale error before it
    assert hub.subscriber_count("reload") == 0


def test_devtools_channel_replays_then_streams(client, hub: Hub):
    events = [{"type": "build.started", "id": 1, "trigger": ["web/css/app.css"], "ts": 1.0},
              {"type": "task", "id": 1, "task": "css", "status": "executed", "duration_s": 0.01}]
    for event in events:
        hub.publish("devtools", event)
    with client.websocket_connect(WS + "/__vango/devtools", headers={"origin": ORIGIN}) as socket:
        assert [socket.receive_json(), socket.receive_json()] == events
        finished = {"type": "build.finished", "id": 1, "ok": True, "duration_s": 0.2, "tasks": [], "patch": [],
                    "error": None}
        hub.publish("devtools", finished)
        assert socket.receive_json() == finished


# ---- dev endpoints ---------------------------------------------------------------------------------------------

def test_the_client_script_and_the_devtools_panel_are_served(client):
    script = client.get("/__vango/client.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert b"/__vango/ws" in script.content
    page = client.get("/__vango/devtools/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe" not in policy and "chrome-extension:" in policy
    assert CLIENT_TAG not in page.content  # the panel is not an app page: no live-reload client
    for asset, media_type in (("panel.js", "text/javascript"), ("panel.css", "text/css")):
        response = client.get("/__vango/devtools/" + asset)
        assert response.status_code == 200 and response.headers["content-type"].startswith(media_type)
        assert asset.encode() in page.content
    assert client.get("/__vango/devtools", follow_redirects=False).headers["location"] == "/__vango/devtools/"
    assert client.get("/__vango/devtools/secret.js").status_code == 404


def test_served_static_assets_have_no_inline_code():
    """The panel must run under its own CSP (script-src 'self'): no inline scripts, handlers or styles."""
    folder = Path(__file__).resolve().parents[2] / "pipeline" / "dev" / "server" / "static"
    html = (folder / "devtools" / "index.html").read_text()
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert re.search(r"\son[a-z]+=", html) is None and "style=" not in html
    for script in (folder / "client.js", folder / "devtools" / "panel.js"):
        text = script.read_text()
        assert "eval(" not in text and "new Function" not in text and "innerHTML" not in text, script.name


def test_undecodable_paths_are_a_plain_400(client):
    response = client.get("/%ff")
    assert response.status_code == 400 and response.headers["content-type"].startswith("text/plain")
