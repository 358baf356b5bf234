"""The hub's feed: what outlets pull (dispatches for one outlet; catalog and HET for all or a zone)."""
from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gerai.db import transactional, utcnow
from suppliers.hub.models import HubFeed, HubOutlet

DEFAULT_LIMIT, MAX_LIMIT = 500, 1000


def append(session: Session, type_: str, data: dict, *, outlet_id: int | None = None, zone: str | None = None,
           at: datetime | None = None) -> None:
    """Add a feed row in the caller's transaction (outlet None = every outlet, zone None = every zone)."""
    session.execute(sa.insert(HubFeed.__table__).values(outlet_id=outlet_id, zone=zone, type=type_, at=at or utcnow(),
                                                        data=json.dumps(data, separators=(",", ":"), default=str)))


@transactional
def pull(session: Session, outlet: HubOutlet, cursor: int, limit: int, now: datetime) -> tuple[list[dict], int]:
    """Feed rows after `cursor` meant for this outlet, ascending; and the new cursor."""
    f = HubFeed.__table__.c
    for_all = sa.and_(f.outlet_id.is_(None), sa.or_(f.zone.is_(None), f.zone == outlet.zone) if outlet.zone
                      else f.zone.is_(None))
    rows = session.execute(sa.select(f.id, f.type, f.at, f.data)
                           .where(f.id > cursor, sa.or_(f.outlet_id == outlet.id, for_all))
                           .order_by(f.id).limit(limit)).all()
    session.execute(sa.update(HubOutlet).where(HubOutlet.id == outlet.id).values(
        last_pull_at=now, pull_cursor_seen=sa.func.greatest(HubOutlet.pull_cursor_seen, cursor)
        if session.get_bind().dialect.name == "postgresql" else sa.func.max(HubOutlet.pull_cursor_seen, cursor)))
    events = [{"id": r.id, "type": r.type, "at": r.at.isoformat(), "data": json.loads(r.data)} for r in rows]
    return events, (rows[-1].id if rows else cursor)
