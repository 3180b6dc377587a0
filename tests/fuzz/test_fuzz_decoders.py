"""Every decoder of outside bytes, fuzzed: it returns its type or raises its one documented error.

Inputs are arbitrary bytes and, more to the point, valid encodings with bytes flipped, cut or
inserted (a fuzzer that only sends noise rarely gets past the first tag). A decoder that raises
anything else (IndexError, UnicodeDecodeError, a bare msgspec error, an assertion) would let one
peer's or file's bytes crash a node; a valid encoding must decode to what was encoded.

Deterministic: hypothesis runs derandomized (the same examples every run); the atheris
harnesses (tests/fuzz/atheris_*.py) search longer, outside CI.
"""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainbook import codec
from chainbook.apps.bank import Transfer
from chainbook.apps.registry import decode_action
from chainbook.chain.block import Block, decode_block, encode_block
from chainbook.chain.commit import NIL, Proposal, Vote, VoteType, sign_proposal, sign_vote
from chainbook.chain.tx import DecodedTx, decode_tx, verify_tx
from chainbook.consensus.machine import ConsensusRecord
from chainbook.consensus.messages import ProposalMessage, VoteMessage
from chainbook.core.wire import (
    StatusMessage,
    SyncRequest,
    SyncResponse,
    TxsMessage,
    decode_message,
    encode_message,
)
from chainbook.errors import (
    ConfigError,
    DamagedConsensusRecord,
    DecodeError,
    InvalidInput,
    PeerMisbehaved,
)
from chainbook.keyfile import compute_key_file, decode_key_file, encode_key_file
from chainbook.ledger.genesis import dump_genesis, load_genesis
from chainbook.p2p import frames
from chainbook.p2p.handshake import HandshakeRefused, Hello, encode_hello, exchange_hellos
from chainbook.storage.consensus_record_file import decode_record_file, encode_record_file
from tests.support import ALICE, BOB, CHAIN_ID, make_genesis, signed, validator_keys

FUZZ = settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
KEY = validator_keys(1)[0]
TX = signed(ALICE, 0, Transfer(to=BOB.address, amount=5))
def _a_block() -> Block:
    """A real block of height 1, built by the core the way a proposer builds one."""
    from chainbook.core.boot import boot_core
    from chainbook.core.node import CoreSettings
    from chainbook.storage import MemoryBlockStore

    genesis = make_genesis(validators=[KEY])
    core = boot_core(
        genesis=genesis, key=KEY, store=MemoryBlockStore(), record=None, settings=CoreSettings()
    ).core
    core.mempool.add(TX)
    return core.ledger.build_block(1, genesis.genesis_time_ms + 1, KEY.address, None)


def _wire_samples() -> list[bytes]:
    vote = sign_vote(KEY, CHAIN_ID, Vote(VoteType.PREVOTE, 1, 0, NIL))
    block = _a_block()
    proposal = sign_proposal(KEY, CHAIN_ID, Proposal(1, 0, -1, block.hash))
    return [
        encode_message(VoteMessage(vote=vote)),
        encode_message(ProposalMessage(proposal=proposal, block=block)),
        encode_message(TxsMessage(txs=[TX])),
        encode_message(StatusMessage(height=7)),
        encode_message(SyncRequest(from_height=1, count=3)),
        encode_message(SyncResponse(blocks=[(encode_block(block), b"\x94\x01\x00\xc4\x00\x90")])),
    ]


WIRE_SAMPLES = _wire_samples()
BLOCK_BYTES = encode_block(_a_block())


