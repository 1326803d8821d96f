"""``python -m lightning_seq`` runs the ``lightning-seq`` command."""

from lightning_seq.cli import main

if __name__ == "__main__":
    main()
