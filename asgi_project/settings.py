"""Django settings for choreo, derived from the validated environment (choreography.config)."""

from __future__ import annotations

import secrets

import dj_database_url
from csp.constants import NONE, SELF

from choreography.config import load_config

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
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "ninja",
    "choreography",
    "choreography.accounts",
    "choreography.collections",
    "choreography.classplans",
    "choreography.studios",
]

MIDDLEWARE = [
    "choreography.api.request_context.RequestContextMiddleware",
    "choreography.api.json_errors.errors_as_json",
    # django-cors-headers: as high as possible, before anything that may answer (CommonMiddleware).
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "choreography.api.csp.ContentSecurityPolicyMiddleware",
    "choreography.api.static_files.StaticFilesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Content-Security-Policy (django-csp 4) on every page: the site's own scripts and styles only
# (no inline script, style or event handler: templates load files from /static/); the media
# origin of S3 storage is added to media-src and img-src per response (choreography.api.csp).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],  # data: for the empty favicon (<link rel="icon" href="data:,">)
        "media-src": [SELF],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# The ASGI app refuses larger bodies at the door (asgi_project.limits); this is the same limit
# for anything reaching Django another way (the test client).
DATA_UPLOAD_MAX_MEMORY_SIZE = CHOREO.max_body_bytes
# Uploaded files (the media upload routes, the admin's upload forms) go to a temporary file
# past 256 KiB instead of memory; the API routes put theirs under the runtime's work dir.
FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024

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

SQLITE_OPTIONS = {
    # WAL + busy timeout + immediate transactions: concurrent async writers wait, not fail.
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "timeout": 20,
    "transaction_mode": "IMMEDIATE",
}
if CHOREO.database_url:
    # Persistent connections with health checks: async views run the ORM in worker threads.
    _database = dj_database_url.parse(CHOREO.database_url, conn_max_age=60, conn_health_checks=True)
    if _database["ENGINE"] == "django.db.backends.sqlite3":
        _database["OPTIONS"] = {**SQLITE_OPTIONS, **_database.get("OPTIONS", {})}
else:
    _database = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "choreo.sqlite3",
        "OPTIONS": SQLITE_OPTIONS,
    }
DATABASES = {"default": _database}

# Throttle counters (choreography.accounts.throttle): shared through Redis when several server
# processes run; this process's memory otherwise.
if CHOREO.redis_url:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CHOREO.redis_url,
            "KEY_PREFIX": "choreo",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Sign-up (choreography.accounts.services.register) checks new passwords with these.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
STATIC_URL = "static/"
# Collected by `serve` at start-up. Served roots hold nothing else: the secret key and the SQLite
# database sit in DATA_DIR itself, which no route serves.
STATIC_ROOT = DATA_DIR / "static"
# servestatic (choreography.api.static_files): collectstatic writes gzip variants beside each file;
# files are indexed once at start-up, never looked up on disk per request.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "choreography.api.static_files.CompressedStaticFiles"},
}
SERVESTATIC_AUTOREFRESH = False
SERVESTATIC_MAX_AGE = 60  # the file names carry no hash: revalidate (ETag, 304) soon

CSRF_TRUSTED_ORIGINS = [o.strip() for o in CHOREO.csrf_trusted_origins.split(",") if o.strip()]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# CORS for the API only, for the origins listed in CORS_ALLOWED_ORIGINS (none by default).
CORS_ALLOWED_ORIGINS = CHOREO.cors_origins
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = ("accept", "authorization", "content-type", "idempotency-key")
CORS_EXPOSE_HEADERS = ("Retry-After", "X-Request-ID")
if CHOREO.https:  # behind a TLS-terminating proxy
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 3600

_LOG_HANDLER = {
    "class": "logging.StreamHandler",
    "formatter": "json" if CHOREO.json_logs else "console",
    "filters": ["context"],
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "choreography.logcontext.ContextFilter"}},
    "formatters": {
        "console": {
            "format": "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s task=%(task_id)s"
            " user=%(user)s] %(message)s"
        },
        "json": {"()": "choreography.logcontext.JsonFormatter"},
    },
    "handlers": {"console": _LOG_HANDLER},
    "loggers": {
        name: {"handlers": ["console"], "level": CHOREO.log_level, "propagate": False}
        for name in ("choreography", "assembly", "storage", "django.request")
    },
}

# --- Accounts on the web page (sign-up, log-in, password change and reset) -------------------
# Email goes through Django's backend: the console (links in the server output) unless
# EMAIL_HOST names an SMTP server (choreography.config.ChoreoConfig.mail_backend).
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
EMAIL_BACKEND = CHOREO.mail_backend
EMAIL_HOST = CHOREO.email_host or "localhost"
EMAIL_PORT = CHOREO.email_port
EMAIL_HOST_USER = CHOREO.email_host_user
EMAIL_HOST_PASSWORD = CHOREO.email_host_password
EMAIL_USE_TLS = CHOREO.email_use_tls
DEFAULT_FROM_EMAIL = CHOREO.default_from_email
