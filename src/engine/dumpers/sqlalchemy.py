# autogen's SQLAlchemy dumper (cli.md, "Models that live in code"): prints
# the CREATE statements that `metadata.create_all` would run on SQLite,
# compiled by SQLAlchemy's mock engine, so no database is ever opened.
# Run by autogen as `python -c COMMON+THIS MODULE ATTR` in the config's folder
# (common.py defines `fail`, `failed` and `where`).
# It pins no SQLAlchemy version (1.3's way of making a mock engine is handled too).
import importlib
import json


def main():
    module_name, attr = sys.argv[1], sys.argv[2]
    sys.path.insert(0, os.getcwd())
    try:
        import sqlalchemy
        from sqlalchemy import MetaData
    except ImportError:
        fail("SQLAlchemy is not installed for %s: install it there, or set `python:` in autogen.yaml "
             "to the app's own Python" % sys.executable)
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as e:
        traceback.print_exc()
        fail("importing `%s` failed: SyntaxError: %s (at %s:%s)" % (module_name, e.msg, e.filename, e.lineno))
    except BaseException as e:
        failed("importing `%s`" % module_name, e)
    target = module
    for part in attr.split("."):
        if not hasattr(target, part):
            fail("module `%s` has no `%s`: name a declarative Base, a MetaData or SQLModel" % (module_name, attr))
        target = getattr(target, part)
    metadata = target if isinstance(target, MetaData) else getattr(target, "metadata", None)
    if not isinstance(metadata, MetaData):
        fail("`%s:%s` is not a declarative Base, a MetaData or SQLModel (it has no `metadata`)"
             % (module_name, attr))

    renames = {}
    for table in metadata.sorted_tables:
        old = (table.info or {}).get("renamed_from")
        if old:
            renames[table.name] = old
        for column in table.columns:
            old = (column.info or {}).get("renamed_from")
            if old:
                renames["%s.%s" % (table.name, column.name)] = old

    statements = []

    def executor(sql, *multiparams, **params):
        statements.append(str(sql.compile(dialect=engine.dialect)).strip())

    try:
        from sqlalchemy import create_mock_engine
        engine = create_mock_engine("sqlite://", executor)
    except ImportError:  # SQLAlchemy 1.3
        from sqlalchemy import create_engine
        engine = create_engine("sqlite://", strategy="mock", executor=executor)
    try:
        metadata.create_all(engine, checkfirst=False)
    except BaseException as e:
        traceback.print_exc()
        fail("SQLAlchemy cannot write the schema for SQLite: %s: %s" % (type(e).__name__, e))

    out = sys.stdout
    out.write("-- printed by autogen's SQLAlchemy dumper from %s:%s (SQLAlchemy %s)\n"
              % (module_name, attr, sqlalchemy.__version__))
    if renames:
        out.write("-- autogen:renames %s\n" % json.dumps(renames, sort_keys=True))
    for statement in statements:
        out.write(statement + ";\n\n")


main()
