// Unit checks of the pieces: MessagePack canonical forms, RFC 6962, bad input.
import { test } from "node:test";
import assert from "node:assert/strict";

import { decode, encode, isCanonical, MsgpackError } from "../msgpack.js";
import { fromHex, ProofError, toHex, verifyInclusion, verifyReceiptFile } from "../verify.js";

test("shortest forms, as a chainbook node requires", () => {
  assert.equal(toHex(encode(1)), "01");
  assert.equal(toHex(encode(128)), "cc80");
  assert.equal(toHex(encode(1_500_000)), "ce0016e360");
  assert.equal(toHex(encode(-1)), "ff");
  assert.equal(toHex(encode("coffee")), "a6636f66666565");
  assert.equal(toHex(encode(new Uint8Array(2))), "c4020000");
  assert.equal(toHex(encode([1, null, true])), "9301c0c3");
  assert.ok(!isCanonical(fromHex("x", "cd0001")));  // 1 written as uint16
  assert.ok(isCanonical(fromHex("x", "9301c0c3")));
});

test("the decoder refuses what chainbook never writes, and cut input", () => {
  for (const hex of ["80", "cb3ff0000000000000", "c7", "93", "c40a00", "a3ab"]) {
    assert.throws(() => decode(fromHex("x", hex)), MsgpackError, hex);
  }
  assert.throws(() => decode(fromHex("x", "0101")), /trailing/);
  assert.throws(() => decode(fromHex("x", "9".repeat(0) + "91".repeat(40) + "01")), /deeper/);
});

test("RFC 6962: a one-leaf tree and a wrong index", async () => {
  const leaf = new TextEncoder().encode("tx");
  const root = new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array([0, ...leaf])));
  assert.ok(await verifyInclusion(leaf, 0, 1, [], root));
  assert.ok(!(await verifyInclusion(leaf, 1, 1, [], root)));
  assert.ok(!(await verifyInclusion(leaf, 0, 2, [], root)));
});

test("bad documents are ProofErrors naming the problem", async () => {
  const root = { chainId: "c", validatorSet: { validators: [], powerTotal: 0, hash: new Uint8Array(32) }, source: "t" };
  const cases = [["", /truncated/], ["[1]", /JSON object/], ['{"format":"x","version":1}', /unknown format/],
    ['{"format":"chainbook/receipt","version":9}', /version/], [" ".repeat(4 * 1024 * 1024 + 1), /at most/]];
  for (const [input, reason] of cases) {
    await assert.rejects(() => verifyReceiptFile(input, root), (err) => err instanceof ProofError && reason.test(err.message));
  }
});
