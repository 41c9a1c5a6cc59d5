/* The service handle and the steps every use case shares. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Default argon2id cost: see keta_service_options. */
#define PWHASH_OPSLIMIT_DEFAULT 3ULL
#define PWHASH_MEMLIMIT_DEFAULT ((size_t)128 * 1024 * 1024)

static int64_t system_clock(void *ctx)
{
    (void)ctx;
    return keta_time_now_ms();
}

keta_err keta_service_open(keta_store *store, const keta_service_options *opt, keta_service **out,
                           keta_error *err)
{
    *out = NULL;
    if (sodium_init() < 0)
        return keta_error_set(err, KETA_EIO, NULL, "libsodium cannot start");
    int version;
    keta_err rc = keta_store_schema_version(store, &version, err);
    if (rc != KETA_OK)
        return rc;
    int latest = keta_store_schema_latest();
    if (version == 0)
        return keta_error_set(err, KETA_ESCHEMA, "db", "the database is empty: run `keta db init`");
    if (version < latest)
        return keta_error_set(err, KETA_ESCHEMA, "db",
                              "the database schema is version %d, older than this keta's %d: "
                              "run `keta db migrate`",
                              version, latest);
    if (version > latest)
        return keta_error_set(err, KETA_ESCHEMA, "db",
                              "the database schema is version %d, newer than this keta's %d: use "
                              "a newer keta",
                              version, latest);
    keta_service *svc = keta_malloc(sizeof *svc);
    if (svc == NULL)
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    memset(svc, 0, sizeof *svc);
    svc->store = store;
    if (opt != NULL)
        svc->opt = *opt;
    if (svc->opt.pwhash_opslimit == 0)
        svc->opt.pwhash_opslimit = PWHASH_OPSLIMIT_DEFAULT;
    if (svc->opt.pwhash_memlimit == 0)
        svc->opt.pwhash_memlimit = PWHASH_MEMLIMIT_DEFAULT;
    if (svc->opt.clock_ms == NULL)
        svc->opt.clock_ms = system_clock;
    if (svc->opt.policy != NULL)
        svc->policy = *svc->opt.policy;
    else
        keta_policy_init(&svc->policy);
    svc->opt.policy = NULL; /* borrowed only during open */
    if ((rc = keta_policy_validate(&svc->policy, err)) != KETA_OK) {
        keta_free(svc);
        return rc;
    }
    if (svc->opt.pwhash_opslimit < crypto_pwhash_OPSLIMIT_MIN ||
        svc->opt.pwhash_memlimit < crypto_pwhash_MEMLIMIT_MIN) {
        keta_free(svc);
        return keta_error_set(err, KETA_ERANGE, "pwhash",
                              "argon2id limits below libsodium's "
                              "minimum");
    }
    if (pthread_mutex_init(&svc->mu, NULL) != 0) {
        keta_free(svc);
        return keta_error_set(err, KETA_ENOMEM, NULL, "cannot create a lock");
    }
    *out = svc;
    return KETA_OK;
}

void keta_service_close(keta_service *svc)
{
    if (svc == NULL)
        return;
    pthread_mutex_destroy(&svc->mu);
    sodium_memzero(svc->dummy_hash, sizeof svc->dummy_hash);
    keta_free(svc);
}

int64_t svc__now_ms(const keta_service *svc)
{
    return svc->opt.clock_ms(svc->opt.clock_ctx);
}

void svc__now(const keta_service *svc, char out[KETA_TIME_LEN])
{
    keta_time_format(svc__now_ms(svc), out);
}

void svc__audit_init(const keta_service *svc, keta_audit_entry *e, const keta_actor *actor,
                     const char *action, const char *entity, int64_t entity_id, int64_t patient_id)
{
    memset(e, 0, sizeof *e);
    svc__now(svc, e->at);
    if (actor != NULL) {
        e->actor_id = actor->user_id;
        (void)snprintf(e->actor, sizeof e->actor, "%s", actor->username);
        (void)snprintf(e->role, sizeof e->role, "%s", keta_role_name(actor->role));
    } else {
        (void)snprintf(e->actor, sizeof e->actor, "system");
    }
    (void)snprintf(e->action, sizeof e->action, "%s", action);
    (void)snprintf(e->entity, sizeof e->entity, "%s", entity);
    e->entity_id = entity_id;
    e->patient_id = patient_id;
    (void)snprintf(e->outcome, sizeof e->outcome, "success");
}

