// chainbook's offline verifier in JavaScript: receipt files and state proof files
// (docs/PROTOCOL.md "Proof files"), for the browser explorer and any other JavaScript host.
//
// It trusts the genesis file's chain id and validators and nothing else, and needs nothing but
// WebCrypto (SHA-256, Ed25519: browsers and Node.js 20) and the MessagePack subset of
// msgpack.js. It is a second implementation of chainbook/client/verify.py and
// chainbook/client/light.py: the shared vectors (tests/vectors/proofs/) must be judged the same
// by both. Every failure is a ProofError naming the check; nothing malformed passes.
//
// One difference, by design: Python re-runs any module query over the proven keys; this
// verifier checks the proofs of every key for any query, and re-derives the answer only for the
// queries it knows (bank.balance); for the others `answerChecked` is false.

import { decode, encode, equalBytes, isCanonical, MsgpackError } from "./msgpack.js";

export const RECEIPT_FORMAT = "chainbook/receipt";
export const STATE_PROOF_FORMAT = "chainbook/state-proof";
export const PROOF_VERSION = 1;
export const PROOF_FILE_BYTES_MAX = 4 * 1024 * 1024;
export const VALIDATOR_CHANGES_MAX = 1000;
export const AUDIT_PATH_HASHES_MAX = 64;
export const STATE_PROOF_ENTRIES_MAX = 64;
export const TX_BYTES_MAX = 8 * 1024;
const STATE_KEY_BYTES_MAX = 1024;
const STATE_VALUE_BYTES_MAX = 64 * 1024;
const KEY_HASH_NIBBLES = 64;

export class ProofError extends Error {}

const text = new TextEncoder();
const subtle = globalThis.crypto.subtle;

// --- primitives ---------------------------------------------------------------------------------

export async function sha256(...parts) {
  let length = 0;
  for (const p of parts) length += p.length;
  const data = new Uint8Array(length);
  let at = 0;
  for (const p of parts) { data.set(p, at); at += p.length; }
  return new Uint8Array(await subtle.digest("SHA-256", data));
}

async function ed25519Verify(publicKey, message, signature) {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    const key = await subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
    return await subtle.verify({ name: "Ed25519" }, key, signature, message);
  } catch {
    return false;
  }
}

