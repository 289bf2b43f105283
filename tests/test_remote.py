"""Repositories given by url: mirrored, fetched every run, passwords never shown."""

from __future__ import annotations

import json

import pytest

from miner.cli import main as miner_main
from miner.remote import is_url, mask_url, redact, url_name
from tests.conftest import read_jsonl
from tests.test_nightly import HISTORY, _orders


@pytest.mark.parametrize(
    ("url", "masked", "name", "secrets"),
    [
        (
            "https://bob:pa%40ss@git.acme.example:8443/team/orders.git",
            "https://bob:***@git.acme.example:8443/team/orders.git",
            "orders",
            ("pa%40ss", "pa@ss"),
        ),
        (
            "https://ghp_T0KEN@github.com/acme/billing",
            "https://***@github.com/acme/billing",
            "billing",
            ("ghp_T0KEN",),
        ),
        ("ssh://git@git.acme.example/acme/infra.git", None, "infra", ()),
        ("git@github.com:acme/web.git", None, "web", ()),
        ("file:///srv/git/acme.git", None, "acme", ()),
    ],
)
def test_urls_are_masked_and_named(url, masked, name, secrets):
    assert is_url(url)
    assert mask_url(url) == (masked or url)
    assert url_name(url) == name
    message = redact(f"fatal: unable to access '{url}/': auth failed for {' '.join(secrets)}", url)
    assert message.startswith(f"fatal: unable to access '{masked or url}/'")
    assert not any(secret in message for secret in secrets)


def test_local_paths_are_not_urls():
    assert not any(is_url(p) for p in ("/srv/git/acme", "acme", "./a@b:c", "C:/repos/x"))


def test_file_url_is_mirrored_then_fetched(make_repo, tmp_path):
    upstream = make_repo("upstream", HISTORY[0])
    url = f"file://{upstream.path}"
    out = tmp_path / "out"
    args = ["mine", url, "--out", str(out), "--no-progress"]
    assert miner_main(args) == 0
    mirror = out / "state" / "mirrors" / "upstream.git"
    assert (mirror / "HEAD").is_file()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["repos"]["upstream"]["path"] == url
    first = {p["qualname"] for p in read_jsonl(out / "pairs.jsonl")}

    sha = upstream.commit({"acme/orders.py": _orders(more=True)}, "list orders")
    assert miner_main(args) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    entry = manifest["repos"]["upstream"]
    assert entry["commit"] == sha
    assert (entry["files_parsed"], entry["pairs_added"], entry["pairs_removed"]) == (1, 1, 0)
    assert {p["qualname"] for p in read_jsonl(out / "pairs.jsonl")} == first | {"list_orders"}

    # Byte-identical to mining the upstream work tree itself at the same commit.
    direct = tmp_path / "direct"
    assert miner_main(["mine", str(upstream.path), "--out", str(direct), "--no-progress"]) == 0
    assert (out / "pairs.jsonl").read_bytes() == (direct / "pairs.jsonl").read_bytes()


def test_password_never_reaches_output_or_logs(make_repo, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    good = make_repo("good", HISTORY[0])
    password = "Tr0ub4dor-and-3"
    url = f"https://alice:{password}@127.0.0.1:9/acme/secret-repo.git"  # nothing listens there
    out = tmp_path / "out"
    status = miner_main(["mine", str(good.path), url, "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert status == 1
    assert "repository 'secret-repo' failed: https://alice:***@127.0.0.1:9/" in err
    assert password not in err
    for path in out.rglob("*"):
        if path.is_file():
            assert password.encode() not in path.read_bytes(), path
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["repos"]["secret-repo"]["path"] == mask_url(url)
    assert manifest["repos"]["good"]["kept"] > 0
