"""bench/run's Django workload: what a small Django site loads as it starts.

`python3 -c 'import djangoapp'` with this file beside the copy of Django.
Settings in code (no settings module): the contrib applications a new project
lists and an in-memory SQLite database. django.setup() loads every
application's models and admin modules; the imports after it add the ORM, the
forms, the URL resolver, the generic views, the templates and the test
client: several hundred of Django's modules, most of what a request needs.
"""
import django
from django.conf import settings

settings.configure(
    SECRET_KEY="pycache-redirect-benchmark",
    INSTALLED_APPS=[
        "django.contrib.admin",
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
        "django.contrib.staticfiles",
    ],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    USE_TZ=True,
)
django.setup()

import django.contrib.admin  # noqa: E402,F401
import django.db.models  # noqa: E402,F401
import django.forms  # noqa: E402,F401
import django.template.loader  # noqa: E402,F401
import django.test  # noqa: E402,F401
import django.urls  # noqa: E402,F401
import django.views.generic  # noqa: E402,F401
