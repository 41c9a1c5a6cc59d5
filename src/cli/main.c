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
     "keta pk models [--json] | keta pk simulate [--pretty|--csv] [--svg FILE] < request.json |\n"
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
     "--csv prints t_min,cp_ng_per_ml,ce_ng_per_ml[,metabolite_ng_per_ml] instead.\n"
     "--svg FILE also writes a self-contained SVG plot of Cp, Ce and the metabolites against\n"
     "time (min, or h past 10 h; ng/mL) with a legend to FILE.\n\n"
     "`keta pk tci` plans a target-controlled infusion: it reads {\"model\", \"patient\",\n"
     "\"target_ng_per_ml\", \"duration_min\"} (optional \"target\": \"plasma\" (default) or\n"
     "\"effect\", \"period_min\" (default 10 s), the pump's \"max_rate_mg_per_h\", "
     "\"ke0_per_min\")\n"
     "and prints the pump programme (start, duration, rate in mg/h), the predicted Cp and Ce\n"
     "at each period end, the total, the maintenance rate and a summary. Effect-site targeting\n"
     "(Shafer & Gregg) gives each period the rate whose Ce peak equals the target (never above\n"
     "the pump limit), then holds Cp = Ce on the target once Ce is within 5 % and past its peak.\n"
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
    {"serve", keta_cmd_serve, "run the clinic server (HTTP JSON API and web app)",
     "keta serve [--listen ADDRESS:PORT] [--web DIR] [--threads N] [--max-connections N]\n"
     "       [--per-ip N] [--timeout S] [--drain S] [--db PATH|URL] [--idle-timeout S]\n"
     "       [--secure-cookie] [--behind-proxy] | keta serve --routes",
     "Serves the JSON API under /api/v1/ (described by /api/v1/openapi.yaml and\n"
     "docs/openapi.yaml) and, with --web, the static files of DIR. Listens on\n"
     "127.0.0.1:8080 unless --listen says otherwise (port 0 picks a free port; the address\n"
     "is printed on standard output). TLS belongs to a reverse proxy in front.\n\n"
     "Limits: --threads workers (default one per core), --max-connections (256),\n"
     "--per-ip connections from one address (64), --timeout seconds a connection may stay\n"
     "idle (15). Each route has its own body limit (413 past it); bodies must be\n"
     "application/json (415) with a Content-Length (411).\n\n"
     "Standard error carries one JSON object per line: request id (also sent as\n"
     "X-Request-Id), method, route pattern, status, duration and bytes; never the raw path,\n"
     "the body or anything about a patient.\n\n"
     "SIGTERM or SIGINT stops accepting connections, lets the requests under way finish\n"
     "(at most --drain seconds, default 10) and exits 0; a second signal stops at once.\n"
     "--routes prints the route table (METHOD PATTERN ACCESS BODY_MAX) and exits.\n\n"
     "With --db (or KETA_DB) the clinic routes answer too: POST /api/v1/login takes\n"
     "{username, password} and sets an HttpOnly SameSite=Strict session cookie (Secure with\n"
     "--secure-cookie) and answers the CSRF token, which every POST\n"
     "must carry as X-CSRF-Token (403 otherwise). Sessions are kept in the server's memory\n"
     "(lost on restart); one unused for --idle-timeout seconds (default 900) is logged off.\n"
     "5 failed logins for one username or from one address within 5 minutes: 429.\n"
     "Every 403 is an audit entry, as the user refused; a 401 only when the request\n"
     "carried a session cookie (expired or forged; at most 10 per address per 5 minutes).\n\n"
     "--behind-proxy: behind a TLS reverse proxy on this host (docs/nginx.md): implies\n"
     "--secure-cookie and takes the client's address (login limits, access log) from the\n"
     "proxy's X-Real-IP header, believed only on loopback connections.\n\n"
     "  keta serve --listen 127.0.0.1:8080 --web web --db clinic.db\n\n"
     "Exit status: 0 stopped cleanly; 2 usage or a bad address or directory; 3 cannot\n"
     "listen, or requests were cut off at shutdown.\n"},
    {"demo", keta_cmd_demo, "build a demo clinic in a fresh database", "keta demo --db PATH|URL",
     "Creates the database (it must be new or empty) and fills it with a demo clinic:\n"
     "staff with each role (front desk, nurse, prescriber, therapist, admin) and one\n"
     "patient login, four invented patients whose histories are written through the\n"
     "clinic's use cases: an IV course with an infusion under way today, an esketamine\n"
     "session today with its REMS form due, a new patient with an open suicidality alert,\n"
     "and a remitted patient in maintenance with a possible relapse; scores follow the\n"
     "response model and vital signs the acute PK/PD model. Prints JSON with the logins: random "
     "passwords\n"
     "shown only this once and marked DEMO. Never use a demo database for patient data.\n\n"
     "  keta demo --db demo/keta-demo.db && keta serve --db demo/keta-demo.db --web web\n\n"
     "Exit status: 0 done; 1 the database is not empty or refused; 2 usage; 3 internal.\n"},
    {"db", keta_cmd_db, "create, upgrade, back up and restore the clinic database",
     "keta db init [--db DB] [--site NAME] [--admin USERNAME] | keta db migrate [--db DB] |\n"
     "       keta db backup [--db DB] FILE | keta db restore [--db DB] FILE",
     "DB is a SQLite file path (the default store: one file, WAL, synchronous=FULL) or a\n"
     "postgresql:// URL; without --db, the KETA_DB environment variable.\n\n"
     "`keta db init` creates the database (a SQLite file is created with mode 0600), applies\n"
     "every schema migration and creates the first site (--site, default \"Main clinic\") and\n"
     "its admin account (--admin, default \"admin\"). The password is read from KETA_PASSWORD\n"
     "or asked twice at the terminal with echo off; there is no default password. At least 12\n"
     "characters; stored as an argon2id hash. A database that has accounts is refused.\n\n"
     "`keta db migrate` applies the migrations the database lacks, each in one transaction;\n"
     "running it again does nothing.\n\n"
     "`keta db backup FILE` writes a consistent copy to FILE, which must not exist: SQLite by\n"
     "the online backup API (others may keep writing), PostgreSQL by pg_dump --format=custom.\n\n"
     "`keta db restore FILE` restores a backup into DB, which must be new or empty, verifies\n"
     "the audit chain of the result and records the restore in the audit log.\n\n"
     "Each prints one JSON line. Exit status: 0 done; 1 refused (one line on stderr says\n"
     "why); 2 usage; 3 database or system failure.\n"},
    {"audit", keta_cmd_audit, "verify the hash chain of the audit log",
     "keta audit verify [--db DB] [--anchor SEQ:HASH]",
     "Reads the whole audit log and checks every entry's hash, the chain of links between\n"
     "entries, the chain head and the append-only triggers. Prints a JSON report: ok, entries,\n"
     "head (seq and hash: keep a copy elsewhere to detect a rewrite of the whole tail),\n"
     "protected, and up to 100 problems, each naming the entry (seq) and its kind: changed,\n"
     "removed, inserted, head or protection.\n\n"
     "--anchor SEQ:HASH checks that entry SEQ still has HASH, a head recorded earlier\n"
     "outside the database: a rewrite of the log from there on is then found too (anchor).\n\n"
     "Exit status: 0 the log is intact; 1 it is not (the report says where); 2 usage;\n"
     "3 the database could not be read.\n"},
    {"dose", keta_cmd_dose, "dose, pump programme and drug-library check (no login)",
     "keta dose [--json|--pretty] [--policy FILE] --weight-kg KG (--mg-per-kg X | --dose-mg MG)\n"
     "       [--drug ketamine|esketamine] [--route iv|im|sc|oral|sublingual|intranasal]\n"
     "       [--duration-min MIN] [--bag-ml ML] [--stock-mg-per-ml C] [--session N] [--age-y Y]\n"
     "       [--had-56mg] [--indication trd|mdsi] [--reason TEXT] | keta dose [--json] < req.json",
     "Computes the dose from the weight measured today (0.1 mg), the pump programme (the whole\n"
     "bag over the infusion: rate_ml_per_h = bag_ml x 60 / duration_min; rate_mg_per_min =\n"
     "dose_mg / duration_min), the concentration, the volume to draw from stock, esketamine\n"
     "devices (28 mg, rems.device_interval_min apart), and checks the clinic policy's drug\n"
     "library: ok, soft_limit (needs --reason) or hard_limit (refused), naming the rule.\n"
     "Esketamine follows the label: 56 mg on day 1 (28 mg from rems.elderly_age_y), 84 mg only\n"
     "after 56 mg (--had-56mg). Without --json the result is plain text.\n\n"
     "  keta dose --weight-kg 82 --mg-per-kg 0.5 --duration-min 40 --bag-ml 100 --json\n"
     "  "
     "{\"dose_mg\":41.0,\"duration_min\":40,\"rate_ml_per_h\":150.0,\"rate_mg_per_min\":1.025,...}"
     "\n\n"
     "Exit status: 0 programmable; 1 input refused, a hard limit, or a soft limit without a\n"
     "reason (the result is still printed; one line on stderr names the rule); 2 usage.\n"},
    {"eligibility", keta_cmd_eligibility, "eligibility and contraindications for a route",
     "keta eligibility [--pretty] [--policy FILE] < intake.json",
     "Reads {\"drug\",\"route\",\"setting\":\"clinic\"|\"home\",\"age_y\",\"diagnoses\":[...],\n"
     "\"antidepressant_trials\":[{\"drug\",\"adequate\",\"failed\"}],\"phq9_total\",\"bp\",\n"
     "\"history\":{...},\"medications\":{...}} and prints a decision (eligible, review,\n"
     "ineligible) with reasons, each naming its rule and source. Treatment resistance counts\n"
     "adequate failed trials (eligibility.trd_min_failed_trials). The prescriber signs it.\n"
     "docs/clinic.md lists the history items and their effect per route.\n"},
    {"assess", keta_cmd_assess, "score a scale and apply the policy's suicidality rules",
     "keta assess [--pretty] [--policy FILE] INSTRUMENT < response.json",
     "As `keta score`, then: a suicide item at or above the policy's threshold raises a\n"
     "clinician alert, queues a C-SSRS screen before the next dose and shows the crisis text;\n"
     "a C-SSRS risk at or above suicide.cssrs_hold_risk holds dosing until a prescriber records\n"
     "a safety assessment. Alerts name the policy rule.\n"},
    {"course", keta_cmd_course, "course plan, review, outcome and maintenance",
     "keta course plan|review|outcome|maintenance [--pretty] [--policy FILE] < request.json",
     "plan: sessions from a protocol template (iv_induction, im_induction, esketamine_trd,\n"
     "  esketamine_mdsi, home_oral, home_sublingual, maintenance) with doses and evaluations.\n"
     "review: non-response after escalation.after_session and the escalation offer (prescriber\n"
     "  approval, never automatic); a missed session (continue, or the previous frequency).\n"
     "outcome: response, remission and relapse over dated scores, definitions named.\n"
     "maintenance: outcome plus a rule-based interval suggestion.\n"
     "docs/clinic.md gives each request and answer.\n"},
    {"vitals", keta_cmd_vitals, "in-session vital signs: alerts, holds, BP timing",
     "keta vitals check [--pretty] [--policy FILE] < session.json",
     "Reads {\"drug\",\"route\",\"dosing_start\",\"dosing_end\",\"now\",\"baseline\",\n"
     "\"readings\":[{\"time\",\"systolic_mmhg\",\"diastolic_mmhg\",\"heart_rate_bpm\",\"spo2_pct\","
     "\n"
     "\"resp_rate_per_min\",\"moaas\",\"cadss\"}],\"decisions\":[{\"time\",\"action\"}]} and "
     "prints the\n"
     "status (dosing, paused_pending_decision, stopped, dosing_complete), alerts with their\n"
     "rules, open holds, whether the session can close, and when the next BP is due.\n"},
    {"home", keta_cmd_home, "at-home daily check-in: may today's dose be taken",
     "keta home check [--pretty] [--policy FILE] < checkin.json",
     "Reads {\"checkin_time\",\"dose_time\",\"bp\",\"heart_rate_bpm\",\"phq9_item9\",\n"
     "\"side_effects\":{...}} and prints take_dose, the status, the clinician task and alerts.\n"},
    {"discharge", keta_cmd_discharge, "discharge checklist and instructions",
     "keta discharge check [--pretty] [--policy FILE] < discharge.json",
     "Reads the dosing end (or esketamine first device), now, baseline and last vital signs,\n"
     "alertness, MOAA/s, nausea, escort and open holds; prints discharge_allowed, the\n"
     "earliest time, the checklist with rules, blocks and the written instructions.\n"},
    {"rems", keta_cmd_rems, "esketamine REMS: enrollment, clock, BP checkpoints, form",
     "keta rems check [--pretty] [--policy FILE] < rems.json",
     "Reads {\"setting\",\"patient_enrolled\",\"now\",\"first_device\",\"monitoring_end\",\n"
     "\"vitals\":[...],\"prescriber_bp_review\",\"form\":{...},\"form_submitted\",\"today\"} and\n"
     "prints whether administration is allowed (enrollment hard stop, pre-dose BP caution),\n"
     "the monitoring clock (earliest discharge, 40-minute BP, pre-discharge BP, pulse\n"
     "oximetry) and the monitoring form (missing required fields, due date, overdue).\n"},
    {"policy", keta_cmd_policy, "show the clinic policy: every rule, value and source",
     "keta policy show [--json] [--file FILE]",
     "Lists every rule: id, value, unit and source (or `clinic policy file` where FILE\n"
     "overrides the default). --json prints the rules in full and the effective policy as a\n"
     "document that can be edited into a policy file. A bad file is refused naming the field.\n"
     "Every clinic command takes --policy FILE. docs/policy.md lists the rules.\n"},
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

