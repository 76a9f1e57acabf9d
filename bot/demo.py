"""The whole loop on this machine: the emulator, the real bot, simulated citizens."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import tempfile
import textwrap
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bot import evidence
from bot.app import YousaidBot
from bot.config import Deployment, Settings, load_deployment
from bot.digest_content import Period, build_digest
from bot.preview import plain
from emulator import Emulator, Group, Limits, MessageView, Person
from handlers import texts

TOKEN = "4242424242:DEMO-token-not-real"
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "riverside.toml"

# (service, what they say, rating or None): realistic, varied, fictional.
STORIES: list[tuple[str, str, int | None]] = [
    (
        "library",
        "The study room upstairs was freezing all afternoon and the heating seemed off.",
        2,
    ),
    ("library", "Staff at the front desk helped my son find books for his project. Lovely.", 5),
    ("library", "Could you open on Sunday mornings? It's the only time I can come.", None),
    ("library", "Half the computers were out of order and there was a queue of 10 people.", 2),
    ("library", "The toddler rhyme time on Thursdays is brilliant, please keep it going.", 5),
    ("bins", "Our recycling was missed again on Elm Road, third time this month.", 1),
    ("bins", "The crew put the bins back neatly and closed the gate. Thank you!", 5),
    ("bins", "Why do garden waste collections stop in winter when we still have leaves?", 3),
    ("bins", "Bin lorry blocked the school road at 8.30 and nobody could get past.", 2),
    ("buses", "The 42 was twenty minutes late twice this week and I was late for work.", 1),
    ("buses", "Driver waited for me when he saw me running. Made my day.", 5),
    ("buses", "The timetable at the Mill Street stop is out of date and confusing.", 2),
    ("buses", "Please add a late bus from the hospital; the last one goes at 6pm.", 3),
    ("buses", "The new bus station toilets are clean and the staff are friendly.", 4),
    ("gp-surgery", "Rang at 8am for an appointment and was told to call back tomorrow again.", 1),
    ("gp-surgery", "The nurse was kind and explained everything clearly to my mum.", 5),
    ("gp-surgery", "Waited 50 minutes past my appointment time with no explanation.", 2),
    ("gp-surgery", "The online booking never shows any free appointments.", 2),
    ("gp-surgery", "Dr Patel was dismissive about my mum's pain. Ring me on 07700 900461.", 1),
    ("parks", "The swings in Riverside Park have been broken for six weeks.", 2),
    ("parks", "The new flower beds by the river are beautiful this year.", 5),
    ("parks", "Whoever runs this park is a total idiot, sack the lot of them.", 1),
    ("parks", "Could the park gates stay open later in summer evenings?", 4),
    ("parks", "Lights on the riverside path are out and it feels unsafe at night.", 1),
    ("council-tax", "Nobody answered the phone for an hour when I rang about my bill.", 1),
    ("council-tax", "Linda at the help desk sorted my single person discount in minutes.", 5),
    ("council-tax", "The letter about my bill was very hard to understand.", 2),
    ("council-tax", "Paying online kept failing at the last step.", 2),
    ("library", "Wheelchair access at the side entrance is blocked by the bike racks.", 2),
    ("buses", "Card payment on the bus is so much easier than before, thank you.", 4),
]


@dataclass
class Transcript:
    """What one simulated citizen did and saw."""

    name: str
    lines: list[tuple[str, str]] = field(default_factory=list)
    reference: int | None = None


class DemoCitizen:
    """A simulated person who talks to the bot, noting what happened."""

    def __init__(self, person: Person, rng: random.Random) -> None:
        self.person = person
        self.rng = rng
        self.log = Transcript(person.first_name)

    async def say(self, text: str) -> str:
        """Send text and wait for the reply."""
        self.log.lines.append(("you", text))
        await self.person.send(text)
        reply = (await self.person.next_message(timeout=30)).text or ""
        self.log.lines.append(("bot", reply))
        return reply

    async def tap(self, label: str) -> str:
        """Press a button and wait for what it shows."""
        self.log.lines.append(("you", f"[{label}]"))
        before = [(m.message_id, m.text) for m in self.person.messages]
        press = await self.person.press(label)
        await press.answered(timeout=30)
        await self.person.wait_for(
            lambda msgs: [(m.message_id, m.text) for m in msgs] != before, timeout=30
        )
        shown = self.person.messages[-1].text or ""
        self.log.lines.append(("bot", shown))
        return shown

    async def give_feedback(self, slug: str, name: str, story: str, rating: int | None) -> None:
        """The whole conversation, with a few of the things real people do."""
        deep_link = self.rng.random() < 0.3
        await self.say(f"/start s_{slug}" if deep_link else "/start")
        await self.tap(texts.CONSENT_YES)
        if not deep_link:
            await self.tap(name)
        if self.rng.random() < 0.15:
            await self.say("ok")
        if self.rng.random() < 0.1:
            self.log.lines.append(("you", "[a photo]"))
            await self.person.send_photo()
            self.log.lines.append(("bot", (await self.person.next_message(timeout=30)).text or ""))
        reply = await self.say(story)
        assert "rate" in reply, reply
        await self.tap(str(rating) if rating else texts.SKIP)
        await self.tap(texts.YES if self.rng.random() < 0.7 else texts.NO)
        done = await self.tap(texts.YES if self.rng.random() < 0.4 else texts.NO)
        if "Saved as #" in done:
            self.log.reference = int(done.split("#", 1)[1].split()[0])


class DemoModerator:
    """A simulated moderator: approves most items, edits one, rejects one."""

    def __init__(self, person: Person, group: Group) -> None:
        self.person = person
        self.group = group
        self.log: list[str] = []

    async def join(self, admin: DemoCitizen) -> None:
        """The admin invites the moderator, who opens the link."""
        reply = await admin.say("/invite moderator")
        token = reply.split("start=", 1)[1].split()[0]
        await self.person.send(f"/start {token}")
        welcome = (await self.person.next_message(timeout=30)).text or ""
        self.log.append(f"{self.person.first_name} opened the invitation: {welcome}")

    async def work_the_queue(self, items: int) -> None:
        """Decide every card in the moderators' chat."""
        cards = await self.group.wait_for(lambda msgs: _cards(msgs) >= items, timeout=60)
        for card in [m for m in cards if (m.text or "").startswith("#")]:
            text = card.text or ""
            number = text.split()[0]
            if "idiot" in text:
                await self._press(card, texts.REJECT)
                await self._press(card, texts.REASONS["abusive"])
                self.log.append(f"{number}: rejected as abusive")
            elif "Wheelchair" in text:
                await self._press(card, texts.EDIT)
                prompt = (
                    await self.group.wait_for(lambda m: "reply to this" in (m[-1].text or ""))
                )[-1]
                fixed = "Wheelchair access at the side entrance is blocked by bike racks."
                await self.person.send(fixed, chat=self.group, reply_to=prompt)
                await self.group.wait_for(lambda m: "updated" in (m[-1].text or ""), timeout=30)
                await self._press(card, texts.APPROVE)
                self.log.append(f"{number}: edited to “{fixed}”, then approved")
            else:
                await self._press(card, texts.APPROVE)
                removed = [line for line in text.splitlines() if line.startswith("🔒")]
                self.log.append(f"{number}: approved" + (f" ({removed[0][2:]})" if removed else ""))

    async def _press(self, card: MessageView, label: str) -> None:
        before = card.text, card.buttons
        data = dict(
            zip(
                [b for row in card.buttons for b in row],
                [d for row in card.button_data for d in row],
                strict=True,
            )
        )[label]
        press = await self.person.press_data(card.message_id, data or "", chat=self.group)
        await press.answered(timeout=30)
        if label != texts.EDIT:
            await self.group.wait_for(lambda _: (card.text, card.buttons) != before, timeout=30)


