"""The agent names no catalog tool in its code: graph, models and front ends work from the declarations.

Docstrings and comments may give examples; strings, names and attributes in the code may not.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tools import registry

AGENT = Path(__file__).resolve().parents[2] / "agent"


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the constant nodes that are docstrings (of modules, classes and functions)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = getattr(node, "body", [])
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


def code_words(source: str) -> list[tuple[int, str]]:
    """(line, text) of every string constant, name, attribute and definition in the code, not docstrings."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            out.append((node.lineno, node.value))
        elif isinstance(node, ast.Name):
            out.append((node.lineno, node.id))
        elif isinstance(node, ast.Attribute):
            out.append((node.lineno, node.attr))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.append((node.lineno, node.name))
        elif isinstance(node, (ast.arg, ast.keyword)) and node.arg:
            out.append((node.lineno, node.arg))
    return out


def tool_names_in(source: str, names: list[str]) -> list[tuple[int, str]]:
    """(line, tool name) for each catalog tool named in the code."""
    pattern = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(map(re.escape, names)) + r")(?![A-Za-z0-9_])")
    return [(line, m.group(1)) for line, text in code_words(source) for m in pattern.finditer(text)]


def test_the_scan_finds_a_tool_named_in_code_and_not_in_a_docstring() -> None:
    # GIVEN a module that names a tool in a string and another in its docstring
    source = '"""Calls list_endpoints, for example."""\nTOOL = "scale_endpoint"\n# delete_endpoint\n'
    # THEN only the code counts
    assert tool_names_in(source, ["list_endpoints", "scale_endpoint", "delete_endpoint"]) == [(2, "scale_endpoint")]


def test_no_module_of_the_agent_names_a_catalog_tool() -> None:
    # GIVEN every registered tool's name
    names = [t.name for t in registry.tools()]
    # WHEN each module of agent/ is scanned
    found = {
        str(path.relative_to(AGENT.parent)): hits
        for path in sorted(AGENT.rglob("*.py"))
        if (hits := tool_names_in(path.read_text(encoding="utf-8"), names))
    }
    # THEN none names one
    assert found == {}
