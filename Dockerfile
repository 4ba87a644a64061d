# soudan: one image for the webhook replicas and the Discord worker (see docker-compose.yml).
#   docker build -t soudan .
#   docker run --env-file .env -p 8080:8080 soudan            # one process on SQLite (./var in the container)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SOUDAN_FLOWS_DIR=/app/flows \
    SOUDAN_DIRECTORY_DIR=/app/directory \
    SOUDAN_PORT=8080

WORKDIR /app

# Dependencies first (cached while only flows or code change).
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install . && useradd --system --home-dir /app --shell /usr/sbin/nologin soudan

# Content the engine loads at start (it refuses to start when any of it is broken).
COPY flows ./flows
COPY directory ./directory
RUN soudan validate flows directory && mkdir -p /app/var && chown soudan /app/var

USER soudan
EXPOSE 8080

# /healthz answers 200 when the store answers, 503 otherwise.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('SOUDAN_PORT', '8080') + '/healthz', timeout=4)"]

ENTRYPOINT ["soudan"]
CMD ["serve", "--host", "0.0.0.0"]
