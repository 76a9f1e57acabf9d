"""The error answers the Bot API gives, as one exception type the server turns into JSON."""

from __future__ import annotations

import math
from typing import Any


class ApiError(Exception):
    """A Bot API failure: HTTP status, Telegram's description, optional `parameters`."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def to_json(self) -> dict[str, Any]:
        """The response body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(what: str) -> ApiError:
    """400 with Telegram's "Bad Request: " prefix."""
    return ApiError(400, f"Bad Request: {what}")


def forbidden(what: str) -> ApiError:
    """403 with Telegram's "Forbidden: " prefix."""
    return ApiError(403, f"Forbidden: {what}")


def conflict(what: str) -> ApiError:
    """409 with Telegram's "Conflict: " prefix."""
    return ApiError(409, f"Conflict: {what}")


def too_many_requests(wait: float) -> ApiError:
    """429 telling the caller how many whole seconds to wait (at least 1, rounded up)."""
    seconds = max(1, math.ceil(wait))
    return ApiError(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})


def migrated(new_chat_id: int) -> ApiError:
    """400 for a call on a group that became a supergroup, naming its new id."""
    return ApiError(
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        {"migrate_to_chat_id": new_chat_id},
    )


UNAUTHORIZED = ApiError(401, "Unauthorized")
NOT_FOUND = ApiError(404, "Not Found")

CHAT_NOT_FOUND = "chat not found"
BLOCKED = "bot was blocked by the user"
KICKED = "bot was kicked from the group chat"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
