"""Python side of the binding-overhead benchmark: the loop of bindings/ffi/examples/overhead.rs
through whichever `crosswire` package is on the path (the PyO3 extension module, or the UniFFI
module for the comparison row). Run by bindings/bench/run.sh.

Prints the fastest and the median of ROUNDS rounds of N messages: on a shared machine the
fastest round is the one least disturbed by other processes."""

import statistics
import sys
import time

import crosswire as cw

n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
binding = "PyO3" if hasattr(cw, "_native") else "UniFFI"

alice_id, bob_id = cw.IdentityKeyPair.generate(), cw.IdentityKeyPair.generate()
spk, opk = cw.SignedPreKey.generate(bob_id, 1), cw.OneTimePreKey.generate(1)
# Classical setup: only the per-message cost is measured here.
alice = cw.Session.initiate_with(alice_id, cw.PreKeyBundle(bob_id, spk, opk), b"",
                                 cw.PostQuantum.ALLOWED)
bob = cw.session_respond(bob_id, spk, opk, alice.encrypt(b"hi"), b"").session
alice.decrypt(bob.encrypt(b"hello"))
message = b"\x42" * 256


def messages():
    start = time.perf_counter()
    for _ in range(n):
        assert len(bob.decrypt(alice.encrypt(message))) == 256
    return (time.perf_counter() - start) * 1e6 / n


def empty_calls():
    start = time.perf_counter()
    for _ in range(n):
        cw.crosswire_version()
    return (time.perf_counter() - start) * 1e6 / n


per = [messages() for _ in range(rounds)]
empty = [empty_calls() for _ in range(rounds)]
print(f"python ({binding}): {min(per):.2f} us/message, median {statistics.median(per):.2f} "
      f"(encrypt + decrypt, 256 B, {rounds} x {n} messages); "
      f"empty call {min(empty):.3f} us")
