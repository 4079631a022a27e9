"""The shape every admin list shares: allowlisted sort with an order, a page size, an opaque cursor and
a position to wait for (read-your-writes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Query
from pydantic import BaseModel

from api.schemas import MAX_POSITION
from projections.pages import Order, Page


@dataclass(frozen=True)
class ListParams:
    order: Literal["asc", "desc"]
    limit: int
    cursor: str | None
    position: int | None

    @property
    def descending(self) -> bool:
        return self.order == "desc"

    def cut(self, sort: str) -> Order:
        """These parameters as a read-model ``Order`` on ``sort``."""
        return Order(sort, self.descending, self.limit, self.cursor)


def list_params(
    order: Literal["asc", "desc"] = "desc",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[
        str | None, Query(max_length=200, description="next_cursor of the previous page")
    ] = None,
    position: Annotated[
        int | None, Query(ge=0, le=MAX_POSITION, description="wait until the read models include this")
    ] = None,
) -> ListParams:
    return ListParams(order, limit, cursor, position)


class ListPage(BaseModel):
    items: list[dict[str, Any]]
    next_cursor: str | None


def page_of(page: Page) -> ListPage:
    return ListPage(items=page.rows, next_cursor=page.next_cursor)


Listing = Annotated[ListParams, Depends(list_params)]
