/* The account layer through the C ABI, against the generated header (bindings/ffi/include/).
 *
 * Issue 14's scenario: two accounts (two providers' users), each in its own SQLite file sealed
 * under its own storage key; Bob's bundle from the "directory"; a session; messages both ways,
 * each through the inbox and acknowledged; an attachment; a restart (both accounts released and
 * reopened from their files) and more messages, an unacknowledged one surviving it; a directory
 * fed from an upload serving a one-time KEM prekey (a PQXDH session, the KEM prekey consumed
 * exactly once, a bad signature refused); then the failures an application acts on, each
 * checked by its stable code (cw_last_error_code): a wrong storage key, an existing file, no
 * session, a replay, an oversized length, null arguments, and a changed identity key accepted
 * after the "user" decides. Every handle and
 * buffer is released, so valgrind's leak check (bindings/ci.sh) sees nothing lost.
 *
 * Build: gcc -std=c11 -Wall -Wextra -Werror -I bindings/ffi/include bindings/c/test_account.c \
 *            -L target/debug -lcrosswire_ffi -o test_account && ./test_account "$TMPDIR"
 */
#include <stdint.h>

#include "check.h"

static CwDeviceAddress address(const char *user, uint32_t device) {
    CwDeviceAddress a = {user, strlen(user), device};
    return a;
}

/* `from` sends `text` as content to `to`; it arrives in `to`'s inbox and is acknowledged. */
static void send_text(const CwAccount *from, CwDeviceAddress to_addr, const CwAccount *to,
                      CwDeviceAddress from_addr, const CwBytes *bundle, const char *text) {
    const CwContent *content = NULL, *received = NULL;
    CwBytes envelope = {0}, got = {0};
    uint64_t seq = 0;
    const CwInbox *inbox = NULL;
    bool removed = false;
    OK(cw_content_text(text, strlen(text), &content));
    OK(cw_account_encrypt_content(from, to_addr, bundle ? bundle->ptr : NULL,
                                  bundle ? bundle->len : 0, content, &envelope));
    OK(cw_account_decrypt_content(to, from_addr, envelope.ptr, envelope.len, &seq, &received));
    CHECK(cw_content_kind(received) == CW_CONTENT_KIND_TEXT);
    OK(cw_content_get_text(received, &got));
    CHECK(bytes_equal(got, text, strlen(text)));
    /* In the inbox until acknowledged. */
    OK(cw_account_inbox(to, &inbox));
    CHECK(cw_inbox_len(inbox) == 1);
    cw_inbox_free(inbox);
    OK(cw_account_ack(to, seq, &removed));
    CHECK(removed);
    OK(cw_account_inbox(to, &inbox));
    CHECK(cw_inbox_len(inbox) == 0);
    cw_inbox_free(inbox);
    cw_bytes_free(got);
    cw_content_free(received);
    cw_bytes_free(envelope);
    cw_content_free(content);
}

