/* keta pk: the PK engine's commands (models, simulate, tci). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <string.h>

#include "cli.h"
#include "keta/pk.h"

static int print_models(void)
{
    printf("%-15s %-10s %-12s %4s %-10s %-11s %-11s %s\n", "ID", "DRUG", "STRUCTURE", "CMT",
           "SCALING", "AGE_Y", "WEIGHT_KG", "METABOLITE");
    for (size_t i = 0; i < keta_pk_model_count(); i++) {
        const keta_pk_model *m = keta_pk_model_at(i);
        char age[40], weight[40];
        (void)snprintf(age, sizeof age, "%g-%g", m->age_min_y, m->age_max_y);
        (void)snprintf(weight, sizeof weight, "%g-%g", m->weight_min_kg, m->weight_max_kg);
        static const char *const structures[] = {"mammillary", "hepatoportal", "transit"};
        const char *scaling = m->structure == KETA_PK_HEPATOPORTAL ? "none"
                              : m->scaling == KETA_PK_SCALE_PER_KG ? "per_kg"
                                                                   : "allometric";
        printf("%-15s %-10s %-12s %4d %-10s %-11s %-11s %s\n", m->id,
               m->drug == KETA_PK_ESKETAMINE ? "esketamine" : "racemic", structures[m->structure],
               m->n_cmt, scaling, age, weight, m->metabolite ? m->metabolite : "-");
    }
    return KETA_EXIT_OK;
}

static int pk_models(int argc, char **argv)
{
    return keta_cli_list("pk models", keta_cli_find("pk"), argc, argv, keta_pk_models_json,
                         print_models);
}

/* The answer's output options: set by pk_simulate before it runs (the CLI is one call per
   process), read by render_simulate. */
static struct {
    const char *svg_path; /* NULL: no plot */
    int csv, pretty;
} simulate_opts;

/* Write the plot of the answer to path; the exit code of a failure, or KETA_EXIT_OK. */
static int write_svg(const json_t *out, const char *path)
{
    keta_buf svg;
    keta_error err;
    keta_error_clear(&err);
    keta_err rc = keta_pk_svg(out, &svg, &err);
    if (rc != KETA_OK) {
        keta_buf_free(&svg);
        return keta_cli_fail("pk simulate", rc, &err);
    }
    FILE *f = fopen(path, "wb");
    bool bad = f == NULL || fwrite(svg.data, 1, svg.len, f) != svg.len;
    int saved = errno;
    if (f != NULL && fclose(f) != 0 && !bad) {
        bad = true;
        saved = errno;
    }
    keta_buf_free(&svg);
    if (bad) {
        fprintf(stderr, "keta pk simulate: cannot write the plot to %s: %s\n", path,
                strerror(saved));
        return KETA_EXIT_INTERNAL;
    }
    return KETA_EXIT_OK;
}

/* Render the JSON answer as CSV on stdout; warnings go to stderr. */
static int print_csv(const json_t *out)
{
    const json_t *t = json_object_get(out, "times_min");
    const json_t *cp = json_object_get(out, "cp_ng_per_ml");
    const json_t *ce = json_object_get(out, "ce_ng_per_ml");
    const json_t *met = json_object_get(out, "metabolite_ng_per_ml");
    const json_t *met2 = json_object_get(out, "metabolite2_ng_per_ml");
    const json_t *w = json_object_get(out, "warnings");
    for (size_t i = 0; i < json_array_size(w); i++)
        fprintf(stderr, "keta pk simulate: warning: %s\n", json_string_value(json_array_get(w, i)));
    printf("t_min,cp_ng_per_ml,ce_ng_per_ml%s%s\n", met ? ",metabolite_ng_per_ml" : "",
           met2 ? ",metabolite2_ng_per_ml" : "");
    for (size_t i = 0; i < json_array_size(t); i++) {
        printf("%.10g,%.10g,%.10g", json_number_value(json_array_get(t, i)),
               json_number_value(json_array_get(cp, i)), json_number_value(json_array_get(ce, i)));
        if (met)
            printf(",%.10g", json_number_value(json_array_get(met, i)));
        if (met2)
            printf(",%.10g", json_number_value(json_array_get(met2, i)));
        putchar('\n');
    }
    if (fflush(stdout) != 0)
        return KETA_EXIT_INTERNAL;
    return KETA_EXIT_OK;
}

/* The PK calls take no operand; these adapt them to keta_cli_run_json. */
static keta_err simulate_text(const char *operand, const char *text, size_t len, json_t **out,
                              keta_error *err)
{
    (void)operand;
    return keta_pk_simulate_text(text, len, out, err);
}

static keta_err tci_text(const char *operand, const char *text, size_t len, json_t **out,
                         keta_error *err)
{
    (void)operand;
    return keta_pk_tci_text(text, len, out, err);
}

static int pk_tci(int argc, char **argv)
{
    int pretty = 0;
    if (argc == 2 && strcmp(argv[1], "--pretty") == 0)
        pretty = 1;
    else if (argc != 1)
        return keta_cli_usage(keta_cli_find("pk"));
    return keta_cli_run_json("pk tci", NULL, tci_text, pretty, NULL);
}

/* The plot (when asked for), then the answer as JSON or CSV. */
static int render_simulate(const json_t *out)
{
    if (simulate_opts.svg_path != NULL) {
        int code = write_svg(out, simulate_opts.svg_path);
        if (code != KETA_EXIT_OK)
            return code;
    }
    if (simulate_opts.csv)
        return print_csv(out);
    return keta_cli_print_json("pk simulate", out, simulate_opts.pretty);
}

static int pk_simulate(int argc, char **argv)
{
    static const struct option opts[] = {{"pretty", no_argument, NULL, 'p'},
                                         {"csv", no_argument, NULL, 'c'},
                                         {"svg", required_argument, NULL, 's'},
                                         {NULL, 0, NULL, 0}};
    int c;
    memset(&simulate_opts, 0, sizeof simulate_opts);
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'p')
            simulate_opts.pretty = 1;
        else if (c == 'c')
            simulate_opts.csv = 1;
        else if (c == 's' && optarg[0] != '\0')
            simulate_opts.svg_path = optarg;
        else
            return keta_cli_usage(keta_cli_find("pk"));
    }
    if (optind != argc)
        return keta_cli_usage(keta_cli_find("pk"));
    return keta_cli_run_json("pk simulate", NULL, simulate_text, simulate_opts.pretty,
                             render_simulate);
}

int keta_cmd_pk(int argc, char **argv)
{
    if (argc < 2)
        return keta_cli_usage(keta_cli_find("pk"));
    if (strcmp(argv[1], "models") == 0)
        return pk_models(argc - 1, argv + 1);
    if (strcmp(argv[1], "simulate") == 0)
        return pk_simulate(argc - 1, argv + 1);
    if (strcmp(argv[1], "tci") == 0)
        return pk_tci(argc - 1, argv + 1);
    fprintf(stderr, "keta pk: no subcommand '%s'; expected models, simulate or tci\n", argv[1]);
    return KETA_EXIT_USAGE;
}