class DemoProvider:
    """A simulated provider's person: reads the digest, answers its top theme."""

    def __init__(self, person: Person) -> None:
        self.person = person
        self.log: list[tuple[str, str]] = []

    async def join(self, admin: DemoCitizen, provider_id: str) -> None:
        """The admin invites them to speak for a provider; they open the link."""
        reply = await admin.say(f"/invite provider {provider_id}")
        token = reply.split("start=", 1)[1].split()[0]
        await self.person.send(f"/start {token}")
        self.log.append(("bot", (await self.person.next_message(timeout=30)).text or ""))

    async def respond_to_top_theme(self, status: str, words: str) -> str:
        """/digest, then answer the first theme it offers; return what the bot said."""
        self.log.append(("you", "/digest"))
        await self.person.send("/digest")
        found = await self.person.wait_for(
            lambda m: any(_respond_buttons(x) for x in m), timeout=30
        )
        digest = next(m for m in found if _respond_buttons(m))
        self.log.append(("bot", (digest.text or "").split("\n\n", 1)[0] + " …"))
        label, data = _respond_buttons(digest)[0]
        await self._press(digest, label, data, "What is your answer?")
        asked = self.person.messages[-1]
        status_data = dict(_all_buttons(asked))[status]
        await self._press(asked, status, status_data, "Reply to this message")
        self.log.append(("you", words))
        await self.person.send(words)
        # The bot shows a preview first; nothing goes out until Send.
        preview = (await self.person.wait_for(lambda m: _has_send(m[-1]), timeout=30))[-1]
        self.log.append(("bot", preview.text or ""))
        send = dict(_all_buttons(preview))[texts.RESPOND_SEND]
        await self._press(preview, texts.RESPOND_SEND, send, "Published")
        return self.person.messages[-1].text or ""

    async def _press(self, message: MessageView, label: str, data: str, expect: str) -> None:
        self.log.append(("you", f"[{label}]"))
        press = await self.person.press_data(message.message_id, data)
        await press.answered(timeout=30)
        found = await self.person.wait_for(lambda m: expect in (m[-1].text or ""), timeout=30)
        self.log.append(("bot", found[-1].text or ""))


