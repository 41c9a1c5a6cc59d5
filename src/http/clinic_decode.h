/*
 * Internal to src/http: the clinic routes' request decoders (clinic.c), in their own header
 * so that fuzz_http can drive them without the server.
 */
#ifndef KETA_HTTP_CLINIC_DECODE_H
#define KETA_HTTP_CLINIC_DECODE_H

#include "keta/json.h"
#include "keta/service.h"
#include "keta/store.h"

/*
 * Request decoders, pure (no database), for the handlers and fuzz_http.
 * Each checks body (a JSON object) strictly: unknown keys, types and ranges refused with
 * err naming the field. Strings returned are borrowed from body.
 */
keta_err keta__http_decode_login(const json_t *body, const char **username, const char **password,
                                 keta_error *err);
keta_err keta__http_decode_patient(const json_t *body, keta_new_patient *out, keta_error *err);
keta_err keta__http_decode_weight(const json_t *body, double *weight_kg, keta_error *err);
keta_err keta__http_decode_vitals(const json_t *body, keta_vitals *out, keta_error *err);
keta_err keta__http_decode_note(const json_t *body, const char **text, int64_t *amends_note_id,
                                keta_error *err);
/* A record id in a path: 1 to 2^53 in decimal without sign or leading zeros. */
bool keta__http_parse_id(const char *s, int64_t *out);

#endif
