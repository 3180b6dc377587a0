"""The chaos suite: a 4-validator testnet of real node processes under faults, judged after.

    proxy.py      the links between nodes (one forwarding proxy per direction; netem is used
                  nowhere yet: probe.py says whether this machine could)
    cluster.py    homes from `chainbook testnet init`, node processes, disk faults
    node_entry.py test-only entry point: the real node with a skewed clock or a Byzantine role
    byzantine.py  the Byzantine roles (double_sign, invalid_proposal, junk)
    workload.py   clients that record every transaction acknowledged as committed
    nemesis.py    the faults
    checker.py    agreement, durability of acknowledged writes, the balance model, liveness
    run.py        one run; `python -m tests.chaos` runs one from the command line

docs/RELIABILITY.md gives the table of faults, the commands and the results.
"""
