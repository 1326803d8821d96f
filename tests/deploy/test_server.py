import base64
import io

import numpy as np
import pytest
import soundfile
from fastapi.testclient import TestClient
from litserve.utils import wrap_litserve_start

from lightning_seq.deploy import Predictor
from lightning_seq.deploy.server import build_server
from tests.deploy.recipes import fit


def serving(ckpt, **options):
    server = build_server(str(ckpt), accelerator="cpu", **options)
    return wrap_litserve_start(server), server


def test_json_requests_get_the_predictors_answers_and_bad_ones_a_4xx_naming_the_field(sentiment_ckpt):
    texts = ["what a great day", "worst service ever", "the bus comes at nine"]
    offline = [a.to_dict() for a in Predictor.from_checkpoint(sentiment_ckpt).predict(texts)]
    started, server = serving(sentiment_ckpt, max_batch_size=8, batch_timeout=0.01, max_input_length=12,
                              max_request_bytes=2000)
    with started, TestClient(server.app) as client:
        one = client.post("/predict", json={"input": texts[0]})
        assert one.status_code == 200, one.text
        answer = one.json()["predictions"]
        assert len(answer) == 1 and answer[0]["label"] == offline[0]["label"]
        assert answer[0]["probabilities"] == pytest.approx(offline[0]["probabilities"], abs=1e-5)
        many = client.post("/predict", json={"input": texts}).json()["predictions"]
        assert [a["label"] for a in many] == [a["label"] for a in offline]
        bad = [
            ({"input": ""}, 422, "input: empty text"),
            ({"input": ["fine", 3]}, 422, "input[1]: expected a text (string), got a number"),
            ({"input": []}, 422, "input: an empty list"),
            ({"text": "hi"}, 422, "unknown field(s) ['text']: the body holds 'input' only"),
            ({}, 422, "missing field 'input'"),
            (["hi"], 422, 'the body must be a JSON object {"input": ...}, got a list'),
            ({"input": "word " * 13}, 422, "input: 13 time steps once encoded, over the server's limit of 12 "
                                           "(max_input_length); refused, not truncated"),
        ]
        for body, status, detail in bad:
            response = client.post("/predict", json=body)
            assert (response.status_code, response.json()) == (status, {"detail": detail}), body
        json_type = {"content-type": "application/json"}
        malformed = client.post("/predict", content=b'{"input": "unclosed', headers=json_type)
        assert malformed.status_code == 400 and malformed.json()["detail"].startswith("the body is not valid JSON: ")
        huge = client.post("/predict", json={"input": "a" * 3000})
        assert huge.status_code == 413
        assert huge.json() == {"detail": "the request body is over the server's limit of 2000 bytes"}
        assert client.get("/health").status_code == 200
        info = client.get("/info").json()["model"]
        assert info["task"] == "lightning_seq.tasks.classification.SequenceClassifier"
        assert info["input_kind"] == "text" and info["labels"] == ["negative", "neutral", "positive"]
        assert len(info["checkpoint_sha256"]) == 64 and info["lightning_seq_version"]


def test_a_bad_request_in_a_dynamic_batch_fails_alone(sentiment_ckpt):
    """Valid and invalid requests sent together share batches: every valid one is answered as offline."""
    from concurrent.futures import ThreadPoolExecutor

    texts = [f"{w} day number {i}" for i, w in enumerate(["great", "awful", "plain", "lovely"] * 6)]
    offline = {t: a.label for t, a in zip(texts, Predictor.from_checkpoint(sentiment_ckpt).predict(texts),
                                          strict=True)}
    bodies = [{"input": t} for t in texts] + [{"input": ""}, {"input": 5}, {"nope": 1}, {"input": [""]}] * 3
    started, server = serving(sentiment_ckpt, max_batch_size=8, batch_timeout=0.05)
    with started, TestClient(server.app) as client, ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(lambda body: client.post("/predict", json=body), bodies))
        for body, response in zip(bodies, responses, strict=True):
            if isinstance(body.get("input"), str) and body["input"] in offline:
                assert response.status_code == 200, response.text
                assert response.json()["predictions"][0]["label"] == offline[body["input"]]
            else:
                assert response.status_code == 422, (body, response.text)
        assert client.get("/health").status_code == 200


