/*
 * The clinic routes: login, server-side sessions, CSRF, login rate limiting, and the
 * patient-data routes over the service layer (include/keta/service.h).
 *
 * Sessions live in this process's memory: a table of at most max_sessions entries, each
 * keyed by the BLAKE2b hash of its 256-bit random id (the id itself is only in the client's
 * cookie), with its CSRF token, its actor and when it was last used. A session unused for
 * idle_timeout_s is logged off (audited as auth.session_expired) the next time it is seen.
 * One mutex guards the sessions and the login failure counters; nothing slow (argon2id, the
 * database) runs under it.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clinic_decode.h"
#include "internal.h"

#define COOKIE_NAME   "keta_session"
#define CSRF_HEADER   "X-CSRF-Token"
#define TOKEN_BYTES   32
#define TOKEN_HEX     (2 * TOKEN_BYTES + 1)
#define LIMIT_SLOTS   1024
#define LIMIT_KEY_MAX 80
#define SMALL_BODY    ((size_t)4 * 1024)
#define NOTE_BODY     ((size_t)(KETA_NOTE_MAX + 1024) * 2)

typedef struct session {
    bool used;
    unsigned char id_hash[crypto_generichash_BYTES];
    char csrf[TOKEN_HEX];
    keta_actor actor;
    int64_t last_ms;
} session;

typedef struct limit_slot {
    char key[LIMIT_KEY_MAX]; /* "u:name" or "i:address"; "" free */
    unsigned failures;
    int64_t window_start_ms;
} limit_slot;

struct keta_http_clinic {
    keta_service *svc;
    keta_http_clinic_options opt;
    pthread_mutex_t lock;
    session *sessions;
    limit_slot limits[LIMIT_SLOTS];
};

/* What an authenticated request carries in keta_http_principal.data. */
typedef struct caller {
    keta_http_clinic *clinic;
    keta_actor actor;
} caller;

/* The one clinic open in this process, for the login route (public: no principal). */
static _Atomic(keta_http_clinic *) the_clinic;

