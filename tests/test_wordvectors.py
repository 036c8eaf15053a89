"""skipgram_dictcorpus: the word-vector API, its evaluation code, and the pretrained vectors."""
import pytest
import torch

import zoo
from conftest import REPO, SHARED_DATA
from zoo.evaluation import analogy_accuracy, spearman, word_similarity, word_vector_metrics
from zoo.models.wordvectors import UnknownWordError

# Figures of gensim 4.4 Word2Vec with the same settings on this corpus (the anchor).
GENSIM = {"wordsim353": 0.624, "simlex999": 0.401, "analogy": 0.186}


@pytest.fixture
def toy():
    """Four words on known directions: man/woman and king/queen differ by the same 'female' offset."""
    wv = zoo.create("skipgram_dictcorpus", vocab_size=5, dim=3)
    wv.set_vocabulary(["man", "woman", "king", "queen", "apple"], [5, 4, 3, 2, 1])
    wv.embedding.weight.data = torch.tensor(
        [[1.0, 0, 0], [1.0, 1, 0], [1.0, 0, 2], [1.0, 1, 2], [0, 0, -1.0]])
    return wv


def test_queries(toy):
    assert torch.equal(toy.vector("king"), torch.tensor([1.0, 0, 2]))
    assert toy.similarity("man", "man") == pytest.approx(1.0)
    assert toy.similarity("king", "apple") < 0
    assert toy.most_similar("man", 1)[0][0] == "woman"
    assert [w for w, _ in toy.most_similar("man", 10)] == ["woman", "king", "queen", "apple"]  # never itself
    assert toy.analogy("man", "woman", "king")[0][0] == "queen"


def test_unknown_word_is_named(toy):
    for query in (lambda: toy.vector("quen"), lambda: toy.most_similar("quen"), lambda: toy.analogy("man", "quen", "king")):
        with pytest.raises(UnknownWordError, match="'quen' is not in the vocabulary.*queen"):
            query()
    with pytest.raises(KeyError):  # an UnknownWordError is a KeyError, as for a dict
        toy.similarity("man", "nobody")


def test_fresh_model_without_vocabulary_says_so():
    with pytest.raises(RuntimeError, match="no vocabulary"):
        zoo.create("skipgram_dictcorpus", vocab_size=3, dim=2).vector("a")
    with pytest.raises(ValueError, match="2 words but the model has 3 vectors"):
        zoo.create("skipgram_dictcorpus", vocab_size=3, dim=2).set_vocabulary(["a", "b"])


def test_word2vec_text_format(toy, tmp_path):
    path = tmp_path / "vectors.txt"
    toy.save_word2vec_format(path)
    header, *rows = path.read_text().splitlines()
    assert header == "5 3"
    parsed = {r.split()[0]: [float(x) for x in r.split()[1:]] for r in rows}
    assert parsed["queen"] == [1.0, 1.0, 2.0] and list(parsed) == toy.words
    assert [p.name for p in tmp_path.iterdir()] == ["vectors.txt"]  # no temporary file left


def test_spearman_matches_scipy_definition():
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # ties get their average rank: ranks (1, 2.5, 2.5, 4) against (1, 3, 2, 4)
    assert spearman([1, 2, 2, 3], [1, 3, 2, 4]) == pytest.approx(0.9486832980505138)


def test_similarity_and_analogy_evaluation(toy, tmp_path):
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("# comment\nman\twoman\t9\nMAN\tking\t5\nking\tapple\t0\nman\tnobody\t3\n")
    r = word_similarity(toy, pairs)
    assert r == {"spearman": pytest.approx(1.0), "pairs": 3, "skipped": 1}
    questions = tmp_path / "q.txt"
    questions.write_text(": family\nman woman king queen\nwoman man queen king\nman king woman apple\nman x y z\n")
    r = analogy_accuracy(toy, questions)
    assert r == {"accuracy": pytest.approx(2 / 3), "questions": 3, "skipped": 1}


def test_pretrained_vectors_load_with_their_vocabulary():
    rec = zoo.info("skipgram_dictcorpus")
    wv = zoo.load("skipgram_dictcorpus")
    assert len(wv.words) == wv.embedding.num_embeddings == rec["config"]["vocab_size"]
    assert wv.embedding.weight.dtype == torch.float32
    assert wv.counts == sorted(wv.counts, reverse=True) and wv.counts[-1] >= 5 and "the" in wv
    assert rec["size"] < 10 * 2**20
    neighbours = [w for w, _ in wv.most_similar("king", 20)]
    assert {"queen", "monarch", "prince", "sovereign", "kingdom"} & set(neighbours)


def test_tampered_vocabulary_is_refused(tmp_path, monkeypatch):
    import shutil

    shutil.copytree(REPO / "weights" / "skipgram_dictcorpus", tmp_path / "skipgram_dictcorpus")
    vocab = tmp_path / "skipgram_dictcorpus" / "vocab.json"
    vocab.write_text(vocab.read_text().replace('"king"', '"kong"'))
    monkeypatch.setenv("ZOO_WEIGHTS_DIR", str(tmp_path))
    with pytest.raises(zoo.IntegrityError, match="vocab.json"):
        zoo.load("skipgram_dictcorpus")


@pytest.mark.skipif(not (SHARED_DATA / "text" / "eval").is_dir(), reason=f"the evaluation sets are not at {SHARED_DATA}")
def test_pretrained_vectors_meet_gensim_on_the_full_evaluation_sets():
    measured = word_vector_metrics(zoo.load("skipgram_dictcorpus"), SHARED_DATA / "text" / "eval")
    recorded = zoo.info("skipgram_dictcorpus")["metrics"]
    for k, target in GENSIM.items():
        assert measured[k] == pytest.approx(recorded[k], abs=1e-6)
        assert measured[k] >= target, f"{k}: {measured[k]:.4f} < gensim's {target}"
