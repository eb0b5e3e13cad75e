"""Two app servers behind the proxy configuration a team deploys (deploy/nginx.conf), for real.

Two ``streamlit run`` servers, each on its own copy of the demo database and both with one
secrets file (sign-in against tests/oidc_provider.py), as compose runs them; and Debian's nginx
with the committed configuration, changed only where compose's names must become this
machine's ports (the two upstream servers and the listening port). Then: the health check
answers through the proxy; a browser signs in through it and the page works (a chart is drawn,
so the websocket passes); each browser stays with one server across its sign-in and reloads,
its websockets included; a browser with another routing key is served by the other server;
and a person signed in through one server is still signed in when sent to the other. Skipped,
with the reason, where nginx is not installed (.ci/run installs it)."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from capacity import config
from tests.e2e.conftest import (
    ARTIFACTS,
    assert_no_errors,
    free_port,
    open_app,
    plots,
    serving,
    settle,
)
from tests.e2e.test_sign_in import CLIENT_ID, CLIENT_SECRET, VIEWER, sign_in
from tests.oidc_provider import Running
from tests.roles import ROLES

if TYPE_CHECKING:  # Playwright may be absent; the suite's conftest then skips, saying why
    from playwright.sync_api import Page

CONFIG = config.PROJECT_ROOT / "deploy" / "nginx.conf"
COOKIE = "capacity_server"
HEADER = "x-capacity-server"
LOADS = 3


def nginx_program() -> str | None:
    """Debian's nginx: on PATH, or in /usr/sbin, which is not on a non-root user's PATH."""
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if Path("/usr/sbin/nginx").is_file() else None


NGINX = nginx_program()
pytestmark = pytest.mark.skipif(
    NGINX is None, reason="the proxy test needs nginx (.ci/run installs it: apt-get install nginx)"
)


def site_config(upstreams: list[int], listen: int) -> str:
    """deploy/nginx.conf with compose's app1:8501 and app2:8501 as local ports, and its
    listening port as ``listen``; each change must find exactly one line to change."""
    text = CONFIG.read_text("utf-8")
    changes = [
        (r"server app1:8501\b", f"server 127.0.0.1:{upstreams[0]}"),
        (r"server app2:8501\b", f"server 127.0.0.1:{upstreams[1]}"),
        (r"listen 80;", f"listen 127.0.0.1:{listen};"),
    ]
    for pattern, replacement in changes:
        text, count = re.subn(pattern, replacement, text)
        assert count == 1, f"deploy/nginx.conf has {count} lines matching {pattern!r}, not one"
    return text


def main_config(folder: Path, site: Path) -> str:
    """The frame nginx needs around a site file to run unprivileged from ``folder``: where
    its pid, logs and temporary files go. The official image's own nginx.conf does this."""
    temp = " ".join(
        f"{kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi")
    )
    # nginx started by root hands its workers to "nobody", who may not enter pytest's private
    # temporary folder to buffer a large answer (Plotly's script); keep them as this user.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""daemon off;
{user}pid {folder / "nginx.pid"};
error_log {folder / "error.log"} info;
events {{}}
http {{
    {temp} uwsgi_temp_path {folder / "uwsgi"}; scgi_temp_path {folder / "scgi"};
    access_log {folder / "access.log"};
    include {site};
}}
"""


def get(url: str, key: str | None = None):
    """One GET request, with ``key`` as the routing cookie if given: (status, the server that
    answered, the routing key the proxy gave, body)."""
    request = urllib.request.Request(url, headers={"Cookie": f"{COOKIE}={key}"} if key else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        given = [
            found.group(1)
            for cookie in response.headers.get_all("Set-Cookie") or []
            if (found := re.match(rf"{COOKIE}=([0-9a-f]+);", cookie))
        ]
        assert len(given) <= 1, given
        served_by = response.headers.get(HEADER)
        return response.status, served_by, given[0] if given else None, response.read()


@contextmanager
def proxying(folder: Path, upstreams: list[int], port: int):
    """nginx with the committed site configuration, listening on ``port``; yields its URL
    once it answers."""
    site = folder / "site.conf"
    site.write_text(site_config(upstreams, port), "utf-8")
    main = folder / "nginx.conf"
    main.write_text(main_config(folder, site), "utf-8")
    log = folder / "error.log"
    process = subprocess.Popen(
        [NGINX, "-p", str(folder), "-e", str(log), "-c", str(main)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"nginx stopped on start:\n{log.read_text()[-3000:]}")
            try:
                get(f"{url}/_stcore/health")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


@pytest.fixture(scope="module")
def provider():
    """The test's OpenID Connect provider (tests/oidc_provider.py), on 127.0.0.1."""
    running = Running(CLIENT_ID, CLIENT_SECRET)
    yield running
    running.stop()


def shared_settings(folder: Path, provider: Running, proxy_port: int) -> tuple[str, ...]:
    """One secrets file for both servers, as compose mounts one: sign-in returns to the
    proxy's address, and both servers sign cookies with the same secret. Returns the
    servers' extra arguments."""
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{proxy_port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
        f'client_id = "{CLIENT_ID}"\n'
        f'client_secret = "{CLIENT_SECRET}"\n'
        f'server_metadata_url = "{provider.metadata_url}"\n',
        "utf-8",
    )
    return ("--secrets.files", str(secrets_file))


