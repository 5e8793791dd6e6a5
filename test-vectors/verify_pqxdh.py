#!/usr/bin/env python3
"""Checks test-vectors/pqxdh-sk.json from SPEC.md section 15 alone, sharing no code with crosswire.

X25519, Ed25519, ML-KEM-1024 (OpenSSL 3.5+) and HKDF-SHA256 come from pyca/cryptography >= 48;
everything else (key material layout, signed KEM prekey message, HKDF info) is built here from
SPEC.md. Every value in a case is recomputed from its random inputs (seeds and secrets) except
the KEM ciphertext, which ML-KEM.Encaps draws from `kem_m` and which this script checks by
decapsulating it with an independently derived key. Usage:

    pip install 'cryptography>=48'
    python3 test-vectors/verify_pqxdh.py [file]     # exits 1 on any mismatch
"""
import hashlib
import json
import sys
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import mlkem
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

RAW = (Encoding.Raw, PublicFormat.Raw)


def x25519_public(secret):
    return X25519PrivateKey.from_private_bytes(secret).public_key().public_bytes(*RAW)


def dh(secret, public):
    out = X25519PrivateKey.from_private_bytes(secret).exchange(X25519PublicKey.from_public_bytes(public))
    assert out != bytes(32), "non-contributory DH"
    return out


def identity(seed):
    """SPEC 2.1: Ed25519 public key, X25519 secret SHA-512(seed)[:32] and its public key."""
    ed_public = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(*RAW)
    x_secret = hashlib.sha512(seed).digest()[:32]
    return ed_public, x_secret, x25519_public(x_secret)


def check_case(case):
    h = lambda k: bytes.fromhex(case[k])
    ik_a, ik_a_x, _ = identity(h("alice_identity_seed"))
    ik_b, ik_b_x, ik_b_x_pub = identity(h("bob_identity_seed"))
    spk = x25519_public(h("signed_prekey_secret"))
    ek_secret = h("ephemeral_secret")
    assert x25519_public(ek_secret) == h("ephemeral_public"), "EK_A"

    # 15.2: the KEM key pair from its seed d || z; SS by decapsulating the recorded ciphertext.
    kem_sk = mlkem.MLKEM1024PrivateKey.from_seed_bytes(h("kem_prekey_seed"))
    pqpk = kem_sk.public_key().public_bytes_raw()
    assert pqpk == h("kem_prekey_public"), "PQPK_B"
    ct = h("kem_ciphertext")
    assert len(ct) == 1568
    ss = kem_sk.decapsulate(ct)
    assert ss == h("kem_shared_secret"), "SS"

    # 15.3: the signed KEM prekey message.
    kind = case["kem_prekey_kind"]
    assert kind in (1, 2)
    msg = b"crosswire/v1/kem-prekey" + bytes([kind]) + case["kem_prekey_id"].to_bytes(4, "big") + pqpk
    assert len(msg) == 1596
    Ed25519PublicKey.from_public_bytes(ik_b).verify(h("kem_prekey_signature"), msg)

    # 15.4: the DH outputs, IKM, info and SK.
    dhs = [dh(ik_a_x, spk), dh(ek_secret, ik_b_x_pub), dh(ek_secret, spk)]
    if case["one_time_prekey_secret"] is not None:
        dhs.append(dh(ek_secret, x25519_public(h("one_time_prekey_secret"))))
        assert case["dh4"] == dhs[3].hex(), "DH4"
    else:
        assert case["dh4"] is None
    for i, name in enumerate(["dh1", "dh2", "dh3"]):
        assert case[name] == dhs[i].hex(), name
    ikm = b"\xff" * 32 + b"".join(dhs) + ss
    assert ikm == h("ikm"), "IKM"
    info = b"crosswire/v1/pqxdh" + hashlib.sha256(pqpk).digest() + hashlib.sha256(ct).digest()
    assert info == h("info") and len(info) == 82, "info"
    sk = HKDF(algorithm=hashes.SHA256(), length=32, salt=bytes(32), info=info).derive(ikm)
    assert sk == h("sk"), "SK"


def main():
    path = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).with_name("pqxdh-sk.json"))
    data = json.loads(path.read_text())
    passed = failed = 0
    for case in data["cases"]:
        try:
            check_case(case)
            passed += 1
        except Exception as e:  # report every case, not just the first failure
            failed += 1
            print(f"FAIL {case['name']}: {type(e).__name__} {e}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or not passed else 0)


if __name__ == "__main__":
    main()
