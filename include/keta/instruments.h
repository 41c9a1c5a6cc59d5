/*
 * keta instruments: the validated rating scales, scored exactly.
 *
 * Each instrument is a row of a static descriptor table (items and their
 * ranges, completeness rule, bands, subscales, symptom areas, licence, LOINC
 * codes, source) plus one small scorer. Scoring is pure: no I/O, no clock, no
 * allocation; the result is a caller-owned struct.
 *
 * Items are numbered from 1 in every message and field path ("/items/9").
 * A response value of KETA_ITEM_MISSING means the item was not answered
 * (JSON null); missing items make a response incomplete, which is not an
 * error.
 *
 * Ownership: descriptors are static; results are caller-owned structs that
 * hold no heap memory. JSON builders return new references (json_decref).
 *
 * Thread safety: every function here is reentrant.
 */
#ifndef KETA_INSTRUMENTS_H
#define KETA_INSTRUMENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "keta/core.h"
#include "keta/json.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KETA_MAX_ITEMS        32 /* the most items (scored + unscored) any instrument has */
#define KETA_MAX_BANDS        6
#define KETA_MAX_SUBSCALES    6
#define KETA_MAX_ALERTS       4
#define KETA_ITEM_MISSING     (-1)
#define KETA_DOMAIN_MAX_ITEMS 4

/* The symptom areas a clinic follows. Order is the display order. */
typedef enum keta_domain {
    KETA_DOMAIN_LOW_MOOD,
    KETA_DOMAIN_ANHEDONIA,
    KETA_DOMAIN_FATIGUE,
    KETA_DOMAIN_CONCENTRATION,
    KETA_DOMAIN_HOPELESSNESS,
    KETA_DOMAIN_SUICIDAL_THOUGHTS,
    KETA_DOMAIN_SLEEP,
    KETA_DOMAIN_APPETITE,
    KETA_DOMAIN_COUNT
} keta_domain;

/* The domain's name in JSON, e.g. "low_mood", "suicidal_thoughts". */
const char *keta_domain_name(keta_domain d);

typedef enum keta_licence {
    KETA_LICENCE_FREE,              /* may reproduce, display and distribute, text included */
    KETA_LICENCE_PUBLIC_DOMAIN,     /* public domain / US Government work */
    KETA_LICENCE_TERMS_UNCONFIRMED, /* said to be freely available; terms not confirmed */
    KETA_LICENCE_PERMISSION,        /* copyright holder's permission or a licence is required */
} keta_licence;

/* "free", "public_domain", "terms_unconfirmed" or "permission_required". */
const char *keta_licence_name(keta_licence l);

/* How the items of a domain combine. */
typedef enum keta_domain_rule {
    KETA_DOMAIN_NONE = 0,   /* the instrument does not inform this domain */
    KETA_DOMAIN_SUM,        /* sum of the items */
    KETA_DOMAIN_MAX,        /* the largest item (used where items are alternatives) */
    KETA_DOMAIN_RISK_LEVEL, /* C-SSRS: the triage level, none 0 .. high 3 */
} keta_domain_rule;

typedef struct keta_domain_map {
    keta_domain_rule rule;
    uint8_t n_items;
    uint8_t items[KETA_DOMAIN_MAX_ITEMS]; /* 1-based item numbers */
    uint8_t shared_item;                  /* 1-based item counted under another domain, or 0 */
} keta_domain_map;

typedef struct keta_band {
    int lo, hi; /* inclusive total range */
    const char *name;
} keta_band;

typedef struct keta_subscale {
    const char *name;
    uint8_t n_items;
    uint8_t items[KETA_MAX_ITEMS];
} keta_subscale;

/* Comparison of a total with a threshold, for remission rules. */
typedef enum keta_cmp {
    KETA_CMP_NONE = 0, /* no such rule for this instrument */
    KETA_CMP_LT,       /* total <  threshold */
    KETA_CMP_LE,       /* total <= threshold */
} keta_cmp;

/* Options a clinic may configure per request. Zero-initialise, then set what differs. */
typedef struct keta_score_options {
    int pcl5_cutoff; /* probable PTSD at total >= cutoff; 0 = default 33 (clinic.md §2) */
    /* The suicide item raises its alert at a value >= this; 0 = the table's default (1).
       The clinic passes keta_policy_suicide_item_min() (policy rule suicide.<id>_item<N>_min). */
    int suicide_alert_min;
} keta_score_options;

