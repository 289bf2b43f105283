"""`make demo`: the whole product, end to end, on the embedded example service.

1. commit `examples/acme/` into a fresh git repository (`examples/demo_repo.py`);
2. `miner mine` it, then show what was kept and why the rest was dropped;
3. build a tiny random-weight model offline and fully fine-tune it on the mined pairs;
4. `trainer eval` the base and the tuned model on the held-out pairs.

Each tool runs through its installed console script, as a user would type it. The tiny model
only shows the pipeline working on a laptop CPU: it learns the house idioms of ~35 functions,
not how to program.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Everything the demo writes in its workdir; only these are removed before a rerun.
OUTPUTS = ("acme-repo", "pairs", "tiny-base", "tuned", "report.json", "report.html")


class DemoError(RuntimeError):
    """A step failed; the message says which one and where to look."""


@dataclass
class DemoConfig:
    workdir: Path = Path("demo-out")
    # The tiny model and its training are sized for about a minute on 2 CPU cores.
    vocab_size: int = 1024
    hidden_size: int = 128
    epochs: float = 20.0
    learning_rate: float = 3e-3
    batch_size: int = 4
    max_length: int = 512
    max_new_tokens: int = 160
    pairs_shown: int = 2


def parse_args(argv: list[str] | None = None) -> DemoConfig:
    defaults = DemoConfig()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for f in fields(DemoConfig):
        default = getattr(defaults, f.name)
        parser.add_argument(
            "--" + f.name.replace("_", "-"),
            type=type(default),
            default=default,
            help=f"default: {default}",
        )
    return DemoConfig(**vars(parser.parse_args(argv)))


def _header(title: str) -> None:
    print(f"\n=== {title} " + "=" * max(0, 74 - len(title)), flush=True)


def _script(name: str) -> str:
    """The console script installed next to this interpreter (`.venv/bin/miner`)."""
    path = Path(sys.executable).parent / name
    if not path.is_file():
        raise DemoError(f"{path}: not found; run `make install` first")
    return str(path)


def _run(step: str, args: list[str]) -> None:
    print("$ " + shlex.join(args), flush=True)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    env.setdefault("OMP_NUM_THREADS", "1")  # ~2.7x faster training on a 2-core machine
    code = subprocess.run(args, env=env).returncode
    if code != 0:
        raise DemoError(f"step '{step}' failed: `{shlex.join(args)}` exited with status {code}")


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise DemoError(f"{path}: unreadable: {err}") from err


def _read_pairs(path: Path) -> list[dict]:
    try:
        with path.open(encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
    except (OSError, ValueError) as err:
        raise DemoError(f"{path}: unreadable: {err}") from err


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def _load_demo_repo():
    # `examples` is not a package; load the sibling module by path.
    spec = importlib.util.spec_from_file_location("demo_repo", HERE / "demo_repo.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    return module


def _clean(workdir: Path) -> None:
    for name in OUTPUTS:
        path = workdir / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def build_repo(cfg: DemoConfig) -> Path:
    _header("1/4 Build the example repository: examples/acme -> git")
    try:
        repo = _load_demo_repo().build_demo_repo(cfg.workdir / "acme-repo")
    except (OSError, ValueError) as err:
        raise DemoError(f"step 'repo' failed: {err}") from err
    log = subprocess.run(
        ["git", "-C", str(repo), "log", "--date=short", "--format=  %h %ad %an: %s"],
        capture_output=True,
        text=True,
    )
    print(log.stdout.rstrip() or log.stderr.rstrip())
    print(f"repository: {repo}")
    return repo


def _print_funnel(manifest: dict) -> None:
    total = manifest.get("total", {})
    files_dropped = total.get("files_dropped", {})
    print(
        f"\nfiles: {total.get('files_total', '?')} Python files, skipped "
        + (", ".join(f"{n} {reason}" for reason, n in files_dropped.items()) or "none")
    )
    print(
        f"functions: {total.get('functions_found', '?')} found, "
        f"{total.get('functions_documented', '?')} documented, "
        f"{total.get('functions_rule_matched', '?')} matching a require rule"
    )
    print("dropped:")
    for reason, n in sorted(total.get("dropped", {}).items(), key=lambda kv: -kv[1]):
        print(f"  {n:4d}  {reason}")
    splits = ", ".join(f"{n} {s}" for s, n in total.get("kept_by_split", {}).items())
    print(f"kept: {total.get('kept', '?')} pairs ({splits})")
    for rule, n in total.get("kept_by_rule", {}).items():
        print(f"  {n:4d}  {rule}")


def _showcase(pairs: list[dict], count: int) -> list[dict]:
    """Short pairs with different rule sets, the ones matching most rules first."""
    chosen: list[dict] = []
    for pair in sorted(pairs, key=lambda p: (-len(p["rules"]), len(p["completion"]))):
        if len(chosen) < count and all(set(pair["rules"]) != set(c["rules"]) for c in chosen):
            chosen.append(pair)
    return chosen


def mine(cfg: DemoConfig, repo: Path) -> Path:
    _header("2/4 Mine house-style pairs")
    out = cfg.workdir / "pairs"
    _run("mine", [_script("miner"), "mine", str(repo), "--out", str(out), "--no-progress"])
    pairs = _read_pairs(out / "pairs.jsonl")
    _print_funnel(_read_json(out / "manifest.json"))
    if not pairs:
        raise DemoError(f"{out / 'pairs.jsonl'}: the miner kept no pair; nothing to train on")
    for pair in _showcase(pairs, cfg.pairs_shown):
        print(f"\n--- {pair['path']}::{pair['qualname']}   rules: {', '.join(pair['rules'])}")
        print("  prompt (the docstring):")
        print(_indent(pair["prompt"]))
        print("  completion (the code, docstring removed):")
        print(_indent(pair["completion"].rstrip()))
    return out


def train(cfg: DemoConfig, pairs: Path) -> tuple[Path, Path]:
    _header("3/4 Build a tiny model offline and fine-tune it on the pairs")
    trainer = _script("trainer")
    base, tuned = cfg.workdir / "tiny-base", cfg.workdir / "tuned"
    _run(
        "tiny-model",
        [
            trainer, "tiny-model", str(base),
            "--data", str(pairs),
            "--vocab-size", str(cfg.vocab_size),
            "--hidden-size", str(cfg.hidden_size),
        ],
    )  # fmt: skip
    _run(
        "train",
        [
            trainer, "train",
            "--data", str(pairs),
            "--model", str(base),
            "--output-dir", str(tuned),
            "--full",
            "--epochs", str(cfg.epochs),
            "--learning-rate", str(cfg.learning_rate),
            "--batch-size", str(cfg.batch_size),
            "--max-length", str(cfg.max_length),
            # The held-out split of this small repository holds a few pairs: too few to pick
            # a checkpoint or stop early by, so train the whole budget and keep the last model.
            "--early-stopping-patience", "none",
            "--no-load-best",
        ],
    )  # fmt: skip
    return base, tuned


def evaluate(cfg: DemoConfig, pairs: Path, base: Path, tuned: Path) -> Path:
    _header("4/4 Evaluate base vs tuned on the held-out pairs")
    report = cfg.workdir / "report.json"
    _run(
        "eval",
        [
            _script("trainer"), "eval",
            "--model", str(tuned),
            "--base", str(base),
            "--data", str(pairs),
            "--split", "validation",
            "--max-new-tokens", str(cfg.max_new_tokens),
            "--out", str(report),
            "--html", str(cfg.workdir / "report.html"),
        ],
    )  # fmt: skip
    return report


def _print_sample(report: Path) -> None:
    examples = _read_json(report).get("examples") or []
    if not examples:
        return
    best = max(examples, key=lambda e: e["generations"]["tuned"]["edit_similarity"])
    tuned = best["generations"]["tuned"]
    verdict = (
        "house style: yes" if tuned["house_style"] else "misses " + ", ".join(tuned["reasons"])
    )
    print(
        f"\nThe tuned model's closest of {len(examples)} held-out generations "
        f"({best['path']}::{best['qualname']}, edit similarity "
        f"{tuned['edit_similarity']:.0%}; {verdict}). Prompt:"
    )
    print(_indent(best["prompt"].rstrip()))
    print("generated:")
    print(_indent(tuned["text"].rstrip() or "<nothing>"))
    print("in the repository:")
    print(_indent(best["reference"].rstrip()))


def run(cfg: DemoConfig) -> None:
    cfg.workdir.mkdir(parents=True, exist_ok=True)
    _clean(cfg.workdir)
    started = time.perf_counter()
    timings: dict[str, float] = {}

    def timed(name: str, fn: Callable[[], object]):
        clock = time.perf_counter()
        result = fn()
        timings[name] = time.perf_counter() - clock
        return result

    repo = timed("repo", lambda: build_repo(cfg))
    pairs = timed("mine", lambda: mine(cfg, repo))
    base, tuned = timed("train", lambda: train(cfg, pairs))
    report = timed("eval", lambda: evaluate(cfg, pairs, base, tuned))
    _header("Done")
    _print_sample(report)
    print(
        "\nwhere everything is:\n"
        f"  example repository  {cfg.workdir / 'acme-repo'}\n"
        f"  mined pairs         {pairs / 'pairs.jsonl'}  (manifest.json, scopes.json beside it)\n"
        f"  tiny base model     {base}\n"
        f"  tuned model         {tuned}  (training_summary.json, README.md)\n"
        f"  evaluation          {report}, {cfg.workdir / 'report.html'}"
    )
    spent = ", ".join(f"{name} {seconds:.0f}s" for name, seconds in timings.items())
    print(f"\ndemo took {time.perf_counter() - started:.0f}s ({spent})")


def main(argv: list[str] | None = None) -> int:
    cfg = parse_args(argv)
    try:
        run(cfg)
    except DemoError as err:
        print(f"\ndemo: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
