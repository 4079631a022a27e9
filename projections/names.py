"""Names of things for people: the lookup the admin pages use to show a username, a device nickname, an
address or a release version where the ledger stores an id. It reads the other read models (accounts,
devices, sessions, addresses, API keys, webhooks, releases) and writes nothing."""

from __future__ import annotations

from collections.abc import Iterable

from projections.store import Tx

# Per read model: the SQL that names the rows among a list of ids (``{marks}`` becomes ``?, ?, ...``).
SOURCES = (
    "SELECT id, username FROM rm_accounts WHERE id IN ({marks})",
    "SELECT id, nickname FROM rm_devices WHERE id IN ({marks})",
    "SELECT s.id, a.username FROM rm_sessions s JOIN rm_accounts a ON a.id = s.account_id"
    " WHERE s.id IN ({marks})",
    "SELECT id, network FROM rm_ip_addresses WHERE id IN ({marks})",
    "SELECT id, name FROM rm_api_keys WHERE id IN ({marks})",
    "SELECT id, url FROM rm_webhooks WHERE id IN ({marks})",
    "SELECT id, product || ' ' || version FROM rm_releases WHERE id IN ({marks})",
    "SELECT id, app_version FROM rm_crash_reports WHERE id IN ({marks})",
    "SELECT l.id, a.username FROM rm_licenses l JOIN rm_accounts a ON a.id = l.account_id"
    " WHERE l.id IN ({marks})",
    "SELECT id, note FROM rm_licenses WHERE id IN ({marks})",
)
CHUNK = 200


def lookup(tx: Tx, ids: Iterable[str | None]) -> dict[str, str]:
    """id → name, for those of ``ids`` a read model names (a license by the account that holds it, else
    by its note)."""
    wanted = sorted({str(i) for i in ids if i})
    names: dict[str, str] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        marks = ", ".join("?" for _ in chunk)
        for statement in SOURCES:
            for row_id, name in tx.all(statement.format(marks=marks), chunk):
                if name:
                    names.setdefault(str(row_id), str(name))
    return names


def of_rows(tx: Tx, rows: Iterable[dict[str, object]], *columns: str) -> dict[str, str]:
    """The names of every id found in ``columns`` of ``rows``."""
    return lookup(tx, (str(row[c]) for row in rows for c in columns if row.get(c)))
