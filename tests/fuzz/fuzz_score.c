/*
 * libFuzzer target for the `keta score` and `keta outcome` request decoders.
 * The first byte picks the instrument and the command; the rest is the request
 * text. Any input must give KETA_OK with a result or an error with a field and
 * a message, never a crash, a leak or undefined behaviour.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keta/instruments.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t n = keta_instrument_count();
    const keta_instrument *ins = keta_instrument_at(data[0] % n);
    bool outcome = (data[0] / n) % 2 == 1;
    json_t *out = NULL;
    keta_error err;
    keta_error_clear(&err);
    const char *text = (const char *)data + 1;
    keta_err rc = outcome ? keta_outcome_text(ins->id, text, size - 1, &out, &err)
                          : keta_score_text(ins->id, text, size - 1, &out, &err);
    if (rc == KETA_OK) {
        if (out == NULL)
            abort();
        char *s = keta_json_dump(out, false);
        if (s == NULL)
            abort();
        keta_free(s);
    } else if (out != NULL || err.message[0] == '\0') {
        abort();
    }
    json_decref(out);
    return 0;
}
