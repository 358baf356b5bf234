"""Shared by the durability tests: damaging a database file the way a bad disk would."""
from __future__ import annotations

import sqlite3
from pathlib import Path


def checkpoint(path: Path) -> None:
    """Fold the -wal into the database file (so that bytes overwritten in the file are what SQLite reads)."""
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()


def damage_a_page(path: Path, table: str = "stock_movements") -> int:
    """Overwrite one of `table`'s leaf pages in the middle of the file with garbage; return its page number."""
    checkpoint(path)
    con = sqlite3.connect(path)
    try:
        pages = [n for (n,) in con.execute("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' "
                                           "ORDER BY pageno", (table,))]
        page_size = con.execute("PRAGMA page_size").fetchone()[0]
    finally:
        con.close()
    assert len(pages) >= 2, f"{table} needs more than one leaf page to damage one in the middle"
    victim = pages[len(pages) // 2]
    with open(path, "r+b") as fh:
        fh.seek((victim - 1) * page_size)
        fh.write(bytes([0xA5, 0x13, 0x37, 0xFF]) * (page_size // 4))
    return victim
