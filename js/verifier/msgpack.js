// A minimal MessagePack decoder and encoder: the subset chainbook's structures use
// (docs/PROTOCOL.md "Encoding rules"): nil, booleans, integers, strings, byte strings, arrays.
//
// Rules kept:
// - The decoder refuses what chainbook never writes (maps, floats, extension types), trailing
//   bytes, truncated input, nesting deeper than MAX_DEPTH and collections longer than the
//   input could hold, each with an Error naming the offset and what was found.
// - The encoder writes the shortest form of each value, the canonical encoding a chainbook node
//   requires; `isCanonical` re-encodes a decoded value and compares the bytes.
// - Integers above 2^53 are decoded as BigInt; byte strings as Uint8Array; strings as UTF-8
//   (invalid UTF-8 is refused).

export const MAX_DEPTH = 32;

export class MsgpackError extends Error {}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const utf8Encoder = new TextEncoder();

export function decode(bytes) {
  const reader = { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), at: 0 };
  const value = readValue(reader, 0);
  if (reader.at !== bytes.length) {
    throw new MsgpackError(`${bytes.length - reader.at} trailing bytes after the value at offset ${reader.at}`);
  }
  return value;
}

function need(reader, count) {
  if (reader.at + count > reader.bytes.length) {
    throw new MsgpackError(`truncated: ${count} bytes needed at offset ${reader.at}, ${reader.bytes.length - reader.at} left`);
  }
}

