/* keta: the command. Parses, calls one library function, renders. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

const keta_cmd keta_cli_commands[] = {
    {"score", keta_cmd_score, "score a questionnaire response read as JSON from stdin",
     "keta score [--pretty] INSTRUMENT < response.json",
     "Reads {\"items\":[...], \"options\":{...}} from standard input and prints the score as\n"
     "JSON: total, severity band, missing items, alerts (suicidality), subscales, symptom\n"
     "areas. Items are given in item order; null marks an unanswered item, which makes the\n"
     "response incomplete (not an error). C-SSRS answers are 0 (no) or 1 (yes), with null\n"
     "for questions the branching skips. PCL-5 takes \"options\":{\"pcl5_cutoff\":N}.\n"
     "Instruments: see `keta instruments`.\n\n"
     "  echo '{\"items\":[1,2,1,0,3,1,2,1,1]}' | keta score phq9\n\n"
     "Exit status: 0 scored; 1 input refused (one line on stderr names the item, what was\n"
     "expected and what came); 2 usage; 3 internal error.\n"},
    {"outcome", keta_cmd_outcome, "response and remission between a baseline and a current score",
     "keta outcome [--pretty] INSTRUMENT < scores.json",
     "Reads {\"baseline\":N, \"current\":N} and prints change, percent change, response and\n"
     "remission, naming the definitions used. Defaults: response is a >= 50 % reduction\n"
     "(Y-BOCS 35 %); remission PHQ-9 < 5, GAD-7 < 5, QIDS-SR16 <= 5, HAM-D 17 <= 7,\n"
     "MADRS <= 12. A clinic may set its own with\n"
     "\"definitions\":{\"response_percent\":N, \"remission_max\":N}.\n\n"
     "  echo '{\"baseline\":21,\"current\":9}' | keta outcome phq9\n"},
    {"instruments", keta_cmd_instruments, "list the instruments keta scores",
     "keta instruments [--json]",
     "Prints the instrument table: id, items and their range, total range, severity bands,\n"
     "licence, whether item text may ship with keta, and LOINC codes. --json prints every\n"
     "descriptor in full (item ranges, symptom areas, remission defaults, sources).\n"},
    {"pk", keta_cmd_pk, "pharmacokinetics: list models, simulate a regimen, plan a TCI",
     "keta pk models [--json] | keta pk simulate [--pretty|--csv] < request.json |\n"
     "       keta pk tci [--pretty] < target.json",
     "`keta pk models` lists the model table (drug, structure, scaling, studied age and weight,\n"
     "metabolite); --json prints every row in full with parameters, units, variability, route\n"
     "bioavailability and absorption defaults, and sources.\n\n"
     "`keta pk simulate` reads a regimen and prints typical-value concentrations (ng/mL) at the\n"
     "requested times: plasma (cp), effect site (ce, ke0 0.114/min unless \"ke0_per_min\" is\n"
     "given) and metabolite where the model has one, with Cmax, Tmax, AUC 0-24 h and 0-inf\n"
     "(ng.h/mL) and warnings (e.g. a patient outside the model's studied range).\n"
     "Routes: iv (bolus, or infusion with duration_min), im, intranasal, sublingual, oral.\n"
     "Esketamine nasal doses are 28 mg devices given 5 min apart.\n\n"
     "  echo '{\"model\":\"domino1984\",\"patient\":{\"weight_kg\":70,\"age_y\":45},\n"
     "        "
     "\"doses\":[{\"route\":\"iv\",\"amount_mg\":35,\"start_min\":0,\"duration_min\":40}],\n"
     "        \"times_min\":[0,10,20,40,60,120]}' | keta pk simulate\n\n"
     "--csv prints t_min,cp_ng_per_ml,ce_ng_per_ml[,metabolite_ng_per_ml] instead.\n\n"
     "`keta pk tci` plans a plasma target-controlled infusion: it reads {\"model\", \"patient\",\n"
     "\"target_ng_per_ml\", \"duration_min\"} (optional \"period_min\", default 10 s, and the\n"
     "pump's \"max_rate_mg_per_h\") and prints the pump programme (start, duration, rate in\n"
     "mg/h), the predicted Cp and Ce at each period end, the total and the maintenance rate.\n"
     "Exit status: 0 simulated; 1 input refused (one line on stderr names the field, what was\n"
     "expected and what came); 2 usage; 3 internal error.\n"},
    {"pd", keta_cmd_pd, "pharmacodynamics: acute effects and the antidepressant response",
     "keta pd acute [--pretty] < regimen.json | keta pd response [--pretty] < regimen.json",
     "`keta pd acute` reads a `keta pk simulate` regimen and prints, at the requested times,\n"
     "the typical patient's dissociation (CADSS points), sedation (fraction of the maximal\n"
     "score), systolic and diastolic blood-pressure rise (mmHg) and heart-rate rise (beats/min),\n"
     "each through its own effect site, with peak and time of peak. Optional: \"prior_sessions\"\n"
     "(sessions before this one), \"ke0_per_min\" and \"repeat_factor\" as objects keyed by\n"
     "endpoint (dissociation, sedation, sbp, dbp, hr).\n\n"
     "`keta pd response` reads a regimen (doses over days or weeks; \"times_min\" up to 60 days)\n"
     "and prints the typical patient's MADRS curve (optional \"baseline\", default 33) with the\n"
     "drug and placebo fractions. The model and its fit: docs/response-model.md.\n\n"
     "Exit status: 0 computed; 1 input refused (one line on stderr names the field); 2 usage;\n"
     "3 internal error.\n"},
    {"forecast", keta_cmd_forecast, "forecast one patient's depression scores and relapse date",
     "keta forecast [--pretty] < history.json",
     "Reads a patient's doses (the `keta pk simulate` regimen: \"model\", \"patient\", \"doses\")\n"
     "and scores ({\"instrument\":\"madrs\"|\"phq9\", \"t_min\", \"score\"}, minutes from the "
     "same\n"
     "origin as the doses; before the first dose allowed), fits the patient's response\n"
     "parameters (maximum a posteriori, the population model as prior) and prints the\n"
     "fitted score curve with a band (default 90%, from the Laplace approximation of the\n"
     "posterior) and the time it is expected to cross the relapse threshold.\n"
     "Optional: \"relapse\":{\"instrument\", \"threshold\"} (default: MADRS if scored, else\n"
     "PHQ-9; loss of response, above 50% of the last score before the first dose), \"from_min\" "
     "(default: the last\n"
     "score), \"horizon_min\" (default: 90 days later), \"step_min\" (default 1440), \"samples\"\n"
     "(default 200), \"band\", \"seed\", \"origin_date\":\"YYYY-MM-DD\" (dates in the answer).\n"
     "PHQ-9 is modelled on its own scale (its own baseline), sharing the fraction of\n"
     "symptoms left. The model, its fit and the measured forecast error:\n"
     "docs/response-model.md.\n\n"
     "Exit status: 0 forecast; 1 input refused (one line on stderr names the field); 2 usage;\n"
     "3 internal error.\n"},
    {"popsim", keta_cmd_popsim, "virtual populations: percentiles, thresholds, response, relapse",
     "keta popsim [--pretty] [--threads N] < study.json",
     "Draws N virtual patients from a PK model's inter-individual variability (and the PD\n"
     "models' variability), runs each through one or more regimens (\"arms\"; the same\n"
     "patients in every arm) and prints, on the output grid: Cp, Ce and MADRS percentiles\n"
     "(5, 25, 50, 75, 95) with the typical patient, response and remission rates; per\n"
     "session, the share of patients whose dissociation (CADSS), SBP or DBP rise reached the\n"
     "thresholds; the time to relapse after the last session among responders; and each\n"
     "later arm against the first. Same seed, same answer, on any number of threads.\n\n"
     "  {\"model\":\"herd2007\", \"patient\":{\"weight_kg\":30,\"age_y\":10}, \"n\":10000,\n"
     "   \"seed\":7, \"grid\":{\"step_min\":60,\"end_min\":43200},\n"
     "   \"iiv\":{\"CL\":30,\"V1\":25},\n"
     "   \"arms\":[{\"name\":\"six\",\"doses\":[{\"route\":\"iv\",\"amount_mg\":15,"
     "\"duration_min\":40}]}],\n"
     "   \"thresholds\":{\"dissociation_cadss\":4,\"sbp_rise_mmhg\":40,"
     "\"dbp_rise_mmhg\":25,\n"
     "                 \"response_fraction\":0.5,\"remission_madrs\":12},\n"
     "   \"relapse\":{\"assess_after_last_min\":1440}}\n\n"
     "\"n\" is 1 to 1,000,000; the grid at most 2001 points (default hourly over 30 days);\n"
     "\"iiv\" (CV % per parameter) replaces the model's published variability (domino1984\n"
     "and kamp2020 publish none); up to 4 arms. --threads defaults to every core. A progress\n"
     "bar is drawn on stderr when it is a terminal and the run lasts.\n"
     "Exit status: 0 done; 1 input refused (one line on stderr names the field); 2 usage;\n"
     "3 internal error.\n"},
    {"help", keta_cmd_help, "show help for keta or one of its commands", "keta help [COMMAND]",
     "Without a command, lists the commands. `man keta` has the same text.\n"},
    {"version", keta_cmd_version, "print the version", "keta version", ""},
    {NULL, NULL, NULL, NULL, NULL},
};

const keta_cmd *keta_cli_find(const char *name)
{
    for (const keta_cmd *c = keta_cli_commands; c->name != NULL; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

keta_err keta_cli_read_stdin(keta_buf *b, size_t max, keta_error *err)
{
    char chunk[8192];
    size_t n;
    keta_buf_init(b, max);
    while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
        keta_err rc = keta_buf_append(b, chunk, n);
        if (rc == KETA_ETOOBIG)
            return keta_error_set(err, rc, "stdin", "input is larger than %zu bytes", max);
        if (rc != KETA_OK)
            return keta_error_set(err, rc, "stdin", "out of memory reading input");
    }
    if (ferror(stdin))
        return keta_error_set(err, KETA_EIO, "stdin", "cannot read standard input: %s",
                              strerror(errno));
    return KETA_OK;
}

int keta_cli_fail(const char *cmd, keta_err rc, const keta_error *err)
{
    const char *field = err && err->field[0] ? err->field : NULL;
    const char *msg = err && err->message[0] ? err->message : keta_strerror(rc);
    if (field)
        fprintf(stderr, "keta %s: %s: %s (%s)\n", cmd, field, msg, keta_errname(rc));
    else
        fprintf(stderr, "keta %s: %s (%s)\n", cmd, msg, keta_errname(rc));
    if (rc == KETA_ENOMEM || rc == KETA_EIO)
        return KETA_EXIT_INTERNAL;
    return KETA_EXIT_INPUT;
}

int keta_cli_print_json(const char *cmd, const json_t *v, int pretty)
{
    char *text = keta_json_dump(v, pretty != 0);
    if (text == NULL)
        return keta_cli_fail(cmd, KETA_ENOMEM, NULL);
    int bad = fputs(text, stdout) == EOF || fputc('\n', stdout) == EOF || fflush(stdout) != 0;
    keta_free(text);
    if (bad) {
        fprintf(stderr, "keta %s: cannot write output: %s\n", cmd, strerror(errno));
        return KETA_EXIT_INTERNAL;
    }
    return KETA_EXIT_OK;
}

int keta_cli_run_json(const char *cmd, const char *operand, keta_cli_text_fn fn, int pretty,
                      int (*render)(const json_t *out))
{
    keta_error err;
    keta_error_clear(&err);
    keta_buf in;
    json_t *out = NULL;
    int code;
    keta_err rc = keta_cli_read_stdin(&in, KETA_JSON_MAX_BYTES, &err);
    if (rc == KETA_OK)
        rc = fn(operand, keta_buf_str(&in), in.len, &out, &err);
    if (rc != KETA_OK)
        code = keta_cli_fail(cmd, rc, &err);
    else if (render != NULL)
        code = render(out);
    else
        code = keta_cli_print_json(cmd, out, pretty);
    json_decref(out);
    keta_buf_free(&in);
    return code;
}

int keta_cli_list(const char *cmd, const keta_cmd *usage_of, int argc, char **argv,
                  keta_err (*json_fn)(json_t **out), int (*print_table)(void))
{
    if (argc == 1)
        return print_table();
    if (argc != 2 || strcmp(argv[1], "--json") != 0)
        return keta_cli_usage(usage_of);
    json_t *all;
    keta_err rc = json_fn(&all);
    if (rc != KETA_OK)
        return keta_cli_fail(cmd, rc, NULL);
    int code = keta_cli_print_json(cmd, all, 1);
    json_decref(all);
    return code;
}

int keta_cli_usage(const keta_cmd *cmd)
{
    fprintf(stderr, "usage: %s\n(see `keta help %s`)\n", cmd->usage, cmd->name);
    return KETA_EXIT_USAGE;
}

int keta_cmd_version(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return keta_cli_usage(keta_cli_find("version"));
    printf("keta %s\n", keta_version());
    return KETA_EXIT_OK;
}

int keta_cmd_help(int argc, char **argv)
{
    if (argc > 2)
        return keta_cli_usage(keta_cli_find("help"));
    if (argc == 2) {
        const keta_cmd *c = keta_cli_find(argv[1]);
        if (c == NULL) {
            fprintf(stderr, "keta help: no command '%s'; `keta help` lists them\n", argv[1]);
            return KETA_EXIT_USAGE;
        }
        printf("usage: %s\n\n%s\n%s", c->usage, c->summary, c->help[0] ? "\n" : "");
        fputs(c->help, stdout);
        return KETA_EXIT_OK;
    }
    printf("keta %s: an open clinical system for ketamine therapy\n\n"
           "usage: keta COMMAND [ARGS]\n\ncommands:\n",
           keta_version());
    for (const keta_cmd *c = keta_cli_commands; c->name != NULL; c++)
        printf("  %-12s %s\n", c->name, c->summary);
    printf("\n`keta help COMMAND` for one command; `man keta` for the manual.\n");
    return KETA_EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        keta_cmd_help(1, argv);
        return KETA_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
        return keta_cmd_help(1, argv);
    if (strcmp(name, "--version") == 0)
        return keta_cmd_version(1, argv);
    const keta_cmd *c = keta_cli_find(name);
    if (c == NULL) {
        fprintf(stderr, "keta: no command '%s'; `keta help` lists them\n", name);
        return KETA_EXIT_USAGE;
    }
    return c->run(argc - 1, argv + 1);
}
