/* Internal to src/clinic: the REMS clock (rems.c) and the monitoring form (rems_form.c). */
#ifndef KETA_CLINIC_REMS_H
#define KETA_CLINIC_REMS_H

#include "internal.h"

/* What the form check needs to know about the session. */
typedef struct rems_session {
    bool has_first_device, has_today, submitted;
    bool has_end;              /* monitoring_end was given: monitoring is over */
    int64_t first_device, end; /* minutes; end is now while monitoring goes on */
    int64_t today;             /* days */
} rems_session;

typedef struct rems_form {
    const json_t *doc; /* borrowed: the "form" object of the request */
    unsigned template_bit;
    const char *template_name;
    bool has_treatment_date, has_total_time;
    int64_t treatment_date;
    int total_time_min;
} rems_form;

/* Decode and type-check the "form" object (empty or null fields are missing, not errors). */
keta_err clinic__rems_form_decode(const json_t *o, rems_form *form, keta_error *err);

/* Completeness, total time, deadline into out (a JSON object); alerts into l. */
keta_err clinic__rems_form_encode(const keta_policy *pol, const rems_form *form,
                                  const rems_session *s, keta_alert_list *l, json_t *out);

#endif
