# choreo: one container, no job service. Multi-stage: dependencies are resolved by uv in a
# build stage; the runtime stage has Python, Debian's FFmpeg and the virtualenv, run as non-root.

FROM python:3.11-slim-bookworm AS build
RUN pip install --no-cache-dir uv
WORKDIR /app
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
RUN uv sync --frozen --no-dev

FROM python:3.11-slim-bookworm AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 choreo \
 && mkdir /data && chown choreo:choreo /data
WORKDIR /app
COPY --from=build --chown=choreo:choreo /app /app
ENV PATH="/app/.venv/bin:$PATH" CHOREO_DATA_DIR=/data PYTHONUNBUFFERED=1
USER choreo
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/', timeout=4)"
CMD ["python", "manage.py", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
