/*
 * The SPRAVATO REMS Patient Monitoring Form as a versioned template (clinic.md §1.7, §7 item
 * 4): each field with its type and the templates that require it, the strict decoder, the
 * completeness check and the 7-day deadline (§6 scenario 8).
 *
 * Templates: "pmf-2021-11" is the transcribed ©11/2021 form (starred fields); "pmf-current"
 * adds what the newer form is known to ask (first treatment, enrolled, opioids, respiratory
 * depression, pulse-oximetry checks; the exact current list was not retrieved [U]). keta also
 * requires the lot number, total monitoring time, ready-to-leave minutes, the three BPs and
 * the serious-adverse-event answer on both, as the auto-filled draft of scenario 8 lists them.
 */
#include <stdio.h>
#include <string.h>

#include "rems.h"

typedef enum ftype { F_TEXT, F_DATE, F_BOOL, F_INT, F_BP } ftype;

#define T2021 1u
#define TCUR  2u
#define TBOTH (T2021 | TCUR)

typedef struct pmf_field {
    const char *group, *name;
    ftype type;
    int min, max;      /* F_INT range; F_TEXT maximum length */
    unsigned required; /* templates requiring it */
} pmf_field;

static const pmf_field fields[] = {
    {"patient", "first_name", F_TEXT, 0, 64, TBOTH},
    {"patient", "middle_initial", F_TEXT, 0, 4, 0},
    {"patient", "last_name", F_TEXT, 0, 64, TBOTH},
    {"patient", "birthdate", F_DATE, 0, 0, TBOTH},
    {"patient", "sex", F_TEXT, 0, 16, TBOTH},
    {"concomitant_meds", "benzodiazepines", F_BOOL, 0, 0, TBOTH},
    {"concomitant_meds", "non_benzodiazepine_sedative_hypnotics", F_BOOL, 0, 0, TBOTH},
    {"concomitant_meds", "psychostimulants", F_BOOL, 0, 0, TBOTH},
    {"concomitant_meds", "maois", F_BOOL, 0, 0, TBOTH},
    {"concomitant_meds", "opioids", F_BOOL, 0, 0, TCUR},
    {"monitoring_hcp", "first_name", F_TEXT, 0, 64, TBOTH},
    {"monitoring_hcp", "last_name", F_TEXT, 0, 64, TBOTH},
    {"monitoring_hcp", "telephone", F_TEXT, 0, 32, TBOTH},
    {"monitoring_hcp", "email", F_TEXT, 0, 128, TBOTH},
    {"setting", "name", F_TEXT, 0, 128, TBOTH},
    {"setting", "address1", F_TEXT, 0, 128, TBOTH},
    {"setting", "address2", F_TEXT, 0, 128, 0},
    {"setting", "city", F_TEXT, 0, 64, TBOTH},
    {"setting", "state", F_TEXT, 0, 32, TBOTH},
    {"setting", "zip", F_TEXT, 0, 16, TBOTH},
    {"session", "treatment_date", F_DATE, 0, 0, TBOTH},
    {"session", "dose_mg", F_INT, 28, 84, TBOTH},
    {"session", "lot_number", F_TEXT, 0, 32, TBOTH},
    {"session", "total_time_min", F_INT, 0, 1440, TBOTH},
    {"session", "ready_to_leave_min", F_INT, 0, 1440, TBOTH},
    {"session", "first_treatment", F_BOOL, 0, 0, TCUR},
    {"session", "patient_enrolled", F_BOOL, 0, 0, TCUR},
    {"vitals", "acceptable_before", F_BOOL, 0, 0, TBOTH},
    {"vitals", "acceptable_at_completion", F_BOOL, 0, 0, TBOTH},
    {"vitals", "bp_before", F_BP, 0, 0, TBOTH},
    {"vitals", "bp_40min", F_BP, 0, 0, TBOTH},
    {"vitals", "bp_completion", F_BP, 0, 0, TBOTH},
    {"monitoring", "sedation", F_BOOL, 0, 0, TBOTH},
    {"monitoring", "dissociation", F_BOOL, 0, 0, TBOTH},
    {"monitoring", "respiratory_depression", F_BOOL, 0, 0, TCUR},
    {"monitoring", "pulse_oximetry_checked", F_BOOL, 0, 0, TCUR},
    {"monitoring", "serious_adverse_event", F_BOOL, 0, 0, TBOTH},
};
#define N_FIELDS (sizeof fields / sizeof fields[0])

