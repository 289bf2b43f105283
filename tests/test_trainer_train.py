"""Real TRL training of the tiny model: full fine-tune memorises, LoRA trains only the adapter."""

from __future__ import annotations

import hashlib
import json

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, AutoTokenizer

from tests.trainer_fixtures import build_fixture_model, make_pairs, write_pairs
from trainer.config import TrainConfig
from trainer.data import DEFAULT_PROMPT_TEMPLATE, format_prompt
from trainer.train import train


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("trainer_train")
    return build_fixture_model(root / "tiny", make_pairs())


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_full_finetune_memorises_pairs_and_stops_at_eos(tiny, tmp_path, capsys):
    pairs = make_pairs(validation=0)  # 12 train pairs, no validation split
    data = write_pairs(tmp_path / "mined", pairs).parent
    out = train(
        TrainConfig(
            data=str(data), model=str(tiny), output_dir=str(tmp_path / "out"), full=True,
            epochs=40, learning_rate=1e-2, batch_size=4, save_total_limit=1,
        )
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert "has no validation pairs" in printed and "trainer: done" in printed

    tokenizer = AutoTokenizer.from_pretrained(out)
    model = AutoModelForCausalLM.from_pretrained(out).eval()
    for pair in pairs:
        ids = tokenizer(format_prompt(pair, DEFAULT_PROMPT_TEMPLATE), return_tensors="pt")
        new = model.generate(**ids, max_new_tokens=120, do_sample=False)[
            0, ids.input_ids.shape[1] :
        ]
        assert new[-1].item() == tokenizer.eos_token_id, pair["qualname"]
        assert tokenizer.decode(new[:-1]) == pair["completion"], pair["qualname"]

    summary = json.loads((out / "training_summary.json").read_text())
    assert summary["method"] == "full" and summary["data"]["used"] == {"train": 12, "validation": 0}
    assert summary["steps"] == 120 and summary["loss"]["eval"] == []
    assert summary["best_checkpoint"] is None and summary["weights"] == "last"
    train_loss = [p["loss"] for p in summary["loss"]["train"]]
    assert len(train_loss) == 120 and train_loss[-1] < 0.1 < 5 < train_loss[0]
    assert summary["tokens_per_second"] > 0 and summary["hyperparameters"]["bf16"] is False
    assert "full fine-tune" in (out / "README.md").read_text()


def test_lora_trains_only_the_adapter_and_reloads(tiny, tmp_path):
    from peft import AutoPeftModelForCausalLM

    pairs = make_pairs(validation=2)
    data = write_pairs(tmp_path / "mined", pairs).parent
    base_weights = tiny / "model.safetensors"
    base_digest = _sha256(base_weights)
    out = train(
        TrainConfig(
            data=str(data), model=str(tiny), output_dir=str(tmp_path / "out"), epochs=2,
            learning_rate=1e-2, batch_size=4, merge=True, max_length=100,
        )
    )  # fmt: skip

    adapter = load_file(out / "adapter_model.safetensors")
    assert adapter and all("lora_" in key for key in adapter)
    assert all(t.abs().sum() > 0 for k, t in adapter.items() if "lora_B" in k)  # B starts at 0
    assert _sha256(base_weights) == base_digest

    base = AutoModelForCausalLM.from_pretrained(tiny).eval()
    tuned = AutoPeftModelForCausalLM.from_pretrained(out).eval()
    ids = AutoTokenizer.from_pretrained(out)(format_prompt(pairs[0]), return_tensors="pt")
    with torch.no_grad():
        assert not torch.allclose(base(**ids).logits, tuned(**ids).logits)

    # Merged = base + B·A on the adapted linear layers; every other tensor is the base's own.
    merged = load_file(out / "merged" / "model.safetensors")
    original = load_file(base_weights)
    assert merged.keys() == original.keys()
    for key, tensor in original.items():
        same = torch.equal(tensor, merged[key])
        assert same != key.endswith(("proj.weight",)), key

    summary = json.loads((out / "training_summary.json").read_text())
    dropped = summary["data"]["dropped_over_max_length"]
    assert summary["data"]["used"]["train"] == 10 - dropped["train"] and dropped["train"] > 0
    assert [p["epoch"] for p in summary["loss"]["eval"]] == [1.0, 2.0]
    assert summary["best_checkpoint"] and summary["weights"] == "best"
    assert summary["hyperparameters"]["learning_rate"] == 1e-2
    assert summary["merged_dir"] == str(out / "merged")
    card = (out / "README.md").read_text()
    assert f"base_model: {tiny}" in card and "LoRA adapter (r=16, alpha=32" in card


def test_resume_continues_from_the_last_checkpoint_with_packing(tiny, tmp_path):
    data = write_pairs(tmp_path / "mined", make_pairs(validation=2)).parent
    config = TrainConfig(
        data=str(data), model=str(tiny), output_dir=str(tmp_path / "out"), packing=True,
        max_steps=2, eval_steps=1, batch_size=2, save_total_limit=5, load_best=False,
    )  # fmt: skip
    train(config)
    assert sorted(p.name for p in (tmp_path / "out").glob("checkpoint-*")) == [
        "checkpoint-1", "checkpoint-2",
    ]  # fmt: skip
    config.max_steps, config.resume = 3, True
    train(config)
    summary = json.loads((tmp_path / "out" / "training_summary.json").read_text())
    assert summary["steps"] == 3 and summary["weights"] == "last" and summary["best_checkpoint"]
    # Only the resumed step ran in this session; the history before it comes from the checkpoint.
    assert [p["step"] for p in summary["loss"]["eval"]] == [1, 2, 3]
