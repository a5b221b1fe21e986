"""The course view, the institution view and `learnrisk monitor` on lists the weekly job wrote.

One output folder, shared by every test of the module: the job scores the synthetic world on
PREVIOUS (a week before AS_OF); `monitor` then judges that list against the world's outcomes
(the same world, generated without the as-of truncation: its 2014J offerings have ended);
the job scores AS_OF into the same folder, so its institution view shows the trend and the
realized quality of the past list. The browser tests (real headless Chromium) load the two new
pages at 375 px and 1280 px, sort and search a table, and save screenshots to tmp_path.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from learnrisk import synthetic
from learnrisk.monitoring import monitor
from learnrisk.scoring import score
from learnrisk.scoring._course import course_diagnostics
from learnrisk.scoring._overview import course_overviews
from learnrisk.scoring._report import render_course
from tests.scoring.conftest import AS_OF, as_of_ts
from tests.scoring.test_report_browser import BROWSER
from tests.scoring.test_report_interactive import _chromium, _contrast

PREVIOUS = "2014-11-24"


@pytest.fixture(scope="module")
def full(world, tmp_path_factory):
    """The same world with every later event and outcome (the 2014J offerings have ended)."""
    data = synthetic.generate(n_learners=300, seed=3)
    folder = tmp_path_factory.mktemp("full") / "data"
    data.to_parquet(folder)
    return {"data": data, "path": folder}


@pytest.fixture(scope="module")
def written(world, full, tmp_path_factory):
    out = tmp_path_factory.mktemp("views")
    first = score(world["data"], PREVIOUS, world["dropout"], world["under"], out=out, top_k=5)
    uri = f"sqlite:///{out.parent / 'mlflow-monitor.db'}"
    watched = monitor(out, full["data"], tracking_uri=uri)
    res = score(world["data"], AS_OF, world["dropout"], world["under"], out=out, top_k=5)
    return {"out": out, "first": first, "monitor": watched, "res": res, "uri": uri}


# ------------------------------------------------------------------------------------ monitor
def test_monitor_round_trip_equals_a_direct_count(written, full):
    m, first = written["monitor"], written["first"]
    assert m.lists == [PREVIOUS] and m.period == f"{PREVIOUS}_{PREVIOUS}"
    rl = first.risk_list.merge(full["data"].enrollments[["course_id", "learner_id", "outcome"]], on=["course_id", "learner_id"])
    y = ~rl["outcome"].isin(["pass", "distinction"])  # not passing: what the combined risk estimates
    q = m.quality.set_index("course_id")
    assert q.loc["all", "target"] == "not_passing" and q.loc["all", "n_labelled"] == len(rl) == len(first.risk_list)
    now = rl["contact_now"].astype(bool)
    assert q.loc["all", "tp_now"] == int(y[now].sum()) and q.loc["all", "n_now"] == int(now.sum())
    assert q.loc["all", "precision_now"] == pytest.approx(y[now].mean())
    assert q.loc["all", "recall_listed"] == pytest.approx(y[rl["band"] != "low"].sum() / y.sum())
    never = rl[(rl["band"] == "low") & y]
    assert sorted(m.missed["learner_id"]) == sorted(never["learner_id"])
    for cid, g in rl.groupby("course_id"):
        assert q.loc[cid, "positives"] == int(y[g.index].sum())


def test_monitor_logs_one_mlflow_run_per_period(written, full, tmp_path):
    import mlflow

    m = written["monitor"]
    client = mlflow.MlflowClient(written["uri"])
    exp = client.get_experiment_by_name("learnrisk-monitoring")
    runs = client.search_runs([exp.experiment_id])
    assert [r.info.run_id for r in runs] == [m.run_id]
    assert runs[0].data.metrics["precision_now"] == pytest.approx(m.overall()["precision_now"])
    logged = Path(mlflow.artifacts.download_artifacts(run_id=m.run_id, artifact_path="monitor.json", dst_path=str(tmp_path), tracking_uri=written["uri"]))
    text = logged.read_text()  # the figures, never a learner id
    assert json.loads(text)["overall"]["missed"] == len(m.missed) and "learner_id" not in text and "L0" not in text
    again = monitor(written["out"], full["data"], period=(None, PREVIOUS), tracking_uri=written["uri"], out=tmp_path)
    assert again.period == m.period
    assert [r.info.run_id for r in client.search_runs([exp.experiment_id])] == [again.run_id] != [m.run_id]


def test_monitor_command(written, full, run_cli, tmp_path):
    code, out, err = run_cli("monitor", "--lists", written["out"], "--data", full["path"], "--no-mlflow")
    assert code == 0, err
    p = written["monitor"].overall()["precision_now"]
    assert f"precision {round(100 * p)}%" in out and "monitor.html" in out
    code, out, err = run_cli("monitor", "--lists", tmp_path / "none", "--data", full["path"], "--no-mlflow")
    assert code == 2 and err.startswith("learnrisk: error: ") and len(err.strip().splitlines()) == 1


# ------------------------------------------------------------------------------------ views
def test_course_view_figures(written, world):
    data, t = world["data"], as_of_ts(AS_OF)
    ovs = course_overviews(data, t)
    diag = course_diagnostics(data, t, ovs)
    ov = ovs[0]
    d = diag[ov.course_id]
    assert sum(w["withdrawn"] for w in d.withdrawals) == ov.withdrawn
    # earlier offerings: the two latest finished ones of the same code, never the running one
    c = data.courses
    done = c[(c["course_code"] == ov.course_code) & (c["end"] <= t)].sort_values("end")
    assert len(done) > 2 and d.earlier == sorted(done["course_id"].tolist()[-2:])
    # an activity family's shares, counted directly
    fam = d.families[0]
    enr = data.enrollments[data.enrollments["course_id"].isin(d.earlier)]
    passing = enr["outcome"].isin(["pass", "distinction"])
    act = data.activity[data.activity["course_id"].isin(d.earlier) & (data.activity["activity_type"] == fam["name"])]
    users = set(zip(act["course_id"], act["learner_id"]))
    used = np.array([k in users for k in zip(enr["course_id"], enr["learner_id"])])
    assert fam["passing"] == pytest.approx(used[passing.to_numpy()].mean())
    assert fam["not_passing"] == pytest.approx(used[~passing.to_numpy()].mean())
    # assessments: submissions before t among the scored offering's enrollments
    a = d.assessments[0]
    s = data.submissions
    learners = set(data.enrollments.loc[data.enrollments["course_id"] == ov.course_id, "learner_id"])
    sub = s[(s["assessment_id"] == a["assessment_id"]) & (s["submitted_at"] < t) & s["learner_id"].isin(learners)]
    assert a["submitted"] == len(sub) and a["late"] == int((sub["submitted_at"] > a["due_at"]).sum())


def test_course_view_is_as_of_safe_and_says_when_nothing_came_before(world, full):
    t = as_of_ts(AS_OF)
    ovs = course_overviews(world["data"], t)
    # every later event and the outcomes of the running offerings change nothing
    assert course_diagnostics(full["data"], t, ovs) == course_diagnostics(world["data"], t, ovs)
    alone = world["data"].select_courses([ovs[0].course_id])
    d = course_diagnostics(alone, t, course_overviews(alone, t))[ovs[0].course_id]
    assert d.earlier == [] and d.families == []
    page = render_course(as_of=t, overview=ovs[0], diagnostics=d, risk_list=pd.DataFrame({"course_id": [], "band": []}), summary={})
    assert "No earlier offering of" in page


def test_course_view_mean_score_counts_only_marked_scores(world):
    """A score marked on or after the as-of date (submissions.scored_at) is not in the view's
    mean score, as it is in no feature."""
    data, t = world["data"], as_of_ts(AS_OF)
    ovs = course_overviews(data, t)
    cid = ovs[0].course_id
    before = course_diagnostics(data, t, ovs)[cid].assessments
    assert any(np.isfinite(a["mean_score"]) for a in before)
    s = data.submissions
    late = data.replace(submissions=s.assign(scored_at=t))  # every score marked at t: none known before it
    after = course_diagnostics(late, t, ovs)[cid].assessments
    assert all(np.isnan(a["mean_score"]) for a in after)
    assert [a["submitted"] for a in after] == [a["submitted"] for a in before]
    early = data.replace(submissions=s.assign(scored_at=s["submitted_at"]))
    assert course_diagnostics(early, t, ovs)[cid].assessments == before


def test_institution_view(written):
    res = written["res"]
    page = (res.folder / "institution.html").read_text()
    rl = res.risk_list
    for cid, g in rl.groupby("course_id"):
        row = re.search(rf'<a href="course/{cid}.html">{cid}</a></td>\s*<td class="num" data-v="(\d+)">.*?data-v="(\d+)"', page, re.S)
        assert row and (int(row.group(1)), int(row.group(2))) == (len(g), int(g["band"].eq("high").sum()))
        assert (res.folder / "course" / f"{cid}.html").is_file()
    # the realized quality of the past list, as monitor wrote it
    saved = json.loads(written["monitor"].paths["monitor.json"].read_text())
    assert "How past lists did" in page and saved["period"] in page
    pct = f"{100 * saved['overall']['precision_now']:.0f}%"
    assert f"{pct} of the learners to contact now" in html.unescape(page)
    # the report links both views
    report = res.paths["report.html"].read_text()
    assert 'href="institution.html"' in report and f'href="course/{rl["course_id"].iloc[0]}.html"' in report


# ------------------------------------------------------------------------------------ browser
WRAPPER = """<!DOCTYPE html><html><body style="margin:0"><pre id="out"></pre>
<iframe id="f375" src="{src}" style="border:0;width:375px;height:900px"></iframe>
<iframe id="f1280" src="{src}" style="border:0;width:1280px;height:900px"></iframe>
<script>
function measure(f) {{
  var d = f.contentDocument, r = {{}};
  r.overflow = d.documentElement.scrollWidth - d.documentElement.clientWidth;
  var t = Array.prototype.slice.call(d.querySelectorAll("table.sortable")).sort(function (a, b) {{
    return b.tBodies[0].rows.length - a.tBodies[0].rows.length; }})[0], rows = function () {{
    return Array.prototype.filter.call(t.tBodies[0].rows, function (x) {{ return !x.hidden; }})
      .map(function (x) {{ return x.cells[0].dataset.v; }}); }};
  r.before = rows();
  t.querySelectorAll("th button")[0].click(); r.asc = rows();
  t.querySelectorAll("th button")[0].click(); r.desc = rows();
  var q = d.getElementById("q"), lab = d.querySelector('label[for="q"]'); r.label = lab.textContent;
  r.color = d.defaultView.getComputedStyle(lab).color; r.bg = d.defaultView.getComputedStyle(d.body).backgroundColor;
  q.value = r.before[r.before.length - 1]; q.dispatchEvent(new Event("input")); r.search = rows();
  r.h1 = d.querySelector("h1").textContent;
  return r;
}}
var n = 0;
function done() {{ if (++n < 2) return;
  document.getElementById("out").textContent = JSON.stringify({{w375: measure(document.getElementById("f375")),
    w1280: measure(document.getElementById("f1280"))}}); }}
