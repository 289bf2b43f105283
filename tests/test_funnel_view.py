import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from miner.funnel_view import add_inspect_parser, run_inspect


def _counters(**overrides) -> dict:
    base = {
        "commit": "0" * 40, "files_total": 10, "files_parsed": 9, "files_reused": 0,
        "files_dropped": {"test": 1, "too_large": 0}, "functions_found": 40,
        "functions_documented": 30, "functions_rule_matched": 12,
        "dropped": {"undocumented": 10, "syntax_error": 0, "short_docstring": 2,
                    "forbid:raw-sql": 1, "secret": 1},
        "kept": 3, "kept_by_split": {"train": 2, "validation": 1},
        "kept_by_rule": {"db-wrapper": 2, "custom-exception": 1},
    }  # fmt: skip
    return {**base, **overrides}


def _pair(n: int, repo: str, rules: list[str], split: str, body: str) -> dict:
    return {
        "id": f"{n:02x}", "repo": repo, "commit": "0" * 40, "path": f"acme/mod{n}.py",
        "module": f"acme.mod{n}", "qualname": f"func{n}", "start_line": 10, "end_line": 12,
        "docstring": f"Do thing number {n}.", "prompt": f"Do thing number {n}.",
        "completion": f"def func{n}(x):\n    return {body}\n", "rules": rules, "split": split,
        "context": "from acme.db import db_wrapper" if "db-wrapper" in rules else "",
    }  # fmt: skip


PAIRS = [
    _pair(1, "orders", ["db-wrapper"], "train", "db_wrapper.query(x)"),
    _pair(2, "orders", ["db-wrapper"], "validation", "db_wrapper.fetch(x)"),
    _pair(3, "orders", ["custom-exception"], "train", "OrderError(x)"),
    _pair(4, "billing", ["db-wrapper"], "train", "db_wrapper.query(x) + 1"),
]


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    billing = _counters(files_total=5, files_parsed=5, files_reused=2, files_dropped={},
                        dropped={"undocumented": 4, "near_duplicate": 2}, kept=1,
                        kept_by_split={"train": 1}, kept_by_rule={"db-wrapper": 1})
    manifest = {
        "tool": "housestyle", "version": "0.1.0", "started_at": "s", "finished_at": "f",
        "rules": {"ids": ["custom-exception", "db-wrapper", "pandas-apply"], "fingerprint": "x"},
        "repos": {"orders": _counters(), "billing": billing},
        "total": _counters(files_total=15, kept=4),
    }  # fmt: skip
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    (tmp_path / "pairs.jsonl").write_text("".join(json.dumps(p) + "\n" for p in PAIRS))
    return tmp_path


def inspect(capsys, *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="miner")
    add_inspect_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["inspect", *map(str, argv)])
    assert args.func is run_inspect
    code = run_inspect(args)
    out, err = capsys.readouterr()
    return code, out, err


def _row(out: str, label: str) -> list[str]:
    (line,) = [line for line in out.splitlines() if line.strip().split("  ")[0] == label]
    return line.split()[len(label.split()) :]


def test_funnel_table_has_a_column_per_repo_and_the_total(run_dir, capsys):
    code, out, _ = inspect(capsys, run_dir)
    assert code == 0
    header = out.splitlines()[0].split()
    assert header == ["orders", "billing", "total"]
    assert _row(out, "files") == ["10", "5", "15"]
    assert _row(out, "reused") == ["0", "2", "0"]
    assert _row(out, "undocumented") == ["10", "4", "10"]
    assert _row(out, "near_duplicate") == ["0", "2", "0"]
    assert _row(out, "forbid:raw-sql") == ["1", "0", "1"]
    assert _row(out, "kept") == ["3", "1", "4"]
    assert _row(out, "validation") == ["1", "0", "1"]
    # reasons that dropped nothing anywhere are left out
    assert "syntax_error" not in out and "too_large" not in out
    # the funnel's order: file drops before functions, dedup after the filters, forbid last
    labels = [line.strip().split("  ")[0] for line in out.split("\n\n")[0].splitlines()[2:]]
    order = [
        "files", "files dropped", "functions found", "functions dropped", "undocumented",
        "short_docstring", "secret", "near_duplicate", "forbid:raw-sql", "kept",
        "kept by split", "train", "validation", "kept by rule", "custom-exception",
    ]  # fmt: skip
    assert [label for label in labels if label in order] == order


