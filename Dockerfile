# The app for a team: one container per app server, its database and settings outside it.
#
#   docker build -t capacity .
#   docker run -p 127.0.0.1:8501:8501 \
#     -v capacity-data:/data \
#     -v /etc/capacity/secrets.toml:/app/.streamlit/secrets.toml:ro \
#     -v /etc/capacity/roles.toml:/app/.streamlit/roles.toml:ro \
#     capacity
#
# The organisation's reverse proxy does HTTPS in front of it; several servers behind one
# proxy, sharing PostgreSQL: deploy/compose.yaml (docs/deploying.md).
FROM python:3.11-slim-bookworm

# Chart images (PNG, SVG, the meeting pack) are drawn by Debian's Chromium.
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# The requirements first, so a change of code alone reuses this layer.
COPY requirements.txt .
RUN pip install -r requirements.txt

# Owned by root, so the app cannot change its own code; .dockerignore leaves out tests,
# docs, settings with secrets and any database.
COPY . .

RUN useradd --create-home --uid 1000 capacity \
    && mkdir /data && chown capacity /data

# The database lives on a volume, so a new image keeps the team's data; the app builds the
# demo database on first start if there is none. .streamlit/config.toml listens on
# localhost, right for a laptop; inside a container the app must listen beyond its own
# loopback for a published port or the proxy to reach it, which these settings say
# (Streamlit reads STREAMLIT_SERVER_* before its config file; a command-line flag still wins).
ENV CAPACITY_DB=/data/capacity.duckdb \
    CAPACITY_DEMO_DB=/data/demo.duckdb \
    STREAMLIT_SERVER_ADDRESS=0.0.0.0 \
    STREAMLIT_SERVER_PORT=8501
USER capacity
VOLUME ["/data"]
EXPOSE 8501

# Streamlit's own health check: "ok" once the server answers. Failures in the first minute
# (Python's imports on a busy machine) do not count against it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; port = os.environ['STREAMLIT_SERVER_PORT']; u.urlopen(f'http://127.0.0.1:{port}/_stcore/health', timeout=4).read() == b'ok' or exit(1)"]

CMD ["python", "-m", "streamlit", "run", "app.py"]
