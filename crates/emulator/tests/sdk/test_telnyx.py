"""Telnyx's own Python SDK (`telnyx` from PyPI) against the emulator's Telnyx."""

import pytest
import telnyx


def client(emulator, key=None):
    return telnyx.Telnyx(
        api_key=key or emulator["telnyx_key"], base_url=emulator["url"] + "/v2", max_retries=0
    )


def test_search_order_fetch_list_update_release(emulator):
    c = client(emulator)
    found = c.available_phone_numbers.list(
        filter={"country_code": "US", "national_destination_code": "312", "features": ["voice"], "limit": 5}
    ).data
    assert len(found) == 5
    assert all(n.phone_number.startswith("+1312") for n in found)
    number, other = found[0].phone_number, found[1].phone_number

    held = c.number_reservations.create(phone_numbers=[{"phone_number": other}]).data
    assert held.status == "success"
    assert c.number_reservations.retrieve(held.id).data.phone_numbers[0].phone_number == other

    order = c.number_orders.create(phone_numbers=[{"phone_number": number}]).data
    assert order.status == "pending"
    assert c.number_orders.retrieve(order.id).data.status == "success"

    listed = list(c.phone_numbers.list(filter={"phone_number": number}))
    assert [n.phone_number for n in listed] == [number]
    record = listed[0]
    assert record.status == "active"
    assert c.phone_numbers.retrieve(record.id).data.phone_number == number

    c.phone_numbers.update(record.id, customer_reference="Front desk")
    assert c.phone_numbers.retrieve(record.id).data.customer_reference == "Front desk"

    # A double order of the same number is refused.
    with pytest.raises(telnyx.UnprocessableEntityError):
        c.number_orders.create(phone_numbers=[{"phone_number": number}])

    deleted = c.phone_numbers.delete(record.id).data
    assert deleted.status == "deleted"
    with pytest.raises(telnyx.NotFoundError):
        c.phone_numbers.retrieve(record.id)


def test_bad_credentials(emulator):
    with pytest.raises(telnyx.AuthenticationError):
        list(client(emulator, key="KEYnope").phone_numbers.list())
