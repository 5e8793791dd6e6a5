#!/usr/bin/env python3
"""Checks test-vectors/pqxdh-sk.json and pqxdh.json from SPEC.md alone, sharing no code with crosswire.

X25519, Ed25519, ML-KEM-1024 (OpenSSL 3.5+) and HKDF-SHA256 come from pyca/cryptography >= 48;
everything else (key material layout, signed KEM prekey message, HKDF info) is built here from
SPEC.md. Every value in a case is recomputed from its random inputs (seeds and secrets) except
the KEM ciphertext, which ML-KEM.Encaps draws from `kem_m` and which this script checks by
decapsulating it with an independently derived key. Usage:

    pip install 'cryptography>=48'
    python3 test-vectors/verify_pqxdh.py     # both files; exits 1 on any mismatch

pqxdh.json (SPEC 2.6, 5.4, 5.5, 6.3, 6.4, 15.6) is checked the same way up to the first envelope:
the version 2 bundle and the envelope are re-encoded here with a minimal protobuf writer, the
ratchet keys, canonical header and AES-256-GCM ciphertext recomputed, and every negative case
re-run: a responder decapsulates and decrypts, a bundle decoder verifies both signatures.
"""
import hashlib
import json
import sys
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import mlkem
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hmac
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
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


# ---------------------------------------------------------------- pqxdh.json (sessions) --


def hkdf(salt, ikm, info, length):
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def hmac_sha256(key, data):
    m = hmac.HMAC(key, hashes.SHA256())
    m.update(data)
    return m.finalize()


def varint(v):
    out = b""
    while v >= 0x80:
        out += bytes([v & 0x7F | 0x80])
        v >>= 7
    return out + bytes([v])


def field_uint(n, v, optional=False):
    """proto3: a zero non-optional scalar is left out (SPEC 6.1)."""
    return b"" if (v == 0 and not optional) else varint(n << 3) + varint(v)


def field_bytes(n, b, always=False):
    return b"" if (not b and not always) else varint(n << 3 | 2) + varint(len(b)) + b


def encode_bundle(c, spk, spk_sig, opk, pqpk, kem_sig, version=2):
    out = field_uint(1, version) + field_bytes(2, identity(h_(c, "bob_identity_seed"))[0])
    out += field_uint(3, c["signed_prekey_id"]) + field_bytes(4, spk) + field_bytes(5, spk_sig)
    if opk is not None:
        out += field_bytes(6, field_uint(1, c["one_time_prekey_id"]) + field_bytes(2, opk), True)
    if version == 2:
        kem = field_uint(1, c["kem_prekey_id"]) + field_uint(2, c["kem_prekey_kind"])
        kem += field_bytes(3, pqpk) + field_bytes(4, kem_sig)
        out += field_bytes(7, kem, True)
    return out


def h_(case, key):
    return bytes.fromhex(case[key])


def canonical_header(m, p):
    """SPEC 6.4, type 0x03."""
    out = bytes([1, 3]) + m["ratchet_key"] + m["pn"].to_bytes(4, "big")
    out += m["n"].to_bytes(4, "big") + m["salt"]
    out += p["ik"] + p["ek"] + p["spk_id"].to_bytes(4, "big")
    out += b"\x00" * 5 if p["opk_id"] is None else b"\x01" + p["opk_id"].to_bytes(4, "big")
    return out + p["kem_id"].to_bytes(4, "big") + hashlib.sha256(p["ct"]).digest()


def encode_envelope(m, p):
    """SPEC 6.2/6.3: version 2, PreKeyMessage fields 1-7."""
    ratchet = field_bytes(1, m["ratchet_key"]) + field_uint(2, m["pn"]) + field_uint(3, m["n"])
    ratchet += field_bytes(4, m["salt"]) + field_bytes(5, m["ct"])
    pk = field_bytes(1, p["ik"]) + field_bytes(2, p["ek"]) + field_uint(3, p["spk_id"])
    if p["opk_id"] is not None:
        pk += field_uint(4, p["opk_id"], optional=True)
    pk += field_bytes(5, ratchet, True) + field_uint(6, p["kem_id"], optional=True)
    pk += field_bytes(7, p["ct"])
    return field_uint(1, 2) + field_bytes(2, pk, True)


def read_varint(data, i):
    v = shift = 0
    while True:
        byte = data[i]
        i += 1
        v |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return v, i


def parse(data):
    """A flat protobuf message: {field: value} for the known, non-repeated fields used here."""
    out, i = {}, 0
    while i < len(data):
        key, i = read_varint(data, i)
        if key & 7 == 0:
            out[key >> 3], i = read_varint(data, i)
        elif key & 7 == 2:
            n, i = read_varint(data, i)
            out[key >> 3], i = data[i:i + n], i + n
        else:
            raise ValueError("unexpected wire type")
    return out


