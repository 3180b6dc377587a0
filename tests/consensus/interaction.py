"""Interaction scripts for the consensus machine: one machine under test, everyone else scripted.

Modelled on etcd raft's interaction tests. A script (tests/consensus/testdata/*.txt) is a list
of commands, each followed by `----` and the output it must produce, ended by a blank line:

    # Lines 22-27: a fresh proposal is prevoted.
    proposal v1 r=0 A
    ----
    persist r0 signed: prevote A
    broadcast prevote h1 r0 A

The machine is validator `me` (v0 unless told otherwise); the script signs the other
validators' proposals and votes with their test keys and hands them to the machine; time moves
only when the script says so; the machine's own broadcasts go nowhere. After each command the
runner prints every effect the machine returned, one short line each, in order, then each
counter of the machine that moved (`count <reason> +n`). testdata/README.md lists the commands.

One idea in one file (the script runner: parse, drive one machine, print its effects, diff
or rewrite), longer than most because each command and each effect has its short handler.

Run:  .venv/bin/python -m pytest tests/consensus/test_interaction.py
Regenerate the expected output after an intended change (then read the diff!):
      .venv/bin/python -m tests.consensus.interaction --rewrite [script ...]
      (or CHAINBOOK_REWRITE=1 with pytest)
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chainbook import codec, merkle
from chainbook.chain.block import Block, Header, compute_commit_hash
from chainbook.chain.commit import (
    NIL,
    Commit,
    Proposal,
    SignedProposal,
    SignedVote,
    Vote,
    VoteType,
    make_commit,
    sign_proposal,
    sign_vote,
)
from chainbook.chain.genesis import ConsensusParams
from chainbook.chain.validators import Validator, ValidatorSet
from chainbook.consensus import machine as machine_module
from chainbook.consensus.effects import (
    Broadcast,
    CommitBlock,
    Effect,
    EvidenceFound,
    FallenBehind,
    SaveConsensusRecord,
    ScheduleTimeout,
)
from chainbook.consensus.events import (
    CommitReceived,
    Event,
    ProposalReceived,
    Resend,
    TimeoutElapsed,
    TimeoutKind,
    VoteReceived,
)
from chainbook.consensus.messages import ProposalMessage, VoteMessage
from chainbook.crypto import PrivateKey, sha256
from chainbook.errors import InvalidBlock
from chainbook.types import Address, Hash, Height, Round, TimeMs

TESTDATA = Path(__file__).parent / "testdata"
CHAIN_ID = "interaction-chain"
SCRIPT_PARAMS = ConsensusParams(
    timeout_propose_ms=1000,
    timeout_propose_delta_ms=500,
    timeout_prevote_ms=600,
    timeout_prevote_delta_ms=200,
    timeout_precommit_ms=800,
    timeout_precommit_delta_ms=300,
    timeout_commit_ms=100,
    time_drift_ms_max=10_000,
)
"""Distinct numbers for each timeout, so a script shows which one was scheduled."""

SEPARATOR = "----"
NOTHING = "(nothing)"
REWRITE_ENV = "CHAINBOOK_REWRITE"
_VOTE_TYPES = {"prevote": VoteType.PREVOTE, "precommit": VoteType.PRECOMMIT}
_TIMEOUT_KINDS = {kind.name.lower(): kind for kind in TimeoutKind}


class ScriptError(Exception):
    """The script itself is wrong (unknown command, bad argument): not a machine failure."""


# ---------------------------------------------------------------------- script files


@dataclass
class Command:
    line_no: int
    text: str
    leading: list[str]
    """Comment and blank lines before the command, kept verbatim by the rewrite."""
    expected: list[str]


@dataclass
class Script:
    path: Path
    commands: list[Command]
    trailing: list[str]

    @classmethod
    def parse(cls, path: Path) -> Script:
        lines = path.read_text().splitlines()
        commands: list[Command] = []
        leading: list[str] = []
        i = 0
        while i < len(lines):
            line = lines[i]
            if not line.strip() or line.lstrip().startswith("#"):
                if line.strip() or (leading and commands) or not commands:
                    leading.append(line)  # a blank right after an output is the renderer's
                i += 1
                continue
            if i + 1 >= len(lines) or lines[i + 1] != SEPARATOR:
                raise ScriptError(f"{path.name}:{i + 1}: `{line}` must be followed by {SEPARATOR}")
            j = i + 2
            expected = []
            while j < len(lines) and lines[j].strip():
                expected.append(lines[j])
                j += 1
            commands.append(Command(i + 1, line, leading, expected))
            leading = []
            i = j + 1  # the blank line that ends the output belongs to it
        return cls(path, commands, leading)

    def render(self, outputs: Sequence[list[str]]) -> str:
        out: list[str] = []
        for command, output in zip(self.commands, outputs, strict=True):
            out += command.leading
            out += [command.text, SEPARATOR, *output, ""]
        out += self.trailing
        while out and not out[-1].strip():
            out.pop()
        return "\n".join(out) + "\n"


def _parse_args(text: str) -> tuple[str, list[str], dict[str, str]]:
    words = text.split()
    positional = [w for w in words[1:] if "=" not in w]
    options = dict(w.split("=", 1) for w in words[1:] if "=" in w)
    return words[0], positional, options


# ---------------------------------------------------------------------- the application


class ScriptLedger:
    """The ConsensusLedger of a script: blocks are labels, valid unless the script says not."""

    def __init__(self, interaction: Interaction) -> None:
        self.interaction = interaction
        self.invalid: set[str] = set()
        self.committed: list[Block] = []
        self.built = 0

    def get_validators(self, height: Height) -> ValidatorSet:
        return self.interaction.validators

    def build_block(
        self, height: Height, now_ms: TimeMs, proposer: Address, last_commit: Commit | None
    ) -> Block:
        self.built += 1
        return self.interaction.make_block(f"M{self.built}", height, now_ms, proposer)

    def verify_block(self, block: Block) -> None:
        if self.interaction.label(block.hash) in self.invalid:
            raise InvalidBlock("marked invalid by the script")
        if block.height != len(self.committed) + 1:
            raise InvalidBlock(f"height {block.height}, expected {len(self.committed) + 1}")

    def verify_block_time(self, block: Block, now_ms: TimeMs) -> None:
        if block.header.time_ms > now_ms + SCRIPT_PARAMS.time_drift_ms_max:
            raise InvalidBlock(f"block time {block.header.time_ms} ahead of the clock {now_ms}")


# ---------------------------------------------------------------------- the interaction


@dataclass
class Interaction:
    machine_class: type[machine_module.ConsensusMachine] = machine_module.ConsensusMachine
    names: list[str] = field(default_factory=list)
    keys: dict[str, PrivateKey] = field(default_factory=dict)
    me: str = "v0"
    now_ms: TimeMs = 0
    validators: ValidatorSet = field(init=False)
    ledger: ScriptLedger = field(init=False)
    machine: machine_module.ConsensusMachine | None = None
    record: bytes | None = None
    last_commit: Commit | None = None
    blocks: dict[tuple[Height, str], Block] = field(default_factory=dict)
    labels: dict[Hash, str] = field(default_factory=dict)
    signatures_seen: set[bytes] = field(default_factory=set)
    signatures_persisted: set[bytes] = field(default_factory=set)
    timers: Counter[tuple[TimeoutKind, Height, Round]] = field(default_factory=Counter)
    """Timeouts the machine scheduled and that have not fired yet."""
    counters_seen: Counter[str] = field(default_factory=Counter)

    # --- names, keys and blocks

    def key(self, name: str) -> PrivateKey:
        if name not in self.keys:
            self.keys[name] = PrivateKey.from_label(f"interaction-{name}")
        return self.keys[name]

    def name_of(self, address: Address) -> str:
        for name, key in self.keys.items():
            if key.address == address:
                return name
        return address.hex()[:8]

    def label(self, block_hash: Hash) -> str:
        if block_hash == NIL:
            return "nil"
        return self.labels.get(block_hash, block_hash.hex()[:8])

    def make_block(self, label: str, height: Height, time_ms: TimeMs, proposer: Address) -> Block:
        header = Header(
            chain_id=CHAIN_ID,
            height=height,
            time_ms=time_ms,
            prev_block_hash=self.ledger.committed[-1].hash if self.ledger.committed else b"\0" * 32,
            last_commit_hash=compute_commit_hash(None),
            txs_root=merkle.EMPTY_ROOT,
            tx_count=0,
            receipts_root=merkle.EMPTY_ROOT,
            app_hash=sha256(label.encode()),
            validators_hash=self.validators.hash,
            next_validators_hash=self.validators.hash,
            proposer=proposer,
            evidence_hash=merkle.EMPTY_ROOT,
        )
        block = Block(header=header, txs=[], last_commit=None)
        self.blocks[(height, label)] = block
        self.labels[block.hash] = label
        return block

    def block(self, label: str, height: Height, proposer: str, time_ms: TimeMs | None) -> Block:
        existing = self.blocks.get((height, label))
        if existing is not None:
            if time_ms is not None and existing.header.time_ms != time_ms:
                raise ScriptError(f"block {label} exists with time {existing.header.time_ms}")
            return existing
        time = self.now_ms if time_ms is None else time_ms
        return self.make_block(label, height, time, self.key(proposer).address)

    def block_hash(self, label: str, height: Height) -> Hash:
        if label == "nil":
            return NIL
        if label.startswith("0x"):  # raw bytes, for malformed votes
            return bytes.fromhex(label[2:])
        # A vote may come before the block's proposal, or name a block never proposed: the
        # block is made at its first mention, so a label names one block whatever the order.
        return self.block(label, height, self.me, None).hash

    # --- running commands

    def run(self, text: str) -> list[str]:
        name, positional, options = _parse_args(text)
        handler = getattr(self, "cmd_" + name.replace("-", "_"), None)
        if handler is None:
            raise ScriptError(f"unknown command {name!r}")
        if name != "validators" and self.machine is None:
            raise ScriptError("the script must start with `validators`")
        try:
            output: list[str] = handler(positional, options)
        except (ScriptError, KeyError, ValueError):
            raise
        except AssertionError as exc:  # StateDivergence is one: the machine halts loudly
            output = [f"error {type(exc).__name__}: {exc}"]
        output += self._counter_lines()
        return output or [NOTHING]

    def _height(self, options: dict[str, str]) -> Height:
        assert self.machine is not None
        return int(options.pop("h", self.machine.height))

    def _step(self, event: Event) -> list[str]:
        assert self.machine is not None
        return self._format_effects(self.machine.step(event, self.now_ms))

    def _counter_lines(self) -> list[str]:
        if self.machine is None:
            return []
        lines = []
        for reason, count in sorted(self.machine.counters.items()):
            moved = count - self.counters_seen[reason]
            if moved:
                lines.append(f"count {reason} +{moved}")
        self.counters_seen = Counter(self.machine.counters)
        return lines

    def _new_machine(self) -> machine_module.ConsensusMachine:
        self.counters_seen = Counter()
        self.timers = Counter()  # a restarted node's timers are gone
        return self.machine_class(
            chain_id=CHAIN_ID,
            ledger=self.ledger,
            params=SCRIPT_PARAMS,
            key=self.key(self.me),
            height=len(self.ledger.committed) + 1,
            last_commit=self.last_commit,
            record=self.record,
        )

    # --- commands

    def cmd_validators(self, positional: list[str], options: dict[str, str]) -> list[str]:
        """validators v0=10 v1=10 ... [me=v0]: the set, with powers; builds the machine."""
        self.me = options.pop("me", "v0")
        powers = {name: int(power) for name, power in options.items()}
        # Keys are handed out in address order, so with equal powers proposer(h, r) is
        # v[(h + r) mod n]: scripts read without a table.
        candidates = sorted(
            (PrivateKey.from_label(f"interaction-{i}") for i in range(len(powers))),
            key=lambda k: k.address,
        )
        self.names = list(powers)
        for name, key in zip(self.names, candidates, strict=True):
            self.keys[name] = key
        self.validators = ValidatorSet(
            [Validator(self.keys[n].public_key, powers[n], n) for n in self.names]
        )
        if self.me not in powers:
            raise ScriptError(f"me={self.me} is not a validator")
        self.ledger = ScriptLedger(self)
        self.machine = self._new_machine()
        total = self.validators.power_total
        return [
            f"me {self.me}; power {total}: quorum (2f+1) {self.validators.quorum_power}, "
            f"f+1 {self.validators.one_third_power}"
        ]

    def cmd_proposers(self, positional: list[str], options: dict[str, str]) -> list[str]:
        """proposers r=0..3 [h=1]: who proposes each round."""
        height = self._height(options)
        first, _, last = options.pop("r", "0..3").partition("..")
        return [
            f"h{height} r{r} {self.name_of(self.validators.get_proposer(height, r).address)}"
            for r in range(int(first), int(last or first) + 1)
        ]

    def cmd_start(self, positional: list[str], options: dict[str, str]) -> list[str]:
        assert self.machine is not None
        return self._format_effects(self.machine.start(self.now_ms))

    def cmd_time(self, positional: list[str], options: dict[str, str]) -> list[str]:
        """time <ms> | time +<ms>: move the clock (never backwards)."""
        (value,) = positional
        new = self.now_ms + int(value[1:]) if value.startswith("+") else int(value)
        if new < self.now_ms:
            raise ScriptError(f"time moves forward only: {new} < {self.now_ms}")
        self.now_ms = new
        return [f"now {self.now_ms}"]

    def cmd_block(self, positional: list[str], options: dict[str, str]) -> list[str]:
        """block A [h=] [time=] [proposer=]: define a block before it is used."""
        (label,) = positional
        height = self._height(options)
        block = self.block(
            label, height, options.get("proposer", self.me), int(options.get("time", self.now_ms))
        )
        return [f"block {label} h{block.height} time {block.header.time_ms}"]

    def cmd_invalid(self, positional: list[str], options: dict[str, str]) -> list[str]:
        """invalid A ...: the application refuses these blocks (valid(v) is false)."""
        self.ledger.invalid.update(positional)
        return [f"invalid {' '.join(sorted(self.ledger.invalid))}"]

    def cmd_proposal(self, positional: list[str], options: dict[str, str]) -> list[str]:
        """proposal v1 r=0 A [pol=-1] [h=] [time=] [sig=bad] [block-h=]: v1 proposes A."""
        signer, label = positional
        height = self._height(options)
        round_ = int(options["r"])
        block = self.block(
            label,
            int(options.get("block-h", height)),
            signer,
            int(options["time"]) if "time" in options else None,
        )
        proposal = Proposal(
            height=height,
            round=round_,
            pol_round=int(options.get("pol", -1)),
            block_hash=block.hash,
        )
        signed = sign_proposal(self.key(signer), CHAIN_ID, proposal)
        if options.get("sig") == "bad":
            signed = SignedProposal(signed.proposal, signed.proposer, b"\0" * 64)
        return self._step(ProposalReceived(signed, block))

    def cmd_prevote(self, positional: list[str], options: dict[str, str]) -> list[str]:
        """prevote v1 v2 ... r=0 A|nil [h=] [sig=bad]: each signer prevotes."""
        return self._votes(VoteType.PREVOTE, positional, options)

    def cmd_precommit(self, positional: list[str], options: dict[str, str]) -> list[str]:
        """precommit v1 v2 ... r=0 A|nil [h=] [sig=bad]: each signer precommits."""
        return self._votes(VoteType.PRECOMMIT, positional, options)

    def _votes(self, type_: VoteType, positional: list[str], options: dict[str, str]) -> list[str]:
        *signers, label = positional
        if not signers:
            raise ScriptError("name at least one signer, then the block")
        height = self._height(options)
        vote = Vote(type_, height, int(options["r"]), self.block_hash(label, height))
        output: list[str] = []
        for signer in signers:
            signed = sign_vote(self.key(signer), CHAIN_ID, vote)
            if options.get("sig") == "bad":
                signed = SignedVote(signed.vote, signed.validator, b"\0" * 64)
            lines = self._step(VoteReceived(signed))
            # With several signers, each line says whose vote it followed.
            output += [f"{signer}: {line}" for line in lines] if len(signers) > 1 else lines
        return output

    def cmd_timeout(self, positional: list[str], options: dict[str, str]) -> list[str]:
        """timeout propose|prevote|precommit|commit r=0 [h=] [stray]: a timer fires.

        Only a timer the machine scheduled (and that has not fired) may fire, as with a real
        driver; `stray` delivers one anyway, to show that a stale timeout is ignored.
        """
        kind, *flags = positional
        timer = (_TIMEOUT_KINDS[kind], self._height(options), int(options["r"]))
        if flags == ["stray"]:
            pass
        elif flags:
            raise ScriptError(f"unknown flags {flags}")
        elif self.timers[timer] == 0:
            raise ScriptError(f"timeout {kind} h{timer[1]} r{timer[2]} was not scheduled")
        else:
            self.timers[timer] -= 1
        return self._step(TimeoutElapsed(*timer))

    def cmd_commit(self, positional: list[str], options: dict[str, str]) -> list[str]:
        """commit A r=0 by=v1,v2,v3: block sync hands over A with a commit certificate."""
        (label,) = positional
        height = self._height(options)
        block = self.block(label, height, self.names[0], None)
        vote = Vote(VoteType.PRECOMMIT, height, int(options["r"]), block.hash)
        precommits = [sign_vote(self.key(n), CHAIN_ID, vote) for n in options["by"].split(",")]
        return self._step(CommitReceived(block, make_commit(self.validators, precommits)))

    def cmd_resend(self, positional: list[str], options: dict[str, str]) -> list[str]:
        return self._step(Resend())

    def cmd_restart(self, positional: list[str], options: dict[str, str]) -> list[str]:
        """restart: a new machine from the last record persisted; it starts at once."""
        self.machine = self._new_machine()
        return self._format_effects(self.machine.start(self.now_ms))

    def cmd_state(self, positional: list[str], options: dict[str, str]) -> list[str]:
        """state: height, round, step, lock and valid value."""
        m = self.machine
        assert m is not None
        decided = self.label(m.decided.hash) if m.decided is not None else "-"
        return [
            f"h{m.height} r{m.round} {m.step_.name.lower()} "
            f"locked={self._at(m.locked_hash, m.locked_round)} "
            f"valid={self._at(m.valid_block.hash if m.valid_block else NIL, m.valid_round)} "
            f"decided={decided}"
        ]

    def cmd_tally(self, positional: list[str], options: dict[str, str]) -> list[str]:
        """tally r=0: the power behind each value, prevotes and precommits of round r."""
        m = self.machine
        assert m is not None
        round_ = int(options["r"])
        lines = []
        for name, table in (("prevotes", m.prevotes), ("precommits", m.precommits)):
            vote_set = table.get(round_)
            if vote_set is None:
                lines.append(f"{name} r{round_}: none")
                continue
            values = ", ".join(
                f"{self.label(h)} {vote_set.power_for(h)}" for h in vote_set.block_hashes()
            )
            lines.append(f"{name} r{round_}: {values} (any {vote_set.power_any})")
        return lines

    def cmd_held(self, positional: list[str], options: dict[str, str]) -> list[str]:
        """held: the proposals the machine holds at its height, by round."""
        m = self.machine
        assert m is not None
        held = m.proposals.held()
        return [
            f"r{h.signed.proposal.round} {self.label(h.block.hash)} "
            f"pol={h.signed.proposal.pol_round} from {self.name_of(h.signed.proposer)}"
            for h in held
        ] or ["none"]

    # --- effects in short text

    def _at(self, block_hash: Hash, round_: Round) -> str:
        return "-" if round_ < 0 else f"{self.label(block_hash)}@r{round_}"

    def _format_effects(self, effects: list[Effect]) -> list[str]:
        lines = []
        for effect in effects:
            self._check_persisted_before_sent(effect)
            lines.append(self._format_effect(effect))
        return lines

    def _check_persisted_before_sent(self, effect: Effect) -> None:
        """Every own message sent was in a record persisted before it (effects.py, rule 1)."""
        match effect:
            case Broadcast(message=VoteMessage(vote=signed)):
                signature = signed.signature
                if signed.validator != self.key(self.me).address:
                    return
            case Broadcast(message=ProposalMessage(proposal=signed)):
                signature = signed.signature
            case _:
                return
        assert signature in self.signatures_persisted, "own message sent before it was persisted"

    def _format_effect(self, effect: Effect) -> str:
        match effect:
            case SaveConsensusRecord(record=record):
                self.record = record
                decoded = codec.decode(record, machine_module.ConsensusRecord)
                self.signatures_persisted.update(v.signature for v in decoded.signed_votes)
                if decoded.signed_proposal is not None:
                    self.signatures_persisted.add(decoded.signed_proposal.signature)
                return self._format_record(decoded)
            case Broadcast(message=ProposalMessage(proposal=signed, block=block)):
                p = signed.proposal
                return (
                    f"broadcast proposal h{p.height} r{p.round} {self.label(block.hash)} "
                    f"pol={p.pol_round}{self._resent(signed.signature)}"
                )
            case Broadcast(message=VoteMessage(vote=signed)):
                if signed.validator != self.key(self.me).address:  # relaying a polka
                    signer = self.name_of(signed.validator)
                    return f"broadcast {self._vote_text(signed)} of {signer}"
                return f"broadcast {self._vote_text(signed)}{self._resent(signed.signature)}"
            case ScheduleTimeout(kind=kind, height=h, round=r, duration_ms=ms):
                self.timers[(kind, h, r)] += 1
                return f"schedule timeout {kind.name.lower()} h{h} r{r} {ms}ms"
            case CommitBlock(block=block, commit=commit):
                self.ledger.committed.append(block)
                self.last_commit = commit
                signers = " ".join(
                    sorted(
                        self.name_of(self.validators.validators[s.validator_index].address)
                        for s in commit.signatures
                    )
                )
                label = self.label(block.hash)
                return f"commit h{block.height} {label} r{commit.round} by {signers}"
            case EvidenceFound(first=first, second=second):
                v = first.vote
                return (
                    f"evidence {self.name_of(first.validator)} {v.type.name.lower()} "
                    f"h{v.height} r{v.round}: {self.label(v.block_hash)} then "
                    f"{self.label(second.vote.block_hash)}"
                )
            case FallenBehind(height=height):
                return f"fallen-behind h{height}"
        raise AssertionError(f"unknown effect {effect!r}")

    def _vote_text(self, signed: SignedVote) -> str:
        v = signed.vote
        return f"{v.type.name.lower()} h{v.height} r{v.round} {self.label(v.block_hash)}"

    def _resent(self, signature: bytes) -> str:
        """Marks a message whose very signature was sent before (a re-send, never a re-sign)."""
        if signature in self.signatures_seen:
            return " (same signature)"
        self.signatures_seen.add(signature)
        return ""

    def _format_record(self, record: machine_module.ConsensusRecord) -> str:
        valid = "-"
        if record.valid_block is not None:
            valid = (
                f"{self.label(record.valid_block.hash)}@r{record.valid_round} "
                f"(polka of {len(record.valid_polka)})"
            )
        height, round_, _ = record.signed_position
        signed = []
        proposal = record.signed_proposal
        if proposal is not None and (proposal.proposal.height, proposal.proposal.round) == (
            height,
            round_,
        ):
            signed.append(
                f"proposal {self.label(proposal.proposal.block_hash)} "
                f"pol={proposal.proposal.pol_round}"
            )
        signed += [
            f"{s.vote.type.name.lower()} {self.label(s.vote.block_hash)}"
            for s in record.signed_votes
        ]
        return (
            f"persist r{record.round} locked={self._at(record.locked_hash, record.locked_round)} "
            f"valid={valid} signed h{height} r{round_}: {', '.join(signed)}"
        )


# ---------------------------------------------------------------------- checking scripts


@dataclass
class Mismatch:
    command: Command
    actual: list[str]

    def describe(self, path: Path) -> str:
        diff = difflib.unified_diff(
            self.command.expected, self.actual, "expected", "actual", lineterm="", n=2
        )
        return f"{path.name}:{self.command.line_no}: {self.command.text}\n" + "\n".join(diff)


def run_script(
    script: Script, machine_class: Any = machine_module.ConsensusMachine
) -> list[list[str]]:
    interaction = Interaction(machine_class=machine_class)
    outputs = []
    for command in script.commands:
        try:
            outputs.append(interaction.run(command.text))
        except ScriptError as exc:
            raise ScriptError(f"{script.path.name}:{command.line_no}: {exc}") from None
    return outputs


def check_script(
    path: Path, machine_class: Any = machine_module.ConsensusMachine
) -> list[Mismatch]:
    script = Script.parse(path)
    outputs = run_script(script, machine_class)
    return [
        Mismatch(command, actual)
        for command, actual in zip(script.commands, outputs, strict=True)
        if actual != command.expected
    ]


def rewrite_script(path: Path) -> bool:
    """Regenerate the expected output of `path`; True if it changed."""
    script = Script.parse(path)
    text = script.render(run_script(script))
    changed = text != path.read_text()
    if changed:
        path.write_text(text)
    return changed


def all_scripts() -> list[Path]:
    return sorted(TESTDATA.glob("*.txt"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rewrite", action="store_true", help="regenerate expected output")
    parser.add_argument("scripts", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = args.scripts or all_scripts()
    failed = 0
    for path in paths:
        try:
            if args.rewrite:
                print(f"{'rewrote' if rewrite_script(path) else 'unchanged'} {path.name}")
                continue
            mismatches = check_script(path)
        except ScriptError as exc:
            print(f"SCRIPT ERROR {exc}")
            failed += 1
            continue
        failed += bool(mismatches)
        for mismatch in mismatches:
            print(mismatch.describe(path))
        print(f"{'FAIL' if mismatches else 'ok'} {path.name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
