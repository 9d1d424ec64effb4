"""The source reads like the rest of the code: PEP 8's two blank lines around top-level
definitions (a merge once glued one class to the end of another); and it uses nothing that the
service's start-up has switched off."""
import ast
from pathlib import Path

import widget_service

PACKAGE = Path(widget_service.__file__).parent


def crowded_definitions(path):
    """``[(line, name)]`` of top-level classes and functions with no two blank lines in the gap
    after the code before them (comments in that gap, such as a section heading, are fine)."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    crowded = []
    for index, node in enumerate(ast.parse(source).body):
        if index == 0 or not isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        start = end = min([node.lineno] + [decorator.lineno for decorator in node.decorator_list]) - 1
        while start > 0 and (not lines[start - 1].strip() or lines[start - 1].startswith("#")):
            start -= 1
        gap = lines[start:end]
        if not any(not a.strip() and not b.strip() for a, b in zip(gap, gap[1:])):
            crowded.append((node.lineno, node.name))
    return crowded


def test_top_level_definitions_have_two_blank_lines_before_them():
    found = {str(path.relative_to(PACKAGE)): crowded for path in sorted(PACKAGE.rglob("*.py")) if (crowded := crowded_definitions(path))}
    assert found == {}


def test_no_rate_limit_is_declared_with_deduct_when():
    """``ratelimits.init_app`` unhooks Flask-Limiter's after-request pass (it only adds headers,
    which are off, and deducts the limits declared with ``deduct_when``): such a limit would
    silently never count. Declare it only after keeping that hook."""
    users = [str(path.relative_to(PACKAGE)) for path in sorted(PACKAGE.rglob("*.py"))
             if "deduct_when=" in path.read_text(encoding="utf-8").replace(" ", "")]
    assert users == []
