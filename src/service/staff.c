/*
 * Staff administration (list, disable/enable, role, password reset and change), the
 * break-glass emergency access procedure (HIPAA 164.312(a); reference clinic.md §5 and §6
 * scenario 18) and the policy read. Every change is written with its audit entry in one
 * transaction; every refusal is audited.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* ---- accounts ---------------------------------------------------------------------------------
 */

keta_err keta_service_list_staff(keta_service *svc, const keta_actor *actor, keta_user_fn fn,
                                 void *ctx, keta_error *err)
{
    keta_err rc =
        svc__authorize(svc, actor, KETA_PERM_USER_ADMIN, "user.list", "staff_user", 0, 0, err);
    if (rc)
        return rc;
    keta_tx *tx;
    if ((rc = svc__begin(svc, actor, &tx, err)))
        return rc;
    if ((rc = keta_store_user_list(tx, actor->site_id, fn, ctx, err))) {
        keta_tx_rollback(tx);
        return rc;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "user.list", "staff_user", 0, 0);
    return svc__commit_audited(tx, &e, err);
}

/* Begin as actor on account user_id of the actor's site (*u); refuse (audited) another site. */
static keta_err begin_on_user(keta_service *svc, const keta_actor *actor, int64_t user_id,
                              const char *action, keta_tx **tx, keta_user *u, keta_error *err)
{
    keta_err rc = svc__begin(svc, actor, tx, err);
    if (rc)
        return rc;
    if ((rc = keta_store_user_get(*tx, user_id, u, err))) {
        keta_tx_rollback(*tx);
        if (rc == KETA_ENOTFOUND)
            rc = keta_error_set(err, rc, "/user_id", "account %lld does not exist",
                                (long long)user_id);
        return rc;
    }
    if (u->site_id != actor->site_id) {
        keta_tx_rollback(*tx);
        return svc__deny(svc, actor, action, "staff_user", user_id, 0,
                         "the account is at another site", err);
    }
    return KETA_OK;
}

keta_err keta_service_update_user(keta_service *svc, const keta_actor *actor, int64_t user_id,
                                  const keta_user_change *chg, keta_error *err)
{
    const char *action = chg->set_role ? "user.role" : chg->active ? "user.enable" : "user.disable";
    keta_err rc =
        svc__authorize(svc, actor, KETA_PERM_USER_ADMIN, action, "staff_user", user_id, 0, err);
    if (rc)
        return rc;
    if (!chg->set_role && !chg->set_active)
        return keta_error_set(err, KETA_EINVAL, "", "name a change: role, disabled or both");
    if (chg->set_role &&
        ((unsigned)chg->role >= (unsigned)KETA_ROLE_COUNT || chg->role == KETA_ROLE_PATIENT))
        return keta_error_set(err, KETA_EINVAL, "/role",
                              "a staff role is front_desk, nurse, prescriber, therapist or admin");
    if (chg->set_role && user_id == actor->user_id)
        return keta_error_set(err, KETA_EINVAL, "/role",
                              "you cannot change your own role (another admin can)");
    if (chg->set_active && !chg->active && user_id == actor->user_id)
        return keta_error_set(err, KETA_EINVAL, "/disabled",
                              "you cannot disable your own account (another admin can)");
    keta_tx *tx;
    keta_user u;
    if ((rc = begin_on_user(svc, actor, user_id, action, &tx, &u, err)))
        return rc;
    const char *to = chg->set_role ? keta_role_name(chg->role) : u.role;
    if (chg->set_role && strcmp(u.role, "patient") == 0)
        rc = keta_error_set(err, KETA_EINVAL, "/role",
                            "account %s is a patient's own account; it keeps its role", u.username);
    else if ((!chg->set_role || strcmp(u.role, to) == 0) &&
             (!chg->set_active || u.active == chg->active))
        rc = keta_error_set(err, KETA_ECONFLICT, chg->set_role ? "/role" : "/disabled",
                            "account %s is already so (role %s, %s)", u.username, u.role,
                            u.active ? "enabled" : "disabled");
    if (rc == KETA_OK && chg->set_role && strcmp(u.role, to) != 0)
        rc = keta_store_user_set_role(tx, user_id, to, err);
    if (rc == KETA_OK && chg->set_active && u.active != chg->active)
        rc = keta_store_user_set_active(tx, user_id, chg->active, err);
    keta_audit_entry e;
    if (rc == KETA_OK && chg->set_role && strcmp(u.role, to) != 0) {
        svc__audit_init(svc, &e, actor, "user.role", "staff_user", user_id, 0);
        (void)snprintf(e.detail, sizeof e.detail, "account %s: role %s -> %s", u.username, u.role,
                       to);
        rc = keta_store_audit_append(tx, &e, NULL, err);
    }
    if (rc == KETA_OK && chg->set_active && u.active != chg->active) {
        svc__audit_init(svc, &e, actor, chg->active ? "user.enable" : "user.disable", "staff_user",
                        user_id, u.patient_id);
        (void)snprintf(e.detail, sizeof e.detail, "account %s", u.username);
        rc = keta_store_audit_append(tx, &e, NULL, err);
    }
    if (rc) {
        keta_tx_rollback(tx);
        return rc;
    }
    return keta_tx_commit(tx, err);
}

