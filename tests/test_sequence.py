"""The sequence models (ch. 9): the fixed splits, the G2P models and the sentiment classifier."""
import pytest
import torch

import zoo
from conftest import REPO, run_python
from zoo.data import CMUDICT_PHONEMES, cmudict_entries, rotten_tomatoes
from zoo.evaluation import edit_distance, g2p_metrics, g2p_wer_by_length

SHARED = REPO.parent / "shared" / "datasets"
G2P = ["seq2seq_g2p_cmudict", "transformer_g2p_cmudict"]


@pytest.fixture(scope="module")
def cmudict_test():
    return cmudict_entries("test")


def test_cmudict_splits_are_the_fixed_ones(cmudict_test):
    sizes = {s: len(cmudict_entries(s)) for s in ("train", "validation")}
    assert sizes == {"train": 99_843, "validation": 12_465} and len(cmudict_test) == 12_618
    phonemes = {p for _, prons in cmudict_test for pron in prons for p in pron}
    assert phonemes == set(CMUDICT_PHONEMES)
    assert dict(cmudict_test)["zoo"] == [["Z", "UW"]]


@pytest.mark.skipif(not (SHARED / "text" / "rotten_tomatoes").exists(), reason="needs ../shared/datasets")
def test_rotten_tomatoes_splits_are_the_fixed_ones():
    sizes = {s: len(rotten_tomatoes(s, root=SHARED)[0]) for s in ("train", "validation", "test")}
    assert sizes == {"train": 10_504, "validation": 981, "test": 1_323}
    _, labels = rotten_tomatoes("test", root=SHARED)
    assert round(sum(labels) / len(labels), 3) == 0.588


@pytest.mark.skipif(not (SHARED / "text" / "rotten_tomatoes").exists(), reason="needs ../shared/datasets")
def test_sentiment_test_accuracy_is_the_recorded_one_and_meets_the_target():
    from zoo.evaluation import text_classification_metrics

    texts, labels = rotten_tomatoes("test", root=SHARED)
    measured = text_classification_metrics(zoo.load("lstm_sentiment_rt"), texts, labels)["accuracy"]
    assert measured == pytest.approx(zoo.info("lstm_sentiment_rt")["metrics"]["accuracy"], abs=0.5 / len(texts))
    assert measured >= 0.79  # the classical anchors reach 77.9% (tf-idf logistic regression) and 76.9% (NB-SVM)


def test_unknown_split_is_refused():
    with pytest.raises(ValueError, match="available: train, validation, test"):
        cmudict_entries("dev")


def test_edit_distance():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance([], ["AH"]) == 1 and edit_distance(["Z", "UW"], ["Z", "UW"]) == 0


def test_wer_by_length_groups_words_by_their_letters():
    entries = [("zoo", [["Z", "UW"]]), ("read", [["R", "IY", "D"], ["R", "EH", "D"]]), ("hello", [["HH", "AH", "L", "OW"]]),
               ("interesting", [["IH", "N", "T", "R", "AH", "S", "T", "IH", "NG"]])]
    predicted = [["Z", "UW"], ["R", "AH", "D"], ["HH", "AH", "L", "OW"], ["IH", "N", "T", "R", "IH", "NG"]]
    assert g2p_wer_by_length(predicted, entries, starts=(1, 5, 11)) == [
        {"letters": "1-4", "words": 2, "wer": 0.5}, {"letters": "5-10", "words": 1, "wer": 0.0},
        {"letters": "11+", "words": 1, "wer": 1.0}]
    assert [g["letters"] for g in g2p_wer_by_length(predicted, entries)] == ["1-4", "5-6", "11-12"]


@pytest.mark.parametrize("name", G2P)
def test_g2p_pronounces_and_its_errors_match_the_manifest(name, cmudict_test):
    model = zoo.load(name)
    assert set(model.pronounce("zoo").split()) <= set(CMUDICT_PHONEMES)
    # a fixed sample of 1,000 test words; the manifest's WER is on all 12,618
    sample = cmudict_test[::12][:1000]
    measured = g2p_metrics(model, sample)
    assert abs(measured["wer"] - zoo.info(name)["metrics"]["wer"]) < 0.05


def test_seq2seq_pronounces_zoo():
    assert zoo.load("seq2seq_g2p_cmudict").pronounce("zoo") == "Z UW"


@pytest.mark.parametrize("name", G2P)
def test_g2p_beam_and_attention(name):
    model = zoo.load(name)
    words = ["phoenix", "Knight", "through"]
    assert model.predict(words) == model.predict(words, beam=1)
    assert all(len(p) > 0 for p in model.predict(words, beam=4))
    phonemes, weights = model.attention("knight")
    assert weights.shape == (len(phonemes) + 1, 6)
    assert torch.allclose(weights.sum(1), torch.ones(len(phonemes) + 1), atol=1e-3)


