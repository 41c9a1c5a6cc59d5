/*
 * Esketamine (SPRAVATO) REMS in the service: the patient's enrollment, the prescriber's
 * documented judgment on a pre-dose BP above the label's caution, the check before
 * administration, and the patient monitoring form of each session (auto-filled draft, staff
 * entries, completeness, final, due in 7 calendar days, the site's due and overdue list).
 * The rules are `keta rems check` (src/clinic/rems.c, rems_form.c). Reference clinic.md
 * §1.6, §1.7, §6 scenarios 5, 6 and 8.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "keta/clinic.h"

#define DAY_MS ((int64_t)86400000)

int svc__age_y(const char *birth_date, const char *now)
{
    int by = 0, bm = 0, bd = 0, ny = 0, nm = 0, nd = 0;
    for (int i = 0; i < 4; i++) {
        by = by * 10 + (birth_date[i] - '0');
        ny = ny * 10 + (now[i] - '0');
    }
    bm = (birth_date[5] - '0') * 10 + (birth_date[6] - '0');
    bd = (birth_date[8] - '0') * 10 + (birth_date[9] - '0');
    nm = (now[5] - '0') * 10 + (now[6] - '0');
    nd = (now[8] - '0') * 10 + (now[9] - '0');
    int age = ny - by;
    if (nm < bm || (nm == bm && nd < bd))
        age--;
    return age < 0 ? 0 : age;
}

/* The `keta rems check` request for a session at now (canonical UTC). */
keta_err svc__rems_request(keta_tx *tx, const keta_session *ses, int64_t patient_id,
                           const char *now, bool with_clock, json_t **out, keta_error *err)
{
    bool enrolled = false;
    json_t *readings = NULL;
    keta_err rc = svc__rems_enrolled(tx, patient_id, &enrolled, err);
    if (rc == KETA_OK)
        rc = svc__readings(tx, ses->id, &readings, err);
    if (rc != KETA_OK)
        return rc;
    char t[SVC_LOCAL_LEN];
    svc__local(now, t);
    const char *last = json_string_value(
        json_object_get(json_array_get(readings, json_array_size(readings) - 1), "time"));
    if (last != NULL && strcmp(last, t) > 0)
        (void)snprintf(t, sizeof t, "%s", last);
    json_t *req = json_pack("{ss,sb,ss,so}", "setting", "outpatient", "patient_enrolled", enrolled,
                            "now", t, "vitals", readings);
    if (req == NULL)
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    if (ses->bp_review[0] != '\0')
        rc = keta_json_set(req, "prescriber_bp_review", json_string(ses->bp_review));
    if (rc == KETA_OK && with_clock && ses->started_at[0] != '\0') {
        char first[SVC_LOCAL_LEN];
        svc__local(ses->started_at, first);
        rc = keta_json_set(req, "first_device", json_string(first));
        if (rc == KETA_OK && ses->discharged_at[0] != '\0') {
            char end[SVC_LOCAL_LEN];
            svc__local(ses->discharged_at, end);
            rc = keta_json_set(req, "monitoring_end", json_string(end));
        }
    }
    if (rc != KETA_OK) {
        json_decref(req);
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    }
    *out = req;
    return KETA_OK;
}

static const char *sv(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v != NULL ? v : "";
}

/* The rules of the blocking alerts of answer, "; "-separated, into why. */
static void blocking_rules(const json_t *answer, const char *prefix, char *why, size_t cap)
{
    const json_t *alerts = json_object_get(answer, "alerts");
    size_t len = (size_t)snprintf(why, cap, "%s", prefix);
    for (size_t i = 0; i < json_array_size(alerts) && len < cap; i++) {
        const json_t *a = json_array_get(alerts, i);
        if (strcmp(sv(a, "level"), "block") != 0)
            continue;
        len += (size_t)snprintf(why + len, cap - len, "%s%s (rule %s)",
                                len > strlen(prefix) ? "; " : "", sv(a, "message"), sv(a, "rule"));
    }
}

keta_err svc__rems_administration(keta_service *svc, keta_tx *tx, const keta_session *ses,
                                  int64_t patient_id, const char *now, char *why, size_t why_cap,
                                  keta_error *err)
{
    why[0] = '\0';
    json_t *req = NULL, *ans = NULL;
    keta_err rc = svc__rems_request(tx, ses, patient_id, now, false, &req, err);
    if (rc == KETA_OK)
        rc = keta_rems_check_json(&svc->policy, req, &ans, err);
    if (rc == KETA_OK &&
        !json_is_true(json_object_get(json_object_get(ans, "administration"), "allowed")))
        blocking_rules(ans, "esketamine administration blocked: ", why, why_cap);
    json_decref(req);
    json_decref(ans);
    return rc;
}

/* ---- enrollment and the prescriber's BP review ------------------------------------------------
 */

