"""``learnrisk synth``: generate synthetic learning data and write it as Parquet or OULAD CSV.

``--out`` is a new or empty folder, or one holding only the files ``synth`` writes in that format
(an earlier synth run: the six ``<table>.parquet`` files, or the seven OULAD CSV files); any
other non-empty folder is refused unless ``--force`` (Parquet output replaces the whole folder,
so its other files would be lost). The current folder, or a folder holding it, is always refused.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

import learnrisk
from learnrisk._format import format_percent
from learnrisk.errors import LearnriskError

from ._options import AsOfOpt, OutOpt, check_out, parse_date

FORMATS = ("parquet", "oulad")  # and every platform format with a writer (learnrisk.sources.WRITERS)


def _effect(text: str) -> float | str:
    """``"modest"`` stays a name; ``"0.3"`` becomes a number (the generator checks both)."""
    try:
        return float(text)
    except ValueError:
        return text


def _written_by_synth(fmt: str) -> set[str]:
    """The names of the files ``synth --format fmt`` writes into ``--out``."""
    from learnrisk.data import OPTIONAL_TABLES, OULAD_FILES, TABLES
    from learnrisk.sources import FILES

    if fmt in FILES:
        return set(FILES[fmt])
    return {f"{t}.parquet" for t in (*TABLES, *OPTIONAL_TABLES)} if fmt == "parquet" else set(OULAD_FILES)


def _formats() -> tuple[str, ...]:
    from learnrisk.sources import WRITERS

    return (*FORMATS, *sorted(WRITERS))


def synth(
    out: OutOpt,
    learners: Annotated[int, typer.Option("--learners", help="Number of learners (about 1.1 enrollments each).")] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed writes the same data.")] = 0,
    courses: Annotated[int, typer.Option("--courses", help="Course codes (AAA, BBB, ...).")] = 3,
    offerings: Annotated[
        int, typer.Option("--offerings", help="Dated offerings per code (2013B, 2013J, 2014B, ...).")
    ] = 4,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="parquet (canonical tables), oulad (the 7 OULAD CSV files), or a platform's format: "
            "csv, xapi, caliper, moodle, canvas, edx (docs/data.md).",
        ),
    ] = "parquet",
    sensitive_effect: Annotated[
        str, typer.Option("--sensitive-effect", help="none, modest, strong, or a number >= 0.")
    ] = "modest",
    start_year: Annotated[int, typer.Option("--start-year", help="Year of the first offering.")] = 2013,
    self_paced: Annotated[int, typer.Option("--self-paced-courses", help="How many codes are self-paced.")] = 0,
    as_of: AsOfOpt = None,
    running_at: Annotated[str | None, typer.Option("--running-at", hidden=True, help="Old name of --as-of.")] = None,
    truth: Annotated[
        Path | None,
        typer.Option("--truth", help="Also write the oracle probabilities to this Parquet file (kept apart from the data)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Write into a folder holding other files (Parquet: replaced whole).")
    ] = False,
    per_part: Annotated[
        int, typer.Option("--learners-per-part", help="Parquet: generate and write in parts of about this many learners "
                          "(whole course codes), so memory is one part; one part is the same data as generate().")
    ] = 200_000,
    scenario: Annotated[
        str, typer.Option("--scenario", help="university (default) or corporate: employees, assigned training, HR, KPIs (docs/corporate.md).")
    ] = "university",
) -> None:
    """Generate synthetic learning data from the documented latent model (docs/synthetic.md).

    Example: learnrisk synth --learners 3000 --seed 7 --out data/synthetic/sample
    """
    from rich.console import Console

    if fmt not in _formats():
        raise LearnriskError(f"--format {fmt!r} is not known; use one of: {', '.join(_formats())}")
    if scenario == "corporate" and fmt != "parquet":
        raise LearnriskError("--scenario corporate writes Parquet only (its assignments, hr and kpis tables have no other file format)")
    check_out(out, _written_by_synth(fmt), force, "synth", "data/synthetic/sample")
    when = None
    as_of = as_of or running_at  # --running-at: the old name, kept for one release
    if as_of:
        when = parse_date(as_of)
    console = Console(stderr=True, highlight=False)
    t0 = time.perf_counter()
    if fmt == "parquet" and scenario == "university":  # written in parts of course codes: memory is one part
        with console.status(f"generating {learners:,} learners, {courses} x {offerings} offerings (seed {seed})") as status:
            def progress(part: int, parts: int) -> None:
                status.update(f"generating {learners:,} learners: part {part} of {parts} written to {out}")

            try:
                w = learnrisk.synthetic.write_parquet(
                    out, learners, courses, offerings, seed=seed, sensitive_effect=_effect(sensitive_effect),
                    start_year=start_year, self_paced_courses=self_paced, as_of=when, truth=truth,
                    learners_per_part=per_part, progress=progress,
                )  # fmt: skip
            except OSError as exc:
                raise LearnriskError(f"cannot write to {out} ({exc.filename or out}: {exc.strerror or exc})") from None
        _said(console, out, fmt, w.rows, w.outcomes, f"generated and written in {time.perf_counter() - t0:.1f} s"
              + (f" ({w.parts} parts)" if w.parts > 1 else ""), truth, w.truth_rows if truth else None)
        return
    with console.status(f"generating {learners:,} learners, {courses} x {offerings} offerings (seed {seed})") as status:
        result = learnrisk.synthetic.generate(
            learners,
            courses,
            offerings,
            seed=seed,
            sensitive_effect=_effect(sensitive_effect),
            start_year=start_year,
            self_paced_courses=self_paced,
            as_of=when,
            return_truth=truth is not None,
            scenario=scenario,
        )
        data, oracle = result if truth is not None else (result, None)
        oracle = getattr(oracle, "overdue", oracle)  # corporate: the oracle of overdue
        t1 = time.perf_counter()
        status.update(f"writing {fmt} to {out}")
        try:
            if fmt == "parquet":
                data.to_parquet(out)
            elif fmt == "oulad":
                learnrisk.write_oulad(data, out)
            else:
                learnrisk.sources.write(fmt, data, out)
            if oracle is not None:
                truth.parent.mkdir(parents=True, exist_ok=True)
                oracle.to_parquet(truth, index=False)
        except OSError as exc:  # read-only, disk full, no permission: one line (the CLI's)
            raise LearnriskError(f"cannot write to {out} ({exc.filename or out}: {exc.strerror or exc})") from None
    rows = {name: len(frame) for name, frame in data.all_tables().items()}
    _said(console, out, fmt, rows, data.enrollments["outcome"].value_counts(),
          f"generated in {t1 - t0:.1f} s, written in {time.perf_counter() - t1:.1f} s", truth,
          len(oracle) if oracle is not None else None)  # fmt: skip


def _said(console, out, fmt, rows, outcomes, timing, truth, truth_rows) -> None:
    """The one line ``synth`` prints: what it wrote, the outcome mix, the times."""
    total = max(sum(outcomes.get(k, 0) for k in ("withdrawn", "fail", "pass", "distinction")), 1)
    shares = ", ".join(f"{k} {format_percent(outcomes.get(k, 0) / total)}" for k in ("withdrawn", "fail", "pass", "distinction"))
    console.print(
        f"wrote {out} ({fmt}): {rows['courses']:,} offerings, {rows['learners']:,} learners, "
        f"{rows['enrollments']:,} enrollments, {rows['activity']:,} activity rows, {rows['submissions']:,} submissions; "
        f"outcomes: {shares}; {timing}" + (f"; truth: {truth} ({truth_rows:,} rows)" if truth_rows is not None else ""),
        markup=False,
        soft_wrap=True,
    )


COMMANDS = {"synth": synth}
