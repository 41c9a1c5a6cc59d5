/*
 * Course review and escalation (reference clinic.md §1.3 Cusin 2017; §6 scenario 2): after
 * escalation.after_session infusions of an IV or IM induction, the clinic course review rules
 * mark non-response (< escalation.nonresponse_percent drop of the PHQ-9 from baseline) and offer
 * an escalation to escalation.mg_per_kg over escalation.duration_min for the remaining
 * sessions. The offer is never applied by itself: a prescriber orders it (order.write), which
 * re-orders the remaining planned sessions. There is no further step: a patient already at the
 * escalated dose gets no offer, and 1.0 mg/kg needs a new, explicit course order.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "keta/clinic.h"

/* Sessions and scores of one course gathered before deciding (a list callback must not use
   its transaction). A course has at most this many sessions (the planner's maximum is 200). */
#define COURSE_SESSIONS_MAX 256
#define SCORES_MAX          512

typedef struct ses_brief {
    int64_t id;
    int number;
    bool done; /* started or completed */
    bool planned;
    char started_at[KETA_TIME_LEN];
    double weight_kg; /* dosing weight; < 0 none */
    double mg_per_kg; /* the order's; 0 none */
} ses_brief;

typedef struct course_state {
    keta_course course;
    size_t n;
    ses_brief s[COURSE_SESSIONS_MAX];
    int done;
    /* PHQ-9 scores, oldest first */
    size_t n_scores;
    int64_t score_id[SCORES_MAX];
    int score[SCORES_MAX];
    char score_at[SCORES_MAX][KETA_TIME_LEN];
    bool escalated;
} course_state;

static int gather_session(void *ctx, const keta_session *s)
{
    course_state *st = ctx;
    if (st->n >= COURSE_SESSIONS_MAX)
        return 1;
    ses_brief *b = &st->s[st->n++];
    memset(b, 0, sizeof *b);
    b->id = s->id;
    b->number = s->number;
    b->done = strcmp(s->status, "in_progress") == 0 || strcmp(s->status, "completed") == 0;
    b->planned = strcmp(s->status, "planned") == 0;
    (void)snprintf(b->started_at, sizeof b->started_at, "%s", s->started_at);
    b->weight_kg = s->dosing_weight_kg;
    json_t *o = svc__parse_stored(s->order_json);
    b->mg_per_kg = json_number_value(json_object_get(o, "mg_per_kg"));
    json_decref(o);
    st->done += b->done ? 1 : 0;
    return 0;
}

static int gather_phq9(void *ctx, const keta_assessment *a)
{
    course_state *st = ctx;
    if (strcmp(a->instrument, "phq9") != 0 || !a->complete || !a->has_total)
        return 0;
    if (st->n_scores >= SCORES_MAX)
        return 1;
    st->score_id[st->n_scores] = a->id;
    st->score[st->n_scores] = a->total;
    (void)snprintf(st->score_at[st->n_scores], sizeof st->score_at[0], "%s", a->administered_at);
    st->n_scores++;
    return 0;
}

static int any_escalation(void *ctx, const keta_course_order *o)
{
    *(bool *)ctx |= strcmp(o->kind, "escalation") == 0;
    return 0;
}

/* Load the course, its sessions, its orders and the patient's PHQ-9 scores in tx. */
static keta_err load_state(keta_tx *tx, int64_t course_id, course_state *st, keta_error *err)
{
    memset(st, 0, sizeof *st);
    keta_err rc = keta_store_course_get(tx, course_id, &st->course, err);
    if (rc == KETA_OK)
        rc = keta_store_session_list(tx, course_id, gather_session, st, err);
    if (rc == KETA_OK)
        rc = keta_store_course_order_list(tx, course_id, any_escalation, &st->escalated, err);
    if (rc == KETA_OK)
        rc = keta_store_assessment_list(tx, st->course.patient_id, gather_phq9, st, err);
    return rc;
}

