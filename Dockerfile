# syntax=docker/dockerfile:1
#
# One image for every Guichet service. The build argument SERVICE only picks the default
# command; any service runs from the same image by overriding it:
#
#   docker build -t guichet .                         # default command serves tickets
#   docker build -t guichet-notifications --build-arg SERVICE=notifications .
#   docker run guichet python -m services.notifications serve
#   docker run guichet python -m services.tickets migrate
#
# Base image: Python 3.11 on Debian bookworm, slim. The exact tag is pinned; the digest is
# not, because it could not be looked up where this file was written (no registry access).
# Pin it by passing the digest, e.g.
#   docker buildx imagetools inspect python:3.11.14-slim-bookworm   # prints the digest
#   docker build --build-arg PYTHON_IMAGE=python:3.11.14-slim-bookworm@sha256:<digest> .
# and then write that digest here.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

# ---------------------------------------------------------------------------------------
# builder: resolves nothing, installs exactly what uv.lock says into /app/.venv
# ---------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder

# The uv that ./guichet pins, installed from PyPI like ./guichet does.
ARG UV_VERSION=0.13.9
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
RUN pip install "uv==${UV_VERSION}"

WORKDIR /app

# Dependencies first: this layer is rebuilt only when the lock file changes.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project

# Then the project itself (shared, services, devstack), installed into the same venv.
# README.md is read by the build backend (pyproject's `readme`).
COPY README.md ./
COPY shared ./shared
COPY services ./services
COPY devstack ./devstack
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev \
    && python -m compileall -q shared services devstack

# ---------------------------------------------------------------------------------------
# runtime: the venv and the source, no build tools, a non-root user
# ---------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ARG SERVICE=tickets

LABEL org.opencontainers.image.title="guichet" \
      org.opencontainers.image.description="Guichet customer portal services" \
      org.opencontainers.image.licenses="AGPL-3.0-or-later"

RUN groupadd --system --gid 10001 guichet \
    && useradd --system --uid 10001 --gid guichet --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin guichet \
    && install -d -o 10001 -g 10001 /var/lib/guichet/attachments

# Owned by root and read-only to the service user: the code cannot be changed at run time,
# and the image runs with a read-only root filesystem (nothing is written outside /tmp and
# the volume of a service's files, /var/lib/guichet/attachments, owned by the service user).
WORKDIR /app
COPY --from=builder /app /app

# GUICHET_SERVICE is the default command's service (from the SERVICE build argument);
# the services' settings ignore it. Containers must listen on all interfaces.
ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    GUICHET_SERVICE=${SERVICE} \
    GUICHET_HTTP_HOST=0.0.0.0 \
    GUICHET_HTTP_PORT=8000

USER 10001:10001
EXPOSE 8000

# Liveness only: /healthz answers while the event loop does. Readiness (/readyz: database
# and broker) is checked by compose and Kubernetes, which know what the service depends on.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('GUICHET_HTTP_PORT', '8000') + '/healthz', timeout=4)"]

# `exec` makes Python PID 1, so it receives SIGTERM and shuts down cleanly.
CMD ["/bin/sh", "-c", "exec python -m \"services.${GUICHET_SERVICE}\" serve"]
