/*
 * The libmicrohttpd adapter (c-ecosystem.md §1.1, §4): a thread pool on epoll, limits at
 * every door (connections, per IP, idle timeout, memory per connection, body per route, all
 * bodies together), one JSON-lines access record per request, graceful stop by quiescing.
 *
 * One request, one `exchange`: created by the URI callback (which also gives it its id and
 * counts it in flight), driven through the access handler (head checks, then the body, then
 * the route) and logged and freed by the completion callback.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

struct keta_http_server {
    keta_http_config cfg;
    struct MHD_Daemon *daemon;
    int web_fd;
    unsigned port;
    bool quiesced;
    atomic_uint in_flight;
    atomic_size_t body_held;
};

/*
 * HEAD: the first call. READY: the answer is decided; it goes out on the next call, since
 * libmicrohttpd 0.9.75 closes the connection after any answer queued on the first call
 * (it cannot know the body is empty). That is what a refused body needs, so refusals of a
 * request with a body go out at once. BODY: the body is coming. DONE: answered.
 */
enum phase { PHASE_HEAD, PHASE_READY, PHASE_BODY, PHASE_DONE };

typedef struct exchange {
    keta_http_server *srv;
    struct MHD_Connection *conn;
    struct timespec t0;
    enum phase phase;
    keta_http_request req;
    keta_http_reply reply;
    keta_http_principal who;
    bool has_who;
    bool has_body; /* the request announced a body (a length above 0, or chunks) */
    keta_buf body;
    size_t reserved; /* bytes of the body budget this request holds */
    const char *route_label;
    const char *method_label;
    unsigned status_sent;
    uint64_t bytes_sent;
} exchange;

/* Headers on every answer (clinic.md §5; c-ecosystem.md §1.7). No inline script or style. */
static const char csp[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
                          "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
static const struct {
    const char *name, *value;
} security_headers[] = {
    {"Content-Security-Policy", csp},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "no-referrer"},
    {"X-Frame-Options", "DENY"},
    {"Cross-Origin-Opener-Policy", "same-origin"},
    {"Cross-Origin-Resource-Policy", "same-origin"},
    {"Permissions-Policy", "camera=(), microphone=(), geolocation=()"},
};

/* Known methods are logged by name; anything else a client sends is "OTHER". */
static const char *method_label(const char *m)
{
    static const char *const known[] = {"GET",    "HEAD",    "POST",  "PUT",    "PATCH",
                                        "DELETE", "OPTIONS", "TRACE", "CONNECT"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(m, known[i]) == 0)
            return known[i];
    return "OTHER";
}

static double ms_since(const struct timespec *t0)
{
    struct timespec now;
    (void)clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) * 1e3 + (double)(now.tv_nsec - t0->tv_nsec) / 1e6;
}

/* ---- libmicrohttpd callbacks -------------------------------------------------------------------
 */

/* libmicrohttpd's messages, as log records. */
__attribute__((format(printf, 2, 0))) static void log_mhd(void *cls, const char *fmt, va_list ap)
{
    const keta_http_server *srv = cls;
    char text[512];
    (void)vsnprintf(text, sizeof text, fmt, ap);
    size_t n = strlen(text);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        text[--n] = '\0';
    keta__http_logline l;
    keta__http_log_begin(&l, "warn", "libmicrohttpd");
    keta__http_log_str(&l, "detail", text);
    keta__http_log_end(&l, srv->cfg.log_fd);
}

static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls, (void)c;
    return keta__http_unescape(s);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)uri; /* the raw target may carry identifiers: it is never logged */
    keta_http_server *srv = cls;
    exchange *x = keta_malloc(sizeof *x);
    if (x == NULL)
        return NULL;
    memset(x, 0, sizeof *x);
    x->srv = srv;
    x->conn = conn;
    (void)clock_gettime(CLOCK_MONOTONIC, &x->t0);
    keta__http_request_init(&x->req, NULL, NULL);
    keta__http_new_id(x->req.id);
    keta__http_reply_init(&x->reply);
    keta_buf_init(&x->body, 0);
    x->method_label = "OTHER";
    atomic_fetch_add(&srv->in_flight, 1);
    return x;
}