@pytest.fixture(scope="module")
def proxied(tmp_path_factory, demo_db, provider):
    """Two app servers with sign-in and the proxy in front: (the proxy's URL, the servers'
    addresses)."""
    proxy_port = free_port()
    settings = tmp_path_factory.mktemp("settings")
    args = shared_settings(settings, provider, proxy_port)
    roles = settings / "roles.toml"
    roles.write_text(ROLES, "utf-8")
    env = {"CAPACITY_ROLES": str(roles), "NO_PROXY": "127.0.0.1,localhost"}
    env["no_proxy"] = env["NO_PROXY"]
    with ExitStack() as stack:
        urls = [
            stack.enter_context(
                serving(tmp_path_factory.mktemp(f"app{n}"), demo_db, env=env, args=args)
            )
            for n in (1, 2)
        ]
        ports = [int(url.rsplit(":", 1)[1]) for url in urls]
        folder = tmp_path_factory.mktemp("proxy")
        proxy = stack.enter_context(proxying(folder, ports, proxy_port))
        yield proxy, [f"127.0.0.1:{port}" for port in ports]


def routing_keys(proxy: str, servers: list[str]) -> dict[str, str]:
    """A routing key the proxy handed out for each server, by asking as new browsers do.

    Keys are random, so each new browser has an even chance of either server: forty
    tries miss one of two servers about once in 2**39 runs.
    """
    keys: dict[str, str] = {}
    for _ in range(40):
        status, served_by, key, _ = get(f"{proxy}/_stcore/health")
        assert status == 200 and key is not None
        keys.setdefault(served_by, key)
        if len(keys) == len(servers):
            break
    assert sorted(keys) == sorted(servers)
    return keys


def test_the_health_check_answers_through_the_proxy(proxied):
    proxy, servers = proxied
    status, served_by, key, body = get(f"{proxy}/_stcore/health")
    assert (status, body) == (200, b"ok")
    assert served_by in servers
    # A new browser is given a routing key (32 hex digits); one that has a key keeps it, is
    # given no other, and is served by the same server.
    assert key is not None and len(key) == 32
    for _ in range(5):
        assert get(f"{proxy}/_stcore/health", key) == (200, served_by, None, b"ok")


@dataclass
class Routed:
    """A browser page through the proxy, and which server answered each of its page loads
    (documents) and each of its websockets' openings."""

    page: Page
    pages: list[str] = field(default_factory=list)
    sockets: list[str] = field(default_factory=list)


@contextmanager
def routed_page(browser, proxy: str, key: str):
    """A new browser whose routing key is ``key``, watched as :class:`Routed` says."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, base_url=proxy)
    context.add_cookies([{"name": COOKIE, "value": key, "url": proxy}])
    page = context.new_page()
    page.set_default_timeout(60_000)
    routed = Routed(page)

    def on_response(response) -> None:
        # The provider's own pages are not the proxy's; its redirects back are.
        if response.request.resource_type == "document" and response.url.startswith(proxy):
            routed.pages.append(response.headers.get(HEADER, "none"))

    def on_socket(event: dict) -> None:
        headers = {name.lower(): value for name, value in event["response"]["headers"].items()}
        routed.sockets.append(headers.get(HEADER, "none"))

    page.on("response", on_response)
    # The websocket's own opening answer (HTTP 101) says where the session lives.
    devtools = context.new_cdp_session(page)
    devtools.on("Network.webSocketHandshakeResponseReceived", on_socket)
    devtools.send("Network.enable")
    try:
        yield routed
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "proxy_failure.png"), full_page=True)
        raise
    finally:
        context.close()


def signed_in(page: Page) -> None:
    """From a fresh browser, through the provider's form and back (as tests/e2e/test_sign_in.py)."""
    page.goto("/")
    settle(page)
    sign_in(page, *VIEWER)


def a_chart_and_no_error(page: Page) -> None:
    """The page is signed in and drew a chart, so its websocket worked; it shows no error."""
    assert f"{VIEWER[1]} · viewer" in page.locator('[data-testid="stSidebar"]').inner_text()
    assert plots(page), "no chart was drawn: the page's websocket did not work"
    assert_no_errors(page)


def test_each_browser_signs_in_through_the_proxy_and_stays_with_its_server(proxied, browser):
    proxy, servers = proxied
    for server, key in routing_keys(proxy, servers).items():
        with routed_page(browser, proxy, key) as routed:
            # Sign-in's return from the provider must reach the server that sent the person
            # there: that server alone holds the sign-in's state.
            signed_in(routed.page)
            a_chart_and_no_error(routed.page)
            for _ in range(LOADS):
                open_app(routed.page)  # a new load each time, as a person's reload is
                a_chart_and_no_error(routed.page)
        assert len(routed.pages) > LOADS and set(routed.pages) == {server}, routed.pages
        assert len(routed.sockets) > LOADS and set(routed.sockets) == {server}, routed.sockets


def test_a_person_signed_in_through_one_server_is_signed_in_on_the_other(proxied, browser):
    proxy, servers = proxied
    keys = routing_keys(proxy, servers)
    first, second = servers
    with routed_page(browser, proxy, keys[first]) as routed:
        signed_in(routed.page)
        # The server stops answering, say, and the person's browser is sent to the other one.
        routed.page.context.add_cookies([{"name": COOKIE, "value": keys[second], "url": proxy}])
        open_app(routed.page)
        a_chart_and_no_error(routed.page)
    assert routed.pages[-1] == second and routed.sockets[-1] == second
