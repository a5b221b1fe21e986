"""The ``learnrisk`` command line: a thin layer over the public API.

Each command lives in ``learnrisk/commands/<area>.py`` with a ``register(app)`` function, so
that a command is read beside nothing but its own options. Every error learnrisk raises on
purpose (bad data, a missing model, an unreachable tracking server) becomes one line on
standard error and exit code 2; never a bare stack trace.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer

from .errors import DataValidationError, LearnriskError

COMMAND_MODULES = ("data", "synth", "features", "train", "explain", "score", "demo", "fairness")

app = typer.Typer(
    name="learnrisk",
    help="Early-warning risk models for learners: data, as-of features, training, explanations, weekly risk lists.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_all() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f".commands.{name}", __package__)
        except ModuleNotFoundError as exc:
            if exc.name == f"{__package__}.commands.{name}":
                continue
            raise
        module.register(app)


def fail(message: str, code: int = 2) -> None:
    """Print one line to standard error and exit with ``code``."""
    typer.echo(f"learnrisk: error: {message}", err=True)
    raise SystemExit(code)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    # MLflow's INFO and WARNING lines (database migrations, uv detection, pip resolution,
    # artifact downloads) drown the command's own progress; its errors still show.
    # LEARNRISK_VERBOSE=1 (or MLFLOW_LOGGING_LEVEL) brings them back.
    if not os.environ.get("LEARNRISK_VERBOSE"):
        os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "ERROR")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    _register_all()
    try:
        app(args=argv, standalone_mode=False)
    except DataValidationError as exc:
        typer.echo(f"learnrisk: invalid data: {exc.one_line()}", err=True)
        if os.environ.get("LEARNRISK_VERBOSE"):
            typer.echo(str(exc), err=True)
        raise SystemExit(2) from None
    except LearnriskError as exc:
        fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("learnrisk: interrupted", err=True)
        raise SystemExit(130) from None
    except typer.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except Exception as exc:  # click usage errors and the like
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            raise SystemExit(2) from None
        raise


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
