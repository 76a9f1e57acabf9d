"""The whole loop on this machine, told as a story: the emulator, the real bot, simulated people.

One citizen's complaint is followed from the first /start to the answer reaching them: the
card the moderators see, the digest the provider reads (against a week seeded before it, so
the comparison and "needs attention" show), the response, and the value report. Everyone
else talks to the bot at the same time; their conversations are counted, not printed.

The steps that follow a flow of the bot closely, and change when the flow does, are each in
one method: `DemoCitizen.give_feedback`, `DemoModerator.decide_all`,
`DemoProvider.respond`, `hear_back`.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import aiosqlite

from bot import evidence
from bot.app import YousaidBot
from bot.config import Deployment, Settings, load_deployment
from bot.digest_content import Period
from bot.intake import CONSENT_VERSION
from emulator import Emulator, Group, Limits, MessageView, Person
from handlers import texts
from storage import citizens, feedback

TOKEN = "4242424242:DEMO-token-not-real"
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "riverside.toml"
WIDTH = 96
# The provider whose digest and response the story follows, and the theme it answers.
PROVIDER = "riverside-health"
THEME = "access_waiting"
# Fewer citizens than this and the digest has too little to compare.
MIN_CITIZENS = 8

# (service, what they say, rating or None, hear back): fictional. The first is the citizen
# the story follows; the GP surgery's come first so that any run of MIN_CITIZENS has them.
STORIES: list[tuple[str, str, int | None, bool]] = [
    (
        "gp-surgery",
        "Rang at 8am for an appointment and was told to call back tomorrow again.",
        1,
        True,
    ),
    ("gp-surgery", "Waited 50 minutes past my appointment time with no explanation.", 2, True),
    ("gp-surgery", "The online booking never shows any free appointments.", 2, True),
    ("gp-surgery", "The nurse was kind and explained everything clearly to my mum.", 5, False),
    (
        "gp-surgery",
        "Dr Patel was dismissive about my mum's pain. Ring me on 07700 900461.",
        1,
        True,
    ),
    ("parks", "Whoever runs this park is a total idiot, sack the lot of them.", 1, False),
    ("library", "The study room upstairs was freezing all afternoon.", 2, True),
    ("bins", "Our recycling was missed again on Elm Road, third time this month.", 1, True),
    ("buses", "The 42 was twenty minutes late twice this week and I was late for work.", 1, False),
    ("library", "Staff at the front desk helped my son find books for his project.", 5, False),
    ("library", "Could you open on Sunday mornings? It's the only time I can come.", None, True),
    ("bins", "The crew put the bins back neatly and closed the gate. Thank you!", 5, False),
    ("buses", "Driver waited for me when he saw me running. Made my day.", 5, False),
    ("parks", "The swings in Riverside Park have been broken for six weeks.", 2, True),
    ("council-tax", "Nobody answered the phone for an hour when I rang about my bill.", 1, True),
    ("library", "Half the computers were out of order and there was a queue.", 2, True),
    ("bins", "Why do garden waste collections stop in winter when we still have leaves?", 3, True),
    ("buses", "The timetable at the Mill Street stop is out of date and confusing.", 2, False),
    ("parks", "The new flower beds by the river are beautiful this year.", 5, False),
    ("council-tax", "Linda at the help desk sorted my discount in minutes.", 5, False),
    (
        "library",
        "The toddler rhyme time on Thursdays is brilliant, please keep it going.",
        5,
        False,
    ),
    ("bins", "Bin lorry blocked the school road at 8.30 and nobody could get past.", 2, True),
    ("buses", "Please add a late bus from the hospital; the last one goes at 6pm.", 3, True),
    ("parks", "Could the park gates stay open later in summer evenings?", 4, False),
    ("council-tax", "The letter about my bill was very hard to understand.", 2, True),
    ("buses", "The new bus station toilets are clean and the staff are friendly.", 4, False),
    ("parks", "Lights on the riverside path are out and it feels unsafe at night.", 1, True),
    ("council-tax", "Paying online kept failing at the last step.", 2, True),
    ("library", "Wheelchair access at the side entrance is blocked by the bike racks.", 2, True),
    ("buses", "Card payment on the bus is so much easier than before, thank you.", 4, False),
]

# Someone who, after the moderators published the first story, says the same in other
# words: the bot offers that item ("me too") and they add their support to it.
ME_TOO = "Rang the surgery at 8am for an appointment, again told to call back tomorrow."
# The GP surgery's week before: well rated, nothing about getting an appointment, so that
# this week's complaints read as a change. (text, rating, kind, themes)
WEEK_BEFORE: list[tuple[str, int, str, tuple[str, ...]]] = [
    (
        "The receptionist was patient and friendly on the phone.",
        5,
        "compliment",
        ("staff_attitude",),
    ),
    (
        "Repeat prescription was ready the next day, as promised.",
        4,
        "compliment",
        ("care_treatment",),
    ),
    ("The nurse explained my blood test results clearly.", 5, "compliment", ("communication",)),
    ("Waiting room was clean and calm.", 4, "compliment", ("environment",)),
    ("Dr Shah took time to listen properly.", 4, "compliment", ("staff_attitude",)),
    ("Could the text reminders come a day earlier?", 4, "suggestion", ("communication",)),
]

FIRST_NAMES = ["Amara", "Ben", "Chloe", "Dev", "Ella", "Finn", "Grace", "Hamza", "Isla", "Jack"]
FIRST_NAMES += ["Kofi", "Lena", "Maya", "Noah", "Olu", "Priya", "Quinn", "Ravi", "Sara", "Tom"]


@dataclass
class Chat:
    """What one person did and saw, as lines: (who, text, buttons)."""

    lines: list[tuple[str, str, list[str]]] = field(default_factory=list)

    def add(self, who: str, text: str, buttons: list[str] | None = None) -> None:
        """Note one line of the chat."""
        self.lines.append((who, text, buttons or []))

    def shown(self, who: str, message: MessageView) -> None:
        """Note a message the bot sent, with its buttons."""
        self.add(who, message.text or "", [b for row in message.buttons for b in row])


def labels(message: MessageView) -> dict[str, str]:
    """A message's buttons: label to callback data."""
    return {
        label: data or ""
        for row, datas in zip(message.buttons, message.button_data, strict=True)
        for label, data in zip(row, datas, strict=True)
    }


