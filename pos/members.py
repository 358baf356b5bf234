"""Cooperative members and their purchases per year (the base of the SHU, the patronage dividend).

A member's purchases in a year are the sales that carried the member number, dated by the
shop's local calendar year, less what was refunded of them (refunds dated by their own day).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gerai.db import transactional
from gerai.errors import Conflict, Invalid, NotFound
from pos.csv_export import csv_text
from pos.models import Member, Refund, Sale
from pos.regulated import day_start_utc

MEMBERS, SALES, REFUNDS = Member.__table__, Sale.__table__, Refund.__table__
MEMBER_FIELDS = ("name", "joined_on", "phone", "address", "active")


class MemberNotFound(NotFound):
    reason = "unknown_member"
    template = "No member with number %(no)s."


def get_member(session: Session, member_no: str) -> Member:
    member = session.scalar(sa.select(Member).where(Member.member_no == member_no))
    if member is None:
        raise MemberNotFound(no=member_no)
    return member


def list_members(session: Session, q: str = "", *, page: int = 1, page_size: int = 50) -> tuple[list[Member], int]:
    conditions = []
    if q.strip():
        pattern = "%" + q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(sa.or_(Member.name.ilike(pattern, escape="\\"), Member.member_no.ilike(pattern, escape="\\")))
    total = session.scalar(sa.select(sa.func.count()).select_from(Member).where(*conditions)) or 0
    rows = session.scalars(sa.select(Member).where(*conditions).order_by(Member.member_no)
                           .limit(page_size).offset((page - 1) * page_size))
    return list(rows), total


@transactional
def create_member(session: Session, data: dict[str, Any], today: date) -> Member:
    no = data["member_no"].strip()
    if not no:
        raise Invalid("A member number cannot be blank.", field="member_no")
    if session.scalar(sa.select(Member.id).where(Member.member_no == no)):
        raise Conflict("Member number %(no)s is taken.", field="member_no", no=no)
    member = Member(member_no=no, **{k: data[k] for k in MEMBER_FIELDS if data.get(k) is not None})
    member.joined_on = member.joined_on or today
    if not (member.name or "").strip():
        raise Invalid("A member needs a name.", field="name")
    session.add(member)
    session.flush()
    return member


@transactional
def update_member(session: Session, member_no: str, changes: dict[str, Any]) -> Member:
    member = get_member(session, member_no)
    for key in MEMBER_FIELDS:
        if key in changes and changes[key] is not None:
            setattr(member, key, changes[key])
    if not member.name.strip():
        raise Invalid("A member needs a name.", field="name")
    return member


@dataclass(frozen=True)
class Purchase:
    sale_id: str
    number: int
    at: datetime
    total: int


@dataclass(frozen=True)
class YearRow:
    member_no: str
    name: str
    sales_count: int
    total: int
    refunded: int

    @property
    def net(self) -> int:
        return self.total - self.refunded


def _year(year: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return day_start_utc(date(year, 1, 1), tz), day_start_utc(date(year + 1, 1, 1), tz)


def purchases(session: Session, member_no: str, year: int, tz: ZoneInfo) -> tuple[Member, list[Purchase], YearRow]:
    """One member's sales in the shop's local `year`, and the year's totals."""
    member = get_member(session, member_no)
    start, end = _year(year, tz)
    rows = session.execute(sa.select(SALES.c.id, SALES.c.number, SALES.c.at, SALES.c.total)
                           .where(SALES.c.member_id == member.id, SALES.c.at >= start, SALES.c.at < end)
                           .order_by(SALES.c.at, SALES.c.number))
    bought = [Purchase(*r) for r in rows]
    refunded = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(REFUNDS.c.total), 0))
                              .join(SALES, SALES.c.id == REFUNDS.c.sale_id)
                              .where(SALES.c.member_id == member.id, REFUNDS.c.at >= start, REFUNDS.c.at < end))
    return member, bought, YearRow(member.member_no, member.name, len(bought), sum(p.total for p in bought), int(refunded))


def year_report(session: Session, year: int, tz: ZoneInfo) -> list[YearRow]:
    """Every member's purchases in the year (members who bought nothing show zeros): the SHU base."""
    start, end = _year(year, tz)
    sold = (sa.select(SALES.c.member_id, sa.func.count().label("n"), sa.func.sum(SALES.c.total).label("total"))
            .where(SALES.c.at >= start, SALES.c.at < end, SALES.c.member_id.is_not(None))
            .group_by(SALES.c.member_id).subquery())
    back = (sa.select(SALES.c.member_id, sa.func.sum(REFUNDS.c.total).label("refunded"))
            .join(SALES, SALES.c.id == REFUNDS.c.sale_id)
            .where(REFUNDS.c.at >= start, REFUNDS.c.at < end, SALES.c.member_id.is_not(None))
            .group_by(SALES.c.member_id).subquery())
    stmt = (sa.select(MEMBERS.c.member_no, MEMBERS.c.name, sa.func.coalesce(sold.c.n, 0),
                      sa.func.coalesce(sold.c.total, 0), sa.func.coalesce(back.c.refunded, 0))
            .outerjoin(sold, sold.c.member_id == MEMBERS.c.id).outerjoin(back, back.c.member_id == MEMBERS.c.id)
            .order_by(MEMBERS.c.member_no))
    return [YearRow(no, name, int(n), int(total), int(refunded)) for no, name, n, total, refunded in session.execute(stmt)]


def year_report_csv(rows: list[YearRow], year: int) -> str:
    return csv_text(["year", "member_no", "name", "sales_count", "purchases", "refunded", "net_purchases"],
                    ([year, r.member_no, r.name, r.sales_count, r.total, r.refunded, r.net] for r in rows))


def purchases_csv(member: Member, bought: list[Purchase], tz: ZoneInfo) -> str:
    return csv_text(["member_no", "name", "date", "time", "receipt_no", "sale_id", "total"],
                    ([member.member_no, member.name, f"{p.at.astimezone(tz):%Y-%m-%d}", f"{p.at.astimezone(tz):%H:%M}",
                      p.number, p.sale_id, p.total] for p in bought))
