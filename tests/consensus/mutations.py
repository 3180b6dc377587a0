"""Single-rule breaks of the consensus machine; each must make at least one script fail.

A scenario suite that still passes when a rule is broken does not pin that rule. Each mutant
below replaces one exact piece of source (it must occur exactly once, so a change of the
machine cannot silently turn a mutant into the original) in one module of
chainbook.consensus, builds a patched copy of that module and of the modules importing it,
and runs every interaction script against the patched machine. A mutant is killed when a
script's output differs (or the script can no longer run).

Run:  .venv/bin/python -m tests.consensus.mutations     (also part of the suite:
      tests/consensus/test_mutations.py, a few seconds)
Last result: every mutant killed; which scripts kill which is printed by the command above
and listed in the report of the branch that added this file.
"""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .interaction import ScriptError, all_scripts, check_script

CONSENSUS = "chainbook.consensus"
MODULES = ("vote_set", "proposals", "checks", "next_height", "machine")
"""In import order: a patched module is rebuilt with every module after it."""


@dataclass(frozen=True)
class Mutant:
    name: str
    breaks: str
    module: str
    old: str
    new: str


MUTANTS = (
    Mutant(
        "lock_ignored",
        "L22-L27: a fresh proposal is prevoted whatever the lock",
        "machine",
        "(self.locked_round == -1 or self.locked_hash == block.hash)\n                and ",
        "",
    ),
    Mutant(
        "reproposal_without_polka",
        "L28: a re-proposal (v, vr) is prevoted without 2f+1 prevotes for v in vr",
        "machine",
        "            if self._prevote_power(pol_round, block.hash)"
        " < self.validators.quorum_power:\n"
        "                continue\n",
        "",
    ),
    Mutant(
        "locked_round_strictly_below_vr",
        "L29: lockedRound < vr instead of lockedRound <= vr",
        "machine",
        "self.locked_round <= pol_round",
        "self.locked_round < pol_round",
    ),
    Mutant(
        "valid_value_only_when_locking",
        "L36-L43: validValue/validRound set only when locking (not after a nil precommit)",
        "machine",
        "            self.valid_round, self.valid_block = self.round, block\n"
        "            if self.step_ == Step.PREVOTE:\n",
        "            if self.step_ == Step.PREVOTE:\n"
        "                self.valid_round, self.valid_block = self.round, block\n",
    ),
    Mutant(
        "lock_on_f_plus_1",
        "L36: lock on f+1 prevotes instead of 2f+1",
        "machine",
        "if self._prevote_power(self.round, block.hash) < self.validators.quorum_power:",
        "if self._prevote_power(self.round, block.hash) < self.validators.one_third_power:",
    ),
    Mutant(
        "nil_polka_ignored",
        "L44-L46: no nil precommit on 2f+1 nil prevotes",
        "machine",
        "            self._rule_precommit_nil_on_nil_polka,\n",
        "",
    ),
    Mutant(
        "decide_current_round_only",
        "L49: decide only from the current round, not an earlier or later one",
        "machine",
        "for round_ in sorted(self.precommits):",
        "for round_ in [r for r in sorted(self.precommits) if r == self.round]:",
    ),
    Mutant(
        "skip_at_f",
        "L55: skip on f of the power (one below f+1)",
        "machine",
        "sum(senders.values()) >= self.validators.one_third_power",
        "sum(senders.values()) >= self.validators.one_third_power - 1",
    ),
    Mutant(
        "skip_counts_each_message",
        "L55: a sender's power counted once per message, not once per sender",
        "machine",
        "senders[validator] = self.validators.validators[index].power",
        "senders[validator] = senders.get(validator, 0) + self.validators.validators[index].power",
    ),
    Mutant(
        "skip_ignores_proposals",
        "L55: a proposal is not counted as a message of its round",
        "machine",
        "            return\n        self._count_sender(signed.proposal.round, signed.proposer)\n",
        "            return\n",
    ),
    Mutant(
        "timeouts_do_not_grow",
        "L11-L67: timeout(r) = base instead of base + r * delta",
        "machine",
        "duration_ms = base_ms + self.round * delta_ms",
        "duration_ms = base_ms",
    ),
    Mutant(
        "lock_not_restored",
        "restart: the lock is not restored from the record",
        "machine",
        "        self.locked_round, self.locked_hash = record.locked_round, record.locked_hash\n",
        "",
    ),
    Mutant(
        "valid_value_not_restored",
        "restart: the valid value is not restored (a new block is proposed instead)",
        "machine",
        "            self.valid_round, self.valid_block = record.valid_round, record.valid_block\n",
        "",
    ),
    Mutant(
        "stale_propose_timeout_obeyed",
        "L57: a timeout_propose of another round still prevotes nil",
        "machine",
        "if round_ != self.round or self.step_ != Step.PROPOSE:",
        "if self.step_ != Step.PROPOSE:",
    ),
    Mutant(
        "proposal_signature_unchecked",
        "a proposal is held without checking its signature",
        "checks",
        "    if not is_valid_proposal_signature(chain_id, validators, signed):\n",
        "    if False:\n",
    ),
    Mutant(
        "signing_guard_off",
        "never double-sign: a vote conflicting with the record is signed",
        "machine",
        "        if position <= self._signed_position:\n"
        "            for signed in self._signed_votes:",
        "        if False:\n            for signed in self._signed_votes:",
    ),
    Mutant(
        "clock_checked_at_decision",
        "defect 1: the decided block is judged by our clock",
        "machine",
        "            self.ledger.verify_block(block)\n        except InvalidBlock as exc:\n",
        "            self.ledger.verify_block(block)\n"
        "            self.ledger.verify_block_time(block, self._now_ms)\n"
        "        except InvalidBlock as exc:\n",
    ),
    Mutant(
        "clock_checked_on_reproposal",
        "defect 2: a POL-backed re-proposal (L28) is judged by our clock",
        "machine",
        "            ) and self._is_valid(block)\n",
        "            ) and self._is_valid(block) and self._is_timely(block)\n",
    ),
    Mutant(
        "clock_verdict_cached",
        "defect 2: a block once untimely stays untimely for the height",
        "machine",
        '        except InvalidBlock:\n            self.counters["block_untimely"] += 1\n'
        "            return False\n        return True\n",
        '        except InvalidBlock:\n            self.counters["block_untimely"] += 1\n'
        "            self._validity[block.hash] = False\n"
        "            return False\n        return self._validity.get(block.hash, True)\n",
    ),
    Mutant(
        "next_height_unchecked",
        "defect 3: next-height votes kept without checking signer and signature",
        "machine",
        "        refusal = get_vote_refusal(\n"
        "            self.chain_id, self._get_next_validators(), self._next.height, 0, signed\n"
        "        )\n",
        "        refusal = None\n",
    ),
    Mutant(
        "next_height_unbounded_per_signer",
        "defect 3: no bound per signer in the next-height buffer",
        "next_height",
        "return self._votes_by_signer[validator] >= limits.next_height_votes_per_signer_max",
        "return False",
    ),
    Mutant(
        "evidence_repeated",
        "defect 4: every further conflicting vote is reported (and counted) again",
        "vote_set",
        "            return AddResult.CONFLICT_AGAIN, existing\n",
        "            return AddResult.CONFLICT, existing\n",
    ),
    Mutant(
        "first_proposal_only",
        "defect 5: only the first proposal of a round is kept",
        "proposals",
        "if len(held_round) >= limits.proposals_per_round_max:",
        "if len(held_round) >= 1:",
    ),
    Mutant(
        "resend_current_round_only",
        "resend: the votes of the earlier round are not re-sent (a laggard in it stalls)",
        "machine",
        "for signed in self._earlier_round_votes + self._signed_votes:",
        "for signed in self._signed_votes:",
    ),
    Mutant(
        "round_certificate_not_relayed",
        "resend: the others' votes that brought us into the round are not passed on",
        "machine",
        "        for signed in self._round_certificate:\n            self._broadcast(",
        "        for signed in []:\n            self._broadcast(",
    ),
    Mutant(
        "round_certificate_not_kept_on_timeout",
        "L65: the precommits we left the round on are not kept for re-sending",
        "machine",
        "        self._round_certificate = self._votes_of_round(left, (VoteType.PRECOMMIT,))",
        "        pass",
    ),
    Mutant(
        "round_certificate_not_kept_on_skip",
        "L55: the later-round votes we skipped on are not kept for re-sending",
        "machine",
        "        self._round_certificate = self._votes_of_round(\n"
        "            self.round, (VoteType.PREVOTE, VoteType.PRECOMMIT)\n"
        "        )\n",
        "        pass\n",
    ),
    Mutant(
        "unbacked_reproposal_not_counted",
        "a re-proposal refused for its missing polka is not counted",
        "machine",
        '                self.counters["proposal_polka_missing"] += 1',
        "                pass",
    ),
)


