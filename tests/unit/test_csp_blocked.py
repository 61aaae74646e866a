"""What the generated policy will block is reported at build time, with the line: inline handlers,
javascript: URLs, data: media and data: fonts; nothing when the policy allows it."""

from __future__ import annotations

from pipeline.assets.rewrite import html
from pipeline.assets.sri import blocked, csp

PAGE = b"""<!doctype html>
<html><head><title>t</title></head>
<body onload="start()">
<a href="javascript:void(0)">x</a>
<button onclick="go()">go</button>
<video src="data:video/mp4;base64,AAAA"></video>
<img src="data:image/png;base64,AAAA" alt="">
<a href="/fine">fine</a>
</body></html>
"""


def test_a_page_s_blocked_code_is_found_with_its_line():
    findings = blocked.html_findings(html.parse(PAGE), csp.build_policy())
    lines = {line: message for line, message in findings}
    assert sorted(lines) == [3, 4, 5, 6]
    assert "onload=" in lines[3] and "addEventListener" in lines[3]
    assert "javascript: URL in <a href=>" in lines[4]
    assert "onclick=" in lines[5]
    assert "<video src=>" in lines[6] and "media-src" in lines[6]  # data: images are allowed (img-src data:)


def test_a_policy_that_allows_it_silences_the_finding():
    policy = csp.build_policy(extra={"script-src": ["'unsafe-inline'"], "media-src": ["'self'", "data:"]})
    assert blocked.html_findings(html.parse(PAGE), policy) == []


def test_data_fonts_in_font_face_rules_are_found():
    text = """body { background: url(data:image/png;base64,AAAA); }
@font-face {
  font-family: "X";
  src: url("data:font/woff2;base64,AAAA") format("woff2");
}
@media (min-width: 1px) {
  @font-face { font-family: Y; src: url(data:font/woff;base64,BBBB); }
}
@font-face { font-family: Z; src: url(z.woff2); }
"""
    findings = blocked.css_findings(text, csp.build_policy())
    assert [line for line, _ in findings] == [4, 7]
    assert "font-src" in findings[0][1]
    assert blocked.css_findings(text, csp.build_policy(extra={"font-src": ["data:"]})) == []


def test_cross_origin_files_the_build_accepted_get_their_sources():
    from pipeline.assets.sri.html import cross_origin_sources

    tree = html.parse(b"""<!doctype html><html><head>
<link rel="stylesheet" href="https://fonts.googleapis.com/css2?family=Inter">
<script src="https://cdn.example.com/lib.js" integrity="sha384-x"></script>
<link rel="preload" as="font" href="https://static.example.net/f.woff2" crossorigin>
<link rel="stylesheet" href="css/local.css">
</head><body></body></html>""")
    assert cross_origin_sources(tree) == {
        "style-src": ["https://fonts.googleapis.com"], "font-src": ["https://fonts.gstatic.com",
                                                                   "https://static.example.net"],
        "connect-src": ["https://fonts.googleapis.com", "https://cdn.example.com", "https://static.example.net"],
        "script-src": ["https://cdn.example.com"]}