static const char *const groups[] = {"patient", "concomitant_meds", "monitoring_hcp", "setting",
                                     "session", "vitals",           "monitoring",     NULL};
static const char *const templates[] = {"pmf-2021-11", "pmf-current", NULL};

/* Is the value empty (null or "")? Empty is missing, not an error. */
static bool empty(const json_t *v)
{
    return v == NULL || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0);
}

static keta_err check_field(const pmf_field *f, const json_t *g, const char *path, rems_form *form,
                            keta_error *err)
{
    const json_t *v = json_object_get(g, f->name);
    if (empty(v))
        return KETA_OK;
    keta_err rc = KETA_OK;
    int64_t days;
    int iv = 0;
    bool b;
    const char *s;
    clinic_bp bp;
    switch (f->type) {
    case F_TEXT:
        rc = clinic__get_text(g, path, f->name, (size_t)f->max, false, &s, err);
        break;
    case F_DATE:
        rc = clinic__get_date(g, path, f->name, false, &days, NULL, err);
        if (rc == KETA_OK && strcmp(f->name, "treatment_date") == 0) {
            form->has_treatment_date = true;
            form->treatment_date = days;
        }
        break;
    case F_BOOL:
        rc = clinic__get_bool(g, path, f->name, false, &b, NULL, err);
        break;
    case F_INT:
        rc = clinic__get_int(g, path, f->name, f->min, f->max, false, &iv, NULL, err);
        if (rc == KETA_OK && strcmp(f->name, "total_time_min") == 0) {
            form->has_total_time = true;
            form->total_time_min = iv;
        }
        break;
    case F_BP:
        rc = clinic__get_bp(g, path, f->name, false, &bp, err);
        break;
    }
    return rc;
}

keta_err clinic__rems_form_decode(const json_t *o, rems_form *form, keta_error *err)
{
    memset(form, 0, sizeof *form);
    form->template_bit = TCUR;
    static const char *const form_keys[] = {"template",       "patient",    "concomitant_meds",
                                            "monitoring_hcp", "setting",    "session",
                                            "vitals",         "monitoring", NULL};
    const char *keys[N_FIELDS + 1];
    keta_err rc = keta_json_check_keys(o, "/form", form_keys, NULL, err);
    int t = 1;
    if (rc == KETA_OK)
        rc = clinic__get_choice(o, "/form", "template", templates, true, &t, err);
    form->template_bit = t == 0 ? T2021 : TCUR;
    form->template_name = templates[t];
    for (size_t gi = 0; rc == KETA_OK && groups[gi] != NULL; gi++) {
        char path[48];
        clinic__path(path, sizeof path, "/form", groups[gi]);
        const json_t *g = NULL;
        rc = clinic__get_object(o, "/form", groups[gi], true, &g, err);
        if (rc != KETA_OK || g == NULL)
            continue;
        size_t n = 0;
        for (size_t i = 0; i < N_FIELDS; i++)
            if (strcmp(fields[i].group, groups[gi]) == 0)
                keys[n++] = fields[i].name;
        keys[n] = NULL;
        rc = keta_json_check_keys(g, path, keys, NULL, err);
        for (size_t i = 0; rc == KETA_OK && i < N_FIELDS; i++)
            if (strcmp(fields[i].group, groups[gi]) == 0)
                rc = check_field(&fields[i], g, path, form, err);
    }
    form->doc = o;
    return rc;
}

