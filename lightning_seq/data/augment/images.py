"""Training-only image augmentation: small random affine warps (rotation, slant, shift, scale) and elastic warps."""

from __future__ import annotations

import torchvision.transforms.v2 as T
from PIL import Image


class ImageAugment:
    """A random affine warp, then (on a share of images) a random elastic warp, applied to PIL images.

    Hand-written strokes vary in slant, size, position and local wobble; these warps add that variation to training
    images only (the data modules never apply it to validation or test images).

    Args:
        degrees: largest rotation either way, in degrees.
        translate: largest shift as a fraction of width and height.
        scale: ``[low, high]`` range of scale factors.
        shear: largest horizontal shear (slant) either way, in degrees.
        elastic_alpha: strength of the elastic displacement field in pixels (0: no elastic warp).
        elastic_sigma: smoothness of the elastic field (Gaussian sigma, pixels).
        elastic_fraction: share of images that get the elastic warp.
        fill: the background value uncovered by a warp (0 for light-on-dark digits, 255 for dark-on-light text).
    """

    def __init__(
        self,
        degrees: float = 10.0,
        translate: float = 0.1,
        scale: tuple[float, float] = (0.9, 1.1),
        shear: float = 10.0,
        elastic_alpha: float = 20.0,
        elastic_sigma: float = 4.0,
        elastic_fraction: float = 0.5,
        fill: int = 0,
    ) -> None:
        if degrees < 0 or shear < 0:
            raise ValueError(f"degrees and shear must be >= 0, got degrees={degrees!r}, shear={shear!r}")
        if not 0.0 <= translate < 1.0:
            raise ValueError(f"translate must lie in [0, 1), got {translate!r}")
        if len(scale) != 2 or not 0.0 < scale[0] <= scale[1]:
            raise ValueError(f"scale must be (low, high) with 0 < low <= high, got {scale!r}")
        if elastic_alpha < 0 or elastic_sigma <= 0:
            raise ValueError(
                f"elastic_alpha must be >= 0 and elastic_sigma > 0, got {elastic_alpha!r} and {elastic_sigma!r}"
            )
        if not 0.0 <= elastic_fraction <= 1.0:
            raise ValueError(f"elastic_fraction must lie in [0, 1], got {elastic_fraction!r}")
        if not 0 <= fill <= 255:
            raise ValueError(f"fill must lie in [0, 255], got {fill!r}")
        self.settings = dict(degrees=degrees, translate=translate, scale=tuple(scale), shear=shear,
                             elastic_alpha=elastic_alpha, elastic_sigma=elastic_sigma,
                             elastic_fraction=elastic_fraction, fill=fill)
        self.affine = T.RandomAffine(
            degrees, translate=(translate, translate), scale=tuple(scale), shear=(-shear, shear, 0.0, 0.0),
            interpolation=T.InterpolationMode.BILINEAR, fill=fill,
        )
        elastic = T.ElasticTransform(alpha=elastic_alpha, sigma=elastic_sigma, fill=fill)
        self.elastic = T.RandomApply([elastic], p=elastic_fraction) if elastic_alpha > 0 else None

    def __call__(self, image: Image.Image) -> Image.Image:
        """Warp one image; size and mode are kept. Draws from torch's global random state."""
        sigma = self.settings["elastic_sigma"]
        if self.elastic is not None and min(image.size) <= 4 * sigma:
            raise ValueError(
                f"a {image.width}x{image.height} image is too small for elastic_sigma={sigma}: the smoothing kernel "
                f"needs more than {4 * sigma:g} pixels a side (resize the images or lower elastic_sigma)"
            )
        image = self.affine(image)
        return self.elastic(image) if self.elastic is not None else image

    def __repr__(self) -> str:
        return "ImageAugment(" + ", ".join(f"{k}={v!r}" for k, v in self.settings.items()) + ")"
