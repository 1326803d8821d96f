import numpy as np
import pytest

from lightning_seq.data.modules.ts_classification import TimeSeriesClassificationDataModule
from lightning_seq.data.synthetic.shapes import SHAPE_CLASSES, generate_shapes


def write_ts(path, cases):
    lines = ["@problemName t", "@univariate true", "@classLabel true a b", "@data"]
    lines += [",".join(str(v) for v in values) + f":{label}" for values, label in cases]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_sizes_and_normalisation_come_from_the_training_cases(tmp_path):
    train = write_ts(tmp_path / "train.ts", [([1, 2, 3], "a"), ([3, 4, 5, 6], "b")] * 10)
    test = write_ts(tmp_path / "test.ts", [([100, 200], "a")])
    data = TimeSeriesClassificationDataModule(train, test_path=test, val_fraction=0.2)
    assert (data.feature_size, data.num_classes, data.label_names) == (1, 2, ["a", "b"])
    values = np.array([1, 2, 3] * 10 + [3, 4, 5, 6] * 10, dtype=float)
    kept = np.concatenate([c.values[:, 0] for c in data.records["train"]])
    assert data.mean[0] == pytest.approx(kept.mean()) and data.std[0] == pytest.approx(kept.std())
    assert len(kept) < len(values)  # validation cases do not count
    data.setup("test")
    inputs, target, _ = data.dataset("test")[0]
    np.testing.assert_allclose(inputs[:, 0].numpy(), (np.array([100, 200]) - data.mean[0]) / data.std[0], rtol=1e-5)
    assert target == 0


def test_missing_values_are_refused_or_carried_forward(tmp_path):
    train = tmp_path / "train.ts"
    train.write_text("@classLabel true a b\n@data\n" + "1,?,3:a\n2,3,4:b\n" * 5, encoding="utf-8")
    with pytest.raises(ValueError, match=r"train.ts:\d+: channel 0 is missing at step 2 \(1 missing values\)"):
        TimeSeriesClassificationDataModule(str(train))
    data = TimeSeriesClassificationDataModule(str(train), normalise="none", missing="ffill")
    data.setup("fit")
    firsts = [data.scaled(c)[:, 0].tolist() for c in data.records["train"] if c.label == "a"]
    assert firsts[0] == [1.0, 1.0, 3.0]


def test_a_test_class_training_never_saw_is_refused(tmp_path):
    train = write_ts(tmp_path / "train.ts", [([1, 2], "a"), ([3, 4], "b")] * 5)
    test = tmp_path / "test.ts"
    test.write_text("@data\n1,2:c\n", encoding="utf-8")
    data = TimeSeriesClassificationDataModule(train, test_path=str(test))
    with pytest.raises(ValueError, match=r"test: classes not in training: \['c'\]"):
        data.setup("test")


def test_the_embedded_shapes_are_balanced_and_their_class_is_not_in_the_level():
    cases = generate_shapes(1000, 0)
    labels = [label for _, label in cases]
    assert {labels.count(c) for c in SHAPE_CLASSES} == {200} and {len(v) for v, _ in cases} <= set(range(64, 129))
    # a nearest-centroid classifier on each case's level and spread is near chance (0.2 for five classes)
    features = np.array([[v[:, 0].mean(), v[:, 0].std()] for v, _ in cases])
    ids = np.array([SHAPE_CLASSES.index(label) for label in labels])
    centroids = np.stack([features[:500][ids[:500] == k].mean(axis=0) for k in range(5)])
    guess = np.argmin(((features[500:, None] - centroids) ** 2).sum(axis=2), axis=1)
    assert (guess == ids[500:]).mean() < 0.35
    data = TimeSeriesClassificationDataModule(generated_size=200)
    assert data.feature_size == 2 and data.label_names == sorted(SHAPE_CLASSES)
    assert [len(data.records[s]) for s in ("train", "val", "test")] == [200, 50, 50]
