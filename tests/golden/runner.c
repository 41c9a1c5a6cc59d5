/*
 * The golden-test runner (STYLE rule 9). One small text file per case:
 *
 *   # free comment
 *   source: clinic.md §6 scenario 13 (Rush 2003)      required: where the answer comes from
 *   run: score qids_sr16                              the library call and its argument
 *   input: {"items":[2,1,0,3,2,1,0,2,0,2,1,1,2,3,1,2]}
 *   expect /total: 18                                 JSON pointer (RFC 6901, 0-based arrays)
 *   expect /percent_change: -57.1 ~0.05               ~ADD absolute or ~REL% relative tolerance
 *   expect /summary/ce_max_ng_per_ml: <= 200.2        a bound (<= or >=) on a number
 *   absent /risk                                      the member must not exist
 *   error: KETA_ERANGE                                the call must fail with this code
 *   error_field: /items/9
 *   error_message_contains: got 4
 *
 * A case with no expectation, or no source, fails: a test that cannot fail is a defect.
 * Usage: golden_runner FILE...; prints "N passed, N failed".
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keta/clinic.h"
#include "keta/instruments.h"
#include "keta/json.h"
#include "keta/pd.h"
#include "keta/pk.h"
#include "keta/popsim.h"

#define LINE_MAX_BYTES 65536

typedef keta_err (*run_fn)(const char *arg, const char *input, size_t len, json_t **out,
                           keta_error *err);

static keta_err run_instrument(const char *arg, const char *input, size_t len, json_t **out,
                               keta_error *err)
{
    (void)input;
    (void)len;
    const keta_instrument *ins = keta_instrument_find(arg);
    if (ins == NULL)
        return keta_error_set(err, KETA_ENOTFOUND, "instrument", "no instrument '%s'", arg);
    return keta_instrument_to_json(ins, out);
}

static keta_err run_pk_simulate(const char *arg, const char *input, size_t len, json_t **out,
                                keta_error *err)
{
    (void)arg;
    return keta_pk_simulate_text(input, len, out, err);
}

static keta_err run_pk_tci(const char *arg, const char *input, size_t len, json_t **out,
                           keta_error *err)
{
    (void)arg;
    return keta_pk_tci_text(input, len, out, err);
}

static keta_err run_pd_acute(const char *arg, const char *input, size_t len, json_t **out,
                             keta_error *err)
{
    (void)arg;
    return keta_pd_acute_text(input, len, out, err);
}

static keta_err run_pd_response(const char *arg, const char *input, size_t len, json_t **out,
                                keta_error *err)
{
    (void)arg;
    return keta_pd_response_text(input, len, out, err);
}

static keta_err run_forecast(const char *arg, const char *input, size_t len, json_t **out,
                             keta_error *err)
{
    (void)arg;
    return keta_pd_forecast_text(input, len, out, err);
}

/* run: popsim: a whole `keta popsim` study, on two threads (the answer does not depend on it). */
static keta_err run_popsim(const char *arg, const char *input, size_t len, json_t **out,
                           keta_error *err)
{
    (void)arg;
    return keta_popsim_text(input, len, 2, NULL, NULL, out, err);
}

/* run: pk_model ID [WEIGHT_KG]: the descriptor, with derived values at the weight (70 kg). */
static keta_err run_pk_model(const char *arg, const char *input, size_t len, json_t **out,
                             keta_error *err)
{
    (void)input;
    (void)len;
    char id[64];
    double weight_kg = 70;
    (void)snprintf(id, sizeof id, "%s", arg);
    char *sp = strchr(id, ' ');
    if (sp != NULL) {
        *sp = '\0';
        char *end;
        errno = 0;
        weight_kg = strtod(sp + 1, &end);
        if (errno != 0 || end == sp + 1 || *end != '\0')
            return keta_error_set(err, KETA_EINVAL, "weight", "bad weight '%s'", sp + 1);
    }
    const keta_pk_model *m = keta_pk_model_find(id);
    if (m == NULL)
        return keta_error_set(err, KETA_ENOTFOUND, "model", "no model '%s'", id);
    return keta_pk_model_to_json(m, weight_kg, out);
}

/*
 * run: clinic_* [POLICY]: a clinic rule under the default policy, or under the policy
 * document POLICY (the rest of the run: line) applied over it.
 */