/* The review request and the ids of the scores it used; KETA_EINVAL without two scores. */
static keta_err review_request(const course_state *st, json_t **out, int64_t *base_id,
                               int64_t *cur_id, keta_error *err)
{
    /* First dosing: the start of the first done session; the baseline is the last score at or
       before it (every score when nothing was given yet). */
    const char *first = NULL;
    double weight = -1, mg_per_kg = 0;
    for (size_t i = 0; i < st->n; i++) {
        if (st->s[i].done && first == NULL)
            first = st->s[i].started_at;
        if (st->s[i].done && st->s[i].weight_kg > 0)
            weight = st->s[i].weight_kg;
        if (st->s[i].planned && mg_per_kg == 0)
            mg_per_kg = st->s[i].mg_per_kg; /* what the next session is ordered at */
    }
    long base = -1;
    for (size_t i = 0; i < st->n_scores; i++)
        if (first == NULL || strcmp(st->score_at[i], first) <= 0)
            base = (long)i;
    if (base < 0 || (size_t)base + 1 >= st->n_scores)
        return keta_error_set(err, KETA_EINVAL, "/assessments",
                              "a review needs a PHQ-9 baseline before the first session and a "
                              "later PHQ-9");
    size_t cur = st->n_scores - 1;
    json_t *r =
        json_pack("{ss,si,si,ss,si,si}", "protocol", st->course.protocol, "sessions_completed",
                  st->done, "sessions_planned", (int)st->n, "instrument", "phq9", "baseline",
                  st->score[base], "current", st->score[cur]);
    keta_err rc = r != NULL ? KETA_OK : KETA_ENOMEM;
    if (rc == KETA_OK && weight > 0)
        rc = keta_json_set(r, "weight_kg", json_real(weight));
    if (rc == KETA_OK && mg_per_kg > 0)
        rc = keta_json_set(r, "current_mg_per_kg", json_real(mg_per_kg));
    if (rc != KETA_OK) {
        json_decref(r);
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    }
    *out = r;
    *base_id = st->score_id[base];
    *cur_id = st->score_id[cur];
    return KETA_OK;
}

/* Review st by the clinic rules; *out the answer with the ids it read. */
static keta_err review_of(const keta_service *svc, const course_state *st, json_t **out,
                          keta_error *err)
{
    json_t *req = NULL, *res = NULL;
    int64_t base_id = 0, cur_id = 0;
    keta_err rc = review_request(st, &req, &base_id, &cur_id, err);
    if (rc == KETA_OK)
        rc = keta_course_review_json(&svc->policy, req, &res, err);
    json_decref(req);
    if (rc == KETA_OK &&
        ((rc = keta_json_set(res, "course_id", json_integer(st->course.id))) ||
         (rc = keta_json_set(res, "baseline_assessment_id", json_integer(base_id))) ||
         (rc = keta_json_set(res, "current_assessment_id", json_integer(cur_id))) ||
         (rc = keta_json_set(res, "escalated", json_boolean(st->escalated)))))
        rc = keta_error_set(err, rc, NULL, "out of memory");
    if (rc != KETA_OK) {
        json_decref(res);
        return rc;
    }
    *out = res;
    return KETA_OK;
}

/* Begin on course_id of a patient within the actor's reach and load its state. */
static keta_err begin_on_course(keta_service *svc, const keta_actor *actor, int64_t course_id,
                                const char *action, keta_tx **tx, course_state *st, keta_error *err)
{
    keta_patient p;
    keta_err rc = svc__begin(svc, actor, tx, err);
    if (rc)
        return rc;
    if ((rc = load_state(*tx, course_id, st, err))) {
        keta_tx_rollback(*tx);
        return rc;
    }
    return svc__load_in_scope(svc, *tx, actor, st->course.patient_id, action, "course", &p, err);
}

keta_err keta_service_review_course(keta_service *svc, const keta_actor *actor, int64_t course_id,
                                    json_t **review, keta_error *err)
{
    keta_err rc = svc__authorize(svc, actor, KETA_PERM_ASSESSMENT_READ, "course.review", "course",
                                 course_id, 0, err);
    if (rc)
        return rc;
    course_state *st = keta_malloc(sizeof *st);
    if (st == NULL)
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    keta_tx *tx;
    json_t *res = NULL;
    if ((rc = begin_on_course(svc, actor, course_id, "course.review", &tx, st, err)))
        goto out;
    if ((rc = review_of(svc, st, &res, err))) {
        keta_tx_rollback(tx);
        goto out;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "course.review", "course", course_id, st->course.patient_id);
    if ((rc = svc__commit_audited(tx, &e, err)))
        goto out;
    *review = res;
    res = NULL;
out:
    json_decref(res);
    keta_free(st);
    return rc;
}

/* Re-order one planned session at the escalation offer's dose. */
static keta_err reorder(keta_tx *tx, keta_session *ses, const json_t *offer, int64_t order_id,
                        keta_error *err)
{
    json_t *o = svc__parse_stored(ses->order_json);
    if (o == NULL)
        return keta_error_set(err, KETA_EINTEGRITY, "/sessions", "session %lld has no order",
                              (long long)ses->id);
    static const char *const copied[] = {"mg_per_kg", "dose_mg", "duration_min", "rate_mg_per_min",
                                         NULL};
    keta_err rc = KETA_OK;
    for (size_t i = 0; rc == KETA_OK && copied[i] != NULL; i++)
        rc = keta_json_set(o, copied[i], json_incref(json_object_get(offer, copied[i])));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "escalation_order_id", json_integer(order_id));
    if (rc == KETA_OK)
        rc = svc__dump_into(o, ses->order_json, sizeof ses->order_json, "/sessions", err);
    json_decref(o);
    if (rc == KETA_OK)
        rc = keta_store_session_update(tx, ses, err);
    return rc;
}

