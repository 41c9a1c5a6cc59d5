/*
 * The policy file codec: a strict decoder (unknown keys refused, every value range-checked,
 * the field named) and the encoders behind `keta policy show`.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* A configurable rule with exactly this id. */
static const keta_policy_rule *configurable(const char *id)
{
    const keta_policy_rule *r = keta_policy_rule_find(id);
    return r != NULL && r->type != KETA_RULE_FIXED ? r : NULL;
}

/* Does any configurable rule live under prefix ("bp", "drug_library.ketamine_iv")? */
static bool is_group(const char *prefix)
{
    size_t n = strlen(prefix);
    for (size_t i = 0; i < keta_policy_rule_count(); i++) {
        const keta_policy_rule *r = keta_policy_rule_at(i);
        if (r->type != KETA_RULE_FIXED && strncmp(r->id, prefix, n) == 0 && r->id[n] == '.')
            return true;
    }
    return false;
}

/* The keys allowed at prefix ("" for the root), comma-separated, bounded. */
static void allowed_keys(const char *prefix, char *dst, size_t cap)
{
    size_t n = 0, plen = strlen(prefix);
    dst[0] = '\0';
    if (plen == 0)
        n += (size_t)snprintf(dst, cap, "name");
    for (size_t i = 0; i < keta_policy_rule_count() && n + 1 < cap; i++) {
        const keta_policy_rule *r = keta_policy_rule_at(i);
        if (r->type == KETA_RULE_FIXED)
            continue;
        if (plen > 0 && (strncmp(r->id, prefix, plen) != 0 || r->id[plen] != '.'))
            continue;
        const char *seg = r->id + (plen ? plen + 1 : 0);
        size_t seg_len = strcspn(seg, ".");
        /* Skip a segment an earlier rule already listed. */
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++) {
            const keta_policy_rule *q = keta_policy_rule_at(j);
            if (q->type == KETA_RULE_FIXED)
                continue;
            if (plen > 0 && (strncmp(q->id, prefix, plen) != 0 || q->id[plen] != '.'))
                continue;
            const char *qs = q->id + (plen ? plen + 1 : 0);
            seen = strcspn(qs, ".") == seg_len && strncmp(qs, seg, seg_len) == 0;
        }
        if (!seen)
            n += (size_t)snprintf(dst + n, cap - n, "%s%.*s", n ? ", " : "", (int)seg_len, seg);
    }
}