struct keta_instrument;
struct keta_score;
/*
 * The instrument-specific part of scoring, run after the common checks of
 * count and ranges. It fills out (whose items are set) and may refuse the
 * response (branching rules) through err.
 */
typedef keta_err (*keta_scorer_fn)(const struct keta_instrument *ins, const keta_score_options *opt,
                                   struct keta_score *out, keta_error *err);

typedef struct keta_instrument {
    const char *id;      /* "phq9" */
    const char *name;    /* "PHQ-9" */
    const char *title;   /* full title */
    const char *version; /* descriptor version, bumped when scoring changes */
    uint8_t n_items;     /* items in a response, scored and unscored */
    uint8_t n_scored;    /* items 1..n_scored make the total; the rest are never scored */
    bool optional_tail;  /* the unscored items may be left out of the response array */
    bool yes_no;         /* items are 0 = no, 1 = yes */
    int8_t item_min[KETA_MAX_ITEMS];
    int8_t item_max[KETA_MAX_ITEMS];
    bool has_total; /* false for C-SSRS (categorical) */
    int total_min, total_max;
    uint8_t n_bands; /* 0 = no severity band */
    keta_band bands[KETA_MAX_BANDS];
    uint8_t n_subscales;
    keta_subscale subscales[KETA_MAX_SUBSCALES];
    keta_domain_map domains[KETA_DOMAIN_COUNT];
    uint8_t
        suicide_item; /* 1-based item whose value >= suicide_alert_min raises an alert; 0 = none */
    int8_t suicide_alert_min;
    const char *suicide_rule; /* policy rule id carried by the alert (policy.h) */
    keta_cmp remission_cmp;   /* default remission definition */
    int remission_threshold;
    const char *remission_source;
    const char *measure_name; /* quality measure whose denominator needs a baseline, or NULL */
    int measure_baseline_min; /* a patient enters its denominator with baseline >= this */
    int response_percent;     /* default response: >= this % reduction from baseline; 0 = none */
    const char *response_source;
    keta_licence licence;
    bool item_text_may_ship;
    const char *licence_note;
    const char *loinc_panel; /* NULL when none was found */
    const char *loinc_total;
    const char *loinc_items[KETA_MAX_ITEMS]; /* per item, NULL when none */
    const char *item_labels[KETA_MAX_ITEMS]; /* short clinical labels (not item text) */
    const char *source;                      /* where the scoring rules come from */
    keta_scorer_fn scorer;
} keta_instrument;

/* The number of instruments and the i-th (0-based) in display order. */
size_t keta_instrument_count(void);
const keta_instrument *keta_instrument_at(size_t i);

/* The instrument with this id, or NULL. */
const keta_instrument *keta_instrument_find(const char *id);

/* C-SSRS screener triage. */
typedef enum keta_risk {
    KETA_RISK_NONE,
    KETA_RISK_LOW,
    KETA_RISK_MODERATE,
    KETA_RISK_HIGH
} keta_risk;

/* "none", "low", "moderate", "high". */
const char *keta_risk_name(keta_risk r);

typedef struct keta_alert {
    const char *code;     /* "suicidal_ideation", "suicide_risk" */
    const char *rule;     /* the rule that raised it, e.g. "suicide.phq9_item9_min" */
    const char *severity; /* "high", "moderate" or "low" */
    uint8_t item;         /* 1-based item, or 0 when the alert is not about one item */
    int value;            /* the item's value (or the risk level) */
    const char *action;   /* what the clinician should do */
} keta_alert;

typedef struct keta_domain_value {
    bool informed; /* the instrument informs this domain and its items were answered */
    int value;
    int max;
} keta_domain_value;

typedef struct keta_score {
    const keta_instrument *instrument;
    int16_t items[KETA_MAX_ITEMS]; /* the validated response, KETA_ITEM_MISSING where unanswered */
    uint8_t n_given;               /* items present in the response array */
    bool complete;
    uint8_t n_missing;
    uint8_t missing[KETA_MAX_ITEMS]; /* 1-based items required but unanswered */
    bool has_total;                  /* total is valid (complete and the instrument has one) */
    int total;
    const char *severity; /* band name, or NULL (no band, or incomplete) */
    uint8_t n_subscales;
    struct {
        const char *name;
        bool valid;
        int value;
        int max;
    } subscales[KETA_MAX_SUBSCALES];
    keta_domain_value domains[KETA_DOMAIN_COUNT];
    uint8_t n_alerts;
    keta_alert alerts[KETA_MAX_ALERTS];
    /* PCL-5 */
    int pcl5_cutoff;
    bool pcl5_valid; /* the two flags below are meaningful */
    bool pcl5_probable_ptsd;
    bool pcl5_provisional_dx;
    /* C-SSRS screener */
    bool has_risk;
    keta_risk risk;
    bool risk_is_lower_bound; /* incomplete: the risk can only go up as answers come in */
} keta_score;

