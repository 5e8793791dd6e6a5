/* The C ABI end to end, against the generated header (bindings/ffi/include/crosswire.h).
 *
 * Scenario (the core, sans-I/O API; the account layer is test_account.c): Bob publishes a
 * post-quantum bundle (with one of his two one-time prekeys and a one-time KEM prekey); Alice
 * starts a PQXDH session and sends a text; Bob reads the signed, one-time and KEM prekey ids
 * the prekey message names, looks those keys up and answers with them; messages both ways; an
 * attachment; a restart (both sessions saved to their own files, every handle released, the
 * sessions reloaded from the files) and more messages both ways; then the typed failures: a
 * tampered envelope, a replay, garbage, a null argument; and the policy: a classical bundle
 * refused by default (bundle.classical_only), accepted when allowed, and a classical first
 * message refused by a responder that requires PQXDH. Every handle and buffer is released,
 * so valgrind's leak check (bindings/ci.sh) sees nothing definitely or indirectly lost.
 *
 * Build: gcc -Wall -Wextra -Werror -I bindings/ffi/include bindings/c/test_conversation.c \
 *            -L target/debug -lcrosswire_ffi -o test_conversation
 */
#include <stdint.h>

#include "check.h"

#define ABSENT 0xdeadbeefu /* what an id output holds when nothing was written to it */

/* Alice encrypts `text` as content; Bob decrypts it and must see the same text. */
static void send_text(const CwSession *from, const CwSession *to, const char *text) {
    const CwContent *content = NULL;
    CwBytes envelope = {0};
    const CwContent *received = NULL;
    CwBytes got = {0};
    OK(cw_content_text(text, strlen(text), &content));
    OK(cw_session_encrypt_content(from, content, &envelope));
    OK(cw_session_decrypt_content(to, envelope.ptr, envelope.len, &received));
    CHECK(cw_content_kind(received) == CW_CONTENT_KIND_TEXT);
    OK(cw_content_get_text(received, &got));
    CHECK(bytes_equal(got, text, strlen(text)));
    cw_bytes_free(got);
    cw_content_free(received);
    cw_bytes_free(envelope);
    cw_content_free(content);
}

static void save(const CwSession *session, const char *path) {
    CwBytes state = {0};
    OK(cw_session_to_bytes(session, &state));
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        CHECK(fwrite(state.ptr, 1, state.len, f) == state.len);
        fclose(f);
    }
    cw_bytes_free(state);
}

