"""Every string a person reads, in one place, so it can be reviewed and translated.

Texts are sent as HTML: anything that comes from people or the deployment file is
escaped with `esc` before it is put in.
"""

from __future__ import annotations

from html import escape

from bot.i18n import Plural


def esc(value: object) -> str:
    """Text made safe to put inside an HTML message."""
    return escape(str(value), quote=False)


# Put after a person's text cut short to fit in one message (see handlers/fitting.py).
SHORTENED = Plural("(shortened: {n} character more)", "(shortened: {n} characters more)")

CONSENT = (
    "👋 Hello! I pass on what you tell me about local services to the people who run them, "
    "so they can make things better.\n\n"
    "<b>What I keep</b>: what you write (and any photos or voice notes you send), the "
    "service, your rating, your answers to my questions and the language you chose, with a "
    "number that stands for your Telegram account. I never keep your name or username.\n\n"
    "<b>Who sees what</b>: a small team of moderators reads everything first and removes "
    "names and other personal details. The service only ever sees that checked text, and "
    "photos a moderator approved, never who wrote it and never your voice.\n\n"
    "You can see what you have told me with /mine, and read this again with /privacy.\n\n"
    "Is that OK with you?"
)
CONSENT_AGAIN = "We have updated how we look after what you tell us. Please read it again:\n\n"
CONSENT_FIRST = "Before we start, I need your OK to keep what you tell me.\n\n"
# A typed "yes" from someone the bot does not remember asking (it was restarted meanwhile).
CONSENT_LOST = (
    "I'm not sure what that answers. If you wrote to me before and I asked for your OK, "
    "press Yes under my reply to your words to carry on with them. If not, here is how I "
    "work:\n\n"
)
# Text typed at the consent question that is not a yes or a no: a reminder, not it all again.
CONSENT_REMINDER = (
    "Before I can keep anything you write, I need your OK: please choose below "
    "(/privacy says what I keep and who sees it)."
)
# After the consent text or reminder that answers a message of feedback (nothing is kept yet).
CONSENT_CARRY = "\n\nIf you say yes, I'll carry on with the message this answers."
# The same, when earlier messages of theirs wait too: all of them go on, in order.
CONSENT_CARRY_ALL = (
    "\n\nIf you say yes, I'll carry on with everything you have written to me so far, "
    "in the order you sent it."
)
CONSENT_YES = "Yes, that's fine"
CONSENT_NO = "No thanks"
DECLINED = (
    "No problem. I haven't kept anything you said, only that you said no. "
    "If you change your mind, just send /start."
)
# Declining a new version of the privacy text, having agreed to an earlier one.
DECLINED_KEPT = (
    "No problem: I won't take anything new from you. What you told us before stays as it "
    "was; /mydata shows it and /forget erases it. If you change your mind, just send /start."
)

PICK_SERVICE = "Which service is this about?"
PICK_SERVICE_PAGE = "Which service is this about? (page {page} of {pages})"
UNKNOWN_SERVICE = "I don't know the service that link points to, sorry. "
NO_MATCH = "I couldn't find a service called that. "
KEPT_TEXT = "Thank you, I've kept what you wrote. "
# A short text ("hello?") with nothing under way: nothing kept, and what to do next.
SAY_MORE = "Hello! To tell me about a service, choose it below, then say what happened. "
# /start with words kept from a conversation that went quiet before a service was chosen.
DRAFT_OFFER = (
    "You started writing this before, and I kept it (nobody else has seen it):\n\n"
    "«{text}»\n\nWould you like to carry on with it?"
)
DRAFT_CARRY_ON = "Carry on with it"
DRAFT_AFRESH = "Start afresh"
DRAFT_CARRIED = "Good, let's carry on with what you wrote. "
DRAFT_DROPPED = "OK, I've thrown that away. "
SEARCH_RESULTS = "These services match “{query}”:"
RESUMED = "Let's carry on where we left off. "
PREVIOUS = "‹ Previous"
NEXT = "Next ›"

ASK_TEXT = (
    "<b>{service}</b>\n\nWhat happened, or what could be better? "
    "Tell me in your own words, as much or as little as you like."
)
MORE_TEXT = (
    "Could you tell me a little more? A sentence or two about what happened helps the "
    "service understand. (Or send /cancel to stop.)"
)
RATING = (
    "<b>{service}</b>\n\nThank you. How would you rate it overall, from 1 (very poor) "
    "to 5 (very good)?\n\nAnything more to add first? Just send it."
)
ADDED_TEXT = "I've added that to what you wrote. "
TOO_LONG_MESSAGE = (
    "That message is longer than I can keep (4,096 characters), so I haven't kept it. "
    "Could you send it in shorter parts?"
)
TOO_LONG = (
    "That would make this item longer than I can keep in one (4,096 characters), so I "
    "haven't added it. Finish this one, then send /start to tell me the rest. "
)
SKIP = "Skip"
RATING_LABELS = ("1", "2", "3", "4", "5")
HEAR_BACK = "Would you like to hear back if the service responds to this?"
INVOLVE = (
    "One more question, and I'll only ask it once: would you like to be involved in "
    "improving local services, for example by being asked your view now and then?"
)
YES = "Yes please"
NO = "No thanks"
# Short text at the rating that is no rating ("hmm", "6"): what counts as one.
NOT_A_RATING = (
    "I didn't take that as a rating, and it's not added to what you wrote. Please choose a "
    "button below, or type a number from 1 to 5 (or skip). "
)
USE_BUTTONS = (
    "I haven't added that to what you wrote. Please choose one of the buttons below, or "
    "send /cancel to stop. To tell me something else, finish this first, then send /start. "
)

SAVED = (
    "✅ Saved as <b>#{reference}</b> ({service}). Thank you for taking the time.\n\n"
    "A moderator will check it before the service sees it."
)
SAVED_HEAR_BACK = " I'll let you know here when the service responds."
# One citizen sent as many items as one account may in an hour (or a day): the new one is
# kept as a draft, and goes when they answer the question that follows it.
THROTTLED = Plural(
    "Thank you. You've sent {n} item in the last {window}: that's as many as I can pass"
    " on from one person, so that the moderators can read everyone's. I've kept what you just"
    " wrote, nothing is lost: it can go in {wait}. Then just answer the question below"
    " (or send /start to pick up where you left off).",
    "Thank you. You've sent {n} items in the last {window}: that's as many as I can pass"
    " on from one person, so that the moderators can read everyone's. I've kept what you just"
    " wrote, nothing is lost: it can go in {wait}. Then just answer the question below"
    " (or send /start to pick up where you left off).",
)
THROTTLE_WINDOWS = {"hour": "hour", "day": "24 hours"}
THROTTLE_MINUTES = Plural("{n} min", "{n} min")
THROTTLE_HOURS = Plural("about {n} hour", "about {n} hours")
# The text asks to be contacted: the service cannot, and here is how to reach it.
SAVED_CONTACT = (
    "\n\n📞 You asked to be contacted. The service never sees contact details (they are "
    "removed before it reads your words) or who wrote them, so it can't get back to you "
    "itself, and I'm not the formal complaints route."
)
SAVED_CONTACT_ROUTE = " To reach {service} directly: {contact}"
SAVED_CONTACT_NO_ROUTE = " To hear from {service}, please contact it directly."
SAVED_MINE = "\n\nSend /mine to see what you've told us, or /start to tell us something else."
# The themes heard in a saved item, on its saved message, with a button to fix them.
HEARD = "\n\n🏷 I heard: {themes}."
HEARD_NONE = "\n\n🏷 I didn't pick out a theme."
HEARD_FIX = "🏷 Not quite? Fix the themes"
HEARD_ADD = "🏷 Add a theme"
# Above the themes to tick: what a tap does.
HEARD_PICK = (
    "What is #{reference} about? Tap a theme to tick or untick it, then press Done. "
    "It helps the moderators and the service."
)
HEARD_TICKED = "✓ {label}"
HEARD_DONE = "Done"
HEARD_DECIDED = (
    "#{reference} is with the moderators now, so its themes are theirs to set. "
    "Thank you for helping!"
)
HEARD_NOT_THEIRS = "That item isn't one I keep for you any more, so nothing was changed."
HEARD_UNKNOWN_THEME = "I don't know that theme any more. Nothing was changed: please pick again."
HEARD_MODERATOR_SET = "A moderator has set that theme already, so it stays as they chose."
# Short names of the broad themes, to fit two to a row on a phone (the taxonomy's label
# is used for any other theme).
THEME_SHORT = {
    "access_waiting": "Waiting times",
    "staff_attitude": "Staff attitude",
    "staff_competence": "Staff skills",
    "staffing_levels": "Staffing levels",
    "communication": "Information",
    "organisation": "Organisation",
    "care_treatment": "The service",
    "environment": "Cleanliness and facilities",
    "location_transport": "Getting there",
    "cost_fees": "Cost",
    "safety": "Safety",
    "accessibility": "Accessibility",
    "digital": "Online services",
    "activities": "Activities",
    "overall": "Overall",
}

CANCELLED = "Stopped. Nothing from this conversation was kept. Send /start whenever you like."
CANCELLED_DRAFT = (
    "Stopped. I've thrown away the words you'd started writing. Send /start whenever you like."
)
NOTHING_TO_CANCEL = "There's nothing to cancel. Send /start to tell us about a service."
# The same, to staff (a moderator, a provider, an admin) in private.
STAFF_NOTHING_TO_CANCEL = "There's nothing to cancel just now. /help lists what you can do."
EXPIRED = "That button belongs to an earlier conversation."
TIMED_OUT = "This conversation went quiet, so I've closed it. Send /start whenever you like."
TIMED_OUT_DRAFT = (
    "This conversation went quiet before you chose a service, so I've closed it. I've kept "
    "what you wrote as a draft that only you can see: send /start to carry on with it (or "
    "to start afresh)."
)
# After TIMED_OUT or TIMED_OUT_DRAFT, when a voice note, photos or a place had been sent.
TIMED_OUT_NOT_KEPT = (
    " The voice note, photos or place you sent weren't kept, as no item was saved: send them"
    " again with your next report."
)
TIMED_OUT_SAVED = (
    "This conversation went quiet, so I've saved what you wrote as <b>#{reference}</b> "
    "({service}) without the remaining questions. Send /mine to see it."
)
# The same, when it went quiet while similar items were offered ("me too") and none chosen.
TIMED_OUT_SAVED_METOO = (
    "This conversation went quiet while I was showing you similar items, so I've saved what "
    "you wrote as a new item, <b>#{reference}</b> ({service}), without the remaining "
    "questions. Send /mine to see it."
)

MINE_EMPTY = "You haven't told us anything yet. Send /start to begin."
# /mine with nothing saved yet, sent while they are in the middle of telling something.
MINE_TELLING = (
    "Nothing is saved yet. What you're telling us now will show here once it's saved, so"
    " carry on whenever you're ready."
)
MINE_HEADER = "What you've told us (newest first):"
MINE_MORE = Plural("…and {n} earlier.", "…and {n} earlier.")
MINE_ITEM = "<b>#{reference}</b> · {service} · {date}\n{status}\n<i>{snippet}</i>"
# /mine, after their own items: the published items of others they said "me too" to.
MINE_SUPPORTED_HEADER = "Others' items you said “me too” to (newest first):"
MINE_PUBLISHED_AS = "Published as: «{text}»"
# /mine, under an item told with more than words.
MINE_VOICE = "🎤 with a voice note"
MINE_PHOTOS = Plural("📷 with {n} photo", "📷 with {n} photos")
STATUS = {
    "pending": "⏳ waiting to be checked by a moderator",
    "approved": "✅ published to the service",
    "rejected": "✖️ not published",
    "withdrawn": "🚫 withdrawn by a moderator after publishing; it won't be in future reports",
}

HELP = (
    "I pass on what you tell me about local services to the people who run them.\n\n"
    "/start tell us about a service\n"
    "/mine what you've told us, and what happened\n"
    "/cancel stop what we're doing\n"
    "/privacy what I keep and who sees it\n"
    "/mydata everything I keep about you, as a file\n"
    "/forget erase what I keep about you\n"
    "/help this message"
)
UNKNOWN_COMMAND = "I don't know that command, sorry. Here's what I can do:\n\n"