async def press(person: Person, message: MessageView, label: str, chat: Group | None = None) -> str:
    """Press a button of this message; return what the bot answered (its toast, if any)."""
    answer = await (
        await person.press_data(message.message_id, labels(message)[label], chat=chat)
    ).answered(timeout=30)
    return str(answer.get("text", ""))


class DemoCitizen:
    """A simulated person who tells the bot about a service, noting what happened."""

    def __init__(self, person: Person) -> None:
        self.person = person
        self.chat = Chat()
        # What they saw when a provider's response reached them.
        self.heard = Chat()
        self.reference: int | None = None

    async def say(self, text: str) -> MessageView:
        """Send text and wait for the reply."""
        self.chat.add("citizen", text)
        await self.person.send(text)
        reply = await self.person.next_message(timeout=30)
        self.chat.shown("bot", reply)
        return reply

    async def tap(self, label: str) -> MessageView:
        """Press a button on the newest message that has it, and wait for what it shows."""
        self.chat.add("citizen", f"[{label}]")
        before = [(m.message_id, m.text) for m in self.person.messages]
        await (await self.person.press(label)).answered(timeout=30)
        await self.person.wait_for(
            lambda msgs: [(m.message_id, m.text) for m in msgs] != before, timeout=30
        )
        shown = self.person.messages[-1]
        self.chat.shown("bot", shown)
        return shown

    async def give_feedback(
        self,
        service: tuple[str, str],
        story: str,
        rating: int | None,
        hear_back: bool,
        deep_link: bool,
    ) -> None:
        """The whole conversation: consent, the service (slug, name), the words, the rating,
        two questions."""
        slug, name = service
        await self.say(f"/start s_{slug}" if deep_link else "/start")
        await self.tap(texts.CONSENT_YES)
        if not deep_link:
            await self.tap(name)
        asked = await self.say(story)
        sites = [label for row in asked.buttons for label in row if label != texts.SKIP]
        if texts.PLACE_ASK.split("{")[0] in (asked.text or "") and sites:
            # A service in several places: the one the story names, else the first.
            named = [site for site in sites if site.lower() in story.lower()]
            asked = await self.tap((named or sites)[0])
        if texts.METOO_DIFFERENT in str(asked.buttons):
            # Something like it was published lately ("me too"): this one is told anew.
            asked = await self.tap(texts.METOO_DIFFERENT)
        assert "rate" in (asked.text or ""), asked.text
        await self.tap(str(rating) if rating else texts.SKIP)
        await self.tap(texts.YES if hear_back else texts.NO)
        done = (await self.tap(texts.NO)).text or ""
        if "Saved as #" in done:
            self.reference = int(done.split("#", 1)[1].split()[0])

    async def support(self, service: tuple[str, str], story: str, item: int | None) -> bool:
        """Tell the service (by its poster's link) something a published item already says;
        when the bot offers that item, join it. Whether they joined it."""
        slug = service[0]
        await self.say(f"/start s_{slug}")
        await self.tap(texts.CONSENT_YES)
        asked = await self.say(story)
        # The offer lists published items, numbered; the one we mean is the item's own text.
        said = STORIES[0][1]
        lines = (asked.text or "").splitlines()
        numbers = [line.split(".", 1)[0] for line in lines if said in line and line[:1].isdigit()]
        join = texts.METOO_JOIN.format(n=numbers[0]) if numbers else ""
        if item is None or not join or join not in str(asked.buttons):
            return False
        done = await self.tap(join)
        return f"#{item}" in (done.text or "")


