/*
 * The exchange core: route table matching, request-head checks, strict JSON bodies, the
 * handler call and the error answer. No sockets here (see internal.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "internal.h"

/* ---- roles ------------------------------------------------------------------------------------
 */

static const char *const role_names[] = {"front_desk", "nurse", "prescriber",
                                         "therapist",  "admin", "patient"};
#define N_ROLES (sizeof role_names / sizeof role_names[0])

unsigned keta_http_role_from_name(const char *name)
{
    for (size_t i = 0; name != NULL && i < N_ROLES; i++)
        if (strcmp(name, role_names[i]) == 0)
            return 1u << i;
    return 0;
}

const char *keta_http_role_name(unsigned role)
{
    for (size_t i = 0; i < N_ROLES; i++)
        if (role == 1u << i)
            return role_names[i];
    return NULL;
}

/* ---- requests ---------------------------------------------------------------------------------
 */

void keta__http_request_init(keta_http_request *req, const char *method, const char *path)
{
    memset(req, 0, sizeof *req);
    req->method = method;
    req->path = path;
}

void keta__http_request_clear(keta_http_request *req)
{
    json_decref(req->json);
    req->json = NULL;
}

const char *keta_http_request_id(const keta_http_request *req)
{
    return req->id;
}

const char *keta_http_request_method(const keta_http_request *req)
{
    return req->method;
}

const char *keta_http_request_pattern(const keta_http_request *req)
{
    return req->route != NULL ? req->route->pattern : NULL;
}

const char *keta_http_request_param(const keta_http_request *req, const char *name)
{
    size_t n = strlen(name);
    for (unsigned i = 0; i < req->n_params; i++)
        if (req->param_name_len[i] == n && memcmp(req->param_name[i], name, n) == 0)
            return req->param_value[i];
    return NULL;
}

static const char *lookup(const keta_http_request *req, keta__http_lookup_kind kind,
                          const char *name)
{
    return req->lookup != NULL ? req->lookup(req->lookup_ctx, kind, name) : NULL;
}

const char *keta_http_request_header(const keta_http_request *req, const char *name)
{
    return lookup(req, KETA__HTTP_HEADER, name);
}

const char *keta_http_request_cookie(const keta_http_request *req, const char *name)
{
    return lookup(req, KETA__HTTP_COOKIE, name);
}

const char *keta_http_request_query(const keta_http_request *req, const char *name)
{
    return lookup(req, KETA__HTTP_QUERY, name);
}

const char *keta_http_request_client(const keta_http_request *req)
{
    return req->client;
}

const json_t *keta_http_request_json(const keta_http_request *req)
{
    return req->json;
}

const char *keta_http_request_body(const keta_http_request *req, size_t *len)
{
    if (req->route == NULL || req->route->body_max == 0 || req->body == NULL) {
        *len = 0;
        return NULL;
    }
    *len = req->body_len;
    return req->body;
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629), or 0 when there is none. */
static size_t utf8_sequence(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned cp;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0fu;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07u;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3fu);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* ---- replies ----------------------------------------------------------------------------------
 */

void keta__http_reply_init(keta_http_reply *reply)
{
    memset(reply, 0, sizeof *reply);
    reply->fd = -1;
    reply->cache_control = "no-store";
}

void keta__http_reply_clear(keta_http_reply *reply)
{
    if (!reply->body_static)
        keta_free(reply->body);
    if (reply->fd >= 0)
        (void)close(reply->fd);
    keta__http_reply_init(reply);
}

/* Drop any answer set so far but keep nothing else. */
static void reply_reset_body(keta_http_reply *reply)
{
    if (!reply->body_static)
        keta_free(reply->body);
    reply->body = NULL;
    reply->body_static = false;
    reply->len = 0;
}

keta_err keta_http_reply_text(keta_http_reply *reply, unsigned status, const char *content_type,
                              const char *text, size_t len, bool is_static)
{
    reply_reset_body(reply);
    if (is_static) {
        reply->body = (char *)(uintptr_t)text; /* never written: body_static marks it */
    } else {
        reply->body = keta_malloc(len + 1);
        if (reply->body == NULL)
            return KETA_ENOMEM;
        memcpy(reply->body, text, len);
        reply->body[len] = '\0';
    }
    reply->body_static = is_static;
    reply->len = len;
    reply->status = status;
    reply->content_type = content_type;
    return KETA_OK;
}