static const CwAccount *open_account(const char *path, const unsigned char key[32]) {
    const CwAccount *account = NULL;
    OK(cw_account_open(path, strlen(path), key, 32, &account));
    return account;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : ".";
    char alice_path[4096], bob_path[4096], bob2_path[4096];
    snprintf(alice_path, sizeof alice_path, "%s/alice.db", dir);
    snprintf(bob_path, sizeof bob_path, "%s/bob.db", dir);
    snprintf(bob2_path, sizeof bob2_path, "%s/bob-reinstalled.db", dir);
    /* In an application these come from the platform keystore. */
    unsigned char alice_key[32], bob_key[32], bob2_key[32], wrong_key[32];
    for (int i = 0; i < 32; i++) {
        alice_key[i] = (unsigned char)i;
        bob_key[i] = (unsigned char)(100 + i);
        bob2_key[i] = (unsigned char)(200 + i);
        wrong_key[i] = (unsigned char)(i ^ 0x55);
    }
    const CwDeviceAddress ALICE = address("alice@provider-a.example", 1);
    const CwDeviceAddress BOB = address("bob@provider-b.example", 1);

    const CwAccount *alice = NULL, *bob = NULL;
    OK(cw_account_create(alice_path, strlen(alice_path), alice_key, 32, &alice));
    OK(cw_account_create(bob_path, strlen(bob_path), bob_key, 32, &bob));

    /* Bob publishes: the bundle and his one-time prekeys. */
    const CwUpload *upload = NULL;
    OK(cw_account_upload(bob, &upload));
    uint64_t prekeys = 0;
    OK(cw_account_one_time_prekey_count(bob, &prekeys));
    CHECK(prekeys > 0 && cw_upload_prekey_count(upload) == prekeys);
    uint32_t prekey_id = 0;
    CwBytes prekey_public = {0}, upload_bundle = {0};
    OK(cw_upload_prekey(upload, 0, &prekey_id, &prekey_public));
    CHECK(prekey_public.len == 32);
    OK(cw_upload_bundle(upload, &upload_bundle));
    CHECK(upload_bundle.len > 0);
    FAILS(cw_upload_prekey(upload, (size_t)prekeys, &prekey_id, &prekey_public),
          CW_STATUS_INVALID_ARGUMENT, "binding.invalid_argument");
    cw_bytes_free(upload_bundle);
    cw_bytes_free(prekey_public);
    cw_upload_free(upload);

    /* The directory hands Alice a bundle with one of Bob's one-time prekeys. */
    CwBytes fetched = {0}, bob_identity = {0};
    const CwPreKeyBundle *decoded = NULL;
    OK(cw_account_bundle(bob, &fetched));
    OK(cw_account_identity_key(bob, &bob_identity));
    OK(cw_bundle_from_bytes(fetched.ptr, fetched.len, &decoded));
    CHECK(decoded != NULL);
    cw_bundle_free(decoded);

    /* A session from the bundle; messages both ways. */
    send_text(alice, BOB, bob, ALICE, &fetched, "Hi Bob, it's Alice.");
    send_text(bob, ALICE, alice, BOB, NULL, "Hello Alice!");
    send_text(alice, BOB, bob, ALICE, NULL, "How are you?");
    cw_bytes_free(fetched);

    CwBytes alice_sn = {0}, bob_sn = {0};
    OK(cw_account_safety_number(alice, ALICE.user, ALICE.user_len, BOB, &alice_sn));
    OK(cw_account_safety_number(bob, BOB.user, BOB.user_len, ALICE, &bob_sn));
    CHECK(alice_sn.ptr != NULL && alice_sn.len > 0);
    CHECK(bytes_equal(alice_sn, bob_sn.ptr, bob_sn.len));
    cw_bytes_free(alice_sn);
    cw_bytes_free(bob_sn);

    /* An attachment: ciphertext to a blob store, its pointer (with the key) over the session. */
    size_t file_len = 100000;
    unsigned char *file = malloc(file_len);
    CHECK(file != NULL);
    for (size_t i = 0; i < file_len; i++) file[i] = (unsigned char)(i * 31 + 7);
    CwBytes uploaded = {0}, envelope = {0};
    const CwSealedAttachment *sealed = NULL, *got_sealed = NULL;
    const CwContent *att = NULL, *att_received = NULL;
    const char *ctype = "image/jpeg", *locator = "blob/1";
    uint64_t seq = 0;
    OK(cw_encrypt_attachment(file, file_len, &uploaded, &sealed));
    OK(cw_content_attachment(sealed, ctype, strlen(ctype), locator, strlen(locator), &att));
    OK(cw_account_encrypt_content(alice, BOB, NULL, 0, att, &envelope));
    OK(cw_account_decrypt_content(bob, ALICE, envelope.ptr, envelope.len, &seq, &att_received));
    CHECK(cw_content_kind(att_received) == CW_CONTENT_KIND_ATTACHMENT);
    CwBytes got_locator = {0}, downloaded = {0};
    OK(cw_content_get_attachment(att_received, &got_sealed, &got_locator));
    CHECK(bytes_equal(got_locator, locator, strlen(locator)));
    OK(cw_decrypt_attachment(got_sealed, uploaded.ptr, uploaded.len, &downloaded));
    CHECK(bytes_equal(downloaded, file, file_len));
    bool removed = false;
    OK(cw_account_ack(bob, seq, &removed));
    CHECK(removed);
    /* The replay of that envelope: refused with its code, nothing written. */
    const CwContent *replayed = NULL;
    FAILS(cw_account_decrypt_content(bob, ALICE, envelope.ptr, envelope.len, &seq, &replayed),
          CW_STATUS_DECRYPT, "decrypt.duplicate_or_expired");
    CHECK(replayed == NULL);
    cw_bytes_free(downloaded);
    cw_bytes_free(got_locator);
    cw_sealed_attachment_free(got_sealed);
    cw_content_free(att_received);
    cw_bytes_free(envelope);
    cw_content_free(att);
    cw_sealed_attachment_free(sealed);
    cw_bytes_free(uploaded);
    free(file);

    /* Restart: release both accounts, reopen them from their files. */
    cw_account_free(alice);
    cw_account_free(bob);
    alice = open_account(alice_path, alice_key);
    bob = open_account(bob_path, bob_key);
    send_text(bob, ALICE, alice, BOB, NULL, "Still there after the restart?");
    send_text(alice, BOB, bob, ALICE, NULL, "Yes, nothing lost.");

    /* Raw bytes; an unacknowledged message survives a restart in the inbox. */
    const unsigned char raw[] = {0, 1, 'r', 'a', 'w', 255};
    CwBytes plaintext = {0};
    OK(cw_account_encrypt(alice, BOB, NULL, 0, raw, sizeof raw, &envelope));
    OK(cw_account_decrypt(bob, ALICE, envelope.ptr, envelope.len, &seq, &plaintext));
    CHECK(bytes_equal(plaintext, raw, sizeof raw));
    cw_bytes_free(plaintext);
    cw_bytes_free(envelope);
    cw_account_free(bob);
    bob = open_account(bob_path, bob_key);
    const CwInbox *inbox = NULL;
    OK(cw_account_inbox(bob, &inbox));
    CHECK(cw_inbox_len(inbox) == 1);
    uint64_t inbox_seq = 0;
    uint32_t device = 0;
    CwBytes user = {0};
    OK(cw_inbox_get(inbox, 0, &inbox_seq, &user, &device, &plaintext));
    CHECK(inbox_seq == seq && device == ALICE.device);
    CHECK(bytes_equal(user, ALICE.user, ALICE.user_len));
    CHECK(bytes_equal(plaintext, raw, sizeof raw));
    cw_bytes_free(plaintext);
    cw_bytes_free(user);
    cw_inbox_free(inbox);
    OK(cw_account_ack(bob, seq, &removed));
    CHECK(removed);
    OK(cw_account_ack(bob, seq, &removed));
    CHECK(!removed);

    /* Prekey maintenance: NULL when there is nothing to publish, an upload otherwise. */
    const CwUpload *maintained = (const CwUpload *)&failures; /* must be overwritten */
    OK(cw_account_maintain(bob, &maintained));
    CHECK(maintained != (const CwUpload *)&failures);
    cw_upload_free(maintained);

    /* A directory fed from Bob's upload serves a bundle with a one-time KEM prekey: a PQXDH
     * session from it, messages both ways, and the KEM prekey consumed exactly once. */
    {
        char dave_path[4096], erin_path[4096];
        snprintf(dave_path, sizeof dave_path, "%s/dave.db", dir);
        snprintf(erin_path, sizeof erin_path, "%s/erin.db", dir);
        const CwDeviceAddress DAVE = address("dave@provider-d.example", 1);
        const CwDeviceAddress ERIN = address("erin@provider-e.example", 1);
        const CwAccount *dave = NULL, *erin = NULL;
        OK(cw_account_create(dave_path, strlen(dave_path), alice_key, 32, &dave));
        OK(cw_account_create(erin_path, strlen(erin_path), alice_key, 32, &erin));
        const CwUpload *published = NULL;
        OK(cw_account_upload(bob, &published));
        uint64_t kem_before = 0, kem_after = 0;
        OK(cw_account_one_time_kem_prekey_count(bob, &kem_before));
        CHECK(kem_before > 0 && cw_upload_kem_prekey_count(published) == kem_before);
        CHECK(cw_upload_kem_prekey_count(NULL) == 0);
        uint32_t kem_id = 0;
        CwBytes base = {0}, kem_public = {0}, kem_signature = {0}, served = {0};
        OK(cw_upload_bundle(published, &base));
        OK(cw_upload_kem_prekey(published, 0, &kem_id, &kem_public, &kem_signature));
        CHECK(kem_public.len == 1568 && kem_signature.len == 64);
        FAILS(cw_upload_kem_prekey(published, (size_t)kem_before, &kem_id, &kem_public,
                                   &kem_signature),
              CW_STATUS_INVALID_ARGUMENT, "binding.invalid_argument");
        OK(cw_bundle_with_kem_prekey(base.ptr, base.len, kem_id, kem_public.ptr, kem_public.len,
                                     kem_signature.ptr, kem_signature.len, &served));

        /* A signature that does not verify is refused by its code, nothing handed out. */
        CwBytes refused = {(unsigned char *)0x1, 7};
        kem_signature.ptr[5] ^= 1;
        FAILS(cw_bundle_with_kem_prekey(base.ptr, base.len, kem_id, kem_public.ptr,
                                        kem_public.len, kem_signature.ptr, kem_signature.len,
                                        &refused),
              CW_STATUS_BUNDLE, "bundle.bad_signature");
        CHECK(refused.ptr == (unsigned char *)0x1 && refused.len == 7);
        FAILS(cw_bundle_with_kem_prekey(base.ptr, base.len, kem_id, kem_public.ptr, SIZE_MAX,
                                        kem_signature.ptr, kem_signature.len, &refused),
              CW_STATUS_BUNDLE, "bundle.kem.invalid_length");

        /* Dave's first message names that KEM prekey (PQXDH) and spends it. */
        const unsigned char hi[] = "hi Bob, post-quantum";
        CwBytes first = {0}, got = {0};
        bool has_kem = false;
        uint32_t named = 0;
        OK(cw_account_encrypt(dave, BOB, served.ptr, served.len, hi, sizeof hi, &first));
        OK(cw_envelope_kem_prekey_id(first.ptr, first.len, &has_kem, &named));
        CHECK(has_kem && named == kem_id);
        OK(cw_account_decrypt(bob, DAVE, first.ptr, first.len, &seq, &got));
        CHECK(bytes_equal(got, hi, sizeof hi));
        OK(cw_account_ack(bob, seq, &removed));
        OK(cw_account_one_time_kem_prekey_count(bob, &kem_after));
        CHECK(kem_after == kem_before - 1);
        send_text(bob, DAVE, dave, BOB, NULL, "Hello Dave.");
        send_text(dave, BOB, bob, DAVE, NULL, "Both ways.");

        /* Erin's first message from the same served bundle names the spent KEM prekey. */
        CwBytes second = {0};
        OK(cw_account_encrypt(erin, BOB, served.ptr, served.len, hi, sizeof hi, &second));
        FAILS(cw_account_decrypt(bob, ERIN, second.ptr, second.len, &seq, &plaintext),
              CW_STATUS_ACCOUNT, "account.unknown_kem_prekey");
        OK(cw_account_one_time_kem_prekey_count(bob, &kem_after));
        CHECK(kem_after == kem_before - 1);

        cw_bytes_free(second);
        cw_bytes_free(got);
        cw_bytes_free(first);
        cw_bytes_free(served);
        cw_bytes_free(kem_signature);
        cw_bytes_free(kem_public);
        cw_bytes_free(base);
        cw_upload_free(published);
        cw_account_free(erin);
        cw_account_free(dave);
    }

    /* Failures, each with its stable code; outputs untouched. */
    const CwAccount *none = NULL;
    FAILS(cw_account_open(alice_path, strlen(alice_path), wrong_key, 32, &none), CW_STATUS_STORE,
          "store.wrong_key");
    CHECK(none == NULL);
    FAILS(cw_account_open(alice_path, strlen(alice_path), wrong_key, 31, &none),
          CW_STATUS_INVALID_ARGUMENT, "binding.invalid_argument");
    FAILS(cw_account_create(alice_path, strlen(alice_path), alice_key, 32, &none),
          CW_STATUS_ACCOUNT, "account.already_exists");
    CHECK(none == NULL);
    CwDeviceAddress carol = address("carol@provider-c.example", 1);
    CwBytes untouched = {(unsigned char *)0x1, 12345};
    FAILS(cw_account_encrypt(alice, carol, NULL, 0, raw, sizeof raw, &untouched),
          CW_STATUS_ACCOUNT, "account.no_session");
    CHECK(untouched.ptr == (unsigned char *)0x1 && untouched.len == 12345);
    /* A length far beyond the envelope bound is refused before anything is read. */
    FAILS(cw_account_decrypt(bob, ALICE, raw, SIZE_MAX, &seq, &plaintext), CW_STATUS_WIRE,
          "wire.too_large");
    const unsigned char garbage[] = {0xde, 0xad, 0xbe, 0xef};
    FAILS(cw_account_decrypt(bob, ALICE, garbage, sizeof garbage, &seq, &plaintext),
          CW_STATUS_WIRE, "wire.malformed");
    FAILS(cw_account_encrypt(NULL, BOB, NULL, 0, raw, sizeof raw, &envelope),
          CW_STATUS_INVALID_ARGUMENT, "binding.invalid_argument");
    FAILS(cw_account_encrypt(alice, BOB, NULL, 0, raw, sizeof raw, NULL),
          CW_STATUS_INVALID_ARGUMENT, "binding.invalid_argument");
    FAILS(cw_account_decrypt(bob, ALICE, NULL, 4, &seq, &plaintext), CW_STATUS_INVALID_ARGUMENT,
          "binding.invalid_argument");
    CwDeviceAddress empty = {"", 0, 1};
    FAILS(cw_account_encrypt(alice, empty, NULL, 0, raw, sizeof raw, &envelope),
          CW_STATUS_ACCOUNT, "account.invalid_address");
    FAILS(cw_account_trust_identity(alice, BOB, raw, sizeof raw), CW_STATUS_KEY,
          "key.invalid_length");
    send_text(alice, BOB, bob, ALICE, NULL, "None of that broke anything.");

    /* Bob reinstalls: a new identity at the same address. Refused with both keys kept, until the
     * application accepts the new key; then the same envelope decrypts. */
    const CwAccount *bob2 = NULL;
    CwBytes alice_bundle = {0}, bob2_identity = {0};
    OK(cw_account_create(bob2_path, strlen(bob2_path), bob2_key, 32, &bob2));
    OK(cw_account_identity_key(bob2, &bob2_identity));
    OK(cw_account_bundle(alice, &alice_bundle));
    OK(cw_account_encrypt(bob2, ALICE, alice_bundle.ptr, alice_bundle.len, raw, sizeof raw,
                          &envelope));
    FAILS(cw_account_decrypt(alice, BOB, envelope.ptr, envelope.len, &seq, &plaintext),
          CW_STATUS_ACCOUNT, "account.identity_changed");
    OK(cw_account_trust_identity(alice, BOB, bob2_identity.ptr, bob2_identity.len));
    OK(cw_account_decrypt(alice, BOB, envelope.ptr, envelope.len, &seq, &plaintext));
    CHECK(bytes_equal(plaintext, raw, sizeof raw));
    cw_bytes_free(plaintext);
    cw_bytes_free(envelope);
    cw_bytes_free(alice_bundle);
    cw_bytes_free(bob2_identity);
    cw_bytes_free(bob_identity);

    cw_account_free(bob2);
    cw_account_free(alice);
    cw_account_free(bob);
    cw_account_free(NULL);
    cw_inbox_free(NULL);
    cw_upload_free(NULL);

    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("C account test: ok\n");
    return 0;
}
