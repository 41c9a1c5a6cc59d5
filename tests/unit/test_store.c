/*
 * Store and service pieces that need no database: the audit entry's canonical encoding and
 * hash, the canonical time, the role/permission table.
 */
#include <string.h>

#include "keta_test.h"
#include "keta/service.h"
#include "keta/store.h"

static keta_audit_entry sample_entry(void)
{
    keta_audit_entry e;
    memset(&e, 0, sizeof e);
    e.seq = 7;
    (void)snprintf(e.at, sizeof e.at, "2026-03-01T14:05:09.250Z");
    e.actor_id = 3;
    (void)snprintf(e.actor, sizeof e.actor, "nina.nurse");
    (void)snprintf(e.role, sizeof e.role, "nurse");
    e.patient_id = 42;
    (void)snprintf(e.action, sizeof e.action, "vitals.record");
    (void)snprintf(e.entity, sizeof e.entity, "vital_sign");
    e.entity_id = 1001;
    (void)snprintf(e.outcome, sizeof e.outcome, "success");
    return e;
}

/*
 * The expected values come from an independent implementation of the documented encoding
 * (store.h keta_audit_canonical) and of BLAKE2b-256 (Python hashlib.blake2b, digest_size=32,
 * which is libsodium's crypto_generichash without a key).
 */
static void canonical_encoding_is_length_prefixed(void **state)
{
    (void)state;
    keta_audit_entry e = sample_entry();
    unsigned char buf[512];
    size_t n = keta_audit_canonical(&e, buf, sizeof buf);
    assert_int_equal(n, 138);
    assert_int_equal(keta_audit_canonical(&e, NULL, 0), 138);
    static const unsigned char head[] = {0,   0,   0,   13,  'k', 'e', 't', 'a', '-', 'a',
                                         'u', 'd', 'i', 't', '-', 'v', '1', 0,   0,   0};
    assert_memory_equal(buf, head, sizeof head);
    /* A field cannot borrow bytes from its neighbour. */
    keta_audit_entry a = sample_entry(), b = sample_entry();
    (void)snprintf(a.action, sizeof a.action, "ab");
    (void)snprintf(a.entity, sizeof a.entity, "c");
    (void)snprintf(b.action, sizeof b.action, "a");
    (void)snprintf(b.entity, sizeof b.entity, "bc");
    unsigned char ba[512], bb[512];
    size_t na = keta_audit_canonical(&a, ba, sizeof ba),
           nb = keta_audit_canonical(&b, bb, sizeof bb);
    assert_int_equal(na, nb);
    assert_true(memcmp(ba, bb, na) != 0);
}

static void hash_matches_independent_blake2b(void **state)
{
    (void)state;
    keta_audit_entry e = sample_entry();
    char hash[KETA_HASH_HEX_LEN];
    char zeros[65], abab[65];
    memset(zeros, '0', 64);
    zeros[64] = '\0';
    for (int i = 0; i < 64; i++)
        abab[i] = i % 2 ? 'b' : 'a';
    abab[64] = '\0';
    assert_int_equal(keta_audit_hash(&e, zeros, hash), KETA_OK);
    assert_string_equal(hash, "65a1a8cec83991049fcedc411117dcb97f6e3ffbdaa1688a03d29a768a6919f4");
    assert_int_equal(keta_audit_hash(&e, abab, hash), KETA_OK);
    assert_string_equal(hash, "05be4dad8b89d51af0c2e0235976b39ec6efe5d5dd7d20f7ed311954d745d4ac");
    /* Any change of a hashed field changes the hash. */
    char other[KETA_HASH_HEX_LEN];
    e.patient_id = 43;
    assert_int_equal(keta_audit_hash(&e, zeros, other), KETA_OK);
    assert_string_not_equal(other,
                            "65a1a8cec83991049fcedc411117dcb97f6e3ffbdaa1688a03d29a768a6919f4");
    assert_int_equal(keta_audit_hash(&e, "not hex", other), KETA_EINVAL);
    assert_int_equal(keta_audit_hash(&e, "ZZ", other), KETA_EINVAL);
}

static void canonical_time(void **state)
{
    (void)state;
    char t[KETA_TIME_LEN];
    int64_t ms;
    keta_time_format(0, t);
    assert_string_equal(t, "1970-01-01T00:00:00.000Z");
    keta_time_format(1772373909250, t);
    assert_string_equal(t, "2026-03-01T14:05:09.250Z");
    keta_time_format(-1, t);
    assert_string_equal(t, "1969-12-31T23:59:59.999Z");
    assert_int_equal(keta_time_parse("2026-03-01T14:05:09.250Z", "at", &ms, NULL), KETA_OK);
    assert_int_equal(ms, 1772373909250);
    keta_error err;
    static const char *const bad[] = {
        "2026-02-30T00:00:00.000Z",  "2026-13-01T00:00:00.000Z",
        "2026-03-01T24:00:00.000Z",  "2026-03-01T14:05:09.250",
        "2026-03-01 14:05:09.250Z",  "2026-03-01T14:05:09Z",
        "2026-03-01T14:05:60.000Z",  "",
        "2026-03-01T14:05:09.250Z0",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(keta_time_parse(bad[i], "measured_at", &ms, &err), KETA_EINVAL);
        assert_string_equal(err.field, "measured_at");
    }
    assert_int_equal(keta_time_parse(NULL, "at", &ms, NULL), KETA_EINVAL);
    assert_int_equal(keta_time_parse("2024-02-29T23:59:59.999Z", "at", &ms, NULL), KETA_OK);
}

