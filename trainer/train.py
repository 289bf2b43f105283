"""`train(config)`: fine-tune a causal LM on mined pairs with TRL's SFTTrainer.

Runs unchanged in one process or under `accelerate launch` / `torchrun`: every process loads
the data and the model, only the main process writes the summary, model card and merged
weights, and every process waits for it before returning.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import datasets
import torch
from peft import LoraConfig
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    EarlyStoppingCallback,
    PreTrainedTokenizerBase,
    ProgressCallback,
)
from transformers.trainer_utils import get_last_checkpoint
from trl import SFTConfig, SFTTrainer

from trainer.config import ConfigError, TrainConfig, check_required, model_path_problem
from trainer.data import check_template, load_pairs, pairs_file, prepare_splits
from trainer.summary import build_summary, render_screen, write_model_card, write_summary

LORA_LEARNING_RATE = 2e-4
FULL_LEARNING_RATE = 2e-5


class _BarProgress(ProgressCallback):
    """The stock progress bar, with the latest losses on the bar instead of a line per log."""

    def __init__(self):
        super().__init__()
        self.shown: dict[str, str] = {}

    def on_log(self, args, state, control, logs=None, **kwargs):
        if state.is_world_process_zero and self.training_bar is not None and logs:
            self.shown.update(
                {k: f"{v:.4g}" for k, v in logs.items() if k in ("loss", "eval_loss")}
            )
            self.training_bar.set_postfix(self.shown, refresh=False)


def _gpu() -> bool:
    return torch.cuda.is_available()


def _resolve(config: TrainConfig) -> dict[str, Any]:
    """Settings whose default depends on the method or the hardware, made explicit."""
    on_gpu = _gpu() and not config.use_cpu
    bf16 = config.bf16 if config.bf16 is not None else on_gpu and torch.cuda.is_bf16_supported()
    lr = config.learning_rate
    if lr is None:
        lr = FULL_LEARNING_RATE if config.full else LORA_LEARNING_RATE
    checkpointing = config.activation_checkpointing
    return {
        "learning_rate": lr,
        "bf16": bool(bf16),
        "activation_checkpointing": on_gpu if checkpointing is None else checkpointing,
    }


def _check_model_path(model: str) -> None:
    problem = model_path_problem(model)
    if problem == "not-saved":
        raise ConfigError(f"model {model}: directory has no config.json (not a saved model)")
    if problem == "missing":
        raise ConfigError(f"model path does not exist: {model}")


def _load_tokenizer(model: str) -> PreTrainedTokenizerBase:
    try:
        tokenizer = AutoTokenizer.from_pretrained(model)
    except OSError as exc:
        reason = str(exc).strip().splitlines()[0]
        raise ConfigError(f"model {model}: cannot load its tokenizer: {reason}") from None
    if tokenizer.eos_token is None:
        raise ConfigError(f"model {model}: tokenizer has no eos_token; the model could not stop")
    return tokenizer


def _sft_config(config: TrainConfig, resolved: dict[str, Any], has_eval: bool) -> SFTConfig:
    every = "steps" if config.eval_steps else "epoch"
    return SFTConfig(
        output_dir=config.output_dir,
        num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        learning_rate=resolved["learning_rate"],
        lr_scheduler_type=config.lr_scheduler_type,
        warmup_steps=config.warmup_steps,
        weight_decay=config.weight_decay,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size,
        gradient_accumulation_steps=config.gradient_accumulation_steps,
        max_length=config.max_length,
        packing=config.packing,
        packing_strategy="bfd",
        completion_only_loss=True,
        eval_strategy=every if has_eval else "no",
        eval_steps=config.eval_steps,
        save_strategy=every,
        save_steps=config.eval_steps or 500,
        save_total_limit=config.save_total_limit,
        # The best checkpoint is tracked (and kept on disk) whenever there is an evaluation.
        load_best_model_at_end=has_eval and config.load_best,
        metric_for_best_model="eval_loss" if has_eval else None,
        logging_steps=config.logging_steps,
        bf16=resolved["bf16"],
        activation_checkpointing=resolved["activation_checkpointing"],
        use_cpu=config.use_cpu,
        seed=config.seed,
        data_seed=config.seed,
        report_to="none",
        disable_tqdm=False,
        ddp_find_unused_parameters=False,
        dataloader_pin_memory=_gpu() and not config.use_cpu,
    )


def _lora_config(config: TrainConfig) -> LoraConfig:
    targets = config.lora_target_modules
    return LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=targets if targets == "all-linear" else targets.split(","),
        task_type="CAUSAL_LM",
    )


def _merge(output_dir: Path, tokenizer: PreTrainedTokenizerBase) -> Path:
    """Base + saved adapter → plain weights in output_dir/merged, loaded fresh on CPU."""
    from peft import AutoPeftModelForCausalLM

    merged_dir = output_dir / "merged"
    model = AutoPeftModelForCausalLM.from_pretrained(output_dir, dtype=torch.float32)
    model.merge_and_unload().save_pretrained(merged_dir)
    tokenizer.save_pretrained(merged_dir)
    return merged_dir


def train(config: TrainConfig) -> Path:
    """Train as `config` says; returns the output directory (adapter or model + tokenizer)."""
    started = time.perf_counter()
    check_required(config)
    try:
        check_template(config.prompt_template)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    output_dir = Path(config.output_dir)
    if config.resume and not (output_dir.is_dir() and get_last_checkpoint(str(output_dir))):
        raise ConfigError(f"--resume: no checkpoint-* directory in {output_dir}")
    _check_model_path(config.model)
    tokenizer = _load_tokenizer(config.model)

    bars = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()  # the training bar is the one that matters
    try:
        splits = prepare_splits(
            load_pairs(config.data), tokenizer, config.prompt_template, config.max_length
        )
        trainer, resolved = _build_trainer(config, splits, tokenizer)
        trainer.train(resume_from_checkpoint=True if config.resume else None)
        trainer.save_model(str(output_dir))  # collective under FSDP/DeepSpeed: every rank calls it
    finally:
        if bars:
            datasets.enable_progress_bars()

    if trainer.accelerator.is_main_process:
        merged = _merge(output_dir, tokenizer) if config.merge and not config.full else None
        summary = build_summary(
            config,
            resolved,
            splits,
            pairs_file(config.data),
            trainer.state,
            time.perf_counter() - started,
            merged,
        )
        write_summary(summary, output_dir)
        write_model_card(summary, output_dir)
        print(render_screen(summary), flush=True)
    trainer.accelerator.wait_for_everyone()
    return output_dir


def _build_trainer(
    config: TrainConfig, splits, tokenizer: PreTrainedTokenizerBase
) -> tuple[SFTTrainer, dict[str, Any]]:
    if len(splits.train) == 0:
        raise ConfigError(
            f"{pairs_file(config.data)}: no train pairs left ({splits.read['train']} read, "
            f"{splits.dropped['train']} longer than max_length={config.max_length})"
        )
    has_eval = len(splits.validation) > 0
    resolved = _resolve(config)
    args = _sft_config(config, resolved, has_eval)
    resolved["world_size"] = args.world_size
    if not has_eval and args.process_index == 0:
        print(
            f"warning: {pairs_file(config.data)} has no validation pairs: no evaluation, "
            "no best-checkpoint selection, no early stopping",
            flush=True,
        )
    # LoRA keeps the frozen base in bf16 where bf16 runs; full fine-tunes need fp32 master weights.
    dtype = torch.bfloat16 if resolved["bf16"] and not config.full else torch.float32
    model = AutoModelForCausalLM.from_pretrained(config.model, dtype=dtype)
    callbacks = []
    if has_eval and config.early_stopping_patience:
        callbacks.append(EarlyStoppingCallback(config.early_stopping_patience))
    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=splits.train,
        eval_dataset=splits.validation if has_eval else None,
        processing_class=tokenizer,
        peft_config=None if config.full else _lora_config(config),
        callbacks=callbacks,
    )
    if trainer.pop_callback(ProgressCallback) is not None:
        trainer.add_callback(_BarProgress)
    return trainer, resolved