/* path + "/" + key, with characters that are not plain printed as '?'. */
static void key_pointer(char *dst, size_t cap, const char *path, const char *key)
{
    clinic__path(dst, cap, path, key);
    for (char *c = dst; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
            *c = '?';
}

static keta_err set_rule(keta_policy *p, const keta_policy_rule *r, const json_t *parent,
                         const char *path, const char *key, keta_error *err)
{
    keta_err rc = KETA_OK;
    switch (r->type) {
    case KETA_RULE_INT: {
        int64_t v = 0;
        rc = keta_json_get_int(parent, path, key, (int64_t)r->min, (int64_t)r->max, false, &v, NULL,
                               err);
        if (rc == KETA_OK)
            clinic__policy_set(p, r, (double)v);
        break;
    }
    case KETA_RULE_NUMBER: {
        double v = 0;
        rc = keta_json_get_number(parent, path, key, r->min, r->max, false, &v, NULL, err);
        if (rc == KETA_OK)
            clinic__policy_set(p, r, v);
        break;
    }
    case KETA_RULE_BOOL: {
        bool v = false;
        rc = clinic__get_bool(parent, path, key, false, &v, NULL, err);
        if (rc == KETA_OK)
            clinic__policy_set(p, r, v ? 1 : 0);
        break;
    }
    case KETA_RULE_CHOICE: {
        int v = 0;
        rc = clinic__get_choice(parent, path, key, r->choices, false, &v, err);
        if (rc == KETA_OK && (v < (int)r->min || v > (int)r->max)) {
            char where[KETA_ERROR_FIELD_MAX];
            clinic__path(where, sizeof where, path, key);
            return keta_error_set(err, KETA_ERANGE, where, "%s must be from %s to %s, got %s",
                                  r->id, r->choices[(int)r->min], r->choices[(int)r->max],
                                  r->choices[v]);
        }
        if (rc == KETA_OK)
            clinic__policy_set(p, r, v);
        break;
    }
    case KETA_RULE_TEXT: {
        const char *s = NULL;
        rc = clinic__get_text(parent, path, key, KETA_POLICY_TEXT_MAX - 1, false, &s, err);
        if (rc == KETA_OK && s[0] == '\0') {
            char where[KETA_ERROR_FIELD_MAX];
            clinic__path(where, sizeof where, path, key);
            return keta_error_set(err, KETA_ERANGE, where, "%s must not be empty", r->id);
        }
        if (rc == KETA_OK)
            (void)snprintf((char *)p + r->offset, KETA_POLICY_TEXT_MAX, "%s", s);
        break;
    }
    case KETA_RULE_FIXED:
        break;
    }
    return rc;
}

/* Apply obj (at JSON pointer path, rule prefix prefix) onto p. */
static keta_err apply_object(keta_policy *p, const json_t *obj, const char *path,
                             const char *prefix, keta_error *err)
{
    const char *key;
    json_t *value;
    char where[KETA_ERROR_FIELD_MAX];
    if (!json_is_object(obj))
        return keta_error_set(err, KETA_ETYPE, path[0] ? path : "/",
                              "expected a JSON object, got %s", keta_json_type_name(obj));
    json_object_foreach((json_t *)obj, key, value)
    {
        char id[160];
        int n = snprintf(id, sizeof id, "%s%s%s", prefix, prefix[0] ? "." : "", key);
        key_pointer(where, sizeof where, path, key);
        if (prefix[0] == '\0' && strcmp(key, "name") == 0) {
            const char *s = NULL;
            keta_err rc =
                clinic__get_text(obj, path, "name", KETA_POLICY_NAME_MAX - 1, false, &s, err);
            if (rc != KETA_OK)
                return rc;
            (void)snprintf(p->name, sizeof p->name, "%s", s);
            continue;
        }
        const keta_policy_rule *r = n > 0 && (size_t)n < sizeof id ? configurable(id) : NULL;
        if (r != NULL) {
            keta_err rc = set_rule(p, r, obj, path, key, err);
            if (rc != KETA_OK)
                return rc;
            continue;
        }
        if (n > 0 && (size_t)n < sizeof id && keta_policy_rule_find(id) != NULL)
            return keta_error_set(err, KETA_EKEY, where,
                                  "rule %s is fixed (label, REMS or protocol) and cannot be set "
                                  "by a clinic policy",
                                  id);
        if (n > 0 && (size_t)n < sizeof id && is_group(id)) {
            keta_err rc = apply_object(p, value, where, id, err);
            if (rc != KETA_OK)
                return rc;
            continue;
        }
        char expected[600];
        allowed_keys(prefix, expected, sizeof expected);
        return keta_error_set(err, KETA_EKEY, where, "unknown policy key; expected one of: %s",
                              expected);
    }
    return KETA_OK;
}

keta_err keta_policy_apply_json(keta_policy *p, const json_t *doc, keta_error *err)
{
    /* Work on a copy (memcpy: byte for byte, padding too) so a failure changes nothing. */
    keta_policy next;
    memcpy(&next, p, sizeof next);
    keta_err rc = apply_object(&next, doc, "", "", err);
    if (rc == KETA_OK)
        rc = keta_policy_validate(&next, err);
    if (rc == KETA_OK)
        memcpy(p, &next, sizeof *p);
    return rc;
}

keta_err keta_policy_apply_text(keta_policy *p, const char *text, size_t len, keta_error *err)
{
    json_t *doc = NULL;
    keta_err rc = keta_json_parse(text, len, KETA_POLICY_FILE_MAX, 8, &doc, err);
    if (rc == KETA_OK)
        rc = keta_policy_apply_json(p, doc, err);
    json_decref(doc);
    return rc;
}

/* ---- encoders ---------------------------------------------------------------------------- */

static json_t *rule_value_json(const keta_policy_rule *r, double v, const char *text)
{
    switch (r->type) {
    case KETA_RULE_INT:
        return json_integer((json_int_t)v);
    case KETA_RULE_NUMBER:
        return json_real(v);
    case KETA_RULE_BOOL:
        return json_boolean(v != 0);
    case KETA_RULE_CHOICE:
        return json_string(r->choices[(int)v]);
    case KETA_RULE_TEXT:
        return json_string(text);
    case KETA_RULE_FIXED:
        break;
    }
    return json_null();
}

static json_t *rule_json(const keta_policy *p, const keta_policy_rule *r)
{
    json_t *o = json_object();
    keta_err rc = o ? KETA_OK : KETA_ENOMEM;
    bool fixed = r->type == KETA_RULE_FIXED;
    if (rc == KETA_OK)
        rc = keta_json_set(o, "id", json_string(r->id));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "configurable", json_boolean(!fixed));
    if (!fixed) {
        const char *text = r->type == KETA_RULE_TEXT ? (const char *)p + r->offset : NULL;
        double v = clinic__policy_value(p, r);
        bool overridden = r->type == KETA_RULE_TEXT ? strcmp(text, r->def_text) != 0 : v != r->def;
        if (rc == KETA_OK)
            rc = keta_json_set(o, "value", rule_value_json(r, v, text));
        if (rc == KETA_OK)
            rc = keta_json_set(o, "default", rule_value_json(r, r->def, r->def_text));
        if (rc == KETA_OK)
            rc = keta_json_set(o, "overridden", json_boolean(overridden));
        if (rc == KETA_OK && (r->type == KETA_RULE_INT || r->type == KETA_RULE_NUMBER)) {
            rc = keta_json_set(o, "min", rule_value_json(r, r->min, NULL));
            if (rc == KETA_OK)
                rc = keta_json_set(o, "max", rule_value_json(r, r->max, NULL));
        }
        if (rc == KETA_OK && r->type == KETA_RULE_CHOICE) {
            json_t *c = json_array();
            rc = c ? KETA_OK : KETA_ENOMEM;
            for (int i = (int)r->min; rc == KETA_OK && i <= (int)r->max; i++)
                rc = keta_json_push(c, json_string(r->choices[i]));
            if (rc == KETA_OK)
                rc = keta_json_set(o, "choices", c);
            else
                json_decref(c);
        }
        if (rc == KETA_OK)
            rc = keta_json_set(o, "unit", json_string(r->unit));
        if (rc == KETA_OK)
            rc = keta_json_set(o, "cmp", json_string(r->cmp));
    }
    if (rc == KETA_OK)
        rc = keta_json_set(o, "meaning", json_string(r->meaning));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "source", json_string(r->source));
    if (rc != KETA_OK) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The effective values as a policy document (nested by the dots of the ids). */
