"""One way to cut a query into pages: the 1-based page's rows and the total count.

Below every feature (history, catalog, collections, class plans use it); the HTTP envelope
that carries a page is ``choreography.api.schemas.Page``.
"""

from __future__ import annotations


async def page_of(query, *, page: int, page_size: int) -> tuple[list, int]:
    """(the rows of the 1-based page of a Django query, total count); past the end, no rows."""
    total = await query.acount()
    start = (page - 1) * page_size
    rows = [row async for row in query[start : start + page_size]] if start < total else []
    return rows, total
