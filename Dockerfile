# choreo: one container, no job service. Multi-stage: dependencies are resolved by uv in a
# build stage; the runtime stage has Python, Debian's FFmpeg and the virtualenv, run as non-root.
#
# Layers, from the slowest to change: system packages, the virtualenv (rebuilt only when
# pyproject.toml or uv.lock change), then the code (about 3 MB per commit). The demo library
# is not in the image: `serve` builds it at the first start into the data volume (or S3), where
# it stays. The code is owned by root: the server (uid 10001) writes only to /data.
#
#   docker build -t choreo .
#   docker run -p 8000:8000 -e CHOREO_ENV=production -e SECRET_KEY=... -e CHOREO_PUBLIC_URL=... \
#     -e DATABASE_URL=... -e REDIS_URL=... [S3, proxies: README's Deployment] choreo

FROM python:3.11-slim-bookworm AS build
RUN pip install --no-cache-dir uv
WORKDIR /app
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

# The code, compiled to bytecode once here (the server may not write to /app).
FROM python:3.11-slim-bookworm AS code
WORKDIR /app
COPY . .
RUN python -m compileall -q asgi_project assembly choreography storage manage.py

FROM python:3.11-slim-bookworm AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg fonts-dejavu-core tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 choreo \
 && mkdir /data && chown choreo:choreo /data
# Settings first, the copies last: a commit rebuilds only the final layer (and the code stage).
# CHOREO_PORT: where `serve` listens and where the health check looks (one setting for both).
ENV PATH="/app/.venv/bin:$PATH" CHOREO_DATA_DIR=/data PYTHONUNBUFFERED=1 \
    CHOREO_PORT=8000 CHOREO_WORKERS=2
WORKDIR /app
VOLUME ["/data"]
EXPOSE 8000
# Generous start period: the first start builds the demo library (about a minute on 2 cores).
HEALTHCHECK --interval=15s --timeout=5s --start-period=300s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health/' % os.environ['CHOREO_PORT'], timeout=4)"
# tini as PID 1: passes SIGTERM on to the server and reaps any orphan.
ENTRYPOINT ["tini", "--"]
CMD ["sh", "-c", "exec python manage.py serve --host 0.0.0.0 --port \"$CHOREO_PORT\" --workers \"$CHOREO_WORKERS\""]
USER choreo
COPY --from=build /app/.venv /app/.venv
COPY --from=code /app /app