def test_recurrent_steps_decode_as_the_whole_prefix_does():
    """seq2seq reads one phoneme per step from its LSTM state; the result is the full-prefix decoding's."""
    from zoo.models.g2p import G2PModel

    model = zoo.load("seq2seq_g2p_cmudict")
    words = ["phoenix", "knight", "through", "colonel", "worcestershire", "a"]
    stepwise = [model.predict(words), model.predict(words, beam=3)]
    model.step = lambda *args: G2PModel.step(model, *args)
    assert [model.predict(words), model.predict(words, beam=3)] == stepwise


def test_g2p_refuses_what_is_not_a_word():
    model = zoo.create("seq2seq_g2p_cmudict").eval()
    for bad, match in [("hello", "a list of strings"), ([], "empty"), ([""], "empty string"),
                       (["hello world"], "letters a-z"), (["x" * 60], "at most"), ([3], "must be a string")]:
        with pytest.raises((TypeError, ValueError), match=match):
            model.predict(bad)
    with pytest.raises(ValueError, match="beam"):
        model.predict(["zoo"], beam=0)


@pytest.mark.parametrize("bf16", [False, True])
def test_g2p_learns_when_trained(bf16):
    """The training loop lowers the loss on a handful of words (the weights matter, not just the code), in
    float32 and under bfloat16 autocast, which leaves the weights in float32."""
    from zoo.g2p_training import pairs_of, train_g2p

    torch.manual_seed(0)
    model = zoo.create("transformer_g2p_cmudict", dim=64, layers=1, ff=128, dropout=0.0)
    entries = cmudict_entries("validation")[:64]
    before = g2p_metrics(model, entries)["per"]
    _, history = train_g2p(model, pairs_of(entries), entries, epochs=25, batch_size=16, lr=3e-3, weight_decay=0.0,
                           label_smoothing=0.0, warmup=0.1, seed=0, device="cpu", bf16=bf16)
    assert history[-1]["validation_per"] < 0.5 * before
    assert {p.dtype for p in model.parameters()} == {torch.float32}


def test_length_grouped_batches_are_full_and_of_about_one_length():
    from zoo.g2p_training import length_grouped_batches

    lengths = torch.randint(2, 40, (1000,))
    perm = torch.randperm(1000, generator=torch.Generator().manual_seed(0))
    batches = length_grouped_batches(perm, lengths, 8, torch.Generator().manual_seed(1))
    assert len(batches) == 125 and all(len(b) == 8 for b in batches)
    assert sorted(torch.cat(batches).tolist()) == list(range(1000))  # each word once
    spread = sum(int(lengths[b].max() - lengths[b].min()) for b in batches) / len(batches)
    random_spread = sum(int(lengths[b].max() - lengths[b].min()) for b in perm.split(8)) / 125
    assert spread < 0.2 * random_spread
    assert len(length_grouped_batches(perm[:999], lengths, 8, torch.Generator())) == 124  # a short tail is dropped


@pytest.mark.parametrize("name,positions", [("seq2seq_g2p_cmudict", None), ("transformer_g2p_cmudict", "sinusoidal"),
                                            ("transformer_g2p_cmudict", "rotary")])
def test_g2p_steps_with_cached_keys_as_if_it_ran_the_whole_prefix(name, positions):
    """Each model's step reads only the last phoneme and carries the rest in its state; it must give what the
    decoder run over the whole prefix gives, and beam search over it (which reorders the state) the same words."""
    import types

    from zoo.models.g2p import G2PModel, letter_ids

    torch.manual_seed(0)
    small = dict(dim=32, heads=2, layers=2, ff=64, positions=positions) if positions else dict(embed_dim=16, hidden=32)
    model = zoo.create(name, **small).eval()
    letters = letter_ids(["phoenix", "zoo", "through"])
    memory = model.encode(letters)
    prefix, state = torch.ones(3, 1, dtype=torch.long), None
    with torch.no_grad():
        for _ in range(6):
            cached, state = model.step(memory, letters, prefix, state)
            full, _ = G2PModel.step(model, memory, letters, prefix, None)
            torch.testing.assert_close(cached, full, atol=1e-5, rtol=1e-5)
            prefix = torch.cat([prefix, torch.randint(3, 20, (3, 1))], 1)
    beams = model.generate(letters, beam=3, max_len=8)
    model.step = types.MethodType(G2PModel.step, model)
    assert torch.equal(beams, model.generate(letters, beam=3, max_len=8))


