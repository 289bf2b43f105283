"""`trainer eval`: does the tuned model write in the house style, against the base model?

Each model generates, greedily, the function for every held-out docstring; each generation is
then parsed and checked by the miner's own rule engine in the scope of its source repository.
The report (JSON, optionally HTML) holds every per-example verdict and the aggregates per model.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import datasets
import torch
from transformers.utils import logging as hf_logging

from miner.rules import RuleError
from miner.style import StyleChecker
from trainer.config import model_path_problem
from trainer.data import (
    DEFAULT_PROMPT_TEMPLATE,
    DataError,
    check_template,
    format_prompt,
    load_pairs,
    pairs_file,
)
from trainer.eval_score import aggregate, difference, score_generation
from trainer.eval_table import render_table
from trainer.report_html import write_html

if TYPE_CHECKING:
    from trainer.generate import Generation

SPLITS = ("train", "validation")
# Written by `trainer train` next to the weights; holds the prompt template the model learned.
TRAINING_SUMMARY = "training_summary.json"


class EvalError(ValueError):
    """A problem with the inputs, worded as one line that names the file, flag or key."""


@dataclass
class EvalConfig:
    model: str  # the tuned model (or the base model an --adapter is loaded onto)
    data: Path  # the miner's output directory (pairs.jsonl, scopes.json)
    out: Path  # report.json
    adapter: str | None = None
    base: str | None = None
    split: str = "validation"
    limit: int | None = None
    max_new_tokens: int = 256
    batch_size: int = 8
    html: Path | None = None
    # None: the template recorded by `trainer train`, else trainer.data's default.
    prompt_template: str | None = None
    rules: list[Path] = field(default_factory=list)  # rule packs; empty = the default pack


def _parser() -> argparse.ArgumentParser:
    # Unset flags stay out of the namespace, so EvalConfig's defaults are the only ones.
    p = argparse.ArgumentParser(
        prog="trainer eval",
        description="Generate for held-out docstrings; score syntax, house style and closeness.",
        argument_default=argparse.SUPPRESS,
    )
    defaults = EvalConfig(model="", data=Path(), out=Path())
    p.add_argument("--model", required=True, help="tuned model: local path or hub id")
    p.add_argument("--adapter", help="peft adapter directory to load onto --model")
    p.add_argument("--base", help="base model to compare against, in the same run")
    p.add_argument("--data", required=True, type=Path, help="miner output directory")
    p.add_argument("--split", choices=SPLITS, help=f"default: {defaults.split}")
    p.add_argument("--limit", type=int, help="evaluate the first N pairs of the split")
    p.add_argument("--max-new-tokens", type=int, help=f"default: {defaults.max_new_tokens}")
    p.add_argument("--batch-size", type=int, help=f"default: {defaults.batch_size}")
    p.add_argument("--out", required=True, type=Path, help="report.json to write")
    p.add_argument("--html", type=Path, help="also write a self-contained HTML report")
    p.add_argument("--prompt-template", help="default: the one recorded by trainer train")
    p.add_argument("--rules", type=Path, action="append", help="rule pack TOML (repeatable)")
    return p


def parse_args(argv: list[str]) -> EvalConfig:
    return EvalConfig(**vars(_parser().parse_args(argv)))


def _check_model(flag: str, value: str) -> None:
    problem = model_path_problem(value, ("config.json", "adapter_config.json"))
    if problem == "not-saved":
        raise EvalError(f"{flag} {value}: no config.json there (not a saved model)")
    if problem == "missing" or (flag == "--adapter" and not Path(value).expanduser().exists()):
        raise EvalError(f"{flag} {value}: path does not exist")


def _check(config: EvalConfig) -> None:
    for flag, number in (
        ("--limit", config.limit),
        ("--max-new-tokens", config.max_new_tokens),
        ("--batch-size", config.batch_size),
    ):
        if number is not None and number < 1:
            raise EvalError(f"{flag} must be at least 1, got {number}")
    for flag, value in (
        ("--model", config.model),
        ("--adapter", config.adapter),
        ("--base", config.base),
    ):
        if value:
            _check_model(flag, value)


def _template(config: EvalConfig) -> str:
    """The prompt template the tuned model was trained with, so prompts match training."""
    template = config.prompt_template
    if template is None:
        for directory in (config.adapter, config.model):
            summary = Path(directory) / TRAINING_SUMMARY if directory else None
            if summary and summary.is_file():
                try:
                    template = json.loads(summary.read_text())["hyperparameters"]["prompt_template"]
                except (ValueError, KeyError, TypeError) as exc:
                    raise EvalError(
                        f"{summary}: no hyperparameters.prompt_template ({exc})"
                    ) from None
                break
    if template is None:
        template = DEFAULT_PROMPT_TEMPLATE
    try:
        check_template(template)
    except ValueError as exc:
        raise EvalError(str(exc)) from None
    return template


def _rows(config: EvalConfig) -> list[dict[str, Any]]:
    split = load_pairs(config.data)[config.split]
    if len(split) == 0:
        raise EvalError(f"{pairs_file(config.data)}: no pairs in split '{config.split}'")
    rows = split.select(range(min(len(split), config.limit or len(split))))
    return [dict(row) for row in rows]


def _checker(config: EvalConfig, rows: list[dict[str, Any]]) -> StyleChecker:
    directory = pairs_file(config.data).parent
    if not (directory / "scopes.json").is_file():
        raise EvalError(
            f"{directory / 'scopes.json'}: not found (written by `miner mine`; it holds the "
            "repository scopes house style is checked in)"
        )
    try:
        checker = StyleChecker.from_output_dir(directory, rule_paths=config.rules or None)
    except RuleError as exc:
        raise EvalError(f"--rules: {exc}") from None
    unscoped = sorted(
        {(row["repo"], row["module"]) for row in rows}
        - {
            (repo, module)
            for repo, scope in checker.scopes.items()
            for module in scope.get("modules", {})
        }
    )
    if unscoped:
        # Judged without the module's imports, even the reference may miss its rules.
        repo, module = unscoped[0]
        print(
            f"trainer eval: warning: {directory / 'scopes.json'}: no scope for {len(unscoped)} "
            f"module(s), e.g. {module} of repository {repo}; their rules may not resolve",
            file=sys.stderr,
        )
    return checker


def _generate(
    label: str, model_id: str, adapter: str | None, prompts: list[str], config: EvalConfig
) -> tuple[list[Generation], dict[str, Any]]:
    # Imported here: transformers' model code takes seconds to load, and input errors are
    # reported before any of it is needed.
    from trainer.generate import generate, load_model, pick_device

    device = pick_device()
    started = time.perf_counter()
    try:
        model, tokenizer = load_model(model_id, adapter, device)
    except OSError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        flag = "--base" if label == "base" else "--model"
        raise EvalError(f"{flag} {model_id}: cannot load: {reason}") from None
    loaded = time.perf_counter()
    generations = generate(
        model,
        tokenizer,
        prompts,
        max_new_tokens=config.max_new_tokens,
        batch_size=config.batch_size,
    )
    done = time.perf_counter()
    del model
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()  # room for the next model
    tokens = sum(g.new_tokens for g in generations)
    timing = {
        "device": device.type,
        "load_s": round(loaded - started, 3),
        "generate_s": round(done - loaded, 3),
        "generated_tokens": tokens,
        "tokens_per_second": round(tokens / max(done - loaded, 1e-9), 1),
    }
    return generations, timing


@contextmanager
def _quiet_progress() -> Iterator[None]:
    """No dataset or weight-loading bars: stdout is for the final table."""
    bars = datasets.is_progress_bar_enabled(), hf_logging.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if bars[0]:
            datasets.enable_progress_bars()
        if bars[1]:
            hf_logging.enable_progress_bar()


def evaluate(config: EvalConfig) -> dict[str, Any]:
    """Generate with every model, score, aggregate; returns the report (see write_report)."""
    _check(config)
    template = _template(config)
    rows = _rows(config)
    checker = _checker(config, rows)
    prompts = [format_prompt(row, template) for row in rows]
    # Base first: the report reads left to right as reference, base, tuned.
    runs = [("base", config.base, None)] if config.base else []
    runs.append(("tuned", config.model, config.adapter))
    models: dict[str, Any] = {}
    scores: dict[str, list[dict[str, Any]]] = {}
    for label, model_id, adapter in runs:
        generations, timing = _generate(label, model_id, adapter, prompts, config)
        scores[label] = [
            score_generation(row, g.text, checker, stopped=g.stopped, new_tokens=g.new_tokens)
            for row, g in zip(rows, generations, strict=True)
        ]
        models[label] = {
            "model": model_id,
            "adapter": adapter,
            "aggregates": aggregate(rows, scores[label]),
            "timing": timing,
        }
    examples = [
        {
            **{key: row.get(key) for key in ("id", "repo", "path", "module", "qualname")},
            "prompt": prompt,
            "reference": row["completion"],
            "reference_rules": list(row["rules"]),
            "generations": {label: scores[label][i] for label in models},
        }
        for i, (row, prompt) in enumerate(zip(rows, prompts, strict=True))
    ]
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(config).items()}
    settings["rules"] = [str(p) for p in config.rules]
    settings["prompt_template"] = template
    return {
        "config": settings,
        "models": models,
        "delta": (
            difference(models["tuned"]["aggregates"], models["base"]["aggregates"])
            if "base" in models
            else None
        ),
        "examples": examples,
    }


def write_report(report: dict[str, Any], path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def main(argv: list[str]) -> int:
    try:
        config = parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage error already
        return int(exc.code or 0)
    try:
        with _quiet_progress():
            report = evaluate(config)
    except (EvalError, DataError) as exc:
        print(f"trainer eval: error: {exc}", file=sys.stderr)
        return 2
    write_report(report, config.out)
    if config.html:
        write_html(report, config.html)
    print(render_table(report))
    print(f"report: {config.out}" + (f", {config.html}" if config.html else ""))
    return 0
