/*
 * Accounts: argon2id passwords (libsodium crypto_pwhash_str), login, the first admin, new
 * accounts. A password hash is read from the store here and nowhere else, and never
 * returned or logged.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define LOGIN_FAILED "unknown user or wrong password"

/* Usernames: 1-63 of [a-z0-9._-], starting with a letter. */
static keta_err check_username(const char *u, const char *field, keta_error *err)
{
    size_t n = u != NULL ? strnlen(u, KETA_USERNAME_MAX) : 0;
    bool ok = n > 0 && n < KETA_USERNAME_MAX && u[0] >= 'a' && u[0] <= 'z';
    for (size_t i = 0; ok && i < n; i++)
        ok = (u[i] >= 'a' && u[i] <= 'z') || (u[i] >= '0' && u[i] <= '9') || u[i] == '.' ||
             u[i] == '_' || u[i] == '-';
    if (!ok)
        return keta_error_set(err, KETA_EINVAL, field,
                              "a username is 1 to %d of a-z 0-9 . _ - starting with a letter",
                              KETA_USERNAME_MAX - 1);
    return KETA_OK;
}

/* A name tried at login, made safe to keep in the audit log (printable, bounded). */
static void attempted_name(const char *in, char out[KETA_USERNAME_MAX])
{
    size_t i = 0;
    for (; in != NULL && in[i] != '\0' && i < KETA_USERNAME_MAX - 1; i++) {
        if (in[i] >= 0x21 && in[i] < 0x7f)
            out[i] = in[i];
        else
            out[i] = '?';
    }
    out[i] = '\0';
    if (i == 0)
        (void)snprintf(out, KETA_USERNAME_MAX, "(empty)");
}

/* A hash of a random password at the current settings, to spend the same time on an
   unknown name as on a known one. Made once, on the first unknown name. */
static keta_err dummy_hash(keta_service *svc, char out[crypto_pwhash_STRBYTES])
{
    keta_err rc = KETA_OK;
    pthread_mutex_lock(&svc->mu);
    if (!svc->dummy_ready) {
        unsigned char pw[32];
        randombytes_buf(pw, sizeof pw);
        svc__pwhash_enter();
        int bad = crypto_pwhash_str(svc->dummy_hash, (const char *)pw, sizeof pw,
                                    svc->opt.pwhash_opslimit, svc->opt.pwhash_memlimit);
        svc__pwhash_leave();
        if (bad == 0)
            svc->dummy_ready = true;
        else
            rc = KETA_ENOMEM;
    }
    memcpy(out, svc->dummy_hash, crypto_pwhash_STRBYTES);
    pthread_mutex_unlock(&svc->mu);
    return rc;
}

