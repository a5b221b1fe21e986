"""``learnrisk demo``: the main job on built-in defaults, from nothing to a promoted model and
this week's risk list (what ``make demo`` runs).

With progress at every step:

1. synthetic data (3 course codes x 4 offerings; the latest offerings still running at the
   as-of date), generated once into ``demo-output/data`` and reused afterwards;
2. a dropout and an underperformance model, trained with a temporal split, logged to the
   embedded MLflow store (``sqlite:///mlflow.db``), registered and promoted through the quality
   gate; a model already registered for the same data is reused. When the gate refuses a
   model, the demo prints which checks failed and scores with the current champion, or, when
   there is none, with the refused model, saying so: it still ends with exit code 0;
3. the weekly scoring as of a date in the middle of the running offerings, into
   ``demo-output/risk-lists/<as-of>/`` (risk_list.csv/.parquet, report.html, summary.json);
4. the top of the risk list with drivers and actions, which model scored each target, and
   where everything is.

It uses learnrisk's public API only, like any other user of the package.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

import learnrisk
from learnrisk._format import MISSING, format_number, format_probability

from ._options import AsOfOpt, TrackingUriOpt, parse_date

AS_OF = "2014-12-01"  # week 8-9 of the offerings that started on 2014-10-01
NAMES = {"dropout": "learnrisk-dropout", "underperformance": "learnrisk-underperformance", "overdue": "learnrisk-overdue"}
CORPORATE_AS_OF = "2026-10-05"  # the third year's assignments: many open, some due soon (train on the first two)


@dataclass(frozen=True)
class DemoConfig:
    workdir: Path = Path("demo-output")
    tracking_uri: str | None = None
    n_learners: int = 5000
    seed: int = 7
    weeks: tuple[int, ...] = tuple(range(1, 17))
    as_of: str = AS_OF
    top_k: int = 20
    scenario: str = "university"  # or "corporate": the overdue model and the manager pages

    @property
    def targets(self) -> tuple[str, ...]:
        return ("overdue",) if self.scenario == "corporate" else ("dropout", "underperformance")


def demo(
    workdir: Annotated[
        Path, typer.Option("--workdir", help="Where data, risk lists and model cards go.")
    ] = Path("demo-output"),
    tracking_uri: TrackingUriOpt = None,
    learners: Annotated[int, typer.Option("--learners", help="Synthetic learners to generate (first run only).")] = 5000,
    as_of: AsOfOpt = None,
    scenario: Annotated[
        str, typer.Option("--scenario", help="university (default) or corporate: assigned training, overdue model, manager pages.")
    ] = "university",
) -> None:
    """Synthetic data -> trained, registered, promoted models -> this week's risk list and report."""
    if scenario not in ("university", "corporate"):
        raise learnrisk.LearnriskError(f"--scenario must be university or corporate, found {scenario!r}")
    corporate = scenario == "corporate"
    as_of = as_of or (CORPORATE_AS_OF if corporate else AS_OF)
    if corporate:  # its own folder, so that the two demos never mix their data
        workdir, learners, weeks = workdir / "corporate", (600 if learners == 5000 else learners), tuple(range(1, 9))
    from rich.console import Console
    from rich.table import Table

    console = Console()

    def say(msg: str) -> None:
        console.print(f"[bold cyan]\\[demo][/] {msg}")

    extra = {"scenario": scenario, "weeks": weeks} if corporate else {}
    res = run_demo(DemoConfig(workdir=workdir, tracking_uri=tracking_uri, n_learners=learners, as_of=as_of, **extra), say=say)
    risk = res["risk_list"]
    top = risk.sort_values(["risk", "course_id", "learner_id"], ascending=[False, True, True]).head(10)
    t = Table(title=f"Top of the risk list as of {as_of} ({len(risk):,} enrollments scored)", show_lines=True)
    for c in ("course", "learner", "risk", "band", "why (top driver)", "recommended action"):
        t.add_column(c)
    for _, r in top.iterrows():
        t.add_row(
            str(r["course_id"]), str(r["learner_id"]), format_probability(r["risk"]), str(r["band"]),
            _first(r.get("drivers")), _first(r.get("interventions")),
        )
    console.print(t)
    folder = res["folder"]
    uri = res["tracking_uri"]
    console.print(f"\n[bold]Risk list[/]   {folder / 'risk_list.csv'}  (and risk_list.parquet, summary.json)")
    console.print(f"[bold]Report[/]      {folder / 'report.html'}  (open it in a browser; it works from disk)")
    if corporate:
        console.print(f"[bold]Managers[/]    {folder / 'manager'}  (one page per manager: who is likely overdue, who to nudge)")
    for i, (target, label) in enumerate(res["models"].items()):
        console.print(f"[bold]{'Models' if i == 0 else '':<11}[/] {target}: {label}")
    console.print(f"[bold]Model cards[/] {workdir / 'models'}")
    console.print(f"[bold]MLflow[/]      {uri}")
    console.print(f"             open the UI with: uv run mlflow ui --backend-store-uri {uri}")
    console.print(f"\ndone in {res['seconds']:.0f} s")


