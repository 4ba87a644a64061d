"""SQLite keeps a LINE-sized outbox in its event row's page (new files have 8 KB pages), and a file
made with 4 KB pages (by earlier releases) still opens, works and keeps its pages."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from bot.store.sqlite import SQLiteStore
from tests.store.test_store_step import step


def line_outbox() -> bytes:
    """An outbox as the LINE adapter stores it: a question with its quick replies (~1.3 KB)."""
    labels = ["SNSで悪口を書かれた", "個人情報をさらされた", "なりすまされた", "画像を勝手に載せられた", "その他", "やめる"]
    items = [{"type": "action", "action": {"type": "postback", "label": label, "data": f"c:{i}", "displayText": label}}
             for i, label in enumerate(labels)]
    msgs = [{"type": "text", "text": "どんなことで困っていますか？いちばん近いものを選んでください。" * 3,
             "quickReply": {"items": items}}]
    return json.dumps({"b": [msgs], "k": "0123456789abcdef0123456789abcdef", "t": 1764600000.123},
                      ensure_ascii=False, separators=(",", ":")).encode()


async def test_a_line_outbox_needs_no_overflow_page_so_its_confirmation_frees_none(tmp_path: Path) -> None:
    """On 4 KB pages a 1.3 KB outbox spilled into an overflow page, which the confirmation freed (and
    zeroed) and the next step took back: pages written for nothing at every LINE event."""
    path = tmp_path / "s.db"
    store = SQLiteStore(path)
    box = line_outbox()
    assert len(box) > 1100
    for i in range(20):
        await step(store, f"line:e{i}", "what", box, lease=30)
        await store.sent(f"line:e{i}")
    await store.close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert db.execute("PRAGMA freelist_count").fetchone() == (0,)  # no overflow page was ever freed
        assert db.execute("PRAGMA page_size").fetchone() == (8192,)


async def test_a_file_with_4_kb_pages_still_opens_and_keeps_them(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:  # as an earlier release made it: 4 KB pages, WAL, schema 2
        db.execute("PRAGMA page_size = 4096")
        db.execute("PRAGMA journal_mode = WAL")
    first = SQLiteStore(path)
    await step(first, "line:e1", "what", line_outbox(), lease=30)
    await first.close()
    again = SQLiteStore(path)
    got = await again.get("line:a")
    assert got is not None and got.state == "what"
    await again.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA page_size").fetchone() == (4096,)
