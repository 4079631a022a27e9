"""Admin pages: IP blocks — list with reason and expiry, block, unblock (asks first)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from api import lists
from api.deps import AppServices, client_ip
from api.services import Services
from api.ui import fields
from api.ui.i18n import N_
from api.ui.pages import AdminPage, Page, PageRoute, confirm, done
from api.ui.templating import gettext, render
from domain.errors import DomainError
from domain.ip_address import covers, is_address
from projections.pages import Order

router = APIRouter(prefix="/ui", tags=["admin pages"], route_class=PageRoute)
OWN_NETWORK = N_("%(network)s covers your own address %(own)s: block it and lock yourself out?")


def blocks_list(request: Request, page: Page, svc: Services) -> Response:
    found = lists.blocks(svc, True, Order("blocked_at", limit=200))
    return render(
        request, "ip_blocks.html", csrf=page.csrf, items=found.rows, errors=page.errors, form=page.form
    )


@router.get("/ip-blocks", response_class=HTMLResponse)
def blocks_page(request: Request, page: AdminPage, svc: AppServices) -> Response:
    """Blocks in force, with the block form."""
    return blocks_list(request, page, svc)


@router.post("/ip-blocks", response_class=HTMLResponse)
def block(request: Request, page: AdminPage, svc: AppServices) -> Response:
    """Blocks an address or a network with a reason and an optional end."""
    address, reason = fields.text(page, "address", limit=64), fields.text(page, "reason")
    until = fields.moment(page, "until")
    if address and reason and not page.errors:
        own = client_ip(request)
        if own is not None and is_address(address) and covers(address, own) and not page.confirmed:
            text = gettext(request, OWN_NETWORK)
            return confirm(request, page, text % {"network": address, "own": own}, "/ui/ip-blocks")
        try:
            svc.ledger.block_ip(address, until, svc.clock(), page.admin.context(request, reason))
            return done("/ui/ip-blocks")
        except DomainError as error:
            page.errors["address"] = error.code
    return blocks_list(request, page, svc)


@router.post("/ip-blocks/unblock", response_class=HTMLResponse)
def unblock(request: Request, page: AdminPage, svc: AppServices) -> Response:
    """Lifts a block (asks first)."""
    network = fields.text(page, "network", limit=64)
    if not network:
        return blocks_list(request, page, svc)
    if not page.confirmed:
        text = gettext(request, "Unblock %(network)s? Its clients can log in again.") % {"network": network}
        return confirm(request, page, text, "/ui/ip-blocks")
    svc.ledger.unblock_ip(network, svc.clock(), page.admin.context(request))
    return done("/ui/ip-blocks")
