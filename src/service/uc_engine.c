/*
 * Use cases in JSON with no service call: the engines the web app needs, answered from the
 * request alone (nothing is read or written, nothing is audited). Each is the JSON contract
 * of its command: `keta forecast` (src/pd/codec_forecast.c), `keta pd acute` (src/pd/codec.c)
 * and `keta popsim` (src/popsim/codec.c), the last bounded for a web request.
 */
#include <string.h>

#include "keta/pd.h"
#include "keta/popsim.h"
#include "uc_internal.h"

/*
 * A web request simulates at most this many virtual patients (per arm; at most
 * KETA_POPSIM_MAX_ARMS arms) on one thread, so that one request cannot hold the server's
 * cores for long; larger studies belong to the `keta popsim` command.
 */
#define WEB_POPSIM_MAX_N 5000

/* Engine requests can carry many doses and time points: the CLI's limit. */
#define ENGINE_BODY KETA_JSON_MAX_BYTES

static keta_err engine_forecast(keta_service *svc, const keta_actor *actor,
                                const keta_usecase_call *call, json_t **out, keta_error *err)
{
    (void)svc;
    (void)actor;
    return keta_pd_forecast_json(call->body, out, err);
}

static keta_err engine_pd_acute(keta_service *svc, const keta_actor *actor,
                                const keta_usecase_call *call, json_t **out, keta_error *err)
{
    (void)svc;
    (void)actor;
    return keta_pd_acute_json(call->body, out, err);
}

static keta_err engine_popsim(keta_service *svc, const keta_actor *actor,
                              const keta_usecase_call *call, json_t **out, keta_error *err)
{
    (void)svc;
    (void)actor;
    keta_popsim_study *s = keta_malloc(sizeof *s);
    if (s == NULL)
        return keta_error_set(err, KETA_ENOMEM, "", "out of memory");
    keta_popsim_result res;
    memset(&res, 0, sizeof res);
    keta_err rc = keta_popsim_decode(call->body, s, err);
    if (rc == KETA_OK && s->n > WEB_POPSIM_MAX_N)
        rc = keta_error_set(err, KETA_ERANGE, "/n",
                            "a web request simulates at most %d patients, got %zu; use the "
                            "`keta popsim` command for more",
                            WEB_POPSIM_MAX_N, s->n);
    if (rc == KETA_OK)
        rc = keta_popsim_run(s, 1, NULL, NULL, &res, err);
    if (rc == KETA_OK && keta_popsim_result_to_json(s, &res, out) != KETA_OK)
        rc = keta_error_set(err, KETA_ENOMEM, "", "out of memory encoding the result");
    keta_popsim_result_free(&res);
    keta_free(s);
    return rc;
}

const keta_usecase keta__uc_engine[] = {
    {"engine.forecast", "POST", "/api/v1/forecast", 0, ENGINE_BODY, 200, NULL, engine_forecast,
     "public: forecast one patient's depression scores and relapse date (`keta forecast`)"},
    {"engine.pd_acute", "POST", "/api/v1/pd/acute", 0, ENGINE_BODY, 200, NULL, engine_pd_acute,
     "public: acute effects (dissociation, blood pressure...) of a regimen (`keta pd acute`)"},
    {"engine.popsim", "POST", "/api/v1/popsim", KETA_ROLES_ANY_STAFF, ENGINE_BODY, 200, NULL,
     engine_popsim,
     "a virtual population, at most 5000 patients per arm on one thread (`keta popsim`)"},
    {0},
};
