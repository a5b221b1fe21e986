"""The package's shape, checked: layers, a lazy public face, one owner per exception.

``docs/architecture.md`` describes the layers; these tests make a back edge, an eager heavy
import or a stray exception class fail CI.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "learnrisk"
HEAVY = ("sklearn", "scipy", "lightgbm", "mlflow", "matplotlib", "shap", "fairlearn")
# learnrisk modules that are themselves a heavy optional dependency, imported where used
HEAVY_OWN = {"learnrisk.training._pyfunc": "defines a subclass of mlflow.pyfunc.PythonModel"}


def _modules_after(code: str) -> set[str]:
    """Top-level package names in sys.modules after running ``code`` in a fresh interpreter."""
    probe = code + "\nimport json, sys\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_import_learnrisk_loads_no_heavy_library():
    loaded = _modules_after("import learnrisk")
    assert not loaded & set(HEAVY), f"import learnrisk loaded {sorted(loaded & set(HEAVY))}"


def test_public_names_resolve_lazily_and_are_the_owners_objects():
    import learnrisk

    for name in learnrisk.__all__:
        assert getattr(learnrisk, name) is not None, name
    from learnrisk.training import train

    assert learnrisk.train is train
    assert learnrisk.training.train is train
    assert inspect.ismodule(learnrisk.fairness) and inspect.ismodule(learnrisk.synthetic)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        learnrisk.nope  # noqa: B018


def test_no_public_verb_shares_its_name_with_a_subpackage():
    """``learnrisk.train`` is a function and stays one whatever was imported before."""
    import learnrisk

    subpackages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    for name in learnrisk.__all__:
        obj = getattr(learnrisk, name)
        if not inspect.ismodule(obj):
            assert name not in subpackages, f"learnrisk.{name} is both a {type(obj).__name__} and a subpackage"


def _package_modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_exception_is_defined_in_errors_and_exported():
    errors = importlib.import_module("learnrisk.errors")
    found = []
    for path in _package_modules():
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name.endswith(("Error", "Exception")):
                found.append((path.relative_to(ROOT).as_posix(), node.name))
    stray = [f"{p}: {name}" for p, name in found if p != "learnrisk/errors.py"]
    assert not stray, f"exceptions defined outside learnrisk/errors.py: {stray}"
    missing = [name for _, name in found if name not in errors.__all__]
    assert not missing, f"exceptions missing from errors.__all__: {missing}"


def _function_level_imports(path: Path) -> list[tuple[int, str]]:
    """Imports inside functions or methods: (line, module) with relative modules resolved."""
    tree = ast.parse(path.read_text())
    parts = path.relative_to(ROOT).with_suffix("").parts
    package = parts[:-1] if parts[-1] != "__init__" else parts[:-1]
    out = []
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.Import):
                out += [(node.lineno, a.name) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[: len(package) - node.level + 1]
                    mod = ".".join(base + ((node.module,) if node.module else ()))
                else:
                    mod = node.module or ""
                out.append((node.lineno, mod))
    return out


def test_function_level_imports_only_for_heavy_optional_libraries():
    """learnrisk's own modules are imported at module top (so the import graph is the real one),
    except in the command line, whose start must stay fast (it reaches the library lazily)."""
    offenders = []
    for path in _package_modules():
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(("learnrisk/commands/", "learnrisk/cli.py")):
            continue
        for line, mod in _function_level_imports(path):
            if (mod == "learnrisk" or mod.startswith("learnrisk.")) and mod not in HEAVY_OWN:
                offenders.append(f"{rel}:{line} imports {mod}")
    assert not offenders, "function-level imports of learnrisk's own modules:\n" + "\n".join(offenders)


def test_layers_contract_holds():
    """The import-linter contract in pyproject.toml (also run by `make test` before pytest)."""
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    if not Path(exe).exists():
        pytest.skip("lint-imports is not installed (uv sync installs it with the dev group)")
    res = subprocess.run([exe, "--no-cache"], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