def test_pairs_are_listed_with_their_place_rules_and_split(run_dir, capsys):
    _, out, _ = inspect(capsys, run_dir)
    assert "── #1  orders  acme/mod1.py:10-12  func1  [db-wrapper]  train" in out
    assert "    from acme.db import db_wrapper\n" in out
    assert "    Do thing number 3.\n" in out
    assert "    def func3(x):\n        return OrderError(x)\n" in out
    assert out.rstrip().endswith("4 pairs")
    assert "\x1b[" not in out  # not a terminal: no colour


@pytest.mark.parametrize(
    ("argv", "ids"),
    [
        (["--rule", "db-wrapper"], ["01", "02", "04"]),
        (["--repo", "billing"], ["04"]),
        (["--split", "validation"], ["02"]),
        (["--grep", "DB_WRAPPER.QUERY"], ["01", "04"]),
        (["--grep", "mod3.py"], ["03"]),
        (["--rule", "db-wrapper", "--split", "train", "--repo", "orders"], ["01"]),
        (["--rule", "pandas-apply"], []),
        (["--limit", "2"], ["01", "02"]),
        (["--limit", "0"], ["01", "02", "03", "04"]),
    ],
)
def test_json_prints_the_selected_pairs(run_dir, capsys, argv, ids):
    code, out, _ = inspect(capsys, run_dir, "--json", *argv)
    assert code == 0
    pairs = [json.loads(line) for line in out.splitlines()]
    assert [p["id"] for p in pairs] == ids
    assert pairs == [p for p in PAIRS if p["id"] in ids]


def test_limit_says_how_many_were_left_out(run_dir, capsys):
    _, out, _ = inspect(capsys, run_dir, "--limit", "1")
    assert out.count("── #") == 1
    assert out.rstrip().endswith("1 of 4 pairs shown (--limit 0 shows all)")


def test_repo_narrows_the_table(run_dir, capsys):
    _, out, _ = inspect(capsys, run_dir, "--repo", "billing")
    assert out.splitlines()[0].split() == ["billing"]
    assert _row(out, "files") == ["5"]
    assert "forbid:raw-sql" not in out


def test_color_always_highlights_code(run_dir, capsys):
    _, out, _ = inspect(capsys, run_dir, "--color", "always", "--limit", "1")
    assert "\x1b[38;5;" in out  # 256-colour codes, which `less -R` shows
    plain = inspect(capsys, run_dir, "--color", "never", "--limit", "1")[1]
    assert "\x1b[" not in plain


@pytest.mark.parametrize(
    ("setup", "argv", "message"),
    [
        (lambda d: (d / "manifest.json").unlink(), [], "manifest.json: not found"),
        (lambda d: (d / "pairs.jsonl").unlink(), [], "pairs.jsonl: not found"),
        (
            lambda d: (d / "manifest.json").write_text("{\n  oops"),
            [],
            "manifest.json:2: invalid JSON",
        ),
        (lambda d: (d / "manifest.json").write_text("{}"), [], "key 'repos' missing"),
        (
            lambda d: (d / "pairs.jsonl").write_text(json.dumps(PAIRS[0]) + "\n{broken\n"),
            ["--json"],
            "pairs.jsonl:2: invalid JSON",
        ),
        (
            lambda d: None,
            ["--repo", "nope"],
            "--repo nope: not in this run (repositories: billing, orders)",
        ),
        (lambda d: None, ["--limit", "-1"], "--limit -1: must be 0 (all) or more"),
    ],
)
def test_errors_name_the_file_or_flag(run_dir, capsys, setup, argv, message):
    setup(run_dir)
    code, _, err = inspect(capsys, run_dir, *argv)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_reader_leaving_early_is_no_error(tmp_path, run_dir):
    many = [_pair(i, "orders", ["db-wrapper"], "train", "x" * 200) for i in range(3000)]
    (run_dir / "pairs.jsonl").write_text("".join(json.dumps(p) + "\n" for p in many))
    miner = Path(sys.executable).with_name("miner")
    proc = subprocess.Popen([miner, "inspect", run_dir, "--limit", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    first = proc.stdout.readline()
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0, stderr
    assert first.split() == [b"orders", b"billing", b"total"]
    assert stderr == ""
