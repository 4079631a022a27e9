"""Admin: an account's personal data — erase it (Art. 17: its data key is destroyed, the ledger keeps its
sealed ciphertext and every proof holds) and export it (Art. 15: every personal value, opened)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from api.deps import AppServices
from api.machine_auth import CurrentAdmin
from api.personal_data import PersonalData
from api.problems import ApiError, responses
from api.schemas import Body, Reason, Username, Written
from api.services import Services
from domain.errors import InvalidInput

router = APIRouter(prefix="/admin/users", tags=["admin: personal data"])


class Erase(Body):
    reason: Reason
    confirm_username: Username = Field(description="the account's username, typed again as confirmation")


class SubjectExport(BaseModel):
    account_id: str
    erased: bool
    events: list[dict[str, Any]]
    position: int | None = Field(
        description="where the Account.PersonalDataExported event that records this export was written"
    )


def personal_data(svc: Services) -> PersonalData:
    if svc.personal is None:
        raise ApiError(503, "personal_data_unavailable", "this server does not seal personal data")
    return svc.personal


@router.post("/{account_id}/erase", response_model=Written, responses=responses(401, 403, 404, 409, 422, 503))
def erase(account_id: UUID, body: Erase, admin: CurrentAdmin, request: Request, svc: AppServices) -> Written:
    """Erases the account's personal data for good: the body repeats its username as confirmation. The
    account can never log in again; its events read ``[erased]`` everywhere from now on."""
    service = personal_data(svc)
    account = svc.ledger.account(account_id)
    if not account.erased and body.confirm_username != account.username:
        raise InvalidInput("confirm_username", "does not match the account's username")
    position = service.erase(account_id, svc.clock(), admin.context(request, body.reason))
    return Written(position=position)


@router.get(
    "/{account_id}/personal-data", response_model=SubjectExport, responses=responses(401, 403, 404, 422, 503)
)
def export(account_id: UUID, admin: CurrentAdmin, request: Request, svc: AppServices) -> SubjectExport:
    """Every personal value the ledger holds of the account, opened (a data-subject access request). An
    admin's web session, or an API key with the scope `personal-data:read` (`users:read` is not enough).
    Each export is recorded before it is returned, as `Account.PersonalDataExported` with the caller as
    its actor; an erased account's export reads `[erased]` and is recorded too."""
    return SubjectExport(**personal_data(svc).export(account_id, svc.clock(), admin.context(request)))
