/*
 * The staff commands: every use case of the service (include/keta/usecase.h) as
 * `keta GROUP VERB [--PARAM-ID N]... [--QUERY VALUE]...`, acting as a named staff user who
 * authenticates (--user or KETA_USER; the password from KETA_PASSWORD or the terminal), with
 * the request body as JSON on stdin and the answer as JSON on stdout, as the HTTP API takes
 * and gives them. Also the shared password prompt and policy loader of the commands.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "keta/store.h"
#include "keta/usecase.h"

keta_err keta_cli_read_password(const char *prompt, bool confirm, char *buf, size_t cap,
                                keta_error *err)
{
    const char *env = getenv("KETA_PASSWORD");
    if (env != NULL) {
        if (strlen(env) >= cap)
            return keta_error_set(err, KETA_ETOOBIG, "KETA_PASSWORD", "password too long");
        memcpy(buf, env, strlen(env) + 1);
        return KETA_OK;
    }
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return keta_error_set(err, KETA_EINVAL, "password",
                              "no terminal to ask for the password: set KETA_PASSWORD");
    FILE *tty = fdopen(fd, "r+");
    if (tty == NULL) {
        close(fd);
        return keta_error_set(err, KETA_EIO, "password", "cannot read the terminal");
    }
    struct termios old, quiet;
    keta_err rc = KETA_OK;
    bool restore = tcgetattr(fd, &old) == 0;
    if (restore) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        quiet.c_lflag |= ECHONL;
        (void)tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    char again[KETA_PASSWORD_MAX + 2];
    for (int round = 0; round < (confirm ? 2 : 1) && rc == KETA_OK; round++) {
        char *dst = round == 0 ? buf : again;
        size_t dcap = round == 0 ? cap : sizeof again;
        fputs(round == 0 ? prompt : "Again: ", tty);
        fflush(tty);
        if (fgets(dst, (int)dcap, tty) == NULL) {
            rc = keta_error_set(err, KETA_EIO, "password", "no password read");
            break;
        }
        size_t n = strlen(dst);
        if (n > 0 && dst[n - 1] == '\n')
            dst[--n] = '\0';
        else if (n + 1 >= dcap)
            rc = keta_error_set(err, KETA_ETOOBIG, "password", "password too long");
    }
    if (rc == KETA_OK && confirm && strcmp(buf, again) != 0)
        rc = keta_error_set(err, KETA_EINVAL, "password", "the two passwords differ");
    sodium_memzero(again, sizeof again);
    if (restore)
        (void)tcsetattr(fd, TCSAFLUSH, &old);
    fclose(tty);
    return rc;
}

/* Read a policy file (bounded) and apply it over the defaults. Returns an exit code. */
int keta_cli_load_policy(const char *cmd, const char *path, keta_policy *policy)
{
    keta_policy_init(policy);
    if (path == NULL)
        return KETA_EXIT_OK;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "keta %s: policy %s: cannot open: %s\n", cmd, path, strerror(errno));
        return KETA_EXIT_INPUT;
    }
    keta_buf b;
    keta_buf_init(&b, KETA_POLICY_FILE_MAX);
    char chunk[4096];
    size_t n;
    keta_err rc = KETA_OK;
    while (rc == KETA_OK && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = keta_buf_append(&b, chunk, n);
    bool bad_read = ferror(f) != 0;
    fclose(f);
    keta_error err;
    keta_error_clear(&err);
    if (rc == KETA_ETOOBIG)
        keta_error_set(&err, rc, "", "policy file is larger than %d bytes", KETA_POLICY_FILE_MAX);
    else if (bad_read)
        rc = keta_error_set(&err, KETA_EIO, "", "cannot read: %s", strerror(errno));
    else if (rc == KETA_OK)
        rc = keta_policy_apply_text(policy, keta_buf_str(&b), b.len, &err);
    keta_buf_free(&b);
    if (rc == KETA_OK)
        return KETA_EXIT_OK;
    char where[KETA_ERROR_FIELD_MAX];
    memcpy(where, err.field, sizeof where);
    int w =
        snprintf(err.field, sizeof err.field, "policy %s%s%s", path, where[0] ? " " : "", where);
    if (w < 0 || (size_t)w >= sizeof err.field) /* a long path: keep the field, drop the file */
        (void)snprintf(err.field, sizeof err.field, "policy %.100s", where);
    return keta_cli_fail(cmd, rc, &err);
}

/* ---- the use-case commands ------------------------------------------------------------------- */

#define MAX_NAME 48

/* The {name} segments of a path, in order, into names (at most KETA_USECASE_MAX_PARAMS). */
static size_t path_params(const char *path, char names[][MAX_NAME])
{
    size_t n = 0;
    for (const char *p = strchr(path, '{'); p != NULL && n < KETA_USECASE_MAX_PARAMS;
         p = strchr(p + 1, '{')) {
        const char *end = strchr(p, '}');
        if (end == NULL || (size_t)(end - p - 1) >= MAX_NAME)
            break;
        (void)snprintf(names[n], MAX_NAME, "%.*s", (int)(end - p - 1), p + 1);
        n++;
    }
    return n;
}