def _has_send(message: MessageView) -> bool:
    return any(label == texts.RESPOND_SEND for label, _ in _all_buttons(message))


def _all_buttons(message: MessageView) -> list[tuple[str, str]]:
    return [
        (label, data or "")
        for labels, datas in zip(message.buttons, message.button_data, strict=True)
        for label, data in zip(labels, datas, strict=True)
    ]


def _respond_buttons(message: MessageView) -> list[tuple[str, str]]:
    return [(label, data) for label, data in _all_buttons(message) if "Respond:" in label]


async def _hear_back(people: list[DemoCitizen]) -> list[DemoCitizen]:
    """The contributors who received the response rate it; one says what is missing."""
    heard = []
    for person in people:
        notices = [m for m in person.person.messages if "has responded" in (m.text or "")]
        if not notices:
            continue
        heard.append(person)
        person.log = Transcript(person.log.name, reference=person.log.reference)
        person.log.lines.append(("bot", notices[-1].text or ""))
        verdict = texts.ANSWERED_NO if len(heard) % 3 == 0 else texts.ANSWERED_YES
        person.log.lines.append(("you", f"[{verdict}]"))
        press = await person.person.press_data(
            notices[-1].message_id, dict(_all_buttons(notices[-1]))[verdict]
        )
        answer = await press.answered(timeout=30)
        person.log.lines.append(("bot", f"({answer.get('text', '')})"))
        if verdict == texts.ANSWERED_NO:
            prompt = await person.person.wait_for(
                lambda m: "what's missing" in (m[-1].text or ""), timeout=30
            )
            person.log.lines.append(("bot", prompt[-1].text or ""))
            if len(heard) == 3:
                comment = "Booking online still shows nothing before next week."
                person.log.lines.append(("you", comment))
                await person.person.send(comment)
                saved = await person.person.wait_for(
                    lambda m: "comment is saved" in (m[-1].text or ""), timeout=30
                )
                person.log.lines.append(("bot", saved[-1].text or ""))
    return heard


def _cards(messages: list[MessageView]) -> int:
    return sum(1 for m in messages if (m.text or "").startswith("#"))


