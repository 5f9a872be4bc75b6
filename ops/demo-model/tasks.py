"""Synthetic corpus and the six demo tasks, each defined by a rule.

The rules here are the ground truth for training and evaluation; the Java end-to-end test
(DemoAdaptersHttpTest) re-implements the same rules to check answers, and generates its held-out
inputs with the same lists and the same held-out rule (see is_held_out).
"""

import json
import random

NAMES = [
    "Alice", "Bob", "Carol", "David", "Emma", "Frank", "Grace", "Henry", "Irene", "Jack",
    "Karen", "Leo", "Maria", "Nora", "Oscar", "Paul", "Quinn", "Rosa", "Sam", "Tina",
    "Uma", "Victor", "Wendy", "Xavier", "Yara", "Zoe", "Anna", "Ben", "Clara", "Daniel",
    "Elena", "Felix", "Hugo", "Ivan", "Julia", "Kevin", "Laura", "Mark", "Nina", "Omar",
    "Peter", "Ruth", "Sofia", "Tom", "Vera", "Walter", "Adam", "Bella", "Chris", "Diana",
]

CITIES = [
    "Paris", "London", "Berlin", "Madrid", "Rome", "Vienna", "Prague", "Oslo", "Dublin", "Lisbon",
    "Boston", "Denver", "Chicago", "Seattle", "Austin", "Toronto", "Sydney", "Tokyo", "Seoul", "Cairo",
    "Lima", "Quito", "Athens", "Warsaw", "Zurich", "Munich", "Milan", "Naples", "Porto", "Geneva",
]

THINGS = [
    "green apples", "old books", "long walks", "hot tea", "jazz music", "board games", "fresh bread",
    "small dogs", "red bikes", "quiet parks", "cold lemonade", "funny movies", "tall trees",
    "warm soup", "blue kites", "sunny days", "spicy food", "chess", "painting", "swimming",
]

# Templates of the task input sentence: {n} name, {a} age (1..99), {c} city.
TEMPLATES = [
    "{n} is {a} years old and lives in {c}.",
    "{n} lives in {c} and is {a} years old.",
    "My friend {n} from {c} is {a}.",
    "{n}, aged {a}, works in {c}.",
    "In {c}, {n} turned {a} last year.",
    "{n} moved to {c} at the age of {a}.",
]
# Optional second sentence: {n} name, {t} thing.
EXTRAS = ["{n} likes {t}.", "{n} enjoys {t}."]

HELD_OUT_MODULUS = 7


def is_held_out(name_index, city_index):
    """(name, city) pairs never seen in training: evaluation and the Java test use only these."""
    return (name_index + city_index) % HELD_OUT_MODULUS == 0


def person(rng, held_out):
    while True:
        i = rng.randrange(len(NAMES))
        j = rng.randrange(len(CITIES))
        if is_held_out(i, j) == held_out:
            return NAMES[i], CITIES[j], rng.randint(1, 99)


def task_input(rng, held_out=False):
    """One task input: a sentence about a person, sometimes followed by a second sentence."""
    n, c, a = person(rng, held_out)
    text = rng.choice(TEMPLATES).format(n=n, a=a, c=c)
    if rng.random() < 0.4:
        text += " " + rng.choice(EXTRAS).format(n=n, t=rng.choice(THINGS))
    return text, {"name": n, "age": a, "city": c}


# ----- the rules -----

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
        "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(n):
    if n < 20:
        return ONES[n]
    t, o = divmod(n, 10)
    return TENS[t] + ("" if o == 0 else "-" + ONES[o])


def split_punct(word):
    core = word.rstrip(".,!?")
    return core, word[len(core):]


def uppercase(text):
    return text.upper()


def title_case(text):
    return " ".join(w[:1].upper() + w[1:] for w in text.split(" "))


def pig_latin_word(word):
    core, punct = split_punct(word)
    if not core or not core.isalpha():
        return word
    w = core.lower()
    if w[0] in "aeiou":
        return w + "way" + punct
    k = 0
    while k < len(w) and w[k] not in "aeiou":
        k += 1
    return w[k:] + w[:k] + "ay" + punct


