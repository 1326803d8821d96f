import torch

from lightning_seq.data import SentimentDataModule
from lightning_seq.data.synthetic_sentiment import generate_sentiment_corpus


def bag_of_words(dm, split):
    data = dm.dataset(split)
    counts = torch.zeros(len(data), dm.vocab_size)
    for row, seq in enumerate(data.sequences):
        counts[row].index_add_(0, seq, torch.ones(len(seq)))
    return counts, torch.tensor(data.targets)


def test_corpus_is_balanced_and_reproducible():
    corpus = generate_sentiment_corpus(100, seed=4)
    assert corpus == generate_sentiment_corpus(100, seed=4)
    assert corpus != generate_sentiment_corpus(100, seed=5)
    assert sum(label == "positive" for _, label in corpus) == 50


def test_bag_of_words_stays_near_chance():
    torch.manual_seed(0)
    dm = SentimentDataModule(generated_size=3000, seed=0)
    dm.setup("fit")
    dm.setup("test")
    x, y = bag_of_words(dm, "train")
    x_test, y_test = bag_of_words(dm, "test")
    model = torch.nn.Linear(dm.vocab_size, 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(200):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    test_acc = (model(x_test).argmax(1) == y_test).float().mean().item()
    assert test_acc < 0.62, test_acc
