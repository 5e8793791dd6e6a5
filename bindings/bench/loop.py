"""The message loop of bench.py alone, for instruction counts that do not depend on the load:
`valgrind --tool=callgrind` on N and on 3N messages, the difference divided by 2N (BENCHMARKS.md)."""

import sys

import crosswire as cw

n = int(sys.argv[1])
alice_id, bob_id = cw.IdentityKeyPair.generate(), cw.IdentityKeyPair.generate()
spk, opk = cw.SignedPreKey.generate(bob_id, 1), cw.OneTimePreKey.generate(1)
# Classical setup: only the per-message cost is measured here.
alice = cw.Session.initiate_with(alice_id, cw.PreKeyBundle(bob_id, spk, opk), b"",
                                 cw.PostQuantum.ALLOWED)
bob = cw.session_respond(bob_id, spk, opk, alice.encrypt(b"hi"), b"").session
alice.decrypt(bob.encrypt(b"hello"))
message = b"\x42" * 256
for _ in range(n):
    assert len(bob.decrypt(alice.encrypt(message))) == 256
