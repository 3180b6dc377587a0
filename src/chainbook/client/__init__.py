"""The Python SDK of chainbook: a node client, a wallet, key files and offline proof checks."""

from chainbook.client.http import ApiError, Client, ClientError, NodeUnreachable
from chainbook.client.modules import build_action
from chainbook.client.verify import ProofError, check_tx_proof, verify_tx_proof
from chainbook.client.wallet import Wallet, describe, is_fully_signed
from chainbook.keyfile import load_key_file, write_key_file

__all__ = [
    "ApiError",
    "Client",
    "ClientError",
    "NodeUnreachable",
    "ProofError",
    "Wallet",
    "build_action",
    "check_tx_proof",
    "describe",
    "is_fully_signed",
    "load_key_file",
    "verify_tx_proof",
    "write_key_file",
]