static const char *termination_name(enum MHD_RequestTerminationCode toe)
{
    switch (toe) {
    case MHD_REQUEST_TERMINATED_COMPLETED_OK:
        return NULL;
    case MHD_REQUEST_TERMINATED_WITH_ERROR:
        return "error";
    case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED:
        return "timeout";
    case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN:
        return "shutdown";
    case MHD_REQUEST_TERMINATED_READ_ERROR:
        return "read_error";
    case MHD_REQUEST_TERMINATED_CLIENT_ABORT:
        return "client_abort";
    }
    return "unknown";
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    keta_http_server *srv = cls;
    exchange *x = *con_cls;
    if (x == NULL)
        return;
    *con_cls = NULL;
    keta__http_logline l;
    keta__http_log_begin(&l, x->status_sent >= 500 ? "error" : "info", "request");
    keta__http_log_str(&l, "req_id", x->req.id);
    keta__http_log_str(&l, "method", x->method_label);
    keta__http_log_str(&l, "route", x->route_label);
    if (x->status_sent != 0)
        keta__http_log_int(&l, "status", x->status_sent);
    else
        keta__http_log_str(&l, "status", NULL);
    keta__http_log_ms(&l, "dur_ms", ms_since(&x->t0));
    keta__http_log_int(&l, "bytes", (long long)x->bytes_sent);
    if (x->reply.error_code != NULL)
        keta__http_log_str(&l, "error", x->reply.error_code);
    if (x->has_who)
        keta__http_log_int(&l, "user_id", x->who.user_id);
    const char *end = termination_name(toe);
    if (end != NULL)
        keta__http_log_str(&l, "end", end);
    keta__http_log_end(&l, srv->cfg.log_fd);

    if (x->has_who && srv->cfg.release_principal != NULL)
        srv->cfg.release_principal(srv->cfg.auth_ctx, &x->who);
    if (x->reserved > 0)
        atomic_fetch_sub(&srv->body_held, x->reserved);
    keta__http_request_clear(&x->req);
    keta__http_reply_clear(&x->reply);
    keta_buf_free(&x->body);
    keta_free(x);
    atomic_fetch_sub(&srv->in_flight, 1);
}

static const char *lookup(void *ctx, keta__http_lookup_kind kind, const char *name)
{
    exchange *x = ctx;
    enum MHD_ValueKind k = kind == KETA__HTTP_COOKIE  ? MHD_COOKIE_KIND
                           : kind == KETA__HTTP_QUERY ? MHD_GET_ARGUMENT_KIND
                                                      : MHD_HEADER_KIND;
    return MHD_lookup_connection_value(x->conn, k, name);
}

/* ---- answering --------------------------------------------------------------------------------
 */

static const char oom_body[] =
    "{\"error\":{\"code\":\"KETA_ENOMEM\",\"field\":null,\"message\":\"out of memory\"}}";

static void add_common_headers(struct MHD_Response *r, const char *id, const char *cache)
{
    for (size_t i = 0; i < sizeof security_headers / sizeof security_headers[0]; i++)
        (void)MHD_add_response_header(r, security_headers[i].name, security_headers[i].value);
    (void)MHD_add_response_header(r, "Cache-Control", cache);
    if (id != NULL)
        (void)MHD_add_response_header(r, "X-Request-Id", id);
}

