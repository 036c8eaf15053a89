"""bAbI-style question answering (Weston et al. 2015): a seeded generator of stories in bAbI's own text
format for task 1 (single supporting fact), task 2 (two supporting facts) and task 6 (yes/no questions),
and a reader of that format that reads the real bAbI files unchanged.

    stories = babi_stories(2, "train")        # 10,000 stories, the same on every machine
    print(format_babi(stories[:1]))
    # 1 Mary moved to the bathroom.
    # 2 Mary got the football there.
    # ...
    # 5 Where is the football?	bathroom	4 2
    stories = read_babi("tasks_1-20_v1-2/en-10k/qa1_single-supporting-fact_train.txt")

A story is a list of `Line`s; a question line has its answer and the ids of its supporting facts.
Numbering restarts at 1 with each story, as in bAbI's files.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

TASKS = {1: "single-supporting-fact", 2: "two-supporting-facts", 6: "yes-no-questions"}
SPLITS = {"train": 10_000, "test": 1_000}
PEOPLE = ("Mary", "John", "Daniel", "Sandra")
PLACES = ("bathroom", "bedroom", "garden", "hallway", "kitchen", "office")
OBJECTS = ("apple", "football", "milk")
MOVES = ("moved to", "went to", "journeyed to", "travelled to", "went back to")
TAKES = ("got", "grabbed", "picked up", "took")
DROPS = ("dropped", "discarded", "put down", "left")
QUESTIONS_PER_STORY = 5


@dataclass(frozen=True)
class Line:
    id: int
    text: str
    answer: str | None = None  # None for a statement
    supports: tuple[int, ...] = ()

    @property
    def is_question(self) -> bool:
        return self.answer is not None


def tokenize(text: str) -> list[str]:
    """Lowercase words; the full stop and question mark are dropped (a question is known by its line)."""
    return re.findall(r"[a-z]+", text.lower())


def vocabulary() -> list[str]:
    """Every word the generated stories, questions and answers use, sorted."""
    words = {"where", "is", "the", "in", "there", "yes", "no", *map(str.lower, PEOPLE), *PLACES, *OBJECTS}
    for phrase in MOVES + TAKES + DROPS:
        words.update(phrase.split())
    return sorted(words)


def babi_stories(task: int, split: str, n: int | None = None, seed: int | None = None) -> list[list[Line]]:
    """`n` stories (default: 10,000 for train, 1,000 for test) of bAbI task `task` (1, 2 or 6), each with
    five questions, drawn from a seed fixed by the task and split unless `seed` is given."""
    if task not in TASKS:
        raise ValueError(f"no generator for bAbI task {task}; available: {', '.join(map(str, TASKS))}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; available: {', '.join(SPLITS)}")
    rng = random.Random(seed if seed is not None else 1000 * task + list(SPLITS).index(split))
    return [_story(task, rng) for _ in range(n if n is not None else SPLITS[split])]


def _story(task: int, rng: random.Random) -> list[Line]:
    lines: list[Line] = []
    where: dict[str, tuple[str, int]] = {}  # person -> (place, id of the line that put them there)
    held: dict[str, tuple[str, int]] = {}  # object -> (holder, id of the line they took it)
    dropped: dict[str, tuple[str, int, int]] = {}  # object -> (place, id of the drop, id of the holder's move)

    def say(text, answer=None, supports=()):
        lines.append(Line(len(lines) + 1, text, answer, tuple(supports)))

    def move():
        person = rng.choice(PEOPLE)
        place = rng.choice([p for p in PLACES if p != where.get(person, ("",))[0]])
        say(f"{person} {rng.choice(MOVES)} the {place}.")
        where[person] = (place, len(lines))

    def handle_object():
        placed = [p for p in PEOPLE if p in where]
        holders = [p for p in placed if any(h == p for h, _ in held.values())]
        free = [o for o in OBJECTS if o not in held]
        if holders and (not free or rng.random() < 0.5):
            person = rng.choice(holders)
            obj = rng.choice([o for o, (h, _) in held.items() if h == person])
            say(f"{person} {rng.choice(DROPS)} the {obj}.")
            dropped[obj] = (where[person][0], len(lines), where[person][1])
            del held[obj]
        elif placed and free:
            person, obj = rng.choice(placed), rng.choice(free)
            say(f"{person} {rng.choice(TAKES)} the {obj} there.")
            held[obj] = (person, len(lines))
            dropped.pop(obj, None)
        else:
            move()

    for _ in range(QUESTIONS_PER_STORY):
        if task == 2:
            for _ in range(rng.randint(2, 4)):
                move() if not where or rng.random() < 0.5 else handle_object()
            known = [o for o in OBJECTS if o in held or o in dropped]
            if not known:  # put an object in someone's hands, so that there is something to ask
                person, obj = rng.choice(list(where)), rng.choice(OBJECTS)
                say(f"{person} {rng.choice(TAKES)} the {obj} there.")
                held[obj] = (person, len(lines))
                known = [obj]
            obj = rng.choice(known)
            if obj in held:
                holder, took = held[obj]
                place, moved = where[holder]
                supports = sorted((took, moved))
            else:
                place, drop, moved = dropped[obj]
                supports = sorted((drop, moved))
            say(f"Where is the {obj}?", place, supports)
            continue
        move(), move()
        person = rng.choice(list(where))
        place, moved = where[person]
        if task == 1:
            say(f"Where is {person}?", place, [moved])
        else:
            asked = place if rng.random() < 0.5 else rng.choice([p for p in PLACES if p != place])
            say(f"Is {person} in the {asked}?", "yes" if asked == place else "no", [moved])
    return lines


def format_babi(stories: list[list[Line]]) -> str:
    """The stories in bAbI's text format: "id statement", or "id question<TAB>answer<TAB>supporting ids"."""
    out = []
    for story in stories:
        for line in story:
            if line.is_question:
                out.append(f"{line.id} {line.text} \t{line.answer}\t{' '.join(map(str, line.supports))}")
            else:
                out.append(f"{line.id} {line.text}")
    return "\n".join(out) + "\n"


def parse_babi(text: str) -> list[list[Line]]:
    """Stories from text in bAbI's format (a line numbered 1 starts a new story)."""
    stories: list[list[Line]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        head, _, rest = raw.partition(" ")
        if not head.isdigit() or not rest:
            raise ValueError(f"line {number} is not in bAbI's format (\"id text\"): {raw[:60]!r}")
        if int(head) == 1 or not stories:
            stories.append([])
        if "\t" in rest:
            question, answer, supports = (rest.split("\t") + [""])[:3]
            stories[-1].append(Line(int(head), question.strip(), answer.strip(), tuple(map(int, supports.split()))))
        else:
            stories[-1].append(Line(int(head), rest.strip()))
    return stories


def read_babi(path) -> list[list[Line]]:
    """Stories from a bAbI file, the real ones (e.g. qa1_single-supporting-fact_train.txt) included."""
    return parse_babi(Path(path).read_text())

