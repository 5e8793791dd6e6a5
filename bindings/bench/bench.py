"""Python side of the binding-overhead benchmark: the loop of bindings/ffi/examples/overhead.rs
through the UniFFI binding. Run by bindings/bench/run.sh."""

import sys
import time

import crosswire as cw

n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
alice_id, bob_id = cw.IdentityKeyPair.generate(), cw.IdentityKeyPair.generate()
spk, opk = cw.SignedPreKey.generate(bob_id, 1), cw.OneTimePreKey.generate(1)
alice = cw.Session.initiate(alice_id, cw.PreKeyBundle(bob_id, spk, opk), b"")
bob = cw.session_respond(bob_id, spk, opk, alice.encrypt(b"hi"), b"").session
alice.decrypt(bob.encrypt(b"hello"))
message = b"\x42" * 256

start = time.perf_counter()
for _ in range(n):
    assert len(bob.decrypt(alice.encrypt(message))) == 256
per = (time.perf_counter() - start) * 1e6 / n
print(f"python: {per:.2f} us/message (encrypt + decrypt, 256 B, {n} messages)")
