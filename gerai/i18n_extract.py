"""Babel extractor for text that is translated at the edge rather than where it is written.

Services never import gettext: a domain error carries an English template that the API's error
handler or a page translates with `gettext(template, **params)`. Babel's Python extractor only
sees `_()`/`gettext()` calls, so this one (used for every `.py` file through `babel.cfg`) yields
what that extractor finds and also:

- `template = "..."` in a class body (the message of a `DomainError` subclass);
- the first positional string of a call whose name ends in an error word (`Invalid("...")`,
  `Conflict("...")`, `NotFound("...")`, `ValidationError("...")`), built-in exceptions excepted;
- the label of a top-bar link, `add_nav(app, "/stock", "Stock", roles)`;
- the strings of the tuples, lists and dicts (their values) assigned to the names given in the
  `vocabularies` option: code words the pages show through `_(word)` (roles, statuses, movement
  kinds, categories) and tables of messages such as `HTTP_MESSAGES`.

The AST is read, never executed, so extraction imports nothing from the project.
"""
from __future__ import annotations

import ast
import builtins
import io
from collections.abc import Iterator
from typing import Any, BinaryIO

from babel.messages.extract import extract_python

CALL_SUFFIXES = ("Error", "Invalid", "Conflict", "NotFound", "Forbidden", "Stock", "Het", "Exceeded",
                 "Required", "Credentials", "Attempts")
NAV_LABEL_POSITION = {"add_nav": 2}
BUILTIN_NAMES = frozenset(dir(builtins))


def _text(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip():
        return node.value
    return None


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def _targets(node: ast.Assign | ast.AnnAssign) -> list[str]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return [t.id for t in targets if isinstance(t, ast.Name)]


def _class_templates(cls: ast.ClassDef) -> Iterator[ast.Constant]:
    for stmt in cls.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and "template" in _targets(stmt):
            if _text(stmt.value):
                yield stmt.value  # type: ignore[misc]


def _call_message(call: ast.Call, suffixes: tuple[str, ...]) -> ast.Constant | None:
    name = _call_name(call)
    if name in NAV_LABEL_POSITION:
        position = NAV_LABEL_POSITION[name]
        arg = call.args[position] if len(call.args) > position else None
    elif name.endswith(suffixes) and name not in BUILTIN_NAMES and call.args:
        arg = call.args[0]
    else:
        return None
    return arg if _text(arg) else None  # type: ignore[return-value]


def _vocabulary(node: ast.Assign | ast.AnnAssign, names: frozenset[str]) -> Iterator[ast.Constant]:
    if not names.intersection(_targets(node)):
        return
    value = node.value
    items = value.values if isinstance(value, ast.Dict) else getattr(value, "elts", [])
    yield from (item for item in items if _text(item))


def domain_messages(tree: ast.AST, vocabularies: frozenset[str] = frozenset(),
                    suffixes: tuple[str, ...] = CALL_SUFFIXES) -> Iterator[tuple[int, str]]:
    """(line, msgid) of every message found in a parsed module, in source order."""
    found: list[ast.Constant] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            found.extend(_class_templates(node))
        elif isinstance(node, ast.Call):
            message = _call_message(node, suffixes)
            if message is not None:
                found.append(message)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and vocabularies:
            found.extend(_vocabulary(node, vocabularies))
    for const in sorted(found, key=lambda c: (c.lineno, c.col_offset)):
        yield const.lineno, const.value


def _words(option: Any) -> tuple[str, ...]:
    if not option:
        return ()
    if isinstance(option, str):
        option = option.replace(",", " ").split()
    return tuple(option)


def extract_domain_messages(fileobj: BinaryIO, keywords, comment_tags, options: dict[str, Any]):
    """Babel extraction method: Babel's own Python extraction plus the domain messages above."""
    source = fileobj.read()
    yield from extract_python(io.BytesIO(source), keywords, comment_tags, options)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return
    suffixes = _words(options.get("call_suffixes")) or CALL_SUFFIXES
    for lineno, message in domain_messages(tree, frozenset(_words(options.get("vocabularies"))), suffixes):
        yield lineno, None, message, []