/* When even the answer cannot be built: a static 503. */
static enum MHD_Result queue_oom(struct MHD_Connection *conn, const char *id)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(sizeof oom_body - 1, (void *)oom_body,
                                                             MHD_RESPMEM_PERSISTENT);
    if (r == NULL)
        return MHD_NO; /* libmicrohttpd closes the connection */
    add_common_headers(r, id, "no-store");
    (void)MHD_add_response_header(r, "Content-Type", "application/json");
    (void)MHD_add_response_header(r, "Retry-After", "1");
    enum MHD_Result ok = MHD_queue_response(conn, 503, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result queue_reply(exchange *x)
{
    keta_http_reply *rep = &x->reply;
    struct MHD_Response *r;
    uint64_t bytes;
    x->phase = PHASE_DONE;
    if (rep->fd >= 0) {
        r = MHD_create_response_from_fd64(rep->fd_size, rep->fd);
        if (r != NULL)
            rep->fd = -1; /* libmicrohttpd closes it */
        bytes = rep->fd_size;
    } else if (rep->body_static) {
        r = MHD_create_response_from_buffer(rep->len, rep->body, MHD_RESPMEM_PERSISTENT);
        bytes = rep->len;
    } else {
        r = MHD_create_response_from_buffer_with_free_callback(rep->len, rep->body, keta_free);
        if (r != NULL)
            rep->body = NULL; /* freed by libmicrohttpd with the response */
        bytes = rep->len;
    }
    if (r == NULL) {
        x->status_sent = 503;
        rep->error_code = "KETA_ENOMEM";
        return queue_oom(x->conn, x->req.id);
    }
    add_common_headers(r, x->req.id, rep->cache_control);
    if (rep->content_type != NULL)
        (void)MHD_add_response_header(r, "Content-Type", rep->content_type);
    for (unsigned i = 0; i < rep->n_headers; i++)
        (void)MHD_add_response_header(r, rep->header_name[i], rep->header_value[i]);
    x->status_sent = rep->status;
    x->bytes_sent = bytes;
    enum MHD_Result ok = MHD_queue_response(x->conn, rep->status, r);
    MHD_destroy_response(r);
    return ok;
}

/* ---- the request head -------------------------------------------------------------------------
 */

/* Content-Length as sent: digits only, no sign or spaces inside. */
static bool parse_length(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (s == NULL)
        return false;
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s < '0' || *s > '9')
        return false;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    while (*s == ' ' || *s == '\t')
        s++;
    *out = v;
    return *s == '\0';
}

static void client_address(exchange *x)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(x->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci == NULL || ci->client_addr == NULL)
        return;
    const struct sockaddr *sa = ci->client_addr;
    bool loopback = false;
    if (sa->sa_family == AF_INET) {
        const struct in_addr *a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
        loopback = (ntohl(a->s_addr) >> 24) == 127;
        (void)inet_ntop(AF_INET, a, x->req.client, sizeof x->req.client);
    } else if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        loopback = IN6_IS_ADDR_LOOPBACK(a);
        (void)inet_ntop(AF_INET6, a, x->req.client, sizeof x->req.client);
    }
    /* The proxy's word for the client, on loopback only, and only a literal address. */
    const char *name = x->srv->cfg.client_header;
    if (name == NULL || !loopback)
        return;
    const char *v = MHD_lookup_connection_value(x->conn, MHD_HEADER_KIND, name);
    unsigned char bin[sizeof(struct in6_addr)];
    if (v == NULL || strlen(v) >= sizeof x->req.client)
        return;
    if (inet_pton(AF_INET, v, bin) == 1 || inet_pton(AF_INET6, v, bin) == 1)
        (void)snprintf(x->req.client, sizeof x->req.client, "%s", v);
}

/* Who is calling a non-public route? 0 when allowed, else the refusal's status (answered). */
static unsigned authorize(exchange *x)
{
    keta_http_server *srv = x->srv;
    const keta_http_route *route = x->req.route;
    keta_http_auth a = KETA_HTTP_AUTH_NONE;
    if (srv->cfg.authenticate != NULL) {
        memset(&x->who, 0, sizeof x->who);
        a = srv->cfg.authenticate(srv->cfg.auth_ctx, &x->req, &x->who);
        x->has_who = a == KETA_HTTP_AUTH_OK;
    }
    unsigned status = 0;
    switch (a) {
    case KETA_HTTP_AUTH_OK:
        if ((x->who.role & route->roles) == 0) {
            status = 403;
            keta__http_reply_error(&x->reply, 403, "forbidden", NULL,
                                   "your role may not use this route");
        }
        break;
    case KETA_HTTP_AUTH_NONE:
        status = 401;
        keta__http_reply_error(&x->reply, 401, "unauthenticated", NULL, "log in first");
        break;
    case KETA_HTTP_AUTH_REFUSED:
        status = 403;
        keta__http_reply_error(&x->reply, 403, "forbidden", NULL,
                               "the request was refused (missing or wrong CSRF token)");
        break;
    case KETA_HTTP_AUTH_UNAVAILABLE:
        status = 503;
        keta__http_reply_error(&x->reply, 503, "unavailable", NULL,
                               "sessions cannot be checked now; try again");
        break;
    }
    if (status != 0 && status != 503 && srv->cfg.on_denied != NULL)
        srv->cfg.on_denied(srv->cfg.auth_ctx, &x->req, x->has_who ? &x->who : NULL, status);
    return status;
}