static int64_t now_ms(void)
{
    struct timespec t;
    (void)clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void hash_token(const char *hex, unsigned char out[crypto_generichash_BYTES])
{
    crypto_generichash(out, crypto_generichash_BYTES, (const unsigned char *)hex, strlen(hex), NULL,
                       0);
}

static void new_token(char out[TOKEN_HEX])
{
    unsigned char raw[TOKEN_BYTES];
    randombytes_buf(raw, sizeof raw);
    (void)sodium_bin2hex(out, TOKEN_HEX, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
}

/* A session cookie value as keta makes them: 64 lowercase hex digits. */
static bool token_shape(const char *s)
{
    if (s == NULL || strlen(s) != TOKEN_HEX - 1)
        return false;
    for (const char *p = s; *p != '\0'; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

static unsigned role_bit(keta_role role)
{
    return keta_http_role_from_name(keta_role_name(role));
}

/* ---- open, attach, close ----------------------------------------------------------------------
 */

keta_err keta_http_clinic_open(struct keta_service *svc, const keta_http_clinic_options *opt,
                               keta_http_clinic **out, keta_error *err)
{
    *out = NULL;
    if (sodium_init() < 0)
        return keta_error_set(err, KETA_EIO, "", "libsodium cannot start");
    keta_http_clinic *c = keta_malloc(sizeof *c);
    if (c == NULL)
        return keta_error_set(err, KETA_ENOMEM, "", "out of memory");
    memset(c, 0, sizeof *c);
    c->svc = svc;
    if (opt != NULL)
        c->opt = *opt;
    if (c->opt.idle_timeout_s == 0)
        c->opt.idle_timeout_s = 900;
    if (c->opt.login_max_failures == 0)
        c->opt.login_max_failures = 5;
    if (c->opt.login_window_s == 0)
        c->opt.login_window_s = 300;
    if (c->opt.max_sessions == 0)
        c->opt.max_sessions = 4096;
    c->sessions = keta_malloc(sizeof *c->sessions * c->opt.max_sessions);
    if (c->sessions == NULL) {
        keta_free(c);
        return keta_error_set(err, KETA_ENOMEM, "", "out of memory");
    }
    memset(c->sessions, 0, sizeof *c->sessions * c->opt.max_sessions);
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        keta_free(c->sessions);
        keta_free(c);
        return keta_error_set(err, KETA_ENOMEM, "", "cannot make a lock");
    }
    keta_http_clinic *none = NULL;
    if (!atomic_compare_exchange_strong(&the_clinic, &none, c)) {
        keta_http_clinic_close(c);
        return keta_error_set(err, KETA_ECONFLICT, "", "a clinic API is open already");
    }
    *out = c;
    return KETA_OK;
}

void keta_http_clinic_close(keta_http_clinic *c)
{
    if (c == NULL)
        return;
    keta_http_clinic *self = c;
    (void)atomic_compare_exchange_strong(&the_clinic, &self, NULL);
    sodium_memzero(c->sessions, sizeof *c->sessions * c->opt.max_sessions);
    pthread_mutex_destroy(&c->lock);
    keta_free(c->sessions);
    keta_free(c);
}

/* ---- sessions ---------------------------------------------------------------------------------
 */

static keta_http_auth authenticate(void *ctx, const keta_http_request *req,
                                   keta_http_principal *who)
{
    keta_http_clinic *c = ctx;
    const char *cookie = keta_http_request_cookie(req, COOKIE_NAME);
    if (!token_shape(cookie))
        return KETA_HTTP_AUTH_NONE;
    unsigned char h[crypto_generichash_BYTES];
    hash_token(cookie, h);
    const char *m = keta_http_request_method(req);
    bool changes = !(strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0);
    const char *csrf = keta_http_request_header(req, CSRF_HEADER);
    keta_actor expired;
    bool was_expired = false;
    keta_http_auth a = KETA_HTTP_AUTH_NONE;
    caller *cl = keta_malloc(sizeof *cl);
    if (cl == NULL)
        return KETA_HTTP_AUTH_UNAVAILABLE;
    int64_t now = now_ms();
    pthread_mutex_lock(&c->lock);
    for (unsigned i = 0; i < c->opt.max_sessions; i++) {
        session *s = &c->sessions[i];
        if (!s->used || sodium_memcmp(s->id_hash, h, sizeof h) != 0)
            continue;
        if (now - s->last_ms > (int64_t)c->opt.idle_timeout_s * 1000) {
            expired = s->actor;
            was_expired = true;
            sodium_memzero(s, sizeof *s);
            break;
        }
        if (changes && (csrf == NULL || strlen(csrf) != TOKEN_HEX - 1 ||
                        sodium_memcmp(csrf, s->csrf, TOKEN_HEX - 1) != 0)) {
            /* Audit the refusal as this user (on_denied gets the principal). */
            a = KETA_HTTP_AUTH_REFUSED;
        } else {
            a = KETA_HTTP_AUTH_OK;
            s->last_ms = now;
        }
        cl->clinic = c;
        cl->actor = s->actor;
        break;
    }
    pthread_mutex_unlock(&c->lock);
    if (was_expired) {
        keta_error err;
        keta_error_clear(&err);
        (void)keta_service_audit_event(c->svc, &expired, "auth.session_expired", "user",
                                       expired.user_id, true, "idle timeout", &err);
    }
    if (a == KETA_HTTP_AUTH_NONE) {
        keta_free(cl);
        return a;
    }
    who->user_id = cl->actor.user_id;
    who->site_id = cl->actor.site_id;
    who->patient_id = cl->actor.patient_id;
    who->role = role_bit(cl->actor.role);
    who->data = cl;
    if (a == KETA_HTTP_AUTH_REFUSED) {
        keta_error err;
        keta_error_clear(&err);
        (void)keta_service_refuse(c->svc, &cl->actor, "http.csrf", "route", 0, 0,
                                  "missing or wrong CSRF token", &err);
        keta_free(cl);
        who->data = NULL;
    }
    return a;
}

static void release(void *ctx, keta_http_principal *who)
{
    (void)ctx;
    keta_free(who->data);
    who->data = NULL;
}

static void on_denied(void *ctx, const keta_http_request *req, const keta_http_principal *who,
                      unsigned status)
{
    keta_http_clinic *c = ctx;
    if (who == NULL && status == 403)
        return; /* a CSRF refusal: audited by the authenticator, as its user */
    const caller *cl = who != NULL ? who->data : NULL;
    char why[160];
    (void)snprintf(why, sizeof why, "%u %s %s", status, keta_http_request_method(req),
                   keta_http_request_pattern(req));
    keta_error err;
    keta_error_clear(&err);
    (void)keta_service_refuse(c->svc, cl != NULL ? &cl->actor : NULL, "http.route", "route", 0, 0,
                              why, &err);
}

void keta_http_clinic_attach(keta_http_clinic *c, keta_http_config *cfg)
{
    size_t t = 0;
    while (t < KETA_HTTP_MAX_TABLES && cfg->tables[t] != NULL &&
           cfg->tables[t] != keta_http_clinic_routes)
        t++;
    if (t < KETA_HTTP_MAX_TABLES && cfg->tables[t] == NULL) {
        cfg->tables[t] = keta_http_clinic_routes;
        cfg->tables[t + 1] = NULL;
    }
    cfg->authenticate = authenticate;
    cfg->on_denied = on_denied;
    cfg->release_principal = release;
    cfg->auth_ctx = c;
}

/* ---- login rate limiting ----------------------------------------------------------------------
 */

/* The slot of key (made when absent, reusing a free, stale or the oldest slot). Locked. */
static limit_slot *limit_find(keta_http_clinic *c, const char *key, int64_t now, bool make)
{
    limit_slot *oldest = NULL;
    int64_t window = (int64_t)c->opt.login_window_s * 1000;
    for (size_t i = 0; i < LIMIT_SLOTS; i++) {
        limit_slot *s = &c->limits[i];
        if (s->key[0] != '\0' && strcmp(s->key, key) == 0) {
            if (now - s->window_start_ms > window) {
                s->failures = 0;
                s->window_start_ms = now;
            }
            return s;
        }
        if (s->key[0] == '\0' || now - s->window_start_ms > window) {
            if (oldest == NULL || oldest->key[0] != '\0')
                oldest = s;
        } else if (oldest == NULL ||
                   (oldest->key[0] != '\0' && s->window_start_ms < oldest->window_start_ms)) {
            oldest = s;
        }
    }
    if (!make || oldest == NULL)
        return NULL;
    (void)snprintf(oldest->key, sizeof oldest->key, "%s", key);
    oldest->failures = 0;
    oldest->window_start_ms = now;
    return oldest;
}

/* Seconds until key may try again, or 0 when it may now. */
static unsigned limit_wait(keta_http_clinic *c, const char *key, int64_t now)
{
    pthread_mutex_lock(&c->lock);
    limit_slot *s = limit_find(c, key, now, false);
    unsigned wait = 0;
    if (s != NULL && s->failures >= c->opt.login_max_failures) {
        int64_t left = s->window_start_ms + (int64_t)c->opt.login_window_s * 1000 - now;
        wait = left > 0 ? (unsigned)(left / 1000 + 1) : 0;
    }
    pthread_mutex_unlock(&c->lock);
    return wait;
}

static void limit_fail(keta_http_clinic *c, const char *key, int64_t now)
{
    pthread_mutex_lock(&c->lock);
    limit_slot *s = limit_find(c, key, now, true);
    if (s != NULL)
        s->failures++;
    pthread_mutex_unlock(&c->lock);
}

static void limit_clear(keta_http_clinic *c, const char *key, int64_t now)
{
    pthread_mutex_lock(&c->lock);
    limit_slot *s = limit_find(c, key, now, false);
    if (s != NULL)
        memset(s, 0, sizeof *s);
    pthread_mutex_unlock(&c->lock);
}

/* ---- request decoders (pure: the fuzz target drives them) ------------------------------------
 */

keta_err keta__http_decode_login(const json_t *body, const char **username, const char **password,
                                 keta_error *err)
{
    static const char *const keys[] = {"username", "password", NULL};
    keta_err rc = keta_json_check_keys(body, "", keys, keys, err);
    if (rc != KETA_OK)
        return rc;
    const json_t *u = json_object_get(body, "username"), *p = json_object_get(body, "password");
    if (!json_is_string(u))
        return keta_error_set(err, KETA_ETYPE, "/username", "expected a string, got %s",
                              keta_json_type_name(u));
    if (!json_is_string(p))
        return keta_error_set(err, KETA_ETYPE, "/password", "expected a string, got %s",
                              keta_json_type_name(p));
    if (json_string_length(u) == 0 || json_string_length(u) >= KETA_USERNAME_MAX ||
        strlen(json_string_value(u)) != json_string_length(u))
        return keta_error_set(err, KETA_EINVAL, "/username", "expected 1 to %d bytes",
                              KETA_USERNAME_MAX - 1);
    if (json_string_length(p) > KETA_PASSWORD_MAX ||
        strlen(json_string_value(p)) != json_string_length(p))
        return keta_error_set(err, KETA_EINVAL, "/password", "expected at most %d bytes",
                              KETA_PASSWORD_MAX);
    *username = json_string_value(u);
    *password = json_string_value(p);
    return KETA_OK;
}

/* ---- login, logout, me ------------------------------------------------------------------------
 */

static const caller *caller_of(const keta_http_principal *who)
{
    return who != NULL ? who->data : NULL;
}

static keta_err reply_consume(keta_http_reply *reply, unsigned status, json_t *out)
{
    if (out == NULL)
        return KETA_ENOMEM;
    keta_err rc = keta_http_reply_json(reply, status, out);
    json_decref(out);
    return rc;
}

static keta_err login(const keta_http_request *req, const keta_http_principal *who,
                      keta_http_reply *reply, keta_error *err)
{
    (void)who;
    keta_http_clinic *c = atomic_load(&the_clinic);
    if (c == NULL)
        return keta_error_set(err, KETA_EBUSY, "", "the clinic database is not open");
    const char *username = NULL, *password = NULL;
    keta_err rc = keta__http_decode_login(keta_http_request_json(req), &username, &password, err);
    if (rc != KETA_OK)
        return rc;

    char ukey[LIMIT_KEY_MAX], ikey[LIMIT_KEY_MAX];
    (void)snprintf(ukey, sizeof ukey, "u:%s", username);
    (void)snprintf(ikey, sizeof ikey, "i:%s", keta_http_request_client(req));
    int64_t now = now_ms();
    unsigned wait_u = limit_wait(c, ukey, now), wait_i = limit_wait(c, ikey, now);
    unsigned wait = wait_u > wait_i ? wait_u : wait_i;
    if (wait > 0) {
        keta_error aerr;
        keta_error_clear(&aerr);
        (void)keta_service_audit_event(c->svc, NULL, "auth.login", "user", 0, false,
                                       "refused: too many failed logins", &aerr);
        keta__http_reply_error(reply, 429, "rate_limited", NULL,
                               "too many failed logins; try again later");
        char s[24];
        (void)snprintf(s, sizeof s, "%u", wait);
        (void)keta_http_reply_header(reply, "Retry-After", s);
        return KETA_OK;
    }

    keta_actor actor;
    rc = keta_service_authenticate(c->svc, username, password, &actor, err);
    if (rc != KETA_OK) {
        if (rc == KETA_EAUTH) {
            limit_fail(c, ukey, now);
            limit_fail(c, ikey, now);
        }
        return rc;
    }
    limit_clear(c, ukey, now);

    char token[TOKEN_HEX];
    session s;
    memset(&s, 0, sizeof s);
    s.used = true;
    new_token(token);
    hash_token(token, s.id_hash);
    new_token(s.csrf);
    s.actor = actor;
    s.last_ms = now;
    bool stored = false;
    int64_t idle = (int64_t)c->opt.idle_timeout_s * 1000;
    pthread_mutex_lock(&c->lock);
    for (unsigned i = 0; i < c->opt.max_sessions && !stored; i++) {
        session *t = &c->sessions[i];
        if (t->used && now - t->last_ms > idle)
            sodium_memzero(t, sizeof *t); /* expired: forget it */
        if (!t->used) {
            *t = s;
            stored = true;
        }
    }
    pthread_mutex_unlock(&c->lock);
    if (!stored) {
        sodium_memzero(token, sizeof token);
        return keta_error_set(err, KETA_EBUSY, "", "too many sessions open; try again later");
    }
    char cookie[200];
    (void)snprintf(cookie, sizeof cookie, "%s=%s; HttpOnly; SameSite=Strict; Path=/%s", COOKIE_NAME,
                   token, c->opt.secure_cookie ? "; Secure" : "");
    sodium_memzero(token, sizeof token);
    json_t *out = json_pack("{s:I, s:s, s:s, s:I, s:s, s:i}", "user_id", (json_int_t)actor.user_id,
                            "username", actor.username, "role", keta_role_name(actor.role),
                            "site_id", (json_int_t)actor.site_id, "csrf_token", s.csrf,
                            "idle_timeout_s", (int)c->opt.idle_timeout_s);
    sodium_memzero(&s, sizeof s);
    rc = reply_consume(reply, 200, out);
    if (rc == KETA_OK)
        rc = keta_http_reply_header(reply, "Set-Cookie", cookie);
    sodium_memzero(cookie, sizeof cookie);
    return rc;
}

static keta_err logout(const keta_http_request *req, const keta_http_principal *who,
                       keta_http_reply *reply, keta_error *err)
{
    const caller *cl = caller_of(who);
    keta_http_clinic *c = cl->clinic;
    const char *cookie = keta_http_request_cookie(req, COOKIE_NAME);
    if (token_shape(cookie)) {
        unsigned char h[crypto_generichash_BYTES];
        hash_token(cookie, h);
        pthread_mutex_lock(&c->lock);
        for (unsigned i = 0; i < c->opt.max_sessions; i++)
            if (c->sessions[i].used && sodium_memcmp(c->sessions[i].id_hash, h, sizeof h) == 0)
                sodium_memzero(&c->sessions[i], sizeof c->sessions[i]);
        pthread_mutex_unlock(&c->lock);
    }
    keta_error aerr;
    keta_error_clear(&aerr);
    (void)keta_service_audit_event(c->svc, &cl->actor, "auth.logout", "user", cl->actor.user_id,
                                   true, "", &aerr);
    (void)err;
    keta_err rc = reply_consume(reply, 200, json_pack("{s:b}", "logged_out", 1));
    if (rc == KETA_OK)
        rc = keta_http_reply_header(reply, "Set-Cookie",
                                    COOKIE_NAME "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    return rc;
}

static keta_err me(const keta_http_request *req, const keta_http_principal *who,
                   keta_http_reply *reply, keta_error *err)
{
    (void)err;
    const caller *cl = caller_of(who);
    keta_http_clinic *c = cl->clinic;
    /* The CSRF token again, so a reloaded page can go on (same origin only: no CORS). */
    char csrf[TOKEN_HEX] = "";
    const char *cookie = keta_http_request_cookie(req, COOKIE_NAME);
    if (token_shape(cookie)) {
        unsigned char h[crypto_generichash_BYTES];
        hash_token(cookie, h);
        pthread_mutex_lock(&c->lock);
        for (unsigned i = 0; i < c->opt.max_sessions; i++)
            if (c->sessions[i].used && sodium_memcmp(c->sessions[i].id_hash, h, sizeof h) == 0)
                memcpy(csrf, c->sessions[i].csrf, sizeof csrf);
        pthread_mutex_unlock(&c->lock);
    }
    return reply_consume(reply, 200,
                         json_pack("{s:I, s:s, s:s, s:I, s:s, s:i}", "user_id",
                                   (json_int_t)cl->actor.user_id, "username", cl->actor.username,
                                   "role", keta_role_name(cl->actor.role), "site_id",
                                   (json_int_t)cl->actor.site_id, "csrf_token", csrf,
                                   "idle_timeout_s", (int)c->opt.idle_timeout_s));
}

/* ---- patient data -----------------------------------------------------------------------------
 */

bool keta__http_parse_id(const char *s, int64_t *out)
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

/* The record id in path parameter name, else 404 naming it. */
static keta_err path_id(const keta_http_request *req, const char *name, int64_t *out,
                        keta_error *err)
{
    if (!keta__http_parse_id(keta_http_request_param(req, name), out))
        return keta_error_set(err, KETA_ENOTFOUND, name, "no such record");
    return KETA_OK;
}

/* A string member that must be there (KETA_ETYPE naming it otherwise). */
static keta_err get_string(const json_t *o, const char *key, bool optional, const char **out,
                           keta_error *err)
{
    const json_t *v = json_object_get(o, key);
    if (v == NULL && optional) {
        *out = "";
        return KETA_OK;
    }
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
        char field[72];
        (void)snprintf(field, sizeof field, "/%s", key);
        return keta_error_set(err, KETA_ETYPE, field, "expected a string, got %s",
                              keta_json_type_name(v));
    }
    *out = json_string_value(v);
    return KETA_OK;
}

static keta_err created(keta_http_reply *reply, int64_t id)
{
    return reply_consume(reply, 201, json_pack("{s:I}", "id", (json_int_t)id));
}

keta_err keta__http_decode_patient(const json_t *b, keta_new_patient *in, keta_error *err)
{
    static const char *const keys[] = {"mrn", "given_name", "family_name", "birth_date",
                                       "sex", "weight_kg",  NULL};
    static const char *const required[] = {"mrn",        "given_name", "family_name",
                                           "birth_date", "sex",        NULL};
    memset(in, 0, sizeof *in);
    keta_err rc = keta_json_check_keys(b, "", keys, required, err);
    if (rc == KETA_OK)
        rc = get_string(b, "mrn", false, &in->mrn, err);
    if (rc == KETA_OK)
        rc = get_string(b, "given_name", false, &in->given_name, err);
    if (rc == KETA_OK)
        rc = get_string(b, "family_name", false, &in->family_name, err);
    if (rc == KETA_OK)
        rc = get_string(b, "birth_date", false, &in->birth_date, err);
    if (rc == KETA_OK)
        rc = get_string(b, "sex", false, &in->sex, err);
    if (rc == KETA_OK)
        rc = keta_json_get_number(b, "", "weight_kg", 20, 300, true, &in->weight_kg, NULL, err);
    return rc;
}

static keta_err patient_register(const keta_http_request *req, const keta_http_principal *who,
                                 keta_http_reply *reply, keta_error *err)
{
    const caller *cl = caller_of(who);
    keta_new_patient in;
    int64_t id = 0;
    keta_err rc = keta__http_decode_patient(keta_http_request_json(req), &in, err);
    if (rc == KETA_OK)
        rc = keta_service_register_patient(cl->clinic->svc, &cl->actor, &in, &id, err);
    return rc == KETA_OK ? created(reply, id) : rc;
}

static keta_err patient_get(const keta_http_request *req, const keta_http_principal *who,
                            keta_http_reply *reply, keta_error *err)
{
    const caller *cl = caller_of(who);
    int64_t id;
    keta_patient p;
    keta_err rc = path_id(req, "id", &id, err);
    if (rc == KETA_OK)
        rc = keta_service_get_patient(cl->clinic->svc, &cl->actor, id, &p, err);
    if (rc != KETA_OK)
        return rc;
    return reply_consume(reply, 200,
                         json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)p.id,
                                   "mrn", p.mrn, "given_name", p.given_name, "family_name",
                                   p.family_name, "birth_date", p.birth_date, "sex", p.sex,
                                   "created_at", p.created_at));
}

keta_err keta__http_decode_weight(const json_t *b, double *weight_kg, keta_error *err)
{
    static const char *const keys[] = {"weight_kg", NULL};
    keta_err rc = keta_json_check_keys(b, "", keys, keys, err);
    if (rc == KETA_OK)
        rc = keta_json_get_number(b, "", "weight_kg", 20, 300, false, weight_kg, NULL, err);
    return rc;
}

static keta_err weight_record(const keta_http_request *req, const keta_http_principal *who,
                              keta_http_reply *reply, keta_error *err)
{
    const caller *cl = caller_of(who);
    int64_t pid, id = 0;
    double kg = 0;
    keta_err rc = path_id(req, "id", &pid, err);
    if (rc == KETA_OK)
        rc = keta__http_decode_weight(keta_http_request_json(req), &kg, err);
    if (rc == KETA_OK)
        rc = keta_service_record_weight(cl->clinic->svc, &cl->actor, pid, kg, &id, err);
    return rc == KETA_OK ? created(reply, id) : rc;
}

/* The vitals members: JSON name and where it goes. */
static const struct {
    const char *key;
    size_t offset;
    int min, max;
} vital_fields[] = {
    {"systolic_mmhg", offsetof(keta_vitals, systolic_mmhg), 50, 300},
    {"diastolic_mmhg", offsetof(keta_vitals, diastolic_mmhg), 20, 200},
    {"heart_rate_bpm", offsetof(keta_vitals, heart_rate_bpm), 20, 250},
    {"spo2_percent", offsetof(keta_vitals, spo2_percent), 50, 100},
    {"resp_rate_per_min", offsetof(keta_vitals, resp_rate_per_min), 2, 80},
    {"sedation_moaas", offsetof(keta_vitals, sedation_moaas), 0, 5},
    {"dissociation_cadss", offsetof(keta_vitals, dissociation_cadss), 0, 92},
};
#define N_VITALS (sizeof vital_fields / sizeof vital_fields[0])

static int *vital_slot(keta_vitals *v, size_t i)
{
    return (int *)(void *)((char *)v + vital_fields[i].offset);
}

keta_err keta__http_decode_vitals(const json_t *b, keta_vitals *v, keta_error *err)
{
    static const char *const keys[] = {"measured_at",    "systolic_mmhg",      "diastolic_mmhg",
                                       "heart_rate_bpm", "spo2_percent",       "resp_rate_per_min",
                                       "sedation_moaas", "dissociation_cadss", NULL};
    static const char *const none[] = {NULL};
    memset(v, 0, sizeof *v);
    keta_err rc = keta_json_check_keys(b, "", keys, none, err);
    const char *at = "";
    if (rc == KETA_OK)
        rc = get_string(b, "measured_at", true, &at, err);
    if (rc == KETA_OK && strlen(at) >= sizeof v->measured_at)
        rc = keta_error_set(err, KETA_EINVAL, "/measured_at", "expected YYYY-MM-DDTHH:MM:SS.mmmZ");
    if (rc == KETA_OK)
        (void)snprintf(v->measured_at, sizeof v->measured_at, "%s", at);
    for (size_t i = 0; rc == KETA_OK && i < N_VITALS; i++) {
        int64_t x = KETA_ABSENT;
        bool present = false;
        rc = keta_json_get_int(b, "", vital_fields[i].key, vital_fields[i].min, vital_fields[i].max,
                               true, &x, &present, err);
        *vital_slot(v, i) = present ? (int)x : KETA_ABSENT;
    }
    return rc;
}

static keta_err vitals_record(const keta_http_request *req, const keta_http_principal *who,
                              keta_http_reply *reply, keta_error *err)
{
    const caller *cl = caller_of(who);
    int64_t sid, id = 0;
    keta_vitals v;
    keta_vitals_result vr;
    keta_err rc = path_id(req, "id", &sid, err);
    if (rc == KETA_OK)
        rc = keta__http_decode_vitals(keta_http_request_json(req), &v, err);
    if (rc == KETA_OK)
        rc = keta_service_record_vitals(cl->clinic->svc, &cl->actor, sid, &v, &vr, err);
    if (rc == KETA_OK)
        id = vr.vitals_id;
    return rc == KETA_OK ? created(reply, id) : rc;
}

static int vitals_row(void *ctx, const keta_vitals *v)
{
    json_t *arr = ctx;
    json_t *o = json_pack("{s:I, s:s}", "id", (json_int_t)v->id, "measured_at", v->measured_at);
    if (o == NULL)
        return 1;
    for (size_t i = 0; i < N_VITALS; i++) {
        int x = *vital_slot((keta_vitals *)(uintptr_t)v, i);
        if (x != KETA_ABSENT && keta_json_set(o, vital_fields[i].key, json_integer(x)) != KETA_OK) {
            json_decref(o);
            return 1;
        }
    }
    return keta_json_push(arr, o) == KETA_OK ? 0 : 1;
}

static keta_err vitals_list(const keta_http_request *req, const keta_http_principal *who,
                            keta_http_reply *reply, keta_error *err)
{
    const caller *cl = caller_of(who);
    int64_t sid;
    keta_err rc = path_id(req, "id", &sid, err);
    if (rc != KETA_OK)
        return rc;
    json_t *arr = json_array();
    if (arr == NULL)
        return KETA_ENOMEM;
    rc = keta_service_list_vitals(cl->clinic->svc, &cl->actor, sid, vitals_row, arr, err);
    if (rc != KETA_OK) {
        json_decref(arr);
        return rc;
    }
    return reply_consume(reply, 200, arr);
}

keta_err keta__http_decode_note(const json_t *b, const char **text, int64_t *amends_note_id,
                                keta_error *err)
{
    static const char *const keys[] = {"body", "amends_note_id", NULL};
    static const char *const required[] = {"body", NULL};
    *amends_note_id = 0;
    keta_err rc = keta_json_check_keys(b, "", keys, required, err);
    if (rc == KETA_OK)
        rc = get_string(b, "body", false, text, err);
    if (rc == KETA_OK)
        rc = keta_json_get_int(b, "", "amends_note_id", 1, INT64_MAX, true, amends_note_id, NULL,
                               err);
    return rc;
}

static keta_err note_add(const keta_http_request *req, const keta_http_principal *who,
                         keta_http_reply *reply, const char *note_class, keta_error *err)
{
    const caller *cl = caller_of(who);
    int64_t pid, amends = 0, id = 0;
    const char *text = NULL;
    keta_err rc = path_id(req, "id", &pid, err);
    if (rc == KETA_OK)
        rc = keta__http_decode_note(keta_http_request_json(req), &text, &amends, err);
    if (rc == KETA_OK)
        rc = keta_service_add_note(cl->clinic->svc, &cl->actor, pid, note_class, text, amends, &id,
                                   err);
    return rc == KETA_OK ? created(reply, id) : rc;
}

static int note_row(void *ctx, const keta_note *n)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:I, s:s}", "id", (json_int_t)n->id, "class",
                          n->note_class, "body", n->body != NULL ? n->body : "", "author_id",
                          (json_int_t)n->author_id, "created_at", n->created_at);
    if (o != NULL && n->amends_note_id != 0 &&
        keta_json_set(o, "amends_note_id", json_integer(n->amends_note_id)) != KETA_OK) {
        json_decref(o);
        return 1;
    }
    return o != NULL && keta_json_push(ctx, o) == KETA_OK ? 0 : 1;
}

