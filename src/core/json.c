/* JSON helpers: strict parsing and validation of outside input (over jansson). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "keta/json.h"

/*
 * jansson's own nesting cap is a compile-time 2048; requests need far less,
 * so measure the depth first (outside strings) and refuse deep documents
 * before the parser allocates anything for them.
 */
static int json_depth_exceeds(const char *text, size_t len, int max_depth)
{
    int depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth)
                return 1;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return 0;
}

keta_err keta_json_parse(const char *text, size_t len, size_t max_bytes, int max_depth,
                         json_t **out, keta_error *err)
{
    *out = NULL;
    if (len > max_bytes)
        return keta_error_set(err, KETA_ETOOBIG, "", "document is %zu bytes; at most %zu allowed",
                              len, max_bytes);
    if (json_depth_exceeds(text, len, max_depth))
        return keta_error_set(err, KETA_ETOOBIG, "", "document nests deeper than %d levels",
                              max_depth);
    const char *nul = memchr(text, '\0', len);
    if (nul != NULL)
        return keta_error_set(err, KETA_EPARSE, "", "malformed JSON: NUL byte at offset %zu",
                              (size_t)(nul - text));
    json_error_t jerr;
    unsigned long failures_before = keta__alloc_failures();
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        /* jansson 2.14 reports some allocation failures as syntax errors (a key it could
           not copy reads as "string expected"), so ask the allocator what happened. */
        if (json_error_code(&jerr) == json_error_out_of_memory ||
            keta__alloc_failures() != failures_before)
            return keta_error_set(err, KETA_ENOMEM, "", "out of memory while parsing JSON");
        return keta_error_set(err, KETA_EPARSE, "", "malformed JSON at line %d, column %d: %s",
                              jerr.line, jerr.column, jerr.text);
    }
    *out = root;
    return KETA_OK;
}

const char *keta_json_type_name(const json_t *v)
{
    if (v == NULL)
        return "nothing";
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "real";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    case JSON_NULL:
        return "null";
    }
    return "unknown";
}

/* Append key to path as a JSON pointer segment (RFC 6901: ~ -> ~0, / -> ~1), bounded. */
static void pointer_join(char *dst, size_t cap, const char *path, const char *key)
{
    size_t n = (size_t)snprintf(dst, cap, "%s/", path);
    for (const char *k = key; *k != '\0' && n + 3 < cap; k++) {
        if (*k == '~') {
            dst[n++] = '~';
            dst[n++] = '0';
        } else if (*k == '/') {
            dst[n++] = '~';
            dst[n++] = '1';
        } else {
            char ch = *k;
            if ((unsigned char)ch < 0x20)
                ch = '?';
            dst[n++] = ch;
        }
    }
    dst[n < cap ? n : cap - 1] = '\0';
}

/* A printable, shortened copy of an outside string for messages. */
static void printable(char *dst, size_t cap, const char *s)
{
    size_t n = 0;
    for (; *s != '\0' && n + 4 < cap; s++) {
        char ch = *s;
        if ((unsigned char)ch < 0x20 || ch == 0x7f)
            ch = '?';
        dst[n++] = ch;
    }
    if (*s != '\0' && n + 3 < cap) {
        memcpy(dst + n, "...", 3);
        n += 3;
    }
    dst[n] = '\0';
}

static bool in_list(const char *key, const char *const *list)
{
    for (; list != NULL && *list != NULL; list++)
        if (strcmp(key, *list) == 0)
            return true;
    return false;
}

keta_err keta_json_check_keys(const json_t *obj, const char *path, const char *const *allowed,
                              const char *const *required, keta_error *err)
{
    char field[KETA_ERROR_FIELD_MAX];
    if (!json_is_object(obj))
        return keta_error_set(err, KETA_ETYPE, path[0] ? path : "/",
                              "expected a JSON object, got %s", keta_json_type_name(obj));
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)obj, key, value)
    {
        if (!in_list(key, allowed)) {
            char shown[48];
            char expected[160] = "";
            size_t n = 0;
            for (const char *const *a = allowed; a != NULL && *a != NULL && n < sizeof expected;
                 a++)
                n += (size_t)snprintf(expected + n, n < sizeof expected ? sizeof expected - n : 0,
                                      "%s%s", n ? ", " : "", *a);
            printable(shown, sizeof shown, key);
            pointer_join(field, sizeof field, path, key);
            return keta_error_set(err, KETA_EKEY, field, "unknown field '%s'; expected one of: %s",
                                  shown, expected);
        }
    }
    for (const char *const *r = required; r != NULL && *r != NULL; r++) {
        if (json_object_get(obj, *r) == NULL) {
            pointer_join(field, sizeof field, path, *r);
            return keta_error_set(err, KETA_EKEY, field, "missing required field '%s'", *r);
        }
    }
    return KETA_OK;
}

