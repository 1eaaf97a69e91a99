"""The API's OpenAPI description, and a page to browse it; both behind sign-in (no CDN)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse

from syncbeat.web.auth import Principal, api_user, page_user
from syncbeat.web.errors import WHY
from syncbeat.web.templating import page

router = APIRouter(include_in_schema=False)
METHODS = ("get", "post", "put", "patch", "delete")
FASTAPI_422 = "#/components/schemas/HTTPValidationError"
ERROR_BODY = {"$ref": "#/components/schemas/ErrorBody"}


def install(app: FastAPI) -> None:
    """Make app.openapi() say what the app answers to a request it cannot read: a 400 with
    its own error body (web/errors.py), not FastAPI's 422 with another body."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _true_validation_errors(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _true_validation_errors(spec: dict[str, Any]) -> dict[str, Any]:
    for item in spec.get("paths", {}).values():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            answers = op.setdefault("responses", {})
            schema = answers.get("422", {}).get("content", {}).get("application/json", {})
            if schema.get("schema", {}).get("$ref") == FASTAPI_422:
                del answers["422"]
            reads = "requestBody" in op or any(p["in"] != "path" for p in op.get("parameters", []))
            if reads and "400" not in answers:
                answers["400"] = {"description": WHY[400],
                                  "content": {"application/json": {"schema": ERROR_BODY}}}
    schemas = spec.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    return spec


@router.get("/api/openapi.json")
def openapi(request: Request, _: Annotated[Principal, Depends(api_user)]) -> dict[str, Any]:
    """The OpenAPI 3 description of /api."""
    return request.app.openapi()  # type: ignore[no-any-return]


def _ref_name(schema: dict[str, Any], named: dict[str, Any] | None = None) -> str:
    named = named or {}
    if "enum" in schema:
        return "one of " + ", ".join(str(v) for v in schema["enum"])
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return _ref_name(named[name], named) if "enum" in named.get(name, {}) else name
    if schema.get("type") == "array":
        return f"list of {_ref_name(schema.get('items', {}), named)}"
    if "anyOf" in schema:
        return " or ".join(_ref_name(s, named) for s in schema["anyOf"])
    return str(schema.get("type", "object"))


def _operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    named = spec.get("components", {}).get("schemas", {})
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            body_schema = body.get("schema", {})
            found.append({
                "method": method.upper(), "path": path, "tag": (op.get("tags") or ["other"])[0],
                "summary": op.get("summary", ""), "description": op.get("description", ""),
                "parameters": [
                    {"name": p["name"], "in": p["in"], "required": p.get("required", False),
                     "type": _ref_name(p.get("schema", {}), named),
                     "description": p.get("description", "")}
                    for p in op.get("parameters", [])
                ],
                "body": _ref_name(body_schema) if body_schema else None,
                "example": (body_schema.get("examples") or [None])[0] if body_schema else None,
                "responses": {code: r.get("description", "")
                              for code, r in op.get("responses", {}).items()},
            })
    return found


@router.get("/api/docs", response_class=HTMLResponse)
def docs(request: Request, who: Annotated[Principal, Depends(page_user)]) -> HTMLResponse:
    """Every route of the API with its parameters, body and responses."""
    spec = request.app.openapi()
    operations = _operations(spec)
    tags = list(dict.fromkeys(op["tag"] for op in operations))
    return page(request, who, "api_docs.html", active="api", spec=spec, tags=tags,
                operations=operations)