# What cannot be kept, by kind of message. Photos, voice notes and locations are taken from
# citizens: their answers here are for staff writing a response, where only words count.
UNSUPPORTED = {
    "photo": "Thanks for the photo, but I can only pass on words for now, so it wasn't kept.",
    "video": (
        "Thanks, but I can't keep videos, so this one wasn't kept. A photo or a voice note"
        " works, or you can type it."
    ),
    "voice": (
        "I can't listen to voice messages yet, sorry, so it wasn't kept. Could you type it instead?"
    ),
    "audio": (
        "I can't keep audio files, sorry, so it wasn't kept. Could you send it as a voice note"
        " (hold the 🎤 button), or type it?"
    ),
    "sticker": "Nice sticker! I can pass on words, photos and voice notes, though.",
    "animation": "I can't keep GIFs, so it wasn't kept. Words, photos and voice notes all work.",
    "document": (
        "I can't accept files, sorry, so it wasn't kept. Please type what you'd like to say,"
        " or send a photo or a voice note."
    ),
    "location": (
        "Thanks, but I don't keep locations. If where it happened matters, "
        "describe the place in words."
    ),
    "contact": (
        "Please don't send contact details: I don't keep them, and the service never "
        "needs them. Nothing was kept."
    ),
    "forwarded": (
        "I can't use forwarded messages, as they may hold other people's words. "
        "Please tell me in your own words."
    ),
    "edited": (
        "I saw you edited a message. Edits don't change what I already have; "
        "if you'd like to add something, just send it as a new message."
    ),
    "other": "Sorry, I can't keep that kind of message. Words, photos and voice notes all work.",
}
# An edit with nothing being told: the item it most likely went into is saved as first written.
EDITED_SAVED = (
    "I saw you edited a message. Edits don't change what I already have, so <b>#{reference}</b>"
    " stays as you first wrote it. Anything you send now starts a new report: if it adds to"
    " <b>#{reference}</b>, say so in it, so the moderators know the two go together."
)
# The same, where the citizen has several items and which one the edit concerns is not known.
EDITED_SAVED_SOME = (
    "I saw you edited a message. Edits don't change what I already have, so your reports stay"
    " as you first wrote them. Anything you send now starts a new report: if it adds to one of"
    " them, say which in it (its number), so the moderators know the two go together."
)
# An edit, before they agreed, of a message whose words wait for their answer: it is taken.
EDITED_BEFORE_CONSENT = (
    "I saw you changed your message: I'll use the new version once you've agreed below."
)
# An edit once the report is written (at the last questions): words sent now are not added.
EDITED_WRITTEN = (
    "I saw you edited a message. Edits don't change what I already have, and your report is"
    " written now: answer the question below to save it. Anything you send after that starts"
    " a new report."
)
# A photo, video or file sent with words: the words are taken as if typed.
CAPTION_READ = "I've read what you wrote with it, but I can't keep the {what} itself."
CAPTION_WHAT = {
    "photo": "photo",
    "video": "video",
    "animation": "GIF",
    "audio": "audio",
    "voice": "voice message",
    "document": "file",
}
# /start sent in a group: the conversation happens in private, one tap away.
GROUP_START = (
    "Let's talk in a private chat, so what you tell me stays between us. Tap below to open it."
)
GROUP_START_BUTTON = "Open a private chat"
# A command typed in a group where it does not answer ({command}: "/roles"), with
# GROUP_START_BUTTON: a staff member's ("private"), a moderator's command outside the
# moderators' group ("moderators"), a citizen's ("citizen").
COMMAND_ELSEWHERE: dict[str, str] = {
    "private": "{command} works in our private chat: send it to me there.",
    "moderators": "{command} works in our private chat or in the moderators' group.",
    "citizen": "Please talk to me in a private chat, so what you say stays between us.",
    # A provider's command from someone who runs no service: where it works, for whom.
    "providers": (
        "{command} is for the people who run a service: they use it in our private chat or in"
        " their team's group."
    ),
    # The same in a team's group: for its providers, and how to become one.
    "team": "{command} is for this team's providers. To use it, ask an admin for an invitation.",
}

ERROR = "Sorry, something went wrong on my side. Please try that again in a moment."
# A message Telegram delivered in a shape the bot cannot read at all (newer than the bot).
UNREADABLE_UPDATE = "Sorry, I couldn't read that message. Could you send it again as text?"
# A button press in a shape this version cannot read: the answer that stops it spinning.
UNREADABLE_PRESS = "Sorry, I couldn't read that button press. Please send me a message instead."
# Lists in a sentence: "a name, a phone number and an email address".
LIST_SEPARATOR = ", "
LIST_AND = "{some} and {last}"
# An empty list (of providers, of admins).
LIST_NONE = "none"

ADMIN_COMMANDS = (
    ("invite", "Invite a moderator or provider"),
    ("roles", "Who has which role"),
    ("audit", "The audit log"),
    ("queue", "Items waiting for a moderator"),
    ("responses", "Providers' latest responses"),
)
MODERATOR_PRIVATE_COMMANDS = (
    ("queue", "Items waiting for a moderator"),
    ("unpublish", "Withdraw a published item: /unpublish N why"),
    ("responses", "Providers' latest responses"),
)
MODERATOR_COMMANDS = (
    ("queue", "Items waiting, oldest first"),
    ("cancel", "Stop editing an item"),
    ("unpublish", "Withdraw a published item: /unpublish N why"),
)
COMMANDS = (
    ("start", "Tell us about a service"),
    ("mine", "What you've told us"),
    ("cancel", "Stop what we're doing"),
    ("privacy", "What we keep and who sees it"),
    ("mydata", "Everything we keep about you"),
    ("forget", "Erase what we keep about you"),
    ("help", "How this works"),
)

# ── Staff: roles and invitations ────────────────────────────────────────────────────────
NOT_ALLOWED = "Sorry, that isn't something I can do for you."
# A command or a reply to the bot from a group admin who posts as the group ("Remain
# anonymous"): Telegram does not say who it is, so no role can be checked.
ANONYMOUS_ADMIN = (
    "You're posting as the group, so I can't tell who you are. To use me here, turn off"
    ' "Remain anonymous" in your admin rights, or write to me in private.'
)
NOT_ALLOWED_BUTTON = "Only moderators can do that."
# A button pressed where it does not belong (another chat, someone else's): nothing happens.
BUTTON_ELSEWHERE = "That button doesn't work here."
INVITE_USAGE = (
    "Usage: /invite moderator, or /invite provider <provider id>.\nProviders: {providers}"
)
INVITE_NO_PROVIDER = "There is no provider with the id “{provider}”. Providers: {providers}"
INVITE_MADE = (
    "Here is a one-time invitation to become {role}: one link per person. Send it only to "
    "that person; it works once, until {expires} (UTC). For someone else, send /invite "
    "again.\n\n{link}"
)
# /id, for whoever sets the bot up: the ids the deployment file asks for.
ID_PRIVATE = (
    "Your Telegram user id is <code>{user_id}</code>.\n"
    "(The bot's deployment file lists its admins by this number.)"
)
ID_GROUP = "This group's id is <code>{chat_id}</code>.\n{role}"
ID_ROLE_MODERATORS = "It is the moderators' chat in the deployment file."
ID_ROLE_PROVIDER = "It is a chat of {provider} in the deployment file."
ID_ROLE_NONE = (
    "To make it the moderators' chat, put this id in <code>moderators_chat</code> in the "
    "deployment file; for a provider's team, in that provider's <code>chats</code>."
)
GROUP_MOVED = (
    "This group became a supergroup, so Telegram gave it a new id. I have followed it: cards,"
    " digests and answers for this group now come here, and nothing was lost.\n"
    "The deployment file still names the old id <code>{old}</code>; whoever runs the bot may"
    " put <code>{new}</code> there when convenient."
)
ROLE_NAMES = {"moderator": "a moderator", "provider": "a provider for {provider}"}
INVITE_ACCEPTED = "Welcome! You are now {role}. Send /help to see what you can do."
# Where the work of the role appears: accepting a link adds nobody to any group.
INVITE_WHERE = {
    "moderator": (
        "\n\nItems to check arrive as cards in the moderators' group: if you're not in it "
        "yet, ask an admin to add you."
    ),
    "provider": (
        "\n\nYour team's digests arrive in its group chat (ask an admin to add you if "
        "you're not in it); /digest here shows the latest at any time."
    ),
}
INVITE_ALREADY = "You already have this role: you are {role}."
INVITE_PROBLEMS = {
    "unknown": "That invitation link doesn't work. Please ask an admin for a new one.",
    "used": "That invitation has already been used. Please ask an admin for a new one.",
    "expired": "That invitation has expired. Please ask an admin for a new one.",
}
ROLES_HEADER = "<b>Who has which role</b>"
ROLES_EMPTY = "Nobody has a role yet. Invite people with /invite."
ROLES_ADMINS = "Admins (from the deployment file): {ids}"
ROLE_LINE = "• {name} ({telegram_id}): {role} since {since}"
REVOKE_BUTTON = "Revoke {name}"
REVOKED = "Revoked: {name} is no longer {role}."
REVOKE_GONE = "That role had already ended."
REVOKE_CONFIRM = "Revoke <b>{name}</b>'s role as {role}?"
REVOKE_YES = "Yes, revoke"
REVOKE_NO = "No, keep it"
AUDIT_HEADER = "<b>Latest actions</b> (newest first). /audit export for all of it as a file."
AUDIT_EMPTY = "Nothing in the audit log yet."
AUDIT_LINE = "{at} · {who} · {action} · {subject}"
# After AUDIT_LINE, for refusals folded into one line.
AUDIT_TIMES = " (×{count})"
AUDIT_FILE = "The whole audit log."
# The columns of that file (/audit export), comma-separated.
AUDIT_CSV_HEADER = "id,at,actor,actor_role,action,subject,before,after"
STAFF_HELP = {
    "admin": (
        "\n\n<b>Admin</b>\n/invite moderator, /invite provider &lt;id&gt; one-time invitations\n"
        "/roles who has which role, and revoking\n/audit the audit log (/audit export)"
    ),
    "moderator": (
        "\n\n<b>Moderator</b>\n/queue items waiting, oldest first\n"
        "/unpublish N why: withdraw a published item\n"
        "/responses providers' latest responses, to hide one if needed"
    ),
    "provider": (
        "\n\n<b>Provider</b>\n/digest the digest so far this period\n"
        "/services which services' digests you get\n/schedule when the next digest comes\n"
        "/respond answer a theme or an item\n/responses the latest responses\n"
        "/ask &lt;service&gt; a question to people who opted in\n"
        "/invite_people &lt;service&gt; invite people to get involved\n"
        "/involved how many would like to be involved"
    ),
}