static keta_err note_list(const keta_http_request *req, const keta_http_principal *who,
                          keta_http_reply *reply, const char *note_class, keta_error *err)
{
    const caller *cl = caller_of(who);
    int64_t pid;
    keta_err rc = path_id(req, "id", &pid, err);
    if (rc != KETA_OK)
        return rc;
    json_t *arr = json_array();
    if (arr == NULL)
        return KETA_ENOMEM;
    rc = keta_service_list_notes(cl->clinic->svc, &cl->actor, pid, note_class, note_row, arr, err);
    if (rc != KETA_OK) {
        json_decref(arr);
        return rc;
    }
    return reply_consume(reply, 200, arr);
}

static keta_err clinical_note_add(const keta_http_request *req, const keta_http_principal *who,
                                  keta_http_reply *reply, keta_error *err)
{
    return note_add(req, who, reply, "clinical", err);
}

static keta_err clinical_note_list(const keta_http_request *req, const keta_http_principal *who,
                                   keta_http_reply *reply, keta_error *err)
{
    return note_list(req, who, reply, "clinical", err);
}

static keta_err restricted_note_add(const keta_http_request *req, const keta_http_principal *who,
                                    keta_http_reply *reply, keta_error *err)
{
    return note_add(req, who, reply, "integration_restricted", err);
}

