"""Greedy, batched, bounded generation of completions from a causal LM.

Prompts are tokenized the way TRL tokenizes a prompt-completion pair's prompt (plain
`tokenizer(text)`, special tokens included), so the model sees at evaluation exactly the prefix
it was trained to continue.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    GenerationConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

# Files whose presence means an adapter directory carries its own tokenizer (e.g. a pad token
# added during training), which must then be used instead of the base model's.
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")


@dataclass(frozen=True, slots=True)
class Generation:
    text: str  # decoded completion, cut before the first EOS
    stopped: bool  # an EOS ended it before max_new_tokens ran out
    new_tokens: int  # tokens generated, the EOS not counted


def pick_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def load_model(
    model: str, adapter: str | None = None, device: torch.device | None = None
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load `model` (local path or hub id), optionally with a peft adapter, ready for inference."""
    device = device or pick_device()
    tokenizer_source = model
    if adapter and any((Path(adapter) / name).is_file() for name in _TOKENIZER_FILES):
        tokenizer_source = adapter
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_source)
    use_bf16 = device.type == "cuda" and torch.cuda.is_bf16_supported()
    loaded = AutoModelForCausalLM.from_pretrained(
        model, dtype=torch.bfloat16 if use_bf16 else torch.float32
    )
    if adapter:
        from peft import PeftModel  # only adapter runs pay for importing peft

        loaded = PeftModel.from_pretrained(loaded, adapter)
    loaded.to(device).eval()
    return loaded, tokenizer


def _eos_ids(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> list[int]:
    configured = model.generation_config.eos_token_id
    if configured is None:
        configured = []
    elif isinstance(configured, int):
        configured = [configured]
    ids = list(dict.fromkeys([*configured, tokenizer.eos_token_id]))
    return [i for i in ids if i is not None]


def generate(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: list[str],
    *,
    max_new_tokens: int = 256,
    batch_size: int = 8,
) -> list[Generation]:
    """Greedy completions of `prompts`, in their order, batched with left padding."""
    eos_ids = _eos_ids(model, tokenizer)
    if not eos_ids:
        raise ValueError("the tokenizer and the model's generation config define no EOS token")
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.convert_ids_to_tokens(eos_ids[0])
    # Left padding keeps every prompt's last token at the end, where generation continues.
    tokenizer.padding_side = "left"
    config = GenerationConfig(
        max_new_tokens=max_new_tokens,
        do_sample=False,
        eos_token_id=eos_ids,
        pad_token_id=tokenizer.pad_token_id,
    )
    device = next(model.parameters()).device
    # Batching prompts of similar length wastes less compute on padding.
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    results: dict[int, Generation] = {}
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        encoded = tokenizer([prompts[i] for i in batch], return_tensors="pt", padding=True)
        encoded = encoded.to(device)
        with torch.inference_mode():
            output = model.generate(**encoded, generation_config=config)
        new = output[:, encoded["input_ids"].shape[1] :].tolist()
        for index, ids in zip(batch, new, strict=True):
            cut = next((pos for pos, tok in enumerate(ids) if tok in eos_ids), None)
            kept = ids if cut is None else ids[:cut]
            results[index] = Generation(
                text=tokenizer.decode(
                    kept, skip_special_tokens=True, clean_up_tokenization_spaces=False
                ),
                stopped=cut is not None,
                new_tokens=len(kept),
            )
    return [results[i] for i in range(len(prompts))]
