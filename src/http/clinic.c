/*
 * The clinic routes: login, server-side sessions, CSRF and login rate limiting. The
 * patient-data routes are the service's use cases (usecases.c); this file authenticates
 * their callers.
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
#include <limits.h>
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

typedef struct session {
    bool used;
    unsigned char id_hash[crypto_generichash_BYTES];
    char csrf[TOKEN_HEX];
    keta_actor actor;
    int64_t last_ms;
} session;

typedef struct limit_slot {
    char key[LIMIT_KEY_MAX]; /* "u:name", "i:address" (logins), "a:address" (401 audit); "" free */
    unsigned failures;
    unsigned unrecorded; /* "a:" slots: refusals not audited since the last entry */
    int64_t window_start_ms;
} limit_slot;

/*
 * Audited 401s (a session cookie that names no live session) per client address per
 * login window (login_window_s); past that they are counted and the next audited one says
 * how many were left out. A 401 without a session cookie is not audited at all.
 */
#define UNAUTH_AUDIT_MAX 10u

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

static bool unauth_audit_quota(keta_http_clinic *c, const char *client, unsigned *unrecorded);

/*
 * Audit a refusal. 403 (an authenticated user, a role the route does not allow): always,
 * as that user. 401 (no live session): only when the request offered a session cookie
 * (expired, logged out or forged), at most UNAUTH_AUDIT_MAX per address per login window;
 * a request with no session cookie has no user and no patient to attribute and is left to
 * the access log (status, route pattern, request id), so anonymous requests cannot grow
 * the append-only audit log (docs/ARCHITECTURE.md, "Audit of refusals").
 */
static void on_denied(void *ctx, const keta_http_request *req, const keta_http_principal *who,
                      unsigned status)
{
    keta_http_clinic *c = ctx;
    if (who == NULL && status == 403)
        return; /* a CSRF refusal: audited by the authenticator, as its user */
    const caller *cl = who != NULL ? who->data : NULL;
    unsigned unrecorded = 0;
    if (cl == NULL && status == 401) {
        if (!token_shape(keta_http_request_cookie(req, COOKIE_NAME)))
            return;
        if (!unauth_audit_quota(c, keta_http_request_client(req), &unrecorded))
            return;
    }
    char why[200];
    int n = snprintf(why, sizeof why, "%u %s %s", status, keta_http_request_method(req),
                     keta_http_request_pattern(req));
    if (cl == NULL && status == 401 && n > 0 && (size_t)n < sizeof why)
        (void)snprintf(why + n, sizeof why - (size_t)n,
                       " (no live session for the cookie; %u earlier not recorded)", unrecorded);
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
    oldest->unrecorded = 0;
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

/*
 * May a 401 from client be audited now? True for the first UNAUTH_AUDIT_MAX in a window,
 * with *unrecorded the refusals left out before it (then reset); false past that (counted).
 */
static bool unauth_audit_quota(keta_http_clinic *c, const char *client, unsigned *unrecorded)
{
    char key[LIMIT_KEY_MAX];
    (void)snprintf(key, sizeof key, "a:%s", client);
    bool ok = true;
    *unrecorded = 0;
    pthread_mutex_lock(&c->lock);
    limit_slot *s = limit_find(c, key, now_ms(), true);
    if (s != NULL) {
        if (s->failures < UNAUTH_AUDIT_MAX) {
            s->failures++;
            *unrecorded = s->unrecorded;
            s->unrecorded = 0;
        } else {
            ok = false;
            if (s->unrecorded < UINT_MAX)
                s->unrecorded++;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return ok;
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
    now = now_ms(); /* the idle time starts when the login is done, not when it began */
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

/* ---- the use-case routes' caller ------------------------------------------------------------
 */

const keta_actor *keta__http_clinic_caller(const keta_http_principal *who, keta_service **svc)
{
    const caller *cl = caller_of(who);
    if (cl != NULL) {
        *svc = cl->clinic->svc;
        return &cl->actor;
    }
    keta_http_clinic *c = atomic_load(&the_clinic);
    *svc = c != NULL ? c->svc : NULL;
    return NULL;
}

#define ANYONE (KETA_HTTP_ROLES_STAFF | KETA_HTTP_ROLE_PATIENT)

const keta_http_route keta_http_clinic_routes[] = {
    {"POST", "/api/v1/login", login, KETA_HTTP_PUBLIC, SMALL_BODY,
     "log in: username and password; sets the session cookie, answers the CSRF token", NULL},
    {"POST", "/api/v1/logout", logout, ANYONE, 0, "log out: end this session", NULL},
    {"GET", "/api/v1/me", me, ANYONE, 0, "who is logged in, and the CSRF token", NULL},
    {NULL, NULL, NULL, 0, 0, NULL, NULL},
};
