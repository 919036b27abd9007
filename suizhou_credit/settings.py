"""Settings for 随州水务 供水信用管理系统.

Everything that differs between a laptop, CI and production comes from the
environment; with nothing set, the project runs on SQLite with eager tasks.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str | None = None) -> str | None:
    """Read a setting, or the contents of the file named by NAME_FILE."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


def envbool(name: str, default: str = "False") -> bool:
    value = (env(name, default) or "").strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


DEBUG = envbool("DEBUG")

# Development and test fallback only: `check --deploy` flags it, production sets SECRET_KEY.
SECRET_KEY = env("SECRET_KEY") or "django-insecure-dev-key-not-for-production"

ALLOWED_HOSTS = [h.strip() for h in (env("ALLOWED_HOSTS", "127.0.0.1,localhost") or "").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in (env("CSRF_TRUSTED_ORIGINS", "") or "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_tables2",
    "axes",
    "suizhou_credit",  # its signal receivers (suizhou_credit/apps.py)
    "customers",
    "ratings",
    "pledges",
    "repair",
    "reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "suizhou_credit.security.AllowedMethodsMiddleware",  # TRACE, OPTIONS… 405
    "csp.middleware.CSPMiddleware",
    "suizhou_credit.badinput.RefuseNulMiddleware",  # NUL in the path 404, in a query parameter 400
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "customers.audit.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "suizhou_credit.security.IdleTimeoutMiddleware",
    "suizhou_credit.security.NoStoreMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "suizhou_credit.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "customers.context_processors.roles",
            ],
            "builtins": ["customers.templatetags.people"],  # {{ user|person }}: the name, not the login
        },
    },
]

WSGI_APPLICATION = "suizhou_credit.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(env("CONN_MAX_AGE", "60") or 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # `make run`: the web server and the Celery worker write the same file. Write transactions take the
    # lock when they begin (a deferred one that reads first and then writes fails at once with "database
    # is locked" when the other process wrote meanwhile), wait up to 20 s for it, and WAL lets pages read
    # while the worker writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "suizhou_credit.accounts.MinimumLengthValidator"},  # Django's, its message in Chinese
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
# The UI is written in Chinese and has no other translation: a browser asking for English must
# not get Django's own strings (form errors, file sizes, dates) in English among Chinese ones.
LANGUAGES = [("zh-hans", _("简体中文"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))  # collectstatic writes here
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "media/"

# Sign-in throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one user name, or from one
# address, sign-in is refused (a Chinese page, 429) for AXES_COOLOFF_MINUTES; a right password resets the
# count. Every attempt is logged (admin: Axes, access attempts / logs); `python manage.py axes_reset_username NAME`
# (or deleting its access attempt in the admin) unlocks at once.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5") or 5)
AXES_COOLOFF_TIME = float(env("AXES_COOLOFF_MINUTES", "30") or 30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own: per user name, per address
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "suizhou_credit.security.locked_out"
AXES_CLIENT_IP_CALLABLE = "suizhou_credit.security.client_ip"
# Proxies in front of gunicorn that append to X-Forwarded-For (0: count REMOTE_ADDR).
TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "0") or 0)

# Content-Security-Policy (django-csp): only the product's own origin; no inline script, event handler or
# style attribute (static/js/app.js does what they did); Bootstrap's CSS draws its icons as data: SVGs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Sessions for a shared counter PC: signed out after SESSION_IDLE_MINUTES without activity (the pages'
# progress polling does not count), and when the browser closes.
SESSION_IDLE_TIMEOUT = int(float(env("SESSION_IDLE_MINUTES", "30") or 30) * 60)
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "reporting:dashboard"
LOGOUT_REDIRECT_URL = "login"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5.html"

