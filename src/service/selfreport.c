/*
 * Patient self-report through a one-time link (issue 5; reference clinic.md §6 scenario 11:
 * "PHQ-9 submitted from home"). The token is 256 random bits; the store keeps only the
 * BLAKE2b-256 of its hex text, as src/http/clinic.c does for web sessions, so a copy of the
 * database does not open links. The answers go through the same path as every assessment
 * (svc__record_assessment), so a link raises the same alerts and returns the same crisis
 * text as a clinician's entry.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "keta/instruments.h"

#define TOKEN_BYTES 32

/* Self-rated instruments a patient may answer alone (clinic.md §2): the PHQ-9, GAD-7,
   PCL-5 and QIDS-SR16. The others are clinician-rated (MADRS, HAM-D, CADSS, BPRS, Y-BOCS)
   or, for the C-SSRS, licensed for electronic use only through its vendor. */
static const char *const self_rated[] = {"phq9", "gad7", "pcl5", "qids_sr16", NULL};

static bool is_self_rated(const char *id)
{
    for (size_t i = 0; self_rated[i] != NULL; i++)
        if (strcmp(self_rated[i], id) == 0)
            return true;
    return false;
}

/* A token as keta makes them: 64 lowercase hex digits. */
static bool token_shape(const char *s)
{
    if (s == NULL || strnlen(s, KETA_SELF_REPORT_TOKEN_LEN) != KETA_SELF_REPORT_TOKEN_LEN - 1)
        return false;
    for (const char *p = s; *p != '\0'; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

static void token_hash(const char *token, char out[KETA_HASH_HEX_LEN])
{
    unsigned char h[crypto_generichash_BYTES];
    crypto_generichash(h, sizeof h, (const unsigned char *)token, strlen(token), NULL, 0);
    (void)sodium_bin2hex(out, KETA_HASH_HEX_LEN, h, sizeof h);
}

void svc__audit_as_link(keta_audit_entry *e, int64_t link_id)
{
    (void)link_id;
    e->actor_id = 0;
    (void)snprintf(e->actor, sizeof e->actor, "self-report-link");
    (void)snprintf(e->role, sizeof e->role, "patient");
}

keta_err keta_service_create_self_report_link(keta_service *svc, const keta_actor *actor,
                                              int64_t patient_id, const char *instrument_id,
                                              keta_self_report_made *out, keta_error *err)
{
    memset(out, 0, sizeof *out);
    keta_err rc = svc__authorize(svc, actor, KETA_PERM_ASSESSMENT_RECORD, "selfreport.create",
                                 "self_report_link", 0, patient_id, err);
    if (rc)
        return rc;
    const keta_instrument *ins = instrument_id != NULL ? keta_instrument_find(instrument_id) : NULL;
    if (ins == NULL)
        return keta_error_set(err, KETA_ENOTFOUND, "/instrument", "unknown instrument '%.40s'",
                              instrument_id != NULL ? instrument_id : "");
    if (!is_self_rated(ins->id))
        return keta_error_set(err, KETA_EINVAL, "/instrument",
                              "%s is not answered by the patient alone; a self-report link is "
                              "for phq9, gad7, pcl5 or qids_sr16",
                              ins->id);

    keta_self_report_link l = {.patient_id = patient_id, .created_by = actor->user_id};
    (void)snprintf(l.instrument, sizeof l.instrument, "%s", ins->id);
    int64_t now_ms = svc__now_ms(svc);
    keta_time_format(now_ms, l.created_at);
    keta_time_format(now_ms + (int64_t)svc->policy.self_report.link_expiry_h * 3600 * 1000,
                     l.expires_at);
    unsigned char raw[TOKEN_BYTES];
    randombytes_buf(raw, sizeof raw);
    (void)sodium_bin2hex(out->token, sizeof out->token, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
    token_hash(out->token, l.token_hash);

    keta_tx *tx;
    keta_patient p;
    if ((rc = svc__begin(svc, actor, &tx, err)) ||
        (rc = svc__load_in_scope(svc, tx, actor, patient_id, "selfreport.create",
                                 "self_report_link", &p, err)))
        goto fail;
    if ((rc = keta_store_self_report_insert(tx, &l, &l.id, err))) {
        keta_tx_rollback(tx);
        goto fail;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "selfreport.create", "self_report_link", l.id, patient_id);
    (void)snprintf(e.detail, sizeof e.detail, "instrument %s, expires %s", l.instrument,
                   l.expires_at);
    if ((rc = svc__commit_audited(tx, &e, err)))
        goto fail;
    out->link_id = l.id;
    (void)snprintf(out->expires_at, sizeof out->expires_at, "%s", l.expires_at);
    return KETA_OK;
fail:
    sodium_memzero(out, sizeof *out);
    return rc;
}

/*
 * Find the link of token in tx and check it can still be used. A refusal is returned with
 * *why set (the audit detail); the caller rolls back and audits it.
 */
static keta_err find_usable(keta_service *svc, keta_tx *tx, const char *token,
                            keta_self_report_link *l, const char **why, keta_error *err)
{
    *why = NULL;
    memset(l, 0, sizeof *l);
    char hash[KETA_HASH_HEX_LEN];
    keta_err rc = KETA_ENOTFOUND;
    keta_error lerr;
    if (token_shape(token)) {
        token_hash(token, hash);
        rc = keta_store_self_report_get(tx, hash, l, &lerr);
    }
    if (rc == KETA_ENOTFOUND) {
        *why = "unknown self-report link";
        return keta_error_set(err, KETA_ENOTFOUND, "token", "no such self-report link");
    }
    if (rc != KETA_OK)
        return keta_error_set(err, rc, NULL, "%s", lerr.message);
    char now[KETA_TIME_LEN];
    svc__now(svc, now);
    if (l->used_at[0] != '\0') {
        *why = "self-report link already used";
        return keta_error_set(err, KETA_ECONFLICT, "token",
                              "this link was already used; ask the clinic for a new one");
    }
    if (strcmp(l->expires_at, now) <= 0) {
        *why = "self-report link expired";
        return keta_error_set(err, KETA_EDENIED, "token",
                              "this link expired at %s; ask the clinic for a new one",
                              l->expires_at);
    }
    return KETA_OK;
}

/* Audit a refused use of a link (its own transaction). Keeps rc and err unless the refusal
   could not be written, which is KETA_EDB. */
static keta_err audit_refusal(keta_service *svc, const char *action, const keta_self_report_link *l,
                              const char *why, keta_err rc, keta_error *err)
{
    keta_audit_entry e;
    svc__audit_init(svc, &e, NULL, action, "self_report_link", l->id, l->patient_id);
    svc__audit_as_link(&e, l->id);
    (void)snprintf(e.outcome, sizeof e.outcome, "failure");
    (void)snprintf(e.detail, sizeof e.detail, "refused: %s", why);
    keta_tx *tx;
    keta_error aerr;
    keta_err arc = keta_store_begin(svc->store, true, &tx, &aerr);
    if (arc == KETA_OK)
        arc = svc__commit_audited(tx, &e, &aerr);
    if (arc != KETA_OK)
        return keta_error_set(err, KETA_EDB, NULL,
                              "self-report link refused (%s), and the refusal could not be "
                              "audited: %s",
                              why, aerr.message);
    return rc;
}

keta_err keta_service_open_self_report(keta_service *svc, const char *token,
                                       keta_self_report_form *out, keta_error *err)
{
    memset(out, 0, sizeof *out);
    keta_tx *tx;
    keta_err rc = keta_store_begin(svc->store, true, &tx, err);
    if (rc)
        return rc;
    keta_self_report_link l;
    const char *why;
    keta_patient p;
    if ((rc = find_usable(svc, tx, token, &l, &why, err))) {
        keta_tx_rollback(tx);
        return why != NULL ? audit_refusal(svc, "selfreport.open", &l, why, rc, err) : rc;
    }
    if ((rc = keta_store_patient_get(tx, l.patient_id, &p, err))) {
        keta_tx_rollback(tx);
        return rc;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, NULL, "selfreport.open", "self_report_link", l.id, l.patient_id);
    svc__audit_as_link(&e, l.id);
    (void)snprintf(e.detail, sizeof e.detail, "instrument %s", l.instrument);
    if ((rc = svc__commit_audited(tx, &e, err)))
        return rc;
    out->link_id = l.id;
    out->instrument = keta_instrument_find(l.instrument);
    (void)snprintf(out->given_name, sizeof out->given_name, "%s", p.given_name);
    (void)snprintf(out->expires_at, sizeof out->expires_at, "%s", l.expires_at);
    if (out->instrument == NULL) /* a link made by a keta that knew more instruments */
        return keta_error_set(err, KETA_ENOTFOUND, "/instrument", "instrument %s is not known",
                              l.instrument);
    return KETA_OK;
}

/* The request a patient may send: {"items":[...]} and nothing else. */
static keta_err check_patient_request(const char *request, keta_error *err)
{
    size_t len = request != NULL ? strnlen(request, KETA_JSON_TEXT_MAX) : 0;
    if (len >= KETA_JSON_TEXT_MAX)
        return keta_error_set(err, KETA_ETOOBIG, "", "the answers have at most %d bytes",
                              KETA_JSON_TEXT_MAX - 1);
    json_t *req = NULL;
    keta_err rc =
        keta_json_parse(request != NULL ? request : "", len, KETA_JSON_TEXT_MAX, 8, &req, err);
    static const char *const keys[] = {"items", NULL};
    if (rc == KETA_OK)
        rc = keta_json_check_keys(req, "", keys, keys, err);
    json_decref(req);
    return rc;
}

keta_err keta_service_submit_self_report(keta_service *svc, const char *token, const char *request,
                                         keta_assessment_result *out, keta_error *err)
{
    if (out != NULL)
        memset(out, 0, sizeof *out);
    keta_err rc = check_patient_request(request, err);
    if (rc)
        return rc;
    /* 1. The link, checked in a short transaction (the refusal is audited). */
    keta_tx *tx;
    if ((rc = keta_store_begin(svc->store, false, &tx, err)))
        return rc;
    keta_self_report_link l;
    const char *why;
    rc = find_usable(svc, tx, token, &l, &why, err);
    keta_tx_rollback(tx);
    if (rc)
        return why != NULL ? audit_refusal(svc, "selfreport.submit", &l, why, rc, err) : rc;
    /* 2. The answers, the alerts and the link consumed, in one transaction. Another use of
       the link in between makes the consume fail and nothing is written. */
    rc = svc__record_assessment(svc, NULL, l.id, l.patient_id, 0, l.instrument, request, out, err);
    if (rc == KETA_ECONFLICT)
        return audit_refusal(svc, "selfreport.submit", &l, "self-report link used or expired", rc,
                             err);
    return rc;
}

/* ---- the form as JSON --------------------------------------------------------------------------
 */

/* The PHQ-9 and GAD-7 response anchors (clinic.md §2: 0-3, "not at all" ... "nearly every
   day"; scenario 11: 1 = "several days"). Both may be reproduced freely (clinic.md §2). */
static const char *const two_week_anchors[] = {"not at all", "several days",
                                               "more than half the days", "nearly every day"};

static const char *anchor(const keta_instrument *ins, int item, int value)
{
    bool freq = (strcmp(ins->id, "phq9") == 0 && item <= 9) || strcmp(ins->id, "gad7") == 0;
    if (freq && value >= 0 && value <= 3)
        return two_week_anchors[value];
    return NULL;
}

keta_err keta_self_report_form_json(const keta_self_report_form *f, json_t **out)
{
    *out = NULL;
    const keta_instrument *ins = f->instrument;
    if (ins == NULL)
        return KETA_EINVAL;
    json_t *o = json_object();
    json_t *labels = json_array();
    json_t *options = json_array();
    keta_err rc = o != NULL && labels != NULL && options != NULL ? KETA_OK : KETA_ENOMEM;
    for (int i = 0; rc == KETA_OK && i < ins->n_items; i++) {
        const char *label = ins->item_text_may_ship ? ins->item_labels[i] : NULL;
        rc = keta_json_push(labels, label != NULL ? json_string(label) : json_null());
        json_t *opts = json_array();
        for (int v = ins->item_min[i]; rc == KETA_OK && opts != NULL && v <= ins->item_max[i];
             v++) {
            const char *a = ins->item_text_may_ship ? anchor(ins, i + 1, v) : NULL;
            rc = keta_json_push(opts, json_pack("{s:i,s:o}", "value", v, "label",
                                                a != NULL ? json_string(a) : json_null()));
        }
        if (rc == KETA_OK)
            rc = keta_json_push(options, opts);
        else
            json_decref(opts);
    }
    if (rc == KETA_OK)
        rc = keta_json_set(o, "instrument", json_string(ins->id));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "name", json_string(ins->name));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "items", json_integer(ins->n_items));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "required_items", json_integer(ins->n_scored));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "item_text_may_ship", json_boolean(ins->item_text_may_ship));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "given_name", json_string(f->given_name));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "expires_at", json_string(f->expires_at));
    if (rc == KETA_OK) {
        rc = keta_json_set(o, "item_labels", labels);
        labels = NULL;
    }
    if (rc == KETA_OK) {
        rc = keta_json_set(o, "options", options);
        options = NULL;
    }
    json_decref(labels);
    json_decref(options);
    if (rc != KETA_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return KETA_OK;
}