/* A command name as a use-case group: "integration-note" is "integration_note". */
static void group_of(const char *name, char *out, size_t cap)
{
    (void)snprintf(out, cap, "%s", name);
    for (char *p = out; *p != '\0'; p++)
        if (*p == '-')
            *p = '_';
}

/* The staff command groups that have no command of their own, for `keta help`. */
static void list_staff_groups(void)
{
    const keta_usecase *uc;
    char seen[2048] = " ";
    printf("\nstaff commands (as a logged-in staff user; `keta help GROUP`):\n ");
    size_t col = 1;
    for (size_t i = 0; (uc = keta_usecase_at(i)) != NULL; i++) {
        char g[64];
        (void)snprintf(g, sizeof g, "%.*s", (int)strcspn(uc->name, "."), uc->name);
        for (char *p = g; *p != '\0'; p++)
            if (*p == '_')
                *p = '-';
        char key[68];
        (void)snprintf(key, sizeof key, " %s ", g);
        if (strstr(seen, key) != NULL || strlen(seen) + strlen(key) >= sizeof seen)
            continue;
        (void)snprintf(seen + strlen(seen), sizeof seen - strlen(seen), "%s ", g);
        if (col + strlen(g) + 1 > 78) {
            printf("\n ");
            col = 1;
        }
        printf(" %s", g);
        col += strlen(g) + 1;
    }
    printf("\n");
}