class DemoModerator:
    """A simulated moderator: rejects the abusive item, approves the rest."""

    def __init__(self, person: Person, group: Group) -> None:
        self.person = person
        self.group = group
        self.approved: list[int] = []
        self.rejected: list[int] = []
        self.redacted: dict[int, str] = {}
        # What a card asked to check before approving (a likely name, a long number).
        self.checked: dict[int, str] = {}
        # The card the story shows: as first posted, then after the press.
        self.card: tuple[str, list[str]] | None = None
        self.card_after = ""

    async def join(self, admin: DemoCitizen) -> None:
        """The admin invites the moderator, who opens the link."""
        reply = (await admin.say("/invite moderator")).text or ""
        token = reply.split("start=", 1)[1].split()[0]
        await self.person.send(f"/start {token}")
        await self.person.next_message(timeout=30)

    async def decide_all(self, cards: int, show: int | None) -> None:
        """Decide every card waiting in the moderators' chat, once `cards` are there; keep
        card #`show` as the group saw it."""
        posted = await self.group.wait_for(lambda msgs: _cards(msgs) >= cards, timeout=60)
        for card in posted:
            number, text = _number(card), card.text or ""
            if number is None or texts.APPROVE not in labels(card):
                continue  # not a card, or one decided already (the week before's)
            if number == show:
                self.card = (text, [b for row in card.buttons for b in row])
            if "idiot" in text:
                await self._decide(card, texts.REJECT)
                await self._decide(card, texts.REASONS["abusive"])
                self.rejected.append(number)
            else:
                await self._decide(card, texts.APPROVE)
                self.approved.append(number)
                removed = [line for line in text.splitlines() if line.startswith("🔒")]
                if removed:
                    self.redacted[number] = removed[0].removeprefix("🔒").strip()
                check = [line for line in text.splitlines() if line.startswith("⚠️")]
                if check:
                    what = check[0].split(":", 1)[-1].strip()
                    self.checked[number] = what
            if number == show:
                self.card_after = (card.text or "").splitlines()[-1]

    async def _decide(self, card: MessageView, label: str) -> None:
        """Press a button of the card and wait for the card to change."""
        before = card.text, card.buttons
        await press(self.person, card, label, chat=self.group)
        await self.group.wait_for(lambda _: (card.text, card.buttons) != before, timeout=30)


