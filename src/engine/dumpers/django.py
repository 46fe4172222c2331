# autogen's Django dumper (cli.md, "Models that live in code"): prints the
# CREATE statements Django's schema editor writes for every model of the
# installed apps (or of the apps named), collected rather than run. The
# app's DATABASES are replaced by an in-memory SQLite database before
# Django starts, so the app's own database is never opened.
# Run by autogen as `python -c COMMON+THIS SETTINGS [APP,APP...]` in the config's
# folder (common.py defines `fail`, `failed` and `where`; `os`, `sys`, `traceback` come with it).


def main():
    settings_module = sys.argv[1]
    wanted = [a for a in (sys.argv[2] if len(sys.argv) > 2 else "").split(",") if a]
    sys.path.insert(0, os.getcwd())
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    try:
        import django
        from django.conf import settings
    except ImportError:
        fail("Django is not installed for %s: install it there, or set `python:` in autogen.yaml "
             "to the app's own Python" % sys.executable)
    try:
        settings._setup()
    except BaseException as e:
        failed("importing the settings `%s`" % settings_module, e)
    settings._wrapped.DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
    settings._wrapped.DATABASE_ROUTERS = []
    try:
        django.setup()
    except BaseException as e:
        failed("loading the apps of `%s`" % settings_module, e)
    from django.apps import apps
    from django.db import connection

    configs = list(apps.get_app_configs())
    labels = [c.label for c in configs]
    for label in wanted:
        if label not in labels:
            fail("`%s` is not an installed app of `%s` (installed: %s)"
                 % (label, settings_module, ", ".join(sorted(labels))))
    if wanted:
        configs = [c for c in configs if c.label in wanted]
    models = []
    for config in configs:
        for model in config.get_models():
            meta = model._meta
            if meta.managed and not meta.proxy and not meta.swapped:
                models.append(model)
    with connection.schema_editor(collect_sql=True, atomic=False) as editor:
        for model in models:
            editor.create_model(model)
    out = sys.stdout
    out.write("-- printed by autogen's Django dumper from %s (Django %s)\n"
              % (settings_module, django.get_version()))
    for statement in editor.collected_sql:
        out.write(statement.strip() + "\n\n")


main()
