"""The hub's tables (modelled in suppliers.hub.models) as Core tables, looked up by name, for the
read-side queries of the coordinators' and monitors' pages."""
from __future__ import annotations

import sqlalchemy as sa


def table(name: str) -> sa.Table:
    from gerai.schema import metadata

    return metadata().tables[name]


def outlets_t() -> sa.Table:
    return table("hub_outlets")


def requests_t() -> sa.Table:
    return table("hub_requests")


def lines_t() -> sa.Table:
    return table("hub_request_lines")


def stock_t() -> sa.Table:
    return table("hub_stock")


def sales_daily_t() -> sa.Table:
    return table("hub_sales_daily")
