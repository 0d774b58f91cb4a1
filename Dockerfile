# ipeval service image: slim, non-root, installed (not editable) from the same hash-checked
# locks as `python3 bootstrap.py run`; migrates the database, then serves with uvicorn.
#
# The base image is pinned by digest (python:3.11-slim). To move to a newer patch release:
#   docker buildx imagetools inspect python:3.11-slim   # the index digest, then edit PYTHON_IMAGE
# Checked by hadolint in the test gate (`python3 bootstrap.py test`).
ARG PYTHON_IMAGE=python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY requirements/ requirements/
# The venv's bundled pip installs the pinned pip, setuptools and wheel first (the build
# backend); the new pip installs the runtime lock, every file checked against its hash.
RUN python -m venv /opt/ipeval/venv \
    && /opt/ipeval/venv/bin/pip install --require-hashes -r requirements/lock-bootstrap.txt \
    && /opt/ipeval/venv/bin/pip install --require-hashes -r requirements/lock.txt
COPY pyproject.toml README.md ./
COPY app/ app/
COPY scoring/ scoring/
RUN /opt/ipeval/venv/bin/pip install --no-deps --no-build-isolation . \
    && rm -rf /opt/ipeval/venv/lib/python3.11/site-packages/pip*

FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/ipeval/venv/bin:$PATH \
    IPEVAL_HOME=/opt/ipeval/share \
    IPEVAL_DATA_DIR=/var/lib/ipeval \
    IPEVAL_ENV=production \
    WORKERS=1
RUN groupadd --system --gid 10001 ipeval \
    && useradd --system --uid 10001 --gid 10001 --home-dir /opt/ipeval --no-create-home ipeval \
    && mkdir -p /var/lib/ipeval && chown 10001:10001 /var/lib/ipeval
COPY --from=build /opt/ipeval/venv /opt/ipeval/venv
# Runtime data only: migrations (applied at start) and the shipped rubrics.
COPY alembic.ini /opt/ipeval/share/
COPY migrations/ /opt/ipeval/share/migrations/
COPY rubrics/ /opt/ipeval/share/rubrics/
USER 10001:10001
WORKDIR /var/lib/ipeval
EXPOSE 8000
VOLUME ["/var/lib/ipeval"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/api/v1/health', timeout=4).status == 200 else 1)"]
# IPEVAL_SECRET_KEY must be provided (production refuses the development default);
# IPEVAL_DATABASE_URL may point at PostgreSQL, otherwise SQLite lives in the volume.
# Behind a reverse proxy, set FORWARDED_ALLOW_IPS to its address so that X-Forwarded-For
# and X-Forwarded-Proto are honoured (uvicorn --proxy-headers).
CMD ["sh", "-c", "ipeval db upgrade && exec ipeval serve --host 0.0.0.0 --port 8000 --workers \"$WORKERS\" --forwarded-allow-ips \"${FORWARDED_ALLOW_IPS:-127.0.0.1}\""]
