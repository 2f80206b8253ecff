"""End-to-end load: ``python -m bot`` (and an echo bot) polling a local fake Telegram, timed by the fake.

The fake Bot API server (``tests.fakebot``) runs in this process on 127.0.0.1; the bot under
test is a separate ``python -m bot`` started as users start it, with its own settings and
store. Simulated users each wait for their answer before their next update (a closed loop of
``concurrency`` users at a time), so the load is what many people typing at once produce.
Latency is measured by the fake's own clock: from the moment an update is available to
getUpdates until the Bot API call that answers it arrives (the first message sent to the chat,
``answerInlineQuery`` for an inline query, ``answerCallbackQuery`` for a press, which the bot
answers last). Every loop is bounded in count and in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import stalls
from bench.probe import vm_hwm_mb, vm_rss_mb
from bench.workload import Workload, is_cjk
from tests.e2e.harness import OWNER_IDS, BotProcess, new_fake
from tests.fakebot import Call, FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 180.0
"""Generous: a 100k-company store on a shared 2-core machine can take tens of seconds to open."""
STOP_TIMEOUT = 10.0
GROUP_CHAT = -100_555_000_111
FLOOD_GROUP = -100_555_000_222
FIRST_USER = 20_000_000
"""Simulated users get ids from here up: one per journey, so none hits the per-user limiter."""
TELEGRAM_GROUP_PER_MIN = 20
TELEGRAM_OVERALL_PER_S = 30
_SENDS = frozenset({"sendMessage", "sendDocument"})
_MESSAGES = frozenset({"sendMessage", "sendDocument", "editMessageText"})


@dataclass(frozen=True, slots=True)
class Step:
    """One update a simulated user sends: ``text`` in private or a group, an inline query, a press."""

    kind: str  # "text", "group", "inline" or "press"
    label: str  # what it asks, for per-kind figures: check, text_en, text_zh, company, inline, press, admin
    user: int
    text: str = ""
    chat: int = 0


@dataclass(slots=True)
class Sample:
    label: str
    available: float
    replied: float | None
    ok: bool = True

    @property
    def ms(self) -> float | None:
        return None if self.replied is None else (self.replied - self.available) * 1000


@dataclass(slots=True)
class Phase:
    samples: list[Sample] = field(default_factory=list)
    skipped: int = 0  # presses with no button to press
    failed_calls: list[str] = field(default_factory=list)

    @property
    def answered(self) -> list[Sample]:
        return [s for s in self.samples if s.replied is not None]

    def figures(self, prefix: str) -> dict[str, Any]:
        answered = self.answered
        times = [s.ms for s in answered if s.ms is not None]
        out: dict[str, Any] = {f"{prefix}_updates": len(self.samples), f"{prefix}_answered": len(answered),
                               f"{prefix}_unanswered": len(self.samples) - len(answered)}
        if answered:
            span = max(s.replied or 0 for s in answered) - min(s.available for s in self.samples)
            out[f"{prefix}_updates_per_s"] = len(answered) / span if span > 0 else math.nan
        else:
            out[f"{prefix}_updates_per_s"] = 0.0
        out[f"{prefix}_p50_ms"] = percentile(times, 0.5)
        out[f"{prefix}_p99_ms"] = percentile(times, 0.99)
        out[f"{prefix}_failed_calls"] = len(self.failed_calls)
        by_label: dict[str, list[float]] = {}
        for s in answered:
            by_label.setdefault(s.label, []).append(s.ms or 0.0)
        out[f"{prefix}_p50_ms_by_kind"] = {k: round(percentile(v, 0.5), 2)
                                           for k, v in sorted(by_label.items())}
        out[f"{prefix}_p99_ms_by_kind"] = {k: round(percentile(v, 0.99), 2)
                                           for k, v in sorted(by_label.items())}
        slowest = sorted(answered, key=lambda s: s.ms or 0.0, reverse=True)[:10]
        out[f"{prefix}_slowest"] = [[s.label, round(s.ms or 0.0, 1), round(s.available, 3)] for s in slowest]
        out[f"{prefix}_count_by_kind"] = {k: len(v) for k, v in sorted(by_label.items())}
        return out


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1), as in bench.run."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


# -- following the bot's answers ---------------------------------------------------------------


def reply_key(call: Call) -> tuple[Any, ...] | None:
    """Which update a Bot API call answers: a chat (private), a message (groups quote it), a query."""
    params = call.params
    if call.method in _SENDS:
        try:
            chat = int(params.get("chat_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
        reply = params.get("reply_parameters")
        if chat < 0 and isinstance(reply, dict) and reply.get("message_id") is not None:
            return ("msg", chat, int(reply["message_id"]))
        if chat < 0 and params.get("reply_to_message_id") is not None:
            return ("msg", chat, int(params["reply_to_message_id"]))
        return ("chat", chat)
    if call.method == "answerInlineQuery":
        return ("inline", str(params.get("inline_query_id")))
    if call.method == "answerCallbackQuery":
        return ("cb", str(params.get("callback_query_id")))
    return None


class Replies:
    """Matches the fake's calls (server thread) to futures the simulated users await (event loop)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._lock = threading.Lock()
        self._waiting: dict[tuple[Any, ...], asyncio.Future[Call]] = {}
        self._early: dict[tuple[Any, ...], Call] = {}
        self.failed: list[str] = []

    def listener(self, call: Call) -> None:
        if not call.ok and call.method != "getUpdates":
            self.failed.append(call.short())
        key = reply_key(call)
        if key is None:
            return
        with self._lock:
            future = self._waiting.pop(key, None)
            if future is None:
                if key[0] != "chat":  # ids known only after enqueueing: the answer may come first
                    self._early[key] = call
                return
        with contextlib.suppress(RuntimeError):  # loop closed
            self._loop.call_soon_threadsafe(_settle, future, call)

    def expect(self, key: tuple[Any, ...]) -> asyncio.Future[Call]:
        future: asyncio.Future[Call] = self._loop.create_future()
        with self._lock:
            early = self._early.pop(key, None)
            if early is not None:
                future.set_result(early)
            else:
                self._waiting[key] = future
        return future

    def forget(self, key: tuple[Any, ...]) -> None:
        with self._lock:
            self._waiting.pop(key, None)


