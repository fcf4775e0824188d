"""The design rules (docs/architecture.md) that import-linter cannot see.

import-linter checks the `canvas` package (pyproject.toml). The pages are Streamlit scripts, not a
package, and "only canvas/db speaks SQL" is about what code does, not what it imports: both are
checked here by reading the source.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
# What a page may not import: it shows what canvas.dashboard loads and never fetches or queries itself.
PAGE_FORBIDDEN = ("canvas.api", "canvas.db", "canvas.sync.runner", "canvas.sync.fetch", "canvas.worker",
                  "canvas.tokens", "sqlalchemy", "psycopg", "requests", "urllib3")
SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|LISTEN|NOTIFY|CREATE|ALTER|DROP)\s", re.MULTILINE)
SQL_CALLS = {"text", "exec_driver_sql", "create_engine"}
SQLALCHEMY_NAMES = {"sa", "sqlalchemy"}  # `st.text(...)` is Streamlit, `sa.text(...)` is SQL


def imported_modules(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def speaks_sql(tree: ast.AST) -> list[str]:
    """SQL text, sqlalchemy's text()/create_engine() or exec_driver_sql, with the line they are on."""
    hits = []
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)  # prose, e.g. "DELETE /login/oauth2/token"
                  if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                  and n.body and isinstance(n.body[0], ast.Expr)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings \
                and SQL.search(node.value):
            hits.append(f"l.{node.lineno}: SQL string")
        elif isinstance(node, ast.Call):
            fn = node.func
            if isinstance(fn, ast.Name):
                name = fn.id
            elif isinstance(fn, ast.Attribute) and (fn.attr == "exec_driver_sql" or (
                    isinstance(fn.value, ast.Name) and fn.value.id in SQLALCHEMY_NAMES)):
                name = fn.attr
            else:
                continue
            if name in SQL_CALLS:
                hits.append(f"l.{node.lineno}: {name}()")
    return hits


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_pages_only_show_what_the_dashboard_loads(page: Path) -> None:
    tree = ast.parse(page.read_text(), str(page))
    bad = sorted(m for m in imported_modules(tree) if m.startswith(PAGE_FORBIDDEN))
    assert not bad, f"{page.name} reaches past canvas.dashboard: {bad}"
    assert not speaks_sql(tree), f"{page.name} speaks SQL"


def test_only_canvas_db_speaks_sql() -> None:
    offenders = {}
    for path in sorted((ROOT / "canvas").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(("canvas/db/", "canvas/simulator/")):  # the simulator is Canvas, not us
            continue
        if hits := speaks_sql(ast.parse(path.read_text(), rel)):
            offenders[rel] = hits
    assert not offenders, f"SQL outside canvas/db (move it behind a canvas.db function): {offenders}"


def test_the_checks_see_sql_and_forbidden_imports() -> None:
    """The detectors themselves: a page that queries, a module that builds an engine."""
    page = ast.parse("from canvas.db import reads\nimport streamlit as st\n")
    assert imported_modules(page) >= {"canvas.db", "canvas.db.reads"}
    assert speaks_sql(ast.parse('conn.execute(text("SELECT 1"))'))
    assert speaks_sql(ast.parse('cur.execute(f"LISTEN {channel}")')) == ["l.1: SQL string"]
    assert speaks_sql(ast.parse('e = sa.create_engine(url)')) == ["l.1: create_engine()"]
    assert speaks_sql(ast.parse('conn.exec_driver_sql(q)')) == ["l.1: exec_driver_sql()"]
    assert not speaks_sql(ast.parse('st.text("Select a course")\nst.caption("Update: done")'))
