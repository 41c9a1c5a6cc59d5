/*
 * The clinic rules' commands: keta dose, eligibility, assess, course, vitals, home,
 * discharge, rems, policy. Pure calculators: no login, no database. Each reads its request
 * as JSON on stdin (keta dose also from flags) and the clinic policy from --policy FILE.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "keta/clinic.h"

/* The policy of this run: the defaults, with --policy FILE applied over them. */
static keta_policy policy;

static int load_policy(const char *cmd, const char *path)
{
    return keta_cli_load_policy(cmd, path, &policy);
}

/* Options shared by the JSON commands. */
typedef struct opts {
    const char *policy_file;
    int pretty, json;
    int n_operands;
    char **operands;
} opts;

/* Parse --policy F, --pretty and --json (when allow_json); the rest are operands. */
static int parse_opts(int argc, char **argv, bool allow_json, opts *o)
{
    static const struct option long_opts[] = {{"policy", required_argument, NULL, 'P'},
                                              {"pretty", no_argument, NULL, 'p'},
                                              {"json", no_argument, NULL, 'j'},
                                              {NULL, 0, NULL, 0}};
    int c;
    memset(o, 0, sizeof *o);
    optind = 1;
    while ((c = getopt_long(argc, argv, "+", long_opts, NULL)) != -1) {
        if (c == 'P')
            o->policy_file = optarg;
        else if (c == 'p')
            o->pretty = 1;
        else if (c == 'j' && allow_json)
            o->json = 1;
        else
            return -1;
    }
    o->n_operands = argc - optind;
    o->operands = argv + optind;
    return 0;
}

/* Adapters from the clinic's (policy, text) functions to keta_cli_run_json. */
#define ADAPT(name, fn)                                                                   \
    static keta_err name(const char *operand, const char *text, size_t len, json_t **out, \
                         keta_error *err)                                                 \
    {                                                                                     \
        (void)operand;                                                                    \
        return fn(&policy, text, len, out, err);                                          \
    }
ADAPT(eligibility_text, keta_eligibility_text)
ADAPT(plan_text, keta_course_plan_text)
ADAPT(review_text, keta_course_review_text)
ADAPT(outcome_text, keta_course_outcome_text)
ADAPT(maintenance_text, keta_maintenance_text)
ADAPT(vitals_text, keta_vitals_check_text)
ADAPT(home_text, keta_home_check_text)
ADAPT(discharge_text, keta_discharge_check_text)
ADAPT(rems_text, keta_rems_check_text)

static keta_err assess_text(const char *operand, const char *text, size_t len, json_t **out,
                            keta_error *err)
{
    return keta_assess_text(&policy, operand, text, len, out, err);
}

/* A JSON command: options, no operand (or one when needs_operand), policy, run. */
static int run_clinic(const char *cmd, const char *usage_of, int argc, char **argv,
                      keta_cli_text_fn fn, bool needs_operand)
{
    opts o;
    if (parse_opts(argc, argv, false, &o) != 0 || o.n_operands != (needs_operand ? 1 : 0))
        return keta_cli_usage(keta_cli_find(usage_of));
    int code = load_policy(cmd, o.policy_file);
    if (code != KETA_EXIT_OK)
        return code;
    return keta_cli_run_json(cmd, needs_operand ? o.operands[0] : NULL, fn, o.pretty, NULL);
}

int keta_cmd_eligibility(int argc, char **argv)
{
    return run_clinic("eligibility", "eligibility", argc, argv, eligibility_text, false);
}

int keta_cmd_assess(int argc, char **argv)
{
    return run_clinic("assess", "assess", argc, argv, assess_text, true);
}

/* keta NAME SUB: dispatch to one of the subcommands. */
typedef struct sub {
    const char *name;
    keta_cli_text_fn fn;
} sub;

