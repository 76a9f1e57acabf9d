"""Staff roles (moderators, providers' people) and the invitations that grant them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.db import stamp


@dataclass(frozen=True)
class StaffRole:
    """One active role held by one person."""

    id: int
    telegram_id: int
    role: str
    provider_id: str
    display_name: str
    granted_at: str


@dataclass(frozen=True)
class Invitation:
    """A one-time invitation to take a role."""

    token: str
    role: str
    provider_id: str
    created_by: int
    expires_at: str
    used_by: int | None


_ROLE_COLUMNS = "id, telegram_id, role, provider_id, display_name, granted_at"


async def active_roles(conn: aiosqlite.Connection, telegram_id: int) -> list[StaffRole]:
    """The roles a person holds now."""
    async with conn.execute(
        f"SELECT {_ROLE_COLUMNS} FROM staff WHERE telegram_id = ? AND revoked_at IS NULL",
        (telegram_id,),
    ) as cursor:
        return [StaffRole(*row) for row in await cursor.fetchall()]


async def everyone(conn: aiosqlite.Connection) -> list[StaffRole]:
    """Every active role, moderators first."""
    async with conn.execute(
        f"SELECT {_ROLE_COLUMNS} FROM staff WHERE revoked_at IS NULL"
        " ORDER BY role, provider_id, granted_at"
    ) as cursor:
        return [StaffRole(*row) for row in await cursor.fetchall()]


async def ever_held(conn: aiosqlite.Connection) -> list[int]:
    """Everyone who holds or once held a role, was named an admin or acted as one (their
    command menus, set in their chat, must follow what they may do now, also after a
    restart)."""
    async with conn.execute(
        "SELECT telegram_id FROM staff UNION SELECT telegram_id FROM admins_seen UNION"
        " SELECT actor FROM audit WHERE actor_role = 'admin' AND actor IS NOT NULL"
        " ORDER BY 1"
    ) as cursor:
        return [int(row[0]) for row in await cursor.fetchall()]


async def note_admins(conn: aiosqlite.Connection, admins: Iterable[int], now: datetime) -> None:
    """Remember that the deployment file names these people admins."""
    for telegram_id in admins:
        await conn.execute(
            "INSERT INTO admins_seen (telegram_id, first_seen) VALUES (?, ?)"
            " ON CONFLICT (telegram_id) DO NOTHING",
            (telegram_id, stamp(now)),
        )


async def end_providers_roles(
    conn: aiosqlite.Connection, kept: Sequence[str], now: datetime
) -> list[StaffRole]:
    """End every provider's role for a provider not in `kept`; return the roles ended."""
    marks = ", ".join("?" * len(kept)) or "''"
    async with conn.execute(
        f"SELECT {_ROLE_COLUMNS} FROM staff WHERE role = 'provider' AND revoked_at IS NULL"
        f" AND provider_id NOT IN ({marks}) ORDER BY id",
        tuple(kept),
    ) as cursor:
        ended = [StaffRole(*row) for row in await cursor.fetchall()]
    for role in ended:
        await revoke(conn, role.id, now)
    return ended


async def get(conn: aiosqlite.Connection, role_id: int) -> StaffRole | None:
    """An active role by id."""
    async with conn.execute(
        f"SELECT {_ROLE_COLUMNS} FROM staff WHERE id = ? AND revoked_at IS NULL", (role_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return StaffRole(*row) if row else None


async def grant(
    conn: aiosqlite.Connection,
    *,
    telegram_id: int,
    role: str,
    provider_id: str,
    display_name: str,
    granted_by: int | None,
    now: datetime,
) -> bool:
    """Give a person a role; False if they already hold it."""
    cursor = await conn.execute(
        "INSERT INTO staff (telegram_id, role, provider_id, display_name, granted_by, granted_at)"
        " VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (telegram_id, role, provider_id) WHERE revoked_at IS NULL DO NOTHING",
        (telegram_id, role, provider_id, display_name, granted_by, stamp(now)),
    )
    return cursor.rowcount > 0


async def revoke(conn: aiosqlite.Connection, role_id: int, now: datetime) -> bool:
    """End a role; False if it was not active."""
    cursor = await conn.execute(
        "UPDATE staff SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
        (stamp(now), role_id),
    )
    await _drop_lapsed_edits(conn)
    return cursor.rowcount > 0


async def _drop_lapsed_edits(conn: aiosqlite.Connection) -> None:
    """An edit begun by someone no longer a moderator holds no item (the others may decide
    it at once). Moderators named in the deployment file have no row here: theirs stay."""
    await conn.execute(
        "DELETE FROM pending_edits WHERE moderator IN (SELECT telegram_id FROM staff"
        " WHERE role = 'moderator' AND revoked_at IS NOT NULL)"
        " AND moderator NOT IN (SELECT telegram_id FROM staff"
        " WHERE role = 'moderator' AND revoked_at IS NULL)"
    )


async def revoke_all(conn: aiosqlite.Connection, telegram_id: int, role: str, now: datetime) -> int:
    """End every role of a kind a person holds; return how many."""
    cursor = await conn.execute(
        "UPDATE staff SET revoked_at = ? WHERE telegram_id = ? AND role = ? AND revoked_at IS NULL",
        (stamp(now), telegram_id, role),
    )
    await _drop_lapsed_edits(conn)
    return cursor.rowcount


async def create_invitation(
    conn: aiosqlite.Connection, invitation: Invitation, now: datetime
) -> None:
    """Store a new invitation."""
    await conn.execute(
        "INSERT INTO invitations (token, role, provider_id, created_by, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            invitation.token,
            invitation.role,
            invitation.provider_id,
            invitation.created_by,
            stamp(now),
            invitation.expires_at,
        ),
    )


async def use_invitation(
    conn: aiosqlite.Connection, token: str, telegram_id: int, now: datetime
) -> Invitation | None:
    """Mark an invitation used by this person; None if unknown, used or expired."""
    cursor = await conn.execute(
        "UPDATE invitations SET used_by = ?, used_at = ?"
        " WHERE token = ? AND used_by IS NULL AND expires_at > ?",
        (telegram_id, stamp(now), token, stamp(now)),
    )
    if cursor.rowcount == 0:
        return None
    return await invitation(conn, token)


async def invitation(conn: aiosqlite.Connection, token: str) -> Invitation | None:
    """An invitation by token, used or not."""
    async with conn.execute(
        "SELECT token, role, provider_id, created_by, expires_at, used_by FROM invitations"
        " WHERE token = ?",
        (token,),
    ) as cursor:
        row = await cursor.fetchone()
    return Invitation(*row) if row else None
