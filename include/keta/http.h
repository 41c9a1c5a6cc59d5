/*
 * keta http: the clinic server. A route table (method, path pattern, handler, who may call
 * it, body limit) served by libmicrohttpd, with limits at every door, request ids,
 * JSON-lines access logs without patient data, static files and graceful shutdown.
 *
 * The layer is thin (docs/ARCHITECTURE.md): a handler decodes nothing itself beyond its
 * path parameters; the router has already refused anything that is not a strict JSON
 * document within the route's limit, and the handler calls one engine or service
 * function and renders its answer.
 *
 * Plug-in points for the service layer (login, sessions, roles, audit):
 *   - a route table of its own in keta_http_config.tables (routes with roles != 0);
 *   - keta_http_config.authenticate, which turns a request (session cookie, CSRF header)
 *     into a keta_http_principal, or refuses it with 401 or 403;
 *   - keta_http_config.on_denied, called for every refusal (for the audit entry);
 *   - keta_http_status_for maps the service's keta_err codes to statuses.
 *
 * Ownership: the route tables, their strings and the config's strings are borrowed for the
 * life of the server. A handler's reply owns what keta_http_reply_* copied into it.
 *
 * Thread safety: handlers and the authenticator run on the server's worker threads, several
 * at once; they must be reentrant. keta_http_server_* functions are called from one thread.
 */
#ifndef KETA_HTTP_H
#define KETA_HTTP_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "keta/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- roles ------------------------------------------------------------------------------------
 */

/*
 * Who may call a route: KETA_HTTP_PUBLIC (no login: health, pure calculators, static
 * files) or a set of role bits. Roles are a set, not a ladder: an admin has no routine chart
 * access and a therapist writes notes a nurse may not read (clinic.md §5 role table). The
 * names are the store's account roles.
 */
#define KETA_HTTP_PUBLIC 0u
enum {
    KETA_HTTP_ROLE_FRONT_DESK = 1u << 0,
    KETA_HTTP_ROLE_NURSE = 1u << 1,
    KETA_HTTP_ROLE_PRESCRIBER = 1u << 2,
    KETA_HTTP_ROLE_THERAPIST = 1u << 3,
    KETA_HTTP_ROLE_ADMIN = 1u << 4,
    KETA_HTTP_ROLE_PATIENT = 1u << 5,
};
#define KETA_HTTP_ROLES_CLINICAL \
    (KETA_HTTP_ROLE_NURSE | KETA_HTTP_ROLE_PRESCRIBER | KETA_HTTP_ROLE_THERAPIST)
#define KETA_HTTP_ROLES_STAFF \
    (KETA_HTTP_ROLES_CLINICAL | KETA_HTTP_ROLE_FRONT_DESK | KETA_HTTP_ROLE_ADMIN)

/* The role bit named name ("nurse"), or 0 when there is none. */
unsigned keta_http_role_from_name(const char *name);

/* The name of one role bit, or NULL when role is not exactly one known bit. */
const char *keta_http_role_name(unsigned role);

/*
 * The authenticated caller of a non-public route, filled by the authenticator. data is the
 * authenticator's own (e.g. the service layer's session), released by
 * keta_http_config.release_principal after the request when that is set.
 */
typedef struct keta_http_principal {
    int64_t user_id;
    int64_t site_id;
    int64_t patient_id; /* role patient only; 0 otherwise */
    unsigned role;      /* exactly one KETA_HTTP_ROLE_* bit */
    void *data;
} keta_http_principal;

/* ---- requests, replies, routes ----------------------------------------------------------------
 */

typedef struct keta_http_request keta_http_request;
typedef struct keta_http_reply keta_http_reply;

/*
 * A route handler. who is the authenticated caller (NULL on public routes). Write the answer
 * with keta_http_reply_json (or _text); or return an error code with detail in err, which
 * the router renders as {"error":{"code","field","message"}} with keta_http_status_for's
 * status. Runs on a worker thread.
 */
typedef keta_err (*keta_http_handler)(const keta_http_request *req, const keta_http_principal *who,
                                      keta_http_reply *reply, keta_error *err);

typedef struct keta_http_route {
    const char *method;  /* "GET", "POST", "PUT", "PATCH" or "DELETE"; GET also answers HEAD */
    const char *pattern; /* literal segments and {name} captures: "/api/v1/score/{instrument}" */
    keta_http_handler handler;
    unsigned roles;      /* KETA_HTTP_PUBLIC or the KETA_HTTP_ROLE_* bits allowed */
    size_t body_max;     /* bytes of JSON body accepted; 0: the route takes no body */
    const char *summary; /* one line, for `keta serve --routes` */
    const void *data;    /* the handler's own: a use-case route's keta_usecase; else NULL */
} keta_http_route;

/* Bounds of what a route may capture. */
#define KETA_HTTP_MAX_PARAMS   4
#define KETA_HTTP_PARAM_MAX    64 /* bytes of one captured segment; longer does not match */
#define KETA_HTTP_MAX_SEGMENTS 16