static int run_sub(const char *name, const sub *subs, int argc, char **argv)
{
    if (argc < 2)
        return keta_cli_usage(keta_cli_find(name));
    for (const sub *s = subs; s->name != NULL; s++) {
        if (strcmp(argv[1], s->name) == 0) {
            char cmd[48];
            (void)snprintf(cmd, sizeof cmd, "%s %s", name, s->name);
            return run_clinic(cmd, name, argc - 1, argv + 1, s->fn, false);
        }
    }
    fprintf(stderr, "keta %s: no subcommand '%s'; see `keta help %s`\n", name, argv[1], name);
    return KETA_EXIT_USAGE;
}

int keta_cmd_course(int argc, char **argv)
{
    static const sub subs[] = {{"plan", plan_text},
                               {"review", review_text},
                               {"outcome", outcome_text},
                               {"maintenance", maintenance_text},
                               {NULL, NULL}};
    return run_sub("course", subs, argc, argv);
}

int keta_cmd_vitals(int argc, char **argv)
{
    static const sub subs[] = {{"check", vitals_text}, {NULL, NULL}};
    return run_sub("vitals", subs, argc, argv);
}

int keta_cmd_home(int argc, char **argv)
{
    static const sub subs[] = {{"check", home_text}, {NULL, NULL}};
    return run_sub("home", subs, argc, argv);
}

int keta_cmd_discharge(int argc, char **argv)
{
    static const sub subs[] = {{"check", discharge_text}, {NULL, NULL}};
    return run_sub("discharge", subs, argc, argv);
}

int keta_cmd_rems(int argc, char **argv)
{
    static const sub subs[] = {{"check", rems_text}, {NULL, NULL}};
    return run_sub("rems", subs, argc, argv);
}

/* ---- keta policy show ------------------------------------------------------------------------ */

static int print_policy_table(const json_t *doc)
{
    printf("policy: %s\n", json_string_value(json_object_get(doc, "name")));
    printf("%-48s %-14s %-8s %s\n", "RULE", "VALUE", "UNIT", "SOURCE");
    const json_t *rules = json_object_get(doc, "rules");
    for (size_t i = 0; i < json_array_size(rules); i++) {
        const json_t *r = json_array_get(rules, i);
        const json_t *v = json_object_get(r, "value");
        char value[32] = "fixed";
        if (json_is_integer(v))
            (void)snprintf(value, sizeof value, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        else if (json_is_real(v))
            (void)snprintf(value, sizeof value, "%g", json_real_value(v));
        else if (json_is_boolean(v))
            (void)snprintf(value, sizeof value, "%s", json_is_true(v) ? "true" : "false");
        else if (json_is_string(v))
            (void)snprintf(value, sizeof value, "%.24s%s", json_string_value(v),
                           strlen(json_string_value(v)) > 24 ? "..." : "");
        bool over = json_is_true(json_object_get(r, "overridden"));
        printf("%-48s %-14s %-8s %s\n", json_string_value(json_object_get(r, "id")), value,
               json_is_string(json_object_get(r, "unit"))
                   ? json_string_value(json_object_get(r, "unit"))
                   : "",
               over ? "clinic policy file" : json_string_value(json_object_get(r, "source")));
    }
    return fflush(stdout) == 0 ? KETA_EXIT_OK : KETA_EXIT_INTERNAL;
}

int keta_cmd_policy(int argc, char **argv)
{
    static const struct option long_opts[] = {{"file", required_argument, NULL, 'f'},
                                              {"json", no_argument, NULL, 'j'},
                                              {NULL, 0, NULL, 0}};
    if (argc < 2 || strcmp(argv[1], "show") != 0)
        return keta_cli_usage(keta_cli_find("policy"));
    const char *file = NULL;
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "", long_opts, NULL)) != -1) {
        if (c == 'f')
            file = optarg;
        else if (c == 'j')
            json = 1;
        else
            return keta_cli_usage(keta_cli_find("policy"));
    }
    if (optind != argc - 1)
        return keta_cli_usage(keta_cli_find("policy"));
    int code = load_policy("policy show", file);
    if (code != KETA_EXIT_OK)
        return code;
    json_t *doc;
    keta_err rc = keta_policy_to_json(&policy, &doc);
    if (rc != KETA_OK)
        return keta_cli_fail("policy show", rc, NULL);
    code = json ? keta_cli_print_json("policy show", doc, 1) : print_policy_table(doc);
    json_decref(doc);
    return code;
}