static const CwSession *load(const char *path) {
    static unsigned char buf[1 << 16];
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(1);
    }
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    const CwSession *session = NULL;
    OK(cw_session_from_bytes(buf, n, &session));
    return session;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : ".";
    char alice_path[4096], bob_path[4096];
    snprintf(alice_path, sizeof alice_path, "%s/alice.session", dir);
    snprintf(bob_path, sizeof bob_path, "%s/bob.session", dir);

    /* Bob publishes a bundle. */
    const CwIdentityKeyPair *alice_id = NULL, *bob_id = NULL;
    const CwSignedPreKey *spk = NULL;
    /* Bob's one-time prekeys as his storage keeps them, by id; the directory serves one. */
    const uint32_t opk_ids[2] = {100, 101};
    const CwOneTimePreKey *opks[2] = {NULL, NULL};
    const CwKemPreKey *kem = NULL;
    const CwPreKeyBundle *bundle = NULL, *fetched = NULL;
    CwBytes published = {0};
    OK(cw_identity_generate(&alice_id));
    OK(cw_identity_generate(&bob_id));
    OK(cw_signed_prekey_generate(bob_id, 1, &spk));
    for (size_t i = 0; i < 2; i++) OK(cw_one_time_prekey_generate(opk_ids[i], &opks[i]));
    OK(cw_kem_prekey_generate(bob_id, 200, true, &kem));
    OK(cw_bundle_new_pq(bob_id, spk, opks[1], kem, &bundle));
    OK(cw_bundle_to_bytes(bundle, &published));

    /* Alice fetches it and sends the first message. */
    const CwSession *alice = NULL, *bob = NULL;
    OK(cw_bundle_from_bytes(published.ptr, published.len, &fetched));
    OK(cw_session_initiate(alice_id, fetched, NULL, 0, &alice));
    const char *hello = "Hi Bob, it's Alice.";
    const CwContent *first = NULL;
    CwBytes first_envelope = {0};
    OK(cw_content_text(hello, strlen(hello), &first));
    OK(cw_session_encrypt_content(alice, first, &first_envelope));

    /* It names the prekeys Bob must respond with: he looks each one up by its id. */
    uint32_t spk_id = ABSENT, opk_id = ABSENT, kem_id = ABSENT;
    bool has_opk = false, has_kem = false;
    OK(cw_envelope_signed_prekey_id(first_envelope.ptr, first_envelope.len, &spk_id));
    OK(cw_envelope_one_time_prekey_id(first_envelope.ptr, first_envelope.len, &has_opk,
                                      &opk_id));
    OK(cw_envelope_kem_prekey_id(first_envelope.ptr, first_envelope.len, &has_kem, &kem_id));
    CHECK(spk_id == 1 && has_opk && opk_id == 101 && has_kem && kem_id == 200);
    const CwOneTimePreKey *opk = NULL;
    for (size_t i = 0; i < 2; i++)
        if (has_opk && opk_ids[i] == opk_id) opk = opks[i];
    CHECK(opk == opks[1]);
    /* Bob's other one-time prekey is not the one it names. */
    const CwContent *first_received = NULL;
    FAILS(cw_session_respond_content_with(bob_id, spk, opks[0], kem, first_envelope.ptr,
                                          first_envelope.len, NULL, 0, false, &bob,
                                          &first_received),
          CW_STATUS_DECRYPT, "decrypt.session_mismatch");
    /* The classical responder cannot take it. */
    FAILS(cw_session_respond_content(bob_id, spk, opk, first_envelope.ptr, first_envelope.len,
                                     NULL, 0, &bob, &first_received),
          CW_STATUS_DECRYPT, "decrypt.session_mismatch");
    CHECK(bob == NULL && first_received == NULL);

    /* Bob accepts the session from it with the prekeys it names. */
    CwBytes first_text = {0};
    OK(cw_session_respond_content_with(bob_id, spk, opk, kem, first_envelope.ptr,
                                       first_envelope.len, NULL, 0, false, &bob,
                                       &first_received));
    OK(cw_content_get_text(first_received, &first_text));
    CHECK(bytes_equal(first_text, hello, strlen(hello)));

    /* Raw bytes and content, both ways. */
    send_text(bob, alice, "Hello Alice!");
    send_text(alice, bob, "How are you?");
    CwBytes env = {0}, pt = {0};
    const unsigned char raw[] = {0, 1, 2, 255};
    OK(cw_session_encrypt(bob, raw, sizeof raw, &env));
    OK(cw_session_decrypt(alice, env.ptr, env.len, &pt));
    CHECK(bytes_equal(pt, raw, sizeof raw));
    cw_bytes_free(pt);

    /* The replay of that envelope is a typed failure, and the session still works. */
    CwBytes replayed = {(unsigned char *)0x1, 12345};
    CHECK(cw_session_decrypt(alice, env.ptr, env.len, &replayed) == CW_STATUS_DECRYPT);
    CHECK(replayed.ptr == (unsigned char *)0x1 && replayed.len == 12345); /* untouched */
    CHECK(cw_last_error_code() != NULL &&
          strcmp(cw_last_error_code(), "decrypt.duplicate_or_expired") == 0);
    cw_bytes_free(env);

    /* An attachment: encrypt, "upload", send the pointer in content, download, decrypt. */
    size_t file_len = 200000;
    unsigned char *file = malloc(file_len);
    for (size_t i = 0; i < file_len; i++) file[i] = (unsigned char)(i * 31 + 7);
    CwBytes uploaded = {0};
    const CwSealedAttachment *sealed = NULL;
    OK(cw_encrypt_attachment(file, file_len, &uploaded, &sealed));
    const char *ctype = "application/octet-stream", *locator = "blob/42";
    const CwContent *att = NULL, *att_received = NULL;
    OK(cw_content_attachment(sealed, ctype, strlen(ctype), locator, strlen(locator), &att));
    OK(cw_session_encrypt_content(alice, att, &env));
    OK(cw_session_decrypt_content(bob, env.ptr, env.len, &att_received));
    CHECK(cw_content_kind(att_received) == CW_CONTENT_KIND_ATTACHMENT);
    const CwSealedAttachment *got_sealed = NULL;
    CwBytes got_locator = {0}, downloaded = {0};
    OK(cw_content_get_attachment(att_received, &got_sealed, &got_locator));
    CHECK(bytes_equal(got_locator, locator, strlen(locator)));
    OK(cw_decrypt_attachment(got_sealed, uploaded.ptr, uploaded.len, &downloaded));
    CHECK(bytes_equal(downloaded, file, file_len));
    /* A flipped ciphertext byte: typed failure, no plaintext. */
    uploaded.ptr[100] ^= 1;
    CwBytes none = {0};
    CHECK(cw_decrypt_attachment(got_sealed, uploaded.ptr, uploaded.len, &none) == CW_STATUS_MEDIA);
    CHECK(none.ptr == NULL);
    /* A length no buffer can have is refused before anything is read. */
    FAILS(cw_decrypt_attachment(got_sealed, uploaded.ptr, SIZE_MAX, &none),
          CW_STATUS_INVALID_ARGUMENT, "binding.invalid_argument");
    cw_bytes_free(downloaded);
    cw_bytes_free(got_locator);
    cw_sealed_attachment_free(got_sealed);
    cw_content_free(att_received);
    cw_bytes_free(env);
    cw_content_free(att);
    cw_sealed_attachment_free(sealed);
    cw_bytes_free(uploaded);
    free(file);

    /* Restart: save both sessions, release everything, reload. */
    save(alice, alice_path);
    save(bob, bob_path);
    cw_session_free(alice);
    cw_session_free(bob);
    alice = load(alice_path);
    bob = load(bob_path);
    send_text(alice, bob, "Still there after the restart?");
    send_text(bob, alice, "Yes.");

    /* Typed failures on hostile input; sessions unchanged afterwards. */
    const CwContent *msg = NULL;
    OK(cw_content_text("x", 1, &msg));
    OK(cw_session_encrypt_content(alice, msg, &env));
    env.ptr[env.len - 1] ^= 0x80; /* inside the ciphertext tag */
    const CwContent *bad = NULL;
    CHECK(cw_session_decrypt_content(bob, env.ptr, env.len, &bad) == CW_STATUS_DECRYPT);
    CHECK(bad == NULL);
    cw_bytes_free(env);
    cw_content_free(msg);
    const unsigned char garbage[] = {0xde, 0xad, 0xbe, 0xef};
    CHECK(cw_session_decrypt(bob, garbage, sizeof garbage, &pt) == CW_STATUS_WIRE);
    CHECK(cw_session_decrypt(NULL, garbage, sizeof garbage, &pt) == CW_STATUS_INVALID_ARGUMENT);
    CHECK(cw_session_decrypt(bob, NULL, 4, &pt) == CW_STATUS_INVALID_ARGUMENT);
    /* A length beyond the core's bound: refused before anything is read. */
    FAILS(cw_session_decrypt(bob, garbage, SIZE_MAX, &pt), CW_STATUS_WIRE, "wire.too_large");
    CHECK(cw_session_encrypt(bob, garbage, sizeof garbage, NULL) == CW_STATUS_INVALID_ARGUMENT);
    const CwPreKeyBundle *no_bundle = NULL;
    CHECK(cw_bundle_from_bytes(garbage, sizeof garbage, &no_bundle) == CW_STATUS_BUNDLE);
    CHECK(no_bundle == NULL);
    CHECK(cw_content_text("\xff", 1, &msg) == CW_STATUS_INVALID_ARGUMENT);
    send_text(alice, bob, "The tampered one did not break anything.");

    /* The policy: a classical bundle is refused unless allowed; the responder decides too. */
    const CwPreKeyBundle *classical = NULL;
    const CwSession *carol = NULL, *dave = NULL;
    OK(cw_bundle_new(bob_id, spk, NULL, &classical));
    FAILS(cw_session_initiate(alice_id, classical, NULL, 0, &carol), CW_STATUS_BUNDLE,
          "bundle.classical_only");
    CHECK(carol == NULL);
    OK(cw_session_initiate_with(alice_id, classical, NULL, 0, true, &carol));
    OK(cw_session_encrypt(carol, raw, sizeof raw, &env));
    /* A classical first message without a one-time prekey: both ids absent, outputs untouched. */
    spk_id = opk_id = kem_id = ABSENT;
    OK(cw_envelope_signed_prekey_id(env.ptr, env.len, &spk_id));
    OK(cw_envelope_one_time_prekey_id(env.ptr, env.len, &has_opk, &opk_id));
    OK(cw_envelope_kem_prekey_id(env.ptr, env.len, &has_kem, &kem_id));
    CHECK(spk_id == 1 && !has_opk && opk_id == ABSENT && !has_kem && kem_id == ABSENT);
    /* Null outputs change nothing. */
    FAILS(cw_envelope_signed_prekey_id(env.ptr, env.len, NULL), CW_STATUS_INVALID_ARGUMENT,
          "binding.invalid_argument");
    FAILS(cw_envelope_one_time_prekey_id(env.ptr, env.len, NULL, &opk_id),
          CW_STATUS_INVALID_ARGUMENT, "binding.invalid_argument");
    FAILS(cw_envelope_one_time_prekey_id(env.ptr, env.len, &has_opk, NULL),
          CW_STATUS_INVALID_ARGUMENT, "binding.invalid_argument");
    FAILS(cw_envelope_signed_prekey_id(NULL, 4, &spk_id), CW_STATUS_INVALID_ARGUMENT,
          "binding.invalid_argument");
    FAILS(cw_session_respond_with(bob_id, spk, NULL, NULL, env.ptr, env.len, NULL, 0, false,
                                  &dave, &pt),
          CW_STATUS_DECRYPT, "decrypt.classical_only");
    CHECK(dave == NULL);
    OK(cw_session_respond_with(bob_id, spk, NULL, NULL, env.ptr, env.len, NULL, 0, true, &dave,
                               &pt));
    CHECK(bytes_equal(pt, raw, sizeof raw));
    cw_bytes_free(pt);
    cw_bytes_free(env);
    /* Lengths beyond the core's bounds are refused before anything is read. */
    FAILS(cw_envelope_kem_prekey_id(raw, SIZE_MAX, &has_kem, &kem_id), CW_STATUS_WIRE,
          "wire.too_large");
    FAILS(cw_envelope_signed_prekey_id(raw, SIZE_MAX, &spk_id), CW_STATUS_WIRE,
          "wire.too_large");
    FAILS(cw_envelope_one_time_prekey_id(raw, SIZE_MAX, &has_opk, &opk_id), CW_STATUS_WIRE,
          "wire.too_large");
    FAILS(cw_session_respond_with(bob_id, spk, NULL, NULL, raw, SIZE_MAX, NULL, 0, true, &dave,
                                  &pt),
          CW_STATUS_WIRE, "wire.too_large");
    FAILS(cw_session_initiate_with(alice_id, classical, raw, SIZE_MAX, true, &carol),
          CW_STATUS_INVALID_ARGUMENT, "context.too_large");
    /* Not a prekey message: no prekey id to read, outputs untouched. */
    OK(cw_session_encrypt(dave, raw, sizeof raw, &env));
    spk_id = opk_id = kem_id = ABSENT;
    has_opk = has_kem = true;
    FAILS(cw_envelope_kem_prekey_id(env.ptr, env.len, &has_kem, &kem_id), CW_STATUS_DECRYPT,
          "decrypt.unexpected_message_type");
    FAILS(cw_envelope_signed_prekey_id(env.ptr, env.len, &spk_id), CW_STATUS_DECRYPT,
          "decrypt.unexpected_message_type");
    FAILS(cw_envelope_one_time_prekey_id(env.ptr, env.len, &has_opk, &opk_id),
          CW_STATUS_DECRYPT, "decrypt.unexpected_message_type");
    CHECK(spk_id == ABSENT && opk_id == ABSENT && kem_id == ABSENT && has_opk && has_kem);
    cw_bytes_free(env);
    cw_session_free(dave);
    cw_session_free(carol);
    cw_bundle_free(classical);

    cw_bytes_free(first_text);
    cw_content_free(first_received);
    cw_bytes_free(first_envelope);
    cw_content_free(first);
    cw_session_free(alice);
    cw_session_free(bob);
    cw_bundle_free(fetched);
    cw_bytes_free(published);
    cw_bundle_free(bundle);
    cw_kem_prekey_free(kem);
    for (size_t i = 0; i < 2; i++) cw_one_time_prekey_free(opks[i]);
    cw_signed_prekey_free(spk);
    cw_identity_free(alice_id);
    cw_identity_free(bob_id);
    cw_bytes_free((CwBytes){0});
    cw_session_free(NULL);

    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("C conversation test: ok\n");
    return 0;
}
