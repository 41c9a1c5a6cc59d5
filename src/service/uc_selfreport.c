/*
 * Use cases in JSON: patient self-report links (include/keta/usecase.h; the service in
 * src/service/selfreport.c). Making a link needs a clinician; opening and answering one
 * are public (no account: the 256-bit token in the path is the authority, used once).
 */
#include <sodium.h>
#include <stdint.h>
#include <string.h>

#include "uc_internal.h"

#define NU KETA_ROLE_BIT(NURSE)
#define PR KETA_ROLE_BIT(PRESCRIBER)
#define TH KETA_ROLE_BIT(THERAPIST)

static keta_err selfreport_create(keta_service *svc, const keta_actor *actor,
                                  const keta_usecase_call *call, json_t **out, keta_error *err)
{
    static const char *const keys[] = {"instrument", NULL};
    const char *instrument = NULL;
    keta_err rc = keta_json_check_keys(call->body, "", keys, keys, err);
    if (rc == KETA_OK)
        rc = keta__uc_string(call->body, "instrument", false, &instrument, err);
    keta_self_report_made m;
    if (rc == KETA_OK)
        rc = keta_service_create_self_report_link(svc, actor, call->id[0], instrument, &m, err);
    if (rc != KETA_OK)
        return rc;
    rc = keta__uc_answer(json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)m.link_id, "token",
                                   m.token, "instrument", instrument, "expires_at", m.expires_at),
                         out);
    sodium_memzero(m.token, sizeof m.token);
    return rc;
}

static keta_err selfreport_get(keta_service *svc, const keta_actor *actor,
                               const keta_usecase_call *call, json_t **out, keta_error *err)
{
    (void)actor;
    keta_self_report_form f;
    keta_err rc = keta_service_open_self_report(svc, call->param[0], &f, err);
    if (rc != KETA_OK)
        return rc;
    rc = keta_self_report_form_json(&f, out);
    return rc == KETA_OK ? KETA_OK : keta_error_set(err, rc, "", "cannot encode the form");
}

static keta_err selfreport_submit(keta_service *svc, const keta_actor *actor,
                                  const keta_usecase_call *call, json_t **out, keta_error *err)
{
    (void)actor;
    /* The service refuses anything but {"items":[...]}; the body is passed on as text. */
    char *text = keta_json_dump(call->body, false);
    if (text == NULL)
        return keta_error_set(err, KETA_ENOMEM, "", "out of memory");
    keta_assessment_result r;
    keta_err rc = keta_service_submit_self_report(svc, call->param[0], text, &r, err);
    keta_free(text);
    if (rc != KETA_OK)
        return rc;
    /* What the patient sees: the score and, when a suicide item alerted, the crisis text.
       The alerts themselves are for the clinicians. */
    json_t *o = json_pack("{s:b, s:b}", "received", 1, "complete", r.complete);
    if (o == NULL)
        return KETA_ENOMEM;
    rc = keta_json_set(o, "total", r.has_total ? json_integer(r.total) : json_null());
    if (rc == KETA_OK)
        rc = keta__uc_set_opt_string(o, "band", r.band);
    if (rc == KETA_OK)
        rc = keta__uc_set_opt_string(o, "crisis_text", r.crisis_text);
    if (rc != KETA_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return KETA_OK;
}

const keta_usecase keta__uc_selfreport[] = {
    {"selfreport.create", "POST", "/api/v1/patients/{patient_id}/self-report-links", NU | PR | TH,
     KETA__UC_SMALL_BODY, 201, NULL, selfreport_create,
     "make a one-time link for the patient to answer a questionnaire from home "
     "(assessment.record); the token is shown once"},
    {"selfreport.get", "GET", "/api/v1/self-report/{token}", 0, 0, 200, NULL, selfreport_get,
     "public: what a self-report link asks (instrument, items, answer options, first name)"},
    {"selfreport.submit", "POST", "/api/v1/self-report/{token}", 0, KETA__UC_JSON_BODY, 201, NULL,
     selfreport_submit,
     "public: answer a self-report link once ({\"items\":[...]}); the score and any crisis text"},
    {0},
};
