/*
 * Reading a patient's records: the site's patient list and search, a patient's assessment
 * history, courses, and one course with its planned and done sessions. Each read is
 * authorized, scoped to the actor's site (a patient account to its own record) and audited.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* The read permission of a record class: own_records for a patient account. */
static keta_permission read_perm(const keta_actor *actor, keta_permission staff)
{
    return actor != NULL && actor->role == KETA_ROLE_PATIENT ? KETA_PERM_OWN_RECORDS : staff;
}

keta_err keta_service_search_patients(keta_service *svc, const keta_actor *actor, const char *q,
                                      int limit, int64_t offset, keta_patient_fn fn, void *ctx,
                                      keta_error *err)
{
    keta_err rc =
        svc__authorize(svc, actor, KETA_PERM_PATIENT_READ, "patient.search", "patient", 0, 0, err);
    if (rc)
        return rc;
    if (q != NULL && q[0] != '\0' && (rc = svc__check_text(q, KETA_SEARCH_MAX, "/q", err)))
        return rc;
    if (limit < 1 || limit > KETA_SEARCH_PAGE_MAX)
        return keta_error_set(err, KETA_ERANGE, "/limit", "limit must be from 1 to %d, got %d",
                              KETA_SEARCH_PAGE_MAX, limit);
    if (offset < 0 || offset > INT32_MAX)
        return keta_error_set(err, KETA_ERANGE, "/offset", "offset must be from 0 to %d",
                              INT32_MAX);
    keta_tx *tx;
    if ((rc = svc__begin(svc, actor, &tx, err)))
        return rc;
    if ((rc = keta_store_patient_search(tx, actor->site_id, q, limit, offset, fn, ctx, err))) {
        keta_tx_rollback(tx);
        return rc;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "patient.search", "patient", 0, 0);
    (void)snprintf(e.detail, sizeof e.detail, "page of %d from %lld", limit, (long long)offset);
    return svc__commit_audited(tx, &e, err);
}

/* Begin a read of patient_id's records of one class, authorized and in scope. */
static keta_err begin_read(keta_service *svc, const keta_actor *actor, int64_t patient_id,
                           keta_permission staff_perm, const char *action, const char *entity,
                           keta_tx **tx, keta_error *err)
{
    keta_patient p;
    keta_err rc = svc__authorize(svc, actor, read_perm(actor, staff_perm), action, entity, 0,
                                 patient_id, err);
    if (rc || (rc = svc__begin(svc, actor, tx, err)))
        return rc;
    return svc__load_in_scope(svc, *tx, actor, patient_id, action, entity, &p, err);
}

/* Commit a read of entity (entity_id 0: a list) with its audit entry; tx rolled back on rc. */
static keta_err end_read(keta_service *svc, keta_tx *tx, const keta_actor *actor, keta_err rc,
                         const char *action, const char *entity, int64_t entity_id,
                         int64_t patient_id, keta_error *err)
{
    if (rc != KETA_OK) {
        keta_tx_rollback(tx);
        return rc;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, action, entity, entity_id, patient_id);
    return svc__commit_audited(tx, &e, err);
}

keta_err keta_service_list_assessments(keta_service *svc, const keta_actor *actor,
                                       int64_t patient_id, keta_assessment_fn fn, void *ctx,
                                       keta_error *err)
{
    keta_tx *tx;
    keta_err rc = begin_read(svc, actor, patient_id, KETA_PERM_ASSESSMENT_READ, "assessment.read",
                             "assessment", &tx, err);
    if (rc)
        return rc;
    rc = keta_store_assessment_list(tx, patient_id, fn, ctx, err);
    return end_read(svc, tx, actor, rc, "assessment.read", "assessment", 0, patient_id, err);
}

keta_err keta_service_list_courses(keta_service *svc, const keta_actor *actor, int64_t patient_id,
                                   keta_course_fn fn, void *ctx, keta_error *err)
{
    keta_tx *tx;
    keta_err rc = begin_read(svc, actor, patient_id, KETA_PERM_PATIENT_READ, "course.read",
                             "course", &tx, err);
    if (rc)
        return rc;
    rc = keta_store_course_list(tx, patient_id, fn, ctx, err);
    return end_read(svc, tx, actor, rc, "course.read", "course", 0, patient_id, err);
}

keta_err keta_service_get_course(keta_service *svc, const keta_actor *actor, int64_t course_id,
                                 keta_course *out, keta_session_fn fn, void *ctx, keta_error *err)
{
    keta_err rc = svc__authorize(svc, actor, read_perm(actor, KETA_PERM_PATIENT_READ),
                                 "course.read", "course", course_id, 0, err);
    keta_tx *tx;
    keta_patient p;
    if (rc || (rc = svc__begin(svc, actor, &tx, err)))
        return rc;
    if ((rc = keta_store_course_get(tx, course_id, out, err))) {
        keta_tx_rollback(tx);
        return rc;
    }
    if ((rc =
             svc__load_in_scope(svc, tx, actor, out->patient_id, "course.read", "course", &p, err)))
        return rc;
    if (fn != NULL)
        rc = keta_store_session_list(tx, course_id, fn, ctx, err);
    return end_read(svc, tx, actor, rc, "course.read", "course", course_id, out->patient_id, err);
}