keta_err keta_service_set_user_active(keta_service *svc, const keta_actor *actor, int64_t user_id,
                                      bool active, keta_error *err)
{
    keta_user_change c = {.set_active = true, .active = active};
    return keta_service_update_user(svc, actor, user_id, &c, err);
}

keta_err keta_service_set_user_role(keta_service *svc, const keta_actor *actor, int64_t user_id,
                                    keta_role role, keta_error *err)
{
    keta_user_change c = {.set_role = true, .role = role};
    return keta_service_update_user(svc, actor, user_id, &c, err);
}

keta_err keta_service_reset_password(keta_service *svc, const keta_actor *actor, int64_t user_id,
                                     const char *new_password, keta_error *err)
{
    keta_err rc = svc__authorize(svc, actor, KETA_PERM_USER_ADMIN, "user.password_reset",
                                 "staff_user", user_id, 0, err);
    if (rc)
        return rc;
    char hash[crypto_pwhash_STRBYTES];
    if ((rc = svc__hash_password(svc, new_password, "/password", hash, err)))
        return rc;
    keta_tx *tx;
    keta_user u;
    if ((rc = begin_on_user(svc, actor, user_id, "user.password_reset", &tx, &u, err)))
        goto out;
    if ((rc = keta_store_user_set_password_hash(tx, user_id, hash, err))) {
        keta_tx_rollback(tx);
        goto out;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "user.password_reset", "staff_user", user_id, u.patient_id);
    (void)snprintf(e.detail, sizeof e.detail, "account %s", u.username);
    rc = svc__commit_audited(tx, &e, err);
out:
    sodium_memzero(hash, sizeof hash);
    return rc;
}

