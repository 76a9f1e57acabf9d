"""Services, mirrored from the deployment file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite


@dataclass(frozen=True)
class ServiceRow:
    """A service as stored."""

    slug: str
    name: str
    description: str
    provider_id: str


async def sync(conn: aiosqlite.Connection, services: Sequence[ServiceRow]) -> None:
    """Make the stored services match the deployment file; ones removed stay, inactive."""
    await conn.execute("UPDATE services SET active = 0")
    for position, service in enumerate(services):
        await conn.execute(
            "INSERT INTO services (slug, name, description, provider_id, active, position)"
            " VALUES (?, ?, ?, ?, 1, ?)"
            " ON CONFLICT (slug) DO UPDATE SET name = excluded.name,"
            " description = excluded.description, provider_id = excluded.provider_id,"
            " active = 1, position = excluded.position",
            (service.slug, service.name, service.description, service.provider_id, position),
        )


async def active(conn: aiosqlite.Connection) -> list[ServiceRow]:
    """The services people can choose, in the deployment file's order."""
    async with conn.execute(
        "SELECT slug, name, description, provider_id FROM services"
        " WHERE active = 1 ORDER BY position, slug"
    ) as cursor:
        return [ServiceRow(*row) for row in await cursor.fetchall()]


async def every(conn: aiosqlite.Connection) -> list[ServiceRow]:
    """Every service ever mirrored, retired ones too, in the deployment file's order."""
    async with conn.execute(
        "SELECT slug, name, description, provider_id FROM services ORDER BY position, slug"
    ) as cursor:
        return [ServiceRow(*row) for row in await cursor.fetchall()]


async def get(conn: aiosqlite.Connection, slug: str) -> ServiceRow | None:
    """An active service by slug."""
    async with conn.execute(
        "SELECT slug, name, description, provider_id FROM services WHERE slug = ? AND active = 1",
        (slug,),
    ) as cursor:
        row = await cursor.fetchone()
    return ServiceRow(*row) if row else None