keta_err keta_service_authenticate(keta_service *svc, const char *username, const char *password,
                                   keta_actor *actor, keta_error *err)
{
    memset(actor, 0, sizeof *actor);
    char hash[crypto_pwhash_STRBYTES] = "";
    char rehash[crypto_pwhash_STRBYTES] = "";
    keta_user u;
    memset(&u, 0, sizeof u);
    bool known = false;
    const char *why = NULL;
    keta_error lerr;
    size_t pw_len = password != NULL ? strnlen(password, KETA_PASSWORD_MAX + 1) : 0;

    /* 1. The account, in a short read transaction (no lock held while hashing). */
    if (check_username(username, "/username", NULL) == KETA_OK) {
        keta_tx *tx;
        keta_err rc = keta_store_begin(svc->store, false, &tx, err);
        if (rc != KETA_OK)
            return rc;
        rc = keta_store_user_get_by_name(tx, username, &u, hash, sizeof hash, &lerr);
        keta_tx_rollback(tx);
        if (rc == KETA_OK)
            known = true;
        else if (rc != KETA_ENOTFOUND)
            return keta_error_set(err, rc, NULL, "%s", lerr.message);
    }

    /* 2. The password, against the account's hash or a dummy one (same cost either way). */
    bool verified = false;
    if (!known && dummy_hash(svc, hash) != KETA_OK)
        return keta_error_set(err, KETA_ENOMEM, NULL, "not enough memory to check a password");
    if (pw_len > 0 && pw_len <= KETA_PASSWORD_MAX) {
        svc__pwhash_enter();
        verified = crypto_pwhash_str_verify(hash, password, pw_len) == 0;
        svc__pwhash_leave();
    }
    keta_role role = KETA_ROLE_FRONT_DESK;
    if (!known)
        why = "unknown user";
    else if (!verified)
        why = "wrong password";
    else if (!u.active)
        why = "account disabled";
    else if (keta_role_parse(u.role, "role", &role, NULL) != KETA_OK)
        why = "account has an unknown role";

    /* 3. A hash made at other settings is remade at the current ones. */
    if (why == NULL && crypto_pwhash_str_needs_rehash(hash, svc->opt.pwhash_opslimit,
                                                      svc->opt.pwhash_memlimit) != 0) {
        svc__pwhash_enter();
        if (crypto_pwhash_str(rehash, password, pw_len, svc->opt.pwhash_opslimit,
                              svc->opt.pwhash_memlimit) != 0)
            rehash[0] = '\0'; /* keep the old hash; the login still succeeds */
        svc__pwhash_leave();
    }
    sodium_memzero(hash, sizeof hash);

    /* 4. The audit entry (and the new hash) in one write transaction. */
    keta_actor who = {
        .user_id = u.id, .site_id = u.site_id, .patient_id = u.patient_id, .role = role};
    if (known)
        (void)snprintf(who.username, sizeof who.username, "%s", u.username);
    else
        attempted_name(username, who.username);
    keta_audit_entry e;
    svc__audit_init(svc, &e, known ? &who : NULL, "auth.login", "staff_user", u.id, 0);
    if (!known) {
        (void)snprintf(e.actor, sizeof e.actor, "%s", who.username);
    }
    if (why != NULL) {
        (void)snprintf(e.outcome, sizeof e.outcome, "failure");
        (void)snprintf(e.detail, sizeof e.detail, "%s", why);
    }
    keta_tx *tx;
    keta_err rc = keta_store_begin(svc->store, true, &tx, err);
    if (rc != KETA_OK)
        goto out;
    if (rehash[0] != '\0') {
        rc = keta_store_user_set_password_hash(tx, u.id, rehash, err);
        if (rc != KETA_OK) {
            keta_tx_rollback(tx);
            goto out;
        }
    }
    rc = svc__commit_audited(tx, &e, err);
    if (rc == KETA_OK && why != NULL)
        rc = keta_error_set(err, KETA_EAUTH, "/username", LOGIN_FAILED);
    if (rc == KETA_OK)
        *actor = who;
out:
    sodium_memzero(rehash, sizeof rehash);
    return rc;
}

keta_err keta_service_bootstrap(keta_service *svc, const char *site_name,
                                const char *admin_username, const char *password, keta_actor *admin,
                                keta_error *err)
{
    keta_err rc;
    memset(admin, 0, sizeof *admin);
    if ((rc = svc__check_text(site_name, KETA_NAME_MAX, "/site", err)) ||
        (rc = check_username(admin_username, "/admin", err)))
        return rc;
    char hash[crypto_pwhash_STRBYTES];
    if ((rc = svc__hash_password(svc, password, "/password", hash, err)))
        return rc;
    char now[KETA_TIME_LEN];
    svc__now(svc, now);
    keta_tx *tx;
    if ((rc = keta_store_begin(svc->store, true, &tx, err)))
        return rc;
    int64_t users;
    keta_site site = {0};
    keta_user u = {0};
    if ((rc = keta_store_user_count(tx, &users, err)))
        goto fail;
    if (users > 0) {
        rc = keta_error_set(err, KETA_ECONFLICT, "db",
                            "the database already has %lld account%s: it was initialised before",
                            (long long)users, users == 1 ? "" : "s");
        goto fail;
    }
    (void)snprintf(site.name, sizeof site.name, "%s", site_name);
    (void)snprintf(site.created_at, sizeof site.created_at, "%s", now);
    if ((rc = keta_store_site_insert(tx, &site, &site.id, err)))
        goto fail;
    u.site_id = site.id;
    (void)snprintf(u.username, sizeof u.username, "%s", admin_username);
    (void)snprintf(u.display_name, sizeof u.display_name, "%s", admin_username);
    (void)snprintf(u.role, sizeof u.role, "admin");
    u.active = true;
    (void)snprintf(u.created_at, sizeof u.created_at, "%s", now);
    if ((rc = keta_store_user_insert(tx, &u, hash, &u.id, err)))
        goto fail;
    keta_audit_entry e;
    svc__audit_init(svc, &e, NULL, "db.init", "staff_user", u.id, 0);
    (void)snprintf(e.detail, sizeof e.detail, "first site %lld and admin account created",
                   (long long)site.id);
    sodium_memzero(hash, sizeof hash);
    if ((rc = svc__commit_audited(tx, &e, err)))
        return rc;
    *admin = (keta_actor){.user_id = u.id, .site_id = site.id, .role = KETA_ROLE_ADMIN};
    (void)snprintf(admin->username, sizeof admin->username, "%s", u.username);
    return KETA_OK;
fail:
    sodium_memzero(hash, sizeof hash);
    keta_tx_rollback(tx);
    return rc;
}

