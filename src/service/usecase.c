/*
 * The use-case table (include/keta/usecase.h): the groups' tables in one list, lookups, and
 * the helpers the adapters share.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uc_internal.h"

static const keta_usecase *const groups[] = {
    keta__uc_records, keta__uc_clinical, keta__uc_sessions,
    keta__uc_intake,  keta__uc_outcomes, keta__uc_selfreport,
    keta__uc_staff,   keta__uc_engine,   NULL,
};

const keta_usecase *keta_usecase_at(size_t i)
{
    for (size_t g = 0; groups[g] != NULL; g++)
        for (const keta_usecase *u = groups[g]; u->name != NULL; u++)
            if (i-- == 0)
                return u;
    return NULL;
}

const keta_usecase *keta_usecase_find(const char *name)
{
    if (name == NULL)
        return NULL;
    const keta_usecase *u;
    for (size_t i = 0; (u = keta_usecase_at(i)) != NULL; i++)
        if (strcmp(u->name, name) == 0)
            return u;
    return NULL;
}

const keta_usecase *keta_usecase_of_command(const char *group, const char *verb)
{
    char name[96];
    if (group == NULL || verb == NULL || verb[0] == '-' ||
        (size_t)snprintf(name, sizeof name, "%s.%s", group, verb) >= sizeof name)
        return NULL;
    for (char *p = name + strlen(group) + 1; *p != '\0'; p++)
        if (*p == '-')
            *p = '_';
    return keta_usecase_find(name);
}

bool keta_usecase_group_exists(const char *group)
{
    size_t n = group != NULL ? strlen(group) : 0;
    const keta_usecase *u;
    for (size_t i = 0; n > 0 && (u = keta_usecase_at(i)) != NULL; i++)
        if (strncmp(u->name, group, n) == 0 && u->name[n] == '.')
            return true;
    return false;
}

bool keta_usecase_parse_id(const char *s, int64_t *out)
{
    char *end;
    *out = 0;
    if (s == NULL || s[0] < '1' || s[0] > '9' || strlen(s) > 16)
        return false;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v <= 0 || v > (1LL << 53))
        return false;
    *out = (int64_t)v;
    return true;
}

/* ---- helpers of the adapters ----------------------------------------------------------------- */

keta_err keta__uc_string(const json_t *body, const char *key, bool optional, const char **out,
                         keta_error *err)
{
    const json_t *v = json_object_get(body, key);
    if (v == NULL && optional) {
        *out = "";
        return KETA_OK;
    }
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
        char field[80];
        (void)snprintf(field, sizeof field, "/%s", key);
        return keta_error_set(err, KETA_ETYPE, field, "expected a string, got %s",
                              keta_json_type_name(v));
    }
    *out = json_string_value(v);
    return KETA_OK;
}

keta_err keta__uc_answer(json_t *v, json_t **out)
{
    *out = v;
    return v != NULL ? KETA_OK : KETA_ENOMEM;
}

keta_err keta__uc_created(int64_t id, json_t **out)
{
    return keta__uc_answer(json_pack("{s:I}", "id", (json_int_t)id), out);
}

keta_err keta__uc_list(const char *name, json_t *items, json_t **out)
{
    *out = NULL;
    if (items == NULL)
        return KETA_ENOMEM;
    return keta__uc_answer(json_pack("{s:o}", name, items), out);
}

keta_err keta__uc_set_opt_string(json_t *o, const char *key, const char *s)
{
    return keta_json_set(o, key, s != NULL && s[0] != '\0' ? json_string(s) : json_null());
}

keta_err keta__uc_no_body(const json_t *body, keta_error *err)
{
    static const char *const none[] = {NULL};
    if (body == NULL)
        return KETA_OK;
    return keta_json_check_keys(body, "", none, none, err);
}