/* The request id (16 hex digits) also sent as X-Request-Id and logged. */
const char *keta_http_request_id(const keta_http_request *req);

/*
 * The path parameter captured as {name}, percent-decoded, or NULL. A capture is 1 to
 * KETA_HTTP_PARAM_MAX bytes of UTF-8 without control characters; other paths do not match.
 */
const char *keta_http_request_param(const keta_http_request *req, const char *name);

/* A request header (case-insensitive name), a cookie or a query argument, or NULL. */
const char *keta_http_request_header(const keta_http_request *req, const char *name);
const char *keta_http_request_cookie(const keta_http_request *req, const char *name);
const char *keta_http_request_query(const keta_http_request *req, const char *name);

/* The client's address as text ("127.0.0.1"), e.g. for login rate limiting; "" if unknown. */
const char *keta_http_request_client(const keta_http_request *req);

/* The parsed JSON body (borrowed) of a route with a body, else NULL. */
const json_t *keta_http_request_json(const keta_http_request *req);

/* The raw body bytes (NUL-terminated, *len bytes) of a route with a body, else NULL. */
const char *keta_http_request_body(const keta_http_request *req, size_t *len);

/* The method ("GET", ...) and the route's pattern. */
const char *keta_http_request_method(const keta_http_request *req);
const char *keta_http_request_pattern(const keta_http_request *req);

/* Answer with status and v serialised as JSON (v is borrowed). KETA_ENOMEM on failure. */
keta_err keta_http_reply_json(keta_http_reply *reply, unsigned status, const json_t *v);

/*
 * Answer with status and text[0..len) of content_type. When is_static, text (and
 * content_type) must outlive the server and is not copied; otherwise it is copied.
 */
keta_err keta_http_reply_text(keta_http_reply *reply, unsigned status, const char *content_type,
                              const char *text, size_t len, bool is_static);

/*
 * Add a header to the answer (Set-Cookie, Location, Retry-After ...). At most 8 per reply,
 * name up to 63 bytes, value up to 511; control characters are refused (KETA_EINVAL),
 * so no header can be split. KETA_ETOOBIG past the bounds.
 */
keta_err keta_http_reply_header(keta_http_reply *reply, const char *name, const char *value);

/*
 * The HTTP status for a handler's error: EPARSE 400; EINVAL ERANGE ETYPE EKEY ECOUNT ESKIP
 * 422; ENOTFOUND 404 when err names no body field (a path parameter such as an unknown
 * instrument), 422 when it names one (err->field starting with '/'); ETOOBIG 413; ENOMEM
 * 503; EAUTH 401; EDENIED 403; ECONFLICT 409; EBUSY 503. Anything else 500.
 */
unsigned keta_http_status_for(keta_err code, const keta_error *err);

/* ---- the engine routes ------------------------------------------------------------------------
 */

/*
 * The routes of the pure engines, all public: health, instruments, score, outcome, PK
 * models, simulate, TCI and the OpenAPI description. Terminated by a zeroed entry.
 */
extern const keta_http_route keta_http_engine_routes[];

/* ---- the server -------------------------------------------------------------------------------
 */

/* Outcome of keta_http_config.authenticate. */
typedef enum keta_http_auth {
    KETA_HTTP_AUTH_OK,          /* principal filled in */
    KETA_HTTP_AUTH_NONE,        /* no valid session: 401 */
    KETA_HTTP_AUTH_REFUSED,     /* a session, but the request is refused (CSRF token): 403 */
    KETA_HTTP_AUTH_UNAVAILABLE, /* the session store cannot answer now: 503 */
} keta_http_auth;

/*
 * Decide who sent a request to a non-public route: read the session cookie and, for
 * POST/PUT/PATCH/DELETE, check the CSRF header, then fill *who. Runs on a worker thread,
 * before the body is read. Without an authenticator every non-public route answers 401.
 */
typedef keta_http_auth (*keta_http_authenticate_fn)(void *ctx, const keta_http_request *req,
                                                    keta_http_principal *who);

/*
 * Told of every refusal after authentication: the principal's role is not among the
 * route's roles (403). For the audit log. who is NULL when no one was authenticated (401).
 */
typedef void (*keta_http_denied_fn)(void *ctx, const keta_http_request *req,
                                    const keta_http_principal *who, unsigned status);

#define KETA_HTTP_MAX_TABLES 8

typedef struct keta_http_config {
    const char *listen;       /* "127.0.0.1:8080" or "[::1]:8080"; port 0 picks a free port */
    const char *web_dir;      /* static files; NULL serves none */
    unsigned threads;         /* worker threads; 0: one per online core */
    unsigned max_connections; /* all clients */
    unsigned per_ip_connections;
    unsigned timeout_s;       /* a connection idle this long is closed */
    size_t connection_memory; /* bytes per connection for the request line and headers */
    size_t body_budget;       /* bytes of request bodies held at once, all connections */
    size_t static_max;        /* largest static file served, bytes */
    int log_fd;               /* where the JSON-lines log goes */
    /* Route tables, each ending with a zeroed entry; matched in order; NULL ends the list. */
    const keta_http_route *tables[KETA_HTTP_MAX_TABLES + 1];
    keta_http_authenticate_fn authenticate;
    keta_http_denied_fn on_denied;
    void (*release_principal)(void *ctx, keta_http_principal *who);
    void *auth_ctx;
} keta_http_config;

