"""`trainer` command line: `train`, `tiny-model` and `eval` (the latter in trainer.evaluate)."""

from __future__ import annotations

import argparse
import sys

from trainer.config import ConfigError, add_config_flags, config_from_args
from trainer.data import DataError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trainer", description="Fine-tune a code model on mined docstring→code pairs."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="fine-tune with TRL's SFTTrainer (LoRA by default)")
    add_config_flags(train)
    tiny = sub.add_parser(
        "tiny-model", help="build a tiny random-weight model offline (tests, demo)"
    )
    tiny.add_argument("out", help="directory to save the model and tokenizer in")
    tiny.add_argument(
        "--data", required=True, help="pairs.jsonl or miner output dir to fit the BPE on"
    )
    tiny.add_argument("--vocab-size", type=int, default=512)
    tiny.add_argument("--hidden-size", type=int, default=64)
    tiny.add_argument("--num-layers", type=int, default=2)
    tiny.add_argument("--seed", type=int, default=0)
    sub.add_parser(
        "eval", help="evaluate a trained model (see `trainer eval --help`)", add_help=False
    )
    return parser


def _train(args: argparse.Namespace) -> int:
    from trainer.train import train

    train(config_from_args(args))
    return 0


def _tiny(args: argparse.Namespace) -> int:
    from trainer.data import load_pairs
    from trainer.tiny import build_tiny_model

    pairs = load_pairs(args.data)
    texts = (
        "\n".join(row[k] or "" for k in ("prompt", "completion", "context", "path") if k in row)
        for split in pairs.values()
        for row in split
    )
    out = build_tiny_model(
        args.out,
        texts,
        vocab_size=args.vocab_size,
        hidden_size=args.hidden_size,
        num_layers=args.num_layers,
        seed=args.seed,
    )
    print(f"tiny model (random weights, for tests and demos only) saved to {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["eval"]:
        # Imported here: evaluate.py is optional for `train` and `tiny-model`.
        from trainer import evaluate

        return evaluate.main(argv[1:])
    args = _parser().parse_args(argv)
    try:
        return _train(args) if args.command == "train" else _tiny(args)
    except (ConfigError, DataError) as exc:
        print(f"trainer {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