/* The role table against reference clinic.md §5. */
static void roles_follow_the_reference(void **state)
{
    (void)state;
    /* Front desk: scheduling, demographics; no clinical notes. */
    assert_true(keta_role_can(KETA_ROLE_FRONT_DESK, KETA_PERM_PATIENT_REGISTER));
    assert_true(keta_role_can(KETA_ROLE_FRONT_DESK, KETA_PERM_REMS_STATUS_READ));
    assert_false(keta_role_can(KETA_ROLE_FRONT_DESK, KETA_PERM_NOTE_CLINICAL_READ));
    assert_false(keta_role_can(KETA_ROLE_FRONT_DESK, KETA_PERM_NOTE_RESTRICTED_READ));
    assert_false(keta_role_can(KETA_ROLE_FRONT_DESK, KETA_PERM_VITALS_RECORD));
    /* Nurse: vitals, flowsheet, PMF entry, adverse events, add-only notes. */
    assert_true(keta_role_can(KETA_ROLE_NURSE, KETA_PERM_VITALS_RECORD));
    assert_true(keta_role_can(KETA_ROLE_NURSE, KETA_PERM_REMS_FORM_ENTER));
    assert_true(keta_role_can(KETA_ROLE_NURSE, KETA_PERM_ADVERSE_EVENT_RECORD));
    assert_true(keta_role_can(KETA_ROLE_NURSE, KETA_PERM_NOTE_CLINICAL_ADD));
    assert_false(keta_role_can(KETA_ROLE_NURSE, KETA_PERM_DISCHARGE_SIGN));
    assert_false(keta_role_can(KETA_ROLE_NURSE, KETA_PERM_NOTE_RESTRICTED_READ));
    /* Prescriber: eligibility, orders, BP-hold overrides, discharge sign-off. */
    assert_true(keta_role_can(KETA_ROLE_PRESCRIBER, KETA_PERM_ELIGIBILITY_SIGN));
    assert_true(keta_role_can(KETA_ROLE_PRESCRIBER, KETA_PERM_BP_HOLD_OVERRIDE));
    assert_true(keta_role_can(KETA_ROLE_PRESCRIBER, KETA_PERM_DISCHARGE_SIGN));
    /* Therapist: integration notes and scales; no medication orders. */
    assert_true(keta_role_can(KETA_ROLE_THERAPIST, KETA_PERM_NOTE_RESTRICTED_ADD));
    assert_true(keta_role_can(KETA_ROLE_THERAPIST, KETA_PERM_ASSESSMENT_RECORD));
    assert_false(keta_role_can(KETA_ROLE_THERAPIST, KETA_PERM_ORDER_WRITE));
    /* Admin: users, audit review; no routine chart access. */
    assert_true(keta_role_can(KETA_ROLE_ADMIN, KETA_PERM_USER_ADMIN));
    assert_true(keta_role_can(KETA_ROLE_ADMIN, KETA_PERM_AUDIT_REVIEW));
    assert_false(keta_role_can(KETA_ROLE_ADMIN, KETA_PERM_PATIENT_READ));
    assert_false(keta_role_can(KETA_ROLE_ADMIN, KETA_PERM_VITALS_READ));
    /* Patient: own records only. */
    for (int p = 0; p < KETA_PERM_COUNT; p++)
        assert_int_equal(keta_role_can(KETA_ROLE_PATIENT, (keta_permission)p),
                         p == KETA_PERM_OWN_RECORDS);
    /* Only a prescriber orders; only a therapist reads integration notes. */
    for (int r = 0; r < KETA_ROLE_COUNT; r++) {
        assert_int_equal(keta_role_can((keta_role)r, KETA_PERM_ORDER_WRITE),
                         r == KETA_ROLE_PRESCRIBER);
        assert_int_equal(keta_role_can((keta_role)r, KETA_PERM_NOTE_RESTRICTED_READ),
                         r == KETA_ROLE_THERAPIST);
    }
    /* Every permission is held by someone; out-of-range values hold nothing. */
    for (int p = 0; p < KETA_PERM_COUNT; p++) {
        bool held = false;
        for (int r = 0; r < KETA_ROLE_COUNT; r++)
            held = held || keta_role_can((keta_role)r, (keta_permission)p);
        assert_true(held);
        assert_true(strlen(keta_permission_name((keta_permission)p)) > 0);
    }
    assert_false(keta_role_can((keta_role)99, KETA_PERM_OWN_RECORDS));
    assert_false(keta_role_can(KETA_ROLE_ADMIN, (keta_permission)999));
}

static void role_names_round_trip(void **state)
{
    (void)state;
    for (int r = 0; r < KETA_ROLE_COUNT; r++) {
        keta_role back;
        assert_int_equal(keta_role_parse(keta_role_name((keta_role)r), "role", &back, NULL),
                         KETA_OK);
        assert_int_equal(back, r);
    }
    keta_role out;
    keta_error err;
    assert_int_equal(keta_role_parse("superuser", "/role", &out, &err), KETA_EINVAL);
    assert_string_equal(err.field, "/role");
    assert_string_equal(keta_role_name((keta_role)-1), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(canonical_encoding_is_length_prefixed),
        cmocka_unit_test(hash_matches_independent_blake2b),
        cmocka_unit_test(canonical_time),
        cmocka_unit_test(roles_follow_the_reference),
        cmocka_unit_test(role_names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
