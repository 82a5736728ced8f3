"""Plivo's own Python SDK (`plivo` from PyPI) against the emulator's Plivo."""

import plivo
import plivo.rest.client
import pytest
from plivo import exceptions


@pytest.fixture
def client(emulator):
    # The SDK resets its base URL from this module constant before every request.
    plivo.rest.client.PLIVO_API_BASE_URI = emulator["url"] + "/v1/Account"
    return lambda token=None: plivo.RestClient(emulator["plivo_id"], token or emulator["plivo_token"])


def test_search_buy_fetch_list_update_release(client):
    c = client()
    found = c.numbers.search(country_iso="US", type="local", pattern="212", limit=5)
    numbers = [n.number for n in found.objects]
    assert len(numbers) == 5 and all(n.startswith("1212") for n in numbers)
    number = numbers[0]

    bought = c.numbers.buy(number)
    assert bought.status == "fulfilled"
    assert bought.numbers[0]["status"] == "Success"

    assert c.numbers.get(number).number == number
    listed = c.numbers.list(number_startswith=number)
    assert [n.number for n in listed] == [number]

    c.numbers.update(number, alias="Front desk")
    assert c.numbers.get(number).alias == "Front desk"

    # A double buy: Plivo answers 404 for a number it will not rent.
    with pytest.raises(exceptions.ResourceNotFoundError):
        c.numbers.buy(number)

    c.numbers.delete(number)
    with pytest.raises(exceptions.ResourceNotFoundError):
        c.numbers.get(number)


def test_bad_credentials(client):
    bad = client("x" * 40)
    # Every call, the list included, ends in the SDK's own AuthenticationError.
    with pytest.raises(exceptions.AuthenticationError):
        bad.numbers.list()
    with pytest.raises(exceptions.AuthenticationError):
        bad.numbers.search(country_iso="US")
