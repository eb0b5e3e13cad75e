"""The deployment files agree with the app and with each other: the Dockerfile, the proxy's
deploy/nginx.conf and deploy/compose.yaml.

tests/e2e/test_proxy.py runs the proxy configuration for real; these check what only reading
the files can: the image's health check works, the limits and names the three files share
agree, and no two app servers share a DuckDB file.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import subprocess
import sys
import threading
import tomllib
from contextlib import contextmanager
from pathlib import PurePosixPath

import pytest
import yaml

from capacity import config

ROOT = config.PROJECT_ROOT
DOCKERFILE = (ROOT / "Dockerfile").read_text("utf-8")
NGINX = (ROOT / "deploy" / "nginx.conf").read_text("utf-8")
COMPOSE = ROOT / "deploy" / "compose.yaml"
STREAMLIT_CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text("utf-8"))


def instructions(name: str) -> list[str]:
    """The arguments of every Dockerfile instruction ``name``, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [m.group(1).strip() for m in re.finditer(rf"^{name}\s+(.*)$", joined, re.M)]


def image_env() -> dict[str, str]:
    """The image's ENV settings (KEY=VALUE form)."""
    pairs = (pair.split("=", 1) for line in instructions("ENV") for pair in line.split())
    return dict(pairs)


def healthcheck_command() -> list[str]:
    """The HEALTHCHECK's command, in exec form."""
    (line,) = instructions("HEALTHCHECK")
    return json.loads(line.split(" CMD ", 1)[1])


def nginx_seconds(value: str) -> float:
    """An nginx time ("90", "60s", "2h", "1d") in seconds."""
    number, unit = re.fullmatch(r"(\d+)(ms|s|m|h|d|w)?", value).groups()
    scale = {None: 1, "ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[unit]
    return int(number) * scale


Directive = tuple[str, list[str], list | None]


def nginx_parse(tokens: list[str], at: int = 0) -> tuple[list[Directive], int]:
    """nginx configuration tokens as (name, arguments, inner directives or None), from ``at``
    to the end of the block; also where reading stopped."""
    directives: list[Directive] = []
    words: list[str] = []
    while at < len(tokens):
        token, at = tokens[at], at + 1
        if token == "}":
            break
        if token == "{":
            inner, at = nginx_parse(tokens, at)
            directives.append((words[0], words[1:], inner))
            words = []
        elif token == ";":
            directives.append((words[0], words[1:], None))
            words = []
        else:
            words.append(token.strip('"'))
    return directives, at


NGINX_TREE = nginx_parse(re.findall(r'"[^"]*"|[{};]|[^\s{};"]+', re.sub(r"#[^\n]*", "", NGINX)))[0]


def nginx_block(*path: str) -> list[Directive]:
    """The directives inside the nested blocks named by ``path`` (each "name arguments")."""
    block = NGINX_TREE
    for header in path:
        found = [inner for name, args, inner in block if " ".join([name, *args]) == header]
        assert len(found) == 1 and found[0] is not None, f"deploy/nginx.conf: no one {header!r}"
        block = found[0]
    return block


def directive(block: list[Directive], name: str) -> list[str]:
    """The arguments of every directive ``name`` directly in ``block``, each joined by spaces."""
    return [" ".join(args) for found, args, _ in block if found == name]


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        body = b"ok" if self.path == "/_stcore/health" and self.status == 200 else b"no"
        self.send_response(self.status if self.path == "/_stcore/health" else 404)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@contextmanager
def health_server(status: int):
    """A local server whose /_stcore/health answers ``status`` ("ok" for 200); yields its port."""
    handler = type("Health", (_Health,), {"status": status})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def run_healthcheck(port: int) -> int:
    """The image's health check, run here as Docker runs it in the container; its exit status."""
    command = healthcheck_command()
    assert command[0] == "python"
    environment = {**os.environ, "STREAMLIT_SERVER_PORT": str(port)}
    return subprocess.run([sys.executable, *command[1:]], env=environment, timeout=30).returncode


def test_the_image_health_check_passes_only_when_streamlit_says_ok():
    with health_server(200) as port:
        assert run_healthcheck(port) == 0
    with health_server(503) as port:
        assert run_healthcheck(port) != 0
    with health_server(200) as port:
        pass  # now closed: nothing listens on the port
    assert run_healthcheck(port) != 0


def test_the_image_listens_beyond_its_loopback_while_a_laptop_keeps_localhost():
    env = image_env()
    assert env["STREAMLIT_SERVER_ADDRESS"] == "0.0.0.0"
    assert instructions("EXPOSE") == [env["STREAMLIT_SERVER_PORT"]]
    assert STREAMLIT_CONFIG["server"]["address"] == "localhost"
    # The app's command does not pin an address or port the settings above would not reach.
    (command,) = instructions("CMD")
    assert "--server.address" not in command and "--server.port" not in command
    users = instructions("USER")
    assert users and users[-1] not in ("root", "0")


def test_the_proxy_takes_uploads_as_large_as_the_app_does():
    (size,) = directive(nginx_block("server"), "client_max_body_size")
    megabytes = int(re.fullmatch(r"(\d+)[mM]", size).group(1))
    assert megabytes >= STREAMLIT_CONFIG["server"]["maxUploadSize"] == config.MAX_UPLOAD_MB


def test_the_proxy_upgrades_the_websocket_and_keeps_it_open():
    stream = nginx_block("server", "location /_stcore/stream")
    headers = dict(value.split(None, 1) for value in directive(stream, "proxy_set_header"))
    assert headers["Upgrade"] == "$http_upgrade"
    connection = nginx_block(f"map $http_upgrade {headers['Connection']}")
    assert directive(connection, "default") == ["upgrade"]
    assert directive(stream, "proxy_http_version") == ["1.1"]
    for timeout in ("proxy_read_timeout", "proxy_send_timeout"):
        (value,) = directive(stream, timeout)
        assert nginx_seconds(value) >= 8 * 3600, f"{timeout} {value} would cut off an open page"


def test_the_proxy_routes_by_a_cookie_it_sets_not_by_address():
    upstream = nginx_block("upstream capacity_app")
    (key,) = directive(upstream, "hash")
    variable = key.split()[0]
    # The key is read from a cookie: a map from $cookie_NAME to the hash's variable.
    maps = {args[1]: args[0] for name, args, _ in NGINX_TREE if name == "map"}
    cookie = maps[variable]
    assert cookie.startswith("$cookie_")
    # ... and the proxy sets that cookie, from a map of the same cookie.
    set_cookies = [
        value.split()[1]
        for value in directive(nginx_block("server"), "add_header")
        if value.startswith("Set-Cookie ")
    ]
    assert [maps[given] for given in set_cookies] == [cookie]
    assert not directive(upstream, "ip_hash")


# compose.yaml is read with PyYAML, a test requirement only (the app does not read YAML).
@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text("utf-8"))


