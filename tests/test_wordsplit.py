"""The gated joined-word splitter: real symspellpy dictionary, no mocks."""

from __future__ import annotations

import pytest

from pipeline.wordsplit import is_plain_word, split_joined, valid_split, word_count


@pytest.mark.parametrize("word, expected", [
    ("manycases", "many cases"),
    ("furtherto", "further to"),
    ("informcustomer’s", "inform customer’s"),
    ("informcustomer's", "inform customer's"),
    ("aconcern", "a concern"),
    ("ourignorance", "our ignorance"),
    ("Ifany", "If any"),
    ("thecustomer", "the customer"),
    ("receivedthe", "received the"),
    ("eachorder", "each order"),
    ("listingswe", "listings we"),
    ("ourteam", "our team"),
])
def test_joined_words_are_split(word: str, expected: str) -> None:
    assert split_joined(word) == expected


@pytest.mark.parametrize("word", [
    "Rcently",  # a misspelling, not a join ("R cent ly")
    "recieved",
    "AtoZ", "AliExpress", "eBay", "iPhone",  # inner capitals: brands and names
    "ASIN", "FNSKU", "SKU", "ODR",  # acronyms
    "B0C1234XYZ", "24H", "113-1234567",  # IDs and numbers
    "https://sellercentral.amazon.com", "amazon.com", "me@example.com",
    "Shenzhen", "Huaqiang", "unboxing", "dropshippers",
    "abc", "",
])
def test_never_split(word: str) -> None:
    assert split_joined(word) is None


def test_protected_words_are_never_split() -> None:
    assert split_joined("ourteam", protected={"ourteam"}) is None
    assert split_joined("Sellercentral", protected={"sellercentral"}) is None


def test_checker_suggestion_is_used_when_valid() -> None:
    # symspellpy alone may not find it; a valid split suggested by the checker is used.
    assert split_joined("wehave", suggestions=["we have"]) == "we have"
    # A suggestion that changes letters is not a split.
    assert split_joined("Rcently", suggestions=["Re cently", "Recently"]) is None


def test_valid_split_rules() -> None:
    assert valid_split("manycases", "many cases")
    assert not valid_split("manycases", "many case s")  # a one-letter non-word
    assert not valid_split("manycases", "manycases")  # not a split
    assert not valid_split("manycases", "mani cases")  # letters changed
    assert not valid_split("abcdefghijkl", "a b c d")  # too many parts


def test_shapes_and_dictionary() -> None:
    assert is_plain_word("Ifany") and is_plain_word("customer’s")
    assert not is_plain_word("AtoZ") and not is_plain_word("B0C1") and not is_plain_word("a-b")
    assert word_count("customer") > 1_000_000
    assert word_count("manycases") == 0


@pytest.mark.parametrize("word, expected", [
    ("didn'tknow", "didn't know"),
    ("can’tfind", "can’t find"),
    ("I'mvery", "I'm very"),
    ("it'sthe", "it's the"),
    ("wouldn'tship", "wouldn't ship"),
])
def test_contraction_glued_to_next_word(word: str, expected: str) -> None:
    assert split_joined(word) == expected


@pytest.mark.parametrize("word", ["didn'tx", "o'clock", "rock'n'roll", "don'tASIN", "xyz'sabc"])
def test_contraction_shapes_not_split(word: str) -> None:
    assert split_joined(word) is None


def test_rare_dictionary_join_loses_to_two_common_words() -> None:
    # "belike" is in the frequency list (an archaic word, rare); "be like" is what a
    # writer meant: membership alone would keep it whole.
    assert 0 < word_count("belike") < 20_000
    assert split_joined("belike") == "be like"
    # A real word that is common stays whole even if both halves are words too.
    assert split_joined("together") is None


def test_glossary_words_are_never_split() -> None:
    # "chargeback" is "charge" + "back" to a splitter; it is an Amazon term (issue #17).
    assert split_joined("chargeback") == "charge back"
    assert split_joined("chargeback", protected={"chargeback"}) is None
    assert split_joined("Chargebacks", protected={"chargebacks"}) is None


def test_one_letter_parts() -> None:
    assert split_joined("interestion") is None  # not "interest i on"
    assert split_joined("aconcern") == "a concern"
