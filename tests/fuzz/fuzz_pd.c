/*
 * libFuzzer target for the pd request decoders and the engines behind them. The first byte
 * picks the decoder (byte % 3): `keta pd acute`, `keta pd response` or `keta forecast`; the
 * rest is the request text. Any input must either be refused with an error code and a field
 * path, or give finite numbers (scores within 0..60, effects >= 0); never crash, leak or hang.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keta/pd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_array(const json_t *a, double lo, double hi)
{
    for (size_t i = 0; i < json_array_size(a); i++) {
        double v = json_number_value(json_array_get(a, i));
        if (!isfinite(v) || v < lo || v > hi)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int which = data[0] % 3;
    const char *text = (const char *)data + 1;
    json_t *out = NULL;
    keta_error err;
    keta_error_clear(&err);
    keta_err rc = which == 0   ? keta_pd_acute_text(text, size - 1, &out, &err)
                  : which == 1 ? keta_pd_response_text(text, size - 1, &out, &err)
                               : keta_pd_forecast_text(text, size - 1, &out, &err);
    if (rc == KETA_OK) {
        if (out == NULL)
            abort();
        if (which == 0) {
            const char *key;
            json_t *ep;
            json_object_foreach(json_object_get(out, "endpoints"), key, ep)
            {
                check_array(json_object_get(ep, "values"), 0, 1e6);
            }
        } else if (which == 1) {
            check_array(json_object_get(out, "score"), 0, 60);
        } else {
            check_array(json_object_get(out, "score"), 0, 60);
            check_array(json_object_get(out, "lower"), 0, 60);
            check_array(json_object_get(out, "upper"), 0, 60);
        }
        char *text_out = keta_json_dump(out, false);
        keta_free(text_out);
    } else if (out != NULL || err.code != rc) {
        abort();
    }
    json_decref(out);
    return 0;
}