@st.composite
def mutated(draw: st.DrawFn, samples: list[bytes]) -> bytes:
    """A sample with a few bytes flipped, cut, duplicated or inserted; sometimes pure noise."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=256))
    data = bytearray(draw(st.sampled_from(samples)))
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        match draw(st.integers(0, 3)):
            case 0:
                data[at] ^= 1 << draw(st.integers(0, 7))
            case 1:
                del data[at:]
            case 2:
                data[at:at] = draw(st.binary(min_size=1, max_size=8))
            case _:
                data[at] = draw(st.integers(0, 255))
    return bytes(data)


# ------------------------------------------------------------------ node-to-node


@FUZZ
@given(mutated(WIRE_SAMPLES))
def test_wire_decode_message_raises_only_peer_misbehaved(payload: bytes) -> None:
    try:
        message = decode_message(payload)
    except PeerMisbehaved:
        return
    assert decode_message(encode_message(message)) == message


def test_wire_samples_round_trip() -> None:
    for payload in WIRE_SAMPLES:
        assert encode_message(decode_message(payload)) == payload


class _NullWriter:
    def write(self, data: bytes) -> None:
        pass

    async def drain(self) -> None:
        pass


def _stream(data: bytes) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    return reader


@FUZZ
@given(mutated([frames.encode_frame(b"x" * 40, 1024), frames.encode_frame(b"\x01", 1024)]))
def test_p2p_read_frame_raises_only_frame_errors(data: bytes) -> None:
    async def read() -> bytes | None:
        return await frames.read_frame(_stream(data), 1024)

    try:
        payload = asyncio.run(read())
    except frames.FrameError:
        return
    assert payload is None or 0 < len(payload) <= 1024


@FUZZ
@given(st.data())
def test_p2p_hello_exchange_raises_only_handshake_refused(data: st.DataObject) -> None:
    sample = frames.encode_frame(encode_hello(_hello()), 4096)
    stream = data.draw(mutated([sample]))

    async def exchange() -> Hello:
        return await exchange_hellos(_stream(stream), _NullWriter(), b"")  # type: ignore[arg-type]

    try:
        hello = asyncio.run(exchange())
    except HandshakeRefused:
        return
    assert isinstance(hello, Hello)


def _hello() -> Hello:
    return Hello(
        protocol_version=1,
        chain_id=CHAIN_ID,
        public_key=KEY.public_key,
        listen_port=26600,
        network_id=b"n" * 32,
    )


# ------------------------------------------------------------------ the chain


@FUZZ
@given(mutated([TX]))
def test_tx_decode_and_verify_raise_only_invalid_input(data: bytes) -> None:
    for decode in (decode_tx, lambda b: verify_tx(CHAIN_ID, b)):
        try:
            decoded = decode(data)
        except InvalidInput:
            continue
        assert isinstance(decoded, DecodedTx) and decoded.tx_bytes == data


@FUZZ
@given(mutated([BLOCK_BYTES]))
def test_block_decode_raises_only_decode_error_and_is_canonical(data: bytes) -> None:
    try:
        block = decode_block(data)
    except DecodeError:
        return
    assert encode_block(block) == data, "a non-canonical block was accepted"


@FUZZ
@given(mutated([codec.encode(Vote(VoteType.PRECOMMIT, 3, 1, b"h" * 32)), BLOCK_BYTES]))
def test_decode_canonical_raises_only_decode_error(data: bytes) -> None:
    for type_ in (Vote, Block):
        try:
            value = codec.decode_canonical(data, type_)
        except DecodeError:
            continue
        assert codec.encode(value) == data


@FUZZ
@given(mutated([codec.encode(Transfer(to=BOB.address, amount=1, memo="m"))]))
def test_registry_decode_action_raises_only_invalid_input(data: bytes) -> None:
    try:
        action = decode_action(data)
    except InvalidInput:
        return
    assert codec.encode(action) == data


# ------------------------------------------------------------------ files


GENESIS_BYTES = dump_genesis(make_genesis(validators=validator_keys(2)))


@FUZZ
@given(mutated([GENESIS_BYTES]))
def test_load_genesis_raises_only_config_error(data: bytes) -> None:
    try:
        genesis = load_genesis(data)
    except ConfigError:
        return
    assert genesis.chain_id


KEY_FILE_BYTES = encode_key_file(compute_key_file(KEY))


@FUZZ
@given(mutated([KEY_FILE_BYTES]))
def test_decode_key_file_raises_only_config_error(data: bytes) -> None:
    try:
        decode_key_file(data, "fuzz.json")
    except ConfigError:
        return


RECORD = encode_record_file(b"\x93\x01\x02\x03")


@FUZZ
@given(mutated([RECORD, encode_record_file(b"")]))
def test_consensus_record_file_raises_only_damaged_record(data: bytes) -> None:
    try:
        record = decode_record_file(data, "fuzz.bin")
    except DamagedConsensusRecord:
        return
    assert encode_record_file(record) == data


@FUZZ
@given(st.binary(max_size=512))
def test_consensus_record_body_raises_only_decode_error(data: bytes) -> None:
    try:
        codec.decode(data, ConsensusRecord)
    except DecodeError:
        return
