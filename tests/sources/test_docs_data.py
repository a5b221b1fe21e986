"""The worked examples of docs/data.md run as written (the CSV example: test_csv_mapped.py)."""

from __future__ import annotations

import re
from pathlib import Path

import learnrisk
from learnrisk import sources

from ..conftest import T

DOCS = (Path(__file__).resolve().parents[2] / "docs" / "data.md").read_text()
FIXTURES = Path(__file__).parent / "fixtures"


def _block(marker: str) -> str:
    found = re.search(rf"<!-- {re.escape(marker)} -->\n```\w*\n(.*?)```", DOCS, flags=re.S)
    assert found, marker
    return found.group(1)


def test_the_from_frames_example_runs_and_prints_what_the_docs_show(tmp_path, monkeypatch, capsys):
    code = _block("example: from_frames")
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(compile(code, "docs/data.md", "exec"), scope)
    printed = capsys.readouterr().out.splitlines()
    shown = [line[2:] for line in code.splitlines() if line.startswith("# ") and ":" in line and "(" not in line[:12]]
    assert printed == shown[:3]
    assert scope["data"].activity[["learner_id", "timestamp", "clicks"]].values.tolist()[0] == ["s01", T("2024-01-08 09:15"), 2]
    assert "s03" in set(scope["data"].enrollments["learner_id"])  # no activity, still an enrollment
    assert learnrisk.read_parquet(tmp_path / "data" / "math").activity["clicks"].sum() == 4


def test_the_edx_mapping_example_reads_the_fixture(tmp_path):
    (tmp_path / "edx.yaml").write_text(_block("example-file: edx.yaml"))
    data = sources.read("edx", FIXTURES / "edx" / "tracking.log", mapping=tmp_path / "edx.yaml")
    assert data.courses[["start", "end"]].iloc[0].tolist() == [T("2024-01-08"), T("2024-04-01")]


def test_the_overview_links_every_source_page():
    for page in ("sources-xapi-caliper.md", "sources-moodle.md"):
        assert f"]({page})" in DOCS
    for kind in ("csv", "xapi", "caliper", "moodle", "canvas", "edx"):
        assert f"| `{kind}` |" in DOCS


def test_the_documented_families_are_the_catalogs():
    """The family columns of the Canvas and edX maps in docs/data.md are what the features count."""
    from learnrisk.features import family_of

    rows = re.findall(r"^\| (.+?) \| (.+?) \| (content|forum|quiz|other) \|$", DOCS, flags=re.M)
    checked = 0
    for _, types, family in rows:
        for name in re.split(r",\s*|;\s*", types):
            if re.fullmatch(r"[a-z_]+", name):
                assert family_of([name])[name] == family, (name, family)
                checked += 1
    assert checked >= 20
