/* keta score, keta outcome, keta instruments. */
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "keta/instruments.h"

/* Options shared by the JSON-in, JSON-out commands: --pretty and one operand. */
static int parse_json_cmd(const char *name, int argc, char **argv, int *pretty,
                          const char **operand)
{
    static const struct option opts[] = {{"pretty", no_argument, NULL, 'p'}, {NULL, 0, NULL, 0}};
    int c;
    *pretty = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'p')
            *pretty = 1;
        else
            return -1;
    }
    if (argc - optind != 1)
        return -1;
    *operand = argv[optind];
    (void)name;
    return 0;
}

static int run_json_cmd(const char *name, int argc, char **argv, keta_cli_text_fn fn)
{
    int pretty;
    const char *id;
    if (parse_json_cmd(name, argc, argv, &pretty, &id) != 0)
        return keta_cli_usage(keta_cli_find(name));
    return keta_cli_run_json(name, id, fn, pretty, NULL);
}

int keta_cmd_score(int argc, char **argv)
{
    return run_json_cmd("score", argc, argv, keta_score_text);
}

int keta_cmd_outcome(int argc, char **argv)
{
    return run_json_cmd("outcome", argc, argv, keta_outcome_text);
}

static int print_instruments(void)
{
    printf("%-13s %-16s %5s %6s %7s  %-19s %-5s %-10s %s\n", "ID", "NAME", "ITEMS", "RANGE",
           "TOTAL", "LICENCE", "TEXT", "LOINC", "BANDS");
    for (size_t i = 0; i < keta_instrument_count(); i++) {
        const keta_instrument *ins = keta_instrument_at(i);
        char range[40], total[40], bands[200] = "";
        /* Item ranges: "0-3", or "0-4/2" where items have different maxima (HAM-D). */
        int lo_max = ins->item_max[0], hi_max = ins->item_max[0];
        for (int it = 1; it < ins->n_scored; it++) {
            lo_max = ins->item_max[it] < lo_max ? ins->item_max[it] : lo_max;
            hi_max = ins->item_max[it] > hi_max ? ins->item_max[it] : hi_max;
        }
        if (lo_max == hi_max)
            (void)snprintf(range, sizeof range, "%d-%d", ins->item_min[0], hi_max);
        else
            (void)snprintf(range, sizeof range, "%d-%d/%d", ins->item_min[0], hi_max, lo_max);
        if (ins->has_total)
            (void)snprintf(total, sizeof total, "%d-%d", ins->total_min, ins->total_max);
        else
            (void)snprintf(total, sizeof total, "risk");
        size_t n = 0;
        for (int b = 0; b < ins->n_bands && n < sizeof bands; b++)
            n += (size_t)snprintf(bands + n, sizeof bands - n, "%s%s %d-%d", b ? ", " : "",
                                  ins->bands[b].name, ins->bands[b].lo, ins->bands[b].hi);
        printf("%-13s %-16s %5d %6s %7s  %-19s %-5s %-10s %s\n", ins->id, ins->name, ins->n_scored,
               range, total, keta_licence_name(ins->licence),
               ins->item_text_may_ship ? "yes" : "no", ins->loinc_total ? ins->loinc_total : "-",
               ins->n_bands ? bands : (ins->has_total ? "-" : "none/low/moderate/high"));
    }
    return KETA_EXIT_OK;
}

int keta_cmd_instruments(int argc, char **argv)
{
    return keta_cli_list("instruments", keta_cli_find("instruments"), argc, argv,
                         keta_instruments_json, print_instruments);
}
