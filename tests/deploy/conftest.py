import pytest

from tests.deploy.recipes import SENTIMENT_DATA, fit


@pytest.fixture(scope="session")
def sentiment_ckpt(tmp_path_factory):
    """The sentiment recipe fitted for one epoch on 300 embedded posts, its checkpoint alone in a folder."""
    folder = tmp_path_factory.mktemp("sentiment")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        return fit("sentiment_bilstm", *SENTIMENT_DATA)


@pytest.fixture(scope="session")
def keywords_ckpt(tmp_path_factory):
    """The keyword recipe (8 kHz, features computed in the model) fitted for one epoch on 60 generated clips."""
    folder = tmp_path_factory.mktemp("keywords")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        return fit("audio_keywords_gru", "--data.init_args.generated_size=60", "--data.init_args.batch_size=16")


@pytest.fixture(scope="session")
def ocr_ckpt(tmp_path_factory):
    """The OCR recipe (columns of 32-pixel-high lines) fitted for one epoch on 60 generated lines."""
    folder = tmp_path_factory.mktemp("ocr")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        return fit("ocr_crnn_ctc", "--data.init_args.generated_size=60", "--data.init_args.batch_size=16")
