// The shared proof vectors (tests/vectors/proofs/), judged by the JavaScript verifier as each
// says: the same verdict as the Python verifier, and the same facts for the valid ones.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { ProofError, trustRootFromGenesis, verifyReceiptFile, verifyStateProofFile } from "../verify.js";

const here = dirname(fileURLToPath(import.meta.url));
const vectorsDir = join(here, "..", "..", "..", "tests", "vectors", "proofs");
const files = readdirSync(vectorsDir).filter((f) => f.endsWith(".json")).sort();

const FACT_NAMES = { tx_hash: "txHash" };

test("there are vectors to judge", () => {
  assert.ok(files.length >= 20, `only ${files.length} vectors in ${vectorsDir}`);
});

for (const file of files) {
  const vector = JSON.parse(readFileSync(join(vectorsDir, file), "utf8"));
  test(`${vector.name}: ${vector.description}`, async () => {
    const root = await trustRootFromGenesis(vector.genesis, "the vector's genesis");
    const input = vector.document_text ?? JSON.stringify(vector.document);
    const verify = vector.kind === "receipt" ? verifyReceiptFile : verifyStateProofFile;
    if (!vector.expect.valid) {
      await assert.rejects(() => verify(input, root), (err) => {
        assert.ok(err instanceof ProofError, `not a ProofError: ${err && err.stack}`);
        // The Python verifier's reason, in the same words: both found the same fault.
        assert.ok(err.message.includes(vector.expect.reason), `${err.message} / ${vector.expect.reason}`);
        return true;
      });
      return;
    }
    const verified = await verify(input, root);
    for (const [name, value] of Object.entries(vector.expect.facts)) {
      assert.deepEqual(verified[FACT_NAMES[name] ?? name], value, name);
    }
  });
}