/* The review's escalation offer, or NULL. */
static const json_t *escalation_offer(const json_t *review)
{
    const json_t *offers = json_object_get(review, "offers");
    for (size_t i = 0; i < json_array_size(offers); i++) {
        const json_t *o = json_array_get(offers, i);
        const char *kind = json_string_value(json_object_get(o, "kind"));
        if (kind != NULL && strcmp(kind, "escalation") == 0)
            return o;
    }
    return NULL;
}

keta_err keta_service_escalate_course(keta_service *svc, const keta_actor *actor, int64_t course_id,
                                      json_t **order, keta_error *err)
{
    keta_err rc = svc__authorize(svc, actor, KETA_PERM_ORDER_WRITE, "course.escalate", "course",
                                 course_id, 0, err);
    if (rc)
        return rc;
    course_state *st = keta_malloc(sizeof *st);
    keta_course_order *ord = keta_malloc(sizeof *ord);
    keta_session *ses = keta_malloc(sizeof *ses);
    keta_tx *tx;
    json_t *review = NULL, *answer = NULL;
    if (st == NULL || ord == NULL || ses == NULL) {
        rc = keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
        goto out;
    }
    if ((rc = begin_on_course(svc, actor, course_id, "course.escalate", &tx, st, err)))
        goto out;
    rc = review_of(svc, st, &review, err);
    const json_t *offer = rc == KETA_OK ? escalation_offer(review) : NULL;
    if (rc == KETA_OK && st->escalated)
        rc = keta_error_set(err, KETA_ECONFLICT, "/course_id",
                            "course %lld is already escalated; a further step needs a new order",
                            (long long)course_id);
    else if (rc == KETA_OK && offer == NULL)
        rc = keta_error_set(err, KETA_ECONFLICT, "/course_id",
                            "the review of course %lld offers no escalation", (long long)course_id);
    else if (rc == KETA_OK && !json_is_true(json_object_get(offer, "programmable")))
        rc = keta_error_set(err, KETA_ERANGE, "/course_id",
                            "the escalated dose is beyond the drug library's hard limit");
    if (rc == KETA_OK) {
        memset(ord, 0, sizeof *ord);
        ord->course_id = course_id;
        (void)snprintf(ord->kind, sizeof ord->kind, "escalation");
        ord->mg_per_kg = json_number_value(json_object_get(offer, "mg_per_kg"));
        ord->duration_min = (int)json_integer_value(json_object_get(offer, "duration_min"));
        ord->first_session = st->done + 1;
        ord->ordered_by = actor->user_id;
        svc__now(svc, ord->ordered_at);
        rc = svc__dump_into(review, ord->review_json, sizeof ord->review_json, "/review", err);
    }
    if (rc == KETA_OK)
        rc = keta_store_course_order_insert(tx, ord, &ord->id, err);
    int reordered = 0;
    for (size_t i = 0; rc == KETA_OK && i < st->n; i++) {
        if (!st->s[i].planned || st->s[i].number < ord->first_session)
            continue;
        rc = keta_store_session_get(tx, st->s[i].id, ses, err);
        if (rc == KETA_OK)
            rc = reorder(tx, ses, offer, ord->id, err);
        reordered++;
    }
    if (rc == KETA_OK) {
        answer = json_pack("{sI,sI,ss,sf,si,si,si,sO}", "id", (json_int_t)ord->id, "course_id",
                           (json_int_t)course_id, "kind", "escalation", "mg_per_kg", ord->mg_per_kg,
                           "duration_min", ord->duration_min, "first_session", ord->first_session,
                           "sessions_reordered", reordered, "review", review);
        if (answer == NULL)
            rc = keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    }
    if (rc != KETA_OK) {
        keta_tx_rollback(tx);
        goto out;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "course.escalate", "course_order", ord->id,
                    st->course.patient_id);
    (void)snprintf(e.detail, sizeof e.detail,
                   "course %lld: %g mg/kg over %d min from session %d (%d sessions); rule "
                   "protocol.escalation_prescriber_approval",
                   (long long)course_id, ord->mg_per_kg, ord->duration_min, ord->first_session,
                   reordered);
    if ((rc = svc__commit_audited(tx, &e, err)))
        goto out;
    if (order != NULL) {
        *order = answer;
        answer = NULL;
    }
out:
    json_decref(review);
    json_decref(answer);
    keta_free(st);
    keta_free(ord);
    keta_free(ses);
    return rc;
}
