import pytest

from tests.deploy.recipes import SENTIMENT_DATA, fit


def fitted(factory, name: str, *args: str):
    """``name`` fitted for one epoch in a folder of its own, its checkpoint alone in a folder."""
    folder = factory.mktemp(name)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        return fit(name, *args)


@pytest.fixture(scope="session")
def sentiment_ckpt(tmp_path_factory):
    """The sentiment recipe fitted for one epoch on 300 embedded posts."""
    return fitted(tmp_path_factory, "sentiment_bilstm", *SENTIMENT_DATA)


@pytest.fixture(scope="session")
def keywords_ckpt(tmp_path_factory):
    """The keyword recipe (8 kHz, features computed in the model) fitted for one epoch on 60 generated clips."""
    return fitted(tmp_path_factory, "audio_keywords_gru", "--data.init_args.generated_size=60",
                  "--data.init_args.batch_size=16")


@pytest.fixture(scope="session")
def ocr_ckpt(tmp_path_factory):
    """The OCR recipe (columns of 32-pixel-high lines) fitted for one epoch on 60 generated lines."""
    return fitted(tmp_path_factory, "ocr_crnn_ctc", "--data.init_args.generated_size=60",
                  "--data.init_args.batch_size=16")
