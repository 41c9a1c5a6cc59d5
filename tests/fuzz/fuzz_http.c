/*
 * libFuzzer target for the server's request layer without sockets: percent-decoding, route
 * matching, the head checks and the strict JSON body through to the engine routes.
 *
 * The first byte selects. Below 0x80 it picks one of the engine's body routes and the rest
 * is the body (so the golden inputs that scripts/fuzz.sh puts behind a selector byte reach
 * the decoders). From 0x80 on, bits 0-2 pick the method, bit 3 whether the body is declared
 * as JSON, and the rest is "PATH\nBODY" with the path percent-decoded as the server does.
 *
 * Selectors 0x60 to 0x7f instead drive the login decoder over the rest parsed as JSON, and
 * the path id parser over the raw text: each either refuses with a 422 naming a field or
 * gives values in range. The use cases' decoders have their own target (fuzz_usecase).
 *
 * Every input must end in an answer whose status is one the router may give for input (never
 * 5xx: allocation never fails here) and whose body is one JSON error or the route's answer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/clinic_decode.h"
#include "http/internal.h"
#include "keta/usecase.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static keta_err echo(const keta_http_request *req, const keta_http_principal *who,
                     keta_http_reply *reply, keta_error *err)
{
    (void)who, (void)err;
    const char *id = keta_http_request_param(req, "id");
    const char *sub = keta_http_request_param(req, "sub");
    if (id == NULL || strlen(id) > KETA_HTTP_PARAM_MAX || (sub != NULL && strlen(sub) == 0))
        abort();
    return keta_http_reply_text(reply, 200, "text/plain", id, strlen(id), false);
}

/* Patterns with captures and roles, beside the engine's table. */
static const keta_http_route extra[] = {
    {"GET", "/api/v1/patients/{id}", echo, KETA_HTTP_ROLES_CLINICAL, 0, "", NULL},
    {"PUT", "/api/v1/patients/{id}/notes/{sub}", echo, KETA_HTTP_ROLE_THERAPIST, 4096, "", NULL},
    {"DELETE", "/api/v1/patients/{id}", echo, KETA_HTTP_ROLE_ADMIN, 0, "", NULL},
    {NULL, NULL, NULL, 0, 0, NULL, NULL},
};
static const keta_http_route *const tables[] = {keta_http_engine_routes, extra, NULL};

static const char *const body_paths[] = {
    "/api/v1/score/phq9",         "/api/v1/score/gad7",   "/api/v1/score/pcl5",
    "/api/v1/score/qids_sr16",    "/api/v1/score/hamd17", "/api/v1/score/madrs",
    "/api/v1/score/cssrs_screen", "/api/v1/score/cadss",  "/api/v1/score/bprs",
    "/api/v1/score/ybocs",        "/api/v1/outcome/phq9", "/api/v1/outcome/madrs",
    "/api/v1/pk/simulate",        "/api/v1/pk/tci",
};
static const char *const methods[] = {"GET",  "POST",  "PUT",     "DELETE",
                                      "HEAD", "PATCH", "OPTIONS", "BREW"};

