# The app for a team: one container, its database and settings outside it.
#
#   docker build -t capacity .
#   docker run -p 127.0.0.1:8501:8501 \
#     -v capacity-data:/data \
#     -v /etc/capacity/secrets.toml:/app/.streamlit/secrets.toml:ro \
#     -v /etc/capacity/roles.toml:/app/.streamlit/roles.toml:ro \
#     capacity
#
# The organisation's reverse proxy does HTTPS in front of it (docs/deploying.md).
FROM python:3.11-slim-bookworm

# Chart images (PNG, SVG, the meeting pack) are drawn by Debian's Chromium.
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .

# The database lives on a volume, so a new image keeps the team's data; the app builds the
# demo database on first start if there is none.
ENV CAPACITY_DB=/data/capacity.duckdb \
    CAPACITY_DEMO_DB=/data/demo.duckdb \
    PYTHONDONTWRITEBYTECODE=1
RUN useradd --create-home --uid 1000 capacity \
    && mkdir /data && chown capacity /data
USER capacity
VOLUME ["/data"]

EXPOSE 8501
# Inside the container the app must listen beyond its own loopback for the port mapping to
# reach it; publish the port on the host's loopback (as above) or to the proxy only.
CMD ["streamlit", "run", "app.py", "--server.address", "0.0.0.0", "--server.port", "8501"]
