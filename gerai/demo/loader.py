"""Load the demo shop: suppliers, catalog, demo users, and eight weeks of ledger history.

The history is generated with a fixed seed, so every demo shop looks the same: deliveries
every week, daily sales drawn around each product's `daily_demand`, some products that
stopped selling, and today's on-hand equal to the catalog's `opening_stock` (or a little
more where the generated sales would otherwise have run the shelf empty).
"""
from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Callable

import sqlalchemy as sa

from gerai import auth
from gerai.config import Settings
from gerai.db import Database
from gerai.demo.catalog import DEMO_ONLY_KEYS, PRODUCTS, SUPPLIERS
from gerai.models import AppSetting, User
from inventory.catalog import add_product
from inventory.ledger import MovementSpec, post_movements
from inventory.models import Product, Supplier
from inventory.rules import allows_fractions
from pos.models import Member

HISTORY_DAYS = 56
DELIVERY_EVERY_DAYS = 7
DEMO_USERS = (("kasir", "kasir123", "cashier", "Siti (kasir)"), ("manajer", "manajer123", "manager", "Pak Budi (manajer)"),
              ("admin", "admin123", "admin", "Admin koperasi"))
HUB_DEMO_USERS = (("bulog", "bulog123", "coordinator", "Koordinator Bulog", "BULOG"),)  # API.md: on a hub
# Fictional members of the cooperative (member number, name, joined days ago, phone).
DEMO_MEMBERS = (("KMP-0001", "Sutrisno", 400, "0812-5550-1001"), ("KMP-0002", "Aminah", 380, "0812-5550-1002"),
                ("KMP-0003", "Wayan Sudarma", 300, "0813-5550-1003"), ("KMP-0004", "Rina Marlina", 120, ""),
                ("KMP-0005", "Kelompok Tani Sri Rejeki", 90, "0852-5550-1005"))


def shop_is_empty(db: Database) -> bool:
    with db.read_session() as session:
        return not session.scalar(sa.select(sa.func.count()).select_from(Product)) and \
            not session.scalar(sa.select(sa.func.count()).select_from(User))


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method; means here are small (< 20)."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _daily_sales(rng: random.Random, item: dict, days: int) -> list[Decimal]:
    """Units sold on each of the last `days` days (oldest first)."""
    out = []
    stops = item.get("demand_stops_days_ago")
    weekend_boost = 1.25
    for d in range(days):
        days_ago = days - d
        if stops is not None and days_ago <= stops:
            out.append(Decimal(0))
            continue
        mean = item["daily_demand"] * (weekend_boost if (d % 7) in (5, 6) else 1.0)
        count = _poisson(rng, mean)
        if allows_fractions(item["unit"]):  # loose goods: each buyer takes 0.5-3 units
            qty = sum((Decimal(rng.choice((500, 750, 1000, 1500, 2000, 3000))) / 1000 for _ in range(count)), Decimal(0))
        else:
            qty = Decimal(count)
        out.append(qty)
    return out


def _plan(rng: random.Random, item: dict) -> tuple[Decimal, list[Decimal], list[Decimal]]:
    """(opening stock, deliveries per day, sales per day) ending at the catalog's on-hand."""
    sales = _daily_sales(rng, item, HISTORY_DAYS)
    weekly = Decimal(math.ceil(item["daily_demand"] * DELIVERY_EVERY_DAYS))
    deliveries = [weekly if d % DELIVERY_EVERY_DAYS == 3 and weekly and
                  (item.get("demand_stops_days_ago") or 0) < HISTORY_DAYS - d else Decimal(0) for d in range(HISTORY_DAYS)]
    target = Decimal(item["opening_stock"])
    opening = target + sum(sales) - sum(deliveries)
    balance, lowest = opening, opening
    for sold, came in zip(sales, deliveries):
        balance += came - sold
        lowest = min(lowest, balance)
    if lowest < 0:
        opening -= lowest
    return max(opening, Decimal(0)), deliveries, sales


def _at(day: date, hour: int, minute: int, tz) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(timezone.utc)


def _history(session, product: Product, item: dict, rng: random.Random, today: date, tz) -> int:
    opening, deliveries, sales = _plan(rng, item)
    first_day = today - timedelta(days=HISTORY_DAYS)
    posted = 0
    if opening > 0:
        post_movements(session, [MovementSpec(product.id, opening, "opening", item["unit_cost"])],
                       at=_at(first_day - timedelta(days=1), 18, 0, tz), source_type="demo", source_id="opening",
                       reference="Stok awal (demo)")
        posted += 1
    for d, (came, sold) in enumerate(zip(deliveries, sales)):
        day = first_day + timedelta(days=d)
        if came:
            post_movements(session, [MovementSpec(product.id, came, "receipt", item["unit_cost"])],
                           at=_at(day, 7, 30, tz), source_type="demo", source_id=f"receipt-{d}",
                           reference=f"SJ-DEMO-{day:%m%d}")
            posted += 1
        if sold:
            post_movements(session, [MovementSpec(product.id, -sold, "sale")], at=_at(day, rng.randint(8, 19), rng.randint(0, 59), tz),
                           source_type="demo", source_id=f"sale-{d}", reference=f"Penjualan {day:%d/%m}", sold=True)
            posted += 1
    return posted


def load_demo(db: Database, settings: Settings, echo: Callable[[str], None] = print, today: date | None = None) -> None:
    """Everything in one transaction: a half-loaded demo shop never exists."""
    tz = settings.tz
    today = today or datetime.now(tz).date()
    rng = random.Random(20251022)
    with db.session() as session:
        for username, password, role, full_name in DEMO_USERS:
            session.add(User(username=username, role=role, password_hash=auth.hash_password(password),
                             full_name=full_name))
        for username, password, role, full_name, supplier in HUB_DEMO_USERS if settings.role == "hub" else ():
            session.add(User(username=username, role=role, password_hash=auth.hash_password(password),
                             full_name=full_name, supplier_code=supplier))
        for data in SUPPLIERS:
            session.add(Supplier(**{**data, "pack_size": Decimal(data["pack_size"]) if data["pack_size"] else None}))
        session.flush()
        movements = 0
        for item in PRODUCTS:
            data = {k: v for k, v in item.items() if k not in DEMO_ONLY_KEYS}
            data["shelf_life_days"] = item.get("shelf_life_days")
            if data.get("quota"):
                data["quota"] = {"qty": Decimal(data["quota"]["qty"]), "period_days": data["quota"]["period_days"]}
            product = add_product(session, data, None, "demo")
            movements += _history(session, product, item, rng, today, tz)
        session.add_all(Member(member_no=no, name=name, joined_on=today - timedelta(days=days), phone=phone)
                        for no, name, days, phone in DEMO_MEMBERS)
        session.add(AppSetting(key="demo_loaded", value=today.isoformat()))
        session.commit()
    users = [f"{u}/{p}" for u, p, *_ in DEMO_USERS + (HUB_DEMO_USERS if settings.role == "hub" else ())]
    echo(f"Demo shop loaded: {len(SUPPLIERS)} suppliers, {len(PRODUCTS)} products, {movements} ledger movements "
         f"over {HISTORY_DAYS} days, {len(DEMO_MEMBERS)} members; users " + ", ".join(users))
