"""A small OpenID Connect identity provider for the sign-in tests, on localhost only.

It does what Streamlit's ``st.login`` (Authlib) needs of an organisation's provider, and
no more: the discovery document, an authorisation page with a form where the test types
who signs in (e-mail and name), a token endpoint that checks the client's id and secret,
the one-use code, the redirect address and (when sent) the PKCE verifier, then issues an
RS256-signed id token carrying the nonce (signed with joserfc, the JOSE library Authlib
itself now uses); the key set, and userinfo. It runs in a thread of the test process with
the standard library's HTTP server; the RSA key is made afresh each time. Nothing here
is fit for real use: there are no passwords.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote_plus, urlencode, urlparse

from joserfc import jwt
from joserfc.jwk import RSAKey

KEY_ID = "test-key-1"


@dataclass
class _Code:
    """What an authorisation code was issued for."""

    email: str
    name: str
    redirect_uri: str
    nonce: str
    challenge: str
    method: str


@dataclass
class Provider:
    """The provider's state: its client, its key, the codes and access tokens it issued."""

    client_id: str
    client_secret: str
    issuer: str = ""
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048))
    codes: dict[str, _Code] = field(default_factory=dict)
    tokens: dict[str, dict] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)  # why token requests were refused
    lock: threading.Lock = field(default_factory=threading.Lock)

    def metadata(self) -> dict:
        """The discovery document (``/.well-known/openid-configuration``)."""
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256", "plain"],
            "claims_supported": ["sub", "email", "name", "iss", "aud", "exp", "iat", "nonce"],
        }

    def id_token(self, code: _Code) -> str:
        """An RS256 id token for the person the code was issued to."""
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": hashlib.sha256(code.email.encode()).hexdigest()[:24],
            "aud": self.client_id,
            "iat": now,
            "exp": now + 600,
            "email": code.email,
            "email_verified": True,
            "name": code.name,
        }
        if code.nonce:
            claims["nonce"] = code.nonce
        return jwt.encode({"alg": "RS256", "kid": KEY_ID}, claims, self.key)


def _challenge_matches(code: _Code, verifier: str) -> bool:
    if not code.challenge:
        return True
    if code.method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii") == code.challenge
    return verifier == code.challenge


def _form(query: dict[str, str]) -> bytes:
    """The sign-in form: who signs in, and the request's values carried through."""
    carried = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in query.items()
    )
    page = (
        "<!doctype html><html><head><title>Test identity provider</title></head><body>"
        "<h1>Test identity provider</h1>"
        '<form method="post" action="/authorize">'
        f"{carried}"
        '<label>E-mail <input name="email" id="email" required></label> '
        '<label>Name <input name="name" id="name"></label> '
        '<button type="submit" id="continue">Continue</button>'
        "</form></body></html>"
    )
    return page.encode("utf-8")


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - the base class's name
            pass  # the tests' output stays quiet

        def _send(self, status: int, body: bytes, kind: str = "application/json", **headers):
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, value: dict) -> None:
            self._send(status, json.dumps(value).encode("utf-8"))

        def _fields(self) -> dict[str, str]:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8")
            return {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}

        def do_GET(self):  # noqa: N802 - http.server's name
            url = urlparse(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                self._json(200, provider.metadata())
            elif url.path == "/jwks":
                public = provider.key.as_dict(private=False)
                self._json(200, {"keys": [public | {"kid": KEY_ID, "use": "sig", "alg": "RS256"}]})
            elif url.path == "/authorize":
                if query.get("client_id") != provider.client_id:
                    self._send(400, b"unknown client", "text/plain")
                elif query.get("response_type") != "code":
                    self._send(400, b"only the code flow", "text/plain")
                else:
                    self._send(200, _form(query), "text/html; charset=utf-8")
            elif url.path == "/userinfo":
                bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
                claims = provider.tokens.get(bearer)
                if claims is None:
                    self._json(401, {"error": "invalid_token"})
                else:
                    self._json(200, claims)
            else:
                self._send(404, b"not found", "text/plain")

        def do_POST(self):  # noqa: N802 - http.server's name
            url = urlparse(self.path)
            if url.path == "/authorize":
                self._authorize(self._fields())
            elif url.path == "/token":
                self._token(self._fields())
            else:
                self._send(404, b"not found", "text/plain")

        def _authorize(self, fields: dict[str, str]) -> None:
            email = fields.get("email", "").strip()
            if fields.get("client_id") != provider.client_id or not email:
                self._send(400, b"client and e-mail needed", "text/plain")
                return
            code = secrets.token_urlsafe(24)
            with provider.lock:
                provider.codes[code] = _Code(
                    email=email,
                    name=fields.get("name", "").strip() or email,
                    redirect_uri=fields.get("redirect_uri", ""),
                    nonce=fields.get("nonce", ""),
                    challenge=fields.get("code_challenge", ""),
                    method=fields.get("code_challenge_method", "plain"),
                )
            back = {"code": code}
            if fields.get("state"):
                back["state"] = fields["state"]
            self._send(
                302, b"", "text/plain", Location=f"{fields['redirect_uri']}?{urlencode(back)}"
            )

        def _client(self, fields: dict[str, str]) -> tuple[str, str]:
            basic = self.headers.get("Authorization", "")
            if basic.startswith("Basic "):
                decoded = base64.b64decode(basic.removeprefix("Basic ")).decode("utf-8")
                client_id, _, secret = decoded.partition(":")
                return unquote_plus(client_id), unquote_plus(secret)
            return fields.get("client_id", ""), fields.get("client_secret", "")

        def _refuse(self, why: str, error: str = "invalid_grant") -> None:
            provider.refused.append(why)
            self._json(400 if error != "invalid_client" else 401, {"error": error})

        def _token(self, fields: dict[str, str]) -> None:
            client_id, secret = self._client(fields)
            if (client_id, secret) != (provider.client_id, provider.client_secret):
                self._refuse("wrong client id or secret", "invalid_client")
                return
            with provider.lock:
                code = provider.codes.pop(fields.get("code", ""), None)  # one use only
            if fields.get("grant_type") != "authorization_code" or code is None:
                self._refuse("unknown or used code")
            elif fields.get("redirect_uri") != code.redirect_uri:
                self._refuse("redirect_uri differs from the authorisation request's")
            elif not _challenge_matches(code, fields.get("code_verifier", "")):
                self._refuse("PKCE verifier does not match")
            else:
                access_token = secrets.token_urlsafe(24)
                provider.tokens[access_token] = {
                    "sub": hashlib.sha256(code.email.encode()).hexdigest()[:24],
                    "email": code.email,
                    "name": code.name,
                }
                self._json(
                    200,
                    {
                        "access_token": access_token,
                        "token_type": "Bearer",
                        "expires_in": 600,
                        "id_token": provider.id_token(code),
                    },
                )

    return Handler


class Running:
    """A provider serving on 127.0.0.1; ``url`` is its issuer, ``stop()`` ends it."""

    def __init__(self, client_id: str, client_secret: str):
        self.provider = Provider(client_id, client_secret)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.provider))
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.provider.issuer = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def metadata_url(self) -> str:
        """Where the discovery document is (``server_metadata_url`` in secrets.toml)."""
        return f"{self.url}/.well-known/openid-configuration"

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
