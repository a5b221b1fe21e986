"""The ``learnrisk`` command line: a thin layer over the public API.

Each command is a module-level function in ``learnrisk/commands/<area>.py``, listed in that
module's ``COMMANDS``; the options shared by several commands are declared once, as typed
aliases, in ``learnrisk/commands/_options.py``. Importing the commands is cheap (no pandas,
scikit-learn, SciPy, LightGBM or MLflow), so ``learnrisk --help`` is fast.

Every error learnrisk raises on purpose (bad data, a missing model, an unreachable tracking
server) and every usage error (an unknown option, a misspelt command, a missing option) becomes
one line on standard error, ``learnrisk: error: ...``, and exit code 2; never a bare stack trace.
So does an error of the operating system that no command words itself (a read-only or full
disk, a path that is a file where a folder is expected): :func:`os_error_line` names the path
and the cause.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

import learnrisk

from .commands import corporate, data, demo, explain, fairness, features, impact, importing, monitor, score, synth, train
from .errors import DataValidationError, LearnriskError

COMMAND_MODULES = (data, importing, synth, features, train, explain, score, demo, fairness, impact, monitor, corporate)

app = typer.Typer(
    name="learnrisk",
    help="Early-warning risk models for learners: data, as-of features, training, explanations, weekly risk lists.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"learnrisk {learnrisk.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    pass


for _module in COMMAND_MODULES:
    for _name, _command in _module.COMMANDS.items():
        app.command(_name)(_command)


def fail(message: str, code: int = 2) -> None:
    """Print one line to standard error and exit with ``code``."""
    typer.echo(f"learnrisk: error: {message}", err=True)
    raise SystemExit(code)


def os_error_line(exc: OSError) -> str:
    """``cannot write ... (path: cause)`` in one line, for an ``OSError`` no command worded."""
    paths = [p for p in (exc.filename, exc.filename2) if p is not None]
    where = " -> ".join(os.fsdecode(p) for p in paths)
    cause = exc.strerror or str(exc) or type(exc).__name__
    return f"{where}: {cause}" if where else cause


def _usage_error(exc: typer.TyperException) -> None:
    """An unknown option, a misspelt command, a missing option: one line, exit 2.

    (Typer's own click raises them as ``typer.TyperException``; a usage error carries a ``ctx``.)
    """
    ctx = getattr(exc, "ctx", None)
    if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:  # plain ``learnrisk``: the help
        typer.echo(ctx.get_help())
        raise SystemExit(2)
    message = " ".join(exc.format_message().split())
    if ctx is not None:
        message += f" (see: {ctx.command_path} --help)"
    fail(message)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    # MLflow's INFO and WARNING lines (database migrations, uv detection, pip resolution,
    # artifact downloads) drown the command's own progress; its errors still show.
    # LEARNRISK_VERBOSE=1 (or MLFLOW_LOGGING_LEVEL) brings them back.
    if not os.environ.get("LEARNRISK_VERBOSE"):
        os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "ERROR")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    try:
        code = app(args=argv, prog_name="learnrisk", standalone_mode=False)
    except DataValidationError as exc:
        typer.echo(f"learnrisk: invalid data: {exc.one_line()}", err=True)
        if os.environ.get("LEARNRISK_VERBOSE"):
            typer.echo(str(exc), err=True)
        raise SystemExit(2) from None
    except LearnriskError as exc:
        fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    except OSError as exc:  # one no command worded: read-only, disk full, not a folder
        fail(os_error_line(exc))
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("learnrisk: interrupted", err=True)
        raise SystemExit(130) from None
    except typer.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except typer.TyperException as exc:  # usage errors and the like
        _usage_error(exc)
    else:
        if isinstance(code, int) and code != 0:  # typer.Exit(1) is returned, not raised, here
            raise SystemExit(code)


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
