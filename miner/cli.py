"""`miner` command line: mine, extract, explain, inspect."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from miner import __version__
from miner.config import ConfigError, MineConfig, RepoSpec, repo_name
from miner.flags import add_settings_flags, apply_settings_flags
from miner.funnel_view import add_inspect_parser, run_inspect
from miner.rules import RuleError, load_rules
from miner.source import SourceError

EXIT_FAILED_REPO = 1
EXIT_USAGE = 2


def _add_common(parser: argparse.ArgumentParser, many: bool = True) -> None:
    parser.add_argument("repos", nargs="+" if many else 1, metavar="REPO",
                        help="local git work tree or bare repository")
    parser.add_argument("--rules", action="append", default=[], metavar="PATH",
                        help="rule file or folder (repeatable); default: the built-in pack")
    parser.add_argument("--ref", default="HEAD", help="commit to mine (default: HEAD)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="miner", description="Mine house-style docstring→code pairs from git repositories."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    mine_p = commands.add_parser("mine", help="write DIR/pairs.jsonl and DIR/manifest.json")
    _add_common(mine_p)
    mine_p.add_argument("--out", required=True, type=Path, metavar="DIR")
    mine_p.add_argument("--keep", choices=("matched", "all"), default=None,
                        help="matched: only functions matching a require rule (default)")
    mine_p.add_argument("--validation-fraction", type=float, default=None, metavar="F",
                        help="share of files in the validation split (default: 0.1)")
    mine_p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_settings_flags(mine_p)

    extract_p = commands.add_parser("extract", help="every function found, as JSONL")
    _add_common(extract_p)
    extract_p.add_argument("--out", required=True, type=Path, metavar="FILE")
    add_settings_flags(extract_p)

    explain_p = commands.add_parser("explain", help="every stage's verdict on one function")
    _add_common(explain_p, many=False)
    explain_p.add_argument("target", metavar="PATH::QUALNAME")
    add_settings_flags(explain_p)

    add_inspect_parser(commands)
    return parser


def _config(args: argparse.Namespace) -> MineConfig:
    config = MineConfig(
        repos=[RepoSpec(name=repo_name(p), path=p, ref=args.ref) for p in args.repos],
        rules=list(args.rules),
    )
    if getattr(args, "out", None) is not None:
        config.out = args.out
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

    config = _config(args)
    config.validate()
    pack = load_rules(config.rules)
    result = mine(config, pack)
    total = result.manifest["total"]
    print(
        f"mined {len(result.repos)} repo(s): {total.get('functions_found', 0)} functions, "
        f"{total.get('kept', 0)} pairs kept → {config.out / 'pairs.jsonl'}",
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
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