/* The first call for a request: everything that can be decided from its head. */
/* An answer decided from the head: at once when a body would follow, else on the next call. */
static enum MHD_Result answer_head(exchange *x)
{
    if (x->has_body)
        return queue_reply(x);
    x->phase = PHASE_READY;
    return MHD_YES;
}

static enum MHD_Result begin(exchange *x, const char *url, const char *method)
{
    keta_http_server *srv = x->srv;
    char allow[64];
    x->method_label = method_label(method);
    x->req.method = method;
    x->req.path = url;
    x->req.lookup = lookup;
    x->req.lookup_ctx = x;
    client_address(x);

    uint64_t length = 0;
    const char *cl = MHD_lookup_connection_value(x->conn, MHD_HEADER_KIND, "Content-Length");
    const char *te = MHD_lookup_connection_value(x->conn, MHD_HEADER_KIND, "Transfer-Encoding");
    bool has_length = parse_length(cl, &length);
    bool chunked = te != NULL;
    x->has_body = chunked || length > 0;

    unsigned found = keta__http_route_find(srv->cfg.tables, &x->req, allow, sizeof allow);
    if (found != 0) {
        bool api = strncmp(url, "/api/", 5) == 0 || strcmp(url, "/api") == 0;
        if (found == 404 && !api && srv->web_fd >= 0) {
            x->route_label = "static";
            if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
                keta__http_static(srv->web_fd, url, srv->cfg.static_max, &x->reply);
            } else {
                keta__http_reply_error(&x->reply, 405, "method_not_allowed", NULL,
                                       "static files answer GET and HEAD only");
                (void)keta_http_reply_header(&x->reply, "Allow", "GET, HEAD");
            }
        } else if (found == 405) {
            keta__http_reply_error(&x->reply, 405, "method_not_allowed", NULL,
                                   "this path does not take that method; see Allow");
            (void)keta_http_reply_header(&x->reply, "Allow", allow);
        } else {
            keta__http_reply_error(&x->reply, 404, "KETA_ENOTFOUND", NULL, "no such route");
        }
        return answer_head(x);
    }
    x->route_label = x->req.route->pattern;

    if (x->req.route->roles != KETA_HTTP_PUBLIC && authorize(x) != 0)
        return answer_head(x);

    const char *ct = MHD_lookup_connection_value(x->conn, MHD_HEADER_KIND, "Content-Type");
    if (keta__http_check_head(x->req.route, ct, has_length, length, chunked, &x->reply) != 0)
        return answer_head(x);

    if (x->req.route->body_max == 0) {
        keta__http_run(&x->req, x->has_who ? &x->who : NULL, &x->reply);
        return answer_head(x);
    }
    /* Hold the body's bytes against the budget of all bodies, so that many large uploads
       at once meet a 503 rather than exhaust memory. */
    size_t want = (size_t)length;
    size_t held = atomic_fetch_add(&srv->body_held, want) + want;
    x->reserved = want;
    if (held > srv->cfg.body_budget) {
        keta__http_reply_error(&x->reply, 503, "unavailable", NULL,
                               "the server is receiving too much at once; try again");
        return answer_head(x);
    }
    keta_buf_init(&x->body, want);
    x->phase = PHASE_BODY;
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)cls, (void)version;
    exchange *x = *con_cls;
    if (x == NULL)
        return queue_oom(conn, NULL);
    switch (x->phase) {
    case PHASE_HEAD:
        return begin(x, url, method);
    case PHASE_READY:
        *upload_data_size = 0;
        return queue_reply(x);
    case PHASE_BODY:
        if (*upload_data_size > 0) {
            keta_err rc = keta_buf_append(&x->body, upload_data, *upload_data_size);
            *upload_data_size = 0;
            if (rc == KETA_ETOOBIG) {
                keta__http_reply_error(&x->reply, 413, "KETA_ETOOBIG", NULL,
                                       "the body is longer than its Content-Length");
                return queue_reply(x);
            }
            if (rc != KETA_OK) {
                keta__http_reply_error(&x->reply, 503, "KETA_ENOMEM", NULL, "out of memory");
                return queue_reply(x);
            }
            return MHD_YES;
        }
        x->req.body = keta_buf_str(&x->body);
        x->req.body_len = x->body.len;
        keta__http_run(&x->req, x->has_who ? &x->who : NULL, &x->reply);
        return queue_reply(x);
    case PHASE_DONE:
        /* An answer went out early (411, 413 ...): libmicrohttpd discards the rest. */
        *upload_data_size = 0;
        return MHD_YES;
    }
    return MHD_NO;
}

