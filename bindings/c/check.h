/* Checks shared by the C tests (one translation unit each). */
#ifndef CROSSWIRE_TEST_CHECK_H
#define CROSSWIRE_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crosswire.h"

static int failures = 0;

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                          \
        }                                                                        \
    } while (0)

/* A call that must succeed; aborts the test run otherwise (later steps depend on it). */
#define OK(call)                                                                 \
    do {                                                                         \
        CwStatus status_ = (call);                                               \
        if (status_ != CW_STATUS_OK) {                                           \
            fprintf(stderr, "%s:%d: %s failed with status %d: %s (%s)\n", __FILE__, \
                    __LINE__, #call, (int)status_,                               \
                    cw_last_error() ? cw_last_error() : "?",                     \
                    cw_last_error_code() ? cw_last_error_code() : "?");         \
            exit(1);                                                             \
        }                                                                        \
    } while (0)

/* A call that must fail with `status` and the stable error code `code`. */
#define FAILS(call, status, code)                                                \
    do {                                                                         \
        CwStatus status_ = (call);                                               \
        const char *code_ = cw_last_error_code();                                \
        if (status_ != (status) || code_ == NULL || strcmp(code_, (code)) != 0) { \
            fprintf(stderr, "%s:%d: %s: expected %s (%s), got %d (%s)\n", __FILE__, \
                    __LINE__, #call, #status, (code), (int)status_, code_ ? code_ : "none"); \
            failures++;                                                          \
        }                                                                        \
    } while (0)

static int bytes_equal(CwBytes b, const void *data, size_t len) {
    return b.len == len && (len == 0 || memcmp(b.ptr, data, len) == 0);
}

#endif
