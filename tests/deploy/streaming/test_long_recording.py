"""The long-recording check at small size: the streaming keyword recipe, trained briefly, finds keywords in time.

The full recipe's figures (README: precision 1.000, recall 0.909 on five minutes) are checked by the slow
``test_streaming_keyword_recipe_finds_readme_events_in_long_recordings``; here 800 clips and 10 epochs (~30 s) must
already find most keywords of two generated minutes within 200 ms, with few false alarms.
"""

from pathlib import Path

import torch

from lightning_seq.cli import run
from lightning_seq.data.synthetic.keyword_stream import BACKGROUND, generate_long_recording
from lightning_seq.deploy.streaming import ClassifierStreamer, KeywordDetector
from lightning_seq.deploy.streaming.event_scores import score_events
from lightning_seq.deploy.streaming.spotting import spot_keywords
from lightning_seq.tasks.loading import load_task

RECIPE = Path(__file__).resolve().parents[3] / "recipes" / "audio_keywords_stream_gru.yaml"


def test_a_briefly_trained_streaming_spotter_finds_keywords_in_unseen_minutes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run(["fit", "--config", str(RECIPE), "--data.init_args.generated_size=800", "--trainer.max_epochs=10",
         "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"])
    task = load_task("runs/audio_keywords_stream_gru/checkpoints/best.ckpt")
    hits = events = keywords = 0
    for seed in (1, 2):
        wave, words = generate_long_recording(60.0, seed)
        # a weaker model than the recipe's: a lower bar than the command's defaults (0.9, 0.2 s)
        rate = task.features.sample_rate
        detector = KeywordDetector(task.label_names, BACKGROUND, hop_seconds=task.features.hop_length / rate,
                                   frame_seconds=task.features.frame_length / rate, threshold=0.7, min_duration=0.1)
        with torch.no_grad():
            found = list(spot_keywords(ClassifierStreamer(task), detector, 0.9 * wave / wave.abs().max(), 800))
        scores = score_events(found, words)
        hits, events, keywords = hits + scores.hits, events + scores.detections, keywords + scores.keywords
    # measured: 19 hits of 29 events, 24 keywords (precision 0.66, recall 0.79); chance is near 0 for both
    assert keywords == 24 and hits / events >= 0.45 and hits / keywords >= 0.6, (hits, events, keywords)
