import pytest
from django.core.exceptions import ImproperlyConfigured

from peerbridge.core.env import env_bool, env_int, env_list, env_str
from peerbridge.core.keys import development_key, validate_fernet_keys


def test_required_string_names_the_variable_when_missing() -> None:
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY is required"):
        env_str("SECRET_KEY", environ={})


@pytest.mark.parametrize(
    ("raw", "value"), [("true", True), ("0", False), ("On", True), ("", False)]
)
def test_booleans_accept_the_usual_spellings(raw: str, value: bool) -> None:
    assert env_bool("DEBUG", not value, environ={"DEBUG": raw}) is value


def test_a_misspelt_boolean_fails_loud() -> None:
    with pytest.raises(ImproperlyConfigured, match="DEBUG must be true or false"):
        env_bool("DEBUG", False, environ={"DEBUG": "yess"})


def test_integers_are_checked() -> None:
    assert env_int("PORT", 5, environ={"PORT": "587"}) == 587
    with pytest.raises(ImproperlyConfigured, match="whole number"):
        env_int("PORT", 5, environ={"PORT": "five"})
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int("PORT", 5, minimum=1, environ={"PORT": "0"})


def test_lists_split_on_commas_and_drop_blanks() -> None:
    assert env_list("HOSTS", environ={"HOSTS": "a.org, b.org,,"}) == ["a.org", "b.org"]
    assert env_list("HOSTS", ["x"], environ={}) == ["x"]


def test_encryption_keys_must_be_fernet_keys() -> None:
    good = development_key("some secret")
    assert validate_fernet_keys([good, good], variable="K") == [good, good]
    with pytest.raises(ImproperlyConfigured, match="Key 2 in K is not a Fernet key"):
        validate_fernet_keys([good, "short"], variable="K")
    with pytest.raises(ImproperlyConfigured, match="at least one key"):
        validate_fernet_keys([], variable="K")
