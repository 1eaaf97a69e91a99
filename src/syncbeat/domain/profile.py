"""Profiles: what to import or export, validated into frozen values."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from syncbeat.domain.catalog_fields import BUILTIN_FIELDS, KnownFields
from syncbeat.domain.convert import ConversionError, to_bool
from syncbeat.domain.missing import MISSING_MODES, Scope
from syncbeat.domain.schedule import ScheduleError, check_cron, zone
from syncbeat.domain.statuses import TaskKind
from syncbeat.domain.transfer import export_file, headers, request
from syncbeat.domain.transforms import Rule, columns_of, parse_rule

FORMATS = ("csv", "json", "jsonl", "xml", "xlsx")
MAX_BATCH_SIZE = 100_000


class ProfileError(ValueError):
    """A profile with mistakes; each names the field it concerns."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors))


@dataclass(frozen=True, kw_only=True)
class SourceSpec:
    location: str  # a path (relative to the data folder) or an http(s) URL
    format: str
    delimiter: str = ","
    quotechar: str = '"'
    encoding: str = "utf-8"
    header: bool = True
    item: str | None = None  # xml: the product element; json: the key of the list
    sheet: str | None = None  # xlsx: the sheet
    # http(s): sent with the request, e.g. {"X-Api-Key": "{secret:acme_key}"}
    headers: Mapping[str, str] = field(default_factory=dict)
    archive_member: str | None = None  # a zip feed: the file in it to read


@dataclass(frozen=True, kw_only=True)
class Profile:
    name: str
    kind: TaskKind
    schedule: str | None = None
    timezone: str = "UTC"
    batch_size: int | None = None  # None: the Configure tab's default batch size, at start
    enabled: bool = True
    id: int | None = None
    # import
    source: SourceSpec | None = None
    match_feed: str = "reference"
    match_catalog: str = "reference"
    # catalog field -> feed field, or a rule computing it (`domain.transforms`)
    mapping: Mapping[str, str | Rule] = field(default_factory=dict)
    create_missing: bool = False
    skip_unchanged: bool = True
    duplicates: str = "error"  # a key met again in one feed: "error" (later rows) | "last_wins"
    missing: str = "leave"  # catalog products the feed did not list: `domain.missing` modes
    scope: Scope | None = None  # the products the feed speaks for (None: all)
    # safety limits, checked once the whole feed is queued and before anything is applied
    min_rows: int | None = None
    max_drop_percent: int | None = None  # fewer rows than the last completed run, in percent
    category: int | None = None  # where new products go (a catalog with categories)
    # export
    filter_active: bool | None = None
    changed_since_last_export: bool = False
    fields: Mapping[str, str] = field(default_factory=dict)  # output field -> catalog field
    destination: str | None = None
    # an http(s) destination's request: its headers, method and the export's content type
    destination_headers: Mapping[str, str] = field(default_factory=dict)
    destination_method: str = "POST"
    destination_content_type: str | None = None  # None: that of the export's format
    # the export file: json | csv | xml, from the same [fields]
    export_format: str = "json"
    csv_delimiter: str = ","  # csv
    xml_item: str = "product"  # xml: the element of one product

    def to_dict(self) -> dict[str, Any]:
        """The profile in the shape of its TOML file (what `parse_profile` reads)."""
        data: dict[str, Any] = {"name": self.name, "kind": str(self.kind)}
        if self.schedule:
            data["schedule"] = self.schedule
        data["timezone"] = self.timezone
        if self.batch_size is not None:
            data["batch_size"] = self.batch_size
        data["enabled"] = self.enabled
        if self.kind is TaskKind.IMPORT:
            assert self.source is not None
            src = self.source
            source: dict[str, Any] = {"location": src.location, "format": src.format}
            if src.format == "csv":
                source.update(
                    delimiter=src.delimiter, quotechar=src.quotechar, header=src.header
                )
            source["encoding"] = src.encoding
            if src.item:
                source["item"] = src.item
            if src.sheet:
                source["sheet"] = src.sheet
            if src.headers:
                source["headers"] = dict(src.headers)
            if src.archive_member:
                source["archive_member"] = src.archive_member
            data["source"] = source
            data["match"] = {"feed": self.match_feed, "catalog": self.match_catalog}
            data["mapping"] = {
                name: value if isinstance(value, str) else dict(value.data)
                for name, value in self.mapping.items()
            }
            data["options"] = {
                "create_missing": self.create_missing,
                "skip_unchanged": self.skip_unchanged,
            }
            if self.duplicates != "error":
                data["options"]["duplicates"] = self.duplicates
            if self.missing != "leave":
                data["options"]["missing"] = self.missing
            if self.scope is not None:
                data["scope"] = self.scope.as_dict()
            limits = {"min_rows": self.min_rows, "max_drop_percent": self.max_drop_percent}
            if any(value is not None for value in limits.values()):
                data["limits"] = {k: v for k, v in limits.items() if v is not None}
            if self.category is not None:
                data["options"]["category"] = self.category
        else:
            filt: dict[str, Any] = {"changed_since_last_export": self.changed_since_last_export}
            if self.filter_active is not None:
                filt["active"] = self.filter_active
            data["filter"] = filt
            data["fields"] = dict(self.fields)
            dest: dict[str, Any] = {}
            if self.export_format != "json":
                dest["format"] = self.export_format
                if self.export_format == "csv" and self.csv_delimiter != ",":
                    dest["delimiter"] = self.csv_delimiter
                if self.export_format == "xml" and self.xml_item != "product":
                    dest["item"] = self.xml_item
            if dest and not self.destination:
                data["destination"] = dest
            if self.destination:
                dest = {"location": self.destination, **dest}
                if self.destination_headers:
                    dest["headers"] = dict(self.destination_headers)
                if self.destination_method != "POST":
                    dest["method"] = self.destination_method
                if self.destination_content_type:
                    dest["content_type"] = self.destination_content_type
                data["destination"] = dest
        return data

    @property
    def in_order(self) -> bool:
        """Must an import of this profile apply its batches in feed order, one at a time (a
        later row of a key wins), rather than several at once?"""
        return self.duplicates == "last_wins"

    @property
    def has_limits(self) -> bool:
        """Does an import of this profile wait for its whole feed before applying it?"""
        return self.min_rows is not None or self.max_drop_percent is not None

    @property
    def feed_fields(self) -> list[str]:
        """The feed fields an import reads: the match key first, then the mapped ones."""
        return feed_fields(self.match_feed, self.mapping)


