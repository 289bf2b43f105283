"""Extraction semantics: what a function is, where it comes from, and what is never read."""

from __future__ import annotations

import ast
import os
import sysconfig
import warnings
from pathlib import Path

import git

from miner.cli import main as miner_main
from tests.conftest import RepoBuilder, read_jsonl


def extract(tmp_path: Path, *repos: RepoBuilder | Path, args: tuple[str, ...] = ()) -> list[dict]:
    out = tmp_path / "functions.jsonl"
    paths = [str(r.path if isinstance(r, RepoBuilder) else r) for r in repos]
    assert miner_main(["extract", *paths, "--out", str(out), *args]) == 0
    return read_jsonl(out)


def test_qualnames_follow_python(make_repo, tmp_path):
    repo = make_repo(
        files={
            "mod.py": '''
            def top():
                """Top."""
                def inner():
                    class Local:
                        def method(self):
                            pass
                    return Local
                return inner

            class Outer:
                class Nested:
                    async def run(self):
                        pass
                if True:
                    def conditional(self):
                        pass
            '''
        }
    )
    names = [r["qualname"] for r in extract(tmp_path, repo)]
    assert names == [
        "top",
        "top.<locals>.inner",
        "top.<locals>.inner.<locals>.Local.method",
        "Outer.Nested.run",
        "Outer.conditional",
    ]


def test_code_completion_and_context(make_repo, mine):
    repo = make_repo(
        files={
            "acme/__init__.py": "",
            "acme/errors.py": "class AcmeError(Exception):\n    pass\n",
            "acme/svc.py": '''
            import os
            import json, logging
            from acme.errors import AcmeError, unused_name

            class Service:
                @property
                @staticmethod
                def load(path):
                    """Load the payload at path.

                    Details:
                        Indented detail.
                    """
                    sql = """
            select *
            from t"""
                    if not os.path.exists(path):
                        raise AcmeError(json.dumps(path))
                    return sql
            ''',
        }
    )
    status, pairs, _ = mine(repo)
    assert status == 0
    (pair,) = pairs
    assert pair["qualname"] == "Service.load"
    assert pair["start_line"] == 6 and pair["end_line"] == 19
    assert pair["docstring"] == "Load the payload at path.\n\nDetails:\n    Indented detail."
    assert pair["prompt"] == pair["docstring"]
    assert pair["completion"] == (
        "@property\n"
        "@staticmethod\n"
        "def load(path):\n"
        '    sql = """\n'
        "select *\n"
        'from t"""\n'
        "    if not os.path.exists(path):\n"
        "        raise AcmeError(json.dumps(path))\n"
        "    return sql\n"
    )
    assert pair["context"] == "import os\nimport json\nfrom acme.errors import AcmeError"
    assert pair["module"] == "acme.svc"
    assert pair["split"] in ("train", "validation")
    assert len(pair["id"]) == 32 and int(pair["id"], 16) >= 0


def test_reads_the_commit_not_the_work_tree(make_repo, tmp_path):
    repo = make_repo(files={"a.py": "def committed():\n    pass\n"})
    first = repo.repo.head.commit.hexsha
    repo.commit({"b.py": "def second_commit():\n    pass\n"})
    (repo.path / "a.py").write_text("def uncommitted_edit():\n    pass\n")
    (repo.path / "untracked.py").write_text("def untracked():\n    pass\n")
    (repo.path / ".gitignore").write_text("ignored.py\n")
    (repo.path / "ignored.py").write_text("def ignored():\n    pass\n")
    names = {r["qualname"] for r in extract(tmp_path, repo)}
    assert names == {"committed", "second_commit"}
    at_first = {r["qualname"] for r in extract(tmp_path, repo, args=("--ref", first))}
    assert at_first == {"committed"}


def test_bare_repository(make_repo, tmp_path):
    repo = make_repo(files={"a.py": "def f():\n    pass\n"})
    bare = tmp_path / "bare.git"
    git.Repo.clone_from(repo.path, bare, bare=True).close()
    assert [r["qualname"] for r in extract(tmp_path, bare)] == ["f"]