# Uploads: the importer streams from a temporary file, never from memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Files in one POST: the bulk signing page's file-per-pledge way takes up to 100 (pledges/bulk.py
# MAX_SCAN_FILES; a larger batch is one combined PDF), evidence uploads 10 (repair/forms.py). More is
# refused with the Chinese 400 page before any file is read.
DATA_UPLOAD_MAX_NUMBER_FILES = 100
IMPORT_MAX_UPLOAD_BYTES = int(env("IMPORT_MAX_UPLOAD_BYTES", str(512 * 1024 * 1024)) or 0)

# The platform batch of a month is due on this day of the next month (the dashboard counts the days late).
REPORTING_DUE_DAY = int(env("REPORTING_DUE_DAY", "10") or 10)
if not 1 <= REPORTING_DUE_DAY <= 28:
    raise ImproperlyConfigured(f"REPORTING_DUE_DAY must be a day 1-28, not {REPORTING_DUE_DAY}")

# Security: strict whenever DEBUG is off (python manage.py check --deploy is clean).
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", "True")
    CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", "True")
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "True")
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000") or 0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Celery: Redis when REDIS_URL is set, otherwise tasks run eagerly in-process.
REDIS_URL = env("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# Recovering by itself (suizhou_credit/jobs.py): a task is acknowledged only when it has finished and
# redelivered when its worker dies; one message at a time per worker process, so a killed worker holds
# back no other job. The visibility timeout (after which Redis hands an unacknowledged message to another
# worker) must exceed the longest task — a 2,000-page pledge batch, a 250,000-customer rating chunk,
# a platform batch build: minutes — the heartbeat sweepers resume a dead job long before it.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(env("CELERY_VISIBILITY_TIMEOUT", "1800") or 1800),
    "socket_connect_timeout": 2,  # Redis down: the page says so within 2 s, not 19
    "socket_timeout": 30,
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_REDIS_SOCKET_TIMEOUT = 30
CELERY_RESULT_EXPIRES = 24 * 60 * 60
# A job's heartbeat is written every JOB_HEARTBEAT_EVERY seconds while it runs; one older than
# JOB_STALE_AFTER has lost its worker and is queued again by the sweepers (every minute on beat), at
# most JOB_MAX_RESUMES times, then marked failed.
JOB_HEARTBEAT_EVERY = float(env("JOB_HEARTBEAT_EVERY", "20") or 20)
JOB_STALE_AFTER = float(env("JOB_STALE_AFTER", "120") or 120)
JOB_MAX_RESUMES = int(env("JOB_MAX_RESUMES", "3") or 3)
JOB_SWEEP_EVERY = float(env("JOB_SWEEP_EVERY", "60") or 60)
# Customers per rating chunk (one task each; ratings/runs.py).
RATING_CHUNK_SIZE = int(env("RATING_CHUNK_SIZE", "250000") or 250000)
CELERY_BEAT_SCHEDULE: dict = {
    # The monthly Annex 4 run: 1st of each month, 02:00 Asia/Shanghai, rating as of the previous
    # month's last day. Expires just under a day so a beat that was down does not double it later.
    "monthly-rating": {
        "task": "ratings.monthly_rating",
        "schedule": crontab(minute=0, hour=2, day_of_month=1),
        "options": {"expires": 23 * 60 * 60},
    },
    # The stored pledge coverage (pledges/coverage.py) gains a row per write; summed hourly into one per company.
    "fold-coverage": {
        "task": "pledges.fold_coverage",
        "schedule": crontab(minute=17),
        "options": {"expires": 55 * 60},
    },
    # Jobs whose worker vanished are queued again or failed (ratings.runs / pledges.batches /
    # reporting.services / customers.import_jobs: sweep). Each expires before the next one is due, so
    # a beat that ran while the workers were down does not pile them up.
    **{
        f"sweep-{app}": {
            "task": f"{app}.sweep",
            "schedule": JOB_SWEEP_EVERY,
            "options": {"expires": JOB_SWEEP_EVERY},
        }
        for app in ("ratings", "pledges", "reporting", "customers")
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}
