/* The keta command: a git-style subcommand table (src/cli/main.c). */
#ifndef KETA_CLI_H
#define KETA_CLI_H

#include <stdio.h>

#include "keta/core.h"
#include "keta/json.h"
#include "keta/policy.h"
#include "keta/usecase.h"

/* Exit codes of every subcommand. */
enum {
    KETA_EXIT_OK = 0,
    KETA_EXIT_INPUT = 1,    /* the input was refused: one line on stderr says why */
    KETA_EXIT_USAGE = 2,    /* bad command line */
    KETA_EXIT_INTERNAL = 3, /* out of memory, I/O failure */
};

typedef struct keta_cmd {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary; /* one line for `keta help` */
    const char *usage;   /* synopsis */
    const char *help;    /* the rest of `keta help <name>` */
} keta_cmd;

/* The table, terminated by a zeroed entry. */
extern const keta_cmd keta_cli_commands[];

const keta_cmd *keta_cli_find(const char *name);

/* Read all of stdin, at most max bytes. */
keta_err keta_cli_read_stdin(keta_buf *b, size_t max, keta_error *err);

/* Print a refused input as one line on stderr and return the exit code for it. */
int keta_cli_fail(const char *cmd, keta_err rc, const keta_error *err);

/* Print v as JSON on stdout (one line, or indented when pretty). */
int keta_cli_print_json(const char *cmd, const json_t *v, int pretty);

/* A library call that takes the request text (and an operand such as an instrument id). */
typedef keta_err (*keta_cli_text_fn)(const char *operand, const char *text, size_t len,
                                     json_t **out, keta_error *err);

/*
 * The body of every JSON-in, JSON-out command: read stdin (bounded), call fn, then print
 * the answer with render (or as JSON, indented when pretty) or the refusal as one line.
 */
int keta_cli_run_json(const char *cmd, const char *operand, keta_cli_text_fn fn, int pretty,
                      int (*render)(const json_t *out));

/*
 * The body of a listing command (`keta instruments`, `keta pk models`): with no argument,
 * print the table with print_table; with --json, print json_fn's document indented. Any
 * other argument is a usage error of usage_of.
 */
int keta_cli_list(const char *cmd, const keta_cmd *usage_of, int argc, char **argv,
                  keta_err (*json_fn)(json_t **out), int (*print_table)(void));

/* Print the usage of cmd on stderr and return KETA_EXIT_USAGE. */
int keta_cli_usage(const keta_cmd *cmd);

/*
 * A password from KETA_PASSWORD, or typed at the terminal with echo off (twice when
 * confirm). Never a built-in default. buf holds at most cap - 1 bytes.
 */
keta_err keta_cli_read_password(const char *prompt, bool confirm, char *buf, size_t cap,
                                keta_error *err);

/* The policy defaults with the file path (NULL: none) applied over them. An exit code. */
int keta_cli_load_policy(const char *cmd, const char *path, keta_policy *policy);

/*
 * Run use case uc as a command (argv[0] is the verb): options --db, --user, --policy,
 * --pretty, one per path parameter and query argument; body JSON on stdin. An exit code.
 */
int keta_cli_usecase(const keta_usecase *uc, int argc, char **argv);

/* List the staff commands of group ("vitals") with their synopses. */
void keta_cli_usecase_help(FILE *to, const char *group);

/* A group that has only staff commands (`keta patient register ...`): argv[0] the group. */
int keta_cmd_usecase_group(int argc, char **argv);

int keta_cmd_score(int argc, char **argv);
int keta_cmd_outcome(int argc, char **argv);
int keta_cmd_instruments(int argc, char **argv);
int keta_cmd_pk(int argc, char **argv);
int keta_cmd_popsim(int argc, char **argv);
int keta_cmd_pd(int argc, char **argv);
int keta_cmd_forecast(int argc, char **argv);
int keta_cmd_serve(int argc, char **argv);
int keta_cmd_demo(int argc, char **argv);
int keta_cmd_db(int argc, char **argv);
int keta_cmd_audit(int argc, char **argv);
int keta_cmd_dose(int argc, char **argv);
int keta_cmd_eligibility(int argc, char **argv);
int keta_cmd_assess(int argc, char **argv);
int keta_cmd_course(int argc, char **argv);
int keta_cmd_vitals(int argc, char **argv);
int keta_cmd_home(int argc, char **argv);
int keta_cmd_discharge(int argc, char **argv);
int keta_cmd_rems(int argc, char **argv);
int keta_cmd_policy(int argc, char **argv);
int keta_cmd_help(int argc, char **argv);
int keta_cmd_version(int argc, char **argv);

#endif