COMMANDS = {"demo": demo}


def _first(cell) -> str:
    if cell is None or (isinstance(cell, float) and cell != cell):
        return MISSING
    text = str(cell)
    for sep in (" | ", "\n", "; "):
        if sep in text:
            return text.split(sep)[0]
    return text


def _data(cfg: DemoConfig, say):
    folder = cfg.workdir / "data"
    if folder.exists():
        say(f"reusing the synthetic data in {folder}")
        return learnrisk.load_data(folder)
    if cfg.scenario == "corporate":
        say(f"generating a synthetic company: {cfg.n_learners:,} employees, 4 courses x 3 years (seed {cfg.seed})")
        data = learnrisk.synthetic.generate(
            n_learners=cfg.n_learners, seed=cfg.seed, as_of=parse_date(cfg.as_of), scenario="corporate", years=3
        )
        data.to_parquet(folder)
        return data
    say(f"generating synthetic data: {cfg.n_learners:,} learners, 3 course codes x 4 offerings (seed {cfg.seed})")
    data = learnrisk.synthetic.generate(
        n_learners=cfg.n_learners, n_courses=3, offerings=4, seed=cfg.seed, as_of=parse_date(cfg.as_of)
    )
    data.to_parquet(folder)
    return data


def _model(data, target: str, cfg: DemoConfig, say):
    """The model this target is scored with, and a line naming it.

    A model already registered for the same data is reused; otherwise one is trained, logged,
    registered and put through the gate with ``promote=True``. When the gate refuses it, the
    demo says which checks failed and scores with the current champion if there is one, else
    with the refused model itself, named as such (a demo must still end with a risk list).
    """
    training = learnrisk.training
    name = NAMES[target]
    reused = _trained_on(name, data.digest(), cfg.tracking_uri)
    if reused is not None:
        version, passed, why = reused
        model = learnrisk.load_model(f"models:/{name}/{version}", tracking_uri=cfg.tracking_uri)
        say(f"{target}: reusing {name} version {version}, already trained on this data")
    else:
        t0 = time.perf_counter()
        model, report = learnrisk.train(data, target, weeks=cfg.weeks, top_k=cfg.top_k, progress=lambda m: say(f"{target}: {m}"))
        say(f"{target}: logging to MLflow, registering {name}, applying the quality gate")
        card = training.model_card(model, report, name=name)
        tracked = training.log_run(model, report, data=data, tracking_uri=cfg.tracking_uri, register=name, promote=True, card=card)
        (cfg.workdir / "models").mkdir(parents=True, exist_ok=True)
        (cfg.workdir / "models" / f"{name}.md").write_text(card)
        o = report.overall()
        version, passed, why = tracked.version, tracked.promoted, tracked.gate.why_not()
        say(
            f"{target}: test AUC {format_number(o['roc_auc'])} (logistic {format_number(report.overall('logistic')['roc_auc'])}, "
            f"rule {format_number(report.overall('rule')['roc_auc'])}), ECE {format_number(o['ece'])}, "
            f"{'promoted to champion' if passed else 'NOT promoted'} (version {version}) "
            f"in {time.perf_counter() - t0:.0f} s"
        )
        say(f"{target}: {tracked.gate}")
    if passed:
        label = f"{name} version {version} (champion)"
    else:
        say(f"{target}: the gate refused {name} version {version}: {why}")
        champion = _champion(name, cfg.tracking_uri)
        if champion is not None:
            model = champion
            label = f"{name} version {champion.metadata.get('version')} (the current champion; version {version} was refused)"
        else:
            label = f"{name} version {version} (refused by the gate; no champion to fall back on, so used anyway, as a demo)"
    say(f"{target}: scoring with {label}")
    return model, label