keta_err keta_json_get_int(const json_t *obj, const char *path, const char *field, int64_t min,
                           int64_t max, bool optional, int64_t *out, bool *present, keta_error *err)
{
    char where[KETA_ERROR_FIELD_MAX];
    pointer_join(where, sizeof where, path, field);
    const json_t *v = json_object_get(obj, field);
    if (present != NULL)
        *present = v != NULL;
    if (v == NULL) {
        if (optional)
            return KETA_OK;
        return keta_error_set(err, KETA_EKEY, where, "missing required field '%s'", field);
    }
    if (!json_is_integer(v)) {
        if (json_is_real(v))
            return keta_error_set(err, KETA_ETYPE, where,
                                  "expected an integer from %" PRId64 " to %" PRId64 ", got %g",
                                  min, max, json_real_value(v));
        return keta_error_set(err, KETA_ETYPE, where,
                              "expected an integer from %" PRId64 " to %" PRId64 ", got %s", min,
                              max, keta_json_type_name(v));
    }
    json_int_t x = json_integer_value(v);
    if (x < min || x > max)
        return keta_error_set(err, KETA_ERANGE, where,
                              "expected an integer from %" PRId64 " to %" PRId64
                              ", got %" JSON_INTEGER_FORMAT,
                              min, max, x);
    *out = (int64_t)x;
    return KETA_OK;
}

keta_err keta_json_get_number(const json_t *obj, const char *path, const char *field, double min,
                              double max, bool optional, double *out, bool *present,
                              keta_error *err)
{
    char where[KETA_ERROR_FIELD_MAX];
    pointer_join(where, sizeof where, path, field);
    const json_t *v = json_object_get(obj, field);
    if (present != NULL)
        *present = v != NULL;
    if (v == NULL) {
        if (optional)
            return KETA_OK;
        return keta_error_set(err, KETA_EKEY, where, "missing required field '%s'", field);
    }
    if (!json_is_number(v))
        return keta_error_set(err, KETA_ETYPE, where, "expected a number from %g to %g, got %s",
                              min, max, keta_json_type_name(v));
    double x = json_number_value(v);
    if (!(x >= min && x <= max))
        return keta_error_set(err, KETA_ERANGE, where, "expected a number from %g to %g, got %g",
                              min, max, x);
    *out = x;
    return KETA_OK;
}

char *keta_json_dump(const json_t *v, bool pretty)
{
    size_t flags = JSON_REAL_PRECISION(12) | (pretty ? JSON_INDENT(2) : JSON_COMPACT);
    return json_dumps(v, flags);
}

keta_err keta_json_set(json_t *obj, const char *key, json_t *value)
{
    if (value == NULL)
        return KETA_ENOMEM;
    return json_object_set_new(obj, key, value) == 0 ? KETA_OK : KETA_ENOMEM;
}

keta_err keta_json_push(json_t *arr, json_t *value)
{
    if (value == NULL)
        return KETA_ENOMEM;
    return json_array_append_new(arr, value) == 0 ? KETA_OK : KETA_ENOMEM;
}

void keta_json_shown(const char *s, char *shown, size_t size)
{
    (void)snprintf(shown, size, "%s", s ? s : "");
    for (char *c = shown; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
            *c = '?';
}

keta_err keta_json_choice(const json_t *v, const char *where, const char *what,
                          const char *const *names, int *out, keta_error *err)
{
    char list[200] = "";
    size_t n = 0;
    for (int i = 0; names[i] != NULL && n < sizeof list; i++)
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", names[i]);
    if (v == NULL)
        return keta_error_set(err, KETA_EKEY, where,
                              "missing required field '%s'; expected one of: %s", what, list);
    if (!json_is_string(v))
        return keta_error_set(err, KETA_ETYPE, where, "expected one of: %s; got %s", list,
                              keta_json_type_name(v));
    for (int i = 0; names[i] != NULL; i++) {
        if (strcmp(json_string_value(v), names[i]) == 0) {
            *out = i;
            return KETA_OK;
        }
    }
    char shown[48];
    keta_json_shown(json_string_value(v), shown, sizeof shown);
    return keta_error_set(err, KETA_EINVAL, where, "unknown %s '%s'; expected one of: %s", what,
                          shown, list);
}
