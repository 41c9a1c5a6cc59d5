/*
 * Internal to src/http: the login request decoder (clinic.c), in its own header so that
 * fuzz_http can drive it without the server.
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

#endif