# ── Moderation ─────────────────────────────────────────────────────────────────────────
CARD_HEAD = "<b>#{item}</b> · {service}{rating} · {kind}"
CARD_RATING = " · {rating}/5"
CARD_THEMES = "Themes: {themes}"
CARD_NO_THEMES = "Themes: none found"
# After the themes line when the author set some of them.
CARD_THEMES_BY_AUTHOR = " (👤 author's choice)"
# A theme with the model's score for it; one a moderator added has no score.
CARD_THEME_SCORE = "{label} {percent}%"
# When the model is unsure of the kind or the themes (and no moderator has set them):
# CARD_UNSURE with the parts joined by CARD_UNSURE_JOIN.
CARD_UNSURE = "🤔 Not sure: {what}"
CARD_UNSURE_KIND = "the kind ({percent}%)"
CARD_UNSURE_THEMES = "the themes (best {percent}%)"
CARD_UNSURE_NO_THEME = "no theme found"
CARD_UNSURE_JOIN = "; "
CARD_KIND_SET = "🗂 Kind set by a moderator (the model said {model})"
CARD_REDACTED = "🔒 Removed: {kinds}"
# What redaction left in but is unsure of, or what is still in the text: each is
# CARD_CHECK_ITEM, the last CARD_CHECK_MORE if there are more than the card lists.
CARD_CHECK = "⚠️ Please check: {items}"
CARD_CHECK_ITEM = "{kind} (“{text}”)"
CARD_CHECK_MORE = Plural("and {n} more", "and {n} more")
CHECK_KINDS = {
    "name": "a possible name",
    "number": "a long number",
    "address": "a possible address",
    "unread": "the whole text, which the language tools could not read",
    # Read as praise, but maybe not (nlp/doubts.py).
    "plea": "a plea, not praise?",
    "turn": "a turn for the worse, not praise?",
    "denied": "praise denied?",
    "request": "a request, not thanks?",
    "question": "a question, not praise?",
}
# In a list of several items, under an item with something to check.
BATCH_CHECK = "⚠️ Please check: {kinds}"
CARD_EDITED = "✏️ Edited by a moderator"
CARD_STATUS = {
    "pending": "⏳ Waiting for a moderator",
    "approved": "✅ Published by {who} at {at}",
    "rejected": "✖️ Not published ({reason}), by {who} at {at}",
    "withdrawn": "🚫 Unpublished ({reason}), by {who} at {at}",
}
CARD_AUTO = "the auto-approve rule"
CARD_SOMEONE = "a moderator"
APPROVE = "✅ Approve"
EDIT = "✏️ Edit"
THEMES = "🏷 Themes"
KIND = "🗂 Kind"
# The kind menu: the current kind is marked with KIND_CHOSEN.
KIND_CHOICES = {
    "complaint": "Complaint",
    "compliment": "Compliment",
    "suggestion": "Suggestion",
    "question": "Question",
}
KIND_CHOSEN = "✓ {kind}"
REJECT = "✖️ Reject…"
ORIGINAL = "👁 Original"
WHOLE_TEXT = "📄 Whole text"
BACK = "‹ Back"
UNDO = "↩️ Undo"
UNPUBLISH = "🚫 Unpublish…"
REASONS = {
    "abusive": "Abusive",
    "personal": "Personal details",
    "off_topic": "Not about a service",
    "duplicate": "Duplicate",
    "other": "Other",
}
KINDS = {
    "complaint": "complaint",
    "compliment": "compliment",
    "suggestion": "suggestion",
    "question": "question",
}
# Between the kinds of mixed feedback on a card: "complaint + compliment".
KINDS_JOINER = " + "
REDACTION_KINDS = {
    "name": "a name",
    "phone": "a phone number",
    "email": "an email address",
    "postcode": "a postcode",
    "address": "an address",
    "nhs": "an NHS number",
    "nhs_number": "an NHS number",
    "ni": "a National Insurance number",
    "ni_number": "a National Insurance number",
    "card": "a card number",
    "card_number": "a card number",
    "url": "a link",
    "handle": "a username",
    "dob": "a date of birth",
    "bank": "bank details",
    "vehicle": "a vehicle registration",
    "passport": "a passport number",
    "reference": "a reference number",
}
MOD_PROBLEMS = {
    "not_allowed": "Only moderators can do that.",
    "no_such_item": "That item no longer exists.",
    # A photo's button pressed as its message arrives, before the bot has noted which
    # message it is (it waits a few seconds for that first).
    "photo_on_its_way": "This photo is still being posted. Press again in a moment.",
    # A press on a leftover copy of a photo that no longer exists (posted twice; its
    # author's /forget or retention removed the other copy): the copy is being removed.
    "photo_gone": "This photo no longer exists. Removing this copy of it.",
    # A press on a copy of a photo posted twice, just removed because another moderator
    # pressed the other copy: the decision counts, shown on the copy that stays.
    "photo_other_copy": (
        "This photo was posted twice. Your decision is shown on the copy that stays."
    ),
    "stale": "This card changed meanwhile; here it is as it is now.",
    "already_decided": "Someone got there first: this item was already decided.",
    "being_edited": (
        "Another moderator is correcting the text of #{item}: wait for their text (the card "
        "shows it), then decide."
    ),
    "empty_text": "The corrected text can't be empty. Send it again, or /cancel.",
    "too_long": "That's longer than 4,096 characters. Send a shorter text, or /cancel.",
    "no_edit": "",
    "too_late": "Too late to undo. A published item can still be unpublished, with a reason.",
    "not_decided": "This item is waiting for a decision: there is nothing to undo.",
    "not_published": "#{item} isn't published, so there is nothing to unpublish.",
    "empty_reason": "Say why it is unpublished.",
    "answered": (
        "The service has already responded to #{item}, so this can't be undone. To take it "
        "down, send /unpublish {item} and why."
    ),
    "replayed": "",
    "merged_into": (
        "Other items were merged into #{item}, so this can't be undone. To take it down, "
        "send /unpublish {item} and why."
    ),
    "joined": (
        'People have already said "me too" to #{item}, so this can\'t be undone. To take '
        "it down, send /unpublish {item} and why."
    ),
}
EDIT_PROMPT = (
    "{mention}, reply to this message with the corrected text of <b>#{item}</b>. "
    "Press Cancel (or send /cancel) to keep it as it is."
)
EDIT_CANCEL = "✖️ Cancel"
# A photo, sticker or file sent in reply to the edit prompt.
EDIT_TEXT_ONLY = (
    "The corrected text of #{item} has to be typed as a message: send it again as text, or /cancel."
)
EDIT_NOT_YOURS = "Only the moderator editing this item can cancel the edit."
# A corrected text (or summary) sent back the same as the item's (spacing aside): the edit
# ends, and nothing is saved.
EDIT_UNCHANGED = {
    "edit": "No change needed: that's the text #{item} already has, so I've left it as it is.",
    "summary": (
        "No change needed: that's the summary #{item} already has, so I've left it as it is."
    ),
}
# A moderator replied to the edit prompt another moderator is answering.
EDIT_PROMPT_NOT_YOURS = (
    "That prompt is for the moderator who pressed Edit on #{item}, so your text was not "
    "saved. To correct it yourself, press ✏️ Edit on its card once they are done."
)
EDIT_CANCELLED = "Edit cancelled; #{item} is unchanged."
# /cancel in private while an edit (or summary) prompt of one's own is open in the
# moderators' group: what it ended, as the card is not in sight here.
EDIT_CANCELLED_ELSEWHERE = {
    "edit": "Edit of #{item} cancelled; the card is unchanged.",
    "summary": "Summary of #{item} cancelled; the card is unchanged.",
}
# /cancel in the moderators' group from someone with nothing open there.
MODERATORS_NOTHING_TO_CANCEL = "There's nothing of yours to cancel here just now."
# Who holds an item another moderator pressed Edit (or Summary) on, when their name is not
# known; and the answer to that press ({who}: their name, or OTHER_MODERATOR).
OTHER_MODERATOR = "Another moderator"
EDIT_TAKEN = {
    "edit": (
        "{who} is correcting the text of #{item} right now. Try again once their text is on "
        "the card."
    ),
    "summary": (
        "{who} is writing the summary of #{item} right now. Try again once it is on the card."
    ),
}
# A reply to an edit (or summary) prompt whose text another moderator saved after it was
# given: not saved, and the prompt goes ({who}: their name, or OTHER_MODERATOR).
EDIT_OUTDATED = {
    "edit": (
        "{who} saved a corrected text of #{item} while you were writing yours, so yours was "
        "not saved: it would have replaced theirs unseen. The card shows the text as it is "
        "now; to change it, press ✏️ Edit again (your message stays here to copy from)."
    ),
    "summary": (
        "{who} saved a summary of #{item} while you were writing yours, so yours was not "
        "saved: it would have replaced theirs unseen. The card shows theirs now; to change "
        "it, press 📝 Summary again (your message stays here to copy from)."
    ),
}
UNPUBLISH_USAGE = (
    "Send /unpublish followed by the item's number and why, e.g. "
    "/unpublish 12 the author asked us to take it down."
)
UNPUBLISHED = (
    "#{item} is unpublished: it won't be in future digests. Digests already sent stay as they were."
)
# After UNPUBLISHED, when items had been merged into it ({items}: their numbers).
UNPUBLISHED_UNMERGED = Plural(
    "{n} item had been merged into it ({items}): it is back in the queue, to be decided on "
    "its own.",
    "{n} items had been merged into it ({items}): they are back in the queue, each to be "
    "decided on its own.",
)
# The same, for items that had been published before they were merged.
UNPUBLISHED_REPUBLISHED = Plural(
    "{n} item had been merged into it ({items}): it was published before, and is again, on "
    "its own.",
    "{n} items had been merged into it ({items}): they were published before, and are again, "
    "each on its own.",
)
ORIGINAL_SENT = "I've sent you the original in our private chat."
ORIGINAL_PRIVATE = "Original text of <b>#{item}</b> (for moderators only){part}:\n\n{text}"
WHOLE_TEXT_SENT = "I've sent you the whole text in our private chat."
WHOLE_TEXT_PRIVATE = "The whole text of <b>#{item}</b>, as the card shows it{part}:\n\n{text}"
# Put into ORIGINAL_PRIVATE and WHOLE_TEXT_PRIVATE when a text takes several messages.
TEXT_PART = " (part {n} of {total})"
ORIGINAL_START_FIRST = "Open a private chat with me (send /start) so I can show you originals."
# What a card or an original shown to a moderator becomes when its author is forgotten and
# Telegram no longer lets the bot delete it (48 hours after it was sent).
REMOVED_BY_AUTHOR = "🗑 Removed at the author's request."
# An original shown to a moderator, once retention removes originals (keep_original_days).
REMOVED_EXPIRED = "🗑 Removed: original texts are kept only for a limited time."
# A photo or voice note shown to moderators, once retention removes it (YOUSAID_MEDIA_KEEP_DAYS).
MEDIA_REMOVED_EXPIRED = "🗑 Removed: photos and voice notes are kept only for a limited time."
# A provider's copy of a photo (/photo N) once the moderators kept the photo back or undid its
# item's approval, where Telegram no longer lets the bot delete it (48 hours after sending).
PHOTO_REMOVED_UNSHARED = "🗑 Removed: the moderators took this photo back; it is no longer shared."
# A second copy of a photo under its card (the bot sent it again when Telegram answered too
# late), once a moderator pressed the other copy, where Telegram does not let the bot delete it.
PHOTO_REMOVED_DUPLICATE = (
    "🗑 Removed: this photo was posted twice; the moderators decide on the other copy."
)
QUEUE_EMPTY = "Nothing is waiting. 🎉"
QUEUE_HEAD = Plural("<b>{n} waiting</b>, oldest first:", "<b>{n} waiting</b>, oldest first:")
QUEUE_LINE = "• #{item} · {service} · waiting {age}"
# How long an item has waited, in QUEUE_LINE and REMINDER.
AGE_MINUTES = Plural("{n} min", "{n} min")
AGE_HOURS = Plural("{n} h {minutes:02d} min", "{n} h {minutes:02d} min")
AGE_DAYS = Plural("{n} day", "{n} days")
QUEUE_MORE = Plural("…and {n} more.", "…and {n} more.")
QUEUE_STUCK_HEAD = "\n<b>Cards that need a look</b> (a button below posts one):"
QUEUE_STUCK: dict[str, str | Plural] = {
    "failed": Plural(
        "• #{item} · {service} · its card was refused {n} time: {error}",
        "• #{item} · {service} · its card was refused {n} times: {error}",
    ),
    "unsure": (
        "• #{item} · {service} · its card may not have arrived (Telegram did not answer)."
        " If it is in the chat, a press on any of its buttons settles it."
    ),
}
QUEUE_POST = "📋 Post card #{item}"
CARD_POSTED = "Card of #{item} posted."
CARD_ALREADY = "The card of #{item} is already in the moderators' chat."
CARD_NOT_POSTED = "Telegram refused the card of #{item}: {error}"
# Why the moderators' group refuses the bot for good, in the place of Telegram's words (in
# QUEUE_STUCK and CARD_NOT_POSTED as {error}, in MODERATORS_CHAT_LOST_STAFF as {why}).
MODERATORS_CHAT_LOST: dict[str, str] = {
    "gone": "I am not in the moderators' group any more: an admin of the group has to add me back",
    "missing": (
        "Telegram does not know the moderators' group: moderators_chat in the deployment file"
        " has to name it"
    ),
    "muted": (
        "I may not post in the moderators' group: an admin of the group has to let me send"
        " messages there"
    ),
}
# Many items waiting: one message lists several, each with its own buttons.
BATCH_HEAD = Plural(
    "🗂 <b>{n} new item</b>: many are waiting, so they share one message."
    " 🔍 opens an item's full card (edit, themes, reject, original).",
    "🗂 <b>{n} new items</b>: many are waiting, so they share one message."
    " 🔍 opens an item's full card (edit, themes, reject, original).",
)
BATCH_LINE = "<b>#{item}</b> · {service}{rating} · {kind}\n{excerpt}\n{status}"
BATCH_APPROVE = "✅ #{item}"
BATCH_VIEW = "🔍 #{item}"
BATCH_EMPTY = "🗂 Each item of this list now has a card of its own."
REMINDER = Plural(
    "⏰ {n} waiting; the oldest (#{item}) for {age}. /queue",
    "⏰ {n} waiting; the oldest (#{item}) for {age}. /queue",
)
# To each admin in private (each moderator when no admin can be told), once, when a
# reminder or a new card cannot reach the moderators' group for good ({why}:
# MODERATORS_CHAT_LOST).
MODERATORS_CHAT_LOST_STAFF = Plural(
    "⚠️ {n} item waits for a moderator, the oldest (#{item}) for {age}, but I cannot post in"
    " the moderators' group. {why}. Its card goes there as soon as I can; /queue lists it"
    " meanwhile.",
    "⚠️ {n} items wait for a moderator, the oldest (#{item}) for {age}, but I cannot post in"
    " the moderators' group. {why}. Their cards go there as soon as I can; /queue lists them"
    " meanwhile.",
)