static keta_err clinic_policy(const char *text, keta_policy *pol, keta_error *err)
{
    keta_policy_init(pol);
    return text[0] ? keta_policy_apply_text(pol, text, strlen(text), err) : KETA_OK;
}

#define CLINIC_RUN(name, fn)                                                           \
    static keta_err name(const char *arg, const char *input, size_t len, json_t **out, \
                         keta_error *err)                                              \
    {                                                                                  \
        keta_policy pol;                                                               \
        keta_err rc = clinic_policy(arg, &pol, err);                                   \
        return rc == KETA_OK ? fn(&pol, input, len, out, err) : rc;                    \
    }
CLINIC_RUN(run_clinic_dose, keta_dose_text)
CLINIC_RUN(run_clinic_eligibility, keta_eligibility_text)
CLINIC_RUN(run_clinic_plan, keta_course_plan_text)
CLINIC_RUN(run_clinic_review, keta_course_review_text)
CLINIC_RUN(run_clinic_outcome, keta_course_outcome_text)
CLINIC_RUN(run_clinic_maintenance, keta_maintenance_text)
CLINIC_RUN(run_clinic_vitals, keta_vitals_check_text)
CLINIC_RUN(run_clinic_home, keta_home_check_text)
CLINIC_RUN(run_clinic_discharge, keta_discharge_check_text)
CLINIC_RUN(run_clinic_rems, keta_rems_check_text)

/* run: clinic_assess INSTRUMENT [POLICY] */
static keta_err run_clinic_assess(const char *arg, const char *input, size_t len, json_t **out,
                                  keta_error *err)
{
    char id[32];
    size_t n = strcspn(arg, " ");
    (void)snprintf(id, sizeof id, "%.*s", (int)(n < sizeof id ? n : sizeof id - 1), arg);
    keta_policy pol;
    keta_err rc = clinic_policy(arg[n] ? arg + n + 1 : "", &pol, err);
    return rc == KETA_OK ? keta_assess_text(&pol, id, input, len, out, err) : rc;
}

/* run: clinic_policy: input is a policy file; the result is `keta policy show --json`. */
static keta_err run_clinic_policy(const char *arg, const char *input, size_t len, json_t **out,
                                  keta_error *err)
{
    (void)arg;
    keta_policy pol;
    keta_policy_init(&pol);
    keta_err rc = keta_policy_apply_text(&pol, input, len, err);
    return rc == KETA_OK ? keta_policy_to_json(&pol, out) : rc;
}

static const struct {
    const char *name;
    run_fn fn;
} runs[] = {
    {"score", keta_score_text},
    {"outcome", keta_outcome_text},
    {"instrument", run_instrument},
    {"pk_simulate", run_pk_simulate},
    {"pk_model", run_pk_model},
    {"pk_tci", run_pk_tci},
    {"pd_acute", run_pd_acute},
    {"pd_response", run_pd_response},
    {"forecast", run_forecast},
    {"clinic_dose", run_clinic_dose},
    {"clinic_eligibility", run_clinic_eligibility},
    {"clinic_plan", run_clinic_plan},
    {"clinic_review", run_clinic_review},
    {"clinic_outcome", run_clinic_outcome},
    {"clinic_maintenance", run_clinic_maintenance},
    {"clinic_vitals", run_clinic_vitals},
    {"clinic_home", run_clinic_home},
    {"clinic_discharge", run_clinic_discharge},
    {"clinic_rems", run_clinic_rems},
    {"clinic_assess", run_clinic_assess},
    {"clinic_policy", run_clinic_policy},
    {"popsim", run_popsim},
};

/* Resolve a JSON pointer; NULL when absent. */
static const json_t *pointer_get(const json_t *root, const char *ptr)
{
    if (*ptr == '\0')
        return root;
    if (*ptr != '/')
        return NULL;
    const json_t *cur = root;
    char seg[256];
    while (cur != NULL && *ptr == '/') {
        ptr++;
        size_t n = 0;
        while (*ptr != '\0' && *ptr != '/' && n + 1 < sizeof seg) {
            if (ptr[0] == '~' && ptr[1] == '0') {
                seg[n++] = '~';
                ptr += 2;
            } else if (ptr[0] == '~' && ptr[1] == '1') {
                seg[n++] = '/';
                ptr += 2;
            } else {
                seg[n++] = *ptr++;
            }
        }
        seg[n] = '\0';
        if (json_is_object(cur)) {
            cur = json_object_get(cur, seg);
        } else if (json_is_array(cur)) {
            char *end;
            errno = 0;
            long idx = strtol(seg, &end, 10);
            if (errno != 0 || end == seg || *end != '\0' || idx < 0)
                return NULL;
            cur = json_array_get(cur, (size_t)idx);
        } else {
            return NULL;
        }
    }
    return cur;
}

