"""Secrets at rest, SSRF checks on submitted base URLs, and redaction.

No network: literal addresses and `localhost` resolve locally, and hostnames that
would need DNS are answered by a stand-in getaddrinfo.
"""

from __future__ import annotations

import socket
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet, InvalidToken

from wwabench.endpoints import UNREADABLE, private_parts, public_endpoint, public_params
from wwabench.redaction import REDACTED, redact
from wwabench.service.crypto import decrypt, encrypt, load_secret
from wwabench.service.urls import UnsafeURL, check_base_url

REFUSED = [
    # loopback, v4 and v6, and the name for it
    "http://127.0.0.1/v1",
    "http://127.8.9.10:8000/v1",
    "http://[::1]:8080/v1",
    "http://localhost:11434/v1",
    "http://LOCALHOST./v1",
    # private ranges, shared address space, the unspecified address
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://0.0.0.0/",
    "http://0/",
    "http://[::]/",
    "http://[fc00::1]/",
    # link-local: the cloud metadata service
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/",
    # multicast and reserved
    "http://224.0.0.1/",
    "http://[ff02::1]/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    # IPv4 inside IPv6: mapped, NAT64, 6to4
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[64:ff9b::7f00:1]/",
    "http://[2002:7f00:1::]/",
    # numeric spellings of 127.0.0.1 that the C library accepts
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0x7f.1/",
    "http://0177.0.0.1/",
    "http://127.1/",
    # credentials in the URL
    "http://user:pass@93.184.216.34/v1",
    "http://user@93.184.216.34/v1",
    "http://93.184.216.34@127.0.0.1/",
    # not http(s), or no host
    "ftp://93.184.216.34/",
    "file:///etc/passwd",
    "gopher://93.184.216.34:70/",
    "javascript:alert(1)",
    "93.184.216.34/v1",
    "http:///v1",
    "http://:80/",
    "",
    # parser confusion: whitespace, control characters, backslashes, bad ports
    "http://93.184.216.34\t.evil/",
    "http://127.0.0.1\n/",
    "http://93.184.216.34\\@127.0.0.1/",
    " http://93.184.216.34/",
    "http://93.184.216.34:99999/",
    "http://93.184.216.34:port/",
    "http://[::1/",
]


@pytest.mark.parametrize("url", REFUSED)
def test_unsafe_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsafeURL):
        check_base_url(url)


@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        ("http://93.184.216.34/v1", "http://93.184.216.34/v1"),
        ("HTTPS://93.184.216.34:8443/v1/#frag", "https://93.184.216.34:8443/v1/"),
        ("https://[2606:2800:220:1:248:1893:25c8:1946]/v1", None),
        ("http://8.8.8.8", "http://8.8.8.8"),
    ],
)
def test_public_addresses_are_allowed(url: str, normalised: str | None) -> None:
    result = check_base_url(url)
    assert result == (normalised or url)


def test_unsafe_url_is_a_value_error() -> None:
    assert issubclass(UnsafeURL, ValueError)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000/v1", "http://localhost:11434/v1", "http://[::1]/", "http://10.1.2.3/"],
)
def test_allow_private_skips_the_address_check(url: str) -> None:
    assert check_base_url(url, allow_private=True).startswith("http")


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/", "http://u:p@127.0.0.1/", "http:///x"])
def test_allow_private_still_checks_the_form(url: str) -> None:
    with pytest.raises(UnsafeURL):
        check_base_url(url, allow_private=True)


FakeResolver = Callable[..., list[tuple[Any, ...]]]


def _resolver(table: dict[str, list[str]]) -> FakeResolver:
    """A getaddrinfo answering from `table`; other names do not resolve."""

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        out: list[tuple[Any, ...]] = []
        for address in table[host]:
            if ":" in address:
                out.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0)))
            else:
                out.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
        return out

    return getaddrinfo


def test_hostnames_are_checked_on_every_resolved_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        _resolver(
            {
                "api.example.com": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
                "rebind.example.com": ["93.184.216.34", "127.0.0.1"],
                "internal.example.com": ["10.0.0.7"],
                "scoped.example.com": ["fe80::1%eth0"],
            }
        ),
    )
    assert check_base_url("https://api.example.com/v1") == "https://api.example.com/v1"
    assert check_base_url("https://API.Example.com/v1") == "https://api.example.com/v1"
    for host in ("rebind.example.com", "internal.example.com", "scoped.example.com"):
        with pytest.raises(UnsafeURL, match="not a public address"):
            check_base_url(f"https://{host}/v1")
    with pytest.raises(UnsafeURL, match="cannot resolve"):
        check_base_url("https://nowhere.invalid/v1")
    # Development: nothing is resolved at all.
    assert check_base_url("https://nowhere.invalid/v1", allow_private=True)


def test_a_resolver_failure_of_any_kind_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        raise UnicodeError("label too long")

    monkeypatch.setattr(socket, "getaddrinfo", broken)
    with pytest.raises(UnsafeURL, match="cannot resolve"):
        check_base_url("https://" + "a" * 70 + ".example.com/")


