"""Config merging, prompt rendering, data loading and the CLI's one-line errors (no training)."""

from __future__ import annotations

import argparse
import json

import pytest
from transformers import AutoTokenizer

from tests.trainer_fixtures import build_fixture_model, make_pairs, write_pairs
from trainer.cli import main
from trainer.config import ConfigError, TrainConfig, add_config_flags, config_from_args
from trainer.data import (
    DEFAULT_PROMPT_TEMPLATE,
    check_template,
    format_prompt,
    load_pairs,
    prepare_splits,
)


@pytest.fixture(scope="module")
def fixture(tmp_path_factory):
    root = tmp_path_factory.mktemp("trainer_config")
    pairs = make_pairs(validation=2)
    data = write_pairs(root / "mined", pairs).parent
    model = build_fixture_model(root / "tiny", pairs)
    return pairs, data, model


def _parse(argv: list[str]) -> TrainConfig:
    parser = argparse.ArgumentParser()
    add_config_flags(parser)
    return config_from_args(parser.parse_args(argv))


def test_flags_override_toml_which_overrides_defaults(tmp_path):
    toml = tmp_path / "train.toml"
    toml.write_text('epochs = 2\nlora_r = 8\npacking = true\nmodel = "base"\n')
    config = _parse(["--config", str(toml), "--epochs", "5", "--no-packing", "--eval-steps", "20"])
    assert config.epochs == 5.0 and config.lora_r == 8 and config.model == "base"
    assert config.packing is False and config.eval_steps == 20
    assert config.batch_size == TrainConfig().batch_size and config.learning_rate is None
    assert _parse(["--eval-steps", "none", "--full"]).eval_steps is None
    assert _parse(["--full"]).full is True


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("epoch = 3\n", "train.toml: unknown key 'epoch'"),
        ('epochs = "three"\n', "train.toml: key 'epochs' must be float, got str"),
        ("lora_r = true\n", "train.toml: key 'lora_r' must be int, got bool"),
        ("epochs = = 3\n", "train.toml: invalid TOML"),
    ],
)
def test_bad_toml_is_a_one_line_error_naming_file_and_key(tmp_path, capsys, text, message):
    toml = tmp_path / "train.toml"
    toml.write_text(text)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        _parse(["--config", str(toml)])
    assert main(["train", "--config", str(toml)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_default_prompt_shows_imports_and_docstring_and_ends_with_newline(fixture):
    pairs, _, _ = fixture
    pair = next(p for p in pairs if p["qualname"] == "reserve")
    prompt = format_prompt(pair, DEFAULT_PROMPT_TEMPLATE)
    assert prompt.endswith("\n")
    assert "from acme.db import db_wrapper\nfrom acme.errors import OutOfStock" in prompt
    assert '"""Reserve stock for an order line."""' in prompt and "acme/stock.py" in prompt
    assert format_prompt({"docstring": "d"}, "{qualname}|{docstring}\n") == "|d\n"
    with pytest.raises(ValueError, match=r"unknown field\(s\) \{body\}"):
        check_template("{body}\n")
    with pytest.raises(ValueError, match="must end with a newline"):
        check_template("{docstring}")


def test_prompt_ends_on_a_token_boundary(fixture):
    # TRL splits prompt from completion where their tokenizations diverge; a prompt whose last
    # token merges into the completion would move that split and train on the wrong tokens.
    pairs, _, model = fixture
    tokenizer = AutoTokenizer.from_pretrained(model)
    for pair in pairs:
        prompt = format_prompt(pair, DEFAULT_PROMPT_TEMPLATE)
        ids = tokenizer(text=prompt)["input_ids"]
        assert tokenizer(text=prompt + pair["completion"])["input_ids"][: len(ids)] == ids


def test_load_pairs_splits_and_overlength_pairs_are_dropped_and_counted(fixture):
    pairs, data, model = fixture
    loaded = load_pairs(data)
    assert (len(loaded["train"]), len(loaded["validation"])) == (10, 2)
    tokenizer = AutoTokenizer.from_pretrained(model)
    lengths = {
        split: sorted(
            len(
                tokenizer(text=format_prompt(p) + p["completion"] + tokenizer.eos_token)[
                    "input_ids"
                ]
            )
            for p in pairs
            if p["split"] == split
        )
        for split in ("train", "validation")
    }
    limit = lengths["train"][6]  # keeps the 7 shortest train pairs (lengths are distinct here)
    assert lengths["train"][7] > limit
    splits = prepare_splits(loaded, tokenizer, DEFAULT_PROMPT_TEMPLATE, limit)
    assert splits.read == {"train": 10, "validation": 2}
    assert splits.dropped["train"] == 3 and len(splits.train) == 7
    assert splits.tokens["train"] == sum(lengths["train"][:7])
    assert splits.dropped["validation"] == sum(n > limit for n in lengths["validation"])
    assert splits.train.column_names == ["prompt", "completion"]
    assert all(p.endswith("\n") for p in splits.train["prompt"])


def test_cli_errors_name_the_problem_in_one_line(fixture, tmp_path, capsys):
    pairs, data, model = fixture
    out = str(tmp_path / "out")

    def run(*argv: str) -> str:
        assert main(["train", *argv]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1, err
        return err

    (tmp_path / "unmined").mkdir()
    assert f"{tmp_path / 'unmined' / 'pairs.jsonl'}: pairs file not found" in run(
        "--data", str(tmp_path / "unmined"), "--model", str(model), "--output-dir", out
    )
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert f"{empty}: no pairs" in run(
        "--data", str(empty), "--model", str(model), "--output-dir", out
    )
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps(pairs[0]) + "\n{not json\n")
    assert f"{broken}: not readable as JSON lines: JSON parse error" in run(
        "--data", str(broken), "--model", str(model), "--output-dir", out
    )
    bare = tmp_path / "bare.jsonl"
    bare.write_text("".join(json.dumps({"docstring": p["docstring"]}) + "\n" for p in pairs))
    assert f"{bare}: pairs lack column(s) prompt, completion" in run(
        "--data", str(bare), "--model", str(model), "--output-dir", out
    )
    assert f"model path does not exist: {tmp_path / 'missing'}" in run(
        "--data", str(data), "--model", str(tmp_path / "missing"), "--output-dir", out
    )
    assert "missing required setting 'model'" in run("--data", str(data), "--output-dir", out)
    assert "no checkpoint-* directory" in run(
        "--data", str(data), "--model", str(model), "--output-dir", out, "--resume"
    )
    assert "must end with a newline" in run(
        "--data", str(data), "--model", str(model), "--output-dir", out,
        "--prompt-template", "{docstring}",
    )  # fmt: skip
    assert "no train pairs left (10 read, 10 longer than max_length=8)" in run(
        "--data", str(data), "--model", str(model), "--output-dir", out, "--max-length", "8"
    )
    assert not (tmp_path / "out").exists()


def test_tiny_model_command_builds_a_loadable_model(fixture, tmp_path, capsys):
    from transformers import AutoModelForCausalLM

    _, data, _ = fixture
    assert (
        main(["tiny-model", str(tmp_path / "tiny"), "--data", str(data), "--vocab-size", "300"])
        == 0
    )
    assert "random weights" in capsys.readouterr().out
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "tiny")
    model = AutoModelForCausalLM.from_pretrained(tmp_path / "tiny")
    assert (
        tokenizer.eos_token and tokenizer.pad_token and tokenizer.eos_token != tokenizer.pad_token
    )
    assert model.config.vocab_size == len(tokenizer) <= 300
    text = "def f(x):\n    return x  # ünïcode\n"
    assert tokenizer.decode(tokenizer(text)["input_ids"]) == text
