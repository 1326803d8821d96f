"""Learning curves: losses and the monitored metric per epoch, the best epoch marked (Pillow only)."""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

COLOURS = ("royalblue", "darkorange", "seagreen", "crimson")


def _panel(
    draw: ImageDraw.ImageDraw,
    box: tuple[int, int, int, int],
    title: str,
    series: dict[str, Sequence[float | None]],
    best: int | None,
    font: ImageFont.ImageFont,
) -> None:
    left, top, right, bottom = box
    draw.rectangle(box, outline="black")
    draw.text((left, top - 14), title, fill="black", font=font)
    values = [v for ys in series.values() for v in ys if v is not None]
    epochs = max((len(ys) for ys in series.values()), default=0)
    if not values or epochs == 0:
        return
    low, high = min(values), max(values)
    span = (high - low) or 1.0

    def point(epoch: int, value: float) -> tuple[float, float]:
        x = left + 6 + (right - left - 12) * (epoch / max(epochs - 1, 1))
        y = bottom - 6 - (bottom - top - 12) * ((value - low) / span)
        return x, y

    draw.text((left, bottom + 3), "epoch 1", fill="black", font=font)
    draw.text((right, bottom + 3), f"{epochs}", fill="black", font=font, anchor="ra")
    draw.text((right + 4, top), f"{high:.4g}", fill="black", font=font)
    draw.text((right + 4, bottom - 10), f"{low:.4g}", fill="black", font=font)
    if best is not None:
        x = point(best, low)[0]
        draw.line((x, top, x, bottom), fill="lightgrey", width=1)
    for i, (name, ys) in enumerate(series.items()):
        colour = COLOURS[i % len(COLOURS)]
        points = [point(e, v) for e, v in enumerate(ys) if v is not None]
        if len(points) > 1:
            draw.line(points, fill=colour, width=2)
        for x, y in points:
            draw.ellipse((x - 2, y - 2, x + 2, y + 2), fill=colour)
        draw.text((left + 6, top + 4 + 12 * i), name, fill=colour, font=font)


def render_learning_curves(
    losses: dict[str, Sequence[float | None]],
    metric_name: str,
    metric: Sequence[float | None],
    best_epoch: int | None,
) -> Image.Image:
    """Two panels over the epochs: the losses (e.g. ``train/loss_epoch``, ``val/loss``) and the monitored metric.

    Args:
        losses: loss name -> one value per epoch (None where not logged).
        metric_name: the monitored metric's name, for the title.
        metric: its value per epoch.
        best_epoch: the epoch to mark with a vertical line (0-based), or None.
    """
    font = ImageFont.load_default(size=11)
    image = Image.new("RGB", (760, 330), "white")
    draw = ImageDraw.Draw(image)
    title = f"best epoch {best_epoch + 1}" if best_epoch is not None else "no best epoch"
    _panel(draw, (20, 30, 320, 300), f"losses ({title})", losses, best_epoch, font)
    _panel(draw, (400, 30, 700, 300), metric_name, {metric_name: metric}, best_epoch, font)
    return image
