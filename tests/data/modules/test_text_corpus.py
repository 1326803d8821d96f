import logging
import math
import re

import pytest
import torch

from lightning_seq.data import CharTokenizer, TextCorpusDataModule, WordTokenizer
from lightning_seq.data.datasets.streams import StreamWindows, arrange_streams
from lightning_seq.data.text.unigram import unigram_perplexity
from lightning_seq.data.text.vocab import EOS_ID


def test_each_rank_reads_its_own_contiguous_streams():
    tokens = torch.arange(103)
    world, streams = 3, 2
    per_rank = [arrange_streams(tokens, streams, rank, world) for rank in range(world)]
    assert all(p.shape == (2, 17) for p in per_rank)
    # rows are contiguous pieces; rank r holds pieces 2r and 2r+1; together they cover the text once, in order
    assert torch.equal(torch.cat([p.reshape(-1) for p in per_rank]), tokens[:102])
    for rank, rows in enumerate(per_rank):
        for row in range(streams):
            start = (rank * streams + row) * 17
            assert torch.equal(rows[row], torch.arange(start, start + 17))
    with pytest.raises(ValueError, match=r"rank must lie in \[0, world_size=3\), got 3"):
        arrange_streams(tokens, 2, 3, 3)


def test_windows_continue_each_row_and_shift_targets():
    streams = torch.arange(2 * 23).view(2, 23)
    windows = list(StreamWindows(streams, 10))
    assert len(windows) == len(StreamWindows(streams, 10)) == 3
    assert [w.inputs.size(1) for w in windows] == [10, 10, 2]
    assert torch.equal(torch.cat([w.inputs for w in windows], 1), streams[:, :-1])
    assert torch.equal(torch.cat([w.targets for w in windows], 1), streams[:, 1:])


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_files_become_one_stream_per_split_with_eos_per_line(tmp_path):
    train = write(tmp_path / "train.txt", "ab ba\n\nabc\n")
    val = write(tmp_path / "val.txt", "cab\n")
    data = TextCorpusDataModule(train_path=train, val_path=val, batch_size=1, sequence_length=3)
    assert data.vocabulary[4:] == ["a", "b", " ", "c"]  # by count, ties alphabetical
    assert data.token_ids("train").tolist() == [4, 5, 6, 5, 4, EOS_ID, 4, 5, 7, EOS_ID]
    data.setup("fit")
    batches = list(data.train_dataloader())
    assert [b.inputs.tolist() for b in batches] == [[[4, 5, 6]], [[5, 4, EOS_ID]], [[4, 5, 7]]]
    assert batches[0].targets.tolist() == [[5, 6, 5]]


def test_word_tokens_and_a_validation_tail(tmp_path):
    train = write(tmp_path / "train.txt", "".join(f"line {i} .\n" for i in range(10)))
    data = TextCorpusDataModule(train_path=train, tokenizer=WordTokenizer(), val_fraction=0.2, batch_size=1)
    assert [text for text, _ in data.records["val"]] == ["line 8 .", "line 9 ."]  # the end of the text, in order
    assert "8" not in data.vocabulary and "7" in data.vocabulary


def test_unigram_perplexity_matches_a_hand_computation():
    train, evaluated = torch.tensor([4, 4, 4, 5]), torch.tensor([4, 5])
    # add-one counts over 6 ids: id4 -> 4, id5 -> 2, others 1; total 10
    expected = math.exp(-(math.log(0.4) + math.log(0.2)) / 2)
    assert unigram_perplexity(train, evaluated, 6) == pytest.approx(expected)


def test_embedded_corpus_and_default_prompts():
    data = TextCorpusDataModule(generated_size=200, prompt_length=4, num_prompts=3, batch_size=4)
    assert isinstance(data.tokenizer, CharTokenizer)
    assert data.unigram_perplexity("val") > 10.0
    data.setup("predict")
    prompts = data.datasets["predict"]
    assert len(prompts) == 3 and all(p[0] == EOS_ID and len(p) == 5 for p in prompts.sequences)
    assert data.prediction_ids() == ["<generated test>:1", "<generated test>:2", "<generated test>:3"]


def test_unknown_prompt_tokens_become_unk_with_a_count(tmp_path, caplog):
    train = write(tmp_path / "train.txt", "abc abc\n" * 5)
    prompts = write(tmp_path / "prompts.txt", "abz\nyy\n")
    data = TextCorpusDataModule(train_path=train, predict_path=prompts, batch_size=1)
    with caplog.at_level(logging.WARNING):
        data.setup("predict")
    assert "predict: 3 prompt tokens not in the vocabulary were mapped to <unk>" in caplog.text
    assert data.prediction_ids() == [f"{prompts}:1", f"{prompts}:2"]


def test_empty_short_and_broken_corpora_are_errors_with_sizes(tmp_path):
    empty = write(tmp_path / "empty.txt", "\n  \n")
    with pytest.raises(ValueError, match=r"the training corpus .*empty.txt is empty \(0 tokens\)"):
        TextCorpusDataModule(train_path=empty, val_path=empty)
    short = write(tmp_path / "short.txt", "abc\n")
    data = TextCorpusDataModule(train_path=short, val_path=short, batch_size=4)
    with pytest.raises(ValueError, match=r"the train corpus has 4 tokens: too few for 4 streams x 1 ranks"):
        data.setup("fit")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"fine\n\xff\xfe broken\n")
    with pytest.raises(ValueError, match=r"bad.txt:2: not valid UTF-8"):
        TextCorpusDataModule(train_path=str(bad))
    with pytest.raises(ValueError, match="sequence_length must be >= 1, got 0"):
        TextCorpusDataModule(sequence_length=0)


def test_the_package_texts_corpus_is_the_stream_of_its_written_files(tmp_path):
    from lightning_seq.data.readers.package_texts import write_package_text_splits

    embedded = TextCorpusDataModule(generated_corpus="package_texts", batch_size=4)
    paths = write_package_text_splits(tmp_path)
    files = TextCorpusDataModule(train_path=str(paths["train"]), val_path=str(paths["val"]),
                                 test_path=str(paths["test"]), batch_size=4)
    assert embedded.vocabulary == files.vocabulary
    for split in ("train", "val", "test"):
        assert torch.equal(embedded.token_ids(split), files.token_ids(split))
    assert embedded.records["val"][0][1] == "<package texts val>:1"
    assert embedded.tokens_per_stream("train") * 4 > 800_000  # real text of some size
    with pytest.raises(ValueError, match=re.escape(
            "generated_corpus must be one of ['grammar', 'package_texts', 'docstring_topics'], got 'tweets'")):
        TextCorpusDataModule(generated_corpus="tweets")


def test_the_docstring_corpus_is_the_yardsticks_texts_after_the_other_modules_and_never_its_held_out_ones():
    from lightning_seq.data.readers.docstring_topics import docstring_topic_splits, unlabelled_docstring_texts

    corpus = TextCorpusDataModule(generated_corpus="docstring_topics", batch_size=4)
    splits = docstring_topic_splits()
    train = [text for text, _ in corpus.records["train"]]
    others = list(unlabelled_docstring_texts())
    assert train == others + [row.text for row in splits["train"]]
    for split in ("val", "test"):
        assert corpus.records[split] == [(row.text, row.where) for row in splits[split]]
    held_out = {row.text for split in ("val", "test") for row in splits[split]}
    assert not held_out & set(train) and len(others) > 1000