def app_services(compose: dict) -> dict[str, dict]:
    """The services built from this repository's Dockerfile."""
    return {
        name: service
        for name, service in compose["services"].items()
        if "build" in service and (COMPOSE.parent / service["build"]["context"]).resolve() == ROOT
    }


def test_the_proxy_sends_to_exactly_the_app_services_on_the_image_port(compose):
    apps = app_services(compose)
    assert len(apps) >= 2
    port = image_env()["STREAMLIT_SERVER_PORT"]
    servers = {
        value.split()[0] for value in directive(nginx_block("upstream capacity_app"), "server")
    }
    assert servers == {f"{name}:{port}" for name in apps}
    proxy = compose["services"]["proxy"]
    (listen,) = directive(nginx_block("server"), "listen")
    assert [mapping.rsplit(":", 1)[1] for mapping in proxy["ports"]] == [listen]
    # The proxy runs this very file, as the site the official image includes.
    mounted = {
        (COMPOSE.parent / source).resolve(): rest
        for source, *rest in (volume.split(":") for volume in proxy["volumes"])
    }
    assert mounted[ROOT / "deploy" / "nginx.conf"] == ["/etc/nginx/conf.d/default.conf", "ro"]
    for name in apps:
        assert proxy["depends_on"][name] == {"condition": "service_healthy"}


def mount(volume: str | dict) -> dict:
    """A service's volume in compose's long form (source, target, read_only)."""
    if isinstance(volume, dict):
        return volume
    source, target, *mode = volume.split(":")
    return {"source": source, "target": target, "read_only": mode == ["ro"]}


def test_each_app_server_has_a_database_file_of_its_own_and_the_shared_settings(compose):
    data_folder = str(PurePosixPath(image_env()["CAPACITY_DB"]).parent)
    own_volumes = []
    for name, service in app_services(compose).items():
        assert "healthcheck" not in service, f"{name} must keep the image's health check"
        mounts = [mount(volume) for volume in service["volumes"]]
        (data,) = [m["source"] for m in mounts if m["target"] == data_folder]
        assert data in compose["volumes"], f"{name}'s {data_folder} is not a named volume"
        own_volumes.append(data)
        read_only = {m["target"] for m in mounts if m.get("read_only")}
        assert {"/app/.streamlit/secrets.toml", "/app/.streamlit/roles.toml"} <= read_only
        assert service["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert len(set(own_volumes)) == len(own_volumes), f"app servers share {own_volumes}"


def test_the_app_servers_reach_the_postgres_service_as_it_is_set_up(compose):
    postgres = compose["services"]["postgres"]
    assert postgres["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    settings = postgres["environment"]
    for service in app_services(compose).values():
        state = service["environment"]["CAPACITY_STATE"]
        user, host, database = re.fullmatch(r"postgresql://(\w+)@(\w+):5432/(\w+)", state).groups()
        assert (user, host, database) == (
            settings["POSTGRES_USER"],
            "postgres",
            settings["POSTGRES_DB"],
        )
        assert service["environment"]["PGPASSWORD"] == settings["POSTGRES_PASSWORD"]