keta_err keta_service_change_password(keta_service *svc, const keta_actor *actor,
                                      const char *old_password, const char *new_password,
                                      keta_error *err)
{
    if (actor == NULL)
        return keta_error_set(err, KETA_EAUTH, NULL, "no authenticated user");
    size_t old_len = old_password != NULL ? strnlen(old_password, KETA_PASSWORD_MAX + 1) : 0;
    if (new_password != NULL && old_password != NULL && strcmp(old_password, new_password) == 0)
        return keta_error_set(err, KETA_EINVAL, "/new_password",
                              "the new password must differ from the current one");
    char hash[crypto_pwhash_STRBYTES] = "";
    char fresh[crypto_pwhash_STRBYTES] = "";
    keta_err rc = svc__hash_password(svc, new_password, "/new_password", fresh, err);
    if (rc)
        return rc;
    keta_tx *tx;
    keta_user u;
    keta_error lerr;
    if ((rc = svc__begin(svc, actor, &tx, err)))
        goto out;
    rc = keta_store_user_get_by_name(tx, actor->username, &u, hash, sizeof hash, &lerr);
    if (rc == KETA_OK && u.id != actor->user_id)
        rc = KETA_ENOTFOUND;
    if (rc != KETA_OK) {
        keta_tx_rollback(tx);
        rc = keta_error_set(err, rc == KETA_ENOTFOUND ? KETA_EAUTH : rc, NULL,
                            "account %s cannot be read", actor->username);
        goto out;
    }
    bool verified = false;
    if (old_len > 0 && old_len <= KETA_PASSWORD_MAX) {
        svc__pwhash_enter();
        verified = crypto_pwhash_str_verify(hash, old_password, old_len) == 0;
        svc__pwhash_leave();
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "user.password_change", "staff_user", actor->user_id, 0);
    if (!verified) {
        keta_tx_rollback(tx);
        (void)snprintf(e.outcome, sizeof e.outcome, "failure");
        (void)snprintf(e.detail, sizeof e.detail, "wrong current password");
        keta_error aerr;
        if ((rc = keta_store_begin(svc->store, true, &tx, &aerr)) == KETA_OK)
            rc = svc__commit_audited(tx, &e, &aerr);
        if (rc != KETA_OK)
            rc = keta_error_set(err, KETA_EDB, NULL,
                                "wrong current password, and the refusal could not be audited: %s",
                                aerr.message);
        else
            rc = keta_error_set(err, KETA_EAUTH, "/old_password", "the current password is wrong");
        goto out;
    }
    if ((rc = keta_store_user_set_password_hash(tx, actor->user_id, fresh, err))) {
        keta_tx_rollback(tx);
        goto out;
    }
    rc = svc__commit_audited(tx, &e, err);
out:
    sodium_memzero(hash, sizeof hash);
    sodium_memzero(fresh, sizeof fresh);
    return rc;
}

/* ---- break-glass ------------------------------------------------------------------------------
 */

#define BREAK_GLASS_RULE "break_glass.max_min"

keta_err keta_service_open_break_glass(keta_service *svc, const keta_actor *actor,
                                       int64_t patient_id, const char *reason, int minutes,
                                       keta_break_glass *out, keta_error *err)
{
    keta_err rc = svc__authorize(svc, actor, KETA_PERM_BREAK_GLASS, "break_glass.open",
                                 "break_glass", 0, patient_id, err);
    if (rc || (rc = svc__check_text(reason, KETA_TEXT_MAX, "/reason", err)))
        return rc;
    int max_min = svc->policy.break_glass.max_min;
    if (minutes < 1 || minutes > max_min)
        return keta_error_set(err, KETA_ERANGE, "/minutes",
                              "break-glass lasts 1 to %d minutes (policy %s); got %d", max_min,
                              BREAK_GLASS_RULE, minutes);
    keta_break_glass b = {.user_id = actor->user_id, .patient_id = patient_id};
    (void)snprintf(b.reason, sizeof b.reason, "%s", reason);
    int64_t now_ms = svc__now_ms(svc);
    keta_time_format(now_ms, b.opened_at);
    keta_time_format(now_ms + (int64_t)minutes * 60 * 1000, b.expires_at);

    keta_tx *tx;
    keta_patient p;
    if ((rc = svc__begin(svc, actor, &tx, err)) ||
        (rc = svc__load_in_scope(svc, tx, actor, patient_id, "break_glass.open", "break_glass", &p,
                                 err)))
        return rc;
    keta_alert_record a = {.patient_id = patient_id, .raised_by = actor->user_id};
    (void)snprintf(a.kind, sizeof a.kind, "break_glass");
    (void)snprintf(a.rule, sizeof a.rule, BREAK_GLASS_RULE);
    (void)snprintf(a.raised_at, sizeof a.raised_at, "%s", b.opened_at);
    if ((rc = keta_store_break_glass_insert(tx, &b, &b.id, err)) == KETA_OK) {
        (void)snprintf(a.detail, sizeof a.detail,
                       "break-glass access by %s (declaration %lld) until %s: review it",
                       actor->username, (long long)b.id, b.expires_at);
        rc = keta_store_alert_insert(tx, &a, &a.id, err);
    }
    keta_audit_entry e;
    keta_audit_entry ae;
    svc__audit_init(svc, &e, actor, "break_glass.open", "break_glass", b.id, patient_id);
    /* The reason stays in the declaration (it may name clinical facts); the log says how long. */
    (void)snprintf(e.detail, sizeof e.detail, "break_glass: %d min, until %s", minutes,
                   b.expires_at);
    svc__audit_init(svc, &ae, actor, "alert.raise", "alert", a.id, patient_id);
    (void)snprintf(ae.detail, sizeof ae.detail, "rule %s", BREAK_GLASS_RULE);
    if (rc == KETA_OK)
        rc = keta_store_audit_append(tx, &e, NULL, err);
    if (rc != KETA_OK) {
        keta_tx_rollback(tx);
        return rc;
    }
    if ((rc = svc__commit_audited(tx, &ae, err)))
        return rc;
    if (out != NULL)
        *out = b;
    return KETA_OK;
}

