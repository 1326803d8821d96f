"""What a data module stores in a checkpoint so a model can read raw inputs without it."""
