"""Imports point down only: approvals → workflow → registration (issue 12, STYLE.md).

Every import statement in the three packages is read from the source (function-level
imports included), so a lazy import can't hide an upward dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The Django project files beside the processes wire every app together (URLs, the
# Celery app's task discovery, settings naming middleware): they sit above all three.
PROJECT_FILES = frozenset(
    {"workflow/settings.py", "workflow/urls.py", "workflow/celery.py", "workflow/wsgi.py"}
)


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def _forbidden(relative: str) -> tuple[str, ...]:
    """The top-level packages the file at ``relative`` may not import."""
    if relative in PROJECT_FILES:
        return ()
    if relative.startswith("registration/views/"):
        return ("approvals",)  # an applicant's page may call the process services
    if relative.startswith("registration/"):
        return ("workflow", "approvals")
    if relative.startswith("workflow/"):
        return ("approvals",)
    return ()


def upward_imports() -> list[str]:
    problems = []
    for package in ("registration", "workflow", "approvals"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            forbidden = _forbidden(relative)
            for line, module in _imported_modules(path):
                if module.split(".")[0] in forbidden:
                    problems.append(f"{relative}:{line} imports {module}")
    return problems


def test_no_package_imports_one_above_it() -> None:
    assert upward_imports() == []


def test_the_walk_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "sample.py"
    module.write_text("def f():\n    from approvals import services\n    import workflow.flows\n")

    assert _imported_modules(module) == [(2, "approvals"), (3, "workflow.flows")]
    assert _forbidden("registration/services/x.py") == ("workflow", "approvals")
    assert _forbidden("workflow/services.py") == ("approvals",)
    assert _forbidden("approvals/services.py") == ()