/* ---- keta dose ------------------------------------------------------------------------------ */

/* A number given on the command line: an integer when it reads as one, else a real. */
static json_t *number_arg(const char *flag, const char *text, keta_error *err)
{
    char *end;
    errno = 0;
    long long i = strtoll(text, &end, 10);
    if (errno == 0 && end != text && *end == '\0')
        return json_integer(i);
    errno = 0;
    double d = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || d != d) {
        keta_error_set(err, KETA_ETYPE, flag, "expected a number, got '%.40s'", text);
        return NULL;
    }
    return json_real(d);
}

/* Build the dose request from flags into req; returns an exit code. */
static int dose_request_from_flags(int argc, char **argv, json_t *req, opts *o, bool *from_flags)
{
    static const struct option long_opts[] = {{"drug", required_argument, NULL, 'd'},
                                              {"route", required_argument, NULL, 'r'},
                                              {"weight-kg", required_argument, NULL, 'w'},
                                              {"mg-per-kg", required_argument, NULL, 'm'},
                                              {"dose-mg", required_argument, NULL, 'D'},
                                              {"duration-min", required_argument, NULL, 't'},
                                              {"bag-ml", required_argument, NULL, 'b'},
                                              {"stock-mg-per-ml", required_argument, NULL, 's'},
                                              {"session", required_argument, NULL, 'n'},
                                              {"age-y", required_argument, NULL, 'a'},
                                              {"had-56mg", no_argument, NULL, '5'},
                                              {"indication", required_argument, NULL, 'i'},
                                              {"reason", required_argument, NULL, 'R'},
                                              {"policy", required_argument, NULL, 'P'},
                                              {"pretty", no_argument, NULL, 'p'},
                                              {"json", no_argument, NULL, 'j'},
                                              {NULL, 0, NULL, 0}};
    static const struct {
        int flag;
        const char *key, *name;
        bool number;
    } fields[] = {
        {'d', "drug", "--drug", false},
        {'r', "route", "--route", false},
        {'w', "weight_kg", "--weight-kg", true},
        {'m', "mg_per_kg", "--mg-per-kg", true},
        {'D', "dose_mg", "--dose-mg", true},
        {'t', "duration_min", "--duration-min", true},
        {'b', "bag_ml", "--bag-ml", true},
        {'s', "stock_mg_per_ml", "--stock-mg-per-ml", true},
        {'n', "session_number", "--session", true},
        {'a', "age_y", "--age-y", true},
        {'i', "indication", "--indication", false},
        {'R', "reason", "--reason", false},
    };
    int c;
    memset(o, 0, sizeof *o);
    *from_flags = false;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
        if (c == 'P') {
            o->policy_file = optarg;
        } else if (c == 'p') {
            o->pretty = o->json = 1;
        } else if (c == 'j') {
            o->json = 1;
        } else if (c == '5') {
            *from_flags = true;
            if (keta_json_set(req, "had_56mg", json_true()) != KETA_OK)
                return keta_cli_fail("dose", KETA_ENOMEM, NULL);
        } else {
            size_t k = 0;
            while (k < sizeof fields / sizeof fields[0] && fields[k].flag != c)
                k++;
            if (k == sizeof fields / sizeof fields[0])
                return keta_cli_usage(keta_cli_find("dose"));
            keta_error err;
            keta_error_clear(&err);
            json_t *v =
                fields[k].number ? number_arg(fields[k].name, optarg, &err) : json_string(optarg);
            if (v == NULL)
                return keta_cli_fail("dose", err.code ? err.code : KETA_ENOMEM, &err);
            if (keta_json_set(req, fields[k].key, v) != KETA_OK)
                return keta_cli_fail("dose", KETA_ENOMEM, NULL);
            *from_flags = true;
        }
    }
    if (optind != argc)
        return keta_cli_usage(keta_cli_find("dose"));
    return KETA_EXIT_OK;
}

