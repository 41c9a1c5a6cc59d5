/*
 * libFuzzer target: arbitrary bytes into the `keta pk tci` request decoder and the
 * engine behind it. Any input must either be refused with an error code and a field path, or
 * plan a programme with finite, non-negative concentrations; never crash, leak or hang.
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *out = NULL;
    keta_error err;
    keta_error_clear(&err);
    keta_err rc = keta_pk_tci_text((const char *)data, size, &out, &err);
    if (rc == KETA_OK) {
        if (out == NULL)
            abort();
        check_array(json_object_get(out, "cp_ng_per_ml"));
        check_array(json_object_get(out, "ce_ng_per_ml"));
        check_array(json_object_get(out, "times_min"));
        char *text = keta_json_dump(out, false);
        keta_free(text);
    } else if (out != NULL || err.code != rc) {
        abort();
    }
    json_decref(out);
    return 0;
}