def wav_base64(samples: np.ndarray, rate: int) -> str:
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, rate, format="WAV", subtype="FLOAT")
    return base64.b64encode(buffer.getvalue()).decode()


def test_audio_as_base64_samples_or_multipart_upload(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ckpt = fit("audio_keywords_gru", "--data.init_args.generated_size=60", "--data.init_args.batch_size=16")
    predictor = Predictor.from_checkpoint(ckpt)
    rate = predictor.inputs.sample_rate
    clip = np.sin(np.arange(rate) * 0.05).astype(np.float32) * 0.3
    offline = predictor.predict([(clip, rate)])[0]
    started, server = serving(ckpt, max_batch_size=4)
    with started, TestClient(server.app) as client:
        answers = [
            client.post("/predict", json={"input": {"base64": wav_base64(clip, rate)}}),
            client.post("/predict", json={"input": {"samples": clip.tolist(), "sample_rate": rate}}),
            client.post("/predict", files={"input": ("clip.wav", base64.b64decode(wav_base64(clip, rate)))}),
        ]
        for response in answers:
            assert response.status_code == 200, response.text
            (answer,) = response.json()["predictions"]
            assert answer["probabilities"] == pytest.approx(offline.probabilities, abs=1e-4)
        two = client.post("/predict", files=[("input", ("a.wav", b"x")), ("input", ("b.wav", b"y"))])
        assert two.status_code == 422 and two.json()["detail"].startswith("input[0]: cannot decode the audio bytes")
        bad = [
            ({"input": {"base64": "%%%"}}, "input.base64: not valid base64"),
            ({"input": {"base64": base64.b64encode(b"RIFF junk").decode()}}, "input: cannot decode the audio bytes"),
            ({"input": "clip.wav"}, "input: expected {\"base64\": ...} or {\"samples\": [...], \"sample_rate\": n}, "
                                    "got a string"),
            ({"input": {"samples": [0.1, "x"], "sample_rate": rate}}, "input.samples: every sample must be a number"),
            ({"input": {"samples": [0.1], "sample_rate": 0}}, "input: the sample rate must be an integer from 1000 to "
                                                              "384000 Hz, got 0"),
        ]
        for body, detail in bad:
            response = client.post("/predict", json=body)
            assert response.status_code == 422 and response.json()["detail"].startswith(detail), response.text
        wrong_field = client.post("/predict", files={"audio": ("clip.wav", b"x")})
        assert wrong_field.status_code == 422
        assert wrong_field.json() == {"detail": "unknown form field(s) ['audio']: upload the input as the field "
                                                "'input'"}
        assert client.get("/health").status_code == 200


def test_a_request_the_model_fails_on_gets_its_own_500_and_the_batch_is_answered(sentiment_ckpt, monkeypatch):
    """The batch's forward pass raises because of one request: each request is answered again on its own."""
    from lightning_seq.deploy.payloads import RequestError
    from lightning_seq.deploy.server import PredictorAPI

    api = PredictorAPI(str(sentiment_ckpt), max_batch_size=4)
    api.setup("cpu")
    texts = ["what a great day", "worst service ever", "the bus comes at nine"]
    offline = [a.to_dict() for a in Predictor.from_checkpoint(sentiment_ckpt).predict(texts)]
    poison = api.decode_request({"input": "poison " * 7})
    inner = api.predictor.rows

    def rows(encoded):  # the model's forward pass, failing on any batch that holds the 7-token input
        if any(tensor.size(0) == 7 for tensor in encoded):
            raise RuntimeError("the model broke")
        return inner(encoded)

    monkeypatch.setattr(api.predictor, "rows", rows)
    batch = [api.decode_request({"input": t}) for t in texts[:2]] + [poison, api.decode_request({"input": ""}),
                                                                    api.decode_request({"input": texts[2]})]
    out = api.predict(api.batch(batch))
    assert [type(o).__name__ for o in out] == ["list", "list", "RequestError", "RequestError", "list"]
    assert out[2] == RequestError(500, "the model failed on this request (RuntimeError)")
    assert out[3] == RequestError(422, "input: empty text")
    for answer, expected in zip([out[0][0], out[1][0], out[4][0]], offline, strict=True):
        assert answer.label == expected["label"]
