/*
 * keta JSON helpers over jansson: strict parsing of outside input and
 * field-by-field validation that names the field that is wrong.
 *
 * Ownership: follows jansson. keta_json_parse hands the caller a new
 * reference (json_decref it). The getters return borrowed references.
 *
 * Thread safety: reentrant; no shared state beyond jansson's own.
 */
#ifndef KETA_JSON_H
#define KETA_JSON_H

#include <jansson.h>
#include <stdint.h>

#include "keta/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Default bounds for a request document. */
#define KETA_JSON_MAX_BYTES ((size_t)1024 * 1024)
#define KETA_JSON_MAX_DEPTH 32

/*
 * Parse text[0..len) as one JSON document. Rejects: more than max_bytes
 * (KETA_ETOOBIG), nesting deeper than max_depth (KETA_ETOOBIG), duplicate
 * object keys, NUL bytes, trailing data and anything else that is not JSON
 * (KETA_EPARSE, with line and column in the message).
 */
keta_err keta_json_parse(const char *text, size_t len, size_t max_bytes, int max_depth,
                         json_t **out, keta_error *err);

/*
 * Check that obj is an object whose keys are all among allowed (a
 * NULL-terminated list) and that every key listed in required is present.
 * path is the JSON pointer of obj ("" for the root) used in the error field.
 */
keta_err keta_json_check_keys(const json_t *obj, const char *path, const char *const *allowed,
                              const char *const *required, keta_error *err);

/*
 * Read an integer at field (a member name of obj) within [min, max]. A JSON
 * real, even 2.0, is not an integer (KETA_ETYPE). When the member is absent
 * and optional is true, *out is left untouched and *present (if not NULL) is
 * false.
 */
keta_err keta_json_get_int(const json_t *obj, const char *path, const char *field, int64_t min,
                           int64_t max, bool optional, int64_t *out, bool *present,
                           keta_error *err);

/* As keta_json_get_int for a number (integer or real) within [min, max]. */
keta_err keta_json_get_number(const json_t *obj, const char *path, const char *field, double min,
                              double max, bool optional, double *out, bool *present,
                              keta_error *err);

/*
 * A printable copy of an outside string for an error message: at most size - 1 bytes, control
 * characters and bytes outside printable ASCII shown as '?'. s may be NULL (shown as "").
 */
void keta_json_shown(const char *s, char *shown, size_t size);

/*
 * v must be a string equal to one of names (a NULL-terminated list); its index goes to *out.
 * where is the JSON pointer for errors, what names the thing ("route", "sex") in them. v NULL
 * is a missing required field (KETA_EKEY), a non-string KETA_ETYPE, another string
 * KETA_EINVAL; each message lists the accepted names.
 */
keta_err keta_json_choice(const json_t *v, const char *where, const char *what,
                          const char *const *names, int *out, keta_error *err);

/* A short name of a JSON value's type for messages: "string", "real", "null", ... */
const char *keta_json_type_name(const json_t *v);

/*
 * Serialise v as compact JSON (or indented when pretty) with reals printed to
 * 12 significant digits. Returns a string to release with keta_free, or NULL
 * when out of memory.
 */
char *keta_json_dump(const json_t *v, bool pretty);

/*
 * Set obj[key] = value, taking the reference to value even on failure
 * (jansson's _new convention). A NULL value (an allocation that failed) makes
 * this fail with KETA_ENOMEM, so builders can chain without checking each
 * constructor.
 */
keta_err keta_json_set(json_t *obj, const char *key, json_t *value);

/* Append value to arr, taking the reference; NULL value fails with KETA_ENOMEM. */
keta_err keta_json_push(json_t *arr, json_t *value);

#ifdef __cplusplus
}
#endif

#endif
