"""The app of the online-upgrade tests: its own connection to the database
(busy timeout 5 s, foreign keys on, no recursive_triggers), writing several
hundred statements a second of every kind an app writes, until the file
named by STOP appears. Each statement also goes to REFERENCE, a copy of the
database as it started that nobody else touches: upgraded offline
afterwards, it is what the online upgrade must give. The statements name
only columns both definitions of `items` have, as an app deployed before
the revision does. Statements that fail go to standard output, one a line.

usage: app.py DATABASE REFERENCE STOP
"""

import os
import sqlite3
import sys
import time

database, reference, stop = sys.argv[1:4]


def connect(path):
    conn = sqlite3.connect(path, timeout=5.0, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    # What Rails 8 and most apps on WAL set: a commit without an fsync.
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


live, ref = connect(database), connect(reference)
rows = live.execute("SELECT max(id) FROM items").fetchone()[0] or 0
i = 0
wrote = 0
while not os.path.exists(stop):
    i += 1
    price = f"{i % 97}.5"
    target = (i * 7919) % rows + 1
    kind = i % 8
    if kind == 0:
        sql, args = "INSERT INTO items (code, price) VALUES (?, ?)", (f"new{i}", price)
    elif kind == 1:
        sql, args = "UPDATE items SET price = ? WHERE id = ?", (price, target)
    elif kind == 2:
        sql, args = "DELETE FROM items WHERE id = ?", (target,)
    elif kind == 3:
        # A key update: the row moves to a rowid of its own.
        # (Rows with tags keep their key: ON UPDATE is NO ACTION.)
        sql, args = (
            "UPDATE items SET id = ? WHERE id = ? AND NOT EXISTS (SELECT 1 FROM tags WHERE item = ?)",
            (rows + 10 * i, target, target),
        )
    elif kind == 4:
        # Replaces the row holding that code, without a DELETE trigger.
        sql, args = "INSERT OR REPLACE INTO items (code, price) VALUES (?, ?)", (f"c{target}", price)
    elif kind == 5:
        sql, args = (
            "INSERT INTO items (code, price) VALUES (?, ?) ON CONFLICT (code) DO UPDATE SET price = excluded.price",
            (f"c{(target * 3) % rows + 1}", price),
        )
    elif kind == 6:
        sql, args = "INSERT INTO tags (item, tag) SELECT id, ? FROM items WHERE id = ?", (f"t{i}", target)
    else:
        sql, args = "UPDATE items SET price = NULL WHERE id = ?", (target,)
    try:
        live.execute(sql, args)
    except sqlite3.Error as e:
        print(f"{sql} {args}: {e}", flush=True)
        continue
    ref.execute(sql, args)
    wrote += 1
    time.sleep(0.001)
print(f"wrote {wrote}", file=sys.stderr, flush=True)
