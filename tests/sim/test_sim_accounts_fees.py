"""The simulator runs the accounts and fees modules: rotated and multi-key accounts sign on
every node through faults, every transaction pays a fee that is burnt, and the nodes agree."""

from __future__ import annotations

from chainbook.apps import accounts, bank, fees, governance
from chainbook.apps.accounts.workload import AccountsWorkload
from chainbook.apps.bank.process import get_burnt, get_minted, get_supply
from chainbook.apps.bank.workload import ACCOUNT_FUNDS
from chainbook.apps.base import PrefixedReader
from chainbook.apps.registry import Registry
from chainbook.chain.tx import decode_tx
from chainbook.sim import SimConfig
from chainbook.sim.simulator import Simulation

ACCOUNTS_AND_FEES = Registry([bank.MODULE, governance.MODULE, accounts.MODULE, fees.MODULE])
"""The modules under test, and governance (the simulator drives it): with every module of the
registry drawing actions, a policy change would be too rare in four short runs to count on."""


def test_policies_multi_key_transactions_and_fees_in_simulated_runs() -> None:
    changes = multi_key = burnt_total = 0
    for seed in range(4):
        config = SimConfig(validators=4, registry=ACCOUNTS_AND_FEES)
        simulation = Simulation(seed, config)
        result = simulation.run()
        workload = simulation.workload.modules["accounts"]
        assert isinstance(workload, AccountsWorkload)
        assert workload.failed == 0, "a drawn policy change was refused"
        changes += workload.changes
        node = simulation.nodes[0]
        assert node.core is not None
        state = node.core.ledger.state
        bank = PrefixedReader(state.kv, b"bank/")
        burnt = get_burnt(bank)
        genesis_supply = ACCOUNT_FUNDS * config.accounts
        assert get_supply(bank) + burnt == genesis_supply + get_minted(bank)
        burnt_total += burnt
        for height in range(1, state.height + 1):
            block = node.store.load_block(height)
            assert block is not None
            multi_key += sum(len(decode_tx(t).public_keys) > 1 for t in block.txs)
        assert result.txs_committed > 0
    assert changes >= 8 and multi_key >= 8 and burnt_total > 0
