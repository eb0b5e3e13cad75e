"""Two app servers behind the proxy configuration a team deploys (deploy/nginx.conf), for real.

Two ``streamlit run`` servers, each on its own copy of the demo database, and Debian's nginx
with the committed configuration, changed only where compose's names must become this
machine's ports (the two upstream servers and the listening port). Then: the health check
answers through the proxy; a browser works through it (the websocket passes, a chart is
drawn); each browser stays with one server across reloads, its websocket included; and a
browser with another routing key is served by the other server. Skipped, with the reason,
where nginx is not installed (.ci/run installs it).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from capacity import config
from tests.e2e.conftest import assert_no_errors, free_port, open_app, plots, serving

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
    return f"""daemon off;
pid {folder / "nginx.pid"};
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
def proxying(folder: Path, upstreams: list[int]):
    """nginx with the committed site configuration; yields its URL once it answers."""
    port = free_port()
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
def proxied(tmp_path_factory, demo_db):
    """Two app servers and the proxy in front: (the proxy's URL, the servers' addresses)."""
    with ExitStack() as stack:
        urls = [
            stack.enter_context(serving(tmp_path_factory.mktemp(f"app{n}"), demo_db))
            for n in (1, 2)
        ]
        ports = [int(url.rsplit(":", 1)[1]) for url in urls]
        proxy = stack.enter_context(proxying(tmp_path_factory.mktemp("proxy"), ports))
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


def browse(browser, proxy: str, key: str) -> tuple[list[str], list[str]]:
    """Open the app through the proxy LOADS times in one browser whose routing key is ``key``,
    checking each time that a chart is drawn (so the websocket worked) and no error shows.
    Returns which server answered each load of the page, and each websocket's opening."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, base_url=proxy)
    context.add_cookies([{"name": COOKIE, "value": key, "url": proxy}])
    page = context.new_page()
    page.set_default_timeout(60_000)
    pages: list[str] = []
    page.on(
        "response",
        lambda response: (
            response.request.resource_type == "document"
            and pages.append(response.headers.get(HEADER, "none"))
        ),
    )
    # The websocket's own opening answer (HTTP 101) says where the session lives.
    sockets: list[str] = []
    devtools = context.new_cdp_session(page)
    devtools.on(
        "Network.webSocketHandshakeResponseReceived",
        lambda event: sockets.append(
            {k.lower(): v for k, v in event["response"]["headers"].items()}.get(HEADER, "none")
        ),
    )
    devtools.send("Network.enable")
    try:
        for _ in range(LOADS):
            open_app(page)  # a new load each time, as a person's reload is
            assert plots(page), "no chart was drawn: the page's websocket did not work"
            assert_no_errors(page)
    finally:
        context.close()
    return pages, sockets


def test_each_browser_works_through_the_proxy_and_stays_with_its_server(proxied, browser):
    proxy, servers = proxied
    for server, key in routing_keys(proxy, servers).items():
        pages, sockets = browse(browser, proxy, key)
        assert pages == [server] * LOADS, f"the page's loads went to {pages}"
        assert len(sockets) >= LOADS and set(sockets) == {server}, f"websockets went to {sockets}"