static keta_err document_json(const keta_policy *p, json_t **out)
{
    json_t *doc = json_object();
    keta_err rc = doc ? KETA_OK : KETA_ENOMEM;
    if (rc == KETA_OK)
        rc = keta_json_set(doc, "name", json_string(p->name));
    for (size_t i = 0; rc == KETA_OK && i < keta_policy_rule_count(); i++) {
        const keta_policy_rule *r = keta_policy_rule_at(i);
        if (r->type == KETA_RULE_FIXED)
            continue;
        json_t *node = doc;
        const char *seg = r->id;
        size_t len = 0;
        while (rc == KETA_OK && seg[len = strcspn(seg, ".")] == '.') {
            char name[64];
            (void)snprintf(name, sizeof name, "%.*s", (int)len, seg);
            json_t *child = json_object_get(node, name);
            if (child == NULL) {
                child = json_object();
                rc = keta_json_set(node, name, child);
            }
            node = child;
            seg += len + 1;
        }
        const char *text = r->type == KETA_RULE_TEXT ? (const char *)p + r->offset : NULL;
        if (rc == KETA_OK)
            rc = keta_json_set(node, seg, rule_value_json(r, clinic__policy_value(p, r), text));
    }
    if (rc != KETA_OK) {
        json_decref(doc);
        return rc;
    }
    *out = doc;
    return KETA_OK;
}

keta_err keta_policy_to_json(const keta_policy *p, json_t **out)
{
    *out = NULL;
    json_t *o = json_object();
    json_t *doc = NULL;
    keta_err rc = o ? KETA_OK : KETA_ENOMEM;
    if (rc == KETA_OK)
        rc = keta_json_set(o, "name", json_string(p->name));
    if (rc == KETA_OK)
        rc = document_json(p, &doc);
    if (rc == KETA_OK)
        rc = keta_json_set(o, "policy", doc);
    json_t *arr = rc == KETA_OK ? json_array() : NULL;
    if (rc == KETA_OK)
        rc = keta_json_set(o, "rules", arr);
    for (size_t i = 0; rc == KETA_OK && i < keta_policy_rule_count(); i++)
        rc = keta_json_push(arr, rule_json(p, keta_policy_rule_at(i)));
    if (rc != KETA_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return KETA_OK;
}
