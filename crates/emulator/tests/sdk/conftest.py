"""The emulator the official SDKs talk to, as the Rust test that started it describes it."""

import os

import pytest


@pytest.fixture(scope="session")
def emulator():
    """Base URL and credentials of a running emulator (set by tests/official_sdks.rs)."""
    url = os.environ.get("EMULATOR_URL")
    if not url:
        pytest.fail("EMULATOR_URL is not set: run these through `cargo test --test official_sdks`")
    return {
        "url": url.rstrip("/"),
        "twilio_sid": os.environ["EMULATOR_TWILIO_ACCOUNT_SID"],
        "twilio_token": os.environ["EMULATOR_TWILIO_AUTH_TOKEN"],
        "plivo_id": os.environ["EMULATOR_PLIVO_AUTH_ID"],
        "plivo_token": os.environ["EMULATOR_PLIVO_AUTH_TOKEN"],
        "telnyx_key": os.environ["EMULATOR_TELNYX_API_KEY"],
    }