async def run_demo(citizens: int = 30, seed: int = 7) -> int:
    """Run the demo and print what happened; return the exit code."""
    rng = random.Random(seed)
    example = load_deployment(EXAMPLE)
    names = {s.slug: s.name for s in example.services}
    workdir = Path(tempfile.mkdtemp(prefix="yousaid-demo-"))
    db_path = workdir / "yousaid.db"
    # Telegram allows 20 messages a minute to a group; the demo's moderators' chat gets a
    # card per item at once, so both sides raise that one limit, to keep the demo short.
    limits = Limits(group_burst=600)
    async with Emulator(token=TOKEN, bot_username="riverside_yousaid_bot", limits=limits) as emu:
        admin = DemoCitizen(emu.person("Ada"), rng)
        sam = emu.person("Sam")
        group = emu.group("Riverside moderators", members=[admin.person, sam])
        deployment: Deployment = example.model_copy(
            update={"admins": [admin.person.id], "moderators_chat": group.id}
        )
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=emu.api_url,
            DATABASE_URL=f"sqlite:///{db_path}",
            YOUSAID_GROUP_MESSAGES_PER_MINUTE=600,
        )
        print(f"Telegram Bot API emulator on {emu.api_url}; database {db_path}\n")
        async with YousaidBot(settings, deployment, TOKEN) as bot:
            moderator = DemoModerator(sam, group)
            await moderator.join(admin)
            people = [
                DemoCitizen(emu.person(name), random.Random(rng.random()))
                for name in _names(citizens)
            ]
            stories = [STORIES[i % len(STORIES)] for i in range(citizens)]
            await asyncio.gather(
                *(
                    person.give_feedback(slug, names[slug], story, rating)
                    for person, (slug, story, rating) in zip(people, stories, strict=True)
                )
            )
            await moderator.work_the_queue(citizens)
            await emu.idle(quiet=0.3, timeout=30)
            digests = await _digests(bot, workdir)
            # The loop closes: the health partnership answers its top theme from the digest.
            provider = DemoProvider(emu.person("Pat"))
            await provider.join(admin, "riverside-health")
            await provider.respond_to_top_theme(
                texts.RESPONSE_STATUS["changed"],
                "From Monday, 8am calls are answered by two extra receptionists, and half of "
                "each day's appointments can be booked online the evening before.",
            )
            for _ in range(300):
                if any(
                    "has responded" in (m.text or "") for p in people for m in p.person.messages
                ):
                    break
                await asyncio.sleep(0.1)
            await emu.idle(quiet=0.5, timeout=30)
            heard = await _hear_back(people)
            await emu.idle(quiet=0.3, timeout=30)
            report, report_chart = await _report(bot, workdir)
            health = next(p for p in bot.deployment.providers if p.id == "riverside-health")
            after = await bot.handlers.provider.build(
                health, provider.person.id, *bot.digests.current_period(health)
            )
        sent = len(emu.calls)
    for person in people[:3]:
        _print_transcript(person.log)
    _print_moderation(moderator, people)
    _print_items(db_path)
    _print_digests(digests)
    _print_loop(provider, heard, report, report_chart)
    print("\n── Riverside Health Partnership's digest now also says " + "─" * 23)
    text = plain(after.text)
    start = text.find("📣")
    for line in text[start:].split("💬", 1)[0].rstrip().splitlines() if start >= 0 else []:
        print(f"  {line}")
    saved = sum(1 for p in people if p.log.reference is not None)
    print(f"\n{saved} of {citizens} citizens were given a reference number; {sent} Bot API calls.")
    return 0 if saved == citizens and heard else 1


async def _digests(bot: YousaidBot, workdir: Path) -> list[tuple[str, str, Path | None]]:
    """Each provider's digest of the period so far: (name, text, chart file)."""
    found = []
    for provider in bot.deployment.providers:
        start, end = bot.digests.current_period(provider)
        digest = await build_digest(
            bot.db,
            provider=provider,
            services=await bot.digests.all_services(provider.id),
            period=Period(start, end),
            labels=bot.tagger.labels,
            timezone=provider.timezone,
        )
        chart = None
        if digest.chart_png:
            chart = workdir / f"digest-{provider.id}.png"
            await asyncio.to_thread(chart.write_bytes, digest.chart_png)
        found.append((provider.name, plain(digest.text), chart))
    return found