keta_err svc__commit_audited(keta_tx *tx, const keta_audit_entry *e, keta_error *err)
{
    keta_err rc = keta_store_audit_append(tx, e, NULL, err);
    if (rc != KETA_OK) {
        keta_tx_rollback(tx);
        return rc;
    }
    return keta_tx_commit(tx, err);
}

keta_err svc__deny(keta_service *svc, const keta_actor *actor, const char *action,
                   const char *entity, int64_t entity_id, int64_t patient_id, const char *why,
                   keta_error *err)
{
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, action, entity, entity_id, patient_id);
    (void)snprintf(e.outcome, sizeof e.outcome, "failure");
    (void)snprintf(e.detail, sizeof e.detail, "denied: %s", why);
    keta_tx *tx;
    keta_error aerr;
    keta_err rc = keta_store_begin(svc->store, true, &tx, &aerr);
    if (rc == KETA_OK)
        rc = svc__commit_audited(tx, &e, &aerr);
    if (rc != KETA_OK)
        return keta_error_set(err, KETA_EDB, NULL,
                              "access denied (%s), and the refusal could not be audited: %s", why,
                              aerr.message);
    return keta_error_set(err, KETA_EDENIED, NULL, "access denied: %s", why);
}

keta_err svc__authorize(keta_service *svc, const keta_actor *actor, keta_permission perm,
                        const char *action, const char *entity, int64_t entity_id,
                        int64_t patient_id, keta_error *err)
{
    if (actor == NULL)
        return keta_error_set(err, KETA_EAUTH, NULL, "no authenticated user");
    if (keta_role_can(actor->role, perm))
        return KETA_OK;
    if (svc__break_glass_grants(svc, actor, perm, action, entity, entity_id, patient_id))
        return KETA_OK;
    char why[KETA_TEXT_MAX];
    (void)snprintf(why, sizeof why, "role %s lacks permission %s", keta_role_name(actor->role),
                   keta_permission_name(perm));
    return svc__deny(svc, actor, action, entity, entity_id, patient_id, why, err);
}

keta_err svc__begin(keta_service *svc, const keta_actor *actor, keta_tx **tx, keta_error *err)
{
    keta_err rc = keta_store_begin(svc->store, true, tx, err);
    if (rc != KETA_OK)
        return rc;
    keta_user u;
    keta_error uerr;
    rc = keta_store_user_get(*tx, actor->user_id, &u, &uerr);
    if (rc == KETA_OK && (!u.active || strcmp(u.role, keta_role_name(actor->role)) != 0))
        rc = keta_error_set(err, KETA_EAUTH, NULL,
                            "account %s is disabled or its role changed: log in again",
                            actor->username);
    else if (rc == KETA_ENOTFOUND)
        rc = keta_error_set(err, KETA_EAUTH, NULL, "account %s does not exist", actor->username);
    else if (rc != KETA_OK && err != NULL)
        *err = uerr;
    if (rc != KETA_OK) {
        keta_tx_rollback(*tx);
        *tx = NULL;
    }
    return rc;
}

keta_err svc__patient_in_scope(keta_tx *tx, const keta_actor *actor, int64_t patient_id,
                               keta_patient *p, bool *in_scope, keta_error *err)
{
    *in_scope = false;
    keta_err rc = keta_store_patient_get(tx, patient_id, p, err);
    if (rc != KETA_OK)
        return rc;
    if (actor->role == KETA_ROLE_PATIENT)
        *in_scope = actor->patient_id == patient_id;
    else
        *in_scope = p->site_id == actor->site_id;
    return KETA_OK;
}

keta_err svc__check_text(const char *v, size_t max, const char *field, keta_error *err)
{
    if (v == NULL || v[0] == '\0')
        return keta_error_set(err, KETA_EINVAL, field, "%s is required", field + 1);
    size_t n = strnlen(v, max);
    if (n >= max)
        return keta_error_set(err, KETA_ETOOBIG, field, "%s is longer than %zu bytes", field + 1,
                              max - 1);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
            return keta_error_set(err, KETA_EINVAL, field,
                                  "%s contains a control character at byte %zu", field + 1, i);
    return KETA_OK;
}