/* "patient_id" as an option name: "patient-id". */
static void option_name(const char *name, char *out)
{
    (void)snprintf(out, MAX_NAME, "%.*s", MAX_NAME - 1, name);
    for (char *p = out; *p != '\0'; p++)
        if (*p == '_')
            *p = '-';
}

/* The command's name for messages: "vitals record". */
static void command_name(const keta_usecase *uc, char *out, size_t cap)
{
    (void)snprintf(out, cap, "%s", uc->name);
    for (char *p = out; *p != '\0'; p++)
        if (*p == '.')
            *p = ' ';
        else if (*p == '_')
            *p = '-';
}

/* The synopsis of one use case's command. */
static void print_synopsis(FILE *to, const keta_usecase *uc)
{
    char cmd[MAX_NAME * 2], names[KETA_USECASE_MAX_PARAMS][MAX_NAME], opt[MAX_NAME];
    command_name(uc, cmd, sizeof cmd);
    fprintf(to, "keta %s", cmd);
    size_t n = path_params(uc->path, names);
    for (size_t i = 0; i < n; i++) {
        option_name(names[i], opt);
        fprintf(to, " --%s %s", opt, strstr(names[i], "_id") != NULL ? "N" : "TEXT");
    }
    for (size_t q = 0; uc->query != NULL && uc->query[q] != NULL; q++) {
        option_name(uc->query[q], opt);
        fprintf(to, " [--%s VALUE]", opt);
    }
    if (uc->roles != 0)
        fputs(" [--user NAME] --db PATH|URL", to);
    else
        fputs(" --db PATH|URL", to);
    if (uc->body_max > 0)
        fputs(" < request.json", to);
    fputc('\n', to);
}

typedef struct uc_args {
    const char *db, *user, *policy_file;
    int pretty;
    keta_usecase_call call;
} uc_args;

/* Parse the command line of uc (argv[0] is the verb). Returns an exit code. */
static int parse_args(const keta_usecase *uc, const char *cmd, int argc, char **argv, uc_args *a)
{
    enum { O_DB = 1, O_USER, O_POLICY, O_PRETTY, O_JSON, O_PARAM = 16, O_QUERY = 32 };
    char pnames[KETA_USECASE_MAX_PARAMS][MAX_NAME];
    char popts[KETA_USECASE_MAX_PARAMS][MAX_NAME], qopts[KETA_USECASE_MAX_QUERY][MAX_NAME];
    struct option opts[5 + KETA_USECASE_MAX_PARAMS + KETA_USECASE_MAX_QUERY + 1];
    size_t k = 0;
    opts[k++] = (struct option){"db", required_argument, NULL, O_DB};
    opts[k++] = (struct option){"user", required_argument, NULL, O_USER};
    opts[k++] = (struct option){"policy", required_argument, NULL, O_POLICY};
    opts[k++] = (struct option){"pretty", no_argument, NULL, O_PRETTY};
    opts[k++] = (struct option){"json", no_argument, NULL, O_JSON};
    size_t np = path_params(uc->path, pnames);
    for (size_t i = 0; i < np; i++) {
        option_name(pnames[i], popts[i]);
        opts[k++] = (struct option){popts[i], required_argument, NULL, O_PARAM + (int)i};
    }
    size_t nq = 0;
    for (; uc->query != NULL && uc->query[nq] != NULL && nq < KETA_USECASE_MAX_QUERY; nq++) {
        option_name(uc->query[nq], qopts[nq]);
        opts[k++] = (struct option){qopts[nq], required_argument, NULL, O_QUERY + (int)nq};
    }
    opts[k] = (struct option){NULL, 0, NULL, 0};

    memset(a, 0, sizeof *a);
    a->db = getenv("KETA_DB");
    a->user = getenv("KETA_USER");
    int c;
    optind = 1;
    opterr = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == O_DB)
            a->db = optarg;
        else if (c == O_USER)
            a->user = optarg;
        else if (c == O_POLICY)
            a->policy_file = optarg;
        else if (c == O_PRETTY)
            a->pretty = 1;
        else if (c == O_JSON)
            continue;
        else if (c >= O_PARAM && c < O_PARAM + (int)np) {
            size_t i = (size_t)(c - O_PARAM);
            a->call.param[i] = optarg;
            if (strstr(pnames[i], "_id") != NULL &&
                !keta_usecase_parse_id(optarg, &a->call.id[i])) {
                fprintf(stderr, "keta %s: --%s: expected a record id (1 to 2^53), got '%.40s'\n",
                        cmd, popts[i], optarg);
                return KETA_EXIT_USAGE;
            }
        } else if (c >= O_QUERY && c < O_QUERY + (int)nq) {
            if (strlen(optarg) >= KETA_USECASE_QUERY_MAX) {
                fprintf(stderr, "keta %s: --%s: at most %d bytes\n", cmd, qopts[c - O_QUERY],
                        KETA_USECASE_QUERY_MAX - 1);
                return KETA_EXIT_USAGE;
            }
            a->call.query[c - O_QUERY] = optarg;
        } else {
            goto usage;
        }
    }
    if (optind != argc)
        goto usage;
    for (size_t i = 0; i < np; i++)
        if (a->call.param[i] == NULL) {
            fprintf(stderr, "keta %s: --%s is required\n", cmd, popts[i]);
            goto usage;
        }
    if (a->db == NULL || a->db[0] == '\0') {
        fprintf(stderr, "keta %s: no database: give --db PATH|postgresql://... or set KETA_DB\n",
                cmd);
        return KETA_EXIT_USAGE;
    }
    if (uc->roles != 0 && (a->user == NULL || a->user[0] == '\0')) {
        fprintf(stderr, "keta %s: who is acting: give --user NAME or set KETA_USER\n", cmd);
        return KETA_EXIT_USAGE;
    }
    return KETA_EXIT_OK;