def feed_fields(match_feed: str, mapping: Mapping[str, Any]) -> list[str]:
    """The feed fields an import reads, each once: the match key first, then the mapped ones
    and the columns their rules read."""
    names = [match_feed]
    for value in mapping.values():
        names.extend([value] if isinstance(value, str) else columns_of(value))
    return list(dict.fromkeys(names))


_TOP = {"name", "kind", "schedule", "timezone", "batch_size", "enabled", "id"}
_IMPORT_SECTIONS = {"source", "match", "mapping", "options", "limits", "scope"}
DUPLICATES = ("error", "last_wins")
_EXPORT_SECTIONS = {"filter", "fields", "destination"}
_SOURCE_KEYS = {
    "location", "format", "delimiter", "quotechar", "encoding", "header", "item", "sheet",
    "headers", "archive_member",
}
_DESTINATION_KEYS = {"location", "headers", "method", "content_type", "format", "delimiter",
                     "item"}
class _Collector:
    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []

    def add(self, name: str, message: str) -> None:
        self.errors.append((name, message))

    def text(self, data: Mapping[str, Any], key: str, where: str, *, required: bool) -> str | None:
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(where, "is required")
            return None
        if not isinstance(value, str):
            self.add(where, f"must be text, not {value!r}")
            return None
        return value.strip()

    def flag(self, data: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
        value = data.get(key, default)
        if isinstance(value, bool):
            return value
        if isinstance(value, str | int):
            try:
                return to_bool(str(value), where)
            except ConversionError as exc:
                self.add(where, str(exc).removeprefix(f"{where} "))
                return default
        self.add(where, f"must be true or false, not {value!r}")
        return default

    def table(self, data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, Mapping):
            self.add(key, "must be a table of settings")
            return {}
        return value

    def unknown(self, data: Mapping[str, Any], allowed: set[str], prefix: str = "") -> None:
        for key in data:
            if key not in allowed:
                self.add(f"{prefix}{key}", "is not a setting of this profile")


def parse_profile(
    data: Mapping[str, Any], *, default_timezone: str = "UTC",
    known: KnownFields | None = BUILTIN_FIELDS,
) -> Profile:
    """Validate a profile's settings (as read from TOML, a form or JSON) into a Profile, its
    field names against the catalog's `known` fields (None: a profile read back from the
    store, checked when it was saved and again when a task starts: `field_problems`).

    A profile that does not give a batch size keeps none: it follows the default batch size
    of the Configure tab, read when each of its tasks starts (`resolved_batch_size`)."""
    c = _Collector()
    name = c.text(data, "name", "name", required=True) or ""
    kind_word = c.text(data, "kind", "kind", required=True)
    kind = TaskKind.IMPORT
    if kind_word is not None:
        try:
            kind = TaskKind(kind_word.lower())
        except ValueError:
            c.add("kind", f"'{kind_word}' is neither import nor export")
    sections = _IMPORT_SECTIONS if kind is TaskKind.IMPORT else _EXPORT_SECTIONS
    c.unknown(data, _TOP | sections)

    schedule = c.text(data, "schedule", "schedule", required=False)
    if schedule is not None:
        try:
            schedule = check_cron(schedule)
        except ScheduleError as exc:
            c.add("schedule", str(exc))
    timezone = c.text(data, "timezone", "timezone", required=False) or default_timezone
    try:
        zone(timezone)
    except ScheduleError as exc:
        c.add("timezone", str(exc))
    given = data.get("batch_size")
    batch_size = None if given is None or given == "" else _batch_size(c, given)
    enabled = c.flag(data, "enabled", "enabled", True)
    common: dict[str, Any] = dict(
        name=name, kind=kind, schedule=schedule, timezone=timezone, batch_size=batch_size,
        enabled=enabled, id=data.get("id"),
    )
    build: Callable[[_Collector, Mapping[str, Any], dict[str, Any]], Profile]
    build = _parse_import if kind is TaskKind.IMPORT else _parse_export
    profile = build(c, data, common)
    if known is not None:
        c.errors.extend(field_problems(profile, known))
    if c.errors:
        raise ProfileError(c.errors)
    return profile


def resolved_batch_size(profile: Profile, default: int) -> int:
    """The batch size a task of the profile works with: its own, or the default."""
    return profile.batch_size if profile.batch_size is not None else default


def shown_batch_size(batch_size: int | None, default: int) -> str:
    """"500", or "default (1,000)" for a profile that follows the default."""
    return f"{batch_size:,}" if batch_size is not None else f"default ({default:,})"


def _batch_size(c: _Collector, value: Any) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or value != int(value):
        c.add("batch_size", f"must be a whole number, not {value!r}")
        return 1
    if not 1 <= int(value) <= MAX_BATCH_SIZE:
        c.add("batch_size", f"must be between 1 and {MAX_BATCH_SIZE:,}, not {value}")
        return 1
    return int(value)


def _parse_import(c: _Collector, data: Mapping[str, Any], common: dict[str, Any]) -> Profile:
    src = c.table(data, "source")
    c.unknown(src, _SOURCE_KEYS, "source.")
    location = c.text(src, "location", "source.location", required=True) or ""
    fmt = (c.text(src, "format", "source.format", required=False) or _guess_format(location))
    fmt = fmt.lower()
    if fmt not in FORMATS:
        c.add("source.format", f"'{fmt}' is not one of {', '.join(FORMATS)}")
    delimiter = src.get("delimiter", ",")
    if delimiter in ("\\t", "tab"):
        delimiter = "\t"
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        c.add("source.delimiter", f"must be one character, not {delimiter!r}")
        delimiter = ","
    quotechar = src.get("quotechar", '"')
    if not isinstance(quotechar, str) or len(quotechar) != 1:
        c.add("source.quotechar", f"must be one character, not {quotechar!r}")
        quotechar = '"'
    encoding = c.text(src, "encoding", "source.encoding", required=False) or "utf-8"
    try:
        "".encode(encoding)
    except LookupError:
        c.add("source.encoding", f"'{encoding}' is not a known encoding (for example utf-8)")
    source = SourceSpec(
        location=location, format=fmt, delimiter=delimiter, quotechar=quotechar,
        encoding=encoding, header=c.flag(src, "header", "source.header", True),
        item=c.text(src, "item", "source.item", required=False),
        sheet=c.text(src, "sheet", "source.sheet", required=False),
        headers=headers(c, src.get("headers"), "source", location),
        archive_member=c.text(src, "archive_member", "source.archive_member", required=False),
    )
    match = c.table(data, "match")
    c.unknown(match, {"feed", "catalog"}, "match.")
    match_feed = c.text(match, "feed", "match.feed", required=False) or "reference"
    match_catalog = c.text(match, "catalog", "match.catalog", required=False) or "reference"
    mapping: dict[str, str | Rule] = {}
    for catalog_field, feed_field in c.table(data, "mapping").items():
        where = f"mapping.{catalog_field}"
        if isinstance(feed_field, str) and not feed_field.lstrip().startswith("{"):
            if not feed_field.strip():
                c.add(where, "must name a feed field")
            else:
                mapping[catalog_field] = feed_field.strip()
        else:
            rule, errors = parse_rule(catalog_field, feed_field, where)
            c.errors.extend(errors)
            if rule is not None:
                mapping[catalog_field] = rule
    if not mapping and not c.errors:
        c.add("mapping", "maps no field: add at least one 'catalog field = feed field' line")
    options = c.table(data, "options")
    c.unknown(options, {"create_missing", "skip_unchanged", "category", "duplicates",
                        "missing"}, "options.")
    category = _category(c, options.get("category"))
    create_missing = c.flag(options, "create_missing", "options.create_missing", False)
    if create_missing and match_catalog == "id":
        c.add("options.create_missing", "cannot create products matched by id")
    duplicates = c.text(options, "duplicates", "options.duplicates", required=False) or "error"
    if duplicates not in DUPLICATES:
        c.add("options.duplicates", f"'{duplicates}' is not one of {', '.join(DUPLICATES)}")
        duplicates = "error"
    missing = c.text(options, "missing", "options.missing", required=False) or "leave"
    if missing not in MISSING_MODES:
        c.add("options.missing", f"'{missing}' is not one of {', '.join(MISSING_MODES)}")
        missing = "leave"
    if missing != "leave" and match_catalog == "id":
        c.add("options.missing", "needs products matched by reference or ean13, not by id")
    scope = _scope(c, c.table(data, "scope"))
    limits = c.table(data, "limits")
    c.unknown(limits, {"min_rows", "max_drop_percent"}, "limits.")
    return Profile(
        **common, source=source, match_feed=match_feed, match_catalog=match_catalog,
        mapping=mapping, create_missing=create_missing,
        skip_unchanged=c.flag(options, "skip_unchanged", "options.skip_unchanged", True),
        duplicates=duplicates, missing=missing, scope=scope,
        min_rows=_whole(c, limits, "min_rows", 1, 10**9),
        max_drop_percent=_whole(c, limits, "max_drop_percent", 1, 100),
        category=category,
    )


def _scope(c: _Collector, data: Mapping[str, Any]) -> Scope | None:
    """[scope]: field with prefix or equals; `NAME_prefix = "..."` is field NAME's prefix."""
    if not data:
        return None
    values = dict(data)
    shorthand = [k for k in values if k.endswith("_prefix")]
    for key in shorthand:
        if "field" in values or "prefix" in values:
            c.add(f"scope.{key}", "give either NAME_prefix or field and prefix, not both")
            return None
        values["field"], values["prefix"] = key.removesuffix("_prefix"), values.pop(key)
    c.unknown(values, {"field", "prefix", "equals"}, "scope.")
    field = c.text(values, "field", "scope.field", required=False) or "reference"
    tests = {}
    for key in ("prefix", "equals"):
        value = values.get(key)
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            if value is not None:
                c.add(f"scope.{key}", f"must be text, not {value!r}")
            continue
        if str(value) == "":
            c.add(f"scope.{key}", "must not be empty")
            continue
        tests[key] = str(value)
    if len(tests) != 1:
        c.add("scope", "give exactly one of prefix and equals (for example "
                       'supplier_reference_prefix = "ACME-", or field = "name", equals = "X")')
        return None
    return Scope(field=field, **tests)


def _whole(c: _Collector, data: Mapping[str, Any], key: str, low: int, high: int) -> int | None:
    """An optional whole number between `low` and `high` (a blank form field is none)."""
    value = data.get(key)
    where = f"limits.{key}"
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or value != int(value):
        c.add(where, f"must be a whole number, not {value!r}")
        return None
    if not low <= int(value) <= high:
        c.add(where, f"must be between {low:,} and {high:,}, not {value}")
        return None
    return int(value)


def _category(c: _Collector, value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str) and value.strip().isdecimal():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < 2**32:
        c.add("options.category", f"must be a category's id (a whole number, 1 or more), not "
              f"{value!r}")
        return None
    return value


def field_problems(profile: Profile, known: KnownFields) -> list[tuple[str, str]]:
    """The catalog fields `profile` names that the catalog does not have, or cannot write,
    each with the setting that names it."""
    problems: list[tuple[str, str]] = []
    if profile.kind is TaskKind.IMPORT:
        if profile.match_catalog not in known.match:
            problems.append(("match.catalog", f"'{profile.match_catalog}' is not one of "
                             f"{', '.join(known.match)}"))
        for name in profile.mapping:
            where = f"mapping.{name}"
            if not known.has(name):
                problems.append((where, f"no such catalog field in {known.catalog} (use one "
                                 f"of {known.listed()})"))
            elif name == "id":
                problems.append((where, "the product id is given by the catalog, it cannot "
                                 "be imported"))
            elif name in known.read_only:
                problems.append((where, f"{name} is read only in {known.catalog}: it cannot "
                                 "be imported"))
        if profile.scope is not None and not known.has(profile.scope.field):
            problems.append(("scope.field", f"no such catalog field in {known.catalog} (use "
                             f"one of {known.listed()})"))
        elif profile.scope is not None and profile.scope.field in known.unscoped:
            problems.append(("scope.field", f"{known.catalog} cannot test "
                             f"{profile.scope.field} of a product: scope by a product's "
                             "field"))
        if profile.missing not in known.missing_modes:
            why = f" ({known.missing_refused})" if known.missing_refused else ""
            problems.append(("options.missing", f"'{profile.missing}' is not done on "
                             f"{known.catalog}{why}; use one of "
                             f"{', '.join(known.missing_modes)}"))
        elif profile.missing != "leave" and profile.match_catalog in known.no_missing:
            problems.append(("options.missing", f"matching by {profile.match_catalog} finds "
                             "combinations, so no product can be missing from the feed: match "
                             "products (by reference) to act on the ones the feed leaves out"))
        allowed = known.writes_by_match.get(profile.match_catalog)
        for name in profile.mapping:
            if allowed is not None and known.has(name) and name not in known.read_only \
                    and name not in allowed:
                problems.append((f"mapping.{name}", f"matching by {profile.match_catalog}, "
                                 f"a profile writes only {', '.join(allowed)}"))
        if profile.create_missing and profile.match_catalog in known.no_create:
            problems.append(("options.create_missing", f"{known.catalog} cannot create what "
                             f"{profile.match_catalog} matches (syncbeat creates simple "
                             "products): turn it off"))
        if profile.category is not None and not known.categories:
            problems.append(("options.category", f"{known.catalog} has no categories: leave "
                             "it out"))
    else:
        for out_field, name in profile.fields.items():
            if not known.has(name):
                problems.append((f"fields.{out_field}", f"'{name}' is no catalog field in "
                                 f"{known.catalog} (use one of {known.listed()})"))
    return problems


def _parse_export(c: _Collector, data: Mapping[str, Any], common: dict[str, Any]) -> Profile:
    filt = c.table(data, "filter")
    c.unknown(filt, {"active", "changed_since_last_export"}, "filter.")
    active = c.flag(filt, "active", "filter.active", True) if "active" in filt else None
    fields: dict[str, str] = {}
    for out_field, catalog_field in c.table(data, "fields").items():
        where = f"fields.{out_field}"
        if not isinstance(catalog_field, str) or not catalog_field.strip():
            c.add(where, f"must name a catalog field, not {catalog_field!r}")
        else:
            fields[out_field] = catalog_field
    if not fields and not c.errors:
        c.add("fields", "exports no field: add at least one 'output field = catalog field' line")
    dest = data.get("destination")
    location: str | None
    sending: dict[str, Any] = {}
    if isinstance(dest, Mapping):
        c.unknown(dest, _DESTINATION_KEYS, "destination.")
        location = c.text(dest, "location", "destination.location", required=False)
        sending = request(c, dest, location or "") | export_file(c, dest, fields)
    elif dest is None or isinstance(dest, str):
        location = dest or None
    else:
        c.add("destination", "must be a table with a location")
        location = None
    return Profile(
        **common, filter_active=active,
        changed_since_last_export=c.flag(
            filt, "changed_since_last_export", "filter.changed_since_last_export", False
        ),
        fields=fields, destination=location, **sending,
    )


def _guess_format(location: str) -> str:
    name = location.rsplit("?", 1)[0].lower()
    for packed in (".gz", ".gzip", ".zip"):  # stock.csv.gz is a csv feed
        name = name.removesuffix(packed)
    suffix = name.rsplit(".", 1)[-1]
    return {"ndjson": "jsonl"}.get(suffix, suffix if suffix in FORMATS else "csv")


def set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set `a.b = value` in a nested profile dict (for `profile edit --set`)."""
    *parents, last = dotted.split(".")
    target = data
    for part in parents:
        child = target.get(part)
        if not isinstance(child, dict):
            child = {}
            target[part] = child
        target = child
    target[last] = value
