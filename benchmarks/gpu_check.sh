#!/usr/bin/env bash
# GPU check (under 5 minutes on one GPU): benchmarks 1-4 at GPU sizes, fp32 and bf16 autocast as two columns,
# then the sentiment recipe for a few steps on one device in bf16 and the CTC recipe in fp16. Prints JSON and the table; writes both to
# ${OUT:-.}/gpu_check.json and gpu_check.md (the recipes' logs beside them, their runs under runs/ as usual; a
# logger override would move only the last of each recipe's two loggers). Run from the repository root with the
# project installed:
#   bash benchmarks/gpu_check.sh
set -euo pipefail
out="${OUT:-.}"
mkdir -p "$out"
python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'no CUDA device: this check needs a GPU')"
python benchmarks/run.py --device cuda --size gpu --precisions fp32,bf16 \
  --only lightning_overhead,length_handling,fused_vs_loop,seq2seq_decoding \
  --out "$out/gpu_check.json" --markdown | tee "$out/gpu_check.md"
start=$(date +%s)
lightning-seq fit --config recipes/sentiment_bilstm.yaml --trainer.accelerator=gpu --trainer.devices=1 \
  --trainer.precision=bf16-mixed --trainer.max_steps=30 --trainer.val_check_interval=10 --trainer.limit_val_batches=5 \
  --trainer.enable_progress_bar=false > "$out/recipe.log" 2>&1
echo "{\"recipe\": \"sentiment_bilstm\", \"precision\": \"bf16-mixed\", \"steps\": 30, \"seconds\": $(( $(date +%s) - start ))}" \
  | tee -a "$out/gpu_check.md"
# fp16 (16-mixed, with a gradient scaler) only exists on a GPU: the CTC recipe, whose loss must stay in fp32
start=$(date +%s)
lightning-seq fit --config recipes/audio_ctc_bilstm.yaml --trainer.accelerator=gpu --trainer.devices=1 \
  --trainer.precision=16-mixed --trainer.max_steps=20 --trainer.val_check_interval=10 --trainer.limit_val_batches=3 \
  --trainer.enable_progress_bar=false > "$out/recipe_fp16.log" 2>&1
echo "{\"recipe\": \"audio_ctc_bilstm\", \"precision\": \"16-mixed\", \"steps\": 20, \"seconds\": $(( $(date +%s) - start ))}" \
  | tee -a "$out/gpu_check.md"
