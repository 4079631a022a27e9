"""``keyledger admin erase-account``, ``export-subject`` and ``sweep-personal-data``: erasure, the access
export and the retention sweep from the command line (the same service the API uses)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from bootstrap.personal_data import PersonalDataService, personal_data_service
from bootstrap.schema import read_models
from bootstrap.settings import Settings
from bootstrap.stores import build_read_store
from domain.context import AuditContext
from domain.errors import InvalidInput
from domain.ledger.service import Ledger

LedgerCommand = Callable[[argparse.Namespace, Settings, Ledger, AuditContext], int]


def account_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise InvalidInput("ID", f"not an account id: {text!r}") from None


def with_service(
    run: Callable[[argparse.Namespace, Settings, PersonalDataService, AuditContext], int],
) -> LedgerCommand:
    def command(args: argparse.Namespace, settings: Settings, ledger: Ledger, ctx: AuditContext) -> int:
        store = build_read_store(settings)
        try:
            service = personal_data_service(ledger, store, read_models(settings, ledger, store).source)
            if service is None:  # build_ledger always seals
                raise RuntimeError("this ledger does not seal personal data")
            return run(args, settings, service, ctx)
        finally:
            store.close()

    return command


def erase_account(
    args: argparse.Namespace, _: Settings, service: PersonalDataService, ctx: AuditContext
) -> int:
    if not args.reason.strip():
        raise InvalidInput("--reason", "an erasure needs a reason")
    ident = account_id(args.id)
    service.erase(ident, datetime.now(UTC), ctx.with_reason(args.reason))
    print(f"erased the personal data of account {ident}")
    return 0


def export_subject(
    args: argparse.Namespace, _: Settings, service: PersonalDataService, ctx: AuditContext
) -> int:
    found: dict[str, Any] = service.export(account_id(args.id), datetime.now(UTC), ctx)
    print(json.dumps(found, indent=2, ensure_ascii=False))
    return 0


def sweep(_: argparse.Namespace, settings: Settings, service: PersonalDataService, ctx: AuditContext) -> int:
    days = settings.personal_data_retention_days
    count = service.sweep(datetime.now(UTC), days, ctx)
    print(f"destroyed {count} day keys older than {days} days")
    return 0


def add_commands(admin: Any, with_ledger: Callable[[LedgerCommand], Any]) -> None:
    erase = admin.add_parser("erase-account", help="erase an account's personal data for good")
    erase.add_argument("id", help="the account id")
    erase.add_argument("--reason", required=True, help="why (kept in the Account.Erased event)")
    erase.set_defaults(run=with_ledger(with_service(erase_account)))
    export = admin.add_parser(
        "export-subject", help="print an account's personal data (JSON); the export is recorded in the ledger"
    )
    export.add_argument("id", help="the account id")
    export.set_defaults(run=with_ledger(with_service(export_subject)))
    admin.add_parser(
        "sweep-personal-data", help="destroy the day keys past KEYLEDGER_PERSONAL_DATA_RETENTION_DAYS"
    ).set_defaults(run=with_ledger(with_service(sweep)))