keta_err keta_service_enroll_rems(keta_service *svc, const keta_actor *actor, int64_t patient_id,
                                  const char *enrollment_id, int64_t *id, keta_error *err)
{
    keta_err rc = svc__authorize(svc, actor, KETA_PERM_REMS_ENROLL, "rems.enroll", "consent", 0,
                                 patient_id, err);
    if (rc || (rc = svc__check_text(enrollment_id, KETA_CODE_MAX, "/enrollment_id", err)))
        return rc;
    keta_consent c = {.patient_id = patient_id, .recorded_by = actor->user_id};
    (void)snprintf(c.kind, sizeof c.kind, "rems_enrolment");
    (void)snprintf(c.status, sizeof c.status, "given");
    (void)snprintf(c.external_ref, sizeof c.external_ref, "%s", enrollment_id);
    svc__now(svc, c.signed_at);
    (void)snprintf(c.recorded_at, sizeof c.recorded_at, "%s", c.signed_at);
    keta_tx *tx;
    keta_patient p;
    if ((rc = svc__begin(svc, actor, &tx, err)) ||
        (rc = svc__load_in_scope(svc, tx, actor, patient_id, "rems.enroll", "consent", &p, err)))
        return rc;
    if ((rc = keta_store_consent_insert(tx, &c, &c.id, err))) {
        keta_tx_rollback(tx);
        return rc;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "rems.enroll", "consent", c.id, patient_id);
    if ((rc = svc__commit_audited(tx, &e, err)))
        return rc;
    if (id != NULL)
        *id = c.id;
    return KETA_OK;
}

#define PRE_DOSE_MAX 16
typedef struct pre_dose {
    int64_t session_id;
    size_t n;
    int64_t id[PRE_DOSE_MAX];
} pre_dose;

static int gather_pre_dose(void *ctx, const keta_alert_record *a)
{
    pre_dose *p = ctx;
    if (a->session_id == p->session_id && strcmp(a->kind, "pre_dose_bp") == 0 &&
        p->n < PRE_DOSE_MAX)
        p->id[p->n++] = a->id;
    return 0;
}

keta_err keta_service_review_bp(keta_service *svc, const keta_actor *actor, int64_t session_id,
                                const char *judgment, const char *note, keta_error *err)
{
    keta_err rc = svc__authorize(svc, actor, KETA_PERM_BP_HOLD_OVERRIDE, "session.bp_review",
                                 "treatment_session", session_id, 0, err);
    if (rc)
        return rc;
    if (judgment == NULL ||
        (strcmp(judgment, "documented") != 0 && strcmp(judgment, "serious_risk") != 0))
        return keta_error_set(err, KETA_EINVAL, "/judgment",
                              "judgment is documented or serious_risk; got '%.40s'",
                              judgment != NULL ? judgment : "");
    size_t n = note != NULL ? strnlen(note, KETA_NOTE_MAX) : 0;
    if (n == 0)
        return keta_error_set(err, KETA_EINVAL, "/note",
                              "the prescriber's risk/benefit judgment is needed as a note");
    if (n >= KETA_NOTE_MAX)
        return keta_error_set(err, KETA_ETOOBIG, "/note", "a note has at most %d bytes",
                              KETA_NOTE_MAX - 1);
    svc_session *ss = keta_malloc(sizeof *ss);
    if (ss == NULL)
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    keta_tx *tx;
    if ((rc = svc__begin_session(svc, actor, session_id, "session.bp_review", &tx, ss, err)))
        goto out;
    keta_note nt = {.patient_id = ss->p.id,
                    .session_id = session_id,
                    .body = note,
                    .author_id = actor->user_id};
    (void)snprintf(nt.note_class, sizeof nt.note_class, "clinical");
    svc__now(svc, nt.created_at);
    if (strcmp(ss->s.status, "planned") != 0)
        rc = keta_error_set(err, KETA_ECONFLICT, "/session_id",
                            "session %lld is %s: the pre-dose review comes before the start",
                            (long long)session_id, ss->s.status);
    if (rc == KETA_OK)
        rc = keta_store_note_insert(tx, &nt, &nt.id, err);
    (void)snprintf(ss->s.bp_review, sizeof ss->s.bp_review, "%s", judgment);
    ss->s.bp_review_by = actor->user_id;
    (void)snprintf(ss->s.bp_review_at, sizeof ss->s.bp_review_at, "%s", nt.created_at);
    if (rc == KETA_OK)
        rc = keta_store_session_update(tx, &ss->s, err);
    /* The review answers the session's pre-dose BP warnings. */
    pre_dose p = {.session_id = session_id};
    if (rc == KETA_OK)
        rc = keta_store_alert_list_open(tx, ss->p.id, gather_pre_dose, &p, err);
    for (size_t i = 0; rc == KETA_OK && i < p.n; i++)
        rc = keta_store_alert_resolve(tx, p.id[i], nt.created_at, actor->user_id, err);
    if (rc != KETA_OK) {
        keta_tx_rollback(tx);
        goto out;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "session.bp_review", "treatment_session", session_id, ss->p.id);
    (void)snprintf(e.detail, sizeof e.detail, "judgment %s; note %lld", judgment, (long long)nt.id);
    rc = svc__commit_audited(tx, &e, err);
out:
    keta_free(ss);
    return rc;
}