keta_err clinic__rems_form_encode(const keta_policy *pol, const rems_form *form,
                                  const rems_session *s, keta_alert_list *l, json_t *out)
{
    json_t *missing = json_array();
    keta_err rc = missing ? KETA_OK : KETA_ENOMEM;
    for (size_t i = 0; rc == KETA_OK && i < N_FIELDS; i++) {
        const pmf_field *f = &fields[i];
        if (!(f->required & form->template_bit))
            continue;
        const json_t *g = json_object_get(form->doc, f->group);
        if (!empty(json_object_get(g, f->name)))
            continue;
        char ptr[96];
        (void)snprintf(ptr, sizeof ptr, "/form/%s/%s", f->group, f->name);
        rc = keta_json_push(missing, json_string(ptr));
    }
    size_t n_missing = json_array_size(missing);
    bool complete = n_missing == 0;
    if (rc == KETA_OK)
        rc = keta_json_set(out, "template", json_string(form->template_name));
    if (rc == KETA_OK)
        rc = keta_json_set(out, "complete", json_boolean(complete));
    if (rc == KETA_OK)
        rc = keta_json_set(out, "can_finalize", json_boolean(complete));
    if (rc == KETA_OK)
        rc = keta_json_set(out, "missing", missing);
    else
        json_decref(missing);
    if (rc == KETA_OK && !complete)
        clinic__alert(
            l, "rems.form_required_field", "form_incomplete", KETA_LEVEL_BLOCK, KETA_NOTIFY_NURSE,
            "the monitoring form cannot be final: %zu required field(s) empty", n_missing);
    /* Total time: from the first device to the end of monitoring, computed when known. */
    if (rc == KETA_OK && s->has_first_device && s->has_end && form->has_total_time &&
        form->total_time_min != (int)(s->end - s->first_device))
        clinic__alert(l, "rems.form_total_time", "form_mismatch", KETA_LEVEL_WARNING,
                      KETA_NOTIFY_NURSE,
                      "form total time %d min differs from first device to end of monitoring "
                      "(%lld min)",
                      form->total_time_min, (long long)(s->end - s->first_device));
    int total = form->has_total_time                ? form->total_time_min
                : s->has_first_device && s->has_end ? (int)(s->end - s->first_device)
                                                    : -1;
    if (rc == KETA_OK)
        rc = keta_json_set(out, "total_time_min", total >= 0 ? json_integer(total) : json_null());
    if (rc == KETA_OK && total >= 0 && total < pol->rems.min_monitoring_min)
        clinic__alert_value(clinic__alert(l, "rems.min_monitoring_min", "monitoring_short",
                                          KETA_LEVEL_WARNING,
                                          KETA_NOTIFY_NURSE | KETA_NOTIFY_PRESCRIBER,
                                          "monitoring of %d min is below the REMS minimum", total),
                            total, pol->rems.min_monitoring_min, "min");
    /* Deadline: treatment date + rems.form_due_days calendar days. */
    bool has_date = form->has_treatment_date || s->has_first_device;
    int64_t date = form->has_treatment_date ? form->treatment_date : s->first_device / 1440;
    if (rc == KETA_OK)
        rc = keta_json_set(out, "due_date",
                           has_date ? clinic__date_json(date + pol->rems.form_due_days)
                                    : json_null());
    bool overdue =
        has_date && s->has_today && !s->submitted && s->today > date + pol->rems.form_due_days;
    if (rc == KETA_OK)
        rc = keta_json_set(out, "submitted", json_boolean(s->submitted));
    if (rc == KETA_OK)
        rc = keta_json_set(out, "overdue", json_boolean(overdue));
    if (rc == KETA_OK && overdue)
        clinic__alert(l, "rems.form_overdue", "form_overdue", KETA_LEVEL_WARNING,
                      KETA_NOTIFY_NURSE | KETA_NOTIFY_PRESCRIBER,
                      "the monitoring form is overdue (due %d days after the session)",
                      pol->rems.form_due_days);
    return rc;
}