def _number(message: MessageView) -> int | None:
    first = (message.text or "").split(maxsplit=1)
    if first and first[0].startswith("#") and first[0][1:].isdigit():
        return int(first[0][1:])
    return None


def _cards(messages: list[MessageView]) -> int:
    return sum(1 for m in messages if _number(m) is not None)


class DemoProvider:
    """A simulated person speaking for a provider: reads the digest, answers a theme."""

    def __init__(self, person: Person) -> None:
        self.person = person
        self.chat = Chat()
        self.chart: bytes | None = None

    async def join(self, admin: DemoCitizen, provider_id: str) -> None:
        """The admin invites them to speak for the provider; they open the link."""
        reply = (await admin.say(f"/invite provider {provider_id}")).text or ""
        token = reply.split("start=", 1)[1].split()[0]
        await self.person.send(f"/start {token}")
        await self.person.next_message(timeout=30)

    async def read_digest(self) -> MessageView:
        """/digest: the period so far, a chart and the text with a button per theme."""
        self.chat.add("provider", "/digest")
        await self.person.send("/digest")
        found = await self.person.wait_for(
            lambda msgs: any(_respond_buttons(m) for m in msgs), timeout=60
        )
        for message in found:
            if message.photo is not None:
                self.chart = message.photo
                self.chat.add("bot", f"[picture: {message.caption or 'a chart'}]")
        digest = next(m for m in found if _respond_buttons(m))
        self.chat.shown("bot", digest)
        return digest

    async def respond(self, digest: MessageView, theme: str, status: str, words: str) -> str:
        """Answer `theme` from the digest with `status` and `words`; return the bot's last word.

        Publishing may ask to confirm a preview first: its Send button is pressed.
        """
        buttons = _respond_buttons(digest)
        label = next((b for b in buttons if theme in b), buttons[0])
        await self._tap(digest, label)
        await self._tap(self.person.messages[-1], status)
        self.chat.add("provider", words)
        await self.person.send(words)
        last = await self.person.wait_for(_settled, timeout=30)
        sends = [b for b in labels(last[-1]) if "Send" in b]
        if "Published" not in (last[-1].text or "") and sends:
            self.chat.shown("bot", last[-1])
            self.chat.add("provider", f"[{sends[0]}]")
            await press(self.person, last[-1], sends[0])
            last = await self.person.wait_for(
                lambda m: "Published" in (m[-1].text or ""), timeout=30
            )
        self.chat.shown("bot", last[-1])
        return last[-1].text or ""

    async def _tap(self, message: MessageView, label: str) -> None:
        self.chat.add("provider", f"[{label}]")
        before = [(m.message_id, m.text) for m in self.person.messages]
        await press(self.person, message, label)
        await self.person.wait_for(
            lambda msgs: [(m.message_id, m.text) for m in msgs] != before, timeout=30
        )
        self.chat.shown("bot", self.person.messages[-1])


def _settled(messages: list[MessageView]) -> bool:
    text = messages[-1].text or ""
    return "Published" in text or any("Send" in b for b in labels(messages[-1]))


def _respond_buttons(message: MessageView) -> list[str]:
    return [label for label in labels(message) if "Respond:" in label]


async def hear_back(people: list[DemoCitizen], missing: str) -> list[DemoCitizen]:
    """Those the response reached say whether it answers their point; the last of several
    says not really, and what is missing. Return who heard; each one's chat is in `heard`."""
    heard = [p for p in people if _notice(p) is not None]
    for number, citizen in enumerate(heard, start=1):
        notice = _notice(citizen)
        assert notice is not None
        chat = citizen.heard
        chat.shown("bot", notice)
        verdict = texts.ANSWERED_NO if number == len(heard) > 1 else texts.ANSWERED_YES
        chat.add("citizen", f"[{verdict}]")
        chat.add("bot", f"({await press(citizen.person, notice, verdict)})")
        if verdict == texts.ANSWERED_NO:
            prompt = await citizen.person.wait_for(
                lambda m: "what's missing" in (m[-1].text or ""), timeout=30
            )
            chat.shown("bot", prompt[-1])
            chat.add("citizen", missing)
            await citizen.person.send(missing)
            chat.shown("bot", await citizen.person.next_message(timeout=30))
    return heard