function readUint(reader, size) {
  need(reader, size);
  const { view, at } = reader;
  reader.at += size;
  if (size === 1) return view.getUint8(at);
  if (size === 2) return view.getUint16(at);
  if (size === 4) return view.getUint32(at);
  const big = view.getBigUint64(at);
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

function readInt(reader, size) {
  need(reader, size);
  const { view, at } = reader;
  reader.at += size;
  if (size === 1) return view.getInt8(at);
  if (size === 2) return view.getInt16(at);
  if (size === 4) return view.getInt32(at);
  const big = view.getBigInt64(at);
  const safe = BigInt(Number.MAX_SAFE_INTEGER);
  return big <= safe && big >= -safe ? Number(big) : big;
}

function readBytes(reader, length) {
  need(reader, length);
  const out = reader.bytes.slice(reader.at, reader.at + length);
  reader.at += length;
  return out;
}

function readString(reader, length) {
  const raw = readBytes(reader, length);
  try {
    return utf8.decode(raw);
  } catch {
    throw new MsgpackError(`invalid UTF-8 in a string at offset ${reader.at - length}`);
  }
}

function readArray(reader, length, depth) {
  if (length > reader.bytes.length - reader.at) {
    throw new MsgpackError(`array of ${length} items cannot fit in ${reader.bytes.length - reader.at} bytes`);
  }
  const items = new Array(length);
  for (let i = 0; i < length; i++) items[i] = readValue(reader, depth + 1);
  return items;
}

function readValue(reader, depth) {
  if (depth > MAX_DEPTH) throw new MsgpackError(`nested deeper than ${MAX_DEPTH}`);
  need(reader, 1);
  const at = reader.at;
  const tag = reader.bytes[reader.at++];
  if (tag <= 0x7f) return tag;
  if (tag >= 0xe0) return tag - 0x100;
  if (tag >= 0xa0 && tag <= 0xbf) return readString(reader, tag & 0x1f);
  if (tag >= 0x90 && tag <= 0x9f) return readArray(reader, tag & 0x0f, depth);
  switch (tag) {
    case 0xc0: return null;
    case 0xc2: return false;
    case 0xc3: return true;
    case 0xc4: return readBytes(reader, readUint(reader, 1));
    case 0xc5: return readBytes(reader, readUint(reader, 2));
    case 0xc6: return readBytes(reader, readUint(reader, 4));
    case 0xcc: return readUint(reader, 1);
    case 0xcd: return readUint(reader, 2);
    case 0xce: return readUint(reader, 4);
    case 0xcf: return readUint(reader, 8);
    case 0xd0: return readInt(reader, 1);
    case 0xd1: return readInt(reader, 2);
    case 0xd2: return readInt(reader, 4);
    case 0xd3: return readInt(reader, 8);
    case 0xd9: return readString(reader, readUint(reader, 1));
    case 0xda: return readString(reader, readUint(reader, 2));
    case 0xdb: return readString(reader, readUint(reader, 4));
    case 0xdc: return readArray(reader, readUint(reader, 2), depth);
    case 0xdd: return readArray(reader, readUint(reader, 4), depth);
    default:
      throw new MsgpackError(`type 0x${tag.toString(16)} at offset ${at} is not used by chainbook (maps, floats and extensions are refused)`);
  }
}

// --- encoding (shortest forms) ---------------------------------------------------------------

export function encode(value) {
  const parts = [];
  write(parts, value);
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function header(tag, size, length) {
  const out = new Uint8Array(1 + size);
  out[0] = tag;
  const view = new DataView(out.buffer);
  if (size === 1) view.setUint8(1, length);
  if (size === 2) view.setUint16(1, length);
  if (size === 4) view.setUint32(1, length);
  return out;
}

function writeInt(parts, n) {
  const big = BigInt(n);
  if (big >= 0n) {
    if (big <= 0x7fn) return parts.push(Uint8Array.of(Number(big)));
    if (big <= 0xffn) return parts.push(Uint8Array.of(0xcc, Number(big)));
    if (big <= 0xffffn) return parts.push(header(0xcd, 2, Number(big)));
    if (big <= 0xffffffffn) return parts.push(header(0xce, 4, Number(big)));
    const out = new Uint8Array(9);
    out[0] = 0xcf;
    new DataView(out.buffer).setBigUint64(1, big);
    return parts.push(out);
  }
  if (big >= -32n) return parts.push(Uint8Array.of(Number(big) & 0xff));
  const out = big >= -128n ? new Uint8Array(2) : big >= -32768n ? new Uint8Array(3)
    : big >= -2147483648n ? new Uint8Array(5) : new Uint8Array(9);
  const view = new DataView(out.buffer);
  if (out.length === 2) { out[0] = 0xd0; view.setInt8(1, Number(big)); }
  if (out.length === 3) { out[0] = 0xd1; view.setInt16(1, Number(big)); }
  if (out.length === 5) { out[0] = 0xd2; view.setInt32(1, Number(big)); }
  if (out.length === 9) { out[0] = 0xd3; view.setBigInt64(1, big); }
  return parts.push(out);
}

function write(parts, value) {
  if (value === null || value === undefined) return parts.push(Uint8Array.of(0xc0));
  if (value === false) return parts.push(Uint8Array.of(0xc2));
  if (value === true) return parts.push(Uint8Array.of(0xc3));
  if (typeof value === "number" || typeof value === "bigint") {
    if (typeof value === "number" && !Number.isInteger(value)) throw new MsgpackError("floats are not encoded");
    return writeInt(parts, value);
  }
  if (typeof value === "string") {
    const raw = utf8Encoder.encode(value);
    const n = raw.length;
    parts.push(n <= 31 ? Uint8Array.of(0xa0 | n) : n <= 0xff ? header(0xd9, 1, n) : n <= 0xffff ? header(0xda, 2, n) : header(0xdb, 4, n));
    return parts.push(raw);
  }
  if (value instanceof Uint8Array) {
    const n = value.length;
    parts.push(n <= 0xff ? header(0xc4, 1, n) : n <= 0xffff ? header(0xc5, 2, n) : header(0xc6, 4, n));
    return parts.push(value);
  }
  if (Array.isArray(value)) {
    const n = value.length;
    parts.push(n <= 15 ? Uint8Array.of(0x90 | n) : n <= 0xffff ? header(0xdc, 2, n) : header(0xdd, 4, n));
    for (const item of value) write(parts, item);
    return parts.length;
  }
  throw new MsgpackError(`cannot encode a ${typeof value}`);
}

export function isCanonical(bytes) {
  return equalBytes(encode(decode(bytes)), bytes);
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
