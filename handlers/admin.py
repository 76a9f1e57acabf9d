"""Admins: invitations, roles and the audit log; and anyone accepting an invitation."""

from __future__ import annotations

import csv
import io
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot import dates, spreadsheet
from bot.i18n import current
from bot.roles import Accepted, InviteProblem, Role, Roles
from handlers import fitting, safely, texts
from handlers.bidi import isolate
from handlers.commands import publish_for
from handlers.common import command_allowed, id_number
from handlers.fitting import name, pack, person
from handlers.texts import esc

log = logging.getLogger(__name__)

PREFIX = "a"
# Revoking is two presses: "Revoke X" asks, "Yes" ends the role, "No" shows the list again.
REVOKE, REVOKE_YES, REVOKE_NO = "rv", "ry", "rn"
# How much of an audit entry's subject /audit shows (the export has it whole).
AUDIT_SUBJECT = 200


def role_name(role: str, provider_names: dict[str, str], provider_id: str = "") -> str:
    """A role as a person reads it ("a moderator", "a provider for Culture and Leisure")."""
    template = texts.ROLE_NAMES.get(role, role)
    return template.format(provider=provider_names.get(provider_id, provider_id))


class AdminHandlers:
    """Callbacks for admins, bound to the roles core."""

    def __init__(self, roles: Roles) -> None:
        self.roles = roles
        self.providers = {p.id: p.name for p in roles.deployment.providers}

    async def accept(self, update: Update, context: ContextTypes.DEFAULT_TYPE, token: str) -> None:
        """/start inv_<token>: take the role the invitation offers."""
        message, user = update.effective_message, update.effective_user
        assert message and user
        result = await self.roles.accept(
            user.id, user.first_name or "", token, update_id=update.update_id, language=current()
        )
        if result is InviteProblem.REPLAYED:
            # Handled before a restart: answered then, or by the answer-again job.
            return
        if isinstance(result, InviteProblem):
            await message.reply_text(texts.INVITE_PROBLEMS[result])
            return
        await publish_for(
            context.bot, await self.roles.who(user.id), self.roles.deployment.languages
        )
        await message.reply_text(self.accepted_text(result), parse_mode=ParseMode.HTML)

    def accepted_text(self, accepted: Accepted) -> str:
        """What a person who used an invitation is told (again by the answer-again job, if a
        crash lost it), in the language spoken now."""
        name = role_name(accepted.role, self.providers, accepted.provider_id)
        if accepted.already:
            return texts.INVITE_ALREADY.format(role=esc(name))
        return texts.INVITE_ACCEPTED.format(role=esc(name)) + texts.INVITE_WHERE.get(
            accepted.role, ""
        )

    async def invite(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/invite moderator | /invite provider <id>: a one-time invitation link."""
        message = update.effective_message
        assert message
        who = await command_allowed(self.roles, update, lambda w: w.admin, "/invite")
        if who is None:
            return
        args = [a.lower() for a in (context.args or [])]
        providers = ", ".join(self.providers) or texts.LIST_NONE
        if (
            not args
            or args[0] not in (Role.MODERATOR, Role.PROVIDER)
            or (args[0] == Role.PROVIDER and len(args) < 2)
        ):
            await message.reply_text(texts.INVITE_USAGE.format(providers=providers))
            return
        role = Role(args[0])
        made = await self.roles.invite(
            who, role, args[1] if role is Role.PROVIDER else "", update_id=update.update_id
        )
        if made is InviteProblem.REPLAYED:
            return  # its link was made and sent before a restart
        if isinstance(made, InviteProblem):
            await message.reply_text(
                texts.INVITE_NO_PROVIDER.format(provider=args[1], providers=providers)
            )
            return
        link = f"https://t.me/{context.bot.username}?start=inv_{made.token}"
        await message.reply_text(
            texts.INVITE_MADE.format(
                role=esc(role_name(made.role, self.providers, made.provider_id)),
                expires=dates.day_time(made.expires_at),
                link=link,
            ),
            parse_mode=ParseMode.HTML,
        )

    async def list_roles(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/roles: who has which role, with a revoke button for each."""
        message = update.effective_message
        assert message
        who = await command_allowed(self.roles, update, lambda w: w.admin, "/roles")
        if who is None:
            return
        text, markup = await self._roles_view()
        await message.reply_text(text, reply_markup=markup, parse_mode=ParseMode.HTML)

    async def _roles_view(self) -> tuple[str, InlineKeyboardMarkup | None]:
        held = await self.roles.everyone()
        admins = ", ".join(str(a) for a in self.roles.deployment.admins) or texts.LIST_NONE
        lines = [texts.ROLES_HEADER, texts.ROLES_ADMINS.format(ids=admins)]
        if not held:
            lines.append(texts.ROLES_EMPTY)
        buttons = []
        for role in held:
            name = role.display_name or str(role.telegram_id)
            lines.append(
                texts.ROLE_LINE.format(
                    name=person(name),
                    telegram_id=role.telegram_id,
                    role=esc(role_name(role.role, self.providers, role.provider_id)),
                    since=dates.day(role.granted_at),
                )
            )
            buttons.append(
                [
                    InlineKeyboardButton(
                        texts.REVOKE_BUTTON.format(name=isolate(name[:48]))[:60],
                        callback_data=f"{PREFIX}:{REVOKE}:{role.id}",
                    )
                ]
            )
        return "\n".join(lines), InlineKeyboardMarkup(buttons) if buttons else None

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button under /roles: revoke (asks first), then yes or no."""
        query, user = update.callback_query, update.effective_user
        assert query and user
        who = await self.roles.who(user.id)
        if not who.admin:
            await self.roles.denied(who, "revoke button", query.data or "")
            await query.answer(texts.NOT_ALLOWED, show_alert=True)
            return
        parts = (query.data or "").split(":")
        role_id = id_number(parts[2]) if len(parts) == 3 else None
        if role_id is None or parts[1] not in (REVOKE, REVOKE_YES, REVOKE_NO):
            await self.roles.denied(who, "malformed admin button", query.data or "")
            await query.answer(texts.MOD_PROBLEMS["stale"])
            return
        action = parts[1]
        if action == REVOKE:
            held = await self.roles.held(role_id)
            if held is not None:
                await query.answer()
                await safely.edit(
                    query.edit_message_text(
                        texts.REVOKE_CONFIRM.format(
                            name=person(held.display_name or str(held.telegram_id)),
                            role=esc(role_name(held.role, self.providers, held.provider_id)),
                        ),
                        reply_markup=_confirm(role_id),
                        parse_mode=ParseMode.HTML,
                    )
                )
                return
            await query.answer(texts.REVOKE_GONE)
        elif action == REVOKE_NO:
            await query.answer()
        else:
            ended = await self.roles.revoke(who, role_id)
            if ended is None:
                # A replayed or second "Yes": the role ended at the first; nothing more.
                await query.answer(texts.REVOKE_GONE)
            else:
                await publish_for(
                    context.bot,
                    await self.roles.who(ended.telegram_id),
                    self.roles.deployment.languages,
                )
                name = ended.display_name or str(ended.telegram_id)
                role = role_name(ended.role, self.providers, ended.provider_id)
                await query.answer(
                    fitting.alert(texts.REVOKED.format(name=isolate(name), role=role))
                )
        text, markup = await self._roles_view()
        # A replayed press shows the list as it is already.
        await safely.edit(
            query.edit_message_text(text, reply_markup=markup, parse_mode=ParseMode.HTML)
        )

    async def audit(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/audit: the latest actions; /audit export: all of them as a CSV file."""
        message = update.effective_message
        assert message
        who = await command_allowed(self.roles, update, lambda w: w.admin, "/audit")
        if who is None:
            return
        if context.args and context.args[0].lower() == "export":
            buffer = io.StringIO()
            # As the digest's CSV: CRLF rows, UTF-8 with a byte-order mark (Excel reads
            # "Zoë" or "Łukasz" right only with one).
            writer = csv.writer(buffer, lineterminator="\r\n")
            writer.writerow(texts.AUDIT_CSV_HEADER.split(","))
            for entry in await self.roles.audit_all():
                writer.writerow(
                    spreadsheet.row(
                        [
                            entry.id,
                            entry.at,
                            entry.actor,
                            entry.actor_role,
                            entry.action,
                            entry.subject,
                            entry.before,
                            entry.after,
                        ]
                    )
                )
            await message.reply_document(
                InputFile(io.BytesIO(buffer.getvalue().encode("utf-8-sig")), filename="audit.csv"),
                caption=texts.AUDIT_FILE,
            )
            return
        entries = await self.roles.audit_recent()
        if not entries:
            await message.reply_text(texts.AUDIT_EMPTY)
            return
        lines = [texts.AUDIT_HEADER]
        # A subject may hold what someone typed (a forged command's argument): each line is
        # kept short, and /audit export has it whole.
        lines += [
            texts.AUDIT_LINE.format(
                at=dates.day_time(e.at),
                who=name(f"{e.actor_role} {e.actor or ''}".strip()),
                action=name(e.action),
                subject=person(e.subject, AUDIT_SUBJECT),
            )
            + (texts.AUDIT_TIMES.format(count=e.count) if e.count > 1 else "")
            for e in entries
        ]
        for text in pack(lines, "\n"):
            await message.reply_text(text, parse_mode=ParseMode.HTML)


def _confirm(role_id: int) -> InlineKeyboardMarkup:
    """Yes and No under the question whether to revoke a role."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.REVOKE_YES, callback_data=f"{PREFIX}:{REVOKE_YES}:{role_id}"
                ),
                InlineKeyboardButton(
                    texts.REVOKE_NO, callback_data=f"{PREFIX}:{REVOKE_NO}:{role_id}"
                ),
            ]
        ]
    )
