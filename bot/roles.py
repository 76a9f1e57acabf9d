"""Who may do what: admins from the deployment file, staff roles granted by invitation."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import aiosqlite

from bot.chatmoves import ChatMoves
from bot.config import Deployment
from bot.intake import Clock
from storage import audit, services, staff, updates
from storage.audit import Entry
from storage.db import Database, stamp
from storage.services import ServiceRow
from storage.staff import Invitation, StaffRole

log = logging.getLogger(__name__)

INVITE_PREFIX = "inv_"
# What the answer to an accepted invitation told (`updates.note`), for an answer lost to a
# crash: "role:new:moderator:" or "role:held:provider:<provider id>".
ROLE_NOTE = "role:"
# Refusals of one thing to one person, a minute, before they fold into one row with a count.
DENIALS_A_MINUTE = 5


class Role(StrEnum):
    """The roles a person can hold."""

    ADMIN = "admin"
    MODERATOR = "moderator"
    PROVIDER = "provider"


@dataclass(frozen=True)
class Who:
    """A person and every role they hold right now."""

    telegram_id: int
    admin: bool = False
    moderator: bool = False
    providers: frozenset[str] = frozenset()

    @property
    def provider(self) -> bool:
        """Whether they speak for at least one provider."""
        return bool(self.providers)

    @property
    def label(self) -> str:
        """Their strongest role, for the audit log."""
        if self.admin:
            return Role.ADMIN
        if self.moderator:
            return Role.MODERATOR
        if self.providers:
            return Role.PROVIDER
        return "citizen"

    def speaks_for(self, provider_id: str) -> bool:
        """Whether they may act for this provider (admins act for every one)."""
        return self.admin or provider_id in self.providers

    @property
    def moderates(self) -> bool:
        """Whether they may act on items (moderators, and admins too)."""
        return self.moderator or self.admin


async def services_spoken_for(db: Database, who: Who) -> list[ServiceRow]:
    """The active services of the providers this person may act for."""
    return [s for s in await services.active(db.reader) if who.speaks_for(s.provider_id)]


class InviteProblem(StrEnum):
    """Why an invitation could not be used or made."""

    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    NO_SUCH_PROVIDER = "no_such_provider"
    # Its update was handled already (delivered again after a restart): answered then, or
    # by the answer-again job (`Roles.lost_answer`), so nothing is said now.
    REPLAYED = "replayed"


@dataclass(frozen=True)
class Accepted:
    """An invitation was used: the role now held."""

    role: str
    provider_id: str
    already: bool = False
    # The language its answer was written in ("" if not known), to tell it again in.
    language: str = ""


def _role_note(accepted: Accepted, language: str) -> str:
    """What the answer to an accepted invitation tells, as `updates.note` keeps it."""
    held = "held" if accepted.already else "new"
    return f"{ROLE_NOTE}{held}:{accepted.role}:{accepted.provider_id}:{language}"


class Roles:
    """Role checks, invitations, revocations, and their audit trail."""

    def __init__(
        self,
        db: Database,
        deployment: Deployment,
        clock: Clock,
        moves: ChatMoves | None = None,
    ) -> None:
        self.db = db
        self.deployment = deployment
        self.clock = clock
        # Groups of the file that became supergroups, and where they are now.
        self.moves = moves or ChatMoves(db, deployment, clock)

    def home(self, chat_id: int) -> int:
        """The id the deployment file names this chat by (a group that became a supergroup
        is still the group the file names)."""
        return self.moves.home(chat_id)

    async def who(self, telegram_id: int) -> Who:
        """Everything this person may do, checked now (never trusted from a keyboard)."""
        held = await staff.active_roles(self.db.reader, telegram_id)
        # A provider taken out of the file gives nobody anything (its roles also end at
        # start, in settle_with_file).
        named = {p.id for p in self.deployment.providers}
        return Who(
            telegram_id=telegram_id,
            admin=telegram_id in self.deployment.admins,
            moderator=any(r.role == Role.MODERATOR for r in held),
            providers=frozenset(
                r.provider_id for r in held if r.role == Role.PROVIDER and r.provider_id in named
            ),
        )

    async def settle_with_file(self) -> list[StaffRole]:
        """At start: remember the file's admins (their menus are set back once they leave
        it), and end the roles of providers no longer in it, audited; the roles ended."""

        async def run(conn: aiosqlite.Connection) -> list[StaffRole]:
            now = self.clock()
            await staff.note_admins(conn, self.deployment.admins, now)
            kept = [p.id for p in self.deployment.providers]
            ended = await staff.end_providers_roles(conn, kept, now)
            for held in ended:
                await audit.record(
                    conn,
                    actor=None,
                    actor_role="deployment",
                    action="role.revoked",
                    subject=f"{held.role}:{held.provider_id}",
                    before={"telegram_id": held.telegram_id, "name": held.display_name},
                    after={"reason": "provider no longer in the deployment file"},
                    now=now,
                )
            return ended

        ended = await self.db.write(run)
        for held in ended:
            log.info(
                "role ended: %s was a provider for %s, no longer in the deployment file",
                held.telegram_id,
                held.provider_id,
            )
        return ended

    async def invite(
        self, admin: Who, role: Role, provider_id: str = "", update_id: int | None = None
    ) -> Invitation | InviteProblem:
        """Make a one-time invitation (admins only; the caller has checked); `update_id`: the
        command's update, so that a replay makes no second link."""
        assert admin.admin
        if role is Role.PROVIDER and provider_id not in {p.id for p in self.deployment.providers}:
            return InviteProblem.NO_SUCH_PROVIDER
        now = self.clock()
        invitation = Invitation(
            token=secrets.token_urlsafe(12),
            role=role,
            provider_id=provider_id if role is Role.PROVIDER else "",
            created_by=admin.telegram_id,
            expires_at=stamp(now + timedelta(hours=self.deployment.moderation.invite_hours)),
            used_by=None,
        )

        async def run(conn: aiosqlite.Connection) -> bool:
            if update_id is not None and not await updates.claim(conn, update_id, now):
                return False
            await staff.create_invitation(conn, invitation, now)
            await audit.record(
                conn,
                actor=admin.telegram_id,
                actor_role=admin.label,
                action="invitation.created",
                subject=f"{invitation.role}:{invitation.provider_id}".rstrip(":"),
                after={"expires_at": invitation.expires_at},
                now=now,
            )
            return True

        return invitation if await self.db.write(run) else InviteProblem.REPLAYED

    async def accept(
        self,
        telegram_id: int,
        display_name: str,
        token: str,
        update_id: int | None = None,
        language: str = "",
    ) -> Accepted | InviteProblem:
        """Use an invitation: the person now holds its role. `update_id`: the /start's
        update, claimed with the role, so that one delivered again after a restart is not
        answered again (REPLAYED); what its answer told, and in which `language`, is noted
        for the answer-again job."""

        async def use(conn: aiosqlite.Connection, now: datetime) -> Accepted | InviteProblem:
            found = await staff.invitation(conn, token)
            if found is not None and not self._still_valid(found):
                # Made by an admin no longer in the file, or for a provider no longer in it:
                # a link cannot outlive the authority or the team it was made for.
                return InviteProblem.UNKNOWN
            used = await staff.use_invitation(conn, token, telegram_id, now)
            if used is None:
                found = await staff.invitation(conn, token)
                if found is None:
                    return InviteProblem.UNKNOWN
                if found.used_by == telegram_id:
                    return Accepted(found.role, found.provider_id, already=True)
                return InviteProblem.USED if found.used_by else InviteProblem.EXPIRED
            new = await staff.grant(
                conn,
                telegram_id=telegram_id,
                role=used.role,
                provider_id=used.provider_id,
                display_name=display_name[:64],
                granted_by=used.created_by,
                now=now,
            )
            await audit.record(
                conn,
                actor=telegram_id,
                actor_role=used.role,
                action="role.granted",
                subject=f"{used.role}:{used.provider_id}".rstrip(":"),
                after={"telegram_id": telegram_id, "invited_by": used.created_by},
                now=now,
            )
            return Accepted(used.role, used.provider_id, already=not new)

        async def run(conn: aiosqlite.Connection) -> Accepted | InviteProblem:
            now = self.clock()
            if update_id is not None and not await updates.claim(conn, update_id, now):
                return InviteProblem.REPLAYED
            accepted = await use(conn, now)
            if update_id is not None and isinstance(accepted, Accepted):
                await updates.note(conn, update_id, _role_note(accepted, language))
            return accepted

        return await self.db.write(run)

    async def lost_answer(self, telegram_id: int) -> Accepted | None:
        """The invitation this person accepted just before a crash, if the answer that told
        them so may have been lost (the answer-again job tells it)."""
        noted = await updates.noted(self.db.reader, telegram_id)
        if noted is None or not noted.startswith(ROLE_NOTE):
            return None
        held, _, rest = noted.removeprefix(ROLE_NOTE).partition(":")
        role, _, rest = rest.partition(":")
        provider_id, _, language = rest.partition(":")  # no language in a note kept before
        who = await self.who(telegram_id)
        holds: dict[str, bool] = {
            Role.MODERATOR: who.moderator,
            Role.PROVIDER: provider_id in who.providers,
        }
        if not holds.get(role, False):
            return None  # revoked since: there is nothing to welcome them to
        return Accepted(role, provider_id, already=held == "held", language=language)

    def _still_valid(self, invitation: Invitation) -> bool:
        """Whether the deployment file still has the admin who made this invitation and, for
        a provider's, the provider it is for."""
        if invitation.created_by not in self.deployment.admins:
            return False
        if invitation.role == Role.PROVIDER:
            return invitation.provider_id in {p.id for p in self.deployment.providers}
        return True

    async def everyone(self) -> list[StaffRole]:
        """Every role held now."""
        return await staff.everyone(self.db.reader)

    async def ever_held(self) -> list[Who]:
        """Everyone who holds or held a role or acted as an admin, with what they may do now."""
        return [await self.who(i) for i in await staff.ever_held(self.db.reader)]

    async def held(self, role_id: int) -> StaffRole | None:
        """A role still held, by id (None once it has ended)."""
        return await staff.get(self.db.reader, role_id)

    async def revoke(self, admin: Who, role_id: int) -> StaffRole | None:
        """End a role (admins only; the caller has checked); the role ended, or None."""
        assert admin.admin

        async def run(conn: aiosqlite.Connection) -> StaffRole | None:
            now = self.clock()
            held = await staff.get(conn, role_id)
            if held is None or not await staff.revoke(conn, role_id, now):
                return None
            await audit.record(
                conn,
                actor=admin.telegram_id,
                actor_role=admin.label,
                action="role.revoked",
                subject=f"{held.role}:{held.provider_id}".rstrip(":"),
                before={"telegram_id": held.telegram_id, "name": held.display_name},
                now=now,
            )
            return held

        return await self.db.write(run)

    async def left_moderators_chat(self, telegram_id: int) -> int:
        """A moderator left the moderators' chat: their moderator role ends with it."""

        async def run(conn: aiosqlite.Connection) -> int:
            now = self.clock()
            count = await staff.revoke_all(conn, telegram_id, Role.MODERATOR, now)
            if count:
                await audit.record(
                    conn,
                    actor=telegram_id,
                    actor_role=Role.MODERATOR,
                    action="role.revoked",
                    subject=Role.MODERATOR,
                    before={"telegram_id": telegram_id},
                    after={"reason": "left the moderators' chat"},
                    now=now,
                )
            return count

        return await self.db.write(run)

    async def denied(
        self, who: Who, action: str, detail: str = "", *, rows: int = DENIALS_A_MINUTE
    ) -> None:
        """Record an attempt at something this person may not do; beyond `rows` of the same
        in a minute, the newest row counts them (500 forged presses do not bury /audit)."""
        now = self.clock()

        async def run(conn: aiosqlite.Connection) -> bool:
            return await audit.record_folded(
                conn,
                actor=who.telegram_id,
                actor_role=who.label,
                action="denied",
                subject=action,
                detail=detail[:64],
                now=now,
                since=now - timedelta(minutes=1),
                rows=rows,
            )

        if await self.db.write(run):
            log.warning("denied %s to %s (%s)", action, who.label, detail[:64])

    async def audit_recent(self, limit: int = 20) -> list[Entry]:
        """The newest audit entries."""
        return await audit.recent(self.db.reader, limit)

    async def audit_all(self) -> list[Entry]:
        """Every audit entry, oldest first."""
        return await audit.everything(self.db.reader)
