// PQXDH through the JavaScript core API (SPEC.md 15): KEM prekeys, post-quantum bundles, the
// initiator's policy, the responder that takes the KEM prekey a first message names, and
// pqxdh.json reproduced byte for byte by replaying its recorded random values.
//
// Run (bindings/ci.sh does): node --test bindings/wasm/tests/
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { cw, root } from "./pkg.mjs";

const hex = (s) => Uint8Array.from(Buffer.from(s, "hex"));
const toHex = (b) => Buffer.from(b).toString("hex");
const utf8 = (s) => new TextEncoder().encode(s);
const none = new Uint8Array();
const code = (expected) => (e) => e instanceof cw.CrosswireError && e.code === expected;

// Hands out exactly the recorded values, in order; a wrong request length gets an empty array,
// which the module turns into a thrown CrosswireError.
function replay(values, f) {
  const queue = values.filter((v) => v !== null && v !== undefined).map(hex);
  const out = f({
    fill(length) {
      const next = queue.shift();
      return next && next.length === length ? next : new Uint8Array(0);
    },
  });
  assert.equal(queue.length, 0, "the code consumed fewer random values than recorded");
  return out;
}

function bob() {
  const id = cw.IdentityKeyPair.generate();
  return {
    id,
    spk: cw.SignedPreKey.generate(id, 1),
    opk: cw.OneTimePreKey.generate(2),
    oneTime: cw.KemPreKey.generate(id, 3, "one-time"),
    lastResort: cw.KemPreKey.generate(id, 4, "last-resort"),
  };
}

test("KEM prekeys: ids, kinds, sizes; a bad kind is binding.invalid_argument", () => {
  const b = bob();
  assert.equal(b.oneTime.id, 3);
  assert.equal(b.oneTime.kind, "one-time");
  assert.equal(b.lastResort.kind, "last-resort");
  assert.equal(b.oneTime.publicKey().length, 1568);
  assert.equal(b.oneTime.signature().length, 64);
  assert.throws(() => cw.KemPreKey.generate(b.id, 5, "oneTime"), code("binding.invalid_argument"));
});

test("a PQXDH session both ways, with a one-time or the last-resort KEM prekey", () => {
  const alice = cw.IdentityKeyPair.generate();
  const b = bob();
  const served = [
    [cw.PreKeyBundle.postQuantumWithOneTimePreKey(b.id, b.spk, b.opk, b.oneTime), b.oneTime, b.opk],
    [cw.PreKeyBundle.postQuantum(b.id, b.spk, b.lastResort), b.lastResort, undefined],
  ];
  for (const [bundle, kem, opk] of served) {
    const published = bundle.toBytes();
    assert.deepEqual([...published.subarray(0, 2)], [0x08, 0x02], "a version 2 bundle");
    const fetched = cw.PreKeyBundle.fromBytes(published);
    assert.equal(fetched.kemPreKeyId, kem.id);

    const a = cw.Session.initiate(alice, fetched, utf8("ctx"));
    const first = a.encryptContent(cw.Content.text("Hi Bob"));
    // The first message names the prekeys Bob responds with.
    const parsed = cw.Envelope.fromBytes(first);
    assert.equal(parsed.isPreKey, true);
    assert.equal(parsed.kemPreKeyId, kem.id);
    assert.equal(parsed.signedPreKeyId, b.spk.id);
    assert.equal(parsed.oneTimePreKeyId, opk?.id);
    assert.deepEqual(parsed.senderIdentityKey, alice.publicKey());

    // The classical responder cannot take it; the KEM prekey it names can.
    const classical = opk
      ? () => cw.Session.respondWithOneTimePreKey(b.id, b.spk, opk, first, utf8("ctx"))
      : () => cw.Session.respond(b.id, b.spk, first, utf8("ctx"));
    assert.throws(classical, code("decrypt.session_mismatch"));
    const wrongKem = kem === b.oneTime ? b.lastResort : b.oneTime;
    assert.throws(() => opk
      ? cw.Session.respondPostQuantumWithOneTimePreKey(b.id, b.spk, opk, wrongKem, first, utf8("ctx"))
      : cw.Session.respondPostQuantum(b.id, b.spk, wrongKem, first, utf8("ctx")),
    code("decrypt.session_mismatch"));
    const responded = opk
      ? cw.Session.respondPostQuantumWithOneTimePreKey(b.id, b.spk, opk, kem, first, utf8("ctx"))
      : cw.Session.respondPostQuantum(b.id, b.spk, kem, first, utf8("ctx"));
    const s = responded.takeSession();
    assert.equal(responded.content.textBody, "Hi Bob");

    const reply = s.encryptContent(cw.Content.text("Hello Alice"));
    assert.equal(cw.Envelope.fromBytes(reply).isPreKey, false);
    assert.equal(cw.Envelope.fromBytes(reply).kemPreKeyId, undefined);
    assert.equal(a.decryptContent(reply).textBody, "Hello Alice");
    const next = a.encryptContent(cw.Content.text("How are you?"));
    assert.equal(cw.Envelope.fromBytes(next).isPreKey, false, "the reply ended the prekey header");
    assert.equal(s.decryptContent(next).textBody, "How are you?");
    assert.deepEqual(a.decrypt(s.encrypt(utf8("raw"))), utf8("raw"));
  }
});

