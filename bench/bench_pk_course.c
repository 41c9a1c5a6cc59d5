/*
 * The reference course (../shared/peers/README.md): Domino 1984 with an effect site
 * (ke0 0.114 /min), 70 kg, six 0.5 mg/kg infusions over 40 min on days 0, 2, 4, 7, 9 and 11,
 * plasma and effect-site output every minute for 30 days (43,201 points), through
 * keta_pk_simulate on one core. Prints ms per subject, points per second and the values the
 * peers print (Cp at 40 min), and writes the grid to FILE when asked, for the agreement check.
 * Usage: bench_pk_course [SUBJECTS] [GRID_CSV]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keta/pk.h"

#define POINTS (30 * 1440 + 1)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    long subjects = 200;
    if (argc > 1) {
        char *end;
        errno = 0;
        subjects = strtol(argv[1], &end, 10);
        if (errno != 0 || *end != '\0' || subjects < 1 || subjects > 1000000) {
            fprintf(stderr, "usage: bench_pk_course [SUBJECTS 1-1000000] [GRID_CSV]\n");
            return 2;
        }
    }
    static double times[POINTS];
    for (int i = 0; i < POINTS; i++)
        times[i] = (double)i;
    static const double days[] = {0, 2, 4, 7, 9, 11};
    keta_pk_dose doses[6];
    for (int d = 0; d < 6; d++)
        doses[d] = (keta_pk_dose){.route = KETA_PK_IV,
                                  .amount_mg = 0.5 * 70.0,
                                  .start_min = days[d] * 1440.0,
                                  .duration_min = 40.0,
                                  .device_interval_min = -1};
    keta_pk_request req = {
        .model = keta_pk_model_find("domino1984"),
        .patient = {.weight_kg = 70, .age_y = 45},
        .doses = doses,
        .n_doses = 6,
        .times_min = times,
        .n_times = POINTS,
        .ke0_per_min = 0.114,
    };
    keta_pk_result res;
    keta_error err;
    double t0 = now_s();
    for (long s = 0; s < subjects; s++) {
        if (keta_pk_simulate(&req, &res, &err) != KETA_OK) {
            fprintf(stderr, "simulate: %s: %s\n", err.field, err.message);
            keta_pk_result_free(&res);
            return 1;
        }
        if (s + 1 < subjects)
            keta_pk_result_free(&res);
    }
    double per = (now_s() - t0) / (double)subjects;
    printf("keta (exact, one core): %.3f ms per subject, %d points, %.1f M points/s, "
           "Cp(40)=%.2f ng/mL, Ce(40)=%.2f ng/mL\n",
           per * 1e3, POINTS, POINTS / per / 1e6, res.cp_ng_per_ml[40], res.ce_ng_per_ml[40]);
    if (argc > 2) {
        FILE *f = fopen(argv[2], "w");
        if (f == NULL) {
            fprintf(stderr, "%s: %s\n", argv[2], strerror(errno));
            keta_pk_result_free(&res);
            return 1;
        }
        for (int i = 0; i < POINTS; i++)
            fprintf(f, "%.17g,%.17g\n", res.cp_ng_per_ml[i], res.ce_ng_per_ml[i]);
        fclose(f);
    }
    keta_pk_result_free(&res);
    return 0;
}