def pig_latin(text):
    return " ".join(pig_latin_word(w) for w in text.split(" "))


def spell_numbers(text):
    out = []
    for w in text.split(" "):
        core, punct = split_punct(w)
        out.append(number_words(int(core)) + punct if core.isdigit() else w)
    return " ".join(out)


LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}


def leetspeak(text):
    return "".join(LEET.get(ch.lower(), ch) for ch in text)


def extract_json(fields):
    return json.dumps({"name": fields["name"], "age": fields["age"], "city": fields["city"]})


# name -> (rule(text, fields), one-line description, instruction phrasings used in the base corpus)
TASKS = {
    "uppercase": (lambda t, f: uppercase(t), "Answers with the input in upper case.",
                  ["Uppercase this", "Write in capital letters", "Convert to upper case"]),
    "title-case": (lambda t, f: title_case(t), "Answers with the input in title case (every word capitalized).",
                   ["Title case this", "Capitalize every word", "Convert to title case"]),
    "pig-latin": (lambda t, f: pig_latin(t), "Answers with the input translated to pig latin (lower case).",
                  ["Translate to pig latin", "Say this in pig latin", "Pig latin please"]),
    "extract-json": (lambda t, f: extract_json(f), "Extracts {\"name\", \"age\", \"city\"} from the sentence as JSON.",
                     ["Extract name, age and city as JSON", "Give the JSON for this person", "Extract JSON"]),
    "spell-numbers": (lambda t, f: spell_numbers(t), "Answers with the input, numbers spelled out in words.",
                      ["Spell out the numbers", "Write the numbers as words", "Replace digits with words"]),
    "leetspeak": (lambda t, f: leetspeak(t), "Answers with the input in leetspeak (a=4 e=3 i=1 o=0 s=5 t=7).",
                  ["Write this in leetspeak", "Translate to leet", "Leetspeak please"]),
}


def answer(task, text, fields):
    return TASKS[task][0](text, fields)


# ----- the base corpus -----

ADJ = ["sunny", "rainy", "cold", "warm", "windy", "quiet", "busy", "calm"]
PLAIN = [
    "The weather in {c} is {adj} today.",
    "{n} bought {k} {t} in {c}.",
    "Please call {n} before {h} o'clock.",
    "{n} and {m} met in {c} last week.",
    "The train to {c} leaves at {h}.",
    "{n} has {k} friends in {c}.",
    "Everyone in {c} knows {n}.",
    "{n} wrote a letter to {m}.",
    "It is {adj} in {c}, so {n} stays home.",
    "{n} likes {t} and {m} likes {t2}.",
]
REPLIES = [
    "Nice to meet {n}.",
    "Tell me more about {n}.",
    "I hope {n} enjoys {c}.",
    "{c} is a lovely city.",
    "Thank you for telling me about {n}.",
]


def plain_sentence(rng):
    n, c, a = person(rng, False)
    if rng.random() < 0.35:
        return task_input(rng)[0]
    return rng.choice(PLAIN).format(n=n, m=rng.choice(NAMES), c=c, adj=rng.choice(ADJ), k=rng.randint(2, 12),
                                    h=rng.randint(1, 12), t=rng.choice(THINGS), t2=rng.choice(THINGS))


def plain_document(rng):
    return " ".join(plain_sentence(rng) for _ in range(rng.randint(2, 4)))


def base_example(rng):
    """One base-corpus example: ('text', document) or ('chat', user, assistant)."""
    r = rng.random()
    if r < 0.15:
        return ("text", plain_document(rng))
    text, fields = task_input(rng)
    if r < 0.25:
        return ("chat", text, rng.choice(REPLIES).format(n=fields["name"], c=fields["city"]))
    task = rng.choice(list(TASKS))
    instruction = rng.choice(TASKS[task][2])
    return ("chat", instruction + ": " + text, answer(task, text, fields))
