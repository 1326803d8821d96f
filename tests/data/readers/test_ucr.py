import numpy as np
import pytest

from lightning_seq.data.readers.ucr import read_labelled_series

TS = """# a comment
@problemName Toy
@timeStamps false
@missing true
@univariate false
@dimensions 2
@equalLength false
@classLabel true up down
@data
1.0,2.0,3.0:0.5,0.4,0.3:up
4,?,6,7:1,1,1,1:down
"""


def test_a_multivariate_ts_file_with_unequal_lengths_and_missing_values(tmp_path):
    path = tmp_path / "toy.ts"
    path.write_text(TS, encoding="utf-8")
    first, second = read_labelled_series(path)
    assert first.label == "up" and first.where == f"{path}:10" and first.values.shape == (3, 2)
    np.testing.assert_array_equal(first.values[:, 1], [0.5, 0.4, 0.3])
    assert second.values.shape == (4, 2) and np.isnan(second.values[1, 0]) and second.label == "down"


def test_a_ucr_tsv_file_has_the_label_first_and_nan_padding(tmp_path):
    path = tmp_path / "X_TRAIN.tsv"
    path.write_text("2\t0.1\t0.2\t0.3\n1\t1.0\t2.0\tNaN\n", encoding="utf-8")
    cases = read_labelled_series(path)
    assert [c.label for c in cases] == ["2", "1"] and [len(c.values) for c in cases] == [3, 2]


@pytest.mark.parametrize(("body", "message"), [
    ("1,x:up\n", "toy.ts:10: 'x' is not a number (missing values are written ?)"),
    ("1,2:sideways\n", "toy.ts:10: class 'sideways' is not among @classLabel's ['up', 'down']"),
    ("1,2:3,4:up\n1,2:down\n", "toy.ts:11: 1 dimensions, but the first case has 2"),
    ("1,2:3:up\n", "toy.ts:10: the dimensions of one case differ in length ([1, 2])"),
])
def test_bad_cases_are_refused_naming_their_line(tmp_path, body, message):
    path = tmp_path / "toy.ts"
    path.write_text(TS.split("@data\n")[0] + "@data\n" + body, encoding="utf-8")
    with pytest.raises(ValueError) as error:
        read_labelled_series(path)
    assert message in str(error.value)


def test_files_that_cannot_be_cases_are_refused(tmp_path):
    (tmp_path / "a.ts").write_text("@problemName x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no @data line"):
        read_labelled_series(tmp_path / "a.ts")
    (tmp_path / "b.ts").write_text("@timeStamps true\n@data\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"b.ts:1: cases with timestamps"):
        read_labelled_series(tmp_path / "b.ts")
    (tmp_path / "c.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ValueError, match="must be a .ts, .tsv or .csv file"):
        read_labelled_series(tmp_path / "c.json")
