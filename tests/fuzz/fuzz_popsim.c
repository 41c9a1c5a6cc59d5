/*
 * libFuzzer target for the `keta popsim` study decoder. The first byte is the selector
 * (scripts/fuzz.sh seeds carry one): even decodes only; odd also runs a decoded study when it
 * is small (at most 4 patients and 50 grid points, so an input cannot ask for hours) and
 * encodes the answer. Any input must be refused with an error code and a field path, or
 * decode to a study within every bound; a run must give finite, non-negative percentiles and
 * shares within 0..1; never crash, leak or hang.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "keta/popsim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_bounds(const keta_popsim_study *s)
{
    if (s->model == NULL || s->n < 1 || s->n > KETA_POPSIM_MAX_N || s->n_arms < 1 ||
        s->n_arms > KETA_POPSIM_MAX_ARMS || s->n_iiv > KETA_POPSIM_MAX_IIV || !(s->step_min >= 1) ||
        !(s->end_min >= 0) || s->end_min / s->step_min + 1 > KETA_POPSIM_MAX_POINTS + 1e-6)
        abort();
    for (size_t a = 0; a < s->n_arms; a++)
        if (s->arms[a].n_doses < 1 || s->arms[a].n_doses > KETA_PK_MAX_DOSES)
            abort();
}

static void check_result(const keta_popsim_result *r)
{
    for (size_t a = 0; a < r->n_arms; a++) {
        const keta_popsim_arm_result *ar = &r->arms[a];
        for (size_t g = 0; g < r->n_points; g++) {
            for (int k = 0; k < KETA_POPSIM_N_PERCENTILES; k++)
                if (!(ar->cp.p[k][g] >= 0) || !(ar->ce.p[k][g] >= 0) || !(ar->madrs.p[k][g] >= 0))
                    abort();
            if (!(ar->response_rate[g] >= 0 && ar->response_rate[g] <= 1))
                abort();
        }
        if (!(ar->any_bp_above >= 0 && ar->any_bp_above <= 1))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool run = data[0] % 2 == 1;
    json_t *req = NULL;
    keta_error err;
    keta_error_clear(&err);
    keta_popsim_study *s = keta_malloc(sizeof *s);
    if (s == NULL)
        return 0;
    keta_err rc = keta_json_parse((const char *)data + 1, size - 1, KETA_JSON_MAX_BYTES,
                                  KETA_JSON_MAX_DEPTH, &req, &err);
    if (rc == KETA_OK)
        rc = keta_popsim_decode(req, s, &err);
    if (rc != KETA_OK && err.code != rc)
        abort();
    if (rc == KETA_OK) {
        check_bounds(s);
        if (run && s->n <= 4 && s->end_min / s->step_min <= 49) {
            keta_popsim_result res;
            rc = keta_popsim_run(s, 1 + (int)(data[0] / 2 % 2), NULL, NULL, &res, &err);
            if (rc == KETA_OK) {
                check_result(&res);
                json_t *out = NULL;
                if (keta_popsim_result_to_json(s, &res, &out) == KETA_OK) {
                    char *text = keta_json_dump(out, false);
                    keta_free(text);
                }
                json_decref(out);
            } else if (err.code != rc) {
                abort();
            }
            keta_popsim_result_free(&res);
        }
    }
    json_decref(req);
    keta_free(s);
    return 0;
}
