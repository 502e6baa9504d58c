"""The one import direction, checked on the source: no import cycles among opsbot's modules, and no
import against the layers (front ends -> facade -> agent core -> tools).

Every import statement counts, those inside functions and under ``TYPE_CHECKING`` included, and
relative imports are resolved; a module importing its own enclosing package does not (that package
is always imported first). Inside tools/, the registry and runtime come above the domain
packages, which come above the tool core and AWS access (base, kinds, catalog, aws, guard,
sandbox, ...).
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("agent", "tools", "deploy", "evals")
FRONT_ENDS = ("agent.cli", "agent.frontends", "agent.slack", "deploy", "evals")
FACADE = ("agent.service",)
TOOLS_TOP = ("tools.registry", "tools.runtime")
DOMAINS = ("tools.training", "tools.inference", "tools.cache", "tools.data", "tools.cost")


def _under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def layer(module: str) -> int:
    """Higher layers may import lower ones, never the other way round."""
    if _under(module, FRONT_ENDS):
        return 6
    if _under(module, FACADE):
        return 5
    if _under(module, ("agent",)):
        return 4
    if _under(module, TOOLS_TOP):
        return 3
    if _under(module, DOMAINS):
        return 2
    return 1  # the tool core and AWS access: tools.base, tools.aws, tools.sandbox, ...


@cache
def modules() -> dict[str, Path]:
    """Every module of the checked packages, by dotted name."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _resolve(name: str) -> str | None:
    """The checked module an import names: itself, or its nearest package that is one."""
    known = modules()
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str) -> set[str]:
    """The checked modules ``module`` imports, anywhere in its code."""
    path = modules()[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from pkg import mod`` imports the module pkg.mod when there is one.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules() else base for alias in node.names]
        else:
            continue
        out |= {t for t in map(_resolve, targets) if t and not module.startswith(t + ".") and t != module}
    return out


def graph() -> dict[str, set[str]]:
    """Module -> the checked modules it imports."""
    return {m: imports_of(m) for m in modules()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_checker_sees_imports_inside_functions_and_relative_ones(tmp_path: Path) -> None:
    # GIVEN two modules that import each other, one of them inside a function
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    # THEN the cycle is found, and only it
    assert cycles(edges) == [["a", "b", "c"]]
    # AND on opsbot's own code, an import inside a function counts (the CLI loads its commands late)
    assert "agent.frontends.cli_tools" in imports_of("agent.cli")
    assert "tools.training.clusters" in imports_of("tools.training")


def test_no_import_cycles() -> None:
    assert cycles(graph()) == []


def test_imports_follow_the_layers() -> None:
    against = sorted(
        f"{module} ({layer(module)}) imports {target} ({layer(target)})"
        for module, targets in graph().items()
        for target in targets
        if layer(target) > layer(module)
    )
    assert against == []


def test_tools_never_import_the_agent_evals_or_deploy() -> None:
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in graph().items()
        if module.startswith("tools")
        for target in targets
        if not target.startswith("tools")
    )
    assert wrong == []