# ── Telling the author ────────────────────────────────────────────────────────────────
AUTHOR_PUBLISHED = (
    "📣 Your feedback <b>#{item}</b> about {service} has been checked and passed on to the service."
)
AUTHOR_PUBLISHED_REDACTED = " To protect privacy we removed {kinds} first."
AUTHOR_UNDONE = (
    "↩️ A correction about <b>#{item}</b> ({service}): a moderator took back their decision, "
    "so it is being checked again. I'll tell you the outcome."
)
AUTHOR_PUBLISHED_EDITED = " A moderator tidied the wording slightly first."
# After AUTHOR_PUBLISHED_REDACTED, when a moderator also rewrote the text.
AUTHOR_PUBLISHED_ALSO_EDITED = " A moderator also tidied the wording slightly."
AUTHOR_REJECTED = (
    "Your feedback <b>#{item}</b> about {service} was read by a moderator but not passed "
    "on, because {reason}. If you think that's wrong, send /start and tell us again."
)
AUTHOR_REASONS = {
    "abusive": "it contained abusive language",
    "personal": "it was mostly about someone's personal details",
    "off_topic": "it wasn't about a service we cover",
    "duplicate": "it repeats something already passed on",
    "other": "it couldn't be passed on as it was",
}

# ── Providers ─────────────────────────────────────────────────────────────────────────
CHART_CAPTION = "{provider}: themes, {dates}, against the period before"
CSV_BUTTON = "📎 These items as a spreadsheet (CSV)"
CSV_CAPTION = "{provider}: approved items, {dates}"
NOT_A_PROVIDER = "This is for the people who run services. Ask an admin for an invitation."
# A provider's forged digest button naming what is not theirs (another's service or digest).
DIGEST_NOT_YOURS = "That button is for a service you don't run, so nothing was done."
# A provider's command sent in a group that is not their team's chat (the moderators' chat).
PROVIDER_ELSEWHERE = "Provider commands work in our private chat or in your team's chat."
SERVICES_HEAD = "<b>{provider}</b>: the services whose digest this chat gets. Tap to switch."
SERVICE_ON = "✅ {name}"
SERVICE_OFF = "⬜ {name}"
SCHEDULE_LINE = "<b>{provider}</b>: {schedule}. Next digest: {next}."
SCHEDULE_NEVER = "none scheduled"
DIGEST_SO_FAR = "So far this period:"
PROVIDER_COMMANDS = (
    ("digest", "The digest so far this period"),
    ("services", "Which services' digests you get"),
    ("schedule", "When the next digest comes"),
)

# ── Dates and schedules (put together by bot/dates.py) ─────────────────────────────────
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# A schedule's days, each week: "Mondays and Thursdays at 09:00".
DAYS_EVERY = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")
# A monthly schedule's day: "On the 1st of each month".
DAYS_OF_MONTH = (
    "1st", "2nd", "3rd", "4th", "5th", "6th", "7th", "8th", "9th", "10th",
    "11th", "12th", "13th", "14th", "15th", "16th", "17th", "18th", "19th", "20th",
    "21st", "22nd", "23rd", "24th", "25th", "26th", "27th", "28th", "29th", "30th", "31st",
)  # fmt: skip
DATES: dict[str, str] = {
    "day": "{day} {month} {year}",
    "time": "{hour:02d}:{minute:02d}",
    "day_time": "{date}, {time}",
    "times": "{date}, {start}–{end}",
    "range_month": "{first}–{last} {month} {year}",
    "range_year": "{first} {first_month} – {last} {last_month} {year}",
    "range": "{first} – {last}",
    "zone": "{place} time",
    "zone_utc": "UTC",
    "days_and": "{some} and {last}",
    "days_range": "{first} to {last}",
    "schedule_weekly": "{days} at {time} ({zone})",
    "schedule_daily": "Every day at {time} ({zone})",
    "schedule_monthly": "On the {day} of each month at {time} ({zone})",
    "schedule_cron": "On the schedule “{cron}” ({zone})",
}

# ── A provider's digest (written by bot/digest_content.py) ─────────────────────────────
# HTML templates: whatever is put into them from people or the deployment file is escaped
# first.
DIGEST: dict[str, str | Plural] = {
    "title": "📬 <b>{provider}</b>: your feedback digest",
    "empty_title": "📭 <b>{provider}</b>: your feedback digest",
    "dates": "🗓 {dates}",
    "summary": Plural(
        "<b>{n}</b> new item approved, {change}.", "<b>{n}</b> new items approved, {change}."
    ),
    "summary_first": Plural("<b>{n}</b> new item approved.", "<b>{n}</b> new items approved."),
    "summary_same": "the same as {span}",
    "summary_more": Plural("{n} more than {span}", "{n} more than {span}"),
    "summary_fewer": Plural("{n} fewer than {span}", "{n} fewer than {span}"),
    "empty": "No new approved feedback this time.",
    "empty_before": Plural("{span} there was {n} item.", "{span} there were {n} items."),
    "rating": Plural(
        "⭐ Average rating <b>{average}</b> out of 5, from {n} rating{change}",
        "⭐ Average rating <b>{average}</b> out of 5, from {n} ratings{change}",
    ),
    "rating_change": " ({change} from {before})",
    "up": "up",
    "down": "down",
    "no_change": "no change",
    "attention": "⚠️ <b>Needs attention</b>",
    "attention_theme": "• <b>{theme}</b> rose sharply: {now}, from {before}",
    "attention_rating": "• Ratings fell: {now}, from {before}",
    "attention_rating_most": "• Ratings fell: {now}, from {before}; most at <b>{service}</b>",
    "attention_service_rating": "• Ratings fell at <b>{service}</b>: {now}, from {before}",
    "services": "🏢 <b>By service</b>",
    "themes": "🏷 <b>By theme</b>",
    "kinds": "🗂 <b>By kind</b>",
    # Services in several places: items per site, and the theme most of them are about.
    "sites": "📍 <b>By place</b>",
    "site_line": Plural("• {site}: {n} item", "• {site}: {n} items"),
    "site_theme": Plural(", {n} about {theme}", ", {n} about {theme}"),
    "count_line": "• {name}: {count}{change}",
    # After a broad theme's count: its sub-themes, " — Missed collections 7, Late 2".
    "sub_themes": " — {parts}",
    "sub_theme_part": "{name} {count}",
    "sub_theme_separator": ", ",
    "sub_theme_more": Plural("{n} more", "{n} more"),
    # The rest of a capped list: "• 2 other services: 5 items", "• 1 other theme: 1 item",
    # put together from more_services (or more_themes, more_places) and more_items.
    "more": "• {what}: {items}",
    "more_services": Plural("{n} other service", "{n} other services"),
    "more_themes": Plural("{n} other theme", "{n} other themes"),
    "more_places": Plural("{n} other place", "{n} other places"),
    "more_items": Plural("{n} item", "{n} items"),
    "kind_part": "{name} {count}{change}",
    "kind_separator": " · ",
    "rising": "📈 <b>Rising most</b>: {themes}",
    "rising_part": "{theme} ({change})",
    "rising_separator": ", ",
    "quotes": "💬 <b>In their words</b>",
    "quote_theme": "<b>{theme}</b>",
    "quote": "“{text}” <i>#{id}, {service}{rating}</i>",
    "quote_rating": ", {rating}★",
    "change": " ({change})",
    "change_new": "new",
    "change_same": "=",
    "span_day": "the day before",
    "span_week": "the week before",
    "span_days": Plural("the {n} day before", "the {n} days before"),
    "span_other": "the period before",
    "span_day_cap": "The day before",
    "span_week_cap": "The week before",
    "span_days_cap": Plural("The {n} day before", "The {n} days before"),
    "span_other_cap": "The period before",
    "chart_title": "{provider}: themes, {dates}",
    "chart_now": "This period",
    "chart_axis": "Items approved, by theme",
    "csv_header": "item,published,service,kind,rating,themes,text",
}
DIGEST_KINDS: dict[str, str] = {
    "complaint": "Complaints",
    "compliment": "Compliments",
    "suggestion": "Suggestions",
    "question": "Questions",
    "": "Not classified",
}

# ── What responses did, in digests and the value report (bot/evidence.py) ─────────────
# Digest lines are HTML; nothing from people or the deployment file goes into them (numbers
# only). The Markdown and CSV carry service names, escaped where they are put in.
EVIDENCE: dict[str, str | Plural] = {
    "digest_heading": "📣 <b>What responses did</b>",
    "digest_recent_heading": Plural(
        "📣 <b>What your responses did</b> (items of the last {n} week)",
        "📣 <b>What your responses did</b> (items of the last {n} weeks)",
    ),
    # Counted in items, n: how many items; covered: how many of them had a response.
    "digest_covered": Plural(
        "↩️ Responses covered {covered} of {n} item ({share}){median}",
        "↩️ Responses covered {covered} of {n} items ({share}){median}",
    ),
    "digest_median": "; median time to a first answer: {duration}",
    "digest_uncovered": Plural(
        "↩️ {n} item without a response yet", "↩️ {n} items without a response yet"
    ),
    "digest_changed": Plural("🔧 {n} item led to a change", "🔧 {n} items led to a change"),
    # Counted in people (n): of those who said whether a response answered their point.
    "digest_satisfied": Plural(
        "👍 {yes} of the {n} person who replied to a response said it answered their point",
        "👍 {yes} of the {n} people who replied to a response said it answered their point",
    ),
    "digest_satisfied_all": Plural(
        "👍 All {n} person who replied to a response said it answered their point",
        "👍 All {n} people who replied to a response said it answered their point",
    ),
    "digest_satisfied_one": "👍 The one person who replied to a response said it answered"
    " their point",
    "digest_satisfied_none": Plural(
        "💬 {n} person replied to a response; none said it answered their point yet",
        "💬 {n} people replied to a response; none said it answered their point yet",
    ),
    "digest_satisfied_none_one": "💬 The one person who replied to a response said it did not"
    " answer their point",
    "under_an_hour": "under an hour",
    "hours": Plural("{n} hour", "{n} hours"),
    # A number of hours or days with a decimal part: "1.5 hours".
    "hours_fraction": "{n} hours",
    "days": Plural("{n} day", "{n} days"),
    "days_fraction": "{n} days",
    "title": "## Evidence of value, {dates}",
    "total": "All services",
    "none": "–",
    "count_share": "{count} ({share})",
    "answered": "{yes} of {rated} ({share})",
    "md_header": (
        "Service|Items|People|Covered by a response|Median time to first response"
        "|Led to a change|Said it answered their point"
    ),
    "md_notes": (
        "Items: approved items published in the period. People: their authors and those who"
        " said “me too” to them. Covered: with a response by the end"
        " of the period (hidden responses never count). Led to a change: a response said"
        " “changed” about the item, or about one of its themes after it was published."
        " Said it answered their point: citizens' replies to responses, given in the period."
    ),
    "chart_title": "Responses, {dates}",
    "chart_title_provider": "{provider}: responses, {dates}",
    "chart_axis": "Share of items, by service",
    "chart_counted": "{percent} ({count} of {out_of})",
    "chart_covered": "Covered by a response",
    "chart_changed": "Led to a change",
    "csv_header": (
        "service,name,items,covered,covered_pct,median_first_response_hours,"
        "changed,changed_pct,answered_yes,answered_no,answered_pct,people,people_changed"
    ),
}

# ── Questions and involvement in a digest (bot/asks.py) ────────────────────────────────
# HTML; names escaped where they are put in.
ASK_LINES: dict[str, str | Plural] = {
    "heading": "🙋 <b>Asking and involving</b>",
    # {sent} is sent_to, {answers} is answers.
    "question": "❓ You asked about {service}: “{text}” Sent to {sent}; {answers}.",
    "sent_to": Plural("{n} person", "{n} people"),
    "answers": Plural("{n} answer published", "{n} answers published"),
    "involved": Plural(
        "🙋 {n} person who told us about {service} would like to be involved.",
        "🙋 {n} people who told us about {service} would like to be involved.",
    ),
    "answer_quote": "   “{text}” <i>#{id}</i>",
}