def _settle(future: asyncio.Future[Call], call: Call) -> None:
    if not future.done():
        future.set_result(call)


def _pressable(message: dict[str, Any] | None) -> str | None:
    """The first button worth pressing: a page arrow or a choice, not the "page 1/3" label."""
    if not message:
        return None
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    datas = [str(b["callback_data"]) for row in rows for b in row if "callback_data" in b]
    return next((data for data in datas if data != "pg"), None)


async def send(fake: FakeTelegram, replies: Replies, step: Step, previous: dict[str, Any] | None,
               timeout: float) -> tuple[Sample | None, dict[str, Any] | None]:  # noqa: ASYNC109
    """Enqueue one update and wait (bounded) for its answer; None for a press with nothing to press."""
    key: tuple[Any, ...]
    if step.kind == "text":
        key = ("chat", step.user)
        future = replies.expect(key)
        update_id: int | str = fake.private_message(step.user, step.text)["update_id"]
    elif step.kind == "group":
        update = fake.group_message(step.chat, step.user, step.text)
        update_id = update["update_id"]
        key = ("msg", step.chat, update["message"]["message_id"])
        future = replies.expect(key)
    elif step.kind == "inline":
        update_id = fake.inline_query(step.user, step.text)
        key = ("inline", update_id)
        future = replies.expect(key)
    else:
        data = _pressable(previous)
        if previous is None or data is None:
            return None, None
        update_id = fake.press_button(previous["chat"]["id"], previous["message_id"], data, user_id=step.user)
        key = ("cb", update_id)
        future = replies.expect(key)
    available = fake.available_at(update_id) or time.time()
    try:
        call = await asyncio.wait_for(future, timeout)
    except TimeoutError:
        replies.forget(key)
        return Sample(step.label, available, None, ok=False), None
    message = call.result if call.ok and call.method in _SENDS else None
    return Sample(step.label, available, call.time, ok=call.ok), message


