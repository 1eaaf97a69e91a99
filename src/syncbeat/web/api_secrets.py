"""/api/secrets: set, list and delete the secrets profiles name as {secret:NAME}. Write-only:
no answer ever carries a value."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, Field

from syncbeat.engine.secrets import SecretError, delete_secret, list_secrets, set_secret
from syncbeat.web.auth import api_user, context
from syncbeat.web.errors import ApiError, responses

router = APIRouter(prefix="/api")
private = [Depends(api_user)]
SIGN_IN = responses(401, 403)
SecretName = Annotated[str, Path(description="The secret's name, as profiles write it in "
                                             "{secret:NAME}", max_length=100)]


class NewValue(BaseModel):
    value: str = Field(min_length=1, max_length=10_000,
                       description="The value; it is stored encrypted and never shown again")


@router.get("/secrets", tags=["secrets"], dependencies=private, summary="List secrets",
            responses=SIGN_IN)
def get_secrets(request: Request) -> dict[str, Any]:
    """Names and dates; never a value."""
    return {"secrets": [s.as_dict() for s in list_secrets(context(request))]}


@router.put("/secrets/{name}", tags=["secrets"], dependencies=private,
            summary="Set a secret",
            responses={**SIGN_IN, **responses(400, 422, _422="The name or the value is "
                                                              "refused")})
def put_secret(request: Request, name: SecretName, body: NewValue) -> dict[str, Any]:
    """Set or replace the secret; the answer says whether it is new, never its value."""
    try:
        new = set_secret(context(request), name, body.value)
    except SecretError as exc:
        raise ApiError(422, str(exc), "value" if "value" in str(exc) else "name") from None
    return {"name": name.strip(), "created": new}


@router.delete("/secrets/{name}", tags=["secrets"], dependencies=private, status_code=204,
               summary="Delete a secret",
               responses={**SIGN_IN, **responses(400, 404, _404="No such secret")})
def remove_secret(request: Request, name: SecretName) -> Response:
    """Profiles that name it fail until it is set again."""
    if not delete_secret(context(request), name):
        raise ApiError(404, f"no secret '{name}'")
    return Response(status_code=204)