static keta_err restricted_note_list(const keta_http_request *req, const keta_http_principal *who,
                                     keta_http_reply *reply, keta_error *err)
{
    return note_list(req, who, reply, "integration_restricted", err);
}

static keta_err audit_verify(const keta_http_request *req, const keta_http_principal *who,
                             keta_http_reply *reply, keta_error *err)
{
    (void)req;
    const caller *cl = caller_of(who);
    keta_audit_report rep;
    memset(&rep, 0, sizeof rep);
    keta_err rc = keta_service_verify_audit(cl->clinic->svc, &cl->actor, &rep, NULL, NULL, err);
    if (rc != KETA_OK && rc != KETA_EINTEGRITY)
        return rc;
    return reply_consume(reply, 200,
                         json_pack("{s:b, s:I, s:I, s:I, s:s, s:b}", "intact", rc == KETA_OK,
                                   "entries", (json_int_t)rep.entries, "problems",
                                   (json_int_t)rep.problems, "head_seq", (json_int_t)rep.head_seq,
                                   "head_hash", rep.head_hash, "protected", rep.protected_log));
}

/* Who holds each permission (src/service/roles.c, reference clinic.md §5). */
#define FD     KETA_HTTP_ROLE_FRONT_DESK
#define NU     KETA_HTTP_ROLE_NURSE
#define PR     KETA_HTTP_ROLE_PRESCRIBER
#define TH     KETA_HTTP_ROLE_THERAPIST
#define AD     KETA_HTTP_ROLE_ADMIN
#define PT     KETA_HTTP_ROLE_PATIENT
#define ANYONE (FD | NU | PR | TH | AD | PT)

