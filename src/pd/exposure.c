/*
 * Session exposures for the response model from a PK regimen: the AUC to infinity of each dose
 * alone, by the PK engine (exact closed form, any route and model).
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

keta_err keta_pd_exposure_from_doses(const keta_pk_model *m, const keta_pk_patient *patient,
                                     const keta_pk_dose *doses, size_t n_doses,
                                     keta_pd_exposure *out, keta_error *err)
{
    if (m == NULL || patient == NULL || (n_doses > 0 && (doses == NULL || out == NULL)))
        return keta_error_set(err, KETA_EINVAL, "", "no model, patient or doses given");
    if (n_doses > KETA_PK_MAX_DOSES)
        return keta_error_set(err, KETA_ETOOBIG, "/doses", "expected at most %d doses, got %zu",
                              KETA_PK_MAX_DOSES, n_doses);
    keta_err rc = KETA_OK;
    for (size_t i = 0; rc == KETA_OK && i < n_doses; i++) {
        keta_pk_request req;
        keta_pk_result res;
        memset(&req, 0, sizeof req);
        memset(&res, 0, sizeof res);
        double t = doses[i].start_min;
        req.model = m;
        req.patient = *patient;
        req.doses = &doses[i];
        req.n_doses = 1;
        req.times_min = &t;
        req.n_times = 1;
        rc = keta_pk_simulate(&req, &res, err);
        if (rc == KETA_OK) {
            out[i].t_min = doses[i].start_min;
            out[i].auc_ng_h_per_ml = res.summary.auc_inf_ng_h_per_ml;
        } else if (err != NULL && strncmp(err->field, "/doses/0", 8) == 0) {
            /* name the dose of the caller's list, not of the one-dose request */
            char rest[64];
            (void)snprintf(rest, sizeof rest, "%s", err->field + 8);
            (void)snprintf(err->field, sizeof err->field, "/doses/%zu%s", i, rest);
        }
        keta_pk_result_free(&res);
    }
    return rc;
}

void pd__sort_sessions(keta_pd_exposure *s, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        keta_pd_exposure v = s[i];
        size_t j = i;
        for (; j > 0 && s[j - 1].t_min > v.t_min; j--)
            s[j] = s[j - 1];
        s[j] = v;
    }
}