# ── Privacy and data rights ────────────────────────────────────────────────────────────
PRIVACY_DEFAULT = (
    "<b>What I keep</b>: what you write (and any photos or voice notes you send), the "
    "service, your rating, your answers to my questions and the language you chose, with a "
    "number that stands for your Telegram account. Never your name or username, unless you "
    "accept a service's invitation to get involved and choose to share them with it.\n\n"
    "<b>Why</b>: so the people who run the service can learn from it, and so we can tell you "
    "what happened: if you asked to hear back, their responses come here, and you can say "
    "whether they answer your point.\n\n"
    "<b>Who sees what</b>: moderators read everything first and remove names and other "
    "personal details. The service only sees that checked text and the photos a moderator "
    "approved (with no location or camera details), never who wrote it and never your "
    "voice. If you share where something happened, I keep it to about 100 metres unless you "
    "ask me to keep the exact spot, and the service sees the place or the area, never the "
    "exact spot.\n\n"
    "<b>How long</b>: what you wrote word for word is removed after {keep_original_days} "
    "days; the checked version stays. Voice notes go once a moderator has typed what they "
    "say, and photos after a few months. If you are not in touch for {forget_inactive_days} "
    "days, I forget you.\n\n"
    "<b>Your rights</b>: /mydata sends you everything I keep about you. /forget erases you; "
    "you can choose to leave your published comments behind without your name on them, so "
    "they still count.\n\n"
    "Version {version}."
)
MYDATA_EMPTY = "I don't keep anything about you."
MYDATA_CAPTION = "Everything I keep about you, as a file you can open in any text editor."
# The names of the fields of the /mydata file (its JSON keys), each the English name as the
# key is spelled: say them in plain words (spaces are fine). Two fields of one object must
# not have the same name (a name shared is left in English there).
MYDATA_KEYS = {
    "you": "you",
    "consents": "consents",
    "supported": "supported",
    "items": "items",
    "responses_sent_to_you": "responses_sent_to_you",
    "questions_and_invitations_sent_to_you": "questions_and_invitations_sent_to_you",
    "invitations_you_accepted": "invitations_you_accepted",
    "no_questions_about": "no_questions_about",
    "conversation_in_progress": "conversation_in_progress",
    "draft_kept_for_you": "draft_kept_for_you",
    # Time-out notices ("your words were saved as #N") that could not reach them, kept to be
    # told when they are back.
    "notices_kept_for_when_you_are_back": "notices_kept_for_when_you_are_back",
    "words_kept_to_undo_a_me_too": "words_kept_to_undo_a_me_too",
    "voice_notes_and_photos": "voice_notes_and_photos",
    "places": "places",
    "reference": "reference",
    "first_seen": "first_seen",
    "would_like_to_be_involved": "would_like_to_be_involved",
    "language": "language",
    "version": "version",
    "decision": "decision",
    "at": "at",
    "published_text": "published_text",
    "joined_at": "joined_at",
    "service": "service",
    "what_you_wrote": "what_you_wrote",
    "original_removed_at": "original_removed_at",
    "rating": "rating",
    "wants_to_hear_back": "wants_to_hear_back",
    "status": "status",
    "kind": "kind",
    "as_published": "as_published",
    "reason_not_published": "reason_not_published",
    "given_at": "given_at",
    "decided_at": "decided_at",
    "themes": "themes",
    "theme": "theme",
    "found_by": "found_by",
    "kept": "kept",
    "about_your_item": "about_your_item",
    "response": "response",
    "responded_at": "responded_at",
    "delivery": "delivery",
    "sent_at": "sent_at",
    "did_it_answer_your_point": "did_it_answer_your_point",
    "you_said_at": "you_said_at",
    "text": "text",
    "your_answer": "your_answer",
    "invitation": "invitation",
    "shared": "shared",
    "first_name_shared": "first_name_shared",
    "username_shared": "username_shared",
    "waiting_for": "waiting_for",
    "text_so_far": "text_so_far",
    "started_at": "started_at",
    "written_at": "written_at",
    "with_item": "with_item",
    "seconds": "seconds",
    "draft_transcript": "draft_transcript",
    "photo_status": "photo_status",
    "telegram_reference_kept": "telegram_reference_kept",
    "photo_bytes_kept": "photo_bytes_kept",
    "site": "site",
    "latitude": "latitude",
    "longitude": "longitude",
    "exact": "exact",
    # How far off a shared location may be, in metres, as the phone said.
    "accuracy_metres": "accuracy_metres",
    # What a kept time-out notice says, and when it was kept.
    "notice": "notice",
    "kept_at": "kept_at",
}
# The fixed values in the /mydata file, by the field they are in (its key, as in MYDATA_KEYS)
# and the value as kept: said in plain words. Whatever is not listed (what the person wrote,
# names, dates, numbers) is left as it is.
MYDATA_VALUES = {
    "would_like_to_be_involved": {"yes": "yes", "no": "no"},
    "decision": {"given": "given", "declined": "declined"},
    # An item's state, and a response's.
    "status": {
        "pending": "waiting to be checked by a moderator",
        "approved": "published to the service",
        "rejected": "not published",
        "withdrawn": "withdrawn by a moderator after publishing",
        "merged": "counted with another item that says the same",
        "acknowledged": "heard",
        "in_progress": "being worked on",
        "changed": "changed: you said, we did",
        "not_changing": "not changing, and why",
    },
    # What kind of feedback an item is, what a message from a service was, what was sent.
    "kind": {
        "complaint": "complaint",
        "compliment": "compliment",
        "suggestion": "suggestion",
        "question": "question",
        "invitation": "invitation to get involved",
        "voice": "voice note",
        "photo": "photo",
    },
    # Who found a theme in an item.
    "found_by": {
        "model": "the theme model",
        "rule": "the theme's key words",
        "both": "the theme model and the theme's key words",
        "citizen": "you",
        "moderator": "a moderator",
    },
    "delivery": {
        "pending": "waiting to be sent",
        "sending": "being sent",
        "sent": "sent",
        "blocked": "not sent: you had blocked the bot",
        "undeliverable": "not sent: Telegram could not deliver it",
        "cancelled": "not sent: taken back by the service",
    },
    "did_it_answer_your_point": {"yes": "yes", "no": "no"},
    "your_answer": {"accepted": "accepted", "declined": "declined"},
    # What a citizen who accepted an invitation let the service have.
    "shared": {"name": "your name", "relay": "replies through the bot only"},
    # What an unfinished conversation waits for.
    "waiting_for": {
        "service": "which service",
        "text": "what happened",
        "rating": "a rating",
        "place": "where it was",
        "hear_back": "whether you want to hear back",
        "involve": "whether you would like to be involved",
        "comment": "your comment on a response",
        "answer": "your answer to a question",
    },
    "photo_status": {
        "pending": "waiting for a moderator",
        "approved": "approved: the service can see it",
        "rejected": "kept back",
    },
    # What a time-out notice kept for them says (TIMED_OUT_SAVED, TIMED_OUT_SAVED_METOO).
    "notice": {
        "saved": "the conversation went quiet, so your words were saved as this item",
        "saved_as_new": (
            "the conversation went quiet while similar items were shown, so your words were "
            "saved as this new item"
        ),
    },
}
FORGET_ASK = (
    "This erases you: your consent, everything you wrote, your ratings and your answers. "
    "It can't be undone. Figures already counted stay as bare numbers, with nothing that links "
    "them to you.\n\n"
    "Comments that were already published can either go too, or stay without anything "
    "that links them to you, so they still count for the service. What would you like?"
)
FORGET_ASK_ALL = (
    "This erases you: your consent, everything you wrote, your ratings and your answers. "
    "It can't be undone. Figures already counted stay as bare numbers, with nothing that links "
    "them to you. Go ahead?"
)
FORGET_ALL = "Erase everything"
FORGET_KEEP = "Erase me, keep published comments"
FORGET_NO = "Keep everything"
FORGET_DONE = "Done: I've forgotten you. If you ever want to tell us something again, send /start."
FORGET_NOTHING = "I don't keep anything about you, so there is nothing to erase."
FORGET_CANCELLED = "OK, nothing was erased."

# ── Responses: providers answer ────────────────────────────────────────────────────────
RESPONSE_STATUS = {
    "acknowledged": "👂 Heard",
    "in_progress": "🛠 Being worked on",
    "changed": "✅ Changed: you said, we did",
    "not_changing": "✋ Not changing, and why",
}
RESPOND_THEME_BUTTON = "↩️ Respond: {theme}"
# Under its broad theme's button: answers only the items with this sub-theme.
RESPOND_SUB_THEME_BUTTON = "↳ Respond: {theme} only"
RESPOND_ITEM_BUTTON = "↩️ #{item}"
RESPOND_USAGE = (
    "<b>Respond</b> to what people told you. Tap a theme below to answer everyone who "
    "raised it this period, or send <code>/respond 12</code> to answer item #12."
)
RESPOND_NOTHING = (
    "Nothing to respond to yet this period. Send <code>/respond 12</code> to answer item #12."
)
RESPOND_PICK_SERVICE = "<b>{theme}</b> came up at more than one service. Which are you answering?"
RESPOND_SUBJECT_THEME = Plural(
    "<b>{theme}</b> at {service}, {period}: {n} item",
    "<b>{theme}</b> at {service}, {period}: {n} items",
)
RESPOND_SUBJECT_ITEM = "Item <b>#{item}</b> at {service}"
RESPOND_PICK_STATUS = "Responding to {subject}.\n\nWhat is your answer?"
RESPOND_CANCEL = "✖️ Cancel"
RESPOND_WRITE = {
    "acknowledged": "Write a short note to the people who raised this: what you heard.",
    "in_progress": "Write what you are doing about it, and when people can expect a change.",
    "changed": "Write what changed, so people can see what their feedback did.",
    "not_changing": "Write why this will not change. People will read your reason.",
}
RESPOND_PROMPT = (
    "{mention}: {status}. {ask}\n\nReply to this message with your words: a sentence or "
    "more, up to {limit} characters. You'll see a preview before anything is sent. /cancel "
    "to stop."
)
RESPOND_WRITTEN_BEFORE = "\n\nWhat you wrote before:\n“{text}”"
RESPOND_STATUS_FIRST = (
    "First choose your answer with the buttons below; then I'll ask for your words."
)
# Counted in people (n); {items} is RESPOND_ITEMS_COVERED.
RESPOND_PREVIEW = Plural(
    "👀 <b>Preview.</b> This goes to <b>{n} person</b> who raised it and asked to "
    "hear back ({items}). They will read:",
    "👀 <b>Preview.</b> This goes to <b>{n} people</b> who raised it and asked to "
    "hear back ({items}). Each of them will read:",
)
RESPOND_ITEMS_COVERED = Plural("{n} item covered", "{n} items covered")
RESPOND_PREVIEW_NOBODY = Plural(
    "👀 <b>Preview.</b> Nobody who raised this asked to hear back, so no one gets a message; "
    "it is kept with the {n} item it covers and shows in your digests. It reads:",
    "👀 <b>Preview.</b> Nobody who raised this asked to hear back, so no one gets a message; "
    "it is kept with the {n} items it covers and shows in your digests. It reads:",
)
# In a preview, when a colleague's response reached some of the same items meanwhile.
RESPOND_PREVIEW_MEANWHILE = (
    "⚠️ A colleague sent a response that reaches some of these items while you were writing "
    "this: those people have heard from you already. Send only if yours adds something."
)
RESPOND_PREVIEW_FOOT = "Nothing is sent until you press Send."
RESPOND_PREVIEW_SENT = "📤 Sent."
RESPOND_SEND = "📤 Send"
RESPOND_EDIT = "✏️ Edit"
# Counted in people (n); {items} is RESPOND_ITEMS.
RESPOND_PUBLISHED = Plural(
    "Published, on {subject}: {status}. It covers {items} and goes to {n} person who asked "
    "to hear back.",
    "Published, on {subject}: {status}. It covers {items} and goes to {n} people who asked "
    "to hear back.",
)
RESPOND_ITEMS = Plural("{n} item", "{n} items")
RESPOND_CANCELLED = "Stopped; nothing was sent or published."
RESPOND_NOTHING_TO_CANCEL = (
    "Nothing is being written here now: that was sent, stopped, or left unfinished for a day."
)
RESPOND_CAPTION_TAKEN = (
    "I've taken the words you sent with it as your answer. What you attached isn't passed "
    "on: people get your words only."
)
RESPOND_ALBUM_NOT_PASSED = (
    "Photos aren't passed on with what you write, so these weren't kept: people get your "
    "words only."
)
RESPOND_NOT_YOURS = "Those buttons are for the colleague writing that response; nothing changed."
RESPOND_PROBLEMS = {
    "not_allowed": "You can only respond for the services you run.",
    "no_such_item": "I can't find a published item with that number among your services.",
    "nothing_to_answer": "There is nothing published on that to respond to.",
    "no_draft": (
        "That response is no longer being written: it was sent, stopped, or left unfinished "
        "for a day. Start again from the digest."
    ),
    "no_status": "First choose your answer with the buttons.",
    "only_praise": (
        "Only praise came up on that theme, so there is no problem to answer. To thank "
        "someone, answer their item: /respond 12."
    ),
    "empty": "The response can't be empty. Write a few words, or /cancel.",
    "too_short": (
        "That's a little short for the people who raised this: they'll read it as your "
        "answer. Please write a sentence or more ({words} words at least) saying what you "
        "heard, are doing or changed. Your answer is still open: just write it again."
    ),
    "too_long": "That's longer than {limit} characters. Please shorten it, or /cancel.",
    "needs_reason": (
        "When something won't change, people deserve the reason: please explain it in a "
        "sentence or two ({reason_words} words at least). Your answer is still open."
    ),
    "stale": "That preview is out of date: use the newest one.",
    "answered_meanwhile": (
        "A colleague has just answered these items: their people have heard already. Nothing "
        "was sent; press Send again to send yours too."
    ),
    "replayed": "",
    "already_sent": "Already sent: your answer went out once, and nothing more was sent.",
    "erased": (
        "That item's author asked for everything they told us to be erased, so its words are "
        "gone and there is nothing left to respond to."
    ),
    "provider_gone": (
        "That answer was for a provider no longer in the deployment file, so nothing was "
        "sent and the draft is gone. To answer for the service now, start again with /respond."
    ),
}
RESPONSE_CARD = (
    "↩️ <b>Response</b> from {provider}, {status}\n{subject}\n\n“{text}”\n\n"
    "Published at once; hide it if it shouldn't be public."
)
RESPONSE_HIDE = "🙈 Hide"
RESPONSE_HIDDEN = "🙈 R{id} hidden by {who}; nothing more will be sent."
RESPONSE_HIDDEN_SHORT = "🙈 R{id} hidden; nothing more will be sent."
RESPONSE_LIST_HEAD = "<b>Latest responses</b> (newest first):"
RESPONSE_LIST_EMPTY = "No responses yet."
RESPONSE_LIST_LINE = "• R{id} · {service} · {subject} · {status}{hidden}\n  “{text}”"
RESPONSE_LIST_HIDDEN = " · 🙈 hidden"
# Staff who start something else while writing: what they were writing ends, said once.
DRAFT_PUT_ASIDE = {
    "response": "✖️ I've stopped the response you were writing; nothing was sent.",
    "question": "✖️ I've stopped the question you were writing; nothing was sent.",
    "invitation": "✖️ I've stopped the invitation you were writing; nothing was sent.",
    "relay": "✖️ I've stopped the message you were writing; nothing was sent.",
}
STAFF_TEXT_NOT_WAITING = (
    "I'm not waiting for any words from you just now, so I haven't passed that on. To answer "
    "people: /respond. To ask them something: /ask. To tell us something yourself, as "
    "someone who uses a service: /start."
)
FOLLOW_UP = Plural(
    "⏰ {n} week ago you said {subject} was being worked on:\n“{text}”\n\n"
    "What's the news? Your update goes to the people who raised it.",
    "⏰ {n} weeks ago you said {subject} was being worked on:\n“{text}”\n\n"
    "What's the news? Your update goes to the people who raised it.",
)

