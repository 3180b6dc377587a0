"""The Python SDK of chainbook: `pip install chainbook` (no node, no web server, no plots).

    from chainbook.client import Client, Wallet, PrivateKey, build_action
    client = Client(["http://node0:26700", "http://node1:26700"])     # fails over
    wallet = Wallet(PrivateKey.generate(), client.status().chain_id, client)
    sent = wallet.send(build_action("bank", "transfer", to=..., amount=from_display("1.5")))
    receipt = client.wait_for_receipt(sent.hash, timeout_s=30)
    for height in client.subscribe(kinds="txs", account=wallet.address): ...

Sync (`Client`) and asyncio (`AsyncClient`) clients with failover and retry of 503; keys and
signing (PrivateKey, sign_tx, key files); a builder for every module action and a method for
every query (client.apps.<module>.<query>); amounts to and from display units; offline
verification of receipts and proofs (client/verify.py).
"""

from chainbook.chain.tx import sign_tx
from chainbook.client.amounts import (
    COIN_DECIMALS,
    InvalidAmount,
    format_amount,
    from_display,
    to_display,
)
from chainbook.client.async_http import AsyncClient
from chainbook.client.http import ApiError, Client, ClientError, NodeUnreachable, ReceiptTimeout
from chainbook.client.modules import build_action
from chainbook.client.stream import StreamRefused
from chainbook.client.verify import (
    ProofError,
    TrustRoot,
    VerifiedReceipt,
    VerifiedState,
    check_tx_proof,
    load_proof_document,
    trust_root_from_genesis,
    verify_receipt_file,
    verify_state_proof_file,
    verify_tx_proof,
)
from chainbook.client.wallet import Wallet, describe, is_fully_signed
from chainbook.crypto import PrivateKey, address_from_public_key
from chainbook.keyfile import load_key_file, write_key_file

__all__ = [
    "COIN_DECIMALS",
    "ApiError",
    "AsyncClient",
    "Client",
    "ClientError",
    "InvalidAmount",
    "NodeUnreachable",
    "PrivateKey",
    "ProofError",
    "ReceiptTimeout",
    "StreamRefused",
    "TrustRoot",
    "VerifiedReceipt",
    "VerifiedState",
    "Wallet",
    "address_from_public_key",
    "build_action",
    "check_tx_proof",
    "describe",
    "is_fully_signed",
    "format_amount",
    "from_display",
    "load_key_file",
    "load_proof_document",
    "sign_tx",
    "to_display",
    "trust_root_from_genesis",
    "verify_receipt_file",
    "verify_state_proof_file",
    "verify_tx_proof",
    "write_key_file",
]
