"""How a profile's feed is fetched and its export sent: http(s) headers, an export's method
and content type, and the export file's format (json, csv, xml); validated into plain values
for `domain.profile`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol


class Collector(Protocol):
    """Where mistakes go (domain.profile's collector)."""

    def add(self, name: str, message: str) -> None:
        """Note a mistake of the setting `name`."""

    def text(self, data: Mapping[str, Any], key: str, where: str, *, required: bool
             ) -> str | None:
        """A text setting, or None."""


EXPORT_FORMATS = ("json", "csv", "xml")
_XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
METHODS = ("POST", "PUT")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # a header name (RFC 9110)
# Headers syncbeat writes itself: set by a profile they would break the request.
_OWN_HEADERS = {"host", "content-length", "transfer-encoding", "connection", "te", "upgrade"}


def _is_http(location: str) -> bool:
    return location.strip().lower().startswith(("http://", "https://"))


def headers(c: Collector, value: Any, section: str, location: str) -> dict[str, str]:
    """[source] or [destination] headers: a table of header names and text values."""
    where = f"{section}.headers"
    if value is None or value == {}:
        return {}
    if not isinstance(value, Mapping):
        c.add(where, 'must be a table, like { "X-Api-Key" = "{secret:acme_key}" }')
        return {}
    if not _is_http(location):
        c.add(where, "are sent to http(s) locations only")
        return {}
    found: dict[str, str] = {}
    for name, text in value.items():
        one = f"{where}.{name}"
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            c.add(one, "is not a header name (letters, digits and - as in X-Api-Key)")
        elif name.lower() in _OWN_HEADERS:
            c.add(one, "is set by syncbeat itself")
        elif section == "destination" and name.lower() == "content-type":
            c.add(one, "is set with destination.content_type")
        elif not isinstance(text, str):
            c.add(one, f"must be text, not {text!r}")
        elif any(ch in text for ch in "\r\n\x00"):
            c.add(one, "must be one line")
        elif name.lower() in (n.lower() for n in found):
            c.add(one, "is given twice (header names ignore case)")
        else:
            found[name] = text.strip()
    return found


def export_file(c: Collector, dest: Mapping[str, Any], fields: Mapping[str, str]
                 ) -> dict[str, Any]:
    """[destination] format (json, csv or xml), with csv's delimiter and xml's item."""
    fmt = (c.text(dest, "format", "destination.format", required=False) or "json").lower()
    if fmt not in EXPORT_FORMATS:
        c.add("destination.format", f"'{fmt}' is not one of {', '.join(EXPORT_FORMATS)}")
        fmt = "json"
    delimiter = dest.get("delimiter", ",")
    if delimiter in ("\\t", "tab"):
        delimiter = "\t"
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in "\r\n\"":
        c.add("destination.delimiter", f"must be one character, not {delimiter!r}")
        delimiter = ","
    item = c.text(dest, "item", "destination.item", required=False) or "product"
    if fmt == "xml":
        for name in [item, *fields]:
            if not _XML_NAME.fullmatch(name) or name.lower().startswith("xml"):
                where = "destination.item" if name == item else f"fields.{name}"
                c.add(where, f"'{name}' cannot be an XML element name (letters, digits, _ . "
                      "and -, starting with a letter or _, not with xml)")
    return {"export_format": fmt, "csv_delimiter": delimiter, "xml_item": item}


def request(c: Collector, dest: Mapping[str, Any], location: str) -> dict[str, Any]:
    """An http(s) destination's headers, method and content type."""
    method = (c.text(dest, "method", "destination.method", required=False) or "POST").upper()
    if method not in METHODS:
        c.add("destination.method", f"'{method}' is not one of {', '.join(METHODS)}")
        method = "POST"
    content_type = c.text(dest, "content_type", "destination.content_type", required=False)
    if content_type and not re.fullmatch(r"[\w.+-]+/[\w.+-]+(;[ -~]*)?", content_type):
        c.add("destination.content_type", f"'{content_type}' is not a content type (like "
              "application/json or text/csv; charset=utf-8)")
        content_type = None
    if (method != "POST" or content_type) and not _is_http(location):
        c.add("destination.method" if method != "POST" else "destination.content_type",
              "applies to http(s) destinations only")
    return {"destination_headers": headers(c, dest.get("headers"), "destination", location),
            "destination_method": method, "destination_content_type": content_type}
