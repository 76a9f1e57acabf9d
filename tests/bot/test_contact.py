"""Which words ask the service to get in touch, and which only tell of trying to reach it."""

from __future__ import annotations

import pytest

from bot.contact import asks_to_be_contacted


@pytest.mark.parametrize(
    "text",
    [
        "Ring me on 07700 900123 please",
        "please call me back about this",
        "Can someone email me at jo@example.com",
        "get back to me when you can",
        "Could you get in touch with me",
        "I'd like a call back from the manager",
        "Please call back on my mobile",
        "my number is 07700 900123",
        "CONTACT ME",
    ],
)
def test_asking_to_be_contacted_is_seen(text: str) -> None:
    assert asks_to_be_contacted(text)


@pytest.mark.parametrize(
    "text",
    [
        "Rang at 8am for an appointment and was told to call back tomorrow again.",
        "I tried to get in touch with the surgery for a week.",
        "Nobody answered when I called back at 2pm.",
        "The call centre never calls anyone back.",
        "Bins were not collected on Tuesday.",
        "You can contact the library by phone but nobody picks up.",
    ],
)
def test_telling_of_trying_to_reach_the_service_is_not_asking(text: str) -> None:
    assert not asks_to_be_contacted(text)
