"""The advisor page in a real headless Chromium: sort, filter, search, no horizontal overflow at
375 px and 1280 px, labelled controls with enough contrast; screenshots saved as test artifacts.

Driven like ``test_report_browser.py`` (Debian's ``chromium``, ``--dump-dom``): a wrapper page
loads the report in iframes of the two widths, works its controls with the page's own script
and writes what it measured as JSON into its DOM. Screenshots: ``chromium --screenshot``.
"""

from __future__ import annotations

import html
import json
import re
import subprocess

import pytest

from learnrisk.scoring import score
from tests.scoring.conftest import AS_OF
from tests.scoring.test_report_browser import BROWSER, FLAGS

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(BROWSER is None, reason="chromium not installed: apt-get install chromium (Debian)"),
]

WRAPPER = """<!DOCTYPE html><html><body style="margin:0"><pre id="out"></pre>
<iframe id="f375" src="{src}" style="border:0;width:375px;height:900px"></iframe>
<iframe id="f1280" src="{src}" style="border:0;width:1280px;height:900px"></iframe>
<script>
function visible(t) {{ return Array.prototype.filter.call(t.tBodies[0].rows, function (r) {{ return !r.hidden; }}); }}
function bg(d, el) {{
  while (el) {{ var c = d.defaultView.getComputedStyle(el).backgroundColor;
    if (c && c !== "rgba(0, 0, 0, 0)" && c !== "transparent") return c; el = el.parentElement; }}
  return "rgb(255, 255, 255)";
}}
function measure(f) {{
  var d = f.contentDocument, w = d.defaultView, r = {{}};
  r.overflow = d.documentElement.scrollWidth - d.documentElement.clientWidth;
  r.wide = Array.prototype.filter.call(d.querySelectorAll("body *"), function (e) {{
    return e.getBoundingClientRect().right > d.documentElement.clientWidth + 1 && !e.closest("tr[hidden]"); }})
    .slice(0, 5).map(function (e) {{ return e.tagName + "." + e.className; }});
  r.controls = ["q", "band", "now"].map(function (id) {{
    var e = d.getElementById(id), lab = d.querySelector('label[for="' + id + '"]') || e.closest("label");
    return {{id: id, label: lab ? lab.textContent.trim() : "", color: w.getComputedStyle(lab || e).color, bg: bg(d, lab || e)}};
  }});
  var t = d.querySelector("section[id^=course-] table.risk"), col = 1;
  r.before = visible(t).map(function (x) {{ return x.cells[col].dataset.v; }});
  t.querySelectorAll("th button")[col].click();
  r.asc = visible(t).map(function (x) {{ return x.cells[col].dataset.v; }});
  t.querySelectorAll("th button")[col].click();
  r.desc = visible(t).map(function (x) {{ return x.cells[col].dataset.v; }});
  var band = d.getElementById("band"); band.value = "high"; band.dispatchEvent(new Event("change"));
  r.high = visible(t).map(function (x) {{ return x.dataset.band; }});
  band.value = ""; band.dispatchEvent(new Event("change"));
  var q = d.getElementById("q"); q.value = r.before[0]; q.dispatchEvent(new Event("input"));
  r.search = visible(t).map(function (x) {{ return x.cells[col].dataset.v; }});
  r.shown = t.parentNode.querySelector(".shown").textContent;
  q.value = ""; q.dispatchEvent(new Event("input"));
  return r;
}}
var n = 0;
function done() {{ if (++n < 2) return;
  document.getElementById("out").textContent = JSON.stringify({{w375: measure(document.getElementById("f375")),
    w1280: measure(document.getElementById("f1280"))}}); }}
document.getElementById("f375").onload = done; document.getElementById("f1280").onload = done;
</script></body></html>"""


@pytest.fixture(scope="module")
def report(world, tmp_path_factory):
    out = tmp_path_factory.mktemp("report-interactive")
    res = score(world["data_path"], AS_OF, world["dropout_path"], world["under_path"], out=out, top_k=5)
    return res.paths["report.html"]


def _chromium(*args: str, profile) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [BROWSER, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def _luminance(rgb: str) -> float:
    vals = [int(v) / 255 for v in re.findall(r"\d+", rgb)[:3]]
    lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in vals]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_sort_filter_search_and_layout(report, tmp_path):
    wrapper = report.parent / "wrapper-interactive.html"
    wrapper.write_text(WRAPPER.format(src=report.name))
    try:
        proc = _chromium("--dump-dom", wrapper.as_uri(), profile=tmp_path / "profile")
    finally:
        wrapper.unlink()
    found = re.search(r'<pre id="out">(.*?)</pre>', proc.stdout, flags=re.S)
    assert found and found.group(1), proc.stdout[:2000]
    result = json.loads(html.unescape(found.group(1)))
    for width, r in result.items():
        assert r["overflow"] <= 0, (width, r["overflow"], r["wide"])
        assert len(r["before"]) > 1
        assert r["asc"] == sorted(r["before"]) and r["desc"] == sorted(r["before"], reverse=True)
        assert r["high"] and set(r["high"]) == {"high"}
        assert r["search"] == [r["before"][0]] and r["shown"].startswith("1 of ")
        for c in r["controls"]:
            assert c["label"], c
            assert _contrast(c["color"], c["bg"]) >= 4.5, c


@pytest.mark.parametrize("width", [375, 1280])
def test_screenshots(report, tmp_path, width):
    png = tmp_path / f"report-{width}.png"
    _chromium("--hide-scrollbars", f"--window-size={width},1600", f"--screenshot={png}", report.as_uri(), profile=tmp_path / "p")
    assert png.exists() and png.stat().st_size > 10_000
