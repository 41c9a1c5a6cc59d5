/*
 * The reference course (../shared/peers/README.md): Domino 1984 with an effect site
 * (ke0 0.114 /min), 70 kg, six 0.5 mg/kg infusions over 40 min on days 0, 2, 4, 7, 9 and 11,
 * plasma and effect-site output every minute for 30 days (43,201 points), through
 * keta_pk_simulate on one core. Prints ms per subject, points per second and the values the
 * peers print (Cp at 40 min), and writes the grid to FILE when asked, for the agreement check.
 *
 * Then the population: PATIENTS virtual patients (default 100,000) through the same course with
 * keta_popsim_run on every core (summaries on an hourly grid: Cp, Ce and MADRS percentiles,
 * acute thresholds per session, response, remission, relapse). Domino publishes no variability,
 * so the benchmark gives CL, V1, Q2 and Q3 a CV of 30 % [U: a typical size, for timing only].
 * Prints wall time, patients per second, CPU per patient and the load average it ran under
 * (the machine is shared: wall time depends on what else runs).
 * Usage: bench_pk_course [SUBJECTS] [GRID_CSV] [PATIENTS]
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "keta/pk.h"
#include "keta/popsim.h"

#define POINTS (30 * 1440 + 1)

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double now_s(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

/* The 1-minute load average, as a measure of what else ran (negative when unreadable). */
static double load_average(void)
{
    FILE *f = fopen("/proc/loadavg", "r");
    double v = -1;
    if (f != NULL) {
        char line[128];
        if (fgets(line, sizeof line, f) != NULL)
            v = strtod(line, NULL);
        fclose(f);
    }
    return v;
}

/* The population run over the reference course; 0 when it ran. */
static int population(long patients, const keta_pk_dose *doses, size_t n_doses)
{
    keta_popsim_study *s = malloc(sizeof *s);
    if (s == NULL)
        return 1;
    keta_popsim_study_defaults(s);
    s->model = keta_pk_model_find("domino1984");
    s->patient = (keta_pk_patient){.weight_kg = 70, .age_y = 45};
    s->n = (size_t)patients;
    s->seed = 42;
    s->step_min = 60;
    s->end_min = 30 * 1440.0;
    s->n_arms = 1;
    (void)snprintf(s->arms[0].name, sizeof s->arms[0].name, "reference course");
    memcpy(s->arms[0].doses, doses, sizeof(keta_pk_dose) * n_doses);
    s->arms[0].n_doses = n_doses;
    s->study_iiv = true;
    const char *terms[] = {"CL", "V1", "Q2", "Q3"};
    for (int i = 0; i < 4; i++) {
        (void)snprintf(s->iiv[i].param, sizeof s->iiv[i].param, "%s", terms[i]);
        s->iiv[i].omega = sqrt(log1p(0.3 * 0.3));
    }
    s->n_iiv = 4;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int threads =
        cores < 1 ? 1 : (cores > KETA_POPSIM_MAX_THREADS ? KETA_POPSIM_MAX_THREADS : (int)cores);
    keta_popsim_result res;
    keta_error err;
    double load = load_average();
    double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID), t0 = now_s();
    keta_err rc = keta_popsim_run(s, threads, NULL, NULL, &res, &err);
    double wall = now_s() - t0, cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    if (rc != KETA_OK) {
        fprintf(stderr, "popsim: %s: %s\n", err.field, err.message);
        keta_popsim_result_free(&res);
        free(s);
        return 1;
    }
    printf("keta population (%d threads, load average %.2f before the run): %ld patients in "
           "%.3f s wall, %.0f patients/s, %.1f us of CPU per patient, %zu hourly points each, "
           "median Cp(1 h) %.1f ng/mL, responders %.3f, exact-path patients %zu\n",
           threads, load, patients, wall, (double)patients / wall, cpu / (double)patients * 1e6,
           res.n_points, res.arms[0].cp.p[2][1], res.arms[0].responders, res.arms[0].exact_path);
    keta_popsim_result_free(&res);
    free(s);
    return 0;
}

int main(int argc, char **argv)
{
    long subjects = 200;
    if (argc > 1) {
        char *end;
        errno = 0;
        subjects = strtol(argv[1], &end, 10);
        if (errno != 0 || *end != '\0' || subjects < 1 || subjects > 1000000) {
            fprintf(stderr, "usage: bench_pk_course [SUBJECTS 1-1000000] [GRID_CSV] [PATIENTS]\n");
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
    printf("keta (one subject, one core): %.3f ms per subject, %d points, %.1f M points/s, "
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
    long patients = 100000;
    if (argc > 3) {
        char *end;
        errno = 0;
        patients = strtol(argv[3], &end, 10);
        if (errno != 0 || *end != '\0' || patients < 0 || patients > KETA_POPSIM_MAX_N) {
            fprintf(stderr, "PATIENTS: expected 0 to %d\n", KETA_POPSIM_MAX_N);
            return 2;
        }
    }
    return patients > 0 ? population(patients, doses, 6) : 0;
}
