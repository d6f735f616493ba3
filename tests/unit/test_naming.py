"""Clone identifiers from the clone-id template: reduction, shortening, and refusals."""

from __future__ import annotations

import re

import pytest

from clone_action.config import DEFAULT_CLONE_ID, is_identifier
from clone_action.errors import InputError
from clone_action.naming import expand_clone_id, instance_id, reduce

REPOSITORY = "acme/shop"


def expand(
    template: str = DEFAULT_CLONE_ID, source: str = "prod", pr: int = 7, repository: str = REPOSITORY
) -> str:
    return expand_clone_id(template, source=source, pr=pr, repository=repository)


def test_default_template() -> None:
    assert expand() == "prod-pr-7"


@pytest.mark.parametrize(
    ("template", "source", "repository", "expected"),
    [
        (DEFAULT_CLONE_ID, "Prod_DB.v2", REPOSITORY, "prod-db-v2-pr-7"),
        (DEFAULT_CLONE_ID, "PROD", REPOSITORY, "prod-pr-7"),
        ("{owner}-{repo}-pr-{pr}", "prod", "Acme_Corp/My.Shop__App", "acme-corp-my-shop-app-pr-7"),
        ("{repo}-{pr}", "prod", "acme/shop", "shop-7"),
        ("Preview-{source}-{pr}", "prod", REPOSITORY, "preview-prod-7"),
        ("{source}-{repo}-pr-{pr}", "prod", "acme/.shop.", "prod-shop-pr-7"),
    ],
)
def test_placeholders_are_reduced_and_the_result_lower_cased(
    template: str, source: str, repository: str, expected: str
) -> None:
    assert expand(template, source=source, repository=repository) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Feature/Checkout__Page.v2", "feature-checkout-page-v2"), ("--a//b--", "a-b"), ("ABC", "abc")],
)
def test_reduce_to_letters_digits_and_single_hyphens(value: str, expected: str) -> None:
    assert reduce(value) == expected


def test_a_default_id_of_exactly_63_characters_is_kept_as_it_is() -> None:
    source = "a" * 56
    assert expand(source=source, pr=100) == source + "-pr-100"


def test_a_long_default_id_is_shortened_with_a_hash_and_keeps_the_pr() -> None:
    source = "orders-" + "x" * 56  # 63 characters: a valid source whose default clone id is 68
    clone = expand(source=source, pr=1234)
    assert len(clone) <= 63
    assert re.fullmatch(r"orders-x+-[0-9a-f]{6}-pr-1234", clone), clone
    assert is_identifier(clone)
    assert clone == expand(source=source, pr=1234)  # stable across runs
    assert clone != expand(source=source, pr=1235)


def test_long_sources_that_differ_only_past_the_cut_give_different_ids() -> None:
    # Two valid 63-character sources: the shortened ids keep the same prefix, the hash tells them apart.
    first, second = "a" * 62 + "b", "a" * 62 + "c"
    assert expand(source=first) != expand(source=second)
    # And sources sharing their first 63 characters, longer than RDS allows.
    first, second = "s" * 63 + "-one", "s" * 63 + "-two"
    assert expand(source=first) != expand(source=second)
    assert all(len(expand(source=s)) <= 63 for s in (first, second))


def test_shortening_never_leaves_a_double_hyphen() -> None:
    clone = expand(source="a" * 50 + "-" + "b" * 20)
    assert "--" not in clone
    assert is_identifier(clone)


@pytest.mark.parametrize(
    ("template", "expanded"),
    [
        ("{pr}-db", "7-db"),
        ("clone--{pr}", "clone--7"),
        ("clone-{pr}-", "clone-7-"),
        ("clone_{pr}", "clone_7"),
        ("{source}-{source}-pr-{pr}", "p" * 30 + "-" + "p" * 30 + "-pr-7"),
    ],
    ids=["starts-with-digit", "double-hyphen", "trailing-hyphen", "underscore", "too-long"],
)
def test_an_explicit_template_that_gives_no_valid_identifier_is_an_input_error(
    template: str, expanded: str
) -> None:
    with pytest.raises(InputError) as caught:
        expand(template, source="p" * 30)
    assert caught.value.problems == [
        f"clone-id: the template {template!r} gives {expanded!r}, which is not a valid cluster identifier "
        "(1-63 letters, digits and hyphens, starting with a letter, no '--', no trailing '-'); "
        "change the template"
    ]


def test_the_exact_message_for_a_template_starting_with_a_digit() -> None:
    with pytest.raises(InputError) as caught:
        expand("{pr}-db")
    assert caught.value.problems == [
        "clone-id: the template '{pr}-db' gives '7-db', which is not a valid cluster identifier "
        "(1-63 letters, digits and hyphens, starting with a letter, no '--', no trailing '-'); "
        "change the template"
    ]


def test_an_explicit_template_of_exactly_63_characters_is_accepted() -> None:
    template = "c" * 61 + "{pr}"
    assert expand(template, pr=12) == "c" * 61 + "12"


def test_an_explicit_template_is_never_shortened() -> None:
    with pytest.raises(InputError):
        expand("c" * 61 + "{pr}", pr=123)


@pytest.mark.parametrize("clone", ["prod-pr-7", "a" * 63, "a" * 60 + "-pr", "a" * 61 + "-b"])
def test_instance_id_stays_a_valid_identifier_within_63_characters(clone: str) -> None:
    ident = instance_id(clone)
    assert len(ident) <= 63
    assert is_identifier(ident)
    assert ident.endswith("-1")


def test_instance_id_of_a_short_clone() -> None:
    assert instance_id("prod-pr-7") == "prod-pr-7-1"


def test_instance_ids_of_different_clones_differ() -> None:
    source = "a" * 56  # default ids 'a…a-pr-1' (61) and 'a…a-pr-100' (63) are not shortened
    clones = {expand(source=source, pr=pr) for pr in (1, 100, 101)}
    assert len({instance_id(clone) for clone in clones}) == len(clones)