test("a classical bundle: refused by default (bundle.classical_only), accepted when allowed", () => {
  const alice = cw.IdentityKeyPair.generate();
  const b = bob();
  const classical = cw.PreKeyBundle.fromBytes(new cw.PreKeyBundle(b.id, b.spk).toBytes());
  assert.equal(classical.kemPreKeyId, undefined);
  assert.throws(() => cw.Session.initiate(alice, classical, none),
    (e) => code("bundle.classical_only")(e) && e.kind === "Bundle");
  assert.throws(() => cw.Session.initiateWith(alice, classical, none, "required"),
    code("bundle.classical_only"));
  assert.throws(() => cw.Session.initiateWith(alice, classical, none, "Allowed"),
    code("binding.invalid_argument"));

  const a = cw.Session.initiateWith(alice, classical, none, "allowed");
  const first = a.encrypt(utf8("classical"));
  const parsed = cw.Envelope.fromBytes(first);
  assert.equal(parsed.isPreKey, true);
  assert.equal(parsed.kemPreKeyId, undefined);
  assert.equal(parsed.oneTimePreKeyId, undefined);
  assert.throws(() => cw.Session.respondPostQuantum(b.id, b.spk, b.lastResort, first, none),
    code("decrypt.session_mismatch"));
  const responded = cw.Session.respond(b.id, b.spk, first, none);
  assert.deepEqual(responded.plaintext, utf8("classical"));
  // Raw bytes, not content: undecodable as content, and the session stands.
  assert.equal(responded.content.kind, "undecodable");
  const s = responded.takeSession();
  assert.deepEqual(a.decrypt(s.encrypt(utf8("back"))), utf8("back"));

  // A PQXDH bundle gets PQXDH under either policy.
  const pq = cw.PreKeyBundle.postQuantum(b.id, b.spk, b.lastResort);
  const pqFirst = cw.Session.initiateWith(alice, pq, none, "allowed").encrypt(utf8("pq"));
  assert.equal(cw.Envelope.fromBytes(pqFirst).kemPreKeyId, b.lastResort.id);
});

test("a ratchet message has no prekey fields; garbage is a wire error", () => {
  const alice = cw.IdentityKeyPair.generate();
  const b = bob();
  const a = cw.Session.initiate(alice, cw.PreKeyBundle.postQuantum(b.id, b.spk, b.lastResort), none);
  const s = cw.Session.respondPostQuantum(b.id, b.spk, b.lastResort, a.encrypt(utf8("1")), none)
    .takeSession();
  const ratchet = cw.Envelope.fromBytes(s.encrypt(utf8("2")));
  assert.equal(ratchet.isPreKey, false);
  for (const field of ["senderIdentityKey", "signedPreKeyId", "oneTimePreKeyId", "kemPreKeyId"]) {
    assert.equal(ratchet[field], undefined, field);
  }
  assert.throws(() => cw.Envelope.fromBytes(utf8("garbage")), (e) => e.kind === "Wire");
  assert.throws(() => cw.Session.respondPostQuantum(b.id, b.spk, b.lastResort, s.encrypt(utf8("3")), none),
    code("decrypt.unexpected_message_type"));
});

test("pqxdh.json: keys, bundles and first envelopes byte for byte, and the negative cases", () => {
  const file = JSON.parse(readFileSync(path.join(root, "test-vectors", "pqxdh.json")));
  assert.ok(file.cases.length > 0);
  const kinds = { 1: "last-resort", 2: "one-time" };
  for (const c of file.cases) {
    const context = hex(c.context);
    const alice = replay([c.alice_identity_seed], (r) => cw.IdentityKeyPair.generate(r));
    const bobId = replay([c.bob_identity_seed], (r) => cw.IdentityKeyPair.generate(r));
    const spk = replay([c.signed_prekey_secret],
      (r) => cw.SignedPreKey.generate(bobId, c.signed_prekey_id, r));
    const opk = c.one_time_prekey_id === null ? undefined : replay([c.one_time_prekey_secret],
      (r) => cw.OneTimePreKey.generate(c.one_time_prekey_id, r));
    const kem = replay([c.kem_prekey_seed],
      (r) => cw.KemPreKey.generate(bobId, c.kem_prekey_id, kinds[c.kem_prekey_kind], r));
    assert.equal(toHex(kem.publicKey()), c.kem_prekey_public, c.name);
    assert.equal(toHex(kem.signature()), c.kem_prekey_signature, c.name);
    const bundle = opk
      ? cw.PreKeyBundle.postQuantumWithOneTimePreKey(bobId, spk, opk, kem)
      : cw.PreKeyBundle.postQuantum(bobId, spk, kem);
    assert.equal(toHex(bundle.toBytes()), c.bundle, c.name);

    const a = replay([c.ephemeral_secret, c.kem_m, c.initiator_ratchet_secret],
      (r) => cw.Session.initiate(alice, cw.PreKeyBundle.fromBytes(hex(c.bundle)), context, r));
    const envelope = replay([c.salt], (r) => a.encrypt(hex(c.plaintext), r));
    assert.equal(toHex(envelope), c.envelope, c.name);

    const respond = (bytes) => opk
      ? cw.Session.respondPostQuantumWithOneTimePreKey(bobId, spk, opk, kem, bytes, context)
      : cw.Session.respondPostQuantum(bobId, spk, kem, bytes, context);
    assert.equal(toHex(respond(hex(c.envelope)).plaintext), c.plaintext, c.name);

    assert.ok(c.negative.length > 0);
    for (const n of c.negative) {
      const input = hex(n.input);
      const run = {
        respond: () => respond(input),
        bundle: () => cw.PreKeyBundle.fromBytes(input),
        initiate: () => cw.Session.initiate(alice, cw.PreKeyBundle.fromBytes(input), context),
      }[n.operation];
      assert.ok(run, `${c.name}: unknown operation ${n.operation}`);
      assert.throws(run, code(n.error), `${c.name}: ${n.name}`);
    }
  }
});
