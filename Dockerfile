# ipeval service image: slim, non-root, installed from the same hash-checked lock as
# `python3 bootstrap.py run`; migrates the database, then serves with uvicorn.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    IPEVAL_VENV=/opt/ipeval/venv \
    IPEVAL_DATA_DIR=/var/lib/ipeval \
    IPEVAL_ENV=production

RUN groupadd --system ipeval && useradd --system --gid ipeval --home /opt/ipeval ipeval \
    && mkdir -p /opt/ipeval/app /var/lib/ipeval && chown ipeval:ipeval /var/lib/ipeval

WORKDIR /opt/ipeval/app
COPY requirements/ requirements/
RUN python -m venv "$IPEVAL_VENV" \
    && "$IPEVAL_VENV/bin/pip" install --no-cache-dir --require-hashes -r requirements/lock.txt
COPY . .
RUN "$IPEVAL_VENV/bin/pip" install --no-cache-dir --no-deps -e . && rm -rf .venv data

USER ipeval
EXPOSE 8000
VOLUME ["/var/lib/ipeval"]
# IPEVAL_SECRET_KEY must be provided (production refuses the development default);
# IPEVAL_DATABASE_URL may point at PostgreSQL, otherwise SQLite lives in the volume.
CMD ["sh", "-c", "\"$IPEVAL_VENV/bin/ipeval\" db upgrade && exec \"$IPEVAL_VENV/bin/ipeval\" serve --host 0.0.0.0 --port 8000"]
