import numpy as np
import pytest
import torch
from PIL import Image

from lightning_seq.plots import (
    render_attention,
    render_confusion_matrix,
    render_contact_sheet,
    render_learning_curves,
)
from lightning_seq.plots.contact_sheet import _marked
from tests.plots.pictures import pixels, texts


def counts(classes: int, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, 4, (classes, classes), generator=generator) + 20 * torch.eye(classes, dtype=torch.long)


@pytest.mark.parametrize("classes", [2, 3, 5, 10, 13, 20, 35, 41, 60])
def test_confusion_matrix_names_every_class_on_both_axes_and_grows_with_the_classes(classes):
    names = [f"class name {i}" for i in range(classes)]
    figure = render_confusion_matrix(counts(classes), names)
    axes, bar = figure.axes
    assert [t.get_text() for t in axes.get_xticklabels()] == names
    assert [t.get_text() for t in axes.get_yticklabels()] == names
    assert all(t.get_rotation() == 45 for t in axes.get_xticklabels())  # long names never run into each other
    assert bar.get_ylabel() == "share of the true class"
    cells = [t.get_text() for t in axes.texts]
    assert cells == ([str(int(v)) for v in counts(classes).flatten()] if classes <= 40 else [])
    width, height = figure.get_size_inches()
    assert height >= 0.25 * classes + 2 and width > height  # room for every cell, the names and the colour bar
    if classes > 2:
        assert height > render_confusion_matrix(counts(classes - 1), names[:-1]).get_size_inches()[1]


def test_confusion_matrix_title_counts_and_accuracy_and_bad_shapes_are_refused():
    figure = render_confusion_matrix(torch.tensor([[5, 1], [0, 4]]), ["negative", "positive"])
    assert figure.axes[0].get_title() == "confusion matrix (10 samples, accuracy 0.900)"
    drawn = pixels(figure)
    assert (drawn < 250).any(axis=-1).mean() > 0.05  # not blank
    with pytest.raises(ValueError, match=r"need a square matrix and one name per class, got \(2, 3\) and 2"):
        render_confusion_matrix(torch.zeros(2, 3), ["a", "b"])
    with pytest.raises(ValueError, match=r"need a square matrix and one name per class, got \(2, 2\) and 3"):
        render_confusion_matrix(torch.zeros(2, 2), ["a", "b", "c"])


@pytest.mark.parametrize(("steps", "width"), [(1, 1), (3, 8), (12, 5), (30, 40)])
def test_attention_map_labels_both_token_axes_and_grows_with_the_tokens(steps, width):
    weights = torch.softmax(torch.randn(steps, width, generator=torch.Generator().manual_seed(0)), dim=-1)
    source, target = [f"s{j}" for j in range(width)], [f"t{i}" for i in range(steps)]
    figure = render_attention(weights, source, target)
    axes, bar = figure.axes
    assert [t.get_text() for t in axes.get_xticklabels()] == source
    assert [t.get_text() for t in axes.get_yticklabels()] == target
    assert bar.get_ylabel() == "attention weight"
    assert np.allclose(axes.images[0].get_array(), weights.numpy())
    width_in, height_in = figure.get_size_inches()
    assert width_in >= 0.3 * width and height_in >= 0.3 * steps
    with pytest.raises(ValueError, match=rf"weights \({steps}, {width}\) need {steps} target and {width} source"):
        render_attention(weights, source + ["extra"], target)


def test_learning_curves_use_log_axes_for_losses_and_keep_legends_off_the_data():
    losses = {"train/loss_epoch": [5 * 0.2**e for e in range(8)], "val/loss": [None, *[6 * 0.2**e for e in range(7)]]}
    accuracy = [0.5 + 0.05 * e for e in range(8)]
    figure = render_learning_curves(losses, "val/acc", accuracy, 6, metric_log_scale=False)
    loss_axes, metric_axes = figure.axes
    assert loss_axes.get_yscale() == "log" and metric_axes.get_yscale() == "linear"
    assert [line.get_label() for line in loss_axes.get_lines()] == ["train/loss_epoch", "val/loss", "best epoch (7)"]
    assert list(loss_axes.get_lines()[1].get_xdata()) == list(range(2, 9))  # the missing first value is a gap
    assert loss_axes.get_lines()[2].get_xdata()[0] == 7  # epochs count from 1 on the axis
    figure.canvas.draw()
    for axes in (loss_axes, metric_axes):
        legend, plot = axes.get_legend().get_window_extent(), axes.get_window_extent()
        assert legend.y1 <= plot.y0  # below the axes, never over a curve
        ticks = [t for t in axes.get_xticks() if 1 <= t <= 8]
        assert ticks and all(float(t).is_integer() for t in ticks) and axes.get_yticklabels()
    assert {"losses", "val/acc", "epoch", "loss"} <= set(texts(figure))
    error = render_learning_curves(losses, "val/cer", [0.9 * 0.5**e for e in range(8)], 7, metric_log_scale=True)
    assert error.axes[1].get_yscale() == "log"
    narrow = render_learning_curves({"val/loss": [2.3086, 2.3043, 2.305]}, "val/acc", [0.1, 0.2, 0.1], 1, False)
    labels = [t for t in texts(narrow) if t[:1].isdigit()]
    assert "2.305" in labels and not any("10^" in t or "times" in t for t in texts(narrow))  # plain numbers
    negative = render_learning_curves(losses, "val/score", [-1.0, 0.5], 1, metric_log_scale=True)
    assert negative.axes[1].get_yscale() == "linear"  # a log axis needs positive values


def test_contact_sheet_marks_wrong_characters_in_red_and_counts_missing_ones():
    assert _marked("hello", "hallo") == [("h", False), ("a", True), ("l", False), ("l", False), ("o", False)]
    images = [Image.new("L", (60, 20), 200), Image.new("L", (30, 10), 100), Image.new("L", (40, 20), 0)]
    figure = render_contact_sheet(images, ["ab", "cd", "ef"], ["ab", "cx", ""], columns=2)
    assert len([axes for axes in figure.axes if axes.images]) == 3
    drawn = texts(figure)
    assert {"true: ab", "true: cd", "true: ef", "pred: ", "x", "(-2)"} <= set(drawn)
    red = [t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_color") and hasattr(a, "get_text"))
           if t.get_text() and t.get_color() == "red"]
    assert red == ["x", "(-2)"]
    image = pixels(figure)
    assert ((image[..., 0] > 200) & (image[..., 1] < 80) & (image[..., 2] < 80)).sum() > 20  # red ink
    with pytest.raises(ValueError, match="need the same positive number"):
        render_contact_sheet(images, ["a"], ["a"])
    with pytest.raises(ValueError, match="columns must be at least 1, got 0"):
        render_contact_sheet(images, ["a", "b", "c"], ["a", "b", "c"], columns=0)
