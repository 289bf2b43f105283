"""GPU training benchmark for `trainer`: tokens/s, peak memory and MFU, LoRA vs full, packed or not.

The model is Qwen2-style with Qwen2.5-0.5B's shape (~494M parameters) and random weights, and
the data are random token sequences of random length: nothing is downloaded, and the speed of
a step does not depend on what the weights or tokens are. Each case runs TRL's SFTTrainer
the way `trainer train` configures it on a GPU (bf16, activation checkpointing, LoRA r=16 on
all linear layers; fp32 master weights for the full fine-tune).

    python bench/gpu_train.py                 # one GPU, about 2 minutes on an H100
    python bench/gpu_train.py --smoke         # tiny sizes, runs on CPU in seconds (tests)

Tokens/s counts real tokens only (padding excluded), so packing's gain shows up in it.
MFU = achieved model FLOP/s / the GPU's dense bf16 peak, with 6·N FLOPs per token plus causal
attention (PaLM's appendix B). LoRA skips the weight gradients, so its real work per token is
~2/3 of that: its MFU is an upper estimate, comparable to the full fine-tune's by design.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import datasets
import torch
from datasets import Dataset
from peft import LoraConfig
from tokenizers import Tokenizer, models
from transformers import (
    PreTrainedTokenizerFast,
    PrinterCallback,
    Qwen2Config,
    Qwen2ForCausalLM,
    TrainerCallback,
)
from trl import SFTConfig, SFTTrainer

from trainer.train import FULL_LEARNING_RATE, LORA_LEARNING_RATE

# Dense bf16 peak FLOP/s by device-name fragment (vendor datasheets, SXM parts).
PEAK_BF16_FLOPS = {"H200": 989e12, "H100": 989e12, "A100": 312e12, "L40S": 362e12}
PAD_ID, EOS_ID, FIRST_TOKEN = 0, 1, 2


@dataclass
class BenchConfig:
    hidden_size: int = 896
    num_layers: int = 24
    intermediate_size: int = 4864
    num_heads: int = 14
    num_kv_heads: int = 2
    vocab_size: int = 151936
    max_length: int = 1024
    min_length: int = 128  # examples are uniform in [min_length, max_length] tokens
    batch_size: int = 8
    steps: int = 30  # measured steps, after the warm-up ones
    warmup_steps: int = 5
    lora_r: int = 16
    activation_checkpointing: bool = True
    seed: int = 0


SMOKE = {
    "hidden_size": 64,
    "num_layers": 2,
    "intermediate_size": 128,
    "num_heads": 4,
    "num_kv_heads": 2,
    "vocab_size": 256,
    "max_length": 64,
    "min_length": 8,
    "batch_size": 2,
    "steps": 2,
    "warmup_steps": 1,
    "activation_checkpointing": False,
}
CASES = [("lora", False), ("lora", True), ("full", False), ("full", True)]


class _Timer(TrainerCallback):
    """Wall time and real tokens between the end of warm-up and the end of training."""

    def __init__(self, warmup_steps: int):
        self.warmup_steps = warmup_steps
        self.start = self.tokens0 = self.seconds = self.tokens = 0

    def _sync(self):
        if torch.cuda.is_available():
            torch.cuda.synchronize()

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.warmup_steps:
            self._sync()
            self.start, self.tokens0 = time.perf_counter(), state.num_input_tokens_seen

    def on_train_end(self, args, state, control, **kwargs):
        self._sync()
        self.seconds = time.perf_counter() - self.start
        self.tokens = state.num_input_tokens_seen - self.tokens0


def _tokenizer() -> PreTrainedTokenizerFast:
    # The data are token ids already; TRL only needs the pad and eos ids from a tokenizer.
    vocab = {"<pad>": PAD_ID, "<eos>": EOS_ID}
    return PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer(models.WordLevel(vocab, unk_token="<eos>")),
        pad_token="<pad>",
        eos_token="<eos>",
    )


def _dataset(cfg: BenchConfig, n: int) -> Dataset:
    rng = random.Random(cfg.seed)
    rows = [
        [
            rng.randrange(FIRST_TOKEN, cfg.vocab_size)
            for _ in range(rng.randint(cfg.min_length, cfg.max_length - 1))
        ]
        + [EOS_ID]
        for _ in range(n)
    ]
    return Dataset.from_dict({"input_ids": rows})


def _model(cfg: BenchConfig, dtype: torch.dtype, device: str) -> Qwen2ForCausalLM:
    config = Qwen2Config(
        vocab_size=cfg.vocab_size,
        hidden_size=cfg.hidden_size,
        intermediate_size=cfg.intermediate_size,
        num_hidden_layers=cfg.num_layers,
        num_attention_heads=cfg.num_heads,
        num_key_value_heads=cfg.num_kv_heads,
        max_position_embeddings=max(cfg.max_length, 2048),
        tie_word_embeddings=True,
        eos_token_id=EOS_ID,
        pad_token_id=PAD_ID,
    )
    torch.manual_seed(cfg.seed)
    with torch.device(device):
        return Qwen2ForCausalLM(config).to(dtype)


def flops_per_token(cfg: BenchConfig, n_params: int, mean_length: float) -> float:
    # 6N for the matmuls (the tied embedding counts once, as the LM head), plus causal attention.
    return 6 * n_params + 6 * cfg.num_layers * cfg.hidden_size * mean_length


def run_case(cfg: BenchConfig, method: str, packing: bool, use_cpu: bool) -> dict:
    on_gpu = not use_cpu
    bf16 = on_gpu and torch.cuda.is_bf16_supported()
    dtype = torch.bfloat16 if bf16 and method == "lora" else torch.float32
    model = _model(cfg, dtype, "cuda" if on_gpu else "cpu")
    n_params = sum(p.numel() for p in model.parameters())
    total_steps = cfg.warmup_steps + cfg.steps
    data = _dataset(cfg, total_steps * cfg.batch_size * 3)  # packing needs ~2 examples a row
    timer = _Timer(cfg.warmup_steps)
    with tempfile.TemporaryDirectory() as out:
        args = SFTConfig(
            output_dir=out,
            max_steps=total_steps,
            per_device_train_batch_size=cfg.batch_size,
            max_length=cfg.max_length,
            packing=packing,
            packing_strategy="bfd",
            learning_rate=LORA_LEARNING_RATE if method == "lora" else FULL_LEARNING_RATE,
            bf16=bf16,
            use_cpu=use_cpu,
            activation_checkpointing=cfg.activation_checkpointing,
            save_strategy="no",
            eval_strategy="no",
            report_to="none",
            logging_steps=10_000,
            disable_tqdm=True,
            include_num_input_tokens_seen="non_padding",
            dataloader_pin_memory=on_gpu,
            seed=cfg.seed,
        )
        peft = None
        if method == "lora":
            peft = LoraConfig(
                r=cfg.lora_r,
                lora_alpha=2 * cfg.lora_r,
                lora_dropout=0.05,
                target_modules="all-linear",
                task_type="CAUSAL_LM",
            )
        trainer = SFTTrainer(
            model=model,
            args=args,
            train_dataset=data,
            processing_class=_tokenizer(),
            peft_config=peft,
            callbacks=[timer],
        )
        trainer.remove_callback(PrinterCallback)  # the table at the end is the report
        trainable = sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)
        if on_gpu:
            torch.cuda.reset_peak_memory_stats()
        trainer.train()
    tokens_per_s = timer.tokens / timer.seconds if timer.seconds else 0.0
    mean_length = (cfg.min_length + cfg.max_length) / 2
    peak = _peak_flops(args.device) if on_gpu else None
    achieved = tokens_per_s * flops_per_token(cfg, n_params, mean_length)
    return {
        "method": method,
        "packing": packing,
        "params": n_params,
        "trainable_params": trainable,
        "steps_measured": cfg.steps,
        "seconds": round(timer.seconds, 3),
        "tokens": int(timer.tokens),
        "tokens_per_s": round(tokens_per_s, 1),
        "peak_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if on_gpu else None,
        "mfu": round(achieved / peak, 4) if peak else None,
    }


def _peak_flops(device: torch.device) -> float | None:
    name = torch.cuda.get_device_name(device)
    return next((v for k, v in PEAK_BF16_FLOPS.items() if k in name), None)


def render_table(results: list[dict]) -> str:
    lines = [
        "| method | packing | tokens/s | peak memory (GiB) | MFU |",
        "|---|---|---:|---:|---:|",
    ]
    for r in results:
        mfu = f"{100 * r['mfu']:.1f}%" if r["mfu"] is not None else "n/a"
        mem = r["peak_memory_gib"] if r["peak_memory_gib"] is not None else "n/a"
        lines.append(
            f"| {r['method']} | {'yes' if r['packing'] else 'no'} | "
            f"{r['tokens_per_s']:,.0f} | {mem} | {mfu} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes; runs on CPU")
    parser.add_argument("--steps", type=int, help="measured steps per case")
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--out", default="bench/gpu_train_results.json", help="JSON results")
    args = parser.parse_args(argv)
    cfg = replace(BenchConfig(), **SMOKE) if args.smoke else BenchConfig()
    if args.steps:
        cfg = replace(cfg, steps=args.steps)
    if args.batch_size:
        cfg = replace(cfg, batch_size=args.batch_size)
    use_cpu = not torch.cuda.is_available()
    if use_cpu and not args.smoke:
        parser.error("no CUDA GPU found; use --smoke for the CPU-sized run")
    device = "cpu" if use_cpu else torch.cuda.get_device_name(0)
    datasets.disable_progress_bars()
    results = [run_case(cfg, method, packing, use_cpu) for method, packing in CASES]
    report = {
        "device": device,
        "config": asdict(cfg),
        "torch": torch.__version__,
        "results": results,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"device: {device}\n{render_table(results)}\nresults: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