def _notice(citizen: DemoCitizen) -> MessageView | None:
    found = [m for m in citizen.person.messages if "has responded" in (m.text or "")]
    return found[-1] if found else None


async def seed_week_before(bot: YousaidBot) -> int:
    """The GP surgery's week before this one, approved and published: what the digest
    compares with. Written straight to storage, as the bot would have kept it."""
    health = next(p for p in bot.deployment.providers if p.id == PROVIDER)
    start, end = bot.digests.current_period(health)
    length = end - start
    moments = [start - length * (k + 1) / (len(WEEK_BEFORE) + 1) for k in range(len(WEEK_BEFORE))]

    async def write(conn: aiosqlite.Connection) -> None:
        for k, ((text, rating, kind, themes), at) in enumerate(
            zip(WEEK_BEFORE, sorted(moments), strict=True)
        ):
            await _published(conn, 900_000_001 + k, text, rating, kind, themes, at)

    await bot.db.write(write)
    return len(WEEK_BEFORE)


async def _published(
    conn: aiosqlite.Connection,
    telegram_id: int,
    text: str,
    rating: int,
    kind: str,
    themes: tuple[str, ...],
    at: datetime,
) -> None:
    citizen = await citizens.get_or_create(conn, telegram_id, at)
    await citizens.record_consent(conn, citizen.id, CONSENT_VERSION, "given", at)
    item = await feedback.create(
        conn,
        citizen_id=citizen.id,
        service_slug="gp-surgery",
        text=text,
        rating=rating,
        hear_back=False,
        now=at,
    )
    await feedback.save_tagging(
        conn,
        item,
        kind=kind,
        redacted_text=text,
        redactions="[]",
        themes=[(t, 0.9, "model", "[]") for t in themes],
        now=at,
    )
    await feedback.decide(
        conn, item, status="approved", published_text=text, reject_reason=None, moderator=1, now=at
    )
    await feedback.mark_told(conn, item, at)


async def _report(bot: YousaidBot) -> tuple[str, bytes]:
    """The evidence of value of the demo's day, every service: Markdown and a chart."""
    now = bot.clock()
    period = Period(now - timedelta(days=1), now + timedelta(minutes=1))
    services = await bot.digests.all_services_everywhere()
    found = await evidence.evidence(bot.db, services, period, bot.tagger.broad)
    chart = await asyncio.to_thread(evidence.chart_png, found, "Europe/London")
    return evidence.markdown(found, "Europe/London"), chart


class Printer:
    """Prints the story: sections of chat lines, wrapped to the terminal."""

    def __init__(self, out: Callable[[str], None] = print) -> None:
        self.out = out

    def section(self, title: str) -> None:
        """A heading."""
        self.out("")
        self.out(f"── {title} " + "─" * max(3, WIDTH - 4 - len(title)))

    def chat(self, chat: Chat) -> None:
        """One person's chat, a line per message; paragraphs joined with ¶."""
        for who, text, buttons in chat.lines:
            body = " ¶ ".join(p.replace("\n", " / ") for p in text.split("\n\n") if p.strip())
            if buttons:
                body += " [buttons: " + " | ".join(buttons) + "]"
            self.note(f"{who}: {body}", indent=len(who) + 4)

    def note(self, text: str, indent: int = 4) -> None:
        """A line of narration, wrapped."""
        self.out(textwrap.fill(text, WIDTH, initial_indent="  ", subsequent_indent=" " * indent))

    def block(self, text: str, indent: int = 2) -> None:
        """Lines shown as they are (a card, a digest, a table), indented."""
        for line in text.splitlines():
            self.out(" " * indent + line if line else "")


