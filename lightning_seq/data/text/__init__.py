"""Text to ids: tokenizers (character, word, subword) and vocabularies."""
