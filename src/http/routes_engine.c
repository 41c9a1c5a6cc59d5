/*
 * The engine routes: pure calculators that need no login and touch no patient record. Each
 * calls the function behind the matching CLI command (src/cli/cmd_instruments.c,
 * src/cli/cmd_pk.c), so the command and the route never disagree.
 */
#include "internal.h"
#include "keta/instruments.h"
#include "keta/pk.h"

/* Body limits. A score or outcome request is a few hundred bytes; a simulation may list up
   to 100,000 sample times (src/pk), as much as `keta pk simulate` reads. */
#define SMALL_BODY ((size_t)16 * 1024)
#define PK_BODY    KETA_JSON_MAX_BYTES

/* Reply 200 with out (consumed) when rc is KETA_OK; pass rc on otherwise. */
static keta_err answer(keta_http_reply *reply, keta_err rc, json_t *out)
{
    if (rc == KETA_OK)
        rc = keta_http_reply_json(reply, 200, out);
    json_decref(out);
    return rc;
}

static keta_err health(const keta_http_request *req, const keta_http_principal *who,
                       keta_http_reply *reply, keta_error *err)
{
    (void)req, (void)who, (void)err;
    json_t *out = json_pack("{s:s, s:s}", "status", "ok", "version", keta_version());
    return answer(reply, out != NULL ? KETA_OK : KETA_ENOMEM, out);
}

static keta_err instruments(const keta_http_request *req, const keta_http_principal *who,
                            keta_http_reply *reply, keta_error *err)
{
    (void)req, (void)who, (void)err;
    json_t *out = NULL;
    keta_err rc = keta_instruments_json(&out);
    return answer(reply, rc, out);
}

static keta_err score(const keta_http_request *req, const keta_http_principal *who,
                      keta_http_reply *reply, keta_error *err)
{
    (void)who;
    json_t *out = NULL;
    keta_err rc = keta_score_json(keta_http_request_param(req, "instrument"),
                                  keta_http_request_json(req), &out, err);
    return answer(reply, rc, out);
}

static keta_err outcome(const keta_http_request *req, const keta_http_principal *who,
                        keta_http_reply *reply, keta_error *err)
{
    (void)who;
    json_t *out = NULL;
    keta_err rc = keta_outcome_json(keta_http_request_param(req, "instrument"),
                                    keta_http_request_json(req), &out, err);
    return answer(reply, rc, out);
}

static keta_err pk_models(const keta_http_request *req, const keta_http_principal *who,
                          keta_http_reply *reply, keta_error *err)
{
    (void)req, (void)who, (void)err;
    json_t *out = NULL;
    keta_err rc = keta_pk_models_json(&out);
    return answer(reply, rc, out);
}

static keta_err pk_simulate(const keta_http_request *req, const keta_http_principal *who,
                            keta_http_reply *reply, keta_error *err)
{
    (void)who;
    json_t *out = NULL;
    keta_err rc = keta_pk_simulate_json(keta_http_request_json(req), &out, err);
    return answer(reply, rc, out);
}

static keta_err pk_tci(const keta_http_request *req, const keta_http_principal *who,
                       keta_http_reply *reply, keta_error *err)
{
    (void)who;
    /* The TCI engine takes its request as text only (keta_pk_tci_text, as `keta pk tci`);
       the router has already checked that the text is one strict JSON object. */
    size_t len;
    const char *text = keta_http_request_body(req, &len);
    json_t *out = NULL;
    keta_err rc = keta_pk_tci_text(text, len, &out, err);
    return answer(reply, rc, out);
}

static keta_err openapi(const keta_http_request *req, const keta_http_principal *who,
                        keta_http_reply *reply, keta_error *err)
{
    (void)req, (void)who, (void)err;
    return keta_http_reply_text(reply, 200, "application/yaml; charset=utf-8",
                                keta__http_openapi_yaml, keta__http_openapi_yaml_len, true);
}

const keta_http_route keta_http_engine_routes[] = {
    {"GET", "/api/v1/health", health, KETA_HTTP_PUBLIC, 0, "the server answers", NULL},
    {"GET", "/api/v1/openapi.yaml", openapi, KETA_HTTP_PUBLIC, 0, "this API, described", NULL},
    {"GET", "/api/v1/instruments", instruments, KETA_HTTP_PUBLIC, 0,
     "the instrument table (as `keta instruments --json`)", NULL},
    {"POST", "/api/v1/score/{instrument}", score, KETA_HTTP_PUBLIC, SMALL_BODY,
     "score a questionnaire response (as `keta score`)", NULL},
    {"POST", "/api/v1/outcome/{instrument}", outcome, KETA_HTTP_PUBLIC, SMALL_BODY,
     "response and remission between two scores (as `keta outcome`)", NULL},
    {"GET", "/api/v1/pk/models", pk_models, KETA_HTTP_PUBLIC, 0,
     "the PK model table (as `keta pk models --json`)", NULL},
    {"POST", "/api/v1/pk/simulate", pk_simulate, KETA_HTTP_PUBLIC, PK_BODY,
     "simulate a regimen (as `keta pk simulate`)", NULL},
    {"POST", "/api/v1/pk/tci", pk_tci, KETA_HTTP_PUBLIC, SMALL_BODY,
     "plan a plasma target-controlled infusion (as `keta pk tci`)", NULL},
    {NULL, NULL, NULL, 0, 0, NULL, NULL},
};