typedef struct {
    char path[256];
    char source[512];
    char run[64];
    char arg[128];
    char *input;
    int n_checks;
    char error_code[64];
    char error_field[128];
    char error_contains[256];
} golden_case;

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        s[--n] = '\0';
}

static int fail(const golden_case *c, int lineno, const char *what)
{
    fprintf(stderr, "FAIL %s:%d: %s\n", c->path, lineno, what);
    return 1;
}

/* The expectation "<= NUMBER" or ">= NUMBER" on the number at ptr. Returns 0 when it holds. */
static int check_bound(const golden_case *c, int lineno, const json_t *result, const char *ptr,
                       const char *spec)
{
    char *end;
    errno = 0;
    double bound = strtod(spec + 3, &end);
    if (errno != 0 || end == spec + 3 || *end != '\0')
        return fail(c, lineno, "bad bound");
    const json_t *got = pointer_get(result, ptr);
    char msg[512];
    if (!json_is_number(got)) {
        (void)snprintf(msg, sizeof msg, "%s is not a number; expected %s", ptr, spec);
        return fail(c, lineno, msg);
    }
    double g = json_number_value(got);
    bool ok = spec[0] == '<' ? g <= bound : g >= bound;
    if (ok)
        return 0;
    (void)snprintf(msg, sizeof msg, "%s = %.10g; expected %s", ptr, g, spec);
    return fail(c, lineno, msg);
}

/* Compare actual with the expectation text "VALUE [~TOL[%]]". Returns 0 when it holds. */
static int check_expect(const golden_case *c, int lineno, const json_t *result, char *spec)
{
    char *colon = strstr(spec, ": ");
    if (spec[0] != '/' && spec[0] != ':')
        return fail(c, lineno, "expect needs a JSON pointer");
    if (colon == NULL)
        return fail(c, lineno, "expect needs ': VALUE'");
    *colon = '\0';
    const char *ptr = spec;
    char *value_text = colon + 2;
    if (strncmp(value_text, "<= ", 3) == 0 || strncmp(value_text, ">= ", 3) == 0)
        return check_bound(c, lineno, result, ptr, value_text);
    double tol = 0;
    bool relative = false, has_tol = false;
    char *tilde = strstr(value_text, " ~");
    if (tilde != NULL) {
        *tilde = '\0';
        char *end;
        errno = 0;
        tol = strtod(tilde + 2, &end);
        if (errno != 0 || end == tilde + 2 || (*end != '\0' && strcmp(end, "%") != 0))
            return fail(c, lineno, "bad tolerance");
        relative = *end == '%';
        has_tol = true;
    }
    json_error_t jerr;
    json_t *want = json_loads(value_text, JSON_DECODE_ANY, &jerr);
    if (want == NULL)
        return fail(c, lineno, "expected value is not JSON");
    const json_t *got = pointer_get(result, ptr);
    int bad = 0;
    char msg[1024];
    if (got == NULL) {
        (void)snprintf(msg, sizeof msg, "%s is absent; expected %s", ptr, value_text);
        bad = fail(c, lineno, msg);
    } else if (has_tol) {
        if (!json_is_number(got) || !json_is_number(want)) {
            bad = fail(c, lineno, "a tolerance needs numbers on both sides");
        } else {
            double g = json_number_value(got), w = json_number_value(want);
            double allowed = relative ? fabs(w) * tol / 100.0 : tol;
            if (!(fabs(g - w) <= allowed)) {
                (void)snprintf(msg, sizeof msg, "%s = %.10g; expected %.10g within %.4g", ptr, g, w,
                               allowed);
                bad = fail(c, lineno, msg);
            }
        }
    } else if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(12));
        (void)snprintf(msg, sizeof msg, "%s = %s; expected %s", ptr, g ? g : "?", value_text);
        free(g);
        bad = fail(c, lineno, msg);
    }
    json_decref(want);
    return bad;
}