# ── Responses: citizens hear back ──────────────────────────────────────────────────────
HEARD_BACK = (
    "📣 <b>{provider}</b> has responded about {subject}.\n\n<b>{status}</b>\n“{text}”\n\n"
    "Does this answer your point?"
)
HEARD_SUBJECT_ITEM = "your feedback <b>#{item}</b> ({service})"
HEARD_SUBJECT_THEME = "<b>{theme}</b> at {service}, which you raised in <b>#{item}</b>"
# To someone who said "me too" to the item (one whose own item was merged into it is
# told of theirs).
HEARD_SUBJECT_ITEM_SUPPORTED = "feedback <b>#{item}</b> ({service}), which you added your voice to"
HEARD_SUBJECT_THEME_SUPPORTED = (
    "<b>{theme}</b> at {service}, raised in <b>#{item}</b>, which you added your voice to"
)
HEARD_SUBJECT_THEME_OTHERS = Plural(
    "<b>{theme}</b> at {service}, raised in {n} piece of feedback including your <b>#{item}</b>",
    "<b>{theme}</b> at {service}, raised in {n} pieces of feedback including your <b>#{item}</b>",
)
ANSWERED_YES = "👍 Yes, it does"
ANSWERED_NO = "👎 Not really"
RATED_YES = "Thank you! I've passed that on."
RATED_NO = "Thank you for saying so; I've passed that on."
RATED_ALREADY = "Got it, thanks."
# A second answer pressed with the first (both buttons at once): the first is kept.
RATED_KEPT = "You'd already answered “{answer}”, and that's what I've kept. Thank you."
RATED_UNKNOWN = "That button isn't for you, sorry."
ASK_COMMENT = (
    "Would you like to say what's missing from the response? Your next message here will be "
    "passed on as your comment on it, like any feedback (a moderator checks it first). "
    "Or press Skip."
)
SAVED_COMMENT = "✅ Thank you. Your comment is saved as <b>#{reference}</b> ({service})."
MINE_RESPONSE = "↩️ {status} · {date}\n“{text}”"
ASK_ANSWER = (
    "Write your answer in your own words: your next message here will be saved as your "
    "answer to the question (a moderator checks it first). Or press Skip."
)
# The prompts above end when the citizen starts something else, and say so.
SIDE_WHAT = {
    "comment": "your comment on the response",
    "answer": "your answer to the question",
}
SIDE_ABOUT = {
    "comment": "what was missing from the response about <b>{service}</b>",
    "answer": "your answer to a question from <b>{service}</b>",
}
SIDE_OPEN = "You were telling us {about}. Would you like to carry on, or start something new?"
SIDE_CARRY_ON = "Carry on"
SIDE_START_NEW = "Start something new"
SIDE_SKIPPED = {
    "comment": "No problem: no comment then. Thank you for telling us what you thought of it.",
    "answer": "No problem: no answer then. Send /start whenever you want to tell us something.",
}
SIDE_CLOSED = "I've stopped waiting for {what}. "
SIDE_LAPSED = (
    "Some time has passed, so I've stopped waiting for {what}: what you send next starts "
    "something new. Send /start whenever you like."
)
RATED_SAID = "\n\nYou said: {answer}"
SAVED_ANSWER = "✅ Thank you. Your answer is saved as <b>#{reference}</b> ({service})."
RESPONSE_SUBJECT_THEME = "<b>{theme}</b> at {service}, {period}"
FOLLOW_UP_BUTTON = "↩️ Give an update"

# ── Asks: providers' questions to citizens and invitations to get involved ─────────────
ASKS_PROVIDER_COMMANDS = (
    ("respond", "Respond to a theme or an item"),
    ("responses", "The latest responses"),
    ("ask", "Ask people who use a service a question"),
    ("invite_people", "Invite people to get involved"),
    ("involved", "How many would like to be involved"),
)
ASKS_WHAT = {"question": "question", "invitation": "invitation"}
ASKS_USAGE = {
    "question": "Usage: /ask &lt;service&gt;, then write your question. Your services: {slugs}",
    "invitation": (
        "Usage: /invite_people &lt;service&gt;, then write your invitation (a co-design "
        "session, a walk round the service…). Your services: {slugs}"
    ),
}
ASKS_NO_SERVICES = "You don't speak for any service yet."
ASKS_PROMPT = {
    "question": (
        "❓ {mention}, write your question to the people who use <b>{service}</b> and opted "
        "in ({limit} characters at most). A moderator checks it before it goes out. Reply "
        "to this message, or send /cancel."
    ),
    "invitation": (
        "🤝 {mention}, write your invitation to the people who use <b>{service}</b> and said "
        "they'd like to be involved: what, when, where ({limit} characters at most). A "
        "moderator checks it before it goes out. Reply to this message, or send /cancel."
    ),
}
ASKS_PROBLEMS = {
    "not_allowed": "Sorry, you can only ask about your own services.",
    "no_such_service": "I don't know that service. Your services: {slugs}",
    "no_such_ask": "That is no longer there.",
    "empty": "A few more words, please: a short sentence at least. Or send /cancel.",
    "too_long": "That's too long for a phone screen: {limit} characters at most, please.",
    "already_decided": "Someone already decided on this one.",
    "replayed": "",
    "not_yours": "That button isn't for you, sorry.",
    "busy": "Please finish what you're telling me first, or send /cancel.",
    "already": "You've already answered this invitation. Thank you!",
    "gone": "I couldn't pass that on: that person can no longer be reached.",
}
ASKS_PROPOSED = Plural(
    "⏳ Your {what} about <b>{service}</b> is with the moderators. Once approved, it goes to "
    "the {n} person who opted in.",
    "⏳ Your {what} about <b>{service}</b> is with the moderators. Once approved, it goes to "
    "the {n} people who opted in.",
)
ASKS_CARD = Plural(
    "{icon} <b>{what}</b> from {provider} about {service}, by {author}\n\n“{text}”\n\n"
    "Would go to {n} person.",
    "{icon} <b>{what}</b> from {provider} about {service}, by {author}\n\n“{text}”\n\n"
    "Would go to {n} people.",
)
ASKS_ICON = {"question": "❓", "invitation": "🤝"}
ASKS_CARD_WHAT = {"question": "Question", "invitation": "Invitation"}
ASKS_APPROVE = "✅ Approve"
ASKS_REJECT = "✖️ Reject"
ASKS_CARD_APPROVED = Plural(
    "✅ Approved by {who}: sent to {n} person.", "✅ Approved by {who}: sent to {n} people."
)
ASKS_CARD_REJECTED = "✖️ Not approved, by {who}."
ASKS_APPROVED_AUTHOR = Plural(
    "✅ Your {what} about <b>{service}</b> was approved and goes to {n} person:\n“{text}”",
    "✅ Your {what} about <b>{service}</b> was approved and goes to {n} people:\n“{text}”",
)
ASKS_REJECTED_AUTHOR = (
    "✖️ The moderators did not approve your {what} about <b>{service}</b>:\n“{text}”\n\n"
    "You're welcome to write it differently and send it again."
)
ASKS_QUESTION = (
    "❓ <b>{provider}</b> has a question for people who use {service}:\n\n“{text}”\n\n"
    "You're getting this because you told us about {service}. Answer if you like: a "
    "moderator reads answers first, and {provider} never learns who wrote them."
)
ASKS_INVITATION = (
    "🤝 <b>{provider}</b> invites people who use {service} to get involved:\n\n“{text}”\n\n"
    "If you say yes, they learn only what you choose. Saying no is fine, and I won't ask "
    "you about this one again."
)
ASKS_ANSWER = "✍️ Answer"
ASKS_OPT_OUT = "🔕 No more questions about {service}"
ASKS_ACCEPT_NAME = "✅ Yes, share my first name and username"
ASKS_ACCEPT_RELAY = "✅ Yes, but only through the bot"
ASKS_DECLINE = "No thanks"
ASKS_OPTED_OUT = "🔕 Done: no more questions or invitations about {service}."
ASKS_ACCEPTED_NAME = (
    "🙌 Thank you! I've passed your first name{username} to {provider}. They may contact "
    "you, or write to you here through me."
)
ASKS_ACCEPTED_USERNAME = " and username"
ASKS_ACCEPTED_RELAY = (
    "🙌 Thank you! {provider} learns only that someone accepted. They can write to you here, "
    "through me, and you can answer the same way."
)
ASKS_DECLINED = "No problem, thank you. I won't ask you about this one again."
ASKS_TOLD_NAME = (
    "🙋 Someone accepted your invitation about {service} (“{text}”): <b>{name}</b>{username}"
)
ASKS_TOLD_USERNAME = " (@{username})"
ASKS_TOLD_RELAY = (
    "🙋 Someone accepted your invitation about {service} (“{text}”): a person who prefers "
    "to talk through the bot. Write to them with the button; I'll pass it on."
)
ASKS_WRITE = "✉️ Write to them"
ASKS_RELAY_PROMPT = (
    "✉️ {mention}, write your message; I'll pass it on through the bot, with your service's "
    "name. Reply to this message, or send /cancel."
)
ASKS_REPLY_PROMPT = "✉️ Write your reply to {provider}; I'll pass it on. Or send /cancel."
ASKS_RELAY_TO_CITIZEN = "✉️ <b>{provider}</b> writes about their invitation ({service}):\n\n“{text}”"
ASKS_REPLY = "↩️ Reply"
ASKS_RELAY_TO_PROVIDER = "✉️ {person} replies about your invitation ({service}):\n\n“{text}”"
ASKS_RELAY_NAMED = "<b>{name}</b>"
ASKS_RELAY_UNNAMED = "The person who prefers to talk through the bot"
ASKS_RELAY_SENT = "✉️ Passed on."
ASKS_INVOLVED_HEAD = (
    "<b>Would like to be involved</b>: people who told us about each service and said yes "
    "(counts only; you learn more only when someone accepts an invitation)."
)
ASKS_INVOLVED_LINE = "• {service}: {count}"
ASKS_INVOLVED_INVITATIONS = "<b>Your invitations</b>:"
ASKS_INVOLVED_INVITATION = (
    "• {service}, {date}: “{text}”\n  sent to {sent}, {accepted} accepted, {declined} declined"
)
ASKS_INVOLVED_NO_INVITATIONS = "No invitation approved yet: /invite_people &lt;service&gt;."
CARD_COMMENT = "↩️ A comment on the provider's response R{response} (/responses)"
CARD_ANSWER = "❓ An answer to the provider's question Q{ask}"