/* ---- configuration ----------------------------------------------------------------------------
 */

void keta_http_config_init(keta_http_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->listen = "127.0.0.1:8080";
    cfg->max_connections = 256;
    cfg->per_ip_connections = 64;
    cfg->timeout_s = 15;
    cfg->connection_memory = (size_t)64 * 1024;
    cfg->body_budget = (size_t)64 * 1024 * 1024;
    cfg->static_max = (size_t)16 * 1024 * 1024;
    cfg->log_fd = STDERR_FILENO;
    cfg->tables[0] = keta_http_engine_routes;
}

/* "127.0.0.1:8080" or "[::1]:8080" into a socket address. Literal addresses only. */
static keta_err parse_listen(const char *spec, struct sockaddr_storage *ss, bool *v6,
                             keta_error *err)
{
    char host[64];
    const char *colon = spec != NULL ? strrchr(spec, ':') : NULL;
    if (colon == NULL || colon == spec || (size_t)(colon - spec) >= sizeof host)
        return keta_error_set(err, KETA_EINVAL, "listen",
                              "expected ADDRESS:PORT such as 127.0.0.1:8080");
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = '\0';
    char *end;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (errno != 0 || end == colon + 1 || *end != '\0' || port > 65535)
        return keta_error_set(err, KETA_EINVAL, "listen", "port must be 0 to 65535");
    memset(ss, 0, sizeof *ss);
    size_t hn = strlen(host);
    if (host[0] == '[' && hn > 2 && host[hn - 1] == ']') {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        host[hn - 1] = '\0';
        if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
            return keta_error_set(err, KETA_EINVAL, "listen", "not an IPv6 address");
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        *v6 = true;
        return KETA_OK;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
        return keta_error_set(err, KETA_EINVAL, "listen",
                              "not an IPv4 address (names are not resolved): use 127.0.0.1");
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    *v6 = false;
    return KETA_OK;
}

static keta_err check_tables(const keta_http_config *cfg, keta_error *err)
{
    for (size_t t = 0; t < KETA_HTTP_MAX_TABLES && cfg->tables[t] != NULL; t++)
        for (const keta_http_route *r = cfg->tables[t]; r->method != NULL; r++) {
            if (!keta__http_pattern_valid(r->pattern) || r->handler == NULL)
                return keta_error_set(err, KETA_EINVAL, "routes", "route %s %s is malformed",
                                      r->method, r->pattern ? r->pattern : "(null)");
            if (r->body_max > KETA_JSON_MAX_BYTES)
                return keta_error_set(err, KETA_EINVAL, "routes",
                                      "route %s %s takes more than %zu bytes", r->method,
                                      r->pattern, KETA_JSON_MAX_BYTES);
        }
    return KETA_OK;
}

keta_err keta_http_server_start(const keta_http_config *cfg, keta_http_server **out,
                                keta_error *err)
{
    struct sockaddr_storage addr;
    bool v6 = false;
    *out = NULL;
    keta_err rc = parse_listen(cfg->listen, &addr, &v6, err);
    if (rc == KETA_OK)
        rc = check_tables(cfg, err);
    if (rc != KETA_OK)
        return rc;
    keta_http_server *srv = keta_malloc(sizeof *srv);
    if (srv == NULL)
        return keta_error_set(err, KETA_ENOMEM, "", "out of memory");
    memset(srv, 0, sizeof *srv);
    srv->cfg = *cfg;
    srv->web_fd = -1;
    atomic_init(&srv->in_flight, 0);
    atomic_init(&srv->body_held, 0);
    if (cfg->web_dir != NULL) {
        srv->web_fd = open(cfg->web_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (srv->web_fd < 0) {
            rc = keta_error_set(err, KETA_EINVAL, "web", "cannot open directory %s: %s",
                                cfg->web_dir, strerror(errno));
            goto fail;
        }
    }
    /* Seed jansson's hash before worker threads create objects (hash flooding). */
    json_object_seed(0);

    unsigned threads = cfg->threads;
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 && n < 256 ? (unsigned)n : 1;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, log_mhd, srv,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned int)(threads > 1 ? threads : 0), MHD_OPTION_CONNECTION_LIMIT,
        (unsigned int)cfg->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned int)cfg->per_ip_connections, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned int)cfg->timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)cfg->connection_memory, MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_UNESCAPE_CALLBACK, unescape, srv,
        MHD_OPTION_STRICT_FOR_CLIENT, (int)1, MHD_OPTION_END);
    if (srv->daemon == NULL) {
        rc = keta_error_set(err, KETA_EIO, "listen", "cannot listen on %s (in use, or not ours)",
                            cfg->listen);
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info != NULL ? info->port : 0;

    keta__http_logline l;
    keta__http_log_begin(&l, "info", "listening");
    keta__http_log_str(&l, "listen", cfg->listen);
    keta__http_log_int(&l, "port", srv->port);
    keta__http_log_int(&l, "threads", threads);
    keta__http_log_str(&l, "web", cfg->web_dir);
    keta__http_log_end(&l, cfg->log_fd);
    *out = srv;
    return KETA_OK;
fail:
    if (srv->web_fd >= 0)
        (void)close(srv->web_fd);
    keta_free(srv);
    return rc;
}

