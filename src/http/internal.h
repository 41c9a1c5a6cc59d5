/*
 * Internal to src/http. The exchange core (router.c) knows nothing of sockets: it matches a
 * route, checks the request head, parses the body and calls the handler, so the fuzz target
 * and the unit tests drive it directly. server.c adapts it to libmicrohttpd.
 */
#ifndef KETA_HTTP_INTERNAL_H
#define KETA_HTTP_INTERNAL_H

#include <stdint.h>

#include "keta/http.h"
#include "keta/json.h"

#define KETA__HTTP_ID_LEN      16 /* hex digits of a request id */
#define KETA__HTTP_MAX_HEADERS 8
#define KETA__HTTP_HEADER_NAME 64
#define KETA__HTTP_HEADER_VAL  512

/* What only the transport knows: headers, cookies, query arguments. */
typedef enum keta__http_lookup_kind {
    KETA__HTTP_HEADER,
    KETA__HTTP_COOKIE,
    KETA__HTTP_QUERY,
} keta__http_lookup_kind;
typedef const char *(*keta__http_lookup_fn)(void *ctx, keta__http_lookup_kind kind,
                                            const char *name);

struct keta_http_request {
    const char *method; /* borrowed from the transport */
    const char *path;   /* decoded path, borrowed */
    const keta_http_route *route;
    unsigned n_params;
    const char *param_name[KETA_HTTP_MAX_PARAMS]; /* into route->pattern, not NUL-terminated */
    size_t param_name_len[KETA_HTTP_MAX_PARAMS];
    char param_value[KETA_HTTP_MAX_PARAMS][KETA_HTTP_PARAM_MAX + 1];
    const char *body; /* NUL-terminated, borrowed */
    size_t body_len;
    json_t *json; /* owned: released by keta__http_request_clear */
    char id[KETA__HTTP_ID_LEN + 1];
    char client[48];
    keta__http_lookup_fn lookup; /* NULL: every lookup answers NULL */
    void *lookup_ctx;
};

struct keta_http_reply {
    unsigned status; /* 0 until an answer is set */
    const char *content_type;
    char *body; /* keta_malloc'd unless body_static */
    size_t len;
    bool body_static;
    const char *cache_control; /* "no-store" unless the static file server says otherwise */
    unsigned n_headers;
    char header_name[KETA__HTTP_MAX_HEADERS][KETA__HTTP_HEADER_NAME];
    char header_value[KETA__HTTP_MAX_HEADERS][KETA__HTTP_HEADER_VAL];
    int fd; /* a static file to send (owned), or -1 */
    uint64_t fd_size;
    const char *error_code; /* the error answered, for the log; NULL on success */
};

void keta__http_request_init(keta_http_request *req, const char *method, const char *path);
void keta__http_request_clear(keta_http_request *req);
void keta__http_reply_init(keta_http_reply *reply);
void keta__http_reply_clear(keta_http_reply *reply);

/* 1 when pattern is well formed: starts with '/', literal segments and {name} captures. */
bool keta__http_pattern_valid(const char *pattern);

/*
 * Find req->method req->path in tables. 0 when found (req->route and its parameters set);
 * 404 when no pattern matches the path; 405 when a pattern matches with other methods, whose
 * list (e.g. "GET, HEAD") goes into allow.
 */
unsigned keta__http_route_find(const keta_http_route *const *tables, keta_http_request *req,
                               char *allow, size_t allow_cap);

/*
 * Percent-decode s in place (the path and query, before routing) and return its new length.
 * As libmicrohttpd's own decoder, except that "%00" stays as it is: a NUL would cut the
 * path short of what the client sent.
 */
size_t keta__http_unescape(char *s);

/* Is content_type application/json (optionally with charset=utf-8)? */
bool keta__http_is_json_type(const char *content_type);

/*
 * Check the head of a request to route: 0 when the body may be read, else the status it
 * must be refused with (411, 413, 415) and the error answer written to reply.
 * has_length: a Content-Length header came (with value length); chunked: the body comes
 * in chunks without one.
 */
unsigned keta__http_check_head(const keta_http_route *route, const char *content_type,
                               bool has_length, uint64_t length, bool chunked,
                               keta_http_reply *reply);

/*
 * Run the route on the body received (req->body): parse it strictly when the route takes
 * one, call the handler and turn an error into its answer. reply always has an answer
 * afterwards.
 */
void keta__http_run(keta_http_request *req, const keta_http_principal *who, keta_http_reply *reply);

/*
 * Answer with {"error":{"code","field","message"}}; field NULL or "" gives null. Falls back
 * to a static body when out of memory.
 */
void keta__http_reply_error(keta_http_reply *reply, unsigned status, const char *code,
                            const char *field, const char *message);

/* ---- log.c ------------------------------------------------------------------------------------
 */

/* A fresh random request id, KETA__HTTP_ID_LEN hex digits. */
void keta__http_new_id(char out[KETA__HTTP_ID_LEN + 1]);

/* One JSON-lines log record, built on the stack and written with one write(2). */
typedef struct keta__http_logline {
    char buf[1024];
    size_t n;
    bool full;
} keta__http_logline;

void keta__http_log_begin(keta__http_logline *l, const char *level, const char *msg);
void keta__http_log_str(keta__http_logline *l, const char *key, const char *value);
void keta__http_log_int(keta__http_logline *l, const char *key, long long value);
void keta__http_log_ms(keta__http_logline *l, const char *key, double ms);
void keta__http_log_end(keta__http_logline *l, int fd);

/* ---- static.c ---------------------------------------------------------------------------------
 */

/*
 * Answer GET path from the directory open as root_fd: an open regular file no larger than
 * max, by a path of plain segments (letters, digits, '.', '-', '_'; none starting with '.'),
 * without following any symbolic link, of a known type by extension. Anything else is a 404.
 */
void keta__http_static(int root_fd, const char *path, size_t max, keta_http_reply *reply);

/* The content type for a file name's extension, or NULL when keta does not serve it. */
const char *keta__http_static_type(const char *name);

/* ---- the OpenAPI description, embedded at build time (docs/openapi.yaml) -------------------- */
extern const char keta__http_openapi_yaml[];
extern const size_t keta__http_openapi_yaml_len;

/*
 * The service and the actor of an authenticated clinic request (who from the clinic's
 * authenticator), or for a public request (who NULL) the open clinic's service and a NULL
 * actor. *svc is NULL when no clinic is open.
 */
struct keta_service;
const struct keta_actor *keta__http_clinic_caller(const keta_http_principal *who,
                                                  struct keta_service **svc);

#endif