def pq_sk(dhs, ss, pqpk, ct):
    ikm = b"\xff" * 32 + b"".join(dhs) + ss
    info = b"crosswire/v1/pqxdh" + hashlib.sha256(pqpk).digest() + hashlib.sha256(ct).digest()
    return ikm, info, hkdf(bytes(32), ikm, info, 32)


def respond(c, env, kem_sk, pqpk, spk_secret, opk_secret, ik_b_x, context, ik_b):
    """SPEC 15.6 responder under PostQuantum::Required: returns the plaintext or an error code."""
    e = parse(env)
    if e.get(1) != 2:
        return "wire.unsupported_version"
    p = parse(e[2])
    if p.get(6) != c["kem_prekey_id"] or p.get(3, 0) != c["signed_prekey_id"] or \
            p.get(4) != c["one_time_prekey_id"]:
        return "decrypt.session_mismatch"
    ik_a, ek, ct, r = p[1], p[2], p[7], parse(p[5])
    ik_a_x = x25519_public_of_ed25519(ik_a)
    dhs = [dh(spk_secret, ik_a_x), dh(ik_b_x, ek), dh(spk_secret, ek)]
    if opk_secret is not None:
        dhs.append(dh(opk_secret, ek))
    _, _, sk = pq_sk(dhs, kem_sk.decapsulate(ct), pqpk, ct)
    # 5.5 responder: RK = SK, DHs = SPK; the first message takes the new-ratchet-key path.
    okm = hkdf(sk, dh(spk_secret, r[1]), b"crosswire/v1/ratchet", 64)
    ck = okm[32:]
    n = r.get(3, 0)
    for _ in range(n):
        ck = hmac_sha256(ck, b"\x02")
    seed = hmac_sha256(ck, b"\x01")
    km = hkdf(r[4], seed, b"crosswire/v1/message", 44)
    m = {"ratchet_key": r[1], "pn": r.get(2, 0), "n": n, "salt": r[4]}
    pk = {"ik": ik_a, "ek": ek, "spk_id": p.get(3, 0), "opk_id": p.get(4), "kem_id": p[6],
          "ct": ct}
    ad = canonical_header(m, pk) + ik_a + ik_b + context
    try:
        return AESGCM(km[:32]).decrypt(km[32:], r[5], ad)
    except InvalidTag:
        return "decrypt.authentication_failed"


P = 2**255 - 19


def x25519_public_of_ed25519(ed):
    """SPEC 2.1: u = (1 + y) / (1 - y) mod p."""
    y = int.from_bytes(ed, "little") & ((1 << 255) - 1)
    return ((1 + y) * pow(1 - y, P - 2, P) % P).to_bytes(32, "little")


def decode_bundle_pq(data):
    """SPEC 2.6 for the cases here: version, both signatures. Returns an error code or None."""
    b = parse(data)
    version = b.get(1, 0)
    if version not in (1, 2):
        return "bundle.unsupported_version"
    if (version == 2) != (7 in b):
        return "bundle.malformed"
    ik = Ed25519PublicKey.from_public_bytes(b[2])
    try:
        ik.verify(b[5], b"crosswire/v1/signed-prekey" + b.get(3, 0).to_bytes(4, "big") + b[4])
        if version == 2:
            k = parse(b[7])
            msg = b"crosswire/v1/kem-prekey" + bytes([k[2]]) + k.get(1, 0).to_bytes(4, "big")
            ik.verify(k[4], msg + k[3])
    except InvalidSignature:
        return "bundle.bad_signature"
    return None