/*
 * Score one response. items has n values, in item order, each an integer or
 * KETA_ITEM_MISSING. Fails (and fills err with the 1-based item) when n is
 * not a count the instrument accepts (KETA_ECOUNT), a value is out of its
 * item's range (KETA_ERANGE) or a question that the branching skips was
 * answered (KETA_ESKIP). An incomplete response is not an error: out->complete
 * is false and out->missing lists the items.
 * opt may be NULL for the defaults.
 */
keta_err keta_score_items(const keta_instrument *ins, const int16_t *items, size_t n,
                          const keta_score_options *opt, keta_score *out, keta_error *err);

/*
 * The JSON request/response codec used by `keta score` and the API.
 * request: {"items":[...], "options":{"pcl5_cutoff":N}}; values are integers
 * or null; C-SSRS answers are 0/1. Fails with the field path of the first
 * problem. On success *out is a new object (see docs/instruments.md).
 */
keta_err keta_score_json(const char *instrument_id, const json_t *request, json_t **out,
                         keta_error *err);

/*
 * keta_score_json with the caller's options as the base (NULL: defaults); the request's
 * "options" override them. The clinic passes the policy's suicide-item threshold here.
 */
keta_err keta_score_json_opt(const char *instrument_id, const json_t *request,
                             const keta_score_options *base, json_t **out, keta_error *err);

/* The same from text: parses with keta_json_parse (limits KETA_JSON_MAX_*). */
keta_err keta_score_text(const char *instrument_id, const char *text, size_t len, json_t **out,
                         keta_error *err);

/* Render a computed score as the JSON response object. */
keta_err keta_score_to_json(const keta_score *s, json_t **out);

/* ---- change between two scores --------------------------------------------------------------- */

typedef struct keta_outcome_options {
    int response_percent;  /* 0 = the instrument's default */
    bool remission_custom; /* use remission_max instead of the instrument's default */
    int remission_max;     /* remission when total <= remission_max */
} keta_outcome_options;

typedef struct keta_outcome {
    const keta_instrument *instrument;
    int baseline, current;
    int change; /* current - baseline */
    bool has_percent;
    double percent_change; /* 100 * change / baseline, rounded to 0.1; only if baseline > 0 */
    bool has_response_rule;
    bool response;
    int response_percent;
    const char *response_source;
    bool has_remission_rule;
    bool remission;
    keta_cmp remission_cmp;
    int remission_threshold;
    char remission_name[32]; /* e.g. "madrs_le_12", "phq9_lt_5", "custom_le_10" */
    const char *remission_source;
    const char *measure_name;    /* e.g. "nqf0710", or NULL */
    bool in_measure_denominator; /* baseline qualifies for the measure's denominator */
} keta_outcome;

/*
 * Classify the change from baseline to current on instrument ins: response
 * (>= response_percent % reduction), remission (total under the named rule).
 * Totals outside the instrument's range fail with KETA_ERANGE. opt may be NULL.
 */
keta_err keta_outcome_compute(const keta_instrument *ins, int baseline, int current,
                              const keta_outcome_options *opt, keta_outcome *out, keta_error *err);

/*
 * JSON codec for `keta outcome`: {"baseline":N,"current":N,
 * "definitions":{"response_percent":N,"remission_max":N}}.
 */
keta_err keta_outcome_json(const char *instrument_id, const json_t *request, json_t **out,
                           keta_error *err);
keta_err keta_outcome_text(const char *instrument_id, const char *text, size_t len, json_t **out,
                           keta_error *err);

/* The instrument table as JSON: an array of descriptor objects (for `keta instruments --json`). */
keta_err keta_instruments_json(json_t **out);

/* One descriptor as JSON. */
keta_err keta_instrument_to_json(const keta_instrument *ins, json_t **out);

#ifdef __cplusplus
}
#endif

#endif
