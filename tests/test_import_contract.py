"""The layering, checked on the import graph (``make lint`` runs this file).

Every ``import`` statement in ``bot/`` counts, including those inside functions and under
``TYPE_CHECKING``: a lazy import is still a dependency.

- Only ``bot/telegram/`` imports ``telegram``.
- The core never imports an adapter (``bot.telegram``, ``bot.console``, the CLI), the start-up
  code or the import/export code.
- ``bot.render`` imports no service (the admin service, import/export, backups, follows,
  feedback, pictures, start-up).
- SQL lives only under ``bot/store/``: nothing else calls ``execute``, ``executemany`` or
  ``executescript``, opens a connection (``sqlite3.connect``), or holds a string that reads as
  a SQL statement.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

BOT = Path(__file__).resolve().parent.parent / "bot"

ADAPTERS = ("bot.telegram", "bot.console", "bot.__main__")
CORE = ("bot.domain", "bot.store", "bot.names", "bot.answers", "bot.tree", "bot.sync", "bot.queries",
        "bot.cache", "bot.render", "bot.i18n", "bot.texts", "bot.texts_zh", "bot.rules", "bot.feedback",
        "bot.follows", "bot.maps", "bot.ratelimit",
        "bot.config", "bot.logs")
SERVICES = ("bot.admin", "bot.dataset", "bot.backups", "bot.follows", "bot.feedback", "bot.pictures",
            "bot.startup")
KNOWN: set[tuple[str, str]] = set()
"""Edges that break a rule today and must go; no new ones."""


def module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> Iterator[str]:
    """Every module ``path`` imports; ``from bot import dataset`` counts as ``bot.dataset``."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            assert node.level == 0, f"{path}: relative import"
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def graph() -> dict[str, set[str]]:
    return {module_name(path): set(imports(path)) for path in sorted(BOT.rglob("*.py"))}


def within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def known(module: str, name: str) -> bool:
    return any(module == source and within(name, (target,)) for source, target in KNOWN)


def broken(rule: tuple[str, ...], target: tuple[str, ...]) -> list[str]:
    return sorted(f"{module} imports {name}" for module, names in graph().items() if within(module, rule)
                  for name in names if within(name, target) and not within(module, target)
                  and not known(module, name))


def test_only_the_telegram_adapter_imports_telegram() -> None:
    outside = sorted(f"{module} imports {name}" for module, names in graph().items()
                     if not within(module, ("bot.telegram",))
                     for name in names if within(name, ("telegram",)))
    assert not outside


def test_nothing_imports_private_ptb_modules() -> None:
    private = sorted(f"{module} imports {name}" for module, names in graph().items() for name in names
                     if within(name, ("telegram",)) and any(p.startswith("_") for p in name.split(".")))
    assert not private


def test_the_core_imports_no_adapter_start_up_or_import_code() -> None:
    assert not broken(CORE, (*ADAPTERS, "bot.startup", "bot.dataset"))


def test_render_imports_no_service() -> None:
    assert not broken(("bot.render",), SERVICES)


def test_the_known_exceptions_still_exist() -> None:
    """An exception that is gone leaves the list, so it cannot come back unnoticed."""
    edges = graph()
    for source, target in KNOWN:
        assert any(within(name, (target,)) for name in edges[source]), (source, target)


def test_the_walk_sees_the_imports() -> None:
    """The checks above would pass on an empty graph: the walk must find known edges."""
    edges = graph()
    assert "bot.telegram.app" in edges and "telegram" in {n.split(".")[0] for n in edges["bot.telegram.app"]}
    assert "bot.dataset" in edges["bot.startup"]


STORE = BOT / "store"
SQL_CALLS = frozenset({"execute", "executemany", "executescript", "execute_fetchall", "connect"})
SQL_TEXT = re.compile(
    r"\b(SELECT\b[\s\S]*\bFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+(OR\s+\w+\s+)?\w+\s+SET|"
    r"DELETE\s+FROM|CREATE\s+(TABLE|INDEX|TRIGGER|VIEW)|DROP\s+(TABLE|INDEX|TRIGGER)|PRAGMA\s+\w+|"
    r"BEGIN(\s+IMMEDIATE)?\s*$|COMMIT\s*$|ROLLBACK\s*$)")
"""Statements as the store writes them: upper-case keywords (user-facing text never is)."""


def sql_outside_the_store(path: Path, root: Path = BOT.parent) -> Iterator[str]:
    """Each SQL call or SQL-looking string in ``path``, as ``file:line: what``."""
    where = path.relative_to(root)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in SQL_CALLS:
            owner = node.func.value
            if node.func.attr != "connect" or (isinstance(owner, ast.Name) and owner.id == "sqlite3"):
                yield f"{where}:{node.lineno}: .{node.func.attr}(...)"
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and SQL_TEXT.search(node.value.strip()):
            yield f"{where}:{node.lineno}: {node.value.strip()[:60]!r}"


def test_sql_lives_only_in_the_store() -> None:
    outside = [found for path in sorted(BOT.rglob("*.py")) if STORE not in path.parents
               for found in sql_outside_the_store(path)]
    assert not outside, "\n".join(outside)


def test_the_sql_check_sees_sql(tmp_path: Path) -> None:
    """The check above would pass if it saw nothing: it must find the SQL of the store itself,
    and every shape of SQL a module outside it could carry."""
    assert len([f for path in STORE.glob("*.py") for f in sql_outside_the_store(path)]) > 50
    sample = tmp_path / "bot" / "sample.py"
    sample.parent.mkdir()
    sample.write_text(
        'import sqlite3\n'
        'conn = sqlite3.connect("x")\n'
        'conn.execute("select 1")\n'
        'conn.executemany(QUERY, rows)\n'
        'QUERY = "DELETE FROM follow WHERE chat_id = ?"\n'
        'OTHER = """\nSELECT id\n  FROM fact\n"""\n'
        'PLAIN = "Select a company from the list, then update it."\n', encoding="utf-8")
    found = list(sql_outside_the_store(sample, tmp_path))
    assert [line.split(":")[1] for line in found] == ["2", "3", "4", "5", "6"], found

