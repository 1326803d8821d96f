import pytest

from tests.deploy.recipes import SENTIMENT_DATA, fit


@pytest.fixture(scope="session")
def sentiment_ckpt(tmp_path_factory):
    """The sentiment recipe fitted for one epoch on 300 embedded posts, its checkpoint alone in a folder."""
    folder = tmp_path_factory.mktemp("sentiment")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        return fit("sentiment_bilstm", *SENTIMENT_DATA)