/*
 * Defaults: listen 127.0.0.1:8080, no static files, threads 0 (cores), 256 connections,
 * 64 per IP, timeout 15 s, 64 KiB per connection, 64 MiB of bodies, 16 MiB static files,
 * logs to stderr, tables = {keta_http_engine_routes}, no authenticator.
 */
void keta_http_config_init(keta_http_config *cfg);

typedef struct keta_http_server keta_http_server;

/*
 * Start serving cfg (borrowed for the server's life) on worker threads. KETA_EINVAL with
 * detail for a bad listen address, web directory or route table (a pattern that does not
 * parse, a body limit above KETA_JSON_MAX_BYTES); KETA_EIO when the address cannot be
 * bound; KETA_ENOMEM. Logs one "listening" line.
 */
keta_err keta_http_server_start(const keta_http_config *cfg, keta_http_server **out,
                                keta_error *err);

/* The TCP port the server listens on (the one picked when cfg->listen asked for port 0). */
unsigned keta_http_server_port(const keta_http_server *srv);

/*
 * Stop accepting connections (MHD_quiesce_daemon); requests already received go on.
 * Idempotent.
 */
void keta_http_server_quiesce(keta_http_server *srv);

/* Requests received and not yet answered and logged. */
unsigned keta_http_server_in_flight(const keta_http_server *srv);

/*
 * Stop the server: close every connection, join the workers, release everything. Call
 * keta_http_server_quiesce and wait for keta_http_server_in_flight to reach 0 first for a
 * graceful stop. NULL is a no-op.
 */
void keta_http_server_close(keta_http_server *srv);

/*
 * Print the route tables of cfg, one route per line: METHOD PATTERN ACCESS BODY_MAX, where
 * ACCESS is "public" or the role names joined by ','. For the OpenAPI check.
 */
void keta_http_print_routes(const keta_http_config *cfg, FILE *to);

/* ---- the clinic routes: login, sessions, patient data (src/http/clinic.c) -------------------
 */

struct keta_service;
typedef struct keta_http_clinic keta_http_clinic;

typedef struct keta_http_clinic_options {
    unsigned idle_timeout_s;     /* a session unused this long is logged off; 0: 900 (15 min) */
    bool secure_cookie;          /* add Secure to the session cookie (behind a TLS proxy) */
    unsigned login_max_failures; /* failed logins per username and per client ...; 0: 5 */
    unsigned login_window_s;     /* ... within this window before 429; 0: 300 */
    unsigned max_sessions;       /* sessions held at once; 0: 4096 */
} keta_http_clinic_options;

/*
 * The clinic routes: POST /api/v1/login (public), logout, me, and the patient-data routes
 * over the service layer, each with the roles that hold the service's permission
 * (src/service/roles.c). Terminated by a zeroed entry. They answer only once a clinic is
 * open (keta_http_clinic_open); before that (e.g. `keta serve --routes`) they are a table.
 */
extern const keta_http_route keta_http_clinic_routes[];

/*
 * Open the clinic API over svc (borrowed; must outlive the clinic). Sessions are held in
 * this process's memory (ids are 256-bit random values from libsodium; only their BLAKE2b
 * hash is kept), so they do not survive a restart and are not shared between servers.
 * One clinic per process: the login route finds it through a process-wide pointer.
 * KETA_ECONFLICT when one is open already; KETA_ENOMEM.
 */
keta_err keta_http_clinic_open(struct keta_service *svc, const keta_http_clinic_options *opt,
                               keta_http_clinic **out, keta_error *err);

/*
 * Plug the clinic into cfg: its route table after the tables already set, the
 * authenticator (session cookie keta_session, X-CSRF-Token header on state-changing
 * methods), the audit of refusals and the release of principals.
 */
void keta_http_clinic_attach(keta_http_clinic *c, keta_http_config *cfg);

/* Forget every session and free the clinic (after the server is closed). NULL is a no-op. */
void keta_http_clinic_close(keta_http_clinic *c);

/*
 * The routes of the service's use cases (include/keta/usecase.h), one per use case: its
 * method and path, the roles of its table entry, its body limit, and a handler that decodes
 * the path ids and query arguments, runs the use case as the logged-in actor and answers its
 * JSON. Built once (thread-safe); terminated by a zeroed entry. They answer 503 until a
 * clinic is open.
 */
const keta_http_route *keta_http_usecase_routes(void);

#ifdef __cplusplus
}
#endif

#endif
