import numpy as np
import pytest

from lightning_seq.baselines.random_kernels import RandomKernelClassifier, RandomKernelFeatures
from lightning_seq.data.synthetic.shapes import SHAPE_CLASSES, generate_shapes


def test_features_are_two_per_kernel_ppv_within_0_1_and_the_same_for_a_seed():
    cases = [np.random.default_rng(i).normal(size=(40 + i, 2)) for i in range(6)]
    features = RandomKernelFeatures(num_kernels=20, seed=3).fit(cases).transform(cases)
    assert features.shape == (6, 40) and ((features[:, ::2] >= 0) & (features[:, ::2] <= 1)).all()
    again = RandomKernelFeatures(num_kernels=20, seed=3).fit(cases).transform(cases)
    np.testing.assert_array_equal(features, again)
    # padding is not read: a case's features do not depend on the longest case in its batch
    alone = RandomKernelFeatures(num_kernels=20, seed=3).fit(cases).transform(cases[:1])
    np.testing.assert_allclose(alone[0], features[0])


def test_the_classifier_reads_shape_and_timing():
    cases = generate_shapes(700, 1)
    ids = [SHAPE_CLASSES.index(label) for _, label in cases]
    values = [(v - v.mean(axis=0)) / v.std(axis=0) for v, _ in cases]
    model = RandomKernelClassifier(num_kernels=200).fit(values[:500], ids[:500], values[500:600], ids[500:600], 5)
    assert (model.predict(values[600:]) == np.array(ids[600:])).mean() > 0.8
    with pytest.raises(RuntimeError, match="fit the kernels first"):
        RandomKernelFeatures().transform(values[:1])