async def run_demo(
    citizens: int = 30, seed: int = 7, keep: bool = False, out: Callable[[str], None] = print
) -> int:
    """Run the demo and print its story; return the exit code. `keep` keeps its folder."""
    if citizens < MIN_CITIZENS:
        raise ValueError(f"the demo needs at least {MIN_CITIZENS} citizens")
    workdir = Path(tempfile.mkdtemp(prefix="yousaid-demo-"))
    try:
        return await _run(citizens, seed, workdir, keep, Printer(out))
    finally:
        if keep:
            out(f"Kept {workdir}: the database (yousaid.db) and the charts.")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
            out(
                "The database and charts were in a temporary folder, now removed (--keep keeps it)."
            )


async def _run(citizens: int, seed: int, workdir: Path, keep: bool, show: Printer) -> int:
    began = time.monotonic()
    rng = random.Random(seed)
    example = load_deployment(EXAMPLE)
    service_names = {s.slug: s.name for s in example.services}
    show.out(
        f"yousaid demo: {example.name}, fictional, on a local Telegram emulator (no token)."
        f" {citizens} citizens talk to the bot at once; we follow one of them."
    )
    # Telegram allows 20 messages a minute to a group; the demo's moderators' chat gets a
    # card per item at once, so both sides raise that one limit, to keep the demo short.
    limits = Limits(group_burst=600)
    async with Emulator(token=TOKEN, bot_username="riverside_yousaid_bot", limits=limits) as emu:
        admin = DemoCitizen(emu.person("Ada"))
        sam = emu.person("Sam")
        group = emu.group("Riverside moderators", members=[admin.person, sam])
        # Each provider's team has its group here too, so the bot finds every chat it is
        # given (a chat it cannot reach is a warning at start, not part of the story).
        providers = [
            p.model_copy(update={"chats": [emu.group(f"{p.name} team").id]})
            for p in example.providers
        ]
        deployment: Deployment = example.model_copy(
            update={
                "admins": [admin.person.id],
                "moderators_chat": group.id,
                "providers": providers,
            }
        )
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=emu.api_url,
            DATABASE_URL=f"sqlite:///{workdir / 'yousaid.db'}",
            YOUSAID_GROUP_MESSAGES_PER_MINUTE=600,
        )
        async with YousaidBot(settings, deployment, TOKEN) as bot:
            seeded = await seed_week_before(bot)
            moderator = DemoModerator(sam, group)
            await moderator.join(admin)
            names = [
                FIRST_NAMES[i % len(FIRST_NAMES)] + (f" {i // len(FIRST_NAMES) + 1}" * (i >= 20))
                for i in range(citizens)
            ]
            people = [DemoCitizen(emu.person(name)) for name in names]
            stories = [STORIES[i % len(STORIES)] for i in range(citizens)]
            await asyncio.gather(
                *(
                    # The citizen we follow picks the service from the list; others may
                    # come from a poster's QR code (a deep link).
                    person.give_feedback(
                        (slug, service_names[slug]),
                        text,
                        rating,
                        hear_back,
                        deep_link=k > 0 and rng.random() < 0.3,
                    )
                    for k, (person, (slug, text, rating, hear_back)) in enumerate(
                        zip(people, stories, strict=True)
                    )
                )
            )
            hero = people[0]
            await moderator.decide_all(citizens + seeded, show=hero.reference)
            told = await hero.person.wait_for(
                lambda m: "passed on" in (m[-1].text or ""), timeout=30
            )
            await emu.idle(quiet=0.3, timeout=30)
            uma = DemoCitizen(emu.person("Uma"))
            supported = await uma.support(
                ("gp-surgery", service_names["gp-surgery"]), ME_TOO, hero.reference
            )

            pat = DemoProvider(emu.person("Pat"))
            await pat.join(admin, PROVIDER)
            digest = await pat.read_digest()
            published = await pat.respond(
                digest,
                bot.tagger.labels.get(THEME, THEME),
                texts.RESPONSE_STATUS["changed"],
                "From Monday, 8am calls are answered by two extra receptionists, and half of "
                "each day's appointments can be booked online the evening before.",
            )
            await hero.person.wait_for(lambda m: _notice(hero) is not None, timeout=60)
            await emu.idle(quiet=0.5, timeout=30)
            heard = await hear_back(people, "Booking online still shows nothing before next week.")
            await emu.idle(quiet=0.3, timeout=30)
            report, report_chart = await _report(bot)
            items = await feedback.all_items(bot.db.reader)
        calls = len(emu.calls)

    if keep:
        (workdir / "report.png").write_bytes(report_chart)
        if pat.chart:
            (workdir / "digest.png").write_bytes(pat.chart)

    show.section(f"1. {names[0]} tells the bot about {service_names[stories[0][0]]}")
    show.chat(hero.chat)
    show.note(f"({citizens - 1} other citizens did the same at the same time.)")

    show.section("2. The moderators' group: the card of that item")
    if moderator.card is not None:
        text, buttons = moderator.card
        show.out("  bot:")
        show.block(text, indent=4)
        show.out("    [buttons: " + " | ".join(buttons) + "]")
    show.note(f"moderator: [{texts.APPROVE}] → the card now ends “{moderator.card_after}”")
    show.note(
        f"The moderator approved {len(moderator.approved)} items and rejected"
        f" {len(moderator.rejected)} as abusive"
        + "".join(f"; #{n} was passed on with “{what}”" for n, what in moderator.redacted.items())
        + "".join(
            f"; #{n}'s card asked to check {what} first" for n, what in moderator.checked.items()
        )
        + ". Each author is told; what the citizen got:"
    )
    show.chat(Chat([("bot", told[-1].text or "", [])]))

    show.section(f"3. Uma says the same in her words: “me too” (#{hero.reference})")
    told_from = next(i for i, (who, text, _) in enumerate(uma.chat.lines) if text == ME_TOO)
    show.note("(She came by the surgery's poster link and agreed to the notice, as above.)")
    show.chat(Chat(uma.chat.lines[told_from:]))
    if not supported:
        show.note("(The bot offered nothing like it this time.)")

    provider_name = next(p.name for p in deployment.providers if p.id == PROVIDER)
    show.section(f"4. The digest {provider_name} reads (a week before was seeded to compare)")
    show.chat(Chat(pat.chat.lines[:2]))
    show.out("  bot:")
    show.block(digest.text or "", indent=4)
    show.out("    [buttons: " + " | ".join(labels(digest)) + "]")
    if keep and pat.chart:
        show.out(f"  [chart: {workdir / 'digest.png'}]")

    show.section("5. The provider answers a theme of the digest")
    show.chat(Chat(pat.chat.lines[3:]))

    show.section(f"6. The answer reaches {names[0]} (and everyone it covers who asked)")
    show.chat(hero.heard)
    others = [p for p in heard if p is not hero]
    if others:
        last = others[-1]
        show.note(
            f"({len(heard)} people got it; {len(heard) - 1} said it answers their point;"
            f" {last.person.first_name} said not really, and what is missing, saved as new"
            " feedback for the moderators.)"
        )
    if _notice(uma) is not None:
        show.note("(Uma, who added her support to the item, heard it too, once.)")

    show.section("7. Evidence of value (python -m bot report)")
    show.block(report)
    if keep:
        show.out(f"  [chart: {workdir / 'report.png'}]")

    by_status: dict[str, int] = {}
    for item in items:
        by_status[item.status] = by_status.get(item.status, 0) + 1
    show.out("")
    show.out(
        f"{citizens} citizens, {len(items)} items ({seeded} seeded in the week before; "
        + ", ".join(f"{n} {status}" for status, n in sorted(by_status.items()))
        + f"), {calls} Bot API calls, {time.monotonic() - began:.0f} s."
    )
    saved = sum(1 for p in people if p.reference is not None)
    done = saved == citizens and heard and "Published" in published and supported
    return 0 if done else 1
