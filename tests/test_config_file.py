"""`miner mine --config miner.toml`: file settings, flags on top, one-line errors before work."""

from __future__ import annotations

import json
import textwrap

import pytest

from miner.cli import EXIT_USAGE
from miner.cli import main as miner_main
from tests.conftest import read_jsonl
from tests.test_nightly import HISTORY, REPORTS


@pytest.fixture
def setup(make_repo, tmp_path):
    """Two repos and a folder for the toml; relative paths in it are from that folder."""
    make_repo("orders", HISTORY[0])
    billing = make_repo("billing", {**HISTORY[0], "acme/reports.py": REPORTS})
    first = billing.repo.head.commit.hexsha
    billing.commit({"acme/extra.py": "def f():\n    '''Count the orders twice.'''\n    return 2\n"})
    return tmp_path, first


def _write(tmp_path, body: str):
    path = tmp_path / "miner.toml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def _run(tmp_path, body: str, *flags: str) -> int:
    return miner_main(["mine", "--config", str(_write(tmp_path, body)), "--no-progress", *flags])


GOOD = """
    out = "nightly/out"
    state = "nightly/state"
    keep = "matched"
    validation_fraction = 0.5

    [[repo]]
    path = "orders"

    [[repo]]
    name = "pay"
    path = "billing"
    ref = "{ref}"

    [exclusions]
    exclude = ["acme/reports.py"]

    [quality]
    min_docstring_words = 4
"""


def test_toml_settings_are_used_from_any_cwd(setup, monkeypatch):
    tmp_path, first = setup
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert _run(tmp_path, GOOD.format(ref=first)) == 0
    out = tmp_path / "nightly" / "out"
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(manifest["repos"]) == ["orders", "pay"]
    assert manifest["repos"]["pay"]["commit"] == first
    assert manifest["repos"]["pay"]["files_dropped"] == {"excluded": 1}
    assert manifest["settings"]["validation_fraction"] == 0.5
    assert manifest["settings"]["quality"]["min_docstring_words"] == 4
    assert (tmp_path / "nightly" / "state" / "pay.sqlite").is_file()
    assert not (out / "state").exists()


def test_flags_override_the_file(setup, capsys):
    tmp_path, first = setup
    other = tmp_path / "other"
    flags = ("--out", str(other), "--keep", "all", "--min-docstring-words", "2", "--ref", "HEAD")
    assert _run(tmp_path, GOOD.format(ref=first), *flags) == 0
    manifest = json.loads((other / "manifest.json").read_text())
    assert manifest["settings"]["keep"] == "all"
    assert manifest["settings"]["quality"]["min_docstring_words"] == 2
    assert manifest["settings"]["exclusions"]["exclude"] == ["acme/reports.py"]  # from the file
    assert manifest["repos"]["pay"]["commit"] != first
    assert "f" in {p["qualname"] for p in read_jsonl(other / "pairs.jsonl")}
    assert not (tmp_path / "nightly" / "out").exists()
    assert (tmp_path / "nightly" / "state" / "orders.sqlite").is_file()  # not overridden


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('out = "o"\n[[repo]]\npth = "orders"\n', "unknown key 'repo[1].pth'"),
        ('out = "o"\nouts = "p"\n[[repo]]\npath = "orders"\n', "unknown key 'outs'"),
        (
            'out = "o"\n[[repo]]\npath = "orders"\n[quality]\nmin_words = 2\n',
            "unknown key 'quality.min_words'",
        ),
        (
            'out = "o"\n[[repo]]\npath = "orders"\n[[repo]]\npath = "nowhere"\n',
            "repo[2].path: no such directory: ",
        ),
        (
            'out = "o"\n[[repo]]\npath = "orders"\nurl = "file:///x"\n',
            "repo[1]: needs exactly one of 'path' or 'url'",
        ),
        (
            'out = "o"\nvalidation_fraction = "a tenth"\n[[repo]]\npath = "orders"\n',
            "validation_fraction: must be a number, not 'a tenth'",
        ),
        (
            'out = "o"\n[[repo]]\npath = "orders"\n[dedup]\nnear = "yes"\n',
            "dedup.near: must be true or false",
        ),
        ('out = "o"\n[[repo]]\npath = "orders"\nref = \n', "invalid TOML"),
    ],
)
def test_bad_settings_are_one_line_errors_before_any_work(setup, capsys, body, message):
    tmp_path, _ = setup
    assert _run(tmp_path, body) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith(f"miner: error: {tmp_path / 'miner.toml'}: ")
    assert message in err
    assert err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_out_is_required_somewhere(setup, capsys):
    tmp_path, _ = setup
    assert _run(tmp_path, '[[repo]]\npath = "orders"\n') == EXIT_USAGE
    assert "no output dir given" in capsys.readouterr().err


def test_two_repos_with_one_name_are_refused_before_any_work(make_repo, tmp_path, capsys):
    first = make_repo("a/service", files={"m.py": "def f():\n    pass\n"})
    second = make_repo("b/service", files={"m.py": "def g():\n    pass\n"})
    out = tmp_path / "out"
    status = miner_main(["mine", str(first.path), str(second.path), "--out", str(out)])
    assert status == 2
    err = capsys.readouterr().err
    assert "name 'service' is used twice" in err and "miner.toml" in err
    assert not out.exists()
