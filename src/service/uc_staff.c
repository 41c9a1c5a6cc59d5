/*
 * Use cases in JSON: staff administration, break-glass and the policy read
 * (include/keta/usecase.h; the service in src/service/staff.c and accounts.c). No answer
 * carries a password or a hash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uc_internal.h"

#define FD KETA_ROLE_BIT(FRONT_DESK)
#define NU KETA_ROLE_BIT(NURSE)
#define PR KETA_ROLE_BIT(PRESCRIBER)
#define TH KETA_ROLE_BIT(THERAPIST)
#define AD KETA_ROLE_BIT(ADMIN)

static json_t *user_json(const keta_user *u)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:b, s:s}", "id", (json_int_t)u->id, "username",
                          u->username, "display_name", u->display_name, "role", u->role, "active",
                          u->active, "created_at", u->created_at);
    if (o != NULL && keta_json_set(o, "patient_id",
                                   u->patient_id > 0 ? json_integer(u->patient_id) : json_null())) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int user_row(void *ctx, const keta_user *u)
{
    json_t *o = user_json(u);
    return o != NULL && keta_json_push(ctx, o) == KETA_OK ? 0 : 1;
}

static keta_err staff_list(keta_service *svc, const keta_actor *actor,
                           const keta_usecase_call *call, json_t **out, keta_error *err)
{
    (void)call;
    json_t *arr = json_array();
    if (arr == NULL)
        return KETA_ENOMEM;
    keta_err rc = keta_service_list_staff(svc, actor, user_row, arr, err);
    if (rc != KETA_OK) {
        json_decref(arr);
        return rc;
    }
    return keta__uc_list("staff", arr, out);
}

static keta_err role_of(const json_t *body, keta_role *out, keta_error *err)
{
    const char *name = NULL;
    keta_err rc = keta__uc_string(body, "role", false, &name, err);
    return rc == KETA_OK ? keta_role_parse(name, "/role", out, err) : rc;
}

static keta_err staff_create(keta_service *svc, const keta_actor *actor,
                             const keta_usecase_call *call, json_t **out, keta_error *err)
{
    static const char *const keys[] = {"username", "display_name", "role",
                                       "password", "patient_id",   NULL};
    static const char *const required[] = {"username", "display_name", "role", "password", NULL};
    const json_t *b = call->body;
    keta_new_user in;
    memset(&in, 0, sizeof in);
    keta_err rc = keta_json_check_keys(b, "", keys, required, err);
    if (rc == KETA_OK)
        rc = keta__uc_string(b, "username", false, &in.username, err);
    if (rc == KETA_OK)
        rc = keta__uc_string(b, "display_name", false, &in.display_name, err);
    if (rc == KETA_OK)
        rc = role_of(b, &in.role, err);
    if (rc == KETA_OK)
        rc = keta__uc_string(b, "password", false, &in.password, err);
    if (rc == KETA_OK)
        rc = keta_json_get_int(b, "", "patient_id", 1, INT64_MAX, true, &in.patient_id, NULL, err);
    int64_t id = 0;
    if (rc == KETA_OK)
        rc = keta_service_create_user(svc, actor, &in, &id, err);
    return rc == KETA_OK ? keta__uc_created(id, out) : rc;
}

static keta_err staff_update(keta_service *svc, const keta_actor *actor,
                             const keta_usecase_call *call, json_t **out, keta_error *err)
{
    static const char *const keys[] = {"role", "disabled", NULL};
    static const char *const none[] = {NULL};
    const json_t *b = call->body;
    keta_user_change c;
    memset(&c, 0, sizeof c);
    keta_err rc = keta_json_check_keys(b, "", keys, none, err);
    if (rc == KETA_OK && json_object_get(b, "role") != NULL) {
        c.set_role = true;
        rc = role_of(b, &c.role, err);
    }
    const json_t *d = json_object_get(b, "disabled");
    if (rc == KETA_OK && d != NULL) {
        if (!json_is_boolean(d))
            rc = keta_error_set(err, KETA_ETYPE, "/disabled", "expected true or false, got %s",
                                keta_json_type_name(d));
        c.set_active = true;
        c.active = !json_is_true(d);
    }
    if (rc == KETA_OK)
        rc = keta_service_update_user(svc, actor, call->id[0], &c, err);
    if (rc != KETA_OK)
        return rc;
    json_t *o = json_pack("{s:I}", "id", (json_int_t)call->id[0]);
    if (o == NULL)
        return KETA_ENOMEM;
    if (c.set_role)
        rc = keta_json_set(o, "role", json_string(keta_role_name(c.role)));
    if (rc == KETA_OK && c.set_active)
        rc = keta_json_set(o, "disabled", json_boolean(!c.active));
    if (rc != KETA_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return KETA_OK;
}

/* An admin's reset ({"password"}) of any account of the site, or anyone's change of their
   own ({"old_password","new_password"}, user_id their own). */