async def _report(bot: YousaidBot, workdir: Path) -> tuple[str, Path]:
    """The evidence of value of the demo's day, every service: Markdown and a chart."""
    now = bot.clock()
    period = Period(now - timedelta(days=1), now + timedelta(minutes=1))
    services = await bot.digests.all_services_everywhere()
    found = await evidence.evidence(bot.db, services, period)
    chart = workdir / "report.png"
    await asyncio.to_thread(chart.write_bytes, evidence.chart_png(found, "Europe/London"))
    return evidence.markdown(found, "Europe/London"), chart


def _print_loop(provider: DemoProvider, heard: list[DemoCitizen], report: str, chart: Path) -> None:
    print("\n── What Pat (Riverside Health Partnership) did " + "─" * 32)
    for who, text in provider.log:
        body = textwrap.fill(text.replace("\n\n", " ¶ "), 88, subsequent_indent="       ")
        print(f"  {who:>3}: {body}")
    print()
    for person in heard[:3]:
        _print_transcript(person.log)
    print(f"  ({len(heard)} contributors who asked to hear back got the response.)\n")
    print("── Evidence of value (python -m bot report) " + "─" * 35)
    for line in report.splitlines():
        print(f"  {line}")
    print(f"  [chart: {chart}]")


def _print_digests(digests: list[tuple[str, str, Path | None]]) -> None:
    for name, text, chart in digests:
        print(f"\n── The digest {name} would get now " + "─" * max(0, 44 - len(name)))
        for line in text.splitlines():
            print(f"  {line}")
        if chart is not None:
            print(f"  [chart: {chart}]")


def _print_moderation(moderator: DemoModerator, people: list[DemoCitizen]) -> None:
    print("── The moderator " + "─" * 62)
    for line in moderator.log:
        print(f"  {line}")
    print("\n── What some authors were told " + "─" * 48)
    shown = 0
    for person in people:
        told = [
            m.text or ""
            for m in person.person.messages
            if "about" in (m.text or "") and ("passed on" in (m.text or ""))
        ]
        if told and (shown < 2 or "not passed on" in told[-1] or "removed" in told[-1]):
            print(f"  {person.log.name}: " + textwrap.fill(told[-1], 88, subsequent_indent="    "))
            shown += 1
    print()


def _names(count: int) -> list[str]:
    first = [
        "Amara",
        "Ben",
        "Chloe",
        "Dev",
        "Ella",
        "Finn",
        "Grace",
        "Hamza",
        "Isla",
        "Jack",
        "Kofi",
        "Lena",
        "Maya",
        "Noah",
        "Olu",
        "Priya",
        "Quinn",
        "Ravi",
        "Sara",
        "Tom",
    ]
    return [
        first[i % len(first)] + ("" if i < len(first) else f" {i // len(first) + 1}")
        for i in range(count)
    ]


def _print_transcript(log: Transcript) -> None:
    print(f"── What {log.name} saw " + "─" * max(0, 60 - len(log.name)))
    for who, text in log.lines:
        body = textwrap.fill(text.replace("\n\n", " ¶ "), 88, subsequent_indent="       ")
        print(f"  {who:>3}: {body}")
    print()


def _print_items(db_path: Path) -> None:
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute(
            "SELECT f.id, s.name, f.rating, f.hear_back, f.status, f.text FROM feedback f"
            " JOIN services s ON s.slug = f.service_slug ORDER BY f.id"
        ).fetchall()
    print("── Stored feedback " + "─" * 60)
    print(f"  {'#':>3}  {'service':<28} {'rating':<6} {'hear back':<9} {'status':<8} text")
    for ref, service, rating, hear_back, status, text in rows:
        snippet = text if len(text) <= 48 else text[:47] + "…"
        print(
            f"  {ref:>3}  {service:<28} {rating or '-':<6} {'yes' if hear_back else 'no':<9}"
            f" {status:<8} {snippet}"
        )