keta_err keta_service_create_user(keta_service *svc, const keta_actor *actor,
                                  const keta_new_user *in, int64_t *id, keta_error *err)
{
    keta_err rc =
        svc__authorize(svc, actor, KETA_PERM_USER_ADMIN, "user.create", "staff_user", 0, 0, err);
    if (rc)
        return rc;
    if ((rc = check_username(in->username, "/username", err)) ||
        (rc = svc__check_text(in->display_name, KETA_NAME_MAX, "/display_name", err)))
        return rc;
    if ((unsigned)in->role >= (unsigned)KETA_ROLE_COUNT)
        return keta_error_set(err, KETA_EINVAL, "/role", "unknown role %d", (int)in->role);
    if ((in->role == KETA_ROLE_PATIENT) != (in->patient_id > 0))
        return keta_error_set(err, KETA_EINVAL, "/patient_id",
                              in->role == KETA_ROLE_PATIENT
                                  ? "a patient account names the patient it belongs to"
                                  : "only a patient account names a patient");
    char hash[crypto_pwhash_STRBYTES];
    if ((rc = svc__hash_password(svc, in->password, "/password", hash, err)))
        return rc;
    keta_user u = {.site_id = actor->site_id, .patient_id = in->patient_id, .active = true};
    (void)snprintf(u.username, sizeof u.username, "%s", in->username);
    (void)snprintf(u.display_name, sizeof u.display_name, "%s", in->display_name);
    (void)snprintf(u.role, sizeof u.role, "%s", keta_role_name(in->role));
    svc__now(svc, u.created_at);
    keta_tx *tx;
    if ((rc = svc__begin(svc, actor, &tx, err))) {
        sodium_memzero(hash, sizeof hash);
        return rc;
    }
    if (in->patient_id > 0) {
        keta_patient p;
        bool in_scope;
        rc = svc__patient_in_scope(tx, actor, in->patient_id, &p, &in_scope, err);
        if (rc == KETA_OK && !in_scope)
            rc = keta_error_set(err, KETA_EDENIED, "/patient_id", "patient %lld is at another site",
                                (long long)in->patient_id);
    }
    if (rc == KETA_OK)
        rc = keta_store_user_insert(tx, &u, hash, &u.id, err);
    sodium_memzero(hash, sizeof hash);
    if (rc == KETA_ECONFLICT)
        rc = keta_error_set(err, KETA_ECONFLICT, "/username", "username %s is taken", u.username);
    if (rc != KETA_OK) {
        keta_tx_rollback(tx);
        return rc;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "user.create", "staff_user", u.id, in->patient_id);
    (void)snprintf(e.detail, sizeof e.detail, "role %s", u.role);
    if ((rc = svc__commit_audited(tx, &e, err)))
        return rc;
    if (id != NULL)
        *id = u.id;
    return KETA_OK;
}