static void print_dose_text(const json_t *r)
{
#define NUM(key) json_number_value(json_object_get(r, key))
#define HAS(key) json_is_number(json_object_get(r, key))
    printf("drug        %s %s (library entry %s)\n", json_string_value(json_object_get(r, "drug")),
           json_string_value(json_object_get(r, "route")),
           json_string_value(json_object_get(r, "library_entry")));
    if (HAS("weight_kg"))
        printf("dose        %.1f mg (%g mg/kg x %g kg)\n", NUM("dose_mg"), NUM("mg_per_kg"),
               NUM("weight_kg"));
    else
        printf("dose        %.1f mg\n", NUM("dose_mg"));
    if (HAS("duration_min")) {
        printf("infusion    %d min, %.3f mg/min", (int)NUM("duration_min"), NUM("rate_mg_per_min"));
        if (HAS("rate_mg_per_kg_per_h"))
            printf(", %g mg/kg/h", NUM("rate_mg_per_kg_per_h"));
        putchar('\n');
        if (HAS("rate_ml_per_h"))
            printf("pump        %.1f mL/h (bag %g mL at %g mg/mL)\n", NUM("rate_ml_per_h"),
                   NUM("bag_ml"), NUM("concentration_mg_per_ml"));
    }
    if (HAS("draw_ml"))
        printf("draw        %.2f mL of stock\n", NUM("draw_ml"));
    if (HAS("devices"))
        printf("devices     %d x 28 mg, %d min apart (%d min to give)\n", (int)NUM("devices"),
               (int)NUM("device_interval_min"), (int)NUM("administration_min"));
    const json_t *check = json_object_get(r, "check");
    printf("library     %s\n", json_string_value(json_object_get(check, "result")));
    const json_t *f = json_object_get(check, "findings");
    for (size_t i = 0; i < json_array_size(f); i++) {
        const json_t *a = json_array_get(f, i);
        printf("  %-8s %s [%s]\n", json_string_value(json_object_get(a, "level")),
               json_string_value(json_object_get(a, "message")),
               json_string_value(json_object_get(a, "rule")));
    }
#undef NUM
#undef HAS
}

int keta_cmd_dose(int argc, char **argv)
{
    json_t *req = json_object();
    json_t *out = NULL;
    opts o;
    bool from_flags;
    keta_error err;
    keta_error_clear(&err);
    if (req == NULL)
        return keta_cli_fail("dose", KETA_ENOMEM, NULL);
    int code = dose_request_from_flags(argc, argv, req, &o, &from_flags);
    if (code == KETA_EXIT_OK)
        code = load_policy("dose", o.policy_file);
    if (code != KETA_EXIT_OK)
        goto out;
    keta_err rc;
    if (from_flags) {
        rc = keta_dose_json(&policy, req, &out, &err);
    } else {
        keta_buf in;
        rc = keta_cli_read_stdin(&in, KETA_JSON_MAX_BYTES, &err);
        if (rc == KETA_OK)
            rc = keta_dose_text(&policy, keta_buf_str(&in), in.len, &out, &err);
        keta_buf_free(&in);
    }
    if (rc != KETA_OK) {
        code = keta_cli_fail("dose", rc, &err);
        goto out;
    }
    if (o.json)
        code = keta_cli_print_json("dose", out, o.pretty);
    else
        print_dose_text(out);
    /* Not programmable (a hard limit, or a soft limit without a reason): exit 1 with the rule. */
    const json_t *check = json_object_get(out, "check");
    if (code == KETA_EXIT_OK && !json_is_true(json_object_get(check, "programmable"))) {
        const char *rule = json_string_value(json_object_get(check, "rule"));
        fprintf(stderr, "keta dose: %s: %s (%s)\n", rule ? rule : "drug library",
                json_is_true(json_object_get(check, "reason_required"))
                    ? "soft limit exceeded: give --reason to program it"
                    : "hard limit exceeded: refused",
                json_string_value(json_object_get(check, "result")));
        code = KETA_EXIT_INPUT;
    }
out:
    json_decref(out);
    json_decref(req);
    return code;
}