def build_machine_class(mutant: Mutant) -> Any:
    """The ConsensusMachine of a patched copy of chainbook.consensus (originals untouched)."""
    originals = {name: sys.modules[f"{CONSENSUS}.{name}"] for name in MODULES}
    try:
        for name in MODULES[MODULES.index(mutant.module) :]:
            path = Path(str(originals[name].__file__))
            source = path.read_text()
            if name == mutant.module:
                count = source.count(mutant.old)
                assert count == 1, f"mutant {mutant.name}: its source occurs {count} times"
                source = source.replace(mutant.old, mutant.new)
            module = types.ModuleType(f"{CONSENSUS}.{name}")
            module.__file__ = str(path)
            sys.modules[module.__name__] = module
            exec(compile(source, f"<mutant {mutant.name}: {path.name}>", "exec"), module.__dict__)
        return sys.modules[f"{CONSENSUS}.machine"].ConsensusMachine
    finally:
        for name, module in originals.items():
            sys.modules[f"{CONSENSUS}.{name}"] = module


def killing_scripts(mutant: Mutant) -> list[str]:
    """The scripts whose output differs under the mutant."""
    machine_class = build_machine_class(mutant)
    killed = []
    for path in all_scripts():
        try:
            failed = bool(check_script(path, machine_class))
        except (ScriptError, AssertionError):
            failed = True
        if failed:
            killed.append(path.stem)
    return killed


def main() -> int:
    survivors = 0
    for mutant in MUTANTS:
        killed = killing_scripts(mutant)
        survivors += not killed
        verdict = f"killed by {', '.join(killed)}" if killed else "SURVIVED"
        print(f"{mutant.name:34} {verdict}")
    print(f"{len(MUTANTS) - survivors} of {len(MUTANTS)} mutants killed")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
