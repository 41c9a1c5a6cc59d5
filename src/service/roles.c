/*
 * Which role may do what: the table of reference clinic.md §5 ("Roles implied for this
 * product", derived from the OpenEMR ACL groups and HIPAA 164.312(a)). One row per
 * permission; a role not named in a row does not hold it. Break-glass access is not a role
 * but a declaration that extends one account's reach for one patient for a bounded time
 * (keta_service_open_break_glass, src/service/staff.c).
 */
#include <string.h>

#include "internal.h"

#define FD (1u << KETA_ROLE_FRONT_DESK)
#define NU (1u << KETA_ROLE_NURSE)
#define PR (1u << KETA_ROLE_PRESCRIBER)
#define TH (1u << KETA_ROLE_THERAPIST)
#define AD (1u << KETA_ROLE_ADMIN)
#define PT (1u << KETA_ROLE_PATIENT)

static const unsigned grants[KETA_PERM_COUNT] = {
    /* Front desk: scheduling, demographics, REMS enrolment status view; no clinical notes. */
    [KETA_PERM_PATIENT_REGISTER] = FD | NU | PR,
    [KETA_PERM_PATIENT_READ] = FD | NU | PR | TH,
    [KETA_PERM_PATIENT_EDIT] = FD | NU | PR,
    [KETA_PERM_SCHEDULE] = FD | NU | PR,
    [KETA_PERM_REMS_STATUS_READ] = FD | NU | PR,
    /* Nurse / monitor: vitals, session flowsheet, PMF (REMS form) entry, adverse events,
       add-only notes. */
    [KETA_PERM_REMS_FORM_ENTER] = NU | PR,
    [KETA_PERM_WEIGHT_RECORD] = NU | PR,
    [KETA_PERM_VITALS_RECORD] = NU | PR,
    [KETA_PERM_VITALS_READ] = NU | PR,
    [KETA_PERM_ADVERSE_EVENT_RECORD] = NU | PR,
    /* Therapist: integration notes (the high-sensitivity class) and scales; no orders. */
    [KETA_PERM_ASSESSMENT_RECORD] = NU | PR | TH,
    [KETA_PERM_ASSESSMENT_READ] = NU | PR | TH,
    [KETA_PERM_NOTE_CLINICAL_ADD] = NU | PR | TH,
    [KETA_PERM_NOTE_CLINICAL_READ] = NU | PR | TH,
    [KETA_PERM_NOTE_RESTRICTED_ADD] = TH,
    [KETA_PERM_NOTE_RESTRICTED_READ] = TH,
    /* Prescriber: eligibility decision, orders, dose changes, BP-hold overrides, discharge. */
    [KETA_PERM_ELIGIBILITY_SIGN] = PR,
    [KETA_PERM_ORDER_WRITE] = PR,
    [KETA_PERM_BP_HOLD_OVERRIDE] = PR,
    [KETA_PERM_DISCHARGE_SIGN] = PR,
    /* Patient: own questionnaires and results only. */
    [KETA_PERM_OWN_RECORDS] = PT,
    /* Admin: configuration, users, audit review; no routine chart access. */
    [KETA_PERM_USER_ADMIN] = AD,
    [KETA_PERM_AUDIT_REVIEW] = AD,
    [KETA_PERM_POLICY_CONFIGURE] = AD,
    /* Alerts: the clinical staff see, acknowledge and resolve them; only a prescriber lifts a
       dosing hold (a safety assessment after a C-SSRS hold, a decision after a vitals hold). */
    [KETA_PERM_ALERT_READ] = NU | PR | TH,
    [KETA_PERM_ALERT_MANAGE] = NU | PR | TH,
    [KETA_PERM_HOLD_LIFT] = PR,
    /* Starting a session (dose from today's weight, pump programme, lot): nurse or prescriber
       against the prescriber's order. */
    [KETA_PERM_SESSION_ADMINISTER] = NU | PR,
    /* Break-glass (emergency access, HIPAA 164.312(a)): any staff member may declare it for
       one patient, with a reason, for a bounded time (src/service/staff.c); admins do
       not (no chart access) but review the declarations (audit.review). */
    [KETA_PERM_BREAK_GLASS] = FD | NU | PR | TH,
    [KETA_PERM_SESSION_READ] = NU | PR,
    [KETA_PERM_REMS_ENROLL] = FD | NU | PR,
};

static const char *const role_names[] = {
#define KETA__ROLE_NAME(name, text) text,
    KETA_ROLE_MAP(KETA__ROLE_NAME)
#undef KETA__ROLE_NAME
};

static const char *const permission_names[] = {
#define KETA__PERM_NAME(name, text) text,
    KETA_PERMISSION_MAP(KETA__PERM_NAME)
#undef KETA__PERM_NAME
};

const char *keta_role_name(keta_role role)
{
    if ((unsigned)role >= (unsigned)KETA_ROLE_COUNT)
        return "";
    return role_names[role];
}

keta_err keta_role_parse(const char *text, const char *field, keta_role *out, keta_error *err)
{
    for (int r = 0; r < KETA_ROLE_COUNT; r++) {
        if (text != NULL && strcmp(text, role_names[r]) == 0) {
            *out = (keta_role)r;
            return KETA_OK;
        }
    }
    return keta_error_set(err, KETA_EINVAL, field,
                          "role is one of front_desk, nurse, prescriber, therapist, admin, "
                          "patient; got '%.40s'",
                          text != NULL ? text : "");
}

const char *keta_permission_name(keta_permission perm)
{
    if ((unsigned)perm >= (unsigned)KETA_PERM_COUNT)
        return "";
    return permission_names[perm];
}

bool keta_role_can(keta_role role, keta_permission perm)
{
    if ((unsigned)role >= (unsigned)KETA_ROLE_COUNT || (unsigned)perm >= (unsigned)KETA_PERM_COUNT)
        return false;
    return (grants[perm] & (1u << role)) != 0;
}
