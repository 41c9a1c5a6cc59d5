/* Internal to src/instruments: the scorers the descriptor table points at. */
#ifndef KETA_INSTRUMENTS_INTERNAL_H
#define KETA_INSTRUMENTS_INTERNAL_H

#include "keta/instruments.h"

/* Total = sum of the scored items (PHQ-9, GAD-7, HAM-D, MADRS, CADSS, BPRS, Y-BOCS). */
keta_err keta__score_sum(const keta_instrument *ins, const keta_score_options *opt, keta_score *out,
                         keta_error *err);

/* QIDS-SR16: maxima within sleep, appetite/weight and psychomotor (Rush 2003). */
keta_err keta__score_qids(const keta_instrument *ins, const keta_score_options *opt,
                          keta_score *out, keta_error *err);

/* PCL-5: sum, cluster sums, probable PTSD and the provisional diagnosis rule. */
keta_err keta__score_pcl5(const keta_instrument *ins, const keta_score_options *opt,
                          keta_score *out, keta_error *err);

/* C-SSRS screener: branching and the low/moderate/high triage. */
keta_err keta__score_cssrs(const keta_instrument *ins, const keta_score_options *opt,
                           keta_score *out, keta_error *err);

#define KETA_PCL5_DEFAULT_CUTOFF 33

/* KETA_ECOUNT unless n is a number of items the instrument accepts. */
keta_err keta__check_count(const keta_instrument *ins, size_t n, keta_error *err);

/* KETA_ENOTFOUND for an unknown instrument id, listing the known ones. */
keta_err keta__unknown_instrument(const char *id, keta_error *err);

#endif