keta_err keta_http_reply_json(keta_http_reply *reply, unsigned status, const json_t *v)
{
    char *text = keta_json_dump(v, false);
    if (text == NULL)
        return KETA_ENOMEM;
    reply_reset_body(reply);
    reply->body = text;
    reply->len = strlen(text);
    reply->status = status;
    reply->content_type = "application/json";
    return KETA_OK;
}

static bool has_control(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

keta_err keta_http_reply_header(keta_http_reply *reply, const char *name, const char *value)
{
    if (name[0] == '\0' || has_control(name) || strchr(name, ':') != NULL || has_control(value))
        return KETA_EINVAL;
    if (reply->n_headers >= KETA__HTTP_MAX_HEADERS || strlen(name) >= KETA__HTTP_HEADER_NAME ||
        strlen(value) >= KETA__HTTP_HEADER_VAL)
        return KETA_ETOOBIG;
    (void)snprintf(reply->header_name[reply->n_headers], KETA__HTTP_HEADER_NAME, "%s", name);
    (void)snprintf(reply->header_value[reply->n_headers], KETA__HTTP_HEADER_VAL, "%s", value);
    reply->n_headers++;
    return KETA_OK;
}

static const char enomem_body[] =
    "{\"error\":{\"code\":\"KETA_ENOMEM\",\"field\":null,\"message\":\"out of memory\"}}";

/*
 * A copy of s that JSON can carry: error messages quote what the client sent, which need not
 * be UTF-8 (a path segment, the text near a parse error); such bytes become '?'.
 */
static void utf8_clean(char *dst, size_t cap, const char *s)
{
    size_t w = 0;
    const unsigned char *r = (const unsigned char *)s;
    while (*r != '\0' && w + 1 < cap) {
        size_t n = utf8_sequence(r);
        if (n == 0) {
            dst[w++] = '?';
            r++;
        } else if (w + n < cap) {
            memcpy(dst + w, r, n);
            w += n;
            r += n;
        } else {
            break;
        }
    }
    dst[w] = '\0';
}

void keta__http_reply_error(keta_http_reply *reply, unsigned status, const char *code,
                            const char *field_in, const char *message_in)
{
    char field[KETA_ERROR_FIELD_MAX], message[KETA_ERROR_MESSAGE_MAX];
    utf8_clean(field, sizeof field, field_in != NULL ? field_in : "");
    utf8_clean(message, sizeof message, message_in != NULL ? message_in : "");
    json_t *e = json_object();
    json_t *o = json_object();
    bool ok =
        e != NULL && o != NULL && keta_json_set(e, "code", json_string(code)) == KETA_OK &&
        keta_json_set(e, "field", field[0] != '\0' ? json_string(field) : json_null()) == KETA_OK &&
        keta_json_set(e, "message", json_string(message)) == KETA_OK &&
        json_object_set(o, "error", e) == 0;
    reply->error_code = code;
    if (!ok || keta_http_reply_json(reply, status, o) != KETA_OK) {
        (void)keta_http_reply_text(reply, 503, "application/json", enomem_body,
                                   sizeof enomem_body - 1, true);
        reply->error_code = "KETA_ENOMEM";
    }
    json_decref(e);
    json_decref(o);
    if (reply->status == 503)
        (void)keta_http_reply_header(reply, "Retry-After", "1");
}

/* ---- statuses ---------------------------------------------------------------------------------
 */

unsigned keta_http_status_for(keta_err code, const keta_error *err)
{
    switch (code) {
    case KETA_OK:
        return 200;
    case KETA_EPARSE:
    case KETA_EUSAGE:
        return 400;
    case KETA_EINVAL:
    case KETA_ERANGE:
    case KETA_ETYPE:
    case KETA_EKEY:
    case KETA_ECOUNT:
    case KETA_ESKIP:
        return 422;
    case KETA_ENOTFOUND:
        return err != NULL && err->field[0] == '/' ? 422 : 404;
    case KETA_ETOOBIG:
        return 413;
    case KETA_EAUTH:
        return 401;
    case KETA_EDENIED:
        return 403;
    case KETA_ECONFLICT:
        return 409;
    case KETA_ENOMEM:
    case KETA_EBUSY:
        return 503;
    default:
        return 500;
    }
}

/* ---- route matching ---------------------------------------------------------------------------
 */

bool keta__http_pattern_valid(const char *pattern)
{
    if (pattern == NULL || pattern[0] != '/')
        return false;
    unsigned segments = 0, params = 0;
    const char *p = pattern;
    while (*p == '/') {
        const char *seg = p + 1;
        const char *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);
        if (n == 0 || ++segments > KETA_HTTP_MAX_SEGMENTS)
            return false;
        if (seg[0] == '{') {
            if (n < 3 || seg[n - 1] != '}' || ++params > KETA_HTTP_MAX_PARAMS)
                return false;
            for (size_t i = 1; i + 1 < n; i++)
                if (!(seg[i] == '_' || (seg[i] >= 'a' && seg[i] <= 'z')))
                    return false;
        } else {
            for (size_t i = 0; i < n; i++)
                if (seg[i] == '{' || seg[i] == '}' || seg[i] == '?' || seg[i] == '%' ||
                    (unsigned char)seg[i] <= 0x20)
                    return false;
        }
        p = seg + n;
    }
    return *p == '\0';
}