def check_session_case(c):
    h = lambda k: h_(c, k)
    context, plaintext = h("context"), h("plaintext")
    ik_a, ik_a_x, _ = identity(h("alice_identity_seed"))
    ik_b, ik_b_x, ik_b_x_pub = identity(h("bob_identity_seed"))
    assert (ik_a, ik_b) == (h("alice_identity_key"), h("bob_identity_key")), "identity keys"
    spk_secret = h("signed_prekey_secret")
    spk = x25519_public(spk_secret)
    assert spk == h("signed_prekey_public"), "SPK"
    spk_msg = b"crosswire/v1/signed-prekey" + c["signed_prekey_id"].to_bytes(4, "big") + spk
    assert spk_msg == h("signed_prekey_message")
    bob_sign = Ed25519PrivateKey.from_private_bytes(h("bob_identity_seed"))
    spk_sig = bob_sign.sign(spk_msg)  # Ed25519 is deterministic
    assert spk_sig == h("signed_prekey_signature"), "SPK signature"
    opk_secret = h("one_time_prekey_secret") if c["one_time_prekey_secret"] else None
    opk = x25519_public(opk_secret) if opk_secret else None
    assert (opk.hex() if opk else None) == c["one_time_prekey_public"], "OPK"
    kem_sk = mlkem.MLKEM1024PrivateKey.from_seed_bytes(h("kem_prekey_seed"))
    pqpk = kem_sk.public_key().public_bytes_raw()
    assert pqpk == h("kem_prekey_public"), "PQPK"
    kem_msg = b"crosswire/v1/kem-prekey" + bytes([c["kem_prekey_kind"]])
    kem_msg += c["kem_prekey_id"].to_bytes(4, "big") + pqpk
    assert kem_msg == h("kem_prekey_message") and len(kem_msg) == 1596
    kem_sig = bob_sign.sign(kem_msg)
    assert kem_sig == h("kem_prekey_signature"), "KEM prekey signature"
    bundle = encode_bundle(c, spk, spk_sig, opk, pqpk, kem_sig)
    assert bundle == h("bundle"), "bundle bytes"
    assert decode_bundle_pq(bundle) is None

    ek_secret = h("ephemeral_secret")
    ek = x25519_public(ek_secret)
    assert ek == h("ephemeral_public")
    ct = h("kem_ciphertext")
    ss = kem_sk.decapsulate(ct)
    assert ss == h("kem_shared_secret"), "SS"
    dhs = [dh(ik_a_x, spk), dh(ek_secret, ik_b_x_pub), dh(ek_secret, spk)]
    if opk:
        dhs.append(dh(ek_secret, opk))
    for i, name in enumerate(["dh1", "dh2", "dh3", "dh4"]):
        assert (dhs[i].hex() if i < len(dhs) else None) == c[name], name
    ikm, info, sk = pq_sk(dhs, ss, pqpk, ct)
    assert (ikm, info, sk) == (h("ikm"), h("info"), h("sk")), "IKM/info/SK"
    ad = ik_a + ik_b + context
    assert ad == h("ad"), "AD"

    rs = h("initiator_ratchet_secret")
    assert x25519_public(rs) == h("initiator_ratchet_public")
    idh = dh(rs, spk)
    assert idh == h("initiator_dh_output")
    okm = hkdf(sk, idh, b"crosswire/v1/ratchet", 64)
    assert (okm[:32], okm[32:]) == (h("root_key"), h("chain_key")), "KDF_RK"
    seed = hmac_sha256(okm[32:], b"\x01")
    assert seed == h("message_seed")
    salt = h("salt")
    km = hkdf(salt, seed, b"crosswire/v1/message", 44)
    assert (km[:32], km[32:]) == (h("message_key"), h("nonce")), "message key"
    m = {"ratchet_key": x25519_public(rs), "pn": 0, "n": 0, "salt": salt}
    pk = {"ik": ik_a, "ek": ek, "spk_id": c["signed_prekey_id"],
          "opk_id": c["one_time_prekey_id"], "kem_id": c["kem_prekey_id"], "ct": ct}
    header = canonical_header(m, pk)
    assert header == h("header") and len(header) == 167, "header"
    m["ct"] = AESGCM(km[:32]).encrypt(km[32:], plaintext, header + ad)
    assert m["ct"] == h("ciphertext"), "ciphertext"
    env = encode_envelope(m, pk)
    assert env == h("envelope"), "envelope"
    args = (kem_sk, pqpk, spk_secret, opk_secret, ik_b_x, context, ik_b)
    assert respond(c, env, *args) == plaintext, "responder"

    for n in c["negative"]:
        data = bytes.fromhex(n["input"])
        if n["operation"] == "respond":
            got = respond(c, data, *args)
        elif n["operation"] == "bundle":
            got = decode_bundle_pq(data)
        else:  # initiate under PostQuantum::Required
            got = decode_bundle_pq(data) or (
                "bundle.classical_only" if parse(data).get(1) == 1 else None)
            assert data == encode_bundle(c, spk, spk_sig, opk, None, None, version=1)
        assert got == n["error"], f"{n['name']}: {got} != {n['error']}"


def run(path, check):
    data = json.loads(path.read_text())
    passed = failed = 0
    for case in data["cases"]:
        try:
            check(case)
            passed += 1
        except Exception as e:  # report every case, not just the first failure
            failed += 1
            print(f"FAIL {path.name} {case['name']}: {type(e).__name__} {e}")
    return passed, failed


def main():
    here = Path(__file__).parent
    results = [run(here / "pqxdh-sk.json", check_case), run(here / "pqxdh.json", check_session_case)]
    passed, failed = sum(r[0] for r in results), sum(r[1] for r in results)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or any(r[0] == 0 for r in results) else 0)


if __name__ == "__main__":
    main()
