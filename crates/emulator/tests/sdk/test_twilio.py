"""Twilio's own Python SDK (`twilio` from PyPI) against the emulator's Twilio."""

import pytest
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client


def client(emulator, token=None):
    c = Client(emulator["twilio_sid"], token or emulator["twilio_token"])
    # The SDK builds every URL from its domain's base URL: point it at the emulator.
    c.api.base_url = emulator["url"]
    return c


def test_search_buy_fetch_list_update_release(emulator):
    c = client(emulator)
    found = c.available_phone_numbers("US").local.list(area_code=415, voice_enabled=True, limit=5)
    assert len(found) == 5
    assert all(n.phone_number.startswith("+1415") for n in found)
    number = found[0].phone_number

    bought = c.incoming_phone_numbers.create(phone_number=number)
    assert bought.phone_number == number
    assert bought.sid.startswith("PN") and len(bought.sid) == 34

    fetched = c.incoming_phone_numbers(bought.sid).fetch()
    assert fetched.phone_number == number
    listed = c.incoming_phone_numbers.list(phone_number=number)
    assert [n.sid for n in listed] == [bought.sid]

    updated = c.incoming_phone_numbers(bought.sid).update(friendly_name="Front desk")
    assert updated.friendly_name == "Front desk"
    assert c.incoming_phone_numbers(bought.sid).fetch().friendly_name == "Front desk"

    # A double buy is Twilio's 21422.
    with pytest.raises(TwilioRestException) as taken:
        c.incoming_phone_numbers.create(phone_number=number)
    assert (taken.value.status, taken.value.code) == (400, 21422)

    assert c.incoming_phone_numbers(bought.sid).delete() is True
    with pytest.raises(TwilioRestException) as gone:
        c.incoming_phone_numbers(bought.sid).fetch()
    assert (gone.value.status, gone.value.code) == (404, 20404)


def test_bad_credentials(emulator):
    bad = client(emulator, token="0" * 32)
    with pytest.raises(TwilioRestException) as refused:
        bad.incoming_phone_numbers("PN" + "0" * 32).fetch()
    assert (refused.value.status, refused.value.code) == (401, 20003)
    # A list page the SDK cannot fetch is its plain TwilioException, carrying the answer.
    with pytest.raises(TwilioException) as unlisted:
        bad.incoming_phone_numbers.list()
    assert unlisted.value.args[1].status_code == 401
