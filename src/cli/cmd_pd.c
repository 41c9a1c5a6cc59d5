/* keta pd (acute, response) and keta forecast: the pharmacodynamic engine's commands. */
#include <string.h>

#include "cli.h"
#include "keta/pd.h"

static keta_err acute_text(const char *operand, const char *text, size_t len, json_t **out,
                           keta_error *err)
{
    (void)operand;
    return keta_pd_acute_text(text, len, out, err);
}

static keta_err response_text(const char *operand, const char *text, size_t len, json_t **out,
                              keta_error *err)
{
    (void)operand;
    return keta_pd_response_text(text, len, out, err);
}

int keta_cmd_pd(int argc, char **argv)
{
    if (argc < 2 || argc > 3)
        return keta_cli_usage(keta_cli_find("pd"));
    int pretty = 0;
    if (argc == 3) {
        if (strcmp(argv[2], "--pretty") != 0)
            return keta_cli_usage(keta_cli_find("pd"));
        pretty = 1;
    }
    if (strcmp(argv[1], "acute") == 0)
        return keta_cli_run_json("pd acute", NULL, acute_text, pretty, NULL);
    if (strcmp(argv[1], "response") == 0)
        return keta_cli_run_json("pd response", NULL, response_text, pretty, NULL);
    fprintf(stderr, "keta pd: no subcommand '%s'; expected acute or response\n", argv[1]);
    return KETA_EXIT_USAGE;
}

static keta_err forecast_text(const char *operand, const char *text, size_t len, json_t **out,
                              keta_error *err)
{
    (void)operand;
    return keta_pd_forecast_text(text, len, out, err);
}

int keta_cmd_forecast(int argc, char **argv)
{
    int pretty = 0;
    if (argc == 2 && strcmp(argv[1], "--pretty") == 0)
        pretty = 1;
    else if (argc != 1)
        return keta_cli_usage(keta_cli_find("forecast"));
    return keta_cli_run_json("forecast", NULL, forecast_text, pretty, NULL);
}