async def closed_loop(fake: FakeTelegram, journeys: Sequence[Sequence[Step]], *, concurrency: int,
                      seconds: float, reply_timeout: float) -> Phase:
    """``concurrency`` users at a time, each journey's steps in order; no new journey after ``seconds``."""
    replies = Replies(asyncio.get_running_loop())
    fake.add_listener(replies.listener)
    phase = Phase()
    todo: Iterator[Sequence[Step]] = iter(journeys)
    deadline = time.monotonic() + seconds

    async def user() -> None:
        for journey in todo:
            if time.monotonic() > deadline:
                return
            previous: dict[str, Any] | None = None
            for step in journey:
                sample, previous = await send(fake, replies, step, previous, reply_timeout)
                if sample is None:
                    phase.skipped += 1
                    break
                phase.samples.append(sample)
                if sample.replied is None:
                    break

    try:
        await asyncio.gather(*(user() for _ in range(concurrency)))
    finally:
        fake.remove_listener(replies.listener)
    phase.failed_calls = list(replies.failed)
    return phase


# -- the workload --------------------------------------------------------------------------------


def busiest_companies(db: Path, n: int) -> list[str]:
    """Names of the companies with the most facts: their /company answers have pages to turn."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [name for (name,) in conn.execute(
            "SELECT c.name FROM company c JOIN fact f ON f.subject_id = c.id WHERE f.retracted = 0 "
            "GROUP BY c.id ORDER BY count(*) DESC, c.id LIMIT ?", (n,))]
    finally:
        conn.close()


def mixed_journeys(work: Workload, busiest: Sequence[str], updates: int, seed: int,
                   *, admin_writes: int = 6, tag: str = "b") -> list[list[Step]]:
    """About ``updates`` updates: /check, free text (English, Chinese), /company, inline, presses, admin."""
    rng = random.Random(seed * 131 + 5)
    checks = itertools.cycle([q.text for q in work.checks] or ["/check a b"])
    english = [q.text for q in work.free_text if not is_cjk(q.text)] or ["does a work with b?"]
    chinese = [q.text for q in work.free_text if is_cjk(q.text)] or english
    free_en, free_zh = itertools.cycle(english), itertools.cycle(chinese)
    names = itertools.cycle([q.text for q in [*work.exact, *work.cjk]] or ["a"])
    pairs = itertools.cycle([q.text.removeprefix("/check ") for q in work.checks] or ["a b"])
    busy = itertools.cycle(busiest or ["a"])
    journeys: list[list[Step]] = []
    user_ids = itertools.count(FIRST_USER)
    count = 0
    while count < updates:
        uid = next(user_ids)
        roll = rng.random()
        if roll < 0.28:
            journey = [Step("text", "check", uid, next(checks))]
        elif roll < 0.48:
            journey = [Step("text", "text_en", uid, next(free_en))]
        elif roll < 0.60:
            journey = [Step("text", "text_zh", uid, next(free_zh))]
        elif roll < 0.74:
            journey = [Step("text", "company", uid, f"/company {next(names)}")]
        elif roll < 0.88:
            journey = [Step("inline", "inline", uid, next(pairs) if rng.random() < 0.5 else next(names))]
        elif roll < 0.94:  # open a busy company's profile, then turn its page
            journey = [Step("text", "company", uid, f"/company {next(busy)}"), Step("press", "press", uid)]
        else:  # the help, then one of its example buttons
            journey = [Step("text", "help", uid, "/help"), Step("press", "press", uid)]
        journeys.append(journey)
        count += len(journey)
    # A few admin writes, each owner its own journey (its own chat), spread through the run.
    owners = OWNER_IDS[1:]
    per_owner = max(1, math.ceil(admin_writes / len(owners)))
    written = 0
    for i, owner in enumerate(owners):
        steps: list[Step] = []
        for j in range(per_owner):
            if written >= admin_writes:
                break
            name = f"Benchco{tag}{i}x{j}"
            steps.append(Step("text", "admin", owner, f"/addcompany {name}" if j % 2 == 0
                              else f"/alias Benchco{tag}{i}x{j - 1} Bcalias{tag}{i}x{j}"))
            written += 1
        if steps:
            journeys.insert(min(len(journeys), (i + 1) * len(journeys) // (len(owners) + 1)), steps)
    return journeys


@contextlib.contextmanager
def _fake() -> Iterator[FakeTelegram]:
    """The e2e suite's fake (started, the operators' chats known), stopped afterwards."""
    fake = new_fake()
    try:
        yield fake
    finally:
        fake.stop()


# -- the processes -------------------------------------------------------------------------------


@dataclass
class Running:
    """A bot process we started (its pid is the only one we ever signal)."""

    proc: subprocess.Popen[bytes]
    log_path: Path
    started_s: float

    def rss(self) -> dict[str, float]:
        """The process's memory now and at its peak."""
        return {"hwm_mb": vm_hwm_mb(self.proc.pid), "rss_mb": vm_rss_mb(self.proc.pid)}

    def cpu_s(self) -> float:
        """CPU seconds the process has used so far (``/proc/<pid>/stat``)."""
        return cpu_seconds(self.proc.pid)

    def stop(self) -> bool:
        """SIGTERM, then SIGKILL after STOP_TIMEOUT (a flood's backlog would take minutes to finish)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT)
                return False
        return True

    def tracebacks(self) -> int:
        return self.log_path.read_text(encoding="utf-8", errors="replace").count("Traceback")

    def first_error(self) -> str:
        """The first logged error with its traceback, for the results (the log is temporary)."""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        at = text.find("ERROR")
        return "" if at < 0 else text[at:at + 3000]


async def start(module: str, fake: FakeTelegram, db: Path, log_path: Path, *,
                rate_limiter: bool) -> Running:
    """``python -m <module>`` with the e2e harness's isolated settings, once it long-polls the fake."""
    env = BotProcess(fake, db, log_path, log_level="INFO",
                     extra_env={"RATE_LIMITER": "on" if rate_limiter else "off"}).env()
    command = [sys.executable, "-m", module]
    if stalls.trace_path(log_path.stem) is not None:  # traced: the same module, under bench.stalls
        command = [sys.executable, "-m", "bench.stalls", module]
        env[stalls.NAME_ENV] = log_path.stem
    started = time.monotonic()
    with log_path.open("ab") as log:
        # Popen returns at once; the wait for polling below is async.
        proc = subprocess.Popen(command, cwd=ROOT, env=env,  # noqa: ASYNC220
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    running = Running(proc, log_path, 0.0)
    while True:
        try:
            await fake.await_polling(0.5)
            running.started_s = time.monotonic() - started
            return running
        except TimeoutError:
            pass
        if proc.poll() is not None or time.monotonic() - started > START_TIMEOUT:
            running.stop()
            tail = log_path.read_text(encoding="utf-8", errors="replace")[-2000:]  # noqa: ASYNC240
            raise RuntimeError(f"python -m {module} did not start polling:\n{tail}") from None


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- the figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadOptions:
    updates: int
    concurrency: int
    seconds: float
    reply_timeout: float
    seed: int
    rounds: int = 2


async def throughput(db: Path, work: Workload, busiest: Sequence[str], tmp: Path, opts: LoadOptions,
                     prefix: str) -> dict[str, Any]:
    """The same mixed load through ``python -m bot`` and the echo bot, limiter off in both.

    Both processes run side by side (each polling its own fake) and take turns, ``rounds``
    times: on a shared machine a neighbour's burst then hits one round of each, not one side.
    Each side's best round is reported (its throughput with that round's latencies).
    """
    out: dict[str, Any] = {}
    sides = (("bot", prefix), ("bench.echo_bot", f"{prefix}_echo"))
    with _fake() as bot_fake, _fake() as echo_fake:
        fakes = {prefix: bot_fake, f"{prefix}_echo": echo_fake}
        running: dict[str, Running] = {}
        try:
            for module, name in sides:
                running[name] = await start(module, fakes[name], db, tmp / f"{name}.log", rate_limiter=False)
            for _, name in sides:  # warm-up outside the figures: first queries, lazy imports
                await closed_loop(fakes[name], mixed_journeys(work, busiest, min(40, opts.updates),
                                                              opts.seed + 99, admin_writes=0),
                                  concurrency=min(8, opts.concurrency), seconds=opts.seconds,
                                  reply_timeout=opts.reply_timeout)
            best: dict[str, tuple[float, Phase, dict[str, int], float]] = {}
            for round_ in range(opts.rounds):
                for _, name in sides:
                    fake = fakes[name]
                    journeys = mixed_journeys(work, busiest, opts.updates, opts.seed + round_,
                                              tag=f"{name.replace('_', '')}r{round_}")
                    mark, cpu = fake.mark(), running[name].cpu_s()
                    phase = await closed_loop(fake, journeys, concurrency=opts.concurrency,
                                              seconds=opts.seconds, reply_timeout=opts.reply_timeout)
                    cpu_ms = (running[name].cpu_s() - cpu) * 1000 / max(1, len(phase.answered))
                    methods = Counter(c.method for c in fake.calls[mark:] if c.method != "getUpdates")
                    rate = phase.figures(name)[f"{name}_updates_per_s"]
                    if name not in best or rate > best[name][0]:
                        best[name] = (rate, phase, dict(methods), cpu_ms)
                    out.setdefault(f"{name}_updates_per_s_rounds", []).append(round(rate, 1))
            rss = {name: proc.rss() for name, proc in running.items()}
        finally:
            stopped = {name: proc.stop() for name, proc in running.items()}
    for _, name in sides:
        _, phase, by_method, cpu_ms = best[name]
        out.update(phase.figures(name))
        out[f"{name}_cpu_ms_per_update"] = round(cpu_ms, 2)
        out[f"{name}_calls_by_method"] = by_method
        out[f"{name}_presses_skipped"] = phase.skipped
        out[f"{name}_rss_mb"] = rss[name]["rss_mb"]
        out[f"{name}_peak_rss_mb"] = rss[name]["hwm_mb"]
        out[f"{name}_start_s"] = running[name].started_s
        out[f"{name}_tracebacks"] = running[name].tracebacks()
        if out[f"{name}_tracebacks"]:
            out[f"{name}_first_error"] = running[name].first_error()
        out[f"{name}_clean_stop"] = stopped[name]
        if phase.failed_calls:
            out[f"{name}_failed_examples"] = phase.failed_calls[:5]
    out[f"{prefix}_vs_echo_ratio"] = out[f"{prefix}_updates_per_s"] / out[f"{prefix}_echo_updates_per_s"]
    out[f"{prefix}_p99_vs_echo_ratio"] = out[f"{prefix}_p99_ms"] / out[f"{prefix}_echo_p99_ms"]
    out[f"{prefix}_concurrency"] = opts.concurrency
    out[f"{prefix}_rounds"] = opts.rounds
    return out


@dataclass(frozen=True)
class CeilingOptions:
    per_s: float
    seconds: float
    reply_timeout: float
    seed: int


async def open_loop(fake: FakeTelegram, journeys: Sequence[Sequence[Step]], *, per_s: float,
                    reply_timeout: float) -> Phase:
    """Journeys start on a fixed clock, ``per_s`` updates a second, whether or not earlier answers came.

    A journey of two steps (a question, then a press on its answer) has two slots: it starts at
    its first and presses as soon as its answer arrives, as a person does. Unlike
    ``closed_loop``, a slow answer does not slow the load down, so queueing shows in the latency.
    """
    replies = Replies(asyncio.get_running_loop())
    fake.add_listener(replies.listener)
    phase = Phase()
    started = time.monotonic()

    async def journey(at: float, steps: Sequence[Step]) -> None:
        await asyncio.sleep(max(0.0, started + at - time.monotonic()))
        previous: dict[str, Any] | None = None
        for step in steps:
            sample, previous = await send(fake, replies, step, previous, reply_timeout)
            if sample is None:
                phase.skipped += 1
                return
            phase.samples.append(sample)
            if sample.replied is None:
                return

    slots = itertools.accumulate((len(j) for j in journeys), initial=0)
    try:
        await asyncio.gather(*(journey(slot / per_s, j) for slot, j in zip(slots, journeys, strict=False)))
    finally:
        fake.remove_listener(replies.listener)
    phase.failed_calls = list(replies.failed)
    return phase


async def ceiling(db: Path, work: Workload, busiest: Sequence[str], tmp: Path, opts: CeilingOptions,
                  prefix: str = "ceiling") -> dict[str, Any]:
    """The mixed load at Telegram's pace (``per_s``, open loop), production limiter on, bot vs echo.

    This is what users feel when the bot is as busy as Telegram lets it be. Both processes get
    their load at the same time, each from its own fake, for ``seconds``: at this pace neither
    needs a whole core, and on a shared machine a neighbour's burst then falls on both alike,
    which keeps the p99 ratio about the bot, not about which side ran during the burst.
    """
    out: dict[str, Any] = {}
    sides = (("bot", prefix), ("bench.echo_bot", f"{prefix}_echo"))
    updates = max(1, round(opts.per_s * opts.seconds))
    tracer = stalls.trace_this_loop(f"{prefix}_bench")  # the load generator and both fakes
    with _fake() as bot_fake, _fake() as echo_fake:
        fakes = {prefix: bot_fake, f"{prefix}_echo": echo_fake}
        running: dict[str, Running] = {}
        phases: dict[str, Phase] = {}
        cpu_s: dict[str, float] = {}
        offered_s: dict[str, float] = {}
        try:
            for module, name in sides:
                running[name] = await start(module, fakes[name], db, tmp / f"{name}.log", rate_limiter=True)
            warm = mixed_journeys(work, busiest, min(30, updates), opts.seed + 77, admin_writes=0)
            await asyncio.gather(*(open_loop(fakes[name], warm, per_s=opts.per_s,
                                             reply_timeout=opts.reply_timeout)
                                   for _, name in sides))  # warm-up: first queries, lazy imports

            async def load(name: str) -> None:
                journeys = mixed_journeys(work, busiest, updates, opts.seed + 50, admin_writes=2,
                                          tag=name.replace("_", ""))
                cpu, began = running[name].cpu_s(), time.monotonic()
                phases[name] = await open_loop(fakes[name], journeys, per_s=opts.per_s,
                                               reply_timeout=opts.reply_timeout)
                offered_s[name] = time.monotonic() - began
                cpu_s[name] = running[name].cpu_s() - cpu

            await asyncio.gather(*(load(name) for _, name in sides))
            rss = {name: proc.rss() for name, proc in running.items()}
        finally:
            stopped = {name: proc.stop() for name, proc in running.items()}
            if tracer is not None:
                tracer.close()
                for name, phase in phases.items():  # every answer and call, to line up with the stalls
                    stalls.write_samples(name, [(x.label, x.available, x.ms) for x in phase.samples],
                                         fakes[name].calls)
    for _, name in sides:
        phase = phases[name]
        figures = phase.figures(name)
        out[f"{name}_p50_ms"] = figures[f"{name}_p50_ms"]
        out[f"{name}_p99_ms"] = figures[f"{name}_p99_ms"]
        for key in ("p50_ms_by_kind", "p99_ms_by_kind", "count_by_kind", "slowest"):
            out[f"{name}_{key}"] = figures[f"{name}_{key}"]
        out[f"{name}_updates"] = len(phase.samples)
        out[f"{name}_answered"] = len(phase.answered)
        out[f"{name}_unanswered"] = len(phase.samples) - len(phase.answered)
        out[f"{name}_failed_calls"] = len(phase.failed_calls)
        out[f"{name}_presses_skipped"] = phase.skipped
        out[f"{name}_answered_per_s"] = len(phase.answered) / offered_s[name] if offered_s[name] else 0.0
        out[f"{name}_cpu_ms_per_update"] = round(cpu_s[name] * 1000 / max(1, len(phase.answered)), 2)
        out[f"{name}_rss_mb"] = rss[name]["rss_mb"]
        out[f"{name}_peak_rss_mb"] = rss[name]["hwm_mb"]
        out[f"{name}_tracebacks"] = running[name].tracebacks()
        if out[f"{name}_tracebacks"]:
            out[f"{name}_first_error"] = running[name].first_error()
        out[f"{name}_clean_stop"] = stopped[name]
    out[f"{prefix}_p99_vs_echo"] = out[f"{prefix}_p99_ms"] / out[f"{prefix}_echo_p99_ms"]
    out[f"{prefix}_p50_vs_echo"] = out[f"{prefix}_p50_ms"] / out[f"{prefix}_echo_p50_ms"]
    out[f"{prefix}_load"] = {"per_s": opts.per_s, "seconds": opts.seconds, "rate_limiter": "on (as shipped)",
                             "loop": "open", "sides": "bot and echo at the same time"}
    return out


@dataclass(frozen=True)
class FairOptions:
    group_updates: int
    members: int
    private_users: int
    private_per_s: float
    observe_s: float
    timeout: float


async def _paced(fake: FakeTelegram, replies: Replies, steps: Sequence[Step], per_s: float,
                 timeout: float) -> list[Sample]:  # noqa: ASYNC109 - one bound per answer
    """Each step sent at its own moment (``per_s`` a second), all answers awaited concurrently."""
    async def one(i: int, step: Step) -> Sample:
        await asyncio.sleep(i / per_s)
        sample, _ = await send(fake, replies, step, None, timeout)
        assert sample is not None
        return sample

    return list(await asyncio.gather(*(one(i, s) for i, s in enumerate(steps))))


def _max_in_window(times: Sequence[float], window: float) -> int:
    """The most events in any window of ``window`` seconds (sliding, starting at an event)."""
    ordered = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(ordered):
        while t - ordered[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


async def fairness(db: Path, work: Workload, tmp: Path, opts: FairOptions) -> dict[str, Any]:
    """Private users' latency alone, then while one group floods the bot; PTB's rate limiter on."""
    checks = [q.text for q in work.checks] or ["/check a b"]
    cycle = itertools.cycle(checks)
    users = [FIRST_USER + 5_000_000 + i for i in range(opts.private_users)]
    idle_steps = [Step("text", "check", u, next(cycle)) for u in users]
    flood_steps = [Step("text", "check", u, next(cycle)) for u in users]  # other pairs: no cache help
    members = [FIRST_USER + 6_000_000 + i for i in range(opts.members)]
    out: dict[str, Any] = {}
    with _fake() as fake:
        running = await start("bot", fake, db, tmp / "fair.log", rate_limiter=True)
        replies = Replies(asyncio.get_running_loop())
        fake.add_listener(replies.listener)
        try:
            # warm-up, so the idle figure is not the first query's
            await _paced(fake, replies, [Step("text", "check", FIRST_USER + 7_000_000 + i, next(cycle))
                                         for i in range(5)], opts.private_per_s, opts.timeout)
            idle = await _paced(fake, replies, idle_steps, opts.private_per_s, opts.timeout)
            flood_start = time.time()
            last_update = 0
            for i in range(opts.group_updates):
                update = fake.group_message(GROUP_CHAT, members[i % len(members)], next(cycle),
                                            title="Flood group")
                last_update = update["update_id"]
            fetched_by = time.monotonic() + 10
            while fake.delivered_at(last_update) is None and time.monotonic() < fetched_by:  # noqa: ASYNC110
                await asyncio.sleep(0.02)  # the flood is in the bot's hands before the users ask
            flooded = await _paced(fake, replies, flood_steps, opts.private_per_s, opts.timeout)
            remaining = opts.observe_s - (time.time() - flood_start)
            if remaining > 0:
                await asyncio.sleep(remaining)
            observed_s = time.time() - flood_start
            calls = [c for c in fake.calls if c.time >= flood_start and c.ok]
            rss = running.rss()
        finally:
            fake.remove_listener(replies.listener)
            stopped = running.stop()
    group_sends = sorted(c.time for c in calls if c.method in _SENDS
                         and str(c.params.get("chat_id")) == str(GROUP_CHAT))
    messages = [c.time for c in calls if c.method in _MESSAGES]
    idle_ms = [s.ms for s in idle if s.ms is not None]
    flood_ms = [s.ms if s.ms is not None else opts.timeout * 1000 for s in flooded]  # unanswered: the timeout
    out["fair_idle_p99_ms"] = percentile(idle_ms, 0.99)
    out["fair_idle_p50_ms"] = percentile(idle_ms, 0.5)
    out["fair_private_p99_ms"] = percentile(flood_ms, 0.99)
    out["fair_private_p50_ms"] = percentile(flood_ms, 0.5)
    out["fair_private_unanswered"] = sum(s.ms is None for s in flooded)
    out["fair_idle_unanswered"] = len(idle) - len(idle_ms)
    out["fair_ratio"] = out["fair_private_p99_ms"] / out["fair_idle_p99_ms"]
    # The backlog drains at the limiter's pace: extrapolate from the rate seen in the second half
    # of the observation (the first half holds the limiter's initial burst).
    half = flood_start + observed_s / 2
    late = [t for t in group_sends if t >= half]
    steady = len(late) / (observed_s / 2) if late else 0.0
    left = opts.group_updates - len(group_sends)
    out["fair_group_answered_observed"] = len(group_sends)
    out["fair_observed_s"] = observed_s
    out["fair_group_steady_per_min"] = steady * 60
    out["fair_drain_s_extrapolated"] = observed_s + left / steady if steady > 0 else None
    out["fair_group_max_per_60s"] = _max_in_window(group_sends, 60.0)
    out["fair_max_messages_per_1s"] = _max_in_window(messages, 1.0)
    out["fair_within_group_limit"] = out["fair_group_max_per_60s"] <= TELEGRAM_GROUP_PER_MIN
    out["fair_within_overall_limit"] = out["fair_max_messages_per_1s"] <= TELEGRAM_OVERALL_PER_S
    out["fair_failed_calls"] = len(replies.failed)
    out["fair_bot_rss_mb"] = rss["rss_mb"]
    out["fair_tracebacks"] = running.tracebacks()
    if out["fair_tracebacks"]:
        out["fair_first_error"] = running.first_error()
    out["fair_clean_stop"] = stopped
    out["fair_load"] = {"group_updates": opts.group_updates, "members": opts.members,
                        "private_users": opts.private_users, "private_per_s": opts.private_per_s,
                        "observe_s": opts.observe_s, "timeout_s": opts.timeout}
    return out


@dataclass(frozen=True)
class FloodOptions:
    members: int
    private_users: int
    timeout: float


async def member_flood(db: Path, work: Workload, tmp: Path, opts: FloodOptions) -> dict[str, Any]:
    """Private questions while ``members`` members of one group each ask once; the limiter as shipped.

    Updates are ordered per (chat, user), so every member is a turn of its own, and the limiter
    spaces the group's replies 3.1 s apart. Reported: the private answers' latency during the flood
    beside the same users' idle latency, and how many group replies were still to come when the
    private answers arrived (the flood takes ``members`` × 3.1 s to drain).
    """
    checks = [q.text for q in work.checks] or ["/check a b"]
    cycle = itertools.cycle(checks)
    users = [FIRST_USER + 8_000_000 + i for i in range(opts.private_users)]
    members = [FIRST_USER + 9_000_000 + i for i in range(opts.members)]

    def to_group(call: Call) -> bool:
        return call.ok and call.method in _SENDS and str(call.params.get("chat_id")) == str(FLOOD_GROUP)

    with _fake() as fake:
        running = await start("bot", fake, db, tmp / "flood.log", rate_limiter=True)
        replies = Replies(asyncio.get_running_loop())
        fake.add_listener(replies.listener)
        try:
            await _paced(fake, replies, [Step("text", "check", FIRST_USER + 8_500_000 + i, next(cycle))
                                         for i in range(3)], 2.0, opts.timeout)  # warm-up
            idle = await _paced(fake, replies, [Step("text", "check", u, next(cycle)) for u in users],
                                2.0, opts.timeout)
            mark = fake.mark()
            for member in members:
                fake.group_message(FLOOD_GROUP, member, next(cycle), title="Busy group")
            # the group is being answered (its updates ahead of the private ones in the queue)
            await fake.await_for(to_group, opts.timeout, since=mark)
            flooded = await _paced(fake, replies, [Step("text", "check", u, next(cycle)) for u in users],
                                   2.0, opts.timeout)
            group_sends = sorted(c.time for c in fake.calls[mark:] if to_group(c))
        finally:
            fake.remove_listener(replies.listener)
            stopped = running.stop()
    idle_ms = [x.ms for x in idle if x.ms is not None]
    flood_ms = [x.ms if x.ms is not None else opts.timeout * 1000 for x in flooded]  # unanswered: the timeout
    pending = [opts.members - sum(t <= x.replied for t in group_sends)
               for x in flooded if x.replied is not None]
    return {
        "flood_idle_p50_ms": percentile(idle_ms, 0.5),
        "flood_private_p50_ms": percentile(flood_ms, 0.5),
        "flood_private_max_ms": max(flood_ms),
        "flood_private_unanswered": sum(x.ms is None for x in flooded),
        "flood_group_pending_at_private": min(pending) if pending else 0,
        "flood_failed_calls": len(replies.failed),
        "flood_tracebacks": running.tracebacks(),
        "flood_clean_stop": stopped,
        "flood_load": {"members": opts.members, "private_users": opts.private_users,
                       "timeout_s": opts.timeout},
    }