# --- Languages: the citizen's choice (first contact, /language).


# The first-contact question and /language's: shown once per offered language, each line in
# its own language, above one button per language.
LANGUAGE_QUESTION = "Which language would you like me to use?"
# After choosing with /language (in the newly chosen language).
LANGUAGE_CHOSEN = "Done: I'll write to you in this language from now on. /language changes it."
# A language button whose language is not offered here (forged or out of date): nothing changes.
LANGUAGE_NOT_OFFERED = "Sorry, that language isn't offered here. Please use /language to choose."
# /language where the deployment offers one language only ({language}: its own name).
LANGUAGE_ONLY_ONE = "I only write in {language} here."
# A line added to /help where more than one language is offered.
HELP_LANGUAGE = "\n/language choose your language"
# The /language command in the citizens' menu (where more than one language is offered).
LANGUAGE_COMMANDS = (("language", "Choose your language"),)


# --- Languages: staff reading every item (detected language, summaries).


# On a card: the language an item was detected as written in (not the default one).
CARD_LANGUAGE = "🌐 {language} (detected)"
# On a card, after CARD_LANGUAGE when the theme model cannot read that language.
CARD_LANGUAGE_THEMES = (
    "🏷 Themes from this language's rules and from you (the model reads English only)"
)
# On a card: a moderator's summary in the providers' language (providers see it too).
CARD_SUMMARY = "📝 Summary: {summary}"
# Card button: write a summary in the deployment's default language.
SUMMARY = "📝 Summary in {language}"
# The prompt after pressing SUMMARY (the Cancel button and /cancel work as for an edit).
SUMMARY_PROMPT = (
    "{mention}, reply to this message with a short summary of <b>#{item}</b> in {language}. "
    "Providers see it beside the original. Press Cancel (or send /cancel) to leave it."
)
# Under a digest quote of an item in another language: the moderator's summary.
SUMMARY_FOR_PROVIDER = "   📝 Summary: {summary}"
# The column of the items' CSV (after the csv_header columns): the moderator's summary.
CSV_SUMMARY = "summary"


# --- Languages: responses and questions in each required language; digests per chat.


# Under a response's or question's first words, in a deployment that needs more languages.
LANG_SAME_IN = "Thank you. Now the same in {language}, please: reply to this message."
# The button under that prompt: the provider leaves that language to the moderators.
LANG_MODERATOR_WILL_ADD = "A moderator will add it"
# A line of the preview per other language: its words.
LANG_PREVIEW_TEXT = "{language}:\n“{text}”"
# A line of the preview per other language left to a moderator.
LANG_PREVIEW_LEFT = "{language}: a moderator will add it. Nothing goes to anyone before."
# To the provider after "Send" when a language was left to a moderator.
LANG_WAITING_PUBLISHED = Plural(
    "Saved, on {subject}: {status}. It waits for {languages}: once a moderator adds it, it "
    "goes to everyone at once ({n} person who asked to hear back).",
    "Saved, on {subject}: {status}. It waits for {languages}: once a moderator adds it, it "
    "goes to everyone at once ({n} people who asked to hear back).",
)
# The moderators' card of a response waiting for a language.
LANG_RESPONSE_CARD = (
    "🌐 <b>Response waiting for {languages}</b> from {provider}, {status}\n{subject}\n\n"
    "“{text}”\n\nNothing goes to citizens until it is in {languages}: add it below."
)
# The button on a waiting card: a moderator adds one language's words.
LANG_ADD_BUTTON = "🌐 Add {language}"
# The button in /responses beside a waiting response (moderators).
LANG_ADD_BUTTON_REF = "🌐 Add {language} R{id}"
# To a moderator who pressed an "Add ..." button: what to write.
LANG_ADD_PROMPT = (
    "{mention}: write R{id} in {language}, please, replying to this message. It says:\n"
    "“{text}”\n\n/cancel to stop."
)
# Question version of the prompt above.
LANG_ADD_ASK_PROMPT = (
    "{mention}: write Q{id} in {language}, please, replying to this message. It says:\n"
    "“{text}”\n\n/cancel to stop."
)
# In the moderators' chat once a moderator's words made a response complete.
LANG_ADDED_PUBLISHED = Plural(
    "🌐 {language} added to R{id} by {who}: published, going to {n} person.",
    "🌐 {language} added to R{id} by {who}: published, going to {n} people.",
)
# In the moderators' chat when the response still lacks another language.
LANG_ADDED_STILL = "🌐 {language} added to R{id} by {who}; it still waits for {languages}."
# To the provider when their waiting response was published.
LANG_PROVIDER_PUBLISHED = Plural(
    "🌐 A moderator added {language} to your response R{id}: it is published and goes to "
    "{n} person.",
    "🌐 A moderator added {language} to your response R{id}: it is published and goes to "
    "{n} people.",
)
# A button or words for a response or question that no longer waits for that language.
LANG_NOT_WAITING = "That no longer waits for those words: they were added, or it was hidden."
# In /responses: a response still waiting for a language.
LANG_LIST_WAITING = " · 🌐 waits for {languages}"
# On a question's card: it waits for a language before it can be approved.
LANG_ASK_CARD_WAITING = "\n\n🌐 It needs {languages} before it can be approved: add it below."
# Pressing Approve on a question that still lacks a language.
LANG_ASK_APPROVE_FIRST = "Add {languages} first: nothing goes to citizens before."
# In the moderators' chat once a question has a moderator's words in a language.
LANG_ASK_ADDED = "🌐 {language} added to Q{id} by {who}."


# -- Voice notes and photos (issue 17) ---------------------------------------------------------