int keta_cmd_help(int argc, char **argv)
{
    if (argc > 2)
        return keta_cli_usage(keta_cli_find("help"));
    if (argc == 2 && strcmp(argv[1], "--usecases") == 0) {
        /* One line per staff command, for the manual's test: NAME METHOD PATH. */
        const keta_usecase *uc;
        for (size_t i = 0; (uc = keta_usecase_at(i)) != NULL; i++)
            printf("%s %s %s\n", uc->name, uc->method, uc->path);
        return KETA_EXIT_OK;
    }
    if (argc == 2) {
        const keta_cmd *c = keta_cli_find(argv[1]);
        char group[64];
        group_of(argv[1], group, sizeof group);
        bool staff = keta_usecase_group_exists(group);
        if (c == NULL && !staff) {
            fprintf(stderr, "keta help: no command '%s'; `keta help` lists them\n", argv[1]);
            return KETA_EXIT_USAGE;
        }
        if (c != NULL) {
            printf("usage: %s\n\n%s\n%s", c->usage, c->summary, c->help[0] ? "\n" : "");
            fputs(c->help, stdout);
        }
        if (staff) {
            printf("%sstaff commands: act as --user NAME (or KETA_USER), password from "
                   "KETA_PASSWORD or the terminal; the request as JSON on stdin, the answer as "
                   "JSON on stdout (the API's forms, docs/openapi.yaml):\n",
                   c != NULL ? "\n" : "");
            keta_cli_usecase_help(stdout, group);
        }
        return KETA_EXIT_OK;
    }
    printf("keta %s: an open clinical system for ketamine therapy\n\n"
           "usage: keta COMMAND [ARGS]\n\ncommands:\n",
           keta_version());
    for (const keta_cmd *c = keta_cli_commands; c->name != NULL; c++)
        printf("  %-12s %s\n", c->name, c->summary);
    list_staff_groups();
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
    char group[64];
    group_of(name, group, sizeof group);
    const keta_usecase *uc = argc >= 3 ? keta_usecase_of_command(group, argv[2]) : NULL;
    if (uc != NULL)
        return keta_cli_usecase(uc, argc - 2, argv + 2);
    const keta_cmd *c = keta_cli_find(name);
    if (c == NULL && keta_usecase_group_exists(group))
        return keta_cmd_usecase_group(argc - 1, argv + 1);
    if (c == NULL) {
        fprintf(stderr, "keta: no command '%s'; `keta help` lists them\n", name);
        return KETA_EXIT_USAGE;
    }
    return c->run(argc - 1, argv + 1);
}
