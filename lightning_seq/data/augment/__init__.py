"""Training-only augmentation of images and audio."""