keta_err keta_service_list_break_glass(keta_service *svc, const keta_actor *actor, int64_t limit,
                                       keta_break_glass_fn fn, void *ctx, keta_error *err)
{
    keta_err rc = svc__authorize(svc, actor, KETA_PERM_AUDIT_REVIEW, "break_glass.list",
                                 "break_glass", 0, 0, err);
    if (rc)
        return rc;
    if (limit < 1 || limit > 1000)
        return keta_error_set(err, KETA_ERANGE, "/limit", "limit is 1 to 1000, got %lld",
                              (long long)limit);
    keta_tx *tx;
    if ((rc = svc__begin(svc, actor, &tx, err)))
        return rc;
    if ((rc = keta_store_break_glass_list(tx, actor->site_id, limit, fn, ctx, err))) {
        keta_tx_rollback(tx);
        return rc;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "break_glass.list", "break_glass", 0, 0);
    return svc__commit_audited(tx, &e, err);
}

bool svc__break_glass_grants(keta_service *svc, const keta_actor *actor, keta_permission perm,
                             const char *action, const char *entity, int64_t entity_id,
                             int64_t patient_id)
{
    if (actor == NULL || !keta_role_can(actor->role, KETA_PERM_BREAK_GLASS))
        return false;
    if (perm != KETA_PERM_PATIENT_READ && perm != KETA_PERM_VITALS_READ &&
        perm != KETA_PERM_NOTE_CLINICAL_READ)
        return false;
    keta_tx *tx;
    keta_error lerr;
    if (svc__begin(svc, actor, &tx, &lerr) != KETA_OK)
        return false;
    keta_err rc = KETA_OK;
    if (patient_id == 0 && entity != NULL && strcmp(entity, "treatment_session") == 0)
        rc = keta_store_session_patient(tx, entity_id, &patient_id, &lerr);
    char now[KETA_TIME_LEN];
    svc__now(svc, now);
    keta_break_glass b;
    if (rc == KETA_OK && patient_id > 0)
        rc = keta_store_break_glass_active(tx, actor->user_id, patient_id, now, &b, &lerr);
    if (rc != KETA_OK || patient_id <= 0) {
        keta_tx_rollback(tx);
        return false;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "break_glass.access", entity != NULL ? entity : "", entity_id,
                    patient_id);
    (void)snprintf(e.detail, sizeof e.detail, "break_glass: declaration %lld grants %s for %s",
                   (long long)b.id, keta_permission_name(perm), action != NULL ? action : "");
    return svc__commit_audited(tx, &e, &lerr) == KETA_OK;
}

/* ---- policy -----------------------------------------------------------------------------------
 */

keta_err keta_service_policy_json(keta_service *svc, const keta_actor *actor, json_t **out,
                                  keta_error *err)
{
    *out = NULL;
    if (actor == NULL)
        return keta_error_set(err, KETA_EAUTH, NULL, "no authenticated user");
    if (!keta_role_can(actor->role, KETA_PERM_POLICY_CONFIGURE) &&
        !keta_role_can(actor->role, KETA_PERM_ASSESSMENT_RECORD)) {
        keta_err rc = svc__authorize(svc, actor, KETA_PERM_POLICY_CONFIGURE, "policy.read",
                                     "policy", 0, 0, err);
        if (rc)
            return rc;
    }
    keta_err rc = keta_policy_to_json(&svc->policy, out);
    if (rc != KETA_OK)
        return keta_error_set(err, rc, NULL, "cannot encode the policy");
    return KETA_OK;
}