/* A captured segment is UTF-8 text without control characters, so handlers may quote it. */
static bool param_text(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t len = utf8_sequence((const unsigned char *)s + i);
        if (len == 0 || i + len > n || c < 0x20 || c == 0x7f)
            return false;
        i += len;
    }
    return true;
}

/*
 * Does path match pattern? When req is not NULL, capture the parameters into it. A capture
 * takes one non-empty segment of at most KETA_HTTP_PARAM_MAX bytes.
 */
static bool pattern_match(const char *pattern, const char *path, keta_http_request *req)
{
    const char *p = pattern, *q = path;
    unsigned n_params = 0;
    while (*p == '/' && *q == '/') {
        const char *ps = p + 1, *qs = q + 1;
        const char *pe = strchr(ps, '/'), *qe = strchr(qs, '/');
        size_t pn = pe ? (size_t)(pe - ps) : strlen(ps);
        size_t qn = qe ? (size_t)(qe - qs) : strlen(qs);
        if (ps[0] == '{') {
            if (qn == 0 || qn > KETA_HTTP_PARAM_MAX || n_params >= KETA_HTTP_MAX_PARAMS ||
                !param_text(qs, qn))
                return false;
            if (req != NULL) {
                req->param_name[n_params] = ps + 1;
                req->param_name_len[n_params] = pn - 2;
                memcpy(req->param_value[n_params], qs, qn);
                req->param_value[n_params][qn] = '\0';
            }
            n_params++;
        } else if (pn != qn || memcmp(ps, qs, pn) != 0) {
            return false;
        }
        p = ps + pn;
        q = qs + qn;
    }
    if (*p != '\0' || *q != '\0')
        return false;
    if (req != NULL)
        req->n_params = n_params;
    return true;
}

static bool method_is(const keta_http_route *r, const char *method)
{
    if (strcmp(r->method, method) == 0)
        return true;
    return strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0;
}

static void allow_add(char *allow, size_t cap, const char *method)
{
    size_t n = strlen(allow);
    /* whole-word check: "GET" must not be found inside another name */
    for (const char *s = allow; (s = strstr(s, method)) != NULL; s++) {
        size_t m = strlen(method);
        if ((s == allow || s[-1] == ' ') && (s[m] == ',' || s[m] == '\0'))
            return;
    }
    (void)snprintf(allow + n, cap - n, "%s%s", n ? ", " : "", method);
}

unsigned keta__http_route_find(const keta_http_route *const *tables, keta_http_request *req,
                               char *allow, size_t allow_cap)
{
    if (allow_cap > 0)
        allow[0] = '\0';
    bool path_known = false;
    if (req->path == NULL || req->path[0] != '/')
        return 404;
    for (size_t t = 0; t < KETA_HTTP_MAX_TABLES && tables[t] != NULL; t++) {
        for (const keta_http_route *r = tables[t]; r->method != NULL; r++) {
            if (!pattern_match(r->pattern, req->path, NULL))
                continue;
            path_known = true;
            if (method_is(r, req->method)) {
                (void)pattern_match(r->pattern, req->path, req);
                req->route = r;
                return 0;
            }
            if (allow_cap > 0) {
                allow_add(allow, allow_cap, r->method);
                if (strcmp(r->method, "GET") == 0)
                    allow_add(allow, allow_cap, "HEAD");
            }
        }
    }
    return path_known ? 405 : 404;
}

