"""Moodle's tables in a real PostgreSQL, started by the test: a throw-away cluster (initdb and
pg_ctl on a free port, its socket in a temporary folder), the tables created from the fixture
DDL written from Moodle's install.xml, the synthetic round-trip data loaded with COPY, read back
through ``learnrisk import --from moodle postgresql+psycopg://...``, then the cluster is stopped
and removed. Skipped, with the reason, only where the server cannot start."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
import pytest

import learnrisk
from learnrisk import sources
from learnrisk.errors import SourceError
from learnrisk.sources.moodle import TABLES

from ..conftest import run_cli
from ._moodle import assert_same_as_written, small_data

DDL = Path(__file__).parent / "fixtures" / "moodle" / "install.sql"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres():
    """(socket folder, port) of a PostgreSQL server of its own; stopped and removed afterwards."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or [shutil.which("initdb")]
    if not found[-1]:
        pytest.skip("PostgreSQL is not installed (no initdb): .ci/run installs Debian's postgresql package")
    bindir = Path(found[-1]).parent
    root = Path(tempfile.mkdtemp(prefix="learnrisk-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb and pg_ctl refuse root: run them as postgres, in a folder it owns
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(root)
            pytest.skip("running as root and there is no postgres user to run the server as")
        os.chown(root, pw.pw_uid, pw.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    root.chmod(0o700)
    port, data = _free_port(), root / "data"

    def run(*args):
        return subprocess.run([*as_user, *map(str, args)], capture_output=True, text=True, timeout=120)

    started = False
    try:
        init = run(bindir / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-locale", "-E", "UTF8", "--no-sync")
        if init.returncode != 0:
            pytest.skip(f"initdb failed: {(init.stderr or init.stdout).strip().splitlines()[-1:]}")
        opts = f"-p {port} -k {root} -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        start = run(bindir / "pg_ctl", "-D", data, "-l", root / "server.log", "-w", "-t", "60", "-o", opts, "start")
        if start.returncode != 0:
            log = (root / "server.log").read_text() if (root / "server.log").exists() else start.stderr
            pytest.skip(f"the PostgreSQL server did not start: {log.strip().splitlines()[-1:] }")
        started = True
        yield root, port
    finally:
        if started:
            run(bindir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


def _connect(postgres, dbname: str):
    import psycopg

    return psycopg.connect(host=str(postgres[0]), port=postgres[1], user="postgres", dbname=dbname, autocommit=True)


def load(conn, folder: Path, prefix: str = "mdl_", tables=TABLES) -> None:
    """Moodle's tables (the fixture DDL) filled from the exports with COPY; an empty field of a
    NOT NULL text column is '' (as Moodle stores it), any other empty field NULL."""
    ddl = DDL.read_text().replace("mdl_", prefix)
    statements = [s for s in ddl.split(";") if "CREATE TABLE" in s]
    for name in tables:
        conn.execute(next(s for s in statements if f"CREATE TABLE {prefix}{name} (" in s))
        path = folder / f"mdl_{name}.csv"
        columns = pd.read_csv(path, nrows=0).columns.tolist()
        not_null_text = [
            r[0] for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND is_nullable = 'NO' "
                "AND data_type IN ('character varying', 'text')", (prefix + name,)
            ) if r[0] in columns
        ]
        force = f", FORCE_NOT_NULL ({', '.join(not_null_text)})" if not_null_text else ""
        with conn.cursor().copy(f"COPY {prefix}{name} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, HEADER true{force})") as copy:
            copy.write(path.read_bytes())


@pytest.fixture(scope="module")
def moodle_db(postgres, tmp_path_factory):
    data = small_data()
    folder = tmp_path_factory.mktemp("moodle-pg") / "exports"
    sources.write("moodle", data, folder)
    with _connect(postgres, "postgres") as conn:
        conn.execute("CREATE DATABASE moodle")
    with _connect(postgres, "moodle") as conn:
        load(conn, folder)
        load(conn, folder, prefix="m2_", tables=[t for t in TABLES if t != "quiz"])  # a site missing one table
    url = f"postgresql+psycopg://postgres@/moodle?host={postgres[0]}&port={postgres[1]}"
    return data, folder, url


def test_import_from_postgresql_gives_the_round_trip_data(moodle_db, tmp_path, capsys):
    data, folder, url = moodle_db
    out = tmp_path / "canonical"
    code, stdout, err = run_cli(capsys, "import", url, "--from", "moodle", "--out", out, "-o", "ids=idnumber", "-o", "chunk_rows=9000")
    assert code == 0, err
    assert f"moodle: read {int(data.activity['clicks'].sum()):,} records" in stdout
    back = learnrisk.read_parquet(out)
    assert_same_as_written(data, back)
    # the database and the CSV exports of the same tables give the same canonical data
    from_csv = sources.read("moodle", folder, ids="idnumber")
    for name, frame in from_csv.all_tables().items():
        pd.testing.assert_frame_equal(back.all_tables()[name].reset_index(drop=True), frame.reset_index(drop=True), check_dtype=False, obj=name)


def test_courses_are_filtered_in_the_query(moodle_db):
    data, _, url = moodle_db
    report = sources.ImportReport("moodle")
    back = sources.read("moodle", url, report=report, courses="2,4", ids="idnumber")
    chosen = sorted(data.courses["course_id"])[0::2]  # the writer numbers offerings 2, 3, 4, ... in order
    assert sorted(back.courses["course_id"]) == chosen
    # only the chosen offerings' log rows are read (one per click)
    assert report.read == int(data.activity.loc[data.activity["course_id"].isin(chosen), "clicks"].sum())
    assert sorted(back.activity["course_id"].unique()) == chosen


def test_a_missing_table_and_an_unknown_prefix_are_one_line(moodle_db, tmp_path, capsys):
    _, _, url = moodle_db
    with pytest.raises(SourceError, match=r"^moodle: table m2_quiz not found in postgresql\+psycopg://"):
        sources.read("moodle", url, prefix="m2_")
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, "import", url, "--from", "moodle", "--out", out, "-o", "prefix=x_")
    assert code == 2 and err.count("\n") == 1 and "no Moodle tables with the prefix 'x_'" in err
    assert "'m2_'" in err and "'mdl_'" in err and not out.exists()
