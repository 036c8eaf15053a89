"""Memory-augmented networks (ch. 12): the generated tasks, the NTM and DNC cores, and the published entries."""
import pytest
import torch

import zoo
from zoo.babi import TASKS, Line, babi_stories, format_babi, parse_babi, tokenize, vocabulary
from zoo.data import associative_recall, copy_inputs, copy_task

published = set(zoo.list_models(pretrained=True))
needs = lambda name: pytest.mark.skipif(name not in published, reason=f"{name} has no published weights")  # noqa: E731


def test_copy_task_layout_and_seed():
    inputs, targets = copy_task(3, 5, seed=1)
    assert inputs.shape == (3, 11, 9) and targets.shape == (3, 11, 8)
    assert torch.equal(inputs[:, 5], torch.eye(9)[8].expand(3, -1))  # the delimiter, alone on its channel
    assert torch.equal(targets[:, 6:], inputs[:, :5, :8]) and not targets[:, :6].any() and not inputs[:, 6:].any()
    assert torch.equal(copy_inputs(inputs[:, :5, :8]), inputs)
    assert torch.equal(copy_task(3, 5, seed=1)[0], inputs) and not torch.equal(copy_task(3, 5, seed=2)[0], inputs)
    with pytest.raises(ValueError, match="at least one vector"):
        copy_task(1, 0)


def test_associative_recall_answers_with_the_item_after_the_query():
    inputs, targets = associative_recall(50, 4, seed=0)
    assert inputs.shape == (50, 23, 8) and targets.shape == (50, 23, 6)
    items = torch.stack([inputs[:, i * 4 + 1 : i * 4 + 4, :6] for i in range(4)], 1)  # (n, items, 3, 6)
    query = inputs[:, 17:20, :6]
    for n in range(50):
        asked = next(i for i in range(3) if torch.equal(items[n, i], query[n]))
        assert torch.equal(targets[n, -3:], items[n, asked + 1])
    assert inputs[:, 16, 7].all() and inputs[:, [0, 4, 8, 12], 6].all()
    with pytest.raises(ValueError, match="at least 2 items"):
        associative_recall(1, 1)


@pytest.mark.parametrize("name", ["ntm_copy", "dnc_copy"])
def test_memory_cores_keep_sequences_apart_and_weightings_sum_to_one(name):
    torch.manual_seed(0)
    model = zoo.create(name, slots=16).eval()
    inputs, _ = copy_task(3, 4, seed=0)
    with torch.no_grad():
        logits, weights = model(inputs, return_weights=True)
        alone = model(inputs[1:2])
    assert torch.allclose(logits[1:2], alone, atol=1e-5)  # nothing leaks across the batch
    assert weights["write"].shape == (3, 9, 16) and weights["read"].shape == (3, 9, 1, 16)
    for w in weights.values():  # the DNC may write, and read along its links, less than one slot's worth
        assert (w >= 0).all() and (w.sum(-1) <= 1 + 1e-4).all()
        assert name == "dnc_copy" or torch.allclose(w.sum(-1), torch.ones_like(w.sum(-1)), atol=1e-4)


def test_copy_checks_its_input():
    model = zoo.create("ntm_copy", slots=16)
    assert model.copy(torch.randint(0, 2, (2, 3, 8))).shape == (2, 3, 8)
    with pytest.raises(ValueError, match=r"\(B, T, 8\)"):
        model.copy(torch.zeros(2, 3, 7))
    with pytest.raises(ValueError, match="only 0 and 1"):
        model.copy(torch.full((1, 3, 8), 0.5))
    with pytest.raises(TypeError, match="torch.Tensor"):
        model.copy([[0] * 8])


def test_babi_generator_is_seeded_consistent_and_in_babi_format():
    for task in TASKS:
        stories = babi_stories(task, "test", 200)
        assert stories == babi_stories(task, "test", 200) and stories != babi_stories(task, "train", 200)
        assert parse_babi(format_babi(stories)) == stories
        for story in stories:
            assert sum(line.is_question for line in story) == 5
            for line in story:
                assert set(tokenize(line.text)) <= set(vocabulary())
                if line.is_question:  # the supporting facts hold the answer (or, for yes/no, the place asked)
                    facts = " ".join(story[i - 1].text for i in line.supports)
                    place = line.text.split()[-1].rstrip("?") if task == 6 else line.answer
                    assert (place in facts) == (line.answer != "no"), (task, line, facts)
    assert len(babi_stories(1, "train")) == 10_000 and len(babi_stories(6, "test")) == 1_000


def test_babi_reader_reads_the_real_format():
    real = ("1 Mary moved to the bathroom.\n2 John went to the hallway.\n3 Where is Mary? \tbathroom\t1\n"
            "1 Daniel went back to the hallway.\n2 Is Daniel in the office? \tno\t1\n")
    stories = parse_babi(real)
    assert len(stories) == 2 and stories[0][2] == Line(3, "Where is Mary?", "bathroom", (1,))
    assert stories[1][1].answer == "no" and not stories[1][0].is_question
    with pytest.raises(ValueError, match="bAbI's format"):
        parse_babi("Mary moved to the bathroom.\n")
    with pytest.raises(ValueError, match="no generator for bAbI task 3"):
        babi_stories(3, "train")


def test_story_reader_answers_with_a_word_and_names_unknown_words():
    model = zoo.create("dnc_babi").eval()
    answer, weights = model.answer("Mary moved to the bathroom. John went to the hallway.", "Where is Mary?",
                                   return_weights=True)
    assert answer in model.words and weights["write"].shape == (1, 3, 32) and weights["read"].shape == (1, 3, 2, 32)
    with pytest.raises(ValueError, match="unknown words \\['bob'\\]"):
        model.answer("Bob moved to the office.", "Where is Bob?")
    with pytest.raises(TypeError, match="story must be"):
        model.answer(3, "Where is Mary?")


@needs("ntm_copy")
def test_ntm_copies_a_sequence_twice_as_long_as_any_it_saw():
    bits = torch.randint(0, 2, (20, 40, 8), generator=torch.Generator().manual_seed(123))
    copied = zoo.load("ntm_copy").copy(bits)
    assert (copied != bits).float().mean() <= 0.02


@needs("dnc_copy")
def test_dnc_copies_a_sequence_twice_as_long_as_any_it_saw():
    bits = torch.randint(0, 2, (20, 40, 8), generator=torch.Generator().manual_seed(123))
    copied, weights = zoo.load("dnc_copy").copy(bits, return_weights=True)
    assert (copied != bits).float().mean() <= 0.02 and weights["write"].shape == (20, 81, 128)


@needs("dnc_babi")
def test_dnc_answers_questions_about_a_story():
    model = zoo.load("dnc_babi")
    story = "Mary moved to the bathroom. John went to the hallway. Mary travelled to the office."
    assert model.answer(story, "Where is Mary?") == "office"
    assert model.answer(story, "Is John in the hallway?") == "yes"