/* ---- percent-decoding ----------------------------------------------------------------------- */

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t keta__http_unescape(char *s)
{
    char *w = s;
    for (const char *r = s; *r != '\0'; r++) {
        int hi, lo;
        if (r[0] == '%' && (hi = hex_value(r[1])) >= 0 && (lo = hex_value(r[2])) >= 0 &&
            (hi | lo) != 0) {
            *w++ = (char)(hi * 16 + lo);
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

/* ---- the request head -------------------------------------------------------------------------
 */

/* Skip optional whitespace (RFC 9110 OWS). */
static const char *skip_ows(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

bool keta__http_is_json_type(const char *ct)
{
    static const char type[] = "application/json";
    if (ct == NULL)
        return false;
    ct = skip_ows(ct);
    if (strncasecmp(ct, type, sizeof type - 1) != 0)
        return false;
    const char *p = skip_ows(ct + sizeof type - 1);
    if (*p == '\0')
        return true;
    if (*p != ';')
        return false;
    /* One parameter only, and it must be charset=utf-8 (quoted or not): JSON is UTF-8. */
    p = skip_ows(p + 1);
    static const char cs[] = "charset=";
    if (strncasecmp(p, cs, sizeof cs - 1) != 0)
        return false;
    p += sizeof cs - 1;
    bool quoted = *p == '"';
    if (quoted)
        p++;
    if (strncasecmp(p, "utf-8", 5) != 0)
        return false;
    p += 5;
    if (quoted && *p++ != '"')
        return false;
    return *skip_ows(p) == '\0';
}

unsigned keta__http_check_head(const keta_http_route *route, const char *content_type,
                               bool has_length, uint64_t length, bool chunked,
                               keta_http_reply *reply)
{
    char msg[160];
    if (route->body_max == 0) {
        if (chunked || (has_length && length > 0)) {
            keta__http_reply_error(reply, 413, "KETA_ETOOBIG", NULL, "this route takes no body");
            return 413;
        }
        return 0;
    }
    if (chunked || !has_length) {
        keta__http_reply_error(reply, 411, "length_required", NULL,
                               "a request body needs a Content-Length header");
        return 411;
    }
    if (length > route->body_max) {
        (void)snprintf(msg, sizeof msg,
                       "the body is %" PRIu64 " bytes; this route takes at most %zu", length,
                       route->body_max);
        keta__http_reply_error(reply, 413, "KETA_ETOOBIG", NULL, msg);
        return 413;
    }
    if (!keta__http_is_json_type(content_type)) {
        keta__http_reply_error(reply, 415, "unsupported_media_type", NULL,
                               "the body must be Content-Type: application/json");
        return 415;
    }
    return 0;
}

/* ---- running a route --------------------------------------------------------------------------
 */

void keta__http_run(keta_http_request *req, const keta_http_principal *who, keta_http_reply *reply)
{
    keta_error err;
    keta_error_clear(&err);
    keta_err rc = KETA_OK;
    const keta_http_route *route = req->route;
    if (route->body_max > 0) {
        rc = keta_json_parse(req->body != NULL ? req->body : "", req->body_len, route->body_max,
                             KETA_JSON_MAX_DEPTH, &req->json, &err);
        if (rc == KETA_OK && !json_is_object(req->json))
            rc = keta_error_set(&err, KETA_ETYPE, "", "the body must be a JSON object, got %s",
                                keta_json_type_name(req->json));
    }
    if (rc == KETA_OK)
        rc = route->handler(req, who, reply, &err);
    if (rc == KETA_OK && reply->status == 0)
        rc = keta_error_set(&err, KETA_EIO, "", "the handler gave no answer");
    if (rc == KETA_OK)
        return;
    unsigned status = keta_http_status_for(rc, &err);
    reply_reset_body(reply);
    reply->n_headers = 0;
    if (status >= 500 && status != 503) {
        /* The detail of an internal failure stays out of the answer; the log has the code. */
        char msg[96];
        (void)snprintf(msg, sizeof msg, "internal error (request %s)", req->id);
        keta__http_reply_error(reply, status, keta_errname(rc), NULL, msg);
    } else {
        keta__http_reply_error(reply, status, keta_errname(rc), err.field,
                               err.message[0] ? err.message : keta_strerror(rc));
    }
}
