/*
 * libFuzzer target for the PK request decoders and the engine behind them. The first byte
 * picks `keta pk simulate` (even) or `keta pk tci` (odd), as scripts/fuzz.sh's seeds expect;
 * the rest is the request text. Any input must either be refused with an error code and a
 * field path, or give finite, non-negative concentrations; never crash, leak or hang. A TCI
 * programme (plasma or effect target) must never run the pump above the request's limit.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "keta/pk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_array(const json_t *a)
{
    for (size_t i = 0; i < json_array_size(a); i++) {
        double v = json_number_value(json_array_get(a, i));
        if (!isfinite(v) || v < 0)
            abort();
    }
}

/* Every programme rate finite, >= 0 and within the limit the request set (if any). */
static void check_programme(const json_t *out, const char *text, size_t len)
{
    double limit = 0;
    json_t *req = json_loadb(text, len, 0, NULL);
    const json_t *mr = json_object_get(req, "max_rate_mg_per_h");
    if (json_is_number(mr))
        limit = json_number_value(mr);
    json_decref(req);
    const json_t *prog = json_object_get(out, "programme");
    if (!json_is_array(prog) || json_array_size(prog) == 0)
        abort();
    for (size_t i = 0; i < json_array_size(prog); i++) {
        double r = json_number_value(json_object_get(json_array_get(prog, i), "rate_mg_per_h"));
        if (!isfinite(r) || r < 0 || (limit > 0 && r > limit))
            abort();
    }
    const json_t *sum = json_object_get(out, "summary");
    if (!isfinite(json_number_value(json_object_get(sum, "ce_max_ng_per_ml"))))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool tci = data[0] % 2 == 1;
    const char *text = (const char *)data + 1;
    json_t *out = NULL;
    keta_error err;
    keta_error_clear(&err);
    keta_err rc = tci ? keta_pk_tci_text(text, size - 1, &out, &err)
                      : keta_pk_simulate_text(text, size - 1, &out, &err);
    if (rc == KETA_OK) {
        if (out == NULL)
            abort();
        check_array(json_object_get(out, "cp_ng_per_ml"));
        check_array(json_object_get(out, "ce_ng_per_ml"));
        check_array(json_object_get(out, tci ? "times_min" : "metabolite_ng_per_ml"));
        check_array(json_object_get(out, "metabolite2_ng_per_ml"));
        if (tci)
            check_programme(out, text, size - 1);
        char *text_out = keta_json_dump(out, false);
        keta_free(text_out);
    } else if (out != NULL || err.code != rc) {
        abort();
    }
    json_decref(out);
    return 0;
}
