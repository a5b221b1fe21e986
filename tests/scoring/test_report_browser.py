"""The advisor page: self-contained, and readable in a real browser opened from disk.

The browser test renders ``report.html`` in headless Chromium (Debian's ``chromium`` package;
``.ci/run`` installs it when missing) and reads the page's *visible* text: a small wrapper page
loads the report from disk in an iframe and copies ``document.body.innerText`` (the text as
rendered, after CSS) into its own DOM, which ``--dump-dom`` prints. Without Chromium the test
is skipped and says why.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess

import pytest

from learnrisk.scoring import score
from tests.scoring.conftest import AS_OF

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--allow-file-access-from-files",
    "--virtual-time-budget=10000",
]
WRAPPER = """<!DOCTYPE html><html><body><pre id="out"></pre>
<iframe src="{src}" style="width:1280px;height:2000px"
 onload="document.getElementById('out').textContent = this.contentDocument.body.innerText; this.remove();"></iframe>
</body></html>"""


@pytest.fixture(scope="module")
def written(world, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    res = score(world["data_path"], AS_OF, world["dropout_path"], world["under_path"], out=out, top_k=5)
    return res


def test_report_is_self_contained(written):
    page = written.paths["report.html"].read_text()
    # one inline script (sort, filter, search), nothing loaded and no network call
    assert page.lower().count("<script") == 1 and "<script>" in page
    for network in ("fetch(", "xmlhttprequest", "websocket", "import(", "navigator.sendbeacon", "eventsource"):
        assert network not in page.lower()
    assert "<link" not in page.lower() and "@import" not in page and "url(" not in page
    refs = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', page)
    # in-page anchors, or the course and institution views written beside the report
    assert refs and any(r.startswith("#") for r in refs), refs
    for r in refs:
        assert r.startswith("#") or (written.folder / r).is_file(), r
    assert "<svg" in page  # the engagement curves are inline


def _visible_text(report, tmp_path) -> str:
    wrapper = report.parent / "wrapper.html"
    wrapper.write_text(WRAPPER.format(src=report.name))
    try:
        proc = subprocess.run(
            [BROWSER, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", wrapper.as_uri()],
            capture_output=True,
            text=True,
            timeout=180,
        )
    finally:
        wrapper.unlink()
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = re.search(r'<pre id="out">(.*?)</pre>', proc.stdout, flags=re.S)
    assert found, proc.stdout[:2000]
    return html.unescape(found.group(1))


@pytest.mark.integration
def test_report_renders_in_headless_chromium(written, tmp_path):
    if BROWSER is None:
        pytest.skip("chromium not installed: apt-get install chromium (Debian) to run the browser test; .ci/run does it in CI")
    text = _visible_text(written.paths["report.html"], tmp_path)
    rl = written.risk_list
    top = rl[rl["rank"] == 1].iloc[0]
    first_driver = top["drivers"].split(" | ")[0]
    for expected in [
        f"Learners at risk — as of {AS_OF}",
        "Course overview",
        "Assessments most often missed",
        "Ranked list: learners to contact",
        "How to read this page",
        f"Course {top['course_id']}",
        top["learner_id"],
        first_driver,
        "active this week",
        "withdrawn so far",
    ]:
        assert expected in text, f"{expected!r} is not visible on the page"
    # CSS applied: table headings are shown upper-case by the stylesheet
    assert "RANK\tLEARNER" in text or "RANK LEARNER" in text
    # every running offering has its section, in course order
    positions = [text.index(f"Course {cid}") for cid in sorted(rl["course_id"].unique())]
    assert positions == sorted(positions)
    # low-band learners are not listed on the page
    low = rl[(rl["band"] == "low") & (rl["course_id"] == top["course_id"])]["learner_id"]
    assert not any(f"\t{lid}\t" in text for lid in low)