/* The login decoder: the body must decode to values in range, or be refused with a 422. */
static void clinic_decoders(const char *text, size_t len)
{
    int64_t id = 0;
    if (keta_usecase_parse_id(text, &id) && (id < 1 || id > (1LL << 53)))
        abort();
    json_t *body = NULL;
    keta_error err;
    keta_error_clear(&err);
    if (keta_json_parse(text, len, KETA_JSON_MAX_BYTES, KETA_JSON_MAX_DEPTH, &body, &err) !=
        KETA_OK)
        return;
    keta_error_clear(&err);
    const char *u = NULL, *p = NULL;
    keta_err rc = keta__http_decode_login(body, &u, &p, &err);
    if (rc == KETA_OK && (u == NULL || p == NULL || strlen(u) == 0 ||
                          strlen(u) >= KETA_USERNAME_MAX || strlen(p) > KETA_PASSWORD_MAX))
        abort();
    if (rc != KETA_OK && keta_http_status_for(rc, &err) != 422)
        abort();
    json_decref(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static keta_err echo(const keta_http_request *req, const keta_http_principal *who,
                     keta_http_reply *reply, keta_error *err)
{
    (void)who, (void)err;
    const char *id = keta_http_request_param(req, "id");
    const char *sub = keta_http_request_param(req, "sub");
    if (id == NULL || strlen(id) > KETA_HTTP_PARAM_MAX || (sub != NULL && strlen(sub) == 0))
        abort();
    return keta_http_reply_text(reply, 200, "text/plain", id, strlen(id), false);
}

/* Patterns with captures and roles, beside the engine's table. */
static const keta_http_route extra[] = {
    {"GET", "/api/v1/patients/{id}", echo, KETA_HTTP_ROLES_CLINICAL, 0, "", NULL},
    {"PUT", "/api/v1/patients/{id}/notes/{sub}", echo, KETA_HTTP_ROLE_THERAPIST, 4096, "", NULL},
    {"DELETE", "/api/v1/patients/{id}", echo, KETA_HTTP_ROLE_ADMIN, 0, "", NULL},
    {NULL, NULL, NULL, 0, 0, NULL, NULL},
};
static const keta_http_route *const tables[] = {keta_http_engine_routes, extra, NULL};

static const char *const body_paths[] = {
    "/api/v1/score/phq9",         "/api/v1/score/gad7",   "/api/v1/score/pcl5",
    "/api/v1/score/qids_sr16",    "/api/v1/score/hamd17", "/api/v1/score/madrs",
    "/api/v1/score/cssrs_screen", "/api/v1/score/cadss",  "/api/v1/score/bprs",
    "/api/v1/score/ybocs",        "/api/v1/outcome/phq9", "/api/v1/outcome/madrs",
    "/api/v1/pk/simulate",        "/api/v1/pk/tci",
};
static const char *const methods[] = {"GET",  "POST",  "PUT",     "DELETE",
                                      "HEAD", "PATCH", "OPTIONS", "BREW"};

/* The clinic decoders: the body must decode to values in range, or be refused with a 422. */
static void clinic_decoders(unsigned which, const char *text, size_t len)
{
    int64_t id = 0;
    if (keta__http_parse_id(text, &id) && (id < 1 || id > (1LL << 53)))
        abort();
    json_t *body = NULL;
    keta_error err;
    keta_error_clear(&err);
    if (keta_json_parse(text, len, KETA_JSON_MAX_BYTES, KETA_JSON_MAX_DEPTH, &body, &err) !=
        KETA_OK)
        return;
    keta_error_clear(&err);
    keta_err rc = KETA_OK;
    switch (which % 5) {
    case 0: {
        const char *u = NULL, *p = NULL;
        rc = keta__http_decode_login(body, &u, &p, &err);
        if (rc == KETA_OK && (u == NULL || p == NULL || strlen(u) == 0 ||
                              strlen(u) >= KETA_USERNAME_MAX || strlen(p) > KETA_PASSWORD_MAX))
            abort();
        break;
    }
    case 1: {
        keta_new_patient np;
        rc = keta__http_decode_patient(body, &np, &err);
        if (rc == KETA_OK && (np.mrn == NULL || np.given_name == NULL || np.family_name == NULL ||
                              np.birth_date == NULL || np.sex == NULL ||
                              (np.weight_kg != 0 && (np.weight_kg < 20 || np.weight_kg > 300))))
            abort();
        break;
    }
    case 2: {
        double kg = 0;
        rc = keta__http_decode_weight(body, &kg, &err);
        if (rc == KETA_OK && !(kg >= 20 && kg <= 300))
            abort();
        break;
    }
    case 3: {
        keta_vitals v;
        rc = keta__http_decode_vitals(body, &v, &err);
        if (rc == KETA_OK) {
            const int got[] = {v.systolic_mmhg,     v.diastolic_mmhg,    v.heart_rate_bpm,
                               v.spo2_percent,      v.resp_rate_per_min, v.sedation_moaas,
                               v.dissociation_cadss};
            const int hi[] = {300, 200, 250, 100, 80, 5, 92};
            for (size_t i = 0; i < sizeof got / sizeof got[0]; i++)
                if (got[i] != KETA_ABSENT && (got[i] < 0 || got[i] > hi[i]))
                    abort();
            if (memchr(v.measured_at, '\0', sizeof v.measured_at) == NULL)
                abort();
        }
        break;
    }
    default: {
        const char *t = NULL;
        int64_t amends = -1;
        rc = keta__http_decode_note(body, &t, &amends, &err);
        if (rc == KETA_OK && (t == NULL || amends < 0))
            abort();
        break;
    }
    }
    if (rc != KETA_OK && keta_http_status_for(rc, &err) != 422)
        abort();
    json_decref(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] >= 0x60 && data[0] < 0x80) {
        char *text = malloc(size);
        if (text == NULL)
            return 0;
        memcpy(text, data + 1, size - 1);
        text[size - 1] = '\0';
        clinic_decoders(text, size - 1);
        free(text);
        return 0;
    }
    unsigned sel = data[0];
    const char *method = "POST";
    const char *ct = "application/json";
    char path[1024];
    const char *body = (const char *)data + 1;
    size_t body_len = size - 1;
    if (sel < 0x80) {
        (void)snprintf(path, sizeof path, "%s",
                       body_paths[sel % (sizeof body_paths / sizeof body_paths[0])]);
    } else {
        method = methods[sel & 7];
        ct = (sel & 8) ? "application/json; charset=utf-8" : "text/plain";
        const char *nl = memchr(body, '\n', body_len);
        size_t n = nl ? (size_t)(nl - body) : body_len;
        if (n >= sizeof path || memchr(body, '\0', n) != NULL)
            return 0; /* the transport bounds the request line and never passes a NUL */
        memcpy(path, body, n);
        path[n] = '\0';
        body = nl ? nl + 1 : body + body_len;
        body_len = nl ? body_len - n - 1 : 0;
        (void)keta__http_unescape(path);
    }

    /* The body as the server hands it to the route: a NUL-terminated copy. */
    char *copy = malloc(body_len + 1);
    if (copy == NULL)
        return 0;
    memcpy(copy, body, body_len);
    copy[body_len] = '\0';

    keta_http_request req;
    keta_http_reply reply;
    char allow[64];
    keta__http_request_init(&req, method, path);
    keta__http_reply_init(&reply);
    unsigned found = keta__http_route_find(tables, &req, allow, sizeof allow);
    if (found == 405 && allow[0] == '\0')
        abort();
    if (found != 0 && found != 404 && found != 405)
        abort();
    if (found == 0 && keta__http_check_head(req.route, ct, true, body_len, false, &reply) == 0) {
        if (req.route->roles != KETA_HTTP_PUBLIC) {
            static const keta_http_principal who = {.user_id = 1, .role = KETA_HTTP_ROLE_ADMIN};
            req.body = copy;
            req.body_len = body_len;
            keta__http_run(&req, &who, &reply);
        } else {
            req.body = copy;
            req.body_len = body_len;
            keta__http_run(&req, NULL, &reply);
        }
        switch (reply.status) {
        case 200:
        case 400:
        case 404:
        case 413:
        case 422:
            break;
        default:
            abort();
        }
        if (reply.status != 200 || strcmp(reply.content_type, "application/json") == 0) {
            json_error_t jerr;
            json_t *v = json_loadb(reply.body, reply.len, 0, &jerr);
            if (v == NULL)
                abort();
            if (reply.status != 200 && json_object_get(v, "error") == NULL)
                abort();
            json_decref(v);
        }
    }
    keta__http_request_clear(&req);
    keta__http_reply_clear(&reply);
    free(copy);
    return 0;
}