# Above the answer to words: an album's photos sent before them, kept waiting for them,
# were added to the item they start.
PHOTOS_WAITED = Plural(
    "📷 I've added {n} photo you sent before these words.",
    "📷 I've added {n} photos you sent before these words.",
)
# The same, when some of them could not be (an item takes 3 photos).
PHOTOS_WAITED_LEFT = "You can add up to 3 photos to one item, so I didn't keep the rest."
# To a citizen about a voice note or photo they sent (Show.MEDIA), by what happened.
MEDIA_NOTES = {
    # A photo sent before they agreed to the privacy notice.
    "consent": (
        "I can only keep voice notes and photos once you've agreed to how your words are"
        " used: send /start, and send it again after that."
    ),
    # Above the consent question, to someone who sent a voice note or photo before agreeing.
    "consent_below": (
        "I can only keep voice notes and photos once you've agreed to how your words are"
        " used, so this one wasn't kept: send it again once you have."
    ),
    # Above the consent question, to someone who shared a location before agreeing.
    "place_consent_below": (
        "I can only keep a place once you've agreed to how your words are used, so this one"
        " wasn't kept: share it again once you have."
    ),
    # A photo with words sent before they agreed: the words wait on the consent question.
    "consent_asked": (
        "I can only keep a photo once you've agreed to how your words are used, so this one"
        " wasn't kept: send it again after that."
    ),
    # A photo with nothing being told.
    "no_item": (
        "Thanks for the photo! A photo goes with something you tell me: write what it's"
        " about first (or send the photo with your words as its caption), then send the photo."
    ),
    # A fourth photo for one item.
    "too_many": "You can add up to 3 photos to one item, so I didn't keep this one.",
    # An album's photos sent with nothing being told and no words on any of them: kept a
    # while for the words that go with them (Plural: how many photos; {minutes}: how long).
    "waiting": Plural(
        "Thanks! I'll keep the {n} photo you sent for {minutes} min: write what it's about,"
        " and I'll add it to what you tell me.",
        "Thanks! I'll keep the {n} photos you sent for {minutes} min: write what they're"
        " about, and I'll add up to 3 of them to what you tell me.",
    ),
    # A photo kept with its album's photos sent before it (Plural: how many the item has).
    "album_added": Plural(
        "📷 Photos added ({n} of 3). Moderators check every photo before a service sees it.",
        "📷 Photos added ({n} of 3). Moderators check every photo before a service sees it.",
    ),
    # The same, after its caption went on as the item's words.
    "album_added_words": Plural(
        "📷 I kept your words and your album's photos ({n} of 3).",
        "📷 I kept your words and your album's photos ({n} of 3).",
    ),
    # A photo or voice note while the bot waits for a comment or an answer.
    "side_prompt": (
        "Please type your reply here: I can't take voice notes or photos for this one."
    ),
    # A photo with words while the bot waited for a comment or an answer: the words were it.
    "side_prompt_caption": (
        "I've taken your words as your reply, but I can't keep a photo with it, so the photo"
        " isn't kept."
    ),
    # The same for a voice note with words.
    "side_prompt_voice_caption": (
        "I've taken your words as your reply, but I can't keep a voice note with it, so the"
        " voice note isn't kept."
    ),
    # A location shared before they agreed to the privacy notice.
    "place_consent": (
        "I can only keep a place once you've agreed to how your words are used: send /start,"
        " and share the location again after that."
    ),
    # A location shared while the bot waits for a comment or an answer.
    "place_side_prompt": "Please type your reply here: I can't take a location for this one.",
    # A photo kept (Plural: how many the item now has).
    "photo_added": Plural(
        "📷 Photo added ({n} of 3). Moderators check every photo before a service sees it.",
        "📷 Photo added ({n} of 3). Moderators check every photo before a service sees it.",
    ),
    # A photo sent just after an item was saved, added to it (not checked by a moderator yet).
    "photo_added_saved": Plural(
        "📷 Photo added to <b>#{reference}</b> ({n} of 3). Moderators check every photo before"
        " a service sees it.",
        "📷 Photo added to <b>#{reference}</b> ({n} of 3). Moderators check every photo before"
        " a service sees it.",
    ),
    # An album's photos, sent with no words just after an item was saved, added to it (not
    # checked by a moderator yet); Plural: how many photos the item now has.
    "album_added_saved": Plural(
        "📷 Photos added to <b>#{reference}</b> ({n} of 3). Moderators check every photo before"
        " a service sees it.",
        "📷 Photos added to <b>#{reference}</b> ({n} of 3). Moderators check every photo before"
        " a service sees it.",
    ),
    # A photo sent after the item just saved was checked by a moderator: too late for it.
    "saved_checked": (
        "Thanks for the photo! A moderator has already checked <b>#{reference}</b>, so I can't"
        " add photos to it now. To show something new, send /start, say what happened, then"
        " send the photo."
    ),
    # A photo kept after its caption went on as the item's words.
    "photo_added_words": Plural(
        "📷 I kept your words and the photo ({n} of 3).",
        "📷 I kept your words and the photo ({n} of 3).",
    ),
    # A voice note in which the deployment's speech-to-text heard no words.
    "voice_silent": (
        "I couldn't hear any words in your voice note. A moderator will still listen to it."
        " If you meant to say something, you can type it here and I'll add it."
    ),
    # The same, where typed words would not join it now (the service, a site or the last
    # questions are being asked: typing answers them).
    "voice_silent_kept": (
        "I couldn't hear any words in your voice note. It's kept all the same, and a moderator"
        " will listen to it, so nothing is lost."
    ),
    # A voice note with no sound (0 seconds).
    "voice_empty": "That voice note seems to be empty. Could you record it again, or type it?",
    # A voice note longer than the deployment allows ({n}: the longest, in seconds).
    "voice_too_long": Plural(
        "That voice note is longer than I can take ({n} second at most). Could you send a"
        " shorter one, or type it? Nothing you wrote before is lost.",
        "That voice note is longer than I can take ({n} seconds at most). Could you send a"
        " shorter one, or type it? Nothing you wrote before is lost.",
    ),
    # A location shared from far outside the deployment's area (or not a real place).
    "place_outside": (
        "That place looks a long way from the services I take feedback about, so I didn't keep"
        " it. Anything you wrote before is still here."
    ),
    # A location shared with nothing being told.
    "place_no_item": (
        "Thanks! A place goes with something you tell me: write what happened first, then"
        " share where it was (📎, then Location)."
    ),
    # A second voice note for one item.
    "voice_once": "I already have a voice note for this item. You can type anything to add.",
    # The same, past the step where typed words are added.
    "voice_one": "I already have a voice note for this item, so I haven't added this one.",
    # The photo could not be read as an image.
    "unreadable": "Sorry, I couldn't open that as a photo. Could you send it again?",
    # A photo or file over Telegram's 20 MB download limit for bots.
    "too_big": (
        "That file is too big for me to fetch (20 MB at most). Could you send it as a photo"
        " (not as a file), which makes it smaller?"
    ),
    # An image sent as a file (document).
    "as_document": (
        "Please send pictures as a photo rather than as a file: tap 📎, choose Gallery and"
        " pick the picture. Anything you wrote before is still here."
    ),
    # The citizen said the draft transcript was wrong.
    "transcript_wrong": (
        "Thanks: the moderators will listen to your voice note and write it down themselves."
    ),
    # The citizen confirmed the draft transcript.
    "transcript_kept": "Thanks: those words go with your voice note.",
    # The photo could not be fetched from Telegram just now.
    "not_fetched": "Sorry, I couldn't fetch that photo just now. Could you send it again?",
}
# Put first before the next question when a voice note stands for the item's words.
VOICE_KEPT = "🎤 Got your voice note. A moderator will write it down; only the words are passed on."
# Put first when a voice note joins words already typed.
VOICE_ADDED = (
    "🎤 Voice note added to what you wrote. A moderator will listen to it and write it down;"
    " only the words are passed on."
)
# Put first when a voice note comes just after an item was saved: a voice note is the words
# of an item, so it starts a new one ({reference}: the item saved, which stays as it was).
VOICE_NEW_ITEM = (
    "🎤 Got your voice note. <b>#{reference}</b> is already saved, so this starts a new item."
    " A moderator will write it down; only the words are passed on."
)
# To the citizen: the offline engine's draft of their voice note, to confirm.
TRANSCRIPT_DRAFT = "🎤 I think you said:\n{text}\n\nIs that right?"
# Buttons under TRANSCRIPT_DRAFT.
TRANSCRIPT_YES = "✅ Yes"
TRANSCRIPT_NO = "✏️ No, not quite"
# On a card: the item is a voice note ({seconds}: its length).
CARD_VOICE = "🎤 Voice note ({seconds} s), below: type what it says with Edit before approving."
# On a card: the citizen confirmed a draft transcript of the voice note below.
CARD_VOICE_DRAFT = (
    "🎤 Voice note ({seconds} s), below: the text is a draft transcript the author confirmed."
)
# On a card: how many photos it has (each below with its own buttons).
CARD_PHOTOS = Plural(
    "📷 {n} photo below: approve it or keep it back (faces, number plates, homes).",
    "📷 {n} photos below: approve each or keep it back (faces, number plates, homes).",
)
# Caption of a voice note under a card.
CARD_VOICE_CAPTION = "🎤 #{item}"
# Under a card: Telegram never answered when the bot posted its voice note (it may be there).
CARD_VOICE_UNSURE = (
    "🎤 Telegram didn't confirm the voice note of #{item}. If it isn't under the card, press"
    " the button to post it."
)
# The button under CARD_VOICE_UNSURE.
CARD_VOICE_AGAIN = "🎤 Post the voice note"
# Under a card whose voice note or photos Telegram refused to post ({error}: its reason).
CARD_MEDIA_REFUSED = (
    "⚠️ Telegram refused to post the voice note or photos of #{item} here ({error}), so they "
    "are not below: let the bot send voice notes and photos in this group, and don't decide "
    "on #{item} before you have heard or seen them."
)
# Under a card: its voice note or photos failed to go every time they were tried (the
# network, Telegram's servers), as often as a card is tried, and are tried no more.
CARD_MEDIA_FAILED = (
    "⚠️ The voice note or photos of #{item} could not be posted here: Telegram kept failing "
    "to take them ({error}), and the bot has stopped trying. They are not below: don't decide "
    "on #{item} before you have heard or seen them."
)
# Caption of a photo under a card, with its state.
CARD_PHOTO_CAPTION = "📷 #{item}, photo {n}: {status}"
# States of a photo, in CARD_PHOTO_CAPTION.
PHOTO_STATUS = {
    "pending": "waiting for a moderator",
    "approved": "✅ approved by {who}: providers see it while the item is published",
    "rejected": "🚫 kept back by {who}",
}
# Buttons under a photo in the moderators' chat.
PHOTO_APPROVE = "✅ Approve photo"
PHOTO_REJECT = "🚫 Keep back (face, plate, home)"
# Approved with photos nobody decided on yet (shown on the moderator's screen).
MOD_PHOTOS_UNDECIDED = Plural(
    "Published. {n} photo is still waiting for a decision: providers see only the photos you "
    "approve (the buttons under each).",
    "Published. {n} photos are still waiting for a decision: providers see only the photos "
    "you approve (the buttons under each).",
)
# The same, pressed on a list of items (which shows no photos): its own card is posted.
MOD_PHOTOS_UNDECIDED_LISTED = Plural(
    "Published. {n} photo is still waiting for a decision: its card is posted below with it. "
    "Providers see only the photos you approve.",
    "Published. {n} photos are still waiting for a decision: its card is posted below with "
    "them. Providers see only the photos you approve.",
)
# Pressing Approve on an item whose voice note nobody wrote down yet.
MOD_NEEDS_TRANSCRIPT = "Type what the voice note says first (Edit), then approve."
# In a digest's CSV: the column of an item's approved photos, as /photo commands.
CSV_PHOTOS = "photos"
# The digest CSV's place column: the site, or the area (to about 1 km), never the exact spot.
CSV_PLACE = "place"
CSV_AREA = "around {point}"
# /photo without a number, or one that is not an approved photo of the provider's services.
PHOTO_USAGE = "Send /photo followed by a photo's number, as the digest lists it: /photo 12"
PHOTO_NOT_FOUND = "There is no approved photo {id} about your services."
# Caption of a photo sent to a provider with /photo.
PHOTO_FOR_PROVIDER = "📷 Photo {id}, with item #{item}"
# After "Item #N at <service>" when a provider responds to an item with approved photos.
RESPOND_PHOTOS = "\n📷 Its photos: {photos}"
# Before "Responding to Item #A ...": the provider asked for item #B, merged into #A since.
RESPOND_MERGED = (
    "#{merged} was merged into #{item}: they say the same. Your answer goes on #{item} and "
    "reaches the people behind both.\n\n"
)
# -- "Me too" (issue 17) ----------------------------------------------------------------------
# To a citizen who just wrote, when published items of the service look like their words;
# each item's published text follows as a numbered line, the buttons below.
METOO_ASK = (
    "<b>{service}</b>\n\nOthers have told us something like this lately. Is it one of "
    "these?\n\n{items}\n\nIf it is, press its number: your support is added to it and you "
    "hear back when the service responds to it. Nothing else you wrote is sent."
)
# One line of the list above: its number and the item's published words.
METOO_ITEM = "{n}. “{text}”"
# The button of one item in that list.
METOO_JOIN = "It's {n}"
# Above that list again, when a number or a rating was typed instead of pressed.
METOO_USE_BUTTONS = (
    "Please press a button here: a number adds your support to that item, and “It's "
    "different” goes on with what you wrote (then you can rate it)."
)
# A number pressed in that list for an item withdrawn or rejected since it was offered.
METOO_GONE = (
    "That one is no longer published, so it can't be joined. Press another number, or "
    "“It's different” to carry on with what you wrote."
)
# A "me too" button pressed for an item of another place than the one the citizen gave
# since it was offered.
METOO_ELSEWHERE = (
    "That one is about another place than the one you gave, so I haven't added your support to it."
)
# The button under that list when none of them is what the citizen meant.
METOO_DIFFERENT = "It's different"
# After the citizen joined an item.
METOO_JOINED = (
    "✅ Thank you: your support is added to <b>#{reference}</b> ({service}). I'll let you "
    "know here when the service responds to it."
)
# Under that, with the button below, while the join can be undone.
METOO_UNDO_HINT = "Not the same after all? Press “Undo” and what you wrote goes on as your own."
# The button that undoes a join.
METOO_UNDO = "Undo: mine is different"
# Above the rating question, after a join was undone.
METOO_UNDONE = "Done: your support is taken off that item. What you wrote goes on as your own."
# "Undo" pressed too late, or on an older join than the latest.
METOO_UNDO_LATE = (
    "That can no longer be undone, so your support stays. You can still tell us your own "
    "with /start."
)
# "Undo" pressed again after the join was undone.
METOO_UNDO_DONE = "That's undone already: your support is not on that item."
# "Undo" pressed while another conversation is under way.
METOO_UNDO_BUSY = (
    "You're in the middle of telling us something. Finish it, or send /cancel, then press "
    "“Undo” again."
)
# Under that, when the citizen had added photos, a voice note or a place before joining.
METOO_JOINED_DROPPED = (
    "The photos, voice note or place you added are not kept: only your support goes with that item."
)
# In the digest, after an item's quote: how many more people said the same.
METOO_SUPPORTERS = Plural(" (+{n} person said the same)", " (+{n} people said the same)")

# -- Merging items (issue 17, "me too") ---------------------------------------------------------
# On a merged item's card, in place of its status.
MERGE_CARD_STATUS = "🔗 Merged into #{item} (it says the same), by {who} at {at}"
# In /mine, the status of an item a moderator merged into another saying the same.
MERGE_MINE_STATUS = "🔗 joined to another item saying the same: you hear back on that one"
# /mine: the status of an item joined to one that was taken down since.
MERGE_GONE_MINE_STATUS = "🔗 joined to another item saying the same, which was since taken down"
# To a moderator who sent /merge without two item numbers.
MERGE_USAGE = (
    "Send /merge followed by two item numbers: the published item first, then the one that "
    "says the same, e.g. /merge 12 15. The second one's author is counted with the first and "
    "hears back on it."
)
# To a moderator after /merge A B worked.
MERGED = (
    "🔗 #{item} is merged into #{into}: its author is counted with #{into} and hears back on "
    "it; #{item} is no longer counted on its own."
)
# To a moderator whose /merge changed nothing, by why ({item}: the item at fault).
MERGE_PROBLEMS = {
    "same_item": "#{item} can't be merged into itself: give two different items.",
    "no_such_item": "There is no item #{item}: check the numbers.",
    "other_service": "#{item} and #{into} are about different services, so they can't be merged.",
    # {item} was merged already, into {into}.
    "already_merged": "#{item} was already merged into #{into}, so nothing changed.",
    "not_published": "#{item} isn't published: merge into a published item.",
    "taken_down": "#{item} was rejected or unpublished, so it can't be merged: it counts nowhere.",
    "needs_transcript": (
        "#{item} is a voice note nobody has written down yet: type what it says first (✏️ Edit "
        "on its card), then merge."
    ),
}


# -- Places (issue 17) ---------------------------------------------------------------------------

# Asked for a service that runs in several places, before the rating (its sites as buttons).
PLACE_ASK = (
    "Where was this? Pick one of the places {service} runs, or share a location (📎, then"
    " Location). You can skip this."
)
# After a location was shared, before the next question.
PLACE_KEPT = (
    "📍 Thanks, I've noted where it was, to about 100 metres, so your exact spot (your home,"
    " say) is never shown."
)
# The same, when the location was near one of the service's sites.
PLACE_KEPT_SITE = (
    "📍 Thanks, I've noted it as {site} (I keep the location to about 100 metres, so your"
    " exact spot is never shown)."
)
# Button under it: keep the exact point instead (it helps find a pothole or a broken light).
PLACE_EXACT = "Keep the exact spot"
# Shown briefly when the exact spot was kept.
PLACE_EXACT_KEPT = "Kept the exact spot. Moderators see it; the service sees the place or area."
# Shown briefly when that button is pressed under a location replaced since by another place.
PLACE_EXACT_REPLACED = "You gave another place since, so that spot is no longer the one kept."
# On a moderator's card: where it happened (CARD_PLACE), the site and/or the point as a link.
CARD_PLACE = "📍 {place}"
CARD_PLACE_ROUGH = '<a href="{link}">{point}</a> (to about 100 m)'
CARD_PLACE_EXACT = '<a href="{link}">{point}</a> (the exact spot: the citizen asked)'