export function fromHex(field, value, limit = 8 * 1024 * 1024) {
  if (typeof value !== "string") throw new ProofError(`${field}: a hex string is expected`);
  if (value.length > limit) throw new ProofError(`${field}: ${value.length} hex characters, at most ${limit} accepted`);
  if (value.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(value)) {
    throw new ProofError(`${field}: not hex (pairs of 0-9a-f), got ${JSON.stringify(value.slice(0, 40))}`);
  }
  const out = new Uint8Array(value.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(value.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function concat(...parts) {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

// --- typed decoding -------------------------------------------------------------------------

const isBytes = (v, n) => v instanceof Uint8Array && (n === undefined || v.length === n);
const isUint = (v) => Number.isSafeInteger(v) && v >= 0;
const isStr = (v) => typeof v === "string";

function decodeStructure(field, bytes, check) {
  let value;
  try {
    value = decode(bytes);
    if (!isCanonical(bytes)) throw new ProofError(`${field}: non-canonical encoding`);
  } catch (err) {
    if (err instanceof MsgpackError) throw new ProofError(`${field}: malformed: ${err.message}`);
    throw err;
  }
  const problem = check(value);
  if (problem) throw new ProofError(`${field}: ${problem}`);
  return value;
}

function checkHeader(v) {
  if (!Array.isArray(v) || v.length !== 13) return "a header is an array of 13 fields";
  const [chainId, height, timeMs, prev, lastCommit, txsRoot, txCount, receiptsRoot, appHash, vals, nextVals, proposer, evidence] = v;
  if (!isStr(chainId) || !isUint(height) || !isUint(timeMs) || !isUint(txCount)) return "wrong field types";
  for (const h of [prev, lastCommit, txsRoot, receiptsRoot, appHash, vals, nextVals, evidence]) if (!isBytes(h, 32)) return "hashes are 32 bytes";
  if (!isBytes(proposer, 20)) return "proposer is 20 bytes";
  return null;
}

export function decodeHeader(field, hex) {
  const bytes = fromHex(field, hex);
  const v = decodeStructure(field, bytes, checkHeader);
  return {
    bytes, chainId: v[0], height: v[1], timeMs: v[2], txsRoot: v[5], txCount: v[6],
    receiptsRoot: v[7], appHash: v[8], validatorsHash: v[9], nextValidatorsHash: v[10],
  };
}

function checkCommit(v) {
  if (!Array.isArray(v) || v.length !== 4) return "a commit is an array of 4 fields";
  const [height, round, blockHash, sigs] = v;
  if (!isUint(height) || !isUint(round) || !isBytes(blockHash) || !Array.isArray(sigs)) return "wrong field types";
  for (const s of sigs) {
    if (!Array.isArray(s) || s.length !== 2 || !isUint(s[0]) || !isBytes(s[1])) return "a signature is [validator_index, bytes]";
  }
  return null;
}

export function decodeCommit(field, hex) {
  const v = decodeStructure(field, fromHex(field, hex), checkCommit);
  return { height: v[0], round: v[1], blockHash: v[2], signatures: v[3].map(([index, signature]) => ({ index, signature })) };
}

async function address(publicKey) {
  return (await sha256(publicKey)).slice(0, 20);
}

function compareBytes(a, b) {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

// A validator set: [public_key, power, name] each, sorted by address; hash over that list.
export async function makeValidatorSet(field, validators) {
  if (!Array.isArray(validators) || validators.length === 0) throw new ProofError(`${field}: a validator set needs at least one validator`);
  if (validators.length > 150) throw new ProofError(`${field}: ${validators.length} validators, limit 150`);
  const entries = [];
  for (const v of validators) {
    if (!Array.isArray(v) || v.length !== 3 || !isBytes(v[0], 32) || !isUint(v[1]) || v[1] <= 0 || !isStr(v[2])) {
      throw new ProofError(`${field}: a validator is [public_key(32), power > 0, name]`);
    }
    entries.push({ publicKey: v[0], power: v[1], name: v[2], address: await address(v[0]) });
  }
  entries.sort((a, b) => compareBytes(a.address, b.address));
  for (let i = 1; i < entries.length; i++) {
    if (equalBytes(entries[i].address, entries[i - 1].address)) throw new ProofError(`${field}: duplicate validator public key`);
  }
  const total = entries.reduce((sum, e) => sum + e.power, 0);
  if (total > 10000) throw new ProofError(`${field}: total power ${total}, limit 10000`);
  const hash = await sha256(encode(entries.map((e) => [e.publicKey, e.power, e.name])));
  return { validators: entries, powerTotal: total, hash };
}

export async function trustRootFromGenesis(genesis, source = "the genesis file") {
  if (!genesis || !isStr(genesis.chain_id) || !Array.isArray(genesis.validators)) {
    throw new ProofError("genesis: chain_id and validators are required");
  }
  const validators = genesis.validators.map((v) => [fromHex("genesis validator public_key", v.public_key), v.power, v.name ?? ""]);
  return { chainId: genesis.chain_id, validatorSet: await makeValidatorSet("genesis validators", validators), source };
}

// --- RFC 6962 -----------------------------------------------------------------------------------

async function leafHash(leaf) { return sha256(Uint8Array.of(0), leaf); }
async function nodeHash(left, right) { return sha256(Uint8Array.of(1), left, right); }

// RFC 9162 section 2.1.3.2.
export async function verifyInclusion(leaf, index, treeSize, path, root) {
  if (!(index >= 0 && index < treeSize)) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r = await leafHash(leaf);
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(r, root);
}

function auditPath(field, path) {
  if (!Array.isArray(path)) throw new ProofError(`${field}: a list of hashes is expected`);
  if (path.length > AUDIT_PATH_HASHES_MAX) throw new ProofError(`${field}: ${path.length} hashes, at most ${AUDIT_PATH_HASHES_MAX}`);
  const hashes = path.map((h) => fromHex(field, h, 64));
  if (hashes.some((h) => h.length !== 32)) throw new ProofError(`${field}: every hash must be 32 bytes`);
  return hashes;
}

// --- commits and the validator-set chain ----------------------------------------------------------

function voteSignBytes(chainId, height, round, blockHash) {
  return concat(text.encode("chainbook/vote/v1"), Uint8Array.of(0), text.encode(chainId), Uint8Array.of(0), encode([2, height, round, blockHash]));
}

async function verifyCommit(field, chainId, set, commit, height, blockHash) {
  if (commit.height !== height) throw new ProofError(`${field}: commit certificate: commit is for height ${commit.height}, expected ${height}`);
  if (!equalBytes(commit.blockHash, blockHash)) throw new ProofError(`${field}: commit certificate: commit is for another block`);
  const message = voteSignBytes(chainId, height, commit.round, blockHash);
  let power = 0;
  let previous = -1;
  for (const { index, signature } of commit.signatures) {
    if (index <= previous) throw new ProofError(`${field}: commit certificate: signatures must be sorted by validator index, no repeats`);
    previous = index;
    const validator = set.validators[index];
    if (!validator) throw new ProofError(`${field}: commit certificate: commit names validator index ${index}, not in the set`);
    if (!(await ed25519Verify(validator.publicKey, message, signature))) {
      throw new ProofError(`${field}: commit certificate: commit signature of validator ${index} is invalid`);
    }
    power += validator.power;
  }
  if (3 * power <= 2 * set.powerTotal) {
    throw new ProofError(`${field}: commit certificate: commit has power ${power}, needs more than 2/3 of ${set.powerTotal}`);
  }
}

async function verifyCertifiedHeader(field, chainId, set, header, commit) {
  if (header.chainId !== chainId) throw new ProofError(`${field}: header of chain ${JSON.stringify(header.chainId)}, expected ${JSON.stringify(chainId)}`);
  if (!equalBytes(header.validatorsHash, set.hash)) {
    throw new ProofError(`${field}: the header at height ${header.height} names another validator set than the set in force there (a validator-set change is missing or forged)`);
  }
  await verifyCommit(field, chainId, set, commit, header.height, await sha256(header.bytes));
}

export async function verifyValidatorChanges(root, changes, toHeight) {
  if (!Array.isArray(changes)) throw new ProofError("validator_changes: a list is expected");
  if (changes.length > VALIDATOR_CHANGES_MAX) throw new ProofError(`${changes.length} validator-set changes, at most ${VALIDATOR_CHANGES_MAX} accepted`);
  let trusted = root.validatorSet;
  let lastHeight = 0;
  for (const [number, change] of changes.entries()) {
    const field = `validator change ${number}`;
    const header = decodeHeader(`${field} header`, change.header);
    const commit = decodeCommit(`${field} commit`, change.commit);
    const listed = decodeStructure(`${field} validators`, fromHex(`${field} validators`, change.validators), (v) => (Array.isArray(v) ? null : "a list of validators is expected"));
    const newSet = await makeValidatorSet(`${field} validators`, listed);
    if (header.height !== change.height) throw new ProofError(`${field}: says height ${change.height}, its header ${header.height}`);
    if (!(lastHeight < header.height && header.height < toHeight)) {
      throw new ProofError(`${field}: at height ${header.height}; changes must be in increasing height order, after ${lastHeight} and below ${toHeight}`);
    }
    await verifyCertifiedHeader(field, root.chainId, trusted, header, commit);
    if (equalBytes(header.nextValidatorsHash, header.validatorsHash)) throw new ProofError(`${field}: the header at ${header.height} changes no validator`);
    if (!equalBytes(newSet.hash, header.nextValidatorsHash)) throw new ProofError(`${field}: the new set does not hash to what the header announces`);
    trusted = newSet;
    lastHeight = header.height;
  }
  return trusted;
}

// --- documents --------------------------------------------------------------------------------

function parseDocument(input, format, fields) {
  let doc = input;
  if (typeof input === "string" || input instanceof Uint8Array) {
    const size = typeof input === "string" ? text.encode(input).length : input.length;
    if (size > PROOF_FILE_BYTES_MAX) throw new ProofError(`proof document of ${size} bytes, at most ${PROOF_FILE_BYTES_MAX} accepted`);
    try {
      doc = JSON.parse(typeof input === "string" ? input : new TextDecoder("utf-8", { fatal: true }).decode(input));
    } catch (err) {
      throw new ProofError(`not a proof document (malformed or truncated JSON): ${err.message}`);
    }
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) throw new ProofError("not a proof document: a JSON object is expected");
  if (doc.format !== format) throw new ProofError(`unknown format ${JSON.stringify(doc.format)}; expected ${format}`);
  if (doc.version !== PROOF_VERSION) throw new ProofError(`${format} version ${JSON.stringify(doc.version)}; this verifier reads version ${PROOF_VERSION}`);
  const unknown = Object.keys(doc).filter((k) => !fields.includes(k));
  if (unknown.length) throw new ProofError(`${format}: unknown field ${JSON.stringify(unknown[0])}`);
  const missing = fields.filter((k) => !(k in doc));
  if (missing.length) throw new ProofError(`${format}: missing required field ${JSON.stringify(missing[0])}`);
  return doc;
}

const RECEIPT_FIELDS = ["format", "version", "chain_id", "height", "index", "tx", "receipt", "tx_path", "receipt_path", "header", "commit", "validator_changes"];
const STATE_FIELDS = ["format", "version", "chain_id", "module", "query", "request", "answer", "height", "entries", "header", "commit", "validator_changes"];

function checkReceiptLeaf(v) {
  if (!Array.isArray(v) || v.length !== 5) return "a receipt is [tx_hash, ok, code, error, events]";
  const [txHash, ok, code, error, events] = v;
  if (!isBytes(txHash, 32) || typeof ok !== "boolean" || !isStr(code) || !isStr(error) || !Array.isArray(events)) return "wrong field types";
  for (const e of events) {
    if (!Array.isArray(e) || e.length !== 3 || !isStr(e[0]) || !isStr(e[1]) || !Array.isArray(e[2])) return "an event is [module, kind, attributes]";
    for (const a of e[2]) if (!Array.isArray(a) || a.length !== 2 || !isStr(a[0]) || !isStr(a[1])) return "an attribute is [name, value]";
  }
  return null;
}

const TX_SIGNATURES_MAX = 8;
const TX_ACCOUNTS_MAX = 8;
const isCount = (v) => isUint(v) || (typeof v === "bigint" && v >= 0n);

function checkSignedTx(v) {
  if (!Array.isArray(v) || v.length !== 2 || !isBytes(v[0]) || !Array.isArray(v[1])) return "a SignedTx is [body, signatures]";
  if (!v[1].every((s) => isBytes(s, 64))) return "every signature is 64 bytes";
  return null;
}

function distinct(list) {
  return new Set(list.map((b) => toHex(b))).size === list.length;
}

function checkTxBody(v) {
  if (!Array.isArray(v) || v.length !== 6) return "a body is [chain_id, keys, accounts, nonce, fee, action]";
  const [chainId, keys, accounts, nonce, fee, action] = v;
  if (!isStr(chainId) || !isCount(nonce) || !isCount(fee) || !Array.isArray(action) || !isStr(action[0])) return "wrong field types";
  if (!Array.isArray(keys) || keys.length < 1 || keys.length > TX_SIGNATURES_MAX || !keys.every((k) => isBytes(k, 32)) || !distinct(keys)) return `keys are 1 to ${TX_SIGNATURES_MAX} distinct 32-byte public keys`;
  if (accounts !== null && (!Array.isArray(accounts) || accounts.length < 1 || accounts.length > TX_ACCOUNTS_MAX || !accounts.every((a) => isBytes(a, 20)) || !distinct(accounts))) return `accounts are nil or 1 to ${TX_ACCOUNTS_MAX} distinct 20-byte addresses`;
  return null;
}

async function verifyTx(chainId, txBytes) {
  if (txBytes.length > TX_BYTES_MAX) throw new ProofError(`tx: ${txBytes.length} bytes, limit ${TX_BYTES_MAX}`);
  const [body, signatures] = decodeStructure("tx", txBytes, checkSignedTx);
  const [txChainId, keys, accounts, nonce, , action] = decodeStructure("tx body", body, checkTxBody);
  if (txChainId !== chainId) throw new ProofError(`tx: transaction is for chain ${JSON.stringify(txChainId)}, not ${JSON.stringify(chainId)}`);
  if (signatures.length !== keys.length) throw new ProofError(`tx: ${keys.length} keys and ${signatures.length} signatures`);
  const message = concat(text.encode("chainbook/tx/v2"), Uint8Array.of(0), body);
  for (let i = 0; i < keys.length; i++) {
    if (!(await ed25519Verify(keys[i], message, signatures[i]))) throw new ProofError(`tx: signature ${i} does not verify`);
  }
  const sender = accounts === null ? await address(keys[0]) : accounts[0];
  return { sender, nonce, action };
}

function jsonAction(action) {
  const [tag, ...fields] = action;
  const plain = (v) => (v instanceof Uint8Array ? toHex(v) : Array.isArray(v) ? v.map(plain) : typeof v === "bigint" ? v.toString() : v);
  return { type: tag, fields: fields.map(plain) };
}

export async function verifyReceiptFile(input, root) {
  const doc = parseDocument(input, RECEIPT_FORMAT, RECEIPT_FIELDS);
  if (doc.chain_id !== root.chainId) throw new ProofError(`receipt of chain ${JSON.stringify(doc.chain_id)}, ${root.source} is of ${JSON.stringify(root.chainId)}`);
  const header = decodeHeader("header", doc.header);
  const commit = decodeCommit("commit", doc.commit);
  const tx = fromHex("tx", doc.tx);
  const index = doc.index;
  if (header.height !== doc.height) throw new ProofError(`the header is at height ${header.height}, the receipt says ${doc.height}`);
  if (!(Number.isSafeInteger(index) && index >= 0 && index < header.txCount)) throw new ProofError(`index ${index} outside a block of ${header.txCount} txs`);
  if (!(await verifyInclusion(tx, index, header.txCount, auditPath("tx_path", doc.tx_path), header.txsRoot))) {
    throw new ProofError("the tx audit path does not lead from the tx to the header's txs_root");
  }
  const leafBytes = fromHex("receipt", doc.receipt);
  if (!(await verifyInclusion(leafBytes, index, header.txCount, auditPath("receipt_path", doc.receipt_path), header.receiptsRoot))) {
    throw new ProofError("the receipt audit path does not lead from the receipt to the header's receipts_root: the outcome, error or events were changed");
  }
  const [leafTxHash, ok, code, error, events] = decodeStructure("receipt", leafBytes, checkReceiptLeaf);
  const txHash = await sha256(tx);
  if (!equalBytes(leafTxHash, txHash)) throw new ProofError("the receipt is for another tx");
  const decoded = await verifyTx(root.chainId, tx);
  const set = await verifyValidatorChanges(root, doc.validator_changes, header.height);
  await verifyCertifiedHeader("header", root.chainId, set, header, commit);
  return {
    chainId: root.chainId, height: header.height, timeMs: header.timeMs, blockHash: toHex(await sha256(header.bytes)),
    index, txHash: toHex(txHash), sender: toHex(decoded.sender), nonce: decoded.nonce, action: jsonAction(decoded.action),
    ok, code, error, events: events.map(([module, kind, attributes]) => ({ module, kind, attributes })),
    validatorChanges: doc.validator_changes.length,
  };
}

// --- state proofs (ledger/state_tree.py) ------------------------------------------------------------

function nibble(keyHash, depth) {
  const byte = keyHash[depth >> 1];
  return depth & 1 ? byte & 0x0f : byte >> 4;
}

function checkStateProof(v) {
  if (!Array.isArray(v) || v.length !== 4) return "a state proof is [key, value, siblings, other]";
  const [key, value, siblings, other] = v;
  if (!isBytes(key) || !(value === null || isBytes(value)) || !Array.isArray(siblings)) return "wrong field types";
  if (key.length > STATE_KEY_BYTES_MAX) return `key of ${key.length} bytes, longest accepted ${STATE_KEY_BYTES_MAX}`;
  if (value !== null && value.length > STATE_VALUE_BYTES_MAX) return `value of ${value.length} bytes, longest accepted ${STATE_VALUE_BYTES_MAX}`;
  if (siblings.length > KEY_HASH_NIBBLES) return `${siblings.length} levels, a path has at most ${KEY_HASH_NIBBLES}`;
  for (const [depth, level] of siblings.entries()) {
    if (!Array.isArray(level) || level.length !== 16) return `level ${depth} has ${Array.isArray(level) ? level.length : "no"} slots, not 16`;
    if (level.some((h) => !(h === null || isBytes(h, 32)))) return `level ${depth} has a hash that is not 32 bytes`;
  }
  if (other !== null) {
    if (!Array.isArray(other) || other.length !== 2 || !isBytes(other[0], 32) || !isBytes(other[1])) return "the other leaf is [key_hash(32), value]";
    if (value !== null) return "a proof of presence carries no other leaf";
    if (other[1].length > STATE_VALUE_BYTES_MAX) return "other leaf's value is too long";
  }
  return null;
}

export async function stateRootFromProof(field, proof) {
  const [key, value, siblings, other] = proof;
  const keyHash = await sha256(key);
  for (const [depth, level] of siblings.entries()) {
    if (level[nibble(keyHash, depth)] !== null) throw new ProofError(`${field}: level ${depth} fills the slot on the key's own path`);
  }
  let node;
  if (value !== null) {
    node = await sha256(Uint8Array.of(0), keyHash, value);
  } else if (other !== null) {
    const [otherHash, otherValue] = other;
    if (equalBytes(otherHash, keyHash)) throw new ProofError(`${field}: the leaf given for an absent key is that key's own leaf`);
    for (let d = 0; d < siblings.length; d++) {
      if (nibble(otherHash, d) !== nibble(keyHash, d)) throw new ProofError(`${field}: the leaf given for an absent key does not share its first ${siblings.length} nibbles`);
    }
    node = await sha256(Uint8Array.of(0), otherHash, otherValue);
  } else {
    node = new Uint8Array(32);
  }
  for (let depth = siblings.length - 1; depth >= 0; depth--) {
    const children = siblings[depth].map((h) => (h === null ? new Uint8Array(32) : h));
    children[nibble(keyHash, depth)] = node;
    node = await sha256(Uint8Array.of(1), ...children);
  }
  return node;
}

const KNOWN_QUERIES = {
  // bank.balance reads bank/balance/<address>: present means the account exists.
  "bank.balance": (request, values) => {
    const address = fromHex("request address", String(request.address ?? "")).slice(0);
    if (address.length !== 20) throw new ProofError("bank.balance: address must be 20 bytes");
    const key = toHex(concat(text.encode("bank/balance/"), address));
    if (!values.has(key)) throw new ProofError(`bank.balance: the query reads key ${key}, which the proof does not cover`);
    const raw = values.get(key);
    const balance = raw === null ? 0 : decode(raw);
    return { address: toHex(address), balance: typeof balance === "bigint" ? Number(balance) : balance, exists: raw !== null };
  },
};

function sameJson(a, b) {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => sameJson(a[k], b[k]));
}

export async function verifyStateProofFile(input, root) {
  const doc = parseDocument(input, STATE_PROOF_FORMAT, STATE_FIELDS);
  if (doc.chain_id !== root.chainId) throw new ProofError(`state proof of chain ${JSON.stringify(doc.chain_id)}, ${root.source} is of ${JSON.stringify(root.chainId)}`);
  const header = decodeHeader("header", doc.header);
  const commit = decodeCommit("commit", doc.commit);
  if (header.height !== doc.height + 1) throw new ProofError(`the state after block ${doc.height} is committed to by header ${doc.height + 1}, the document carries header ${header.height}`);
  if (!Array.isArray(doc.entries)) throw new ProofError("entries: a list is expected");
  if (doc.entries.length > STATE_PROOF_ENTRIES_MAX) throw new ProofError(`${doc.entries.length} proven keys, at most ${STATE_PROOF_ENTRIES_MAX}`);
  const values = new Map();
  for (const [number, entry] of doc.entries.entries()) {
    const field = `entry ${number}`;
    const key = fromHex(`${field} key`, entry.key);
    const proof = decodeStructure(`${field} proof`, fromHex(`${field} proof`, entry.proof), checkStateProof);
    if (!equalBytes(proof[0], key)) throw new ProofError(`${field}: the proof is of key ${toHex(proof[0])}, not ${toHex(key)}`);
    const computed = await stateRootFromProof(field, proof);
    if (!equalBytes(computed, header.appHash)) throw new ProofError(`${field}: the proof of key ${toHex(key)} leads to root ${toHex(computed)}, not ${toHex(header.appHash)}`);
    values.set(toHex(key), proof[1]);
  }
  const set = await verifyValidatorChanges(root, doc.validator_changes, header.height);
  await verifyCertifiedHeader("header", root.chainId, set, header, commit);
  const known = KNOWN_QUERIES[`${doc.module}.${doc.query}`];
  if (known) {
    const answer = known(doc.request, values);
    if (!sameJson(answer, doc.answer)) throw new ProofError(`the answer ${JSON.stringify(doc.answer)} is not what the proven state gives: ${JSON.stringify(answer)}`);
  }
  return {
    chainId: root.chainId, module: doc.module, query: doc.query, request: doc.request, answer: doc.answer,
    answerChecked: Boolean(known), height: doc.height, headerHeight: header.height, timeMs: header.timeMs,
    entries: [...values.entries()].map(([key, value]) => ({ key, value: value === null ? null : toHex(value) })),
    validatorChanges: doc.validator_changes.length,
  };
}

export async function verifyProofDocument(input, root) {
  let kind = null;
  try {
    const parsed = typeof input === "object" && !(input instanceof Uint8Array) ? input : JSON.parse(typeof input === "string" ? input : new TextDecoder().decode(input));
    kind = parsed && parsed.format;
  } catch {
    kind = null;
  }
  if (kind === STATE_PROOF_FORMAT) return { kind, ...(await verifyStateProofFile(input, root)) };
  return { kind: RECEIPT_FORMAT, ...(await verifyReceiptFile(input, root)) };
}