def test_symlinks_and_submodules_are_never_read(make_repo, tmp_path):
    outside = tmp_path / "outside.py"
    outside.write_text("def secret_outside():\n    pass\n")
    sub = make_repo("sub", files={"inner.py": "def in_submodule():\n    pass\n"})
    repo = make_repo(files={"real.py": "def real():\n    pass\n"})
    os.symlink(outside, repo.path / "link.py")
    os.symlink("real.py", repo.path / "alias.py")
    repo.repo.git.execute(
        ["git", "-c", "protocol.file.allow=always", "submodule", "add", str(sub.path), "vendor_sub"]
    )
    repo.commit({}, "symlinks and a submodule")
    tree = repo.repo.git.ls_tree("-r", "HEAD")
    assert "120000" in tree and "160000" in tree
    records = extract(tmp_path, repo)
    assert [(r["path"], r["qualname"]) for r in records] == [("real.py", "real")]


def test_encodings(make_repo, tmp_path, mine):
    latin = '# -*- coding: latin-1 -*-\ndef caf\xe9():\n    """Serve caf\xe9 au lait."""\n'
    repo = make_repo(
        files={
            "latin.py": latin.encode("latin-1"),
            "bom.py": b'\xef\xbb\xbfdef with_bom():\n    """Has a BOM."""\n',
            "broken.py": b"def broken():\n    return '\xff\xfe'\n",
            "bad_cookie.py": b"# coding: no-such-codec\ndef f():\n    pass\n",
        }
    )
    records = {r["qualname"]: r for r in extract(tmp_path, repo)}
    assert records["caf\xe9"]["docstring"] == "Serve caf\xe9 au lait."
    assert records["with_bom"]["docstring"] == "Has a BOM."
    assert "broken" not in records and "f" not in records
    _, _, manifest = mine(repo, args=("--keep", "all"))
    assert manifest["repos"]["repo"]["files_dropped"]["undecodable"] == 2


def test_syntax_error_costs_only_its_function(make_repo, tmp_path, mine):
    repo = make_repo(
        files={
            "acme/__init__.py": "",
            "acme/db.py": "db_wrapper = object()\n",
            "acme/mixed.py": '''
            from acme.db import db_wrapper

            def before():
                """Fetch the rows before the break."""
                return db_wrapper.query("select 1")

            def broken(x):
                """This one does not parse at all."""
                rows = = db_wrapper.query("select 2")
                return rows +

            class Fine:
                def after(self):
                    """Fetch the rows after the break."""
                    return db_wrapper.query("select 3")
            ''',
        }
    )
    records = {r["qualname"]: r for r in extract(tmp_path, repo)}
    assert records["before"]["syntax_error"] is False
    assert records["Fine.after"]["syntax_error"] is False
    assert records["broken"]["syntax_error"] is True
    status, pairs, manifest = mine(repo)
    assert status == 0
    assert [p["qualname"] for p in pairs] == ["before", "Fine.after"]
    assert manifest["repos"]["repo"]["dropped"]["syntax_error"] == 1


def _ast_documented(tree: ast.AST) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                doc = ast.get_docstring(child, clean=True)
                if doc is not None:
                    found.add((prefix + child.name, doc))
                visit(child, f"{prefix}{child.name}.<locals>.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def test_agrees_with_ast_on_the_standard_library(tmp_path):
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    repo_path = tmp_path / "stdlib"
    expected: dict[str, set[tuple[str, str]]] = {}
    for source in sorted(stdlib.rglob("*.py")):
        rel = source.relative_to(stdlib)
        if "site-packages" in rel.parts or source.is_symlink():
            continue
        data = source.read_bytes()
        target = repo_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a stdlib file's invalid escapes, not ours
                tree = ast.parse(data)
        except (SyntaxError, ValueError):
            continue  # files `ast` rejects (lib2to3 fixtures, bad encodings) are not compared
        expected[rel.as_posix()] = _ast_documented(tree)
    repo = git.Repo.init(repo_path)
    repo.git.add("-A", "--force")
    repo.git.execute(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "std"])
    repo.close()
    assert len(expected) > 1000

    got: dict[str, set[tuple[str, str]]] = {path: set() for path in expected}
    withheld = set()
    for record in extract(tmp_path, repo_path, args=("--max-file-bytes", str(8 << 20))):
        if record["secret"]:  # the secrets policy beats the raw layer: compared apart
            withheld.add((record["path"], record["qualname"]))
        elif record["path"] in got and record["docstring"] is not None:
            got[record["path"]].add((record["qualname"], record["docstring"]))
    # A doctest shows a random hex token (secrets.token_hex); little else may look secret.
    assert len(withheld) <= 3, withheld
    for path, qualname in withheld:
        expected[path] = {(q, d) for q, d in expected[path] if q != qualname}
    mismatched = sorted(path for path in expected if got[path] != expected[path])
    assert mismatched == [], f"{len(mismatched)} files differ, e.g. {mismatched[:5]}"