document.getElementById("f375").onload = done; document.getElementById("f1280").onload = done;
</script></body></html>"""


def _pages(written):
    folder = written["res"].folder
    return {"institution": folder / "institution.html", "course": sorted((folder / "course").glob("*.html"))[0]}


@pytest.mark.integration
@pytest.mark.skipif(BROWSER is None, reason="chromium not installed: apt-get install chromium (Debian)")
@pytest.mark.parametrize("page", ["institution", "course"])
def test_view_in_headless_chromium(written, page, tmp_path):
    path = _pages(written)[page]
    wrapper = path.parent / f"wrapper-{page}.html"
    wrapper.write_text(WRAPPER.format(src=path.name))
    try:
        proc = _chromium("--dump-dom", wrapper.as_uri(), profile=tmp_path / "profile")
    finally:
        wrapper.unlink()
    found = re.search(r'<pre id="out">(.*?)</pre>', proc.stdout, flags=re.S)
    assert found and found.group(1), proc.stdout[:2000]
    for width, r in json.loads(html.unescape(found.group(1))).items():
        assert r["overflow"] <= 0, (page, width, r["overflow"])
        assert len(r["before"]) > 1 and r["label"] == "Search" and _contrast(r["color"], r["bg"]) >= 4.5
        key = (lambda v: float(v)) if all(re.fullmatch(r"[\d.]+", v) for v in r["before"]) else str
        assert r["asc"] == sorted(r["before"], key=key) and r["desc"] == sorted(r["before"], key=key, reverse=True)
        assert r["before"][-1] in r["search"] and len(r["search"]) < len(r["before"])
        assert ("All courses" if page == "institution" else "Course ") in r["h1"]
    for width in (375, 1280):
        png = tmp_path / f"{page}-{width}.png"
        _chromium("--hide-scrollbars", f"--window-size={width},1400", f"--screenshot={png}", path.as_uri(), profile=tmp_path / "p")
        assert png.stat().st_size > 10_000


def test_past_quality_reads_the_newest_period_before_the_list(tmp_path):
    from learnrisk.scoring._institution import past_quality

    assert past_quality(tmp_path) is None
    for period in ("2014-10-06_2014-11-24", "2014-11-03_2014-11-17", "2014-12-01_2014-12-08"):
        (tmp_path / "monitor" / period).mkdir(parents=True)
        (tmp_path / "monitor" / period / "monitor.json").write_text(json.dumps({"period": period, "overall": {}, "courses": []}))
    assert past_quality(tmp_path)["period"] == "2014-12-01_2014-12-08"
    got = past_quality(tmp_path, before="2014-12-01")
    assert got["period"] == "2014-10-06_2014-11-24" and got["link"] == "../monitor/2014-10-06_2014-11-24/monitor.html"
    assert past_quality(tmp_path, before="2014-11-01") is None


def test_a_folder_input_gives_the_course_views_their_earlier_offerings(world, tmp_path):
    """The weekly job reads only the running offerings of a folder; the course views read the
    finished offerings of the same codes too, so the cron job's pages compare like the API's."""
    folder = tmp_path / "data"
    world["data"].to_parquet(folder)
    out = tmp_path / "lists"
    score(folder, AS_OF, world["dropout"], out=out, top_k=5)
    pages = sorted((out / AS_OF / "course").glob("*.html"))
    assert pages
    for page in pages:
        text = page.read_text()
        assert "No earlier offering of" not in text and "In the earlier offerings of" in text
