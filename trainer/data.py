"""From the miner's pairs.jsonl to TRL prompt–completion datasets.

The prompt is rendered from a template so that `trainer.evaluate` can build the very same prompt
at generation time. Pairs too long for `max_length` are dropped here, before TRL sees them:
TRL would truncate them, cutting off the EOS and teaching the model never to stop.
Derived datasets stay in memory: mined data sets are small, and every process of a distributed
run prepares its own copy without racing the others for the same cache files.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

from datasets import Dataset, DatasetDict, load_dataset

# Reads like the top of the source file: where it lives, the imports in scope, then the docstring
# as a string literal the function body follows. The final newline keeps the prompt/completion
# boundary on a token boundary (the completion starts with `def` or a decorator).
DEFAULT_PROMPT_TEMPLATE = '# {path}\n{context}\n\n# {qualname}\n"""{docstring}"""\n'

PROMPT_FIELDS = ("docstring", "context", "qualname", "path")
REQUIRED_COLUMNS = ("prompt", "completion")


class DataError(ValueError):
    """A problem with the pairs file, worded as one line that names the file."""


@dataclass
class PreparedSplits:
    """Train/validation prompt–completion datasets and what was dropped on the way."""

    train: Dataset
    validation: Dataset
    read: dict[str, int]  # pairs per split as read
    dropped: dict[str, int]  # pairs per split longer than max_length
    tokens: dict[str, int]  # tokens per split after dropping (EOS included)


def pairs_file(path: str | Path) -> Path:
    path = Path(path)
    return path / "pairs.jsonl" if path.is_dir() else path


def load_pairs(path: str | Path) -> DatasetDict:
    """`train` and `validation` splits of a pairs.jsonl (or of DIR/pairs.jsonl)."""
    file = pairs_file(path)
    if not file.is_file():
        raise DataError(f"{file}: pairs file not found")
    if file.stat().st_size == 0:
        raise DataError(f"{file}: no pairs (the file is empty)")
    try:
        rows = load_dataset("json", data_files=str(file), split="train")
    except Exception as exc:  # datasets wraps the parser's error ("... in row N") in its own
        cause = str(exc.__cause__ or exc).strip()
        reason = cause.splitlines()[0] if cause else type(exc).__name__
        raise DataError(f"{file}: not readable as JSON lines: {reason}") from exc
    if len(rows) == 0:
        raise DataError(f"{file}: no pairs (the file is empty)")
    missing = [c for c in REQUIRED_COLUMNS if c not in rows.column_names]
    if missing:
        raise DataError(f"{file}: pairs lack column(s) {', '.join(missing)}")
    if "split" not in rows.column_names:
        return DatasetDict(train=rows, validation=rows.select([]))
    return DatasetDict(
        {
            split: rows.filter(
                lambda s, want=split: s == want, input_columns="split", keep_in_memory=True
            )
            for split in ("train", "validation")
        }
    )


def check_template(template: str) -> None:
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    unknown = sorted(names - set(PROMPT_FIELDS))
    if unknown:
        raise ValueError(
            f"prompt_template: unknown field(s) {', '.join('{' + n + '}' for n in unknown)} "
            f"(known: {', '.join(PROMPT_FIELDS)})"
        )
    if not template.endswith("\n"):
        raise ValueError(
            "prompt_template must end with a newline (keeps the prompt on a token boundary)"
        )


def format_prompt(row: dict, template: str = DEFAULT_PROMPT_TEMPLATE) -> str:
    """The generation prompt for one pair; missing or null fields render as ''."""
    check_template(template)
    return template.format(**{name: row.get(name) or "" for name in PROMPT_FIELDS})


def _to_prompt_completion(rows: Dataset, template: str) -> Dataset:
    return rows.map(
        lambda row: {"prompt": format_prompt(row, template), "completion": row["completion"]},
        remove_columns=[c for c in rows.column_names if c not in REQUIRED_COLUMNS],
        keep_in_memory=True,
    )


def _drop_overlength(rows: Dataset, tokenizer, max_length: int) -> tuple[Dataset, int, int]:
    """(kept rows, dropped count, kept tokens), counting tokens as TRL's SFT tokenization does."""
    if len(rows) == 0:
        return rows, 0, 0
    eos = tokenizer.eos_token

    def count(batch):
        texts = [p + c + eos for p, c in zip(batch["prompt"], batch["completion"], strict=True)]
        return {"n_tokens": [len(ids) for ids in tokenizer(text=texts)["input_ids"]]}

    counted = rows.map(count, batched=True, keep_in_memory=True)
    kept = counted.filter(lambda n: n <= max_length, input_columns="n_tokens", keep_in_memory=True)
    return kept.remove_columns("n_tokens"), len(rows) - len(kept), sum(kept["n_tokens"])


def prepare_splits(pairs: DatasetDict, tokenizer, template: str, max_length: int) -> PreparedSplits:
    """Render prompts and drop over-length pairs in both splits."""
    check_template(template)
    out: dict[str, Dataset] = {}
    read, dropped, tokens = {}, {}, {}
    for split in ("train", "validation"):
        rows = _to_prompt_completion(pairs[split], template)
        out[split], dropped[split], tokens[split] = _drop_overlength(rows, tokenizer, max_length)
        read[split] = len(rows)
    return PreparedSplits(out["train"], out["validation"], read, dropped, tokens)