def test_overlong_urls_are_refused() -> None:
    with pytest.raises(UnsafeURL, match="longer"):
        check_base_url("http://93.184.216.34/" + "a" * 3000)


# --- encryption -----------------------------------------------------------------------------


def test_encrypt_round_trip_and_tokens_differ() -> None:
    key = Fernet.generate_key()
    secret = "sk-test-ünïcödé-1234567890"
    token = encrypt(key, secret)
    assert secret not in token
    assert decrypt(key, token) == secret
    assert encrypt(key, secret) != token  # a fresh IV each time


def test_decrypt_with_the_wrong_key_or_a_tampered_token_fails() -> None:
    token = encrypt(Fernet.generate_key(), "sk-abc")
    with pytest.raises(InvalidToken):
        decrypt(Fernet.generate_key(), token)
    key = Fernet.generate_key()
    token = encrypt(key, "sk-abc")
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(InvalidToken):
        decrypt(key, tampered)
    with pytest.raises(InvalidToken):
        decrypt(key, "not a token ✗")


def test_secret_file_is_created_private_and_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WWABENCH_SECRET", raising=False)
    path = tmp_path / "sub" / "secret.key"
    key = load_secret(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    Fernet(key)  # a valid key
    assert load_secret(path) == key
    assert [p.name for p in path.parent.iterdir()] == ["secret.key"]  # no temp file left


def test_secret_file_defaults_to_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WWABENCH_SECRET", raising=False)
    monkeypatch.setenv("WWABENCH_DATA", str(tmp_path))
    key = load_secret()
    assert (tmp_path / "secret.key").read_bytes().strip() == key


def test_secret_from_the_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = Fernet.generate_key()
    monkeypatch.setenv("WWABENCH_SECRET", key.decode())
    assert load_secret(tmp_path / "secret.key") == key
    assert not (tmp_path / "secret.key").exists()


def test_a_bad_secret_is_a_clear_error_that_does_not_echo_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WWABENCH_SECRET", "hunter2-not-a-fernet-key")
    with pytest.raises(ValueError, match="Fernet") as err:
        load_secret(tmp_path / "secret.key")
    assert "hunter2" not in str(err.value)
    monkeypatch.delenv("WWABENCH_SECRET")
    bad = tmp_path / "bad.key"
    bad.write_text("garbage")
    with pytest.raises(ValueError, match="Fernet"):
        load_secret(bad)


# --- redaction ------------------------------------------------------------------------------


def test_redact_replaces_every_occurrence() -> None:
    text = "key sk-AAAA1234 then sk-AAAA1234 again, and tok-xyz9"
    out = redact(text, ["sk-AAAA1234", "tok-xyz9"])
    assert out == f"key {REDACTED} then {REDACTED} again, and {REDACTED}"


def test_redact_ignores_short_and_empty_secrets() -> None:
    assert redact("a b abc", ["", "a", "abc"]) == "a b abc"


def test_redact_handles_overlapping_secrets() -> None:
    # The longer secret goes first, so no tail of it survives.
    assert redact("x sk-1234-5678 y", ["sk-1234", "sk-1234-5678"]) == f"x {REDACTED} y"
    assert redact("nothing here", iter(["secret-value"])) == "nothing here"


def test_secret_file_without_hard_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WWABENCH_SECRET", raising=False)

    def no_links(src: Any, dst: Any) -> None:
        raise PermissionError("hard links not supported")

    monkeypatch.setattr("os.link", no_links)
    path = tmp_path / "secret.key"
    key = load_secret(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret(path) == key


# --- what of a base URL is shown ----------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://gw.example.com/t/tok-0123456789abcdef/v1", "https://gw.example.com"),
        ("HTTP://API.Example.com:8443/v1/", "http://api.example.com:8443"),
        ("http://user:pw@93.184.216.34/v1", "http://93.184.216.34"),
        (
            "http://[2606:2800:220:1:248:1893:25c8:1946]:8000/v1",
            "http://[2606:2800:220:1:248:1893:25c8:1946]:8000",
        ),
        ("localhost:8000/v1", UNREADABLE),
        ("http://93.184.216.34:port/", UNREADABLE),
        (None, None),
    ],
)
def test_a_base_url_is_shown_as_its_scheme_and_host(url: str | None, shown: str | None) -> None:
    assert public_endpoint(url) == shown
    params = {"base_url": url, "temperature": 0.0}
    assert public_params(params) == {"base_url": shown, "temperature": 0.0}
    assert params["base_url"] == url  # the run's own parameters are left whole


def test_the_private_parts_of_a_base_url_are_redacted() -> None:
    url = "https://gw.example.com/t/tok-0123456789abcdef/v1"
    echo = f"404: {url}/chat/completions, token tok-0123456789abcdef, path /t/tok-0123456789abcdef"
    out = redact(echo, private_parts(url))
    assert "tok-0123456789abcdef" not in out and "gw.example.com" not in out.split(",")[0]
    assert private_parts("https://api.openai.com") == []  # nothing but the endpoint
    assert private_parts(None) == []
    assert "v1" not in private_parts("https://api.openai.com/v1")  # a word, not a token
