"""Power-cut simulation on SQLite: while `gerai serve` commits sales from four tills, the database
file and its -wal are copied together at random moments, as a power cut would leave them (no -shm:
SQLite rebuilds it from the WAL on opening). Each copy must open, pass `PRAGMA integrity_check`,
keep the ledger (every level = the sum of its movements, each sale with all its movements), and
hold every sale the server acknowledged before the copy was taken.

One instant for both files: the server is frozen (SIGSTOP) while they are copied, so the copy is what
the disk held at that moment, mid-transaction or mid-checkpoint as it happens. (Copying the -wal and
then the database file while the server runs is not a state a power cut can leave: a checkpoint
between the two copies would put pages newer than the copied WAL into the database file.) With
`synchronous=FULL` every acknowledged commit has been fsynced, so the frozen copy is also what a
power cut at that instant would leave of it.

GERAI_POWERCUT_COPIES (default 25) sets the number of copies.
"""
from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import threading
import time

from durability_helpers import CASHIERS, Http, free_port, gerai_cli, kill, sale_body, set_up_shop, shop_env

COPIES = int(os.environ.get("GERAI_POWERCUT_COPIES", "25"))


def sell(port: int, token: str, acknowledged: list, lines_of: dict, seed: int, stop: threading.Event,
         errors: list) -> None:
    rng, client = random.Random(seed), Http(port, token, timeout=60)
    try:
        while not stop.is_set():
            body = sale_body(rng)
            status, answer = client.call("POST", "/sales", body)
            if status == 201:
                lines_of[body["id"]] = len(body["lines"])
                acknowledged.append(body["id"])  # list.append is atomic: the copier reads a prefix
            elif status != 503:
                errors.append((status, answer))
    except Exception as err:  # noqa: BLE001 (reported by the test)
        errors.append(repr(err))
    finally:
        client.close()


def check_copy(folder, acknowledged_before: list, lines_of: dict) -> None:
    con = sqlite3.connect(folder / "gerai.db")
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        differ = con.execute("""SELECT l.product_id, l.on_hand, COALESCE(SUM(m.qty), 0) FROM stock_levels l
                                LEFT JOIN stock_movements m ON m.product_id = l.product_id
                                GROUP BY l.product_id, l.on_hand HAVING l.on_hand <> COALESCE(SUM(m.qty), 0)""").fetchall()
        assert differ == [], differ
        moves = dict(con.execute("SELECT source_id, count(*) FROM stock_movements WHERE kind = 'sale' "
                                 "GROUP BY source_id").fetchall())
        sales = {sid for (sid,) in con.execute("SELECT id FROM sales")}
        assert set(moves) == sales  # no sale without its movements, no movements without their sale
        missing = [sid for sid in acknowledged_before if sid not in sales]
        assert not missing, f"{len(missing)} acknowledged sale(s) missing from the copy"
        assert all(moves[sid] == lines_of[sid] for sid in acknowledged_before)
        numbers = [n for (n,) in con.execute("SELECT number FROM sales ORDER BY number")]
        assert numbers == list(range(1, len(numbers) + 1))
    finally:
        con.close()


def test_copies_taken_mid_write_open_sound_and_keep_every_acknowledged_sale(tmp_path):
    rng = random.Random()
    instance = tmp_path / "instance"
    env, port, log = shop_env(instance), free_port(), tmp_path / "server.log"
    tokens, _manager, server = set_up_shop(env, port, log)
    live = instance / "gerai.db"
    acknowledged: list = []
    lines_of: dict = {}
    errors: list = []
    stop = threading.Event()
    tills = [threading.Thread(target=sell, args=(port, tokens[name], acknowledged, lines_of, rng.randrange(10**9), stop,
                                                 errors)) for name in CASHIERS for _ in range(2)]
    checked = with_wal = 0
    try:
        for t in tills:
            t.start()
        for i in range(COPIES):
            time.sleep(rng.uniform(0.02, 0.3))
            before = list(acknowledged)  # answered before the cut
            folder = tmp_path / f"copy-{i}"
            folder.mkdir()
            os.killpg(server.pid, signal.SIGSTOP)  # the instant of the cut
            try:
                if live.with_name("gerai.db-wal").exists():
                    shutil.copyfile(live.with_name("gerai.db-wal"), folder / "gerai.db-wal")
                    with_wal += (folder / "gerai.db-wal").stat().st_size > 0
                shutil.copyfile(live, folder / "gerai.db")
            finally:
                os.killpg(server.pid, signal.SIGCONT)
            check_copy(folder, before, lines_of)
            checked += 1
            if i < COPIES - 1:
                shutil.rmtree(folder)
    finally:
        stop.set()
        for t in tills:
            t.join(60)
        kill(server, sig=signal.SIGTERM)
    assert not errors, errors[:5]
    assert checked == COPIES and with_wal and len(acknowledged) > COPIES
    last = tmp_path / f"copy-{COPIES - 1}"  # the command itself on the last copy, as a restored shop would run it
    result = gerai_cli({**env, "GERAI_INSTANCE": str(last)}, "check-ledger", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    print(f"\npower cut: {checked} copies of the database and its WAL ({with_wal} with a non-empty WAL) taken "
          f"mid-write; each opened sound and held every acknowledged sale ({len(acknowledged)} sales acknowledged "
          "in all)")
