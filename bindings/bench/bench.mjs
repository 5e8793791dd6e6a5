// wasm side of the binding-overhead benchmark (node): the same loop as
// bindings/ffi/examples/overhead.rs. Run by bindings/bench/run.sh.
import { createRequire } from "node:module";
import path from "node:path";
const cw = createRequire(import.meta.url)(path.resolve(process.argv[2], "crosswire_wasm.js"));
const n = Number(process.argv[3] ?? 20000);
const aliceId = cw.IdentityKeyPair.generate(), bobId = cw.IdentityKeyPair.generate();
const spk = cw.SignedPreKey.generate(bobId, 1), opk = cw.OneTimePreKey.generate(1);
const alice = cw.Session.initiate(aliceId, cw.PreKeyBundle.withOneTimePreKey(bobId, spk, opk), new Uint8Array());
const bob = cw.Session.respondWithOneTimePreKey(bobId, spk, opk, alice.encrypt(new Uint8Array([1])), new Uint8Array()).takeSession();
alice.decrypt(bob.encrypt(new Uint8Array([2])));
const message = new Uint8Array(256).fill(0x42);
const start = process.hrtime.bigint();
for (let i = 0; i < n; i++) {
  if (bob.decrypt(alice.encrypt(message)).length !== 256) throw new Error("bad length");
}
const per = Number(process.hrtime.bigint() - start) / 1e3 / n;
console.log(`wasm (node ${process.version}): ${per.toFixed(2)} us/message (encrypt + decrypt, 256 B, ${n} messages)`);
