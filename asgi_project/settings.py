"""Django settings for choreo, derived from the validated environment (asgi_project.config)."""

from __future__ import annotations

import secrets

from asgi_project.config import load_config

CHOREO = load_config()
DATA_DIR = CHOREO.data_dir.resolve()
MEDIA_ROOT = DATA_DIR / "media"
WORK_ROOT = DATA_DIR / "work"

# Embedded demo mode: a per-data-dir key, generated once, so sessions survive restarts.
if CHOREO.secret_key:
    SECRET_KEY = CHOREO.secret_key
else:
    _key_file = DATA_DIR / "secret_key"
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    if not _key_file.exists():
        _key_file.write_text(secrets.token_urlsafe(50))
    SECRET_KEY = _key_file.read_text().strip()

DEBUG = CHOREO.debug
ALLOWED_HOSTS = [host.strip() for host in CHOREO.allowed_hosts.split(",") if host.strip()]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "choreography",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "choreography.api_errors.api_errors_as_json",
]

# The ASGI app refuses larger bodies at the door (asgi_project.limits); this is the same limit
# for anything reaching Django another way (the test client).
DATA_UPLOAD_MAX_MEMORY_SIZE = CHOREO.max_body_bytes

ROOT_URLCONF = "asgi_project.urls"
ASGI_APPLICATION = "asgi_project.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "choreo.sqlite3",
        "OPTIONS": {
            # WAL + busy timeout + immediate transactions: concurrent async writers wait, not fail.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
        },
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"console": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "console"}},
    "loggers": {
        "choreography": {"handlers": ["console"], "level": CHOREO.log_level},
        "assembly": {"handlers": ["console"], "level": CHOREO.log_level},
        "storage": {"handlers": ["console"], "level": CHOREO.log_level},
    },
}
