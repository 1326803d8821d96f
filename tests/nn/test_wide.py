"""The wide path is scikit-learn's tf-idf logistic regression: the same features, the same optimum, the same answers."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from lightning_seq.data.readers.docstring_topics import docstring_topic_splits
from lightning_seq.nn import WideNgrams
from lightning_seq.nn.wide import C_GRID


@pytest.fixture(scope="module")
def topics():
    """A slice of the real yardstick (a third of train; all of val and test) as (texts, class ids)."""
    splits = docstring_topic_splits()
    names = sorted({row.label for row in splits["train"]})
    take = {"train": splits["train"][::3], "val": splits["val"], "test": splits["test"]}
    return {k: ([r.text for r in v], torch.tensor([names.index(r.label) for r in v])) for k, v in take.items()}


def as_matrix(wide: WideNgrams, texts) -> sp.csr_matrix:
    """The path's own tf-idf features of ``texts`` as a SciPy matrix (rows x buckets)."""
    rows = wide.sparse_rows(texts)
    values = wide.tfidf(rows, len(texts)).numpy()
    row_of = (rows.blocks // wide.ngrams.num_blocks).numpy()
    return sp.csr_matrix((values, (row_of, rows.buckets.numpy())), shape=(len(texts), wide.idf.numel()))


def bucket_analyzer(wide: WideNgrams, block: int):
    """A scikit-learn analyzer emitting each bucket of one block as often as it occurs."""
    return lambda text: [str(b) for b, n in wide.ngrams(text)[block].items() for _ in range(n)]


def test_tfidf_equals_scikit_learn_per_block(topics):
    texts = topics["train"][0][:300]
    wide = WideNgrams(2, num_buckets=2**22)  # few collisions between the blocks
    wide.fit_idf(texts)
    ours = as_matrix(wide, texts)
    blocks, columns_of = [], []
    for block in range(2):  # words, then characters: each scaled to unit length as a union of two vectorizers
        vectorizer = TfidfVectorizer(analyzer=bucket_analyzer(wide, block), sublinear_tf=True).fit(texts)
        columns = np.array([int(name) for name in vectorizer.get_feature_names_out()])
        expected = vectorizer.transform(texts).tocoo()
        columns_of.append(set(columns.tolist()))
        blocks.append(sp.csr_matrix((expected.data, (expected.row, columns[expected.col])), shape=ours.shape))
    # a bucket both blocks use counts its documents once for both: compare the rows that use none of those few
    shared = sorted(columns_of[0] & columns_of[1])
    clean = np.flatnonzero(np.asarray(ours[:, shared].sum(axis=1)).ravel() == 0) if shared else np.arange(len(texts))
    assert len(shared) < 20 and len(clean) > 0.6 * len(texts)
    assert abs(ours[clean] - (blocks[0] + blocks[1])[clean]).max() < 1e-5


def test_the_prefit_is_scikit_learns_optimum_on_the_same_features(topics):
    wide = WideNgrams(17, num_buckets=2**16, l2=1.0 / (10.0 * len(topics["train"][0])))
    assert wide.prefit(topics["train"]) == {}  # l2 given: nothing chosen
    reference = LogisticRegression(C=10.0, max_iter=5000, tol=1e-8)
    reference.fit(as_matrix(wide, topics["train"][0]), topics["train"][1].numpy())
    test_x = as_matrix(wide, topics["test"][0])
    with torch.no_grad():
        ours = wide(topics["test"][0]).argmax(-1).numpy()
    theirs = reference.predict(test_x)
    accuracy = (ours == topics["test"][1].numpy()).mean()
    assert abs(accuracy - reference.score(test_x, topics["test"][1].numpy())) <= 0.005
    assert (ours == theirs).mean() >= 0.99
    coefficients = wide.weight.weight.detach().numpy().T  # (C, buckets)
    centred = coefficients - coefficients.mean(0)  # multinomial weights are defined up to a shift per column
    theirs_centred = reference.coef_ - reference.coef_.mean(0)
    assert np.abs(centred - theirs_centred).max() < 0.02 * np.abs(theirs_centred).max()


def test_l2_is_chosen_on_validation_as_scikit_learn_would(topics):
    wide = WideNgrams(17, num_buckets=2**16, prefit_iterations=150)
    scores = wide.prefit(topics["train"], topics["val"])
    assert sorted(scores) == sorted(1.0 / (c * len(topics["train"][0])) for c in C_GRID)
    chosen = min(scores, key=lambda l2: abs(l2 - wide.l2.item()))
    assert wide.l2.item() == pytest.approx(chosen) and scores[chosen] == max(scores.values())
    assert bool(wide.fitted)


def test_the_penalty_is_half_l2_times_the_squared_weights():
    wide = WideNgrams(3, num_buckets=64, l2=0.5)
    with torch.no_grad():
        wide.weight.weight.fill_(2.0)
        wide.bias.fill_(7.0)  # not penalised
    assert wide.penalty().item() == pytest.approx(0.5 * 0.5 * 64 * 3 * 4.0)


def test_rows_without_any_ngram_score_the_bias_alone():
    wide = WideNgrams(3, num_buckets=64, l2=1.0)
    with torch.no_grad():
        wide.bias.copy_(torch.tensor([1.0, 2.0, 3.0]))
        wide.weight.weight.fill_(5.0)
    logits = wide(["...", "a cat"])
    assert torch.equal(logits[0], torch.tensor([1.0, 2.0, 3.0]))
    assert not torch.equal(logits[1], logits[0])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_classes": 1}, "num_classes must be >= 2, got 1"),
        ({"l2": 0.0}, r"l2 must be a positive number \(None: chosen on validation\), got 0.0"),
        ({"l2": float("nan")}, "l2 must be a positive number"),
        ({"lr_scale": -1.0}, "lr_scale must be >= 0, got -1.0"),
        ({"prefit_iterations": 0}, "prefit_iterations must be >= 1, got 0"),
    ],
)
def test_bad_settings_are_refused_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        WideNgrams(**{"num_classes": 3, **kwargs})


def test_choosing_l2_needs_validation_data():
    with pytest.raises(ValueError, match="chooses its l2 on validation data: give a validation split, or l2"):
        WideNgrams(3, num_buckets=64).prefit((["a b c"], torch.tensor([0])))
