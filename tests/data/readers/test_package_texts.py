import pytest

from lightning_seq.data.readers.package_texts import (
    CORPUS_DISTRIBUTIONS,
    installed_package_texts,
    package_text_splits,
    unique_paragraphs,
    write_package_text_splits,
)


def test_installed_packages_give_their_documentation_and_licences_but_not_ours():
    documents = installed_package_texts()
    names = {name.lower() for name, _ in documents}
    assert {"torch", "numpy"} <= names and "lightning-seq" not in names
    assert all(text.strip() for _, text in documents)
    assert [name for name, _ in documents] == sorted(name for name, _ in documents)
    assert sum(len(text) for _, text in documents) > 500_000  # real text of some size, whatever the platform


def test_the_corpus_reads_only_the_listed_distributions_so_new_installs_leave_it_unchanged():
    listed = {name.lower().replace("_", "-") for name in CORPUS_DISTRIBUTIONS}
    every = {name.lower().replace("_", "-") for name, _ in installed_package_texts(distributions=None)}
    assert {name.lower().replace("_", "-") for name, _ in installed_package_texts()} == every & listed
    assert "lightning-seq" not in every
    only = installed_package_texts(distributions=["NumPy", "typing_extensions"])  # names compared as PEP 503 does
    assert {name for name, _ in only} == {"numpy", "typing_extensions"}
    assert only == [item for item in installed_package_texts() if item[0] in ("numpy", "typing_extensions")]


def test_paragraphs_repeated_in_other_documents_or_spacing_are_kept_once():
    documents = [("a", "MIT License\n\nPermission is granted.\n\nOwn words."),
                 ("b", "MIT   License\n \nPermission is\ngranted.\n\nOther words.\r\n\r\nOwn words.")]
    assert unique_paragraphs(documents) == ["MIT License", "Permission is granted.", "Own words.", "Other words."]


def test_splits_hold_every_unique_paragraph_once_and_depend_only_on_the_seed(tmp_path):
    paths = write_package_text_splits(tmp_path / "a", val_share=0.1, test_share=0.2, seed=0)
    package_text_splits.cache_clear()  # computed afresh, not the cached split
    again = write_package_text_splits(tmp_path / "b", val_share=0.1, test_share=0.2, seed=0)
    other = write_package_text_splits(tmp_path / "c", val_share=0.1, test_share=0.2, seed=1)
    texts = {split: path.read_text(encoding="utf-8") for split, path in paths.items()}
    assert texts == {split: path.read_text(encoding="utf-8") for split, path in again.items()}
    assert texts["test"] != other["test"].read_text(encoding="utf-8")
    expected = unique_paragraphs(installed_package_texts())
    held = {split: [p for p in text.rstrip("\n").split("\n\n")] for split, text in texts.items()}
    assert sorted(sum(held.values(), [])) == sorted(expected)  # each paragraph in exactly one split
    share = {split: len(kept) / len(expected) for split, kept in held.items()}
    assert share["val"] == pytest.approx(0.1, abs=0.03) and share["test"] == pytest.approx(0.2, abs=0.03)


def test_bad_shares_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r"val_share and test_share must be in \(0, 1\) and sum below 1, got 0.5, 0.5"):
        write_package_text_splits(tmp_path, val_share=0.5, test_share=0.5)