def _champion(name: str, tracking_uri: str):
    try:
        return learnrisk.load_model(f"models:/{name}@champion", tracking_uri=tracking_uri)
    except learnrisk.ModelLoadError:
        return None


def _trained_on(name: str, digest: str, tracking_uri: str) -> tuple[str, bool, str] | None:
    """A version of ``name`` trained on data with this digest: the champion if it is one, else
    the newest such version (a gate may have refused it), else None. Returns (version, whether
    it is the champion, the failed checks of its gate when it is not)."""
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    try:
        versions = client.search_model_versions(f"name='{name}'")
    except Exception:
        return None
    same = [v for v in versions if client.get_run(v.run_id).data.tags.get("learnrisk.data_digest") == digest]
    if not same:
        return None
    try:  # search_model_versions does not fill in the aliases
        current = str(client.get_model_version_by_alias(name, "champion").version)
    except MlflowException:
        current = None
    champion = [v for v in same if str(v.version) == current]
    best = champion[0] if champion else max(same, key=lambda v: int(v.version))
    tags = best.tags or {}
    failed = [f"{k.removeprefix('gate.')}: {v.removeprefix('failed: ')}" for k, v in sorted(tags.items()) if k.startswith("gate.") and v.startswith("failed")]
    why = "; ".join(failed) or tags.get("gate_reasons", "the gate's reasons were not recorded")
    return str(best.version), bool(champion), why


def run_demo(cfg: DemoConfig = DemoConfig(), say=print) -> dict:
    """Run the main job; return the paths of what it wrote."""
    import pandas as pd

    t0 = time.perf_counter()
    cfg.workdir.mkdir(parents=True, exist_ok=True)
    uri = learnrisk.training.resolve_tracking_uri(cfg.tracking_uri)
    cfg = DemoConfig(**{**cfg.__dict__, "tracking_uri": uri})
    data = _data(cfg, say)
    say(f"data: {data!r}")
    chosen = {t: _model(data, t, cfg, say) for t in cfg.targets}
    models = {t: m for t, (m, _) in chosen.items()}
    out = cfg.workdir / "risk-lists"
    folder = out / cfg.as_of
    if folder.exists():
        say(f"reusing the risk list already written for {cfg.as_of} in {folder}")
        risk = pd.read_parquet(folder / "risk_list.parquet")
    else:
        say(f"scoring the running offerings as of {cfg.as_of}")
        result = learnrisk.score(
            data, cfg.as_of, models[cfg.targets[0]], models.get("underperformance"), out=out, top_k=cfg.top_k,
            on_step=lambda s: say(f"scoring: {s}"),
        )
        risk = result.risk_list
    return {
        "risk_list": risk, "folder": folder, "tracking_uri": uri, "seconds": time.perf_counter() - t0,
        "models": {t: label for t, (_, label) in chosen.items()},
    }