static int run_case(const char *path)
{
    golden_case c;
    memset(&c, 0, sizeof c);
    (void)snprintf(c.path, sizeof c.path, "%s", path);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "FAIL %s: cannot open: %s\n", path, strerror(errno));
        return 1;
    }
    char *line = malloc(LINE_MAX_BYTES);
    /* First pass: the header fields. Second pass: checks, once the result exists. */
    int lineno = 0, bad = 0;
    while (line != NULL && fgets(line, LINE_MAX_BYTES, f) != NULL) {
        lineno++;
        trim(line);
        if (strncmp(line, "source: ", 8) == 0)
            (void)snprintf(c.source, sizeof c.source, "%s", line + 8);
        else if (strncmp(line, "run: ", 5) == 0) {
            char *sp = strchr(line + 5, ' ');
            if (sp != NULL) {
                *sp = '\0';
                (void)snprintf(c.arg, sizeof c.arg, "%s", sp + 1);
            }
            (void)snprintf(c.run, sizeof c.run, "%s", line + 5);
        } else if (strncmp(line, "input: ", 7) == 0) {
            free(c.input);
            c.input = strdup(line + 7);
        } else if (strncmp(line, "expect ", 7) == 0 || strncmp(line, "absent ", 7) == 0)
            c.n_checks++;
        else if (strncmp(line, "error: ", 7) == 0) {
            (void)snprintf(c.error_code, sizeof c.error_code, "%s", line + 7);
            c.n_checks++;
        } else if (strncmp(line, "error_field: ", 13) == 0)
            (void)snprintf(c.error_field, sizeof c.error_field, "%s", line + 13);
        else if (strncmp(line, "error_message_contains: ", 24) == 0)
            (void)snprintf(c.error_contains, sizeof c.error_contains, "%s", line + 24);
        else if (line[0] != '\0' && line[0] != '#')
            bad |= fail(&c, lineno, "unknown line");
    }
    if (c.source[0] == '\0')
        bad |= fail(&c, 0, "no 'source:' line: every golden case names its source");
    if (c.n_checks == 0)
        bad |= fail(&c, 0, "no expectation: a case that cannot fail is a defect");
    run_fn fn = NULL;
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++)
        if (strcmp(runs[i].name, c.run) == 0)
            fn = runs[i].fn;
    if (fn == NULL)
        bad |= fail(&c, 0, "unknown or missing 'run:'");
    if (bad)
        goto out;

    const char *input = c.input ? c.input : "";
    json_t *result = NULL;
    keta_error err;
    keta_error_clear(&err);
    keta_err rc = fn(c.arg, input, strlen(input), &result, &err);
    if (c.error_code[0] != '\0') {
        char msg[700];
        if (rc == KETA_OK) {
            bad |= fail(&c, 0, "expected an error, the call succeeded");
        } else if (strcmp(keta_errname(rc), c.error_code) != 0) {
            (void)snprintf(msg, sizeof msg, "error %s (%s: %s); expected %s", keta_errname(rc),
                           err.field, err.message, c.error_code);
            bad |= fail(&c, 0, msg);
        }
        if (c.error_field[0] && strcmp(err.field, c.error_field) != 0) {
            (void)snprintf(msg, sizeof msg, "error field '%s'; expected '%s'", err.field,
                           c.error_field);
            bad |= fail(&c, 0, msg);
        }
        if (c.error_contains[0] && strstr(err.message, c.error_contains) == NULL) {
            (void)snprintf(msg, sizeof msg, "error message '%s' lacks '%s'", err.message,
                           c.error_contains);
            bad |= fail(&c, 0, msg);
        }
    } else if (rc != KETA_OK) {
        char msg[700];
        (void)snprintf(msg, sizeof msg, "call failed: %s: %s: %s", keta_errname(rc), err.field,
                       err.message);
        bad |= fail(&c, 0, msg);
    } else {
        rewind(f);
        lineno = 0;
        while (fgets(line, LINE_MAX_BYTES, f) != NULL) {
            lineno++;
            trim(line);
            if (strncmp(line, "expect ", 7) == 0) {
                bad |= check_expect(&c, lineno, result, line + 7);
            } else if (strncmp(line, "absent ", 7) == 0 && pointer_get(result, line + 7)) {
                bad |= fail(&c, lineno, "member present; expected absent");
            }
        }
    }
    json_decref(result);
out:
    free(c.input);
    free(line);
    fclose(f);
    if (!bad)
        printf("ok %s (%s)\n", path, c.source);
    return bad;
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;
    for (int i = 1; i < argc; i++) {
        if (run_case(argv[i]) == 0)
            passed++;
        else
            failed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}