static keta_err staff_password(keta_service *svc, const keta_actor *actor,
                               const keta_usecase_call *call, json_t **out, keta_error *err)
{
    static const char *const reset_keys[] = {"password", NULL};
    static const char *const change_keys[] = {"old_password", "new_password", NULL};
    const json_t *b = call->body;
    bool change = json_object_get(b, "old_password") != NULL;
    keta_err rc = keta_json_check_keys(b, "", change ? change_keys : reset_keys,
                                       change ? change_keys : reset_keys, err);
    const char *pw = NULL, *old = NULL;
    if (rc == KETA_OK && change && (actor == NULL || call->id[0] != actor->user_id))
        rc = keta_error_set(err, KETA_EINVAL, "/old_password",
                            "only your own password is changed with the current one; an admin "
                            "resets others with {\"password\"}");
    if (rc == KETA_OK && change)
        rc = keta__uc_string(b, "old_password", false, &old, err);
    if (rc == KETA_OK)
        rc = keta__uc_string(b, change ? "new_password" : "password", false, &pw, err);
    if (rc == KETA_OK)
        rc = change ? keta_service_change_password(svc, actor, old, pw, err)
                    : keta_service_reset_password(svc, actor, call->id[0], pw, err);
    return rc == KETA_OK ? keta__uc_answer(json_pack("{s:I, s:b}", "id", (json_int_t)call->id[0],
                                                     "password_changed", 1),
                                           out)
                         : rc;
}

/* ---- break-glass ------------------------------------------------------------------------------
 */

static json_t *break_glass_json(const keta_break_glass *g)
{
    return json_pack("{s:I, s:I, s:I, s:s, s:s, s:s}", "id", (json_int_t)g->id, "user_id",
                     (json_int_t)g->user_id, "patient_id", (json_int_t)g->patient_id, "reason",
                     g->reason, "opened_at", g->opened_at, "expires_at", g->expires_at);
}

static keta_err breakglass_open(keta_service *svc, const keta_actor *actor,
                                const keta_usecase_call *call, json_t **out, keta_error *err)
{
    static const char *const keys[] = {"reason", "minutes", NULL};
    const char *reason = NULL;
    int64_t minutes = 0;
    keta_err rc = keta_json_check_keys(call->body, "", keys, keys, err);
    if (rc == KETA_OK)
        rc = keta__uc_string(call->body, "reason", false, &reason, err);
    if (rc == KETA_OK) /* the service checks the policy's bound */
        rc = keta_json_get_int(call->body, "", "minutes", 1, 1440, false, &minutes, NULL, err);
    keta_break_glass g;
    if (rc == KETA_OK)
        rc = keta_service_open_break_glass(svc, actor, call->id[0], reason, (int)minutes, &g, err);
    return rc == KETA_OK ? keta__uc_answer(break_glass_json(&g), out) : rc;
}

static int break_glass_row(void *ctx, const keta_break_glass *g)
{
    json_t *o = break_glass_json(g);
    return o != NULL && keta_json_push(ctx, o) == KETA_OK ? 0 : 1;
}

static const char *const limit_query[] = {"limit", NULL};

static keta_err breakglass_list(keta_service *svc, const keta_actor *actor,
                                const keta_usecase_call *call, json_t **out, keta_error *err)
{
    int64_t limit = 100;
    if (call->query[0] != NULL && !keta_usecase_parse_id(call->query[0], &limit))
        return keta_error_set(err, KETA_EINVAL, "limit", "limit is a whole number 1 to 1000");
    json_t *arr = json_array();
    if (arr == NULL)
        return KETA_ENOMEM;
    keta_err rc = keta_service_list_break_glass(svc, actor, limit, break_glass_row, arr, err);
    if (rc != KETA_OK) {
        json_decref(arr);
        return rc;
    }
    return keta__uc_list("break_glass", arr, out);
}

/* ---- policy --------------------------------------------------------------------------------- */

static keta_err policy_get(keta_service *svc, const keta_actor *actor,
                           const keta_usecase_call *call, json_t **out, keta_error *err)
{
    (void)call;
    return keta_service_policy_json(svc, actor, out, err);
}

const keta_usecase keta__uc_staff[] = {
    {"staff.list", "GET", "/api/v1/staff", AD, 0, 200, NULL, staff_list,
     "the accounts of the site, without passwords (user.admin)"},
    {"staff.create", "POST", "/api/v1/staff", AD, KETA__UC_SMALL_BODY, 201, NULL, staff_create,
     "create an account (user.admin)"},
    {"staff.update", "POST", "/api/v1/staff/{user_id}", AD, KETA__UC_SMALL_BODY, 200, NULL,
     staff_update, "change an account's role and/or disable or enable it (user.admin)"},
    {"staff.password", "POST", "/api/v1/staff/{user_id}/password", KETA_ROLES_ANYONE,
     KETA__UC_SMALL_BODY, 200, NULL, staff_password,
     "reset an account's password (user.admin), or change your own with the current one"},
    {"breakglass.open", "POST", "/api/v1/patients/{patient_id}/break-glass", FD | NU | PR | TH,
     KETA__UC_SMALL_BODY, 201, NULL, breakglass_open,
     "declare emergency access to one patient with a reason, for a bounded time "
     "(break_glass.open; audited, alerts)"},
    {"breakglass.list", "GET", "/api/v1/break-glass", AD, 0, 200, limit_query, breakglass_list,
     "the site's break-glass declarations, newest first (audit.review)"},
    {"policy.get", "GET", "/api/v1/policy", NU | PR | TH | AD, 0, 200, NULL, policy_get,
     "the clinic policy: every rule with its value, default, range and source"},
    {0},
};