const keta_http_route keta_http_clinic_routes[] = {
    {"POST", "/api/v1/login", login, KETA_HTTP_PUBLIC, SMALL_BODY,
     "log in: username and password; sets the session cookie, answers the CSRF token"},
    {"POST", "/api/v1/logout", logout, ANYONE, 0, "log out: end this session"},
    {"GET", "/api/v1/me", me, ANYONE, 0, "who is logged in, and the CSRF token"},
    {"POST", "/api/v1/patients", patient_register, FD | NU | PR, SMALL_BODY,
     "register a patient (patient.register)"},
    {"GET", "/api/v1/patients/{id}", patient_get, FD | NU | PR | TH | PT, 0,
     "a patient's demographics (patient.read; own_records)"},
    {"POST", "/api/v1/patients/{id}/weights", weight_record, NU | PR, SMALL_BODY,
     "record a body weight (weight.record)"},
    {"POST", "/api/v1/sessions/{id}/vitals", vitals_record, NU | PR, SMALL_BODY,
     "record a set of vital signs in a session (vitals.record)"},
    {"GET", "/api/v1/sessions/{id}/vitals", vitals_list, NU | PR, 0,
     "the vitals flowsheet of a session (vitals.read)"},
    {"POST", "/api/v1/patients/{id}/notes", clinical_note_add, NU | PR | TH, NOTE_BODY,
     "add a clinical note (note.clinical.add)"},
    {"GET", "/api/v1/patients/{id}/notes", clinical_note_list, NU | PR | TH, 0,
     "the patient's clinical notes (note.clinical.read)"},
    {"POST", "/api/v1/patients/{id}/integration-notes", restricted_note_add, TH, NOTE_BODY,
     "add an integration-therapy note, the restricted class (note.integration.add)"},
    {"GET", "/api/v1/patients/{id}/integration-notes", restricted_note_list, TH, 0,
     "the patient's integration-therapy notes (note.integration.read)"},
    {"GET", "/api/v1/audit/verify", audit_verify, AD, 0,
     "verify the audit chain and record the review (audit.review)"},
    {NULL, NULL, NULL, 0, 0, NULL},
};
