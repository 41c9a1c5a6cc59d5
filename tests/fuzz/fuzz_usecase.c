/*
 * libFuzzer target for every use case's JSON form (include/keta/usecase.h), run for real
 * against a SQLite clinic made once in a temporary directory: a nurse, a prescriber, a
 * therapist, a front desk, an admin and a patient account, two patients.
 *
 * Byte 0 picks the use case; byte 1 the acting role (or no actor) and the path ids (1 or 2);
 * the rest is the body (a POST's JSON object) or, for a GET, the first query argument. Every
 * call must end in KETA_OK with a JSON object, or an error the HTTP API answers with a 4xx:
 * input never reaches a 5xx, a crash or a leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keta/http.h"
#include "keta/store.h"
#include "keta/usecase.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PASSWORD "fuzz-password-0123"

static keta_store *store;
static keta_service *svc;
static keta_actor actors[KETA_ROLE_COUNT];
static size_t n_usecases;

static void must(keta_err rc, const keta_error *err, const char *what)
{
    if (rc != KETA_OK) {
        fprintf(stderr, "fuzz_usecase: %s: %s %s\n", what, err->field, err->message);
        abort();
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    char dir[] = "/tmp/keta-fuzz-usecase-XXXXXX";
    if (mkdtemp(dir) == NULL)
        abort();
    char path[64];
    (void)snprintf(path, sizeof path, "%s/clinic.db", dir);
    keta_error err;
    keta_error_clear(&err);
    keta_store_options so = {.create = true, .pool_size = 1};
    must(keta_store_open(path, &so, &store, &err), &err, "open");
    must(keta_store_migrate(store, NULL, NULL, &err), &err, "migrate");
    keta_service_options o;
    memset(&o, 0, sizeof o);
    o.pwhash_opslimit = crypto_pwhash_OPSLIMIT_MIN;
    o.pwhash_memlimit = crypto_pwhash_MEMLIMIT_MIN;
    must(keta_service_open(store, &o, &svc, &err), &err, "service");
    keta_actor admin;
    must(keta_service_bootstrap(svc, "Fuzz clinic", "admin", PASSWORD, &admin, &err), &err,
         "bootstrap");
    actors[KETA_ROLE_ADMIN] = admin;
    static const char *const names[KETA_ROLE_COUNT] = {"frontdesk", "nurse", "prescriber",
                                                       "therapist", "",      "patient"};
    for (int r = 0; r < KETA_ROLE_COUNT; r++) {
        if (r == KETA_ROLE_ADMIN)
            continue;
        int64_t patient_id = 0;
        if (r == KETA_ROLE_PATIENT) {
            keta_new_patient p1 = {"F-1", "Ada", "One", "1980-01-01", "female", 70};
            keta_new_patient p2 = {"F-2", "Bo", "Two", "1975-06-30", "male", 82};
            must(keta_service_register_patient(svc, &actors[KETA_ROLE_NURSE], &p1, &patient_id,
                                               &err),
                 &err, "patient");
            must(keta_service_register_patient(svc, &actors[KETA_ROLE_NURSE], &p2, NULL, &err),
                 &err, "patient");
        }
        keta_new_user u = {names[r], names[r], (keta_role)r, patient_id, PASSWORD};
        must(keta_service_create_user(svc, &admin, &u, NULL, &err), &err, "user");
        must(keta_service_authenticate(svc, names[r], PASSWORD, &actors[r], &err), &err, "login");
    }
    while (keta_usecase_at(n_usecases) != NULL)
        n_usecases++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || n_usecases == 0)
        return 0;
    const keta_usecase *uc = keta_usecase_at(data[0] % n_usecases);
    unsigned who = data[1] % (KETA_ROLE_COUNT + 1);
    const keta_actor *actor = who < KETA_ROLE_COUNT ? &actors[who] : NULL;
    if (uc->roles != 0 && actor == NULL)
        return 0; /* the doors never call a staff use case without a login */
    if (uc->roles == 0)
        actor = NULL;
    char *text = malloc(size - 1);
    if (text == NULL)
        return 0;
    memcpy(text, data + 2, size - 2);
    text[size - 2] = '\0';

    keta_usecase_call call;
    memset(&call, 0, sizeof call);
    for (size_t i = 0; i < KETA_USECASE_MAX_PARAMS; i++) {
        call.id[i] = (data[1] >> (4 + i)) & 1 ? 2 : 1;
        call.param[i] = call.id[i] == 2 ? "2" : "1";
    }
    json_t *body = NULL;
    keta_error err;
    keta_error_clear(&err);
    if (uc->body_max > 0) {
        if (keta_json_parse(text, size - 2, uc->body_max, KETA_JSON_MAX_DEPTH, &body, &err) !=
                KETA_OK ||
            !json_is_object(body)) {
            json_decref(body);
            free(text);
            return 0; /* the router answers 400 before the use case */
        }
        call.body = body;
    } else if (uc->query != NULL && uc->query[0] != NULL && strlen(text) < KETA_USECASE_QUERY_MAX) {
        call.query[0] = text;
    }
    keta_error_clear(&err);
    json_t *out = NULL;
    keta_err rc = uc->run(svc, actor, &call, &out, &err);
    if (rc == KETA_OK && !json_is_object(out))
        abort();
    if (rc != KETA_OK && (out != NULL || keta_http_status_for(rc, &err) >= 500)) {
        fprintf(stderr, "%s: %s %s %s\n", uc->name, keta_errname(rc), err.field, err.message);
        abort();
    }
    json_decref(out);
    json_decref(body);
    free(text);
    return 0;
}
