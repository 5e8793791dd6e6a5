// wasm side of the binding-overhead benchmark (node): the same loop as
// bindings/ffi/examples/overhead.rs. Run by bindings/bench/run.sh.
import { createRequire } from "node:module";
import path from "node:path";
const cw = createRequire(import.meta.url)(path.resolve(process.argv[2], "crosswire_wasm.js"));
const n = Number(process.argv[3] ?? 20000);
const aliceId = cw.IdentityKeyPair.generate(), bobId = cw.IdentityKeyPair.generate();
const spk = cw.SignedPreKey.generate(bobId, 1), opk = cw.OneTimePreKey.generate(1);
// Classical setup: only the per-message cost is measured here.
const alice = cw.Session.initiateWith(aliceId, cw.PreKeyBundle.withOneTimePreKey(bobId, spk, opk), new Uint8Array(), "allowed");
const bob = cw.Session.respondWithOneTimePreKey(bobId, spk, opk, alice.encrypt(new Uint8Array([1])), new Uint8Array()).takeSession();
alice.decrypt(bob.encrypt(new Uint8Array([2])));
const message = new Uint8Array(256).fill(0x42);
const start = process.hrtime.bigint();
for (let i = 0; i < n; i++) {
  if (bob.decrypt(alice.encrypt(message)).length !== 256) throw new Error("bad length");
}
const per = Number(process.hrtime.bigint() - start) / 1e3 / n;
console.log(`wasm (node ${process.version}): ${per.toFixed(2)} us/message (encrypt + decrypt, 256 B, ${n} messages)`);

// The account layer: the same message through Account (over MemoryStore), each side one
// transaction that loads, seals and commits its rows, plus the inbox ack; then what persisting
// costs, the export of the receiver's whole store.
const key = () => crypto.getRandomValues(new Uint8Array(32));
const A = new cw.Address("alice@a.example", 1), B = new cw.Address("bob@b.example", 1);
const a = cw.Account.create(key()), b = cw.Account.create(key());
b.ack(b.decrypt(A, a.encrypt(B, b.bundle(), message)).seq);
a.ack(a.decrypt(B, b.encrypt(A, undefined, message)).seq);
const m = Math.max(1, Math.floor(n / 4));
const t0 = process.hrtime.bigint();
for (let i = 0; i < m; i++) {
  const got = b.decrypt(A, a.encrypt(B, undefined, message));
  if (got.plaintext.length !== 256 || !b.ack(got.seq)) throw new Error("bad message");
}
const perAccount = Number(process.hrtime.bigint() - t0) / 1e3 / m;
console.log(`wasm Account (node ${process.version}): ${perAccount.toFixed(2)} us/message (encrypt + decrypt + ack, 256 B, ${m} messages)`);
const exports = 200;
const t1 = process.hrtime.bigint();
let size = 0;
for (let i = 0; i < exports; i++) size = b.exportStore().length;
const perExport = Number(process.hrtime.bigint() - t1) / 1e3 / exports;
console.log(`wasm Account.exportStore: ${perExport.toFixed(1)} us for ${size} bytes (${b.oneTimePreKeyCount()} one-time prekeys, 1 session)`);