unsigned keta_http_server_port(const keta_http_server *srv)
{
    return srv->port;
}

void keta_http_server_quiesce(keta_http_server *srv)
{
    if (srv == NULL || srv->quiesced)
        return;
    srv->quiesced = true;
    MHD_socket s = MHD_quiesce_daemon(srv->daemon);
    if (s != MHD_INVALID_SOCKET)
        (void)close(s);
    keta__http_logline l;
    keta__http_log_begin(&l, "info", "quiesced");
    keta__http_log_int(&l, "in_flight", keta_http_server_in_flight(srv));
    keta__http_log_end(&l, srv->cfg.log_fd);
}

unsigned keta_http_server_in_flight(const keta_http_server *srv)
{
    return atomic_load(&srv->in_flight);
}

void keta_http_server_close(keta_http_server *srv)
{
    if (srv == NULL)
        return;
    unsigned left = keta_http_server_in_flight(srv);
    MHD_stop_daemon(srv->daemon);
    if (srv->web_fd >= 0)
        (void)close(srv->web_fd);
    keta__http_logline l;
    keta__http_log_begin(&l, "info", "stopped");
    keta__http_log_int(&l, "cut_off", left);
    keta__http_log_end(&l, srv->cfg.log_fd);
    keta_free(srv);
}

void keta_http_print_routes(const keta_http_config *cfg, FILE *to)
{
    for (size_t t = 0; t < KETA_HTTP_MAX_TABLES && cfg->tables[t] != NULL; t++)
        for (const keta_http_route *r = cfg->tables[t]; r->method != NULL; r++) {
            fprintf(to, "%s %s ", r->method, r->pattern);
            if (r->roles == KETA_HTTP_PUBLIC) {
                fputs("public", to);
            } else {
                const char *sep = "";
                for (unsigned bit = 1; bit != 0 && bit <= r->roles; bit <<= 1)
                    if ((r->roles & bit) != 0 && keta_http_role_name(bit) != NULL) {
                        fprintf(to, "%s%s", sep, keta_http_role_name(bit));
                        sep = ",";
                    }
            }
            fprintf(to, " %zu\n", r->body_max);
        }
}
