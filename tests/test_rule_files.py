"""Rule files: custom packs work; bad ones get one line naming file and rule, exit 2, no output."""

from __future__ import annotations

import pytest

from miner.cli import main as miner_main
from miner.rules import load_rules


def test_default_pack_ids():
    pack = load_rules()
    assert pack.ids == [
        "custom-exception",
        "db-wrapper",
        "raw-sql",
        "pandas-apply",
        "column-comprehension",
    ]
    assert {r.id: r.kind for r in pack.rules}["raw-sql"] == "forbid"
    assert len(pack.fingerprint) == 16


def test_fingerprint_follows_content(tmp_path):
    rule = tmp_path / "r.toml"
    rule.write_text('[[rule]]\nid = "x"\nkind = "require"\ncalls = ["a.*"]\n')
    first = load_rules([rule]).fingerprint
    rule.write_text('[[rule]]\nid = "x"\nkind = "require"\ncalls = ["b.*"]\n')
    assert load_rules([rule]).fingerprint != first


def test_custom_rules_folder_replaces_the_default_pack(make_repo, mine, tmp_path):
    rules = tmp_path / "myrules"
    rules.mkdir()
    (rules / "logging.toml").write_text(
        '[[rule]]\nid = "structured-log"\ndescription = "uses our logger"\n'
        'kind = "require"\ncalls = ["acme.log.*"]\n'
    )
    repo = make_repo(
        files={
            "acme/__init__.py": "",
            "acme/log.py": "def event(name):\n    pass\n",
            "acme/jobs.py": '''
            from acme import log

            def run_job(name):
                """Run one job and log it."""
                log.event(name)

            def quiet_job(name):
                """Run one job without logging."""
                return name
            ''',
        }
    )
    status, pairs, manifest = mine(repo, args=("--rules", str(rules)))
    assert status == 0
    assert [(p["qualname"], p["rules"]) for p in pairs] == [("run_job", ["structured-log"])]
    assert manifest["rules"]["ids"] == ["structured-log"]


BAD_RULES = {
    "toml": ('[[rule]\nid = "x"', "invalid TOML"),
    "unknown-key": (
        '[[rule]]\nid = "typo"\nkind = "require"\ncals = ["x.*"]\n',
        "rule 'typo': unknown key 'cals'",
    ),
    "two-matchers": (
        '[[rule]]\nid = "both"\nkind = "require"\ncalls = ["x.*"]\nraises = ["E"]\n',
        "rule 'both': needs exactly one matcher of calls/raises/query, found calls and raises",
    ),
    "no-matcher": ('[[rule]]\nid = "none"\nkind = "forbid"\n', "rule 'none': needs exactly one"),
    "bad-kind": (
        '[[rule]]\nid = "k"\nkind = "prefer"\ncalls = ["x.*"]\n',
        "rule 'k': 'kind' must be",
    ),
    "bad-query": (
        '[[rule]]\nid = "q"\nkind = "require"\nquery = "(call function: (nosuchnode)) @match"\n',
        "rule 'q': invalid query",
    ),
    "query-without-match": (
        '[[rule]]\nid = "q2"\nkind = "require"\nquery = "(call) @other"\n',
        "rule 'q2': query captures no @match",
    ),
    "missing-id": ('[[rule]]\nkind = "require"\ncalls = ["x"]\n', "rule #1: missing or empty 'id'"),
    "calls-not-list": (
        '[[rule]]\nid = "c"\nkind = "require"\ncalls = "x.*"\n',
        "rule 'c': 'calls' must be a non-empty list",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_RULES))
def test_bad_rule_file(case, make_repo, tmp_path, capsys):
    content, message = BAD_RULES[case]
    rule_file = tmp_path / f"{case}.toml"
    rule_file.write_text(content)
    repo = make_repo(files={"a.py": "def f():\n    pass\n"})
    out = tmp_path / "out"
    out.mkdir()
    (out / "pairs.jsonl").write_text('{"kept": "from yesterday"}\n')
    status = miner_main(["mine", str(repo.path), "--out", str(out), "--rules", str(rule_file)])
    err = capsys.readouterr().err
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert str(rule_file) in lines[0] and message in lines[0]
    assert sorted(p.name for p in out.iterdir()) == ["pairs.jsonl"]
    assert (out / "pairs.jsonl").read_text() == '{"kept": "from yesterday"}\n'


def test_duplicate_rule_id_across_files(tmp_path):
    for name in ("a", "b"):
        rule = '[[rule]]\nid = "same"\nkind = "require"\nraises = ["E"]\n'
        (tmp_path / f"{name}.toml").write_text(rule)
    with pytest.raises(ValueError, match="rule 'same': id already defined in"):
        load_rules([tmp_path])


def test_missing_rule_path(make_repo, tmp_path, capsys):
    repo = make_repo(files={"a.py": "def f():\n    pass\n"})
    status = miner_main(["extract", str(repo.path), "--out", str(tmp_path / "x.jsonl"),
                         "--rules", str(tmp_path / "nope.toml")])
    assert status == 2
    assert "nope.toml: no such rule file or folder" in capsys.readouterr().err
    assert not (tmp_path / "x.jsonl").exists()