def test_rotary_positions_make_attention_depend_on_relative_positions_only():
    """Turned by `rotate`, a query at position i and a key at position j have the same dot product as at
    i + shift and j + shift; unturned (sinusoidal model) nothing changes; a bad `positions` is refused."""
    from zoo.models.g2p import rotary_angles, rotate

    cos, sin = rotary_angles(40, 16)
    queries, keys = torch.randn(2, 1, 1, 5, 16).unbind(0)
    scores = [rotate(queries, (cos[s : s + 5], sin[s : s + 5])) @ rotate(keys, (cos[s : s + 5], sin[s : s + 5])).mT
              for s in (0, 7, 30)]
    for shifted in scores[1:]:
        torch.testing.assert_close(shifted, scores[0], atol=1e-5, rtol=1e-5)
    assert not torch.allclose(scores[0], queries @ keys.mT)  # the turn does change each score
    assert rotate(queries, None) is queries
    with pytest.raises(ValueError, match="positions must be one of .*'sinusoidal', 'rotary'.*'learned'"):
        zoo.create("transformer_g2p_cmudict", positions="learned")


def test_a_fresh_transformer_sees_letter_positions():
    """Scaled by sqrt(dim), a fresh model's embeddings are about as large as the positional encodings (unit
    scale per component), not sqrt(dim) times larger, which would hide the letters' order."""
    model = zoo.create("transformer_g2p_cmudict")
    for embedding in (model.letter_embedding, model.phoneme_embedding):
        scaled = embedding.weight[1:] * model.dim**0.5
        assert 0.8 < scaled.std().item() < 1.2
        assert not embedding.weight[0].any()  # padding


def test_g2p_training_resumes_exactly_where_it_stopped(tmp_path):
    """Two epochs in one run, and the same two epochs in two runs through a checkpoint, give the same weights;
    a checkpoint from other options is refused."""
    from zoo.g2p_training import pairs_of, train_g2p

    entries = cmudict_entries("validation")[:48]
    options = dict(epochs=2, batch_size=16, lr=3e-3, weight_decay=0.01, label_smoothing=0.1, warmup=0.3, seed=0,
                   device="cpu")

    def run(**more):
        torch.manual_seed(0)
        model = zoo.create("transformer_g2p_cmudict", dim=32, heads=2, layers=1, ff=64)
        return model, train_g2p(model, pairs_of(entries), entries[:8], **options, **more)[1]

    straight, history = run()
    ckpt = tmp_path / "g2p.ckpt"
    _, first = run(checkpoint=ckpt, max_minutes=1e-9)
    assert len(first) == 1 and ckpt.exists()
    resumed, second = run(checkpoint=ckpt)
    assert [h["train_loss"] for h in second] == [h["train_loss"] for h in history]
    grouped, _ = run(group_by_length=True, checkpoint=tmp_path / "grouped.ckpt")
    assert not torch.equal(grouped.out.weight, straight.out.weight)  # other batches
    for (name, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), name
    with pytest.raises(ValueError, match="other options.*'group_by_length': \\(True, None\\)"):
        run(checkpoint=tmp_path / "grouped.ckpt")  # an option this run lacks is named too
    options["lr"] = 1e-3
    with pytest.raises(ValueError, match="other options.*lr"):
        run(checkpoint=ckpt)


def test_sentiment_predicts_raw_texts():
    model = zoo.load("lstm_sentiment_rt")
    labels, probs = model.predict(["a gorgeous, witty, moving film", "a tedious, lifeless mess", "qwzx flurb"])
    assert labels.tolist()[:2] == [1, 0] and probs.shape == (3, 2)
    assert torch.allclose(probs.sum(1), torch.ones(3))
    for bad, match in [("great fun", "list of strings"), ([], "empty"), (["..."], "no words"),
                       (["word " * 2000], "at most"), ([None], "not a string")]:
        with pytest.raises((TypeError, ValueError), match=match):
            model.predict(bad)


def test_sentiment_vocabulary_is_checked_like_the_weights(tmp_path, monkeypatch):
    import shutil

    folder = tmp_path / "lstm_sentiment_rt"
    shutil.copytree(REPO / "weights" / "lstm_sentiment_rt", folder)
    vocab = folder / "vocab.json"
    vocab.write_bytes(vocab.read_bytes().replace(b'"the"', b'"teh"', 1))
    monkeypatch.setenv("ZOO_WEIGHTS_DIR", str(tmp_path))
    with pytest.raises(zoo.IntegrityError, match="vocab.json"):
        zoo.load("lstm_sentiment_rt")


LOAD_SEQUENCE_MODELS = """
import zoo
print(zoo.load("seq2seq_g2p_cmudict").pronounce("zoo"))
labels, probs = zoo.load("lstm_sentiment_rt").predict(["great fun"])
print(labels.tolist(), probs.shape)
"""


def test_sequence_models_load_through_the_hub_mirror(hub_mirror, tmp_path):
    env = {"HF_ENDPOINT": hub_mirror, "HF_HOME": str(tmp_path / "hf"), "ZOO_WEIGHTS_DIR": str(tmp_path / "none")}
    r = run_python(LOAD_SEQUENCE_MODELS, env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["Z UW", "[1] torch.Size([1, 2])"]