/*
 * One argon2id computation at a time in this process: each takes opt.pwhash_memlimit bytes
 * (128 MiB by default), so a burst of logins cannot take the server's memory; they queue
 * (about 0.2 s each on the reference machine) instead.
 */
static pthread_mutex_t pwhash_gate = PTHREAD_MUTEX_INITIALIZER;

void svc__pwhash_enter(void)
{
    pthread_mutex_lock(&pwhash_gate);
}

void svc__pwhash_leave(void)
{
    pthread_mutex_unlock(&pwhash_gate);
}

keta_err svc__hash_password(const keta_service *svc, const char *password, const char *field,
                            char out[crypto_pwhash_STRBYTES], keta_error *err)
{
    size_t n = password != NULL ? strnlen(password, KETA_PASSWORD_MAX + 1) : 0;
    if (n < KETA_PASSWORD_MIN)
        return keta_error_set(err, KETA_EINVAL, field, "a password needs at least %d characters",
                              KETA_PASSWORD_MIN);
    if (n > KETA_PASSWORD_MAX)
        return keta_error_set(err, KETA_ETOOBIG, field, "a password has at most %d bytes",
                              KETA_PASSWORD_MAX);
    svc__pwhash_enter();
    int bad =
        crypto_pwhash_str(out, password, n, svc->opt.pwhash_opslimit, svc->opt.pwhash_memlimit);
    svc__pwhash_leave();
    if (bad != 0)
        return keta_error_set(err, KETA_ENOMEM, NULL,
                              "not enough memory to hash a password (%zu MiB)",
                              svc->opt.pwhash_memlimit >> 20);
    return KETA_OK;
}

keta_err keta_service_refuse(keta_service *svc, const keta_actor *actor, const char *action,
                             const char *entity, int64_t entity_id, int64_t patient_id,
                             const char *why, keta_error *err)
{
    if (action == NULL || entity == NULL || why == NULL)
        return keta_error_set(err, KETA_EINVAL, NULL,
                              "a refusal names its action, entity and reason");
    return svc__deny(svc, actor, action, entity, entity_id, patient_id, why, err);
}

keta_err keta_service_audit_event(keta_service *svc, const keta_actor *actor, const char *action,
                                  const char *entity, int64_t entity_id, bool success,
                                  const char *detail, keta_error *err)
{
    if (action == NULL || entity == NULL)
        return keta_error_set(err, KETA_EINVAL, NULL, "an audit event names its action and entity");
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, action, entity, entity_id, 0);
    if (!success)
        (void)snprintf(e.outcome, sizeof e.outcome, "failure");
    (void)snprintf(e.detail, sizeof e.detail, "%s", detail != NULL ? detail : "");
    keta_tx *tx;
    keta_err rc = keta_store_begin(svc->store, true, &tx, err);
    if (rc != KETA_OK)
        return rc;
    return svc__commit_audited(tx, &e, err);
}

keta_err keta_service_verify_audit(keta_service *svc, const keta_actor *actor,
                                   keta_audit_report *rep, keta_audit_problem_fn fn, void *ctx,
                                   keta_error *err)
{
    keta_err rc = svc__authorize(svc, actor, KETA_PERM_AUDIT_REVIEW, "audit.verify", "audit_entry",
                                 0, 0, err);
    if (rc != KETA_OK)
        return rc;
    keta_error verr;
    keta_err vrc = keta_store_audit_verify(svc->store, rep, fn, ctx, &verr);
    if (vrc != KETA_OK && vrc != KETA_EINTEGRITY) {
        if (err != NULL)
            *err = verr;
        return vrc;
    }
    char detail[KETA_TEXT_MAX];
    (void)snprintf(detail, sizeof detail, "%lld entries, %lld problems, head %lld",
                   (long long)rep->entries, (long long)rep->problems, (long long)rep->head_seq);
    rc = keta_service_audit_event(svc, actor, "audit.verify", "audit_entry", 0, vrc == KETA_OK,
                                  detail, err);
    if (rc != KETA_OK)
        return rc;
    if (vrc != KETA_OK && err != NULL)
        *err = verr;
    return vrc;
}