usage:
    fputs("usage: ", stderr);
    print_synopsis(stderr, uc);
    return KETA_EXIT_USAGE;
}

/* The body of a POST: JSON on stdin (an empty input is {}). */
static keta_err read_body(const keta_usecase *uc, json_t **body, keta_error *err)
{
    keta_buf in;
    keta_err rc = keta_cli_read_stdin(&in, uc->body_max, err);
    if (rc == KETA_OK) {
        const char *text = in.len > 0 ? keta_buf_str(&in) : "{}";
        rc = keta_json_parse(text, in.len > 0 ? in.len : 2, uc->body_max, KETA_JSON_MAX_DEPTH, body,
                             err);
    }
    if (rc == KETA_OK && !json_is_object(*body)) {
        rc = keta_error_set(err, KETA_ETYPE, "", "expected a JSON object, got %s",
                            keta_json_type_name(*body));
        json_decref(*body);
        *body = NULL;
    }
    keta_buf_free(&in);
    return rc;
}

int keta_cli_usecase(const keta_usecase *uc, int argc, char **argv)
{
    char cmd[MAX_NAME * 2];
    command_name(uc, cmd, sizeof cmd);
    uc_args a;
    int code = parse_args(uc, cmd, argc, argv, &a);
    if (code != KETA_EXIT_OK)
        return code;
    keta_policy policy;
    code = keta_cli_load_policy(cmd, a.policy_file, &policy);
    if (code != KETA_EXIT_OK)
        return code;

    keta_error err;
    keta_error_clear(&err);
    json_t *body = NULL, *out = NULL;
    keta_store *store = NULL;
    keta_service *svc = NULL;
    keta_actor actor;
    char password[KETA_PASSWORD_MAX + 2] = "";
    keta_err rc = KETA_OK;
    if (uc->body_max > 0)
        rc = read_body(uc, &body, &err);
    a.call.body = body;
    if (rc == KETA_OK && uc->roles != 0) {
        char prompt[128];
        (void)snprintf(prompt, sizeof prompt, "Password for %.63s: ", a.user);
        rc = keta_cli_read_password(prompt, false, password, sizeof password, &err);
    }
    if (rc == KETA_OK) {
        keta_store_options so = {.create = false, .pool_size = 1};
        rc = keta_store_open(a.db, &so, &store, &err);
    }
    if (rc == KETA_OK) {
        keta_service_options o;
        memset(&o, 0, sizeof o);
        o.policy = &policy;
        rc = keta_service_open(store, &o, &svc, &err);
    }
    if (rc == KETA_OK && uc->roles != 0)
        rc = keta_service_authenticate(svc, a.user, password, &actor, &err);
    sodium_memzero(password, sizeof password);
    if (rc == KETA_OK)
        rc = uc->run(svc, uc->roles != 0 ? &actor : NULL, &a.call, &out, &err);
    code = rc == KETA_OK ? keta_cli_print_json(cmd, out, a.pretty) : keta_cli_fail(cmd, rc, &err);
    json_decref(out);
    json_decref(body);
    keta_service_close(svc);
    keta_store_close(store);
    return code;
}

/* `keta help GROUP` and a bare `keta GROUP`: the group's staff commands. */
void keta_cli_usecase_help(FILE *to, const char *group)
{
    size_t n = strlen(group);
    const keta_usecase *uc;
    for (size_t i = 0; (uc = keta_usecase_at(i)) != NULL; i++) {
        if (strncmp(uc->name, group, n) != 0 || uc->name[n] != '.')
            continue;
        fputs("  ", to);
        print_synopsis(to, uc);
        fprintf(to, "      %s; %s %s\n", uc->summary, uc->method, uc->path);
    }
}

int keta_cmd_usecase_group(int argc, char **argv)
{
    char group[MAX_NAME];
    option_name(argv[0], group);
    for (char *p = group; *p != '\0'; p++)
        if (*p == '-')
            *p = '_';
    const keta_usecase *uc = argc >= 2 ? keta_usecase_of_command(group, argv[1]) : NULL;
    if (uc != NULL)
        return keta_cli_usecase(uc, argc - 1, argv + 1);
    fprintf(stderr, "usage:\n");
    keta_cli_usecase_help(stderr, group);
    return KETA_EXIT_USAGE;
}
