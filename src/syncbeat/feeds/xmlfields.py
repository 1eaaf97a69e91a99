"""Fields of an XML product element: "name" (a child), "a/b" (nested), "@id", "a/@id"."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from syncbeat.feeds.base import Values

Getter = Callable[[Any], str | None]


def picker(fields: Sequence[str], namespace: str) -> Callable[[Any], Values]:
    """A function from a product element to its fields; children match in its `namespace`."""
    prefix = f"{{{namespace}}}" if namespace else ""
    if all(_is_child(field) for field in fields):
        # The common case. One pass over the children beats ElementPath's find() per field
        # by about three times, and this is the XML hot path.
        tags = [field if field.startswith("{") else prefix + field for field in fields]

        def pick_children(elem: Any) -> Values:
            children = {child.tag: child for child in reversed(elem)}  # the first of a tag wins
            return tuple([_text(children.get(tag)) for tag in tags])

        return pick_children
    getters = [_getter(field, prefix) for field in fields]

    def pick_paths(elem: Any) -> Values:
        return tuple([get(elem) for get in getters])

    return pick_paths


def _is_child(field: str) -> bool:
    """Is `field` a plain child tag, such as "name" or "{uri}name"?"""
    local = field.partition("}")[2] if field.startswith("{") else field
    return not field.startswith("@") and "/" not in local


def _getter(field: str, prefix: str) -> Getter:
    if field.startswith("@"):
        name = field[1:]
        return lambda elem: elem.get(name)
    path, _, attribute = field.partition("/@")
    if prefix and "{" not in path:  # a path naming its own namespaces is left as written
        path = "/".join(prefix + step for step in path.split("/"))
    if attribute:
        return lambda elem: _attribute(elem.find(path), attribute)
    return lambda elem: _text(elem.find(path))


def _attribute(child: Any, name: str) -> str | None:
    return None if child is None else child.get(name)


def _text(child: Any) -> str | None:
    if child is None:
        return None
    if len(child):  # mixed content such as <b>: all of its text, tags dropped
        return "".join(child.itertext())
    return child.text or ""
