"""chainbook: a decentralized ledger with Tendermint-style BFT consensus."""
