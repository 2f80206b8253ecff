"""The layering, checked on the import graph (``make lint`` runs this file).

Every ``import`` statement in ``bot/`` counts, including those inside functions and under
``TYPE_CHECKING``: a lazy import is still a dependency.

- Only ``bot/telegram/`` imports ``telegram``.
- The core never imports an adapter (``bot.telegram``, ``bot.console``, the CLI), the start-up
  code or the import/export code.
- ``bot.render`` imports no service (the admin service, import/export, backups, follows,
  feedback, pictures, start-up).
"""

from __future__ import annotations

import ast
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
KNOWN = {
    ("bot.render", "bot.admin"),  # admin replies (fact history, the roster, refusals)
    ("bot.render", "bot.dataset"),  # the import report
}
"""Edges that break a rule today and go when admin output moves out of render; no new ones."""


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
