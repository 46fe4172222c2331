#!/usr/bin/env python3
"""Benchmark shape: N models declared with Django's ORM (no project on disk).

Usage:
    target/bench-venv/bin/python benches/shapes/django_app.py \
        --tables N --changed C --rows R [--fk-free] OUT_DIR

Writes:
    OUT_DIR/app.db     BEFORE schema, created with ``connection.schema_editor()``
                       (``editor.create_model(model)`` per model: the same DDL that
                       ``migrate`` emits for a CreateModel), with R rows per table.
    OUT_DIR/model.sql  AFTER schema: the SQL that ``schema_editor(collect_sql=True)``
                       collects when creating every AFTER model (what ``sqlmigrate``
                       would print), one statement per ``;``.

Settings are configured in-process; the single installed app ``bench`` is a module
object created in memory (``bench`` / ``bench.apps``), so Django names tables
``bench_tI`` (its default ``<app_label>_<model_name>``).

Model TI (BEFORE): id AutoField, c1..c7 TextField (c1 db_index=True),
p1 / p2 ForeignKey(null=True, on_delete=CASCADE) to T(I-1) / T(I-2) (T0 and T1 point
at T0; with --fk-free they are plain IntegerField(null=True)),
Meta.indexes = [Index(fields=["p1", "p2"], name="ix_tI_p")].
AFTER, for the first C models: c1 -> CharField(max_length=100, db_index=True),
new c8 TextField(db_index=True, null=True), the (p1, p2) index removed.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import types

APP_LABEL = "bench"


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tables", type=int, required=True, help="number of models/tables N")
    ap.add_argument("--changed", type=int, required=True, help="models changed in AFTER (first C)")
    ap.add_argument("--rows", type=int, required=True, help="rows inserted into every table")
    ap.add_argument("--fk-free", action="store_true", help="p1/p2 are plain integers")
    ap.add_argument("out_dir")
    args = ap.parse_args(argv)
    if args.tables < 1 or args.changed < 0 or args.rows < 0:
        ap.error("need --tables >= 1, --changed >= 0, --rows >= 0")
    if args.changed > args.tables:
        ap.error("--changed cannot exceed --tables")
    return args


def setup_django(db_path):
    """Configure settings in-process with one in-memory app module, then django.setup()."""
    import django
    from django.apps import AppConfig
    from django.conf import settings

    pkg = types.ModuleType(APP_LABEL)
    apps_mod = types.ModuleType(f"{APP_LABEL}.apps")

    class BenchConfig(AppConfig):
        name = APP_LABEL
        label = APP_LABEL
        # The app has no files; AppConfig needs some filesystem location.
        path = os.path.dirname(db_path)
        default_auto_field = "django.db.models.AutoField"

    BenchConfig.__module__ = apps_mod.__name__
    apps_mod.BenchConfig = BenchConfig
    pkg.apps = apps_mod
    sys.modules[APP_LABEL] = pkg
    sys.modules[apps_mod.__name__] = apps_mod

    settings.configure(
        INSTALLED_APPS=[f"{APP_LABEL}.apps.BenchConfig"],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": db_path,
                # Throwaway benchmark data: no fsyncs, and a big page cache (every
                # CREATE makes SQLite re-scan sqlite_schema). None of these persists.
                "OPTIONS": {
                    "init_command": "PRAGMA synchronous=OFF; PRAGMA journal_mode=MEMORY; "
                    "PRAGMA cache_size=-1000000;"
                },
            }
        },
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        USE_TZ=True,
    )
    django.setup()


class bulk_registration:
    """Defer the registry's cache clearing while thousands of models are declared.

    Apps.register_model() calls clear_cache(), which (once the registry is ready)
    walks every model already registered: O(N^2) for N models. We declare all models
    first and clear the cache once at the end; the registry ends up the same.
    """

    def __init__(self, registry):
        self.registry = registry

    def __enter__(self):
        self.registry.clear_cache = lambda: None  # instance attribute shadows the method
        return self.registry

    def __exit__(self, *exc):
        del self.registry.clear_cache
        self.registry.clear_cache()


def declare_models(n, n_changed, fk_free, after, registry):
    from django.db import models

    out = []
    with bulk_registration(registry):
        for i in range(n):
            changed = after and i < n_changed
            attrs = {
                "__module__": f"{APP_LABEL}.models",
                "__qualname__": f"T{i}",
                "id": models.AutoField(primary_key=True),
                "c1": (
                    models.CharField(max_length=100, db_index=True)
                    if changed
                    else models.TextField(db_index=True)
                ),
            }
            for k in range(2, 8):
                attrs[f"c{k}"] = models.TextField()
            if fk_free:
                attrs["p1"] = models.IntegerField(null=True)
                attrs["p2"] = models.IntegerField(null=True)
            else:
                # T0 references itself; T1's p2 also points at T0.
                to1 = "self" if i == 0 else out[i - 1]
                to2 = "self" if i == 0 else out[max(i - 2, 0)]
                # related_name="+": no reverse accessors (T1.p1 and T1.p2 would clash on T0).
                attrs["p1"] = models.ForeignKey(
                    to1, null=True, on_delete=models.CASCADE, related_name="+"
                )
                attrs["p2"] = models.ForeignKey(
                    to2, null=True, on_delete=models.CASCADE, related_name="+"
                )
            if changed:
                attrs["c8"] = models.TextField(db_index=True, null=True)
            meta = {"app_label": APP_LABEL, "apps": registry}
            if not changed:
                meta["indexes"] = [models.Index(fields=["p1", "p2"], name=f"ix_t{i}_p")]
            attrs["Meta"] = type("Meta", (), meta)
            out.append(type(f"T{i}", (models.Model,), attrs))
    return out


def main(argv=None):
    args = parse_args(argv)
    t_start = time.perf_counter()
    gc.disable()  # hundreds of thousands of long-lived field objects; see sqlalchemy_app.py

    out_dir = os.path.abspath(args.out_dir)
    os.makedirs(out_dir, exist_ok=True)
    db_path = os.path.join(out_dir, "app.db")
    for suffix in ("", "-journal", "-wal", "-shm"):
        if os.path.exists(db_path + suffix):
            os.remove(db_path + suffix)

    setup_django(db_path)
    from django.apps import apps as global_apps
    from django.apps.registry import Apps
    from django.db import connection, transaction

    # BEFORE models live in the project's registry (the installed app "bench");
    # AFTER models, with the same app label and names, in an isolated registry
    # (like the StateApps that migrations render models into).
    before = declare_models(args.tables, args.changed, args.fk_free, False, global_apps)
    after = declare_models(args.tables, args.changed, args.fk_free, True, Apps(()))
    t_models = time.perf_counter()

    # --- app.db ------------------------------------------------------------------
    with connection.schema_editor() as editor:  # one atomic block; FK checks off
        for model in before:
            editor.create_model(model)
    t_schema = time.perf_counter()

    n_rows = 0
    if args.rows:
        r = args.rows
        with transaction.atomic():
            for model in before:
                objs = []
                for j in range(1, r + 1):
                    kw = {f"c{k}": f"{model._meta.db_table} row {j} c{k}" for k in range(1, 8)}
                    # valid ids in the referenced table (every table has ids 1..R),
                    # NULL on every third row
                    p1 = None if j % 3 == 0 else (j % r) + 1
                    p2 = None if j % 3 == 1 else ((j + 1) % r) + 1
                    if args.fk_free:
                        kw.update(p1=p1, p2=p2)
                    else:
                        kw.update(p1_id=p1, p2_id=p2)
                    objs.append(model(id=j, **kw))
                model.objects.bulk_create(objs)
                n_rows += r
    t_rows = time.perf_counter()
    connection.close()

    # --- model.sql -------------------------------------------------------------------
    with connection.schema_editor(collect_sql=True, atomic=False) as editor:
        for model in after:
            editor.create_model(model)
    statements = editor.collected_sql  # deferred index SQL is appended on __exit__
    with open(os.path.join(out_dir, "model.sql"), "w") as f:
        for stmt in statements:
            stmt = stmt.strip()
            f.write(stmt if stmt.endswith(";") else stmt + ";")
            f.write("\n")
    connection.close()
    t_end = time.perf_counter()

    print(
        f"django_app: wrote {out_dir}/app.db ({args.tables} tables, {n_rows} rows, "
        f"fk={'no' if args.fk_free else 'yes'}), model.sql ({len(statements)} statements, "
        f"{args.changed} models changed) in {t_end - t_start:.2f}s (models "
        f"{t_models - t_start:.2f}s, schema {t_schema - t_models:.2f}s, rows "
        f"{t_rows - t_schema:.2f}s, model.sql {t_end - t_rows:.2f}s)"
    )


if __name__ == "__main__":
    sys.exit(main())
