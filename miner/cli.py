"""`miner` command line: mine, extract, explain, inspect."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from miner import __version__
from miner.config import EXECUTORS, ConfigError, MineConfig, RepoSpec, repo_name
from miner.flags import add_settings_flags, apply_settings_flags
from miner.funnel_view import add_inspect_parser, run_inspect
from miner.lock import LockedError
from miner.remote import is_url, url_name
from miner.rules import RuleError, load_rules
from miner.settings_file import load_settings
from miner.source import SourceError

EXIT_FAILED_REPO = 1
EXIT_USAGE = 2
EXIT_LOCKED = 3  # another run holds the output dir; nothing was touched


def _add_common(parser: argparse.ArgumentParser, nargs: str | int = "+") -> None:
    parser.add_argument("repos", nargs=nargs, metavar="REPO",
                        help="local git work tree, bare repository, or url to mirror")
    parser.add_argument("--rules", action="append", default=[], metavar="PATH",
                        help="rule file or folder (repeatable); default: the built-in pack")
    parser.add_argument("--ref", default=None, help="commit to mine (default: HEAD)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="miner", description="Mine house-style docstring→code pairs from git repositories."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    mine_p = commands.add_parser("mine", help="write DIR/pairs.jsonl and DIR/manifest.json")
    _add_common(mine_p, nargs="*")
    mine_p.add_argument("--config", type=Path, metavar="TOML",
                        help="miner.toml with repos and settings; flags override it")
    mine_p.add_argument("--out", type=Path, metavar="DIR", help="output dir (or out in the toml)")
    mine_p.add_argument("--state", type=Path, metavar="DIR",
                        help="per-repository caches (default: DIR/state)")
    mine_p.add_argument("--cache-dir", type=Path, metavar="DIR",
                        help="mirrors of url repos (default: STATE/mirrors)")
    mine_p.add_argument("--full", action="store_true",
                        help="read and parse every file again, ignoring (and refilling) the state")
    mine_p.add_argument("--keep", choices=("matched", "all"), default=None,
                        help="matched: only functions matching a require rule (default)")
    mine_p.add_argument("--validation-fraction", type=float, default=None, metavar="F",
                        help="share of files in the validation split (default: 0.1)")
    mine_p.add_argument("--no-progress", action="store_true", help="no progress bar")
    mine_p.add_argument("--jobs", type=int, default=None, metavar="N",
                        help="parse worker processes (default: every usable core; 1: none)")
    mine_p.add_argument("--executor", choices=EXECUTORS, default=None,
                        help="local: this machine (default); ray: a Ray task per repository")
    mine_p.add_argument("--ray-address", default=None, metavar="ADDR",
                        help="Ray cluster to join (default: RAY_ADDRESS, else a local one)")
    add_settings_flags(mine_p)

    extract_p = commands.add_parser("extract", help="every function found, as JSONL")
    _add_common(extract_p)
    extract_p.add_argument("--out", required=True, type=Path, metavar="FILE")
    add_settings_flags(extract_p)

    explain_p = commands.add_parser("explain", help="every stage's verdict on one function")
    _add_common(explain_p, nargs=1)
    explain_p.add_argument("target", metavar="PATH::QUALNAME")
    add_settings_flags(explain_p)

    add_inspect_parser(commands)
    return parser


def _spec(location: str, ref: str) -> RepoSpec:
    if is_url(location):
        return RepoSpec(name=url_name(location), path="", ref=ref, url=location)
    return RepoSpec(name=repo_name(location), path=location, ref=ref)


def _config(args: argparse.Namespace) -> MineConfig:
    """The settings file (if any), then every flag given on top of it."""
    config_file = getattr(args, "config", None)
    config = load_settings(config_file) if config_file else MineConfig()
    if args.repos:
        config.repos = [_spec(p, args.ref or "HEAD") for p in args.repos]
    elif args.ref:
        for spec in config.repos:
            spec.ref = args.ref
    if args.rules:
        config.rules = list(args.rules)
    for key in ("out", "state", "cache_dir", "jobs", "executor", "ray_address"):
        if getattr(args, key, None) is not None:
            setattr(config, key, getattr(args, key))
    if getattr(args, "full", False):
        config.full = True
    if getattr(args, "keep", None):
        config.keep = args.keep
    if getattr(args, "validation_fraction", None) is not None:
        config.validation_fraction = args.validation_fraction
    if getattr(args, "no_progress", False):
        config.progress = False
    return apply_settings_flags(config, args)


def _report_failures(failures: dict[str, str]) -> int:
    for name, message in failures.items():
        print(f"miner: repository {name!r} failed: {message}", file=sys.stderr)
    return EXIT_FAILED_REPO if failures else 0


def _mine(args: argparse.Namespace) -> int:
    from miner.pipeline import mine

    if not args.repos and args.config is None:
        raise ConfigError("give REPO paths or urls, or --config miner.toml")
    config = _config(args)
    config.validate()
    config.out_dir()  # a missing output dir is a usage error, before any work
    pack = load_rules(config.rules)
    result = mine(config, pack)
    total = result.manifest["total"]
    failed = f", {len(result.failures)} failed (previous pairs kept)" if result.failures else ""
    print(
        f"mined {len(result.repos)} repo(s){failed}: files parsed {total.get('files_parsed', 0)},"
        f" reused {total.get('files_reused', 0)}; {len(result.pairs)} pairs "
        f"(+{total.get('pairs_added', 0)} -{total.get('pairs_removed', 0)}) → "
        f"{config.out_dir() / 'pairs.jsonl'}",
        file=sys.stderr,
    )
    return _report_failures(result.failures)


def _extract(args: argparse.Namespace) -> int:
    from miner.extract import extract_records
    from miner.output import write_jsonl

    config = _config(args)
    config.validate()
    pack = load_rules(config.rules)
    failures: dict[str, str] = {}
    write_jsonl(args.out, extract_records(config, pack, failures))
    return _report_failures(failures)


def _explain(args: argparse.Namespace) -> int:
    from miner.explain import explain

    config = _config(args)
    config.validate()
    status, text = explain(config, args.target, load_rules(config.rules))
    print(text, file=sys.stdout if status == 0 else sys.stderr)
    return status


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "mine": _mine,
    "extract": _extract,
    "explain": _explain,
    "inspect": run_inspect,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (RuleError, ConfigError) as err:
        print(f"miner: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except SourceError as err:
        print(f"miner: error: {err}", file=sys.stderr)
        return EXIT_FAILED_REPO
    except LockedError as err:
        print(f"miner: error: {err}", file=sys.stderr)
        return EXIT_LOCKED
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
