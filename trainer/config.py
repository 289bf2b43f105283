"""`TrainConfig`: every default of `trainer train`, and how flags and a TOML file fill it.

Precedence is flags > TOML file > dataclass defaults. The argparse flags are generated from the
dataclass fields, so a new field is a new flag and a new TOML key with no other edit.
"""

from __future__ import annotations

import argparse
import tomllib
import types
import typing
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from trainer.data import DEFAULT_PROMPT_TEMPLATE


class ConfigError(ValueError):
    """A configuration problem, worded as one line that names the file and key."""


def model_path_problem(value: str, saved_as: tuple[str, ...] = ("config.json",)) -> str | None:
    """Why `value` cannot name a model: "not-saved" for a folder holding none of `saved_as`,
    "missing" for a path that does not exist and cannot be a Hub id; None when it may load."""
    path = Path(value).expanduser()
    if path.exists():
        return None if any((path / name).is_file() for name in saved_as) else "not-saved"
    # A Hub id is "name" or "org/name"; anything else that does not exist is a mistyped path.
    looks_local = value.startswith((".", "/", "~")) or value.count("/") > 1 or "\\" in value
    return "missing" if looks_local else None


def _opt(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass
class TrainConfig:
    data: str = _opt("", "pairs.jsonl, or the miner's output directory holding it")
    model: str = _opt("", "base model: a local directory or a Hub id")
    output_dir: str = _opt("", "where the adapter/model, checkpoints and summary go")
    full: bool = _opt(False, "full fine-tune instead of a LoRA adapter")
    epochs: float = _opt(3.0, "training epochs")
    max_steps: int = _opt(-1, "stop after this many optimizer steps (-1: run all epochs)")
    # None picks the usual rate for the method: LoRA tolerates a 10x larger one than full FT.
    learning_rate: float | None = _opt(None, "peak learning rate (default: 2e-4 LoRA, 2e-5 full)")
    lr_scheduler_type: str = _opt("cosine", "transformers scheduler name")
    warmup_steps: float = _opt(0.03, "warmup: steps if >= 1, else a fraction of all steps")
    weight_decay: float = _opt(0.0, "AdamW weight decay")
    lora_r: int = _opt(16, "LoRA rank")
    lora_alpha: int = _opt(32, "LoRA alpha (scale = alpha / r)")
    lora_dropout: float = _opt(0.05, "LoRA dropout")
    lora_target_modules: str = _opt("all-linear", "peft target_modules ('all-linear' or a,b,c)")
    max_length: int = _opt(1024, "longest pair in tokens; longer pairs are dropped, not cut")
    batch_size: int = _opt(8, "per-device batch size (train and eval)")
    gradient_accumulation_steps: int = _opt(1, "micro-batches per optimizer step")
    packing: bool = _opt(False, "pack pairs into max_length rows (TRL 'bfd', no cross-attention)")
    prompt_template: str = _opt(
        DEFAULT_PROMPT_TEMPLATE, "prompt with {docstring} {context} {qualname} {path}; ends in \\n"
    )
    eval_steps: int | None = _opt(None, "evaluate every N steps (default: every epoch)")
    early_stopping_patience: int | None = _opt(
        3, "evaluations without improvement before stopping (0 or none: never stop early)"
    )
    save_total_limit: int = _opt(2, "checkpoints kept on disk, the best one always among them")
    load_best: bool = _opt(
        True, "end with the weights of the best checkpoint by validation loss, not the last"
    )
    logging_steps: int = _opt(1, "log train loss every N steps")
    resume: bool = _opt(False, "resume from the last checkpoint in output_dir")
    merge: bool = _opt(False, "also write LoRA-merged full weights to output_dir/merged")
    # None = decide from the hardware: bf16 where the GPU supports it, fp32 on CPU.
    bf16: bool | None = _opt(None, "bf16 mixed precision (default: when the GPU supports it)")
    # None = on for GPUs (memory is the limit), off on CPU (speed is).
    activation_checkpointing: bool | None = _opt(None, "recompute activations (default: on GPU)")
    use_cpu: bool = _opt(False, "train on CPU even where a GPU is present")
    seed: int = _opt(0, "random seed")


_FIELDS = {f.name: f for f in fields(TrainConfig)}


def _base_type(annotation: str) -> tuple[type, bool]:
    """(scalar type, accepts None) of a field annotation such as 'int | None'."""
    hint = typing.get_type_hints(TrainConfig)[annotation]
    if isinstance(hint, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return args[0], True
    return hint, False


def _parse_scalar(kind: type, nullable: bool):
    def parse(text: str):
        if nullable and text.lower() in ("none", "null"):
            return None
        return kind(text)

    parse.__name__ = kind.__name__  # argparse names the type in its error message
    return parse


def add_config_flags(parser: argparse.ArgumentParser) -> None:
    """One `--flag` per `TrainConfig` field (booleans get `--x/--no-x`), plus `--config`."""
    parser.add_argument("--config", metavar="TOML", help="TOML file with TrainConfig keys")
    for name, f in _FIELDS.items():
        kind, nullable = _base_type(name)
        flag = "--" + name.replace("_", "-")
        # SUPPRESS keeps unset flags out of the namespace, so the TOML value is not overwritten.
        common = {"dest": name, "default": argparse.SUPPRESS, "help": f.metadata["help"]}
        if kind is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, **common)
        else:
            parser.add_argument(flag, type=_parse_scalar(kind, nullable), **common)


def read_toml(path: str | Path) -> dict[str, Any]:
    """The TOML file's keys, checked against `TrainConfig` (name and type)."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    for key, value in raw.items():
        if key not in _FIELDS:
            raise ConfigError(f"{path}: unknown key '{key}' (known: {', '.join(_FIELDS)})")
        kind, nullable = _base_type(key)
        # TOML writes 3 for 3.0; bool is an int subclass and must not pass as a number.
        ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
        ok = ok or (kind is float and isinstance(value, int) and not isinstance(value, bool))
        if not ok:
            raise ConfigError(
                f"{path}: key '{key}' must be {kind.__name__}, got {type(value).__name__}"
                + (" (omit the key for the default)" if nullable else "")
            )
        raw[key] = kind(value)
    return raw


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """Defaults, then the `--config` TOML file, then the flags given on the command line."""
    values: dict[str, Any] = {}
    if getattr(args, "config", None):
        values.update(read_toml(args.config))
    values.update({k: v for k, v in vars(args).items() if k in _FIELDS})
    return TrainConfig(**values)


def check_required(config: TrainConfig) -> None:
    for name in ("data", "model", "output_dir"):
        if not getattr(config, name):
            raise ConfigError(
                f"missing required setting '{name}' (flag --{name.replace('_', '-')})"
            )
