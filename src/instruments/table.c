/*
 * The instrument descriptor table. Domain knowledge is data: adding a scale
 * means adding a row here, and its golden cases under tests/golden/instruments.
 *
 * Sources: ../shared/reference/clinic.md §2 (items, totals, bands,
 * remission, licences, LOINC) and §2.1 (symptom areas). Where the reference
 * tags a fact [U], the row says so in its source string and docs/instruments.md.
 */
#include <string.h>

#include "internal.h"

/* Item ranges written out: R(n, v) repeats v n times. */
#define R2(v)  v, v
#define R4(v)  R2(v), R2(v)
#define R5(v)  R4(v), v
#define R7(v)  R4(v), R2(v), v
#define R9(v)  R4(v), R5(v)
#define R10(v) R5(v), R5(v)
#define R16(v) R4(v), R4(v), R4(v), R4(v)
#define R18(v) R9(v), R9(v)
#define R20(v) R10(v), R10(v)
#define R23(v) R20(v), R2(v), v

#define DOM(rule_, ...)                                                                        \
    {                                                                                          \
        .rule = (rule_), .n_items = sizeof((uint8_t[]){__VA_ARGS__}), .items = { __VA_ARGS__ } \
    }
#define ITEM(i) DOM(KETA_DOMAIN_SUM, i)

static const keta_instrument instruments[] = {
    {
        .id = "phq9",
        .name = "PHQ-9",
        .title = "Patient Health Questionnaire-9",
        .version = "1",
        .n_items = 10,
        .n_scored = 9,
        .optional_tail = true, /* item 10, functional difficulty (LOINC 69722-7), never scored */
        .item_min = {R10(0)},
        .item_max = {R10(3)},
        .has_total = true,
        .total_min = 0,
        .total_max = 27,
        .n_bands = 5,
        .bands = {{0, 4, "minimal"},
                  {5, 9, "mild"},
                  {10, 14, "moderate"},
                  {15, 19, "moderately_severe"},
                  {20, 27, "severe"}},
        .domains =
            {
                [KETA_DOMAIN_LOW_MOOD] = ITEM(2),
                [KETA_DOMAIN_ANHEDONIA] = ITEM(1),
                [KETA_DOMAIN_FATIGUE] = ITEM(4),
                [KETA_DOMAIN_CONCENTRATION] = ITEM(7),
                /* item 2 ("down, depressed, or hopeless") also speaks to hopelessness; it is
                   counted once, under low mood, and shown here as shared (clinic.md §2.1). */
                [KETA_DOMAIN_HOPELESSNESS] =
                    {.rule = KETA_DOMAIN_SUM, .n_items = 1, .items = {6}, .shared_item = 2},
                [KETA_DOMAIN_SUICIDAL_THOUGHTS] = ITEM(9),
                [KETA_DOMAIN_SLEEP] = ITEM(3),
                [KETA_DOMAIN_APPETITE] = ITEM(5),
            },
        .suicide_item = 9,
        .suicide_alert_min = 1,
        .suicide_rule = "suicide.phq9_item9_min",
        .remission_cmp = KETA_CMP_LT,
        .remission_threshold = 5,
        .remission_source = "NCQA/MNCM; NQF 0710 and 1884 (clinic.md §2)",
        /* NQF 0710 counts a patient whose index PHQ-9 is > 9 (clinic.md §6 scenario 15). */
        .measure_name = "nqf0710",
        .measure_baseline_min = 10,
        .response_percent = 50,
        .response_source = "NCQA/MNCM; NQF 0710 and 1884 (clinic.md §2)",
        .licence = KETA_LICENCE_FREE,
        .item_text_may_ship = true,
        .licence_note = "no permission needed to reproduce, translate, display or distribute",
        .loinc_panel = "44249-1",
        .loinc_total = "44261-6",
        .loinc_items = {"44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5",
                        "44253-3", "44260-8", "69722-7"},
        .item_labels = {"little interest or pleasure", "down, depressed or hopeless",
                        "sleep problems", "tired, little energy", "appetite",
                        "feeling bad about yourself", "trouble concentrating",
                        "moving or speaking slowly, or restless",
                        "thoughts of being better off dead or of self-harm",
                        "difficulty these problems caused (not scored)"},
        .source = "Kroenke 2001; bands LOINC LL382-3 (clinic.md §2)",
        .scorer = keta__score_sum,
    },
    {
        .id = "gad7",
        .name = "GAD-7",
        .title = "Generalized Anxiety Disorder-7",
        .version = "1",
        .n_items = 7,
        .n_scored = 7,
        .item_min = {R7(0)},
        .item_max = {R7(3)},
        .has_total = true,
        .total_min = 0,
        .total_max = 21,
        .n_bands = 4,
        .bands = {{0, 4, "minimal"}, {5, 9, "mild"}, {10, 14, "moderate"}, {15, 21, "severe"}},
        /* GAD-7 items do not map to the depressive symptom areas (clinic.md §2.1). */
        .remission_cmp = KETA_CMP_LT,
        .remission_threshold = 5,
        .remission_source = "keta default (issue #2); no formal GAD-7 remission rule was found "
                            "(clinic.md §2)",
        .response_percent = 50,
        .response_source = "convention: >= 50 % reduction from baseline",
        .licence = KETA_LICENCE_FREE,
        .item_text_may_ship = true,
        .licence_note = "as PHQ-9: no permission needed",
        .loinc_panel = "69737-5",
        .loinc_total = "70274-6",
        .loinc_items = {"69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8",
                        "69736-7"},
        .item_labels = {"nervous, anxious or on edge", "not able to stop or control worrying",
                        "worrying too much", "trouble relaxing",
                        "so restless it is hard to sit still", "easily annoyed or irritable",
                        "afraid something awful might happen"},
        .source = "Spitzer 2006; bands 5/10/15 (clinic.md §2)",
        .scorer = keta__score_sum,
    },
    {
        .id = "pcl5",
        .name = "PCL-5",
        .title = "PTSD Checklist for DSM-5",
        .version = "1",
        .n_items = 20,
        .n_scored = 20,
        .item_min = {R20(0)},
        .item_max = {R20(4)},
        .has_total = true,
        .total_min = 0,
        .total_max = 80,
        .n_subscales = 4,
        .subscales = {{"cluster_b_intrusion", 5, {1, 2, 3, 4, 5}},
                      {"cluster_c_avoidance", 2, {6, 7}},
                      {"cluster_d_cognition_mood", 7, {8, 9, 10, 11, 12, 13, 14}},
                      {"cluster_e_arousal_reactivity", 6, {15, 16, 17, 18, 19, 20}}},
        /* PCL-5 item numbers for these areas are [U] in clinic.md §2.1. */
        .domains =
            {
                [KETA_DOMAIN_ANHEDONIA] = ITEM(12),
                [KETA_DOMAIN_CONCENTRATION] = ITEM(19),
                [KETA_DOMAIN_SLEEP] = ITEM(20),
            },
        .licence = KETA_LICENCE_PUBLIC_DOMAIN,
        .item_text_may_ship = true,
        .licence_note = "US Government work, public domain",
        .loinc_panel = "101697-1",
        .loinc_total = "101698-9",
        .item_labels = {"intrusive memories",
                        "disturbing dreams",
                        "flashbacks",
                        "upset at reminders",
                        "physical reactions to reminders",
                        "avoiding memories, thoughts or feelings",
                        "avoiding external reminders",
                        "trouble remembering important parts",
                        "strong negative beliefs",
                        "blaming self or others",
                        "strong negative feelings",
                        "loss of interest in activities",
                        "feeling distant or cut off",
                        "trouble experiencing positive feelings",
                        "irritable or aggressive",
                        "risky or harmful behaviour",
                        "being superalert or watchful",
                        "jumpy or easily startled",
                        "difficulty concentrating",
                        "trouble falling or staying asleep"},
        .source = "Weathers 2013; clusters and provisional diagnosis rule (clinic.md §2)",
        .scorer = keta__score_pcl5,
    },
    {
        .id = "qids_sr16",
        .name = "QIDS-SR16",
        .title = "Quick Inventory of Depressive Symptomatology, Self-Report (16 items)",
        .version = "1",
        .n_items = 16,
        .n_scored = 16,
        .item_min = {R16(0)},
        .item_max = {R16(3)},
        .has_total = true,
        .total_min = 0,
        .total_max = 27,
        .n_bands = 5,
        .bands = {{0, 5, "none"},
                  {6, 10, "mild"},
                  {11, 15, "moderate"},
                  {16, 20, "severe"},
                  {21, 27, "very_severe"}},
        .n_subscales = 3,
        .subscales = {{"sleep_max", 4, {1, 2, 3, 4}},
                      {"appetite_weight_max", 4, {6, 7, 8, 9}},
                      {"psychomotor_max", 2, {15, 16}}},
        .domains =
            {
                [KETA_DOMAIN_LOW_MOOD] = ITEM(5),
                [KETA_DOMAIN_ANHEDONIA] = ITEM(13),
                [KETA_DOMAIN_FATIGUE] = ITEM(14),
                [KETA_DOMAIN_CONCENTRATION] = ITEM(10),
                [KETA_DOMAIN_HOPELESSNESS] = ITEM(11),
                [KETA_DOMAIN_SUICIDAL_THOUGHTS] = ITEM(12),
                [KETA_DOMAIN_SLEEP] = DOM(KETA_DOMAIN_MAX, 1, 2, 3, 4),
                [KETA_DOMAIN_APPETITE] = DOM(KETA_DOMAIN_MAX, 6, 7, 8, 9),
            },
        .suicide_item = 12,
        .suicide_alert_min = 1,
        .suicide_rule = "suicide.qids_sr16_item12_min",
        .remission_cmp = KETA_CMP_LE,
        .remission_threshold = 5,
        .remission_source = "STAR*D, Trivedi 2006 (clinic.md §2, secondary)",
        .response_percent = 50,
        .response_source = "convention: >= 50 % reduction from baseline (clinic.md §2, [U])",
        .licence = KETA_LICENCE_TERMS_UNCONFIRMED,
        .item_text_may_ship = false,
        .licence_note = "said to be freely available (ids-qids.org); exact terms not confirmed, so "
                        "keta ships scoring only",
        .item_labels = {"falling asleep", "sleep during the night", "waking up too early",
                        "sleeping too much", "feeling sad", "decreased appetite",
                        "increased appetite", "decreased weight", "increased weight",
                        "concentration and decision making", "view of myself",
                        "thoughts of death or suicide", "general interest", "energy level",
                        "feeling slowed down", "feeling restless"},
        .source = "Rush 2003 scoring: max of 1-4, 6-9 and 15-16 plus the other items (clinic.md "
                  "§2)",
        .scorer = keta__score_qids,
    },
    {
        .id = "hamd17",
        .name = "HAM-D 17",
        .title = "Hamilton Depression Rating Scale (17 items)",
        .version = "1",
        .n_items = 17,
        .n_scored = 17,
        .item_min = {R16(0), 0},
        /* 9 items 0-4 (1, 2, 3, 7, 8, 9, 10, 11, 15) and 8 items 0-2. */
        .item_max = {4, 4, 4, 2, 2, 2, 4, 4, 4, 4, 4, 2, 2, 2, 4, 2, 2},
        .has_total = true,
        .total_min = 0,
        .total_max = 52,
        .n_bands = 4,
        .bands = {{0, 7, "normal"}, {8, 16, "mild"}, {17, 23, "moderate"}, {24, 52, "severe"}},
        .domains =
            {
                [KETA_DOMAIN_LOW_MOOD] = ITEM(1),
                [KETA_DOMAIN_ANHEDONIA] = ITEM(7),
                [KETA_DOMAIN_FATIGUE] = ITEM(13),
                /* concentration: the reference offers only "(8 retardation [U])"; left out. */
                [KETA_DOMAIN_HOPELESSNESS] = ITEM(2),
                [KETA_DOMAIN_SUICIDAL_THOUGHTS] = ITEM(3),
                [KETA_DOMAIN_SLEEP] = DOM(KETA_DOMAIN_SUM, 4, 5, 6),
                [KETA_DOMAIN_APPETITE] = DOM(KETA_DOMAIN_MAX, 12, 16),
            },
        .suicide_item = 3,
        .suicide_alert_min = 1,
        .suicide_rule = "suicide.hamd17_item3_min",
        .remission_cmp = KETA_CMP_LE,
        .remission_threshold = 7,
        .remission_source = "Frank 1991 consensus (clinic.md §2)",
        .response_percent = 50,
        .response_source = "convention: >= 50 % reduction from baseline (clinic.md §2, [U])",
        .licence = KETA_LICENCE_PUBLIC_DOMAIN,
        .item_text_may_ship = true,
        .licence_note = "public domain (NINDS CDE)",
        .item_labels = {"depressed mood", "feelings of guilt", "suicide", "insomnia: early",
                        "insomnia: middle", "insomnia: late", "work and activities", "retardation",
                        "agitation", "anxiety: psychic", "anxiety: somatic",
                        "somatic symptoms: gastrointestinal", "somatic symptoms: general",
                        "genital symptoms", "hypochondriasis", "loss of weight", "insight"},
        .source = "Hamilton 1960; bands Zimmerman 2013 (clinic.md §2)",
        .scorer = keta__score_sum,
    },
    {
        .id = "madrs",
        .name = "MADRS",
        .title = "Montgomery-Asberg Depression Rating Scale",
        .version = "1",
        .n_items = 10,
        .n_scored = 10,
        .item_min = {R10(0)},
        .item_max = {R10(6)},
        .has_total = true,
        .total_min = 0,
        .total_max = 60,
        .n_bands = 4,
        .bands = {{0, 6, "normal"}, {7, 19, "mild"}, {20, 34, "moderate"}, {35, 60, "severe"}},
        .domains =
            {
                [KETA_DOMAIN_LOW_MOOD] = DOM(KETA_DOMAIN_SUM, 1, 2),
                [KETA_DOMAIN_ANHEDONIA] = ITEM(8),
                [KETA_DOMAIN_FATIGUE] = ITEM(7),
                [KETA_DOMAIN_CONCENTRATION] = ITEM(6),
                [KETA_DOMAIN_HOPELESSNESS] = ITEM(9),
                [KETA_DOMAIN_SUICIDAL_THOUGHTS] = ITEM(10),
                [KETA_DOMAIN_SLEEP] = ITEM(4),
                [KETA_DOMAIN_APPETITE] = ITEM(5),
            },
        .suicide_item = 10,
        .suicide_alert_min = 1,
        .suicide_rule = "suicide.madrs_item10_min",
        .remission_cmp = KETA_CMP_LE,
        .remission_threshold = 12,
        .remission_source = "PMC10769130; Calabrese (clinic.md §2)",
        .response_percent = 50,
        .response_source = "clinic.md §2",
        .licence = KETA_LICENCE_PERMISSION,
        .item_text_may_ship = false,
        .licence_note = "(c) Royal College of Psychiatrists; licence required: scoring only, the "
                        "clinic supplies the item text",
        .item_labels = {"apparent sadness", "reported sadness", "inner tension", "reduced sleep",
                        "reduced appetite", "concentration difficulties", "lassitude",
                        "inability to feel", "pessimistic thoughts", "suicidal thoughts"},
        .source = "Montgomery & Asberg 1979; bands Snaith (clinic.md §2)",
        .scorer = keta__score_sum,
    },
    {
        .id = "cssrs_screen",
        .name = "C-SSRS screener",
        .title = "Columbia Suicide Severity Rating Scale, screener",
        .version = "1",
        /* q1..q6, then q6 "within the past 3 months" (asked only when q6 is yes). */
        .n_items = 7,
        .n_scored = 7,
        .yes_no = true,
        .item_min = {R7(0)},
        .item_max = {R7(1)},
        .has_total = false,
        .domains = {[KETA_DOMAIN_SUICIDAL_THOUGHTS] = {.rule = KETA_DOMAIN_RISK_LEVEL}},
        .licence = KETA_LICENCE_PERMISSION,
        .item_text_may_ship = false,
        .licence_note = "(c) RFMH; electronic use needs a Clario sublicence: scoring only, the "
                        "clinic supplies the item text",
        .loinc_total = "93374-7", /* risk level */
        .loinc_items = {"93246-7", "93247-5", "93248-3", "93249-1", "93250-9", "93267-3",
                        "93269-9"},
        .item_labels = {"wish to be dead", "non-specific active suicidal thoughts",
                        "suicidal thoughts with method, without intent",
                        "suicidal intent without specific plan",
                        "suicidal intent with specific plan", "suicidal behaviour, lifetime",
                        "suicidal behaviour within the past 3 months"},
        .source = "Columbia triage (Rula, Blueprint, NINDS CDE) (clinic.md §2 and §6 scenario 12)",
        .scorer = keta__score_cssrs,
    },
    {
        .id = "cadss",
        .name = "CADSS",
        .title = "Clinician-Administered Dissociative States Scale (23-item version)",
        .version = "1",
        .n_items = 23,
        .n_scored = 23,
        .item_min = {R23(0)},
        .item_max = {R23(4)},
        .has_total = true,
        .total_min = 0,
        .total_max = 92,
        .n_subscales = 1,
        /* CADSS-6 short form (Rodrigues 2021). */
        .subscales = {{"cadss6", 6, {1, 2, 6, 7, 15, 22}}},
        .licence = KETA_LICENCE_TERMS_UNCONFIRMED,
        .item_text_may_ship = false,
        .licence_note = "licence not found: scoring only",
        .source = "Bremner 1998; 23-item version of ketamine studies, items 0-4 and 0-92 are [U] "
                  "(clinic.md §2)",
        .scorer = keta__score_sum,
    },
    {
        .id = "bprs",
        .name = "BPRS",
        .title = "Brief Psychiatric Rating Scale (18 items)",
        .version = "1",
        .n_items = 18,
        .n_scored = 18,
        .item_min = {R18(1)},
        .item_max = {R18(7)},
        .has_total = true,
        .total_min = 18,
        .total_max = 126,
        .n_subscales = 1,
        /* BPRS+ positive symptoms: conceptual disorganisation, suspiciousness,
           hallucinatory behaviour, unusual thought content. */
        .subscales = {{"positive", 4, {4, 11, 12, 15}}},
        .licence = KETA_LICENCE_PUBLIC_DOMAIN,
        .item_text_may_ship = true,
        .licence_note = "public domain",
        .item_labels = {"somatic concern", "anxiety", "emotional withdrawal",
                        "conceptual disorganisation", "guilt feelings", "tension",
                        "mannerisms and posturing", "grandiosity", "depressive mood", "hostility",
                        "suspiciousness", "hallucinatory behaviour", "motor retardation",
                        "uncooperativeness", "unusual thought content", "blunted affect",
                        "excitement", "disorientation"},
        .source = "Overall & Gorham 1962; 1-7 scale [U]; positive subscale (clinic.md §2)",
        .scorer = keta__score_sum,
    },
    {
        .id = "ybocs",
        .name = "Y-BOCS",
        .title = "Yale-Brown Obsessive Compulsive Scale (severity items)",
        .version = "1",
        .n_items = 10,
        .n_scored = 10,
        .item_min = {R10(0)},
        .item_max = {R10(4)},
        .has_total = true,
        .total_min = 0,
        .total_max = 40,
        .n_bands = 5,
        .bands = {{0, 7, "subclinical"},
                  {8, 15, "mild"},
                  {16, 23, "moderate"},
                  {24, 31, "severe"},
                  {32, 40, "extreme"}},
        .n_subscales = 2,
        .subscales = {{"obsessions", 5, {1, 2, 3, 4, 5}}, {"compulsions", 5, {6, 7, 8, 9, 10}}},
        .response_percent = 35,
        .response_source = ">= 35 % reduction (clinic.md §2, secondary)",
        .licence = KETA_LICENCE_PERMISSION,
        .item_text_may_ship = false,
        .licence_note = "(c) Goodman 1986; distribution not permitted without authorisation: "
                        "scoring only",
        .item_labels = {"obsessions: time", "obsessions: interference", "obsessions: distress",
                        "obsessions: resistance", "obsessions: control", "compulsions: time",
                        "compulsions: interference", "compulsions: distress",
                        "compulsions: resistance", "compulsions: control"},
        .source = "Goodman 1989; bands (clinic.md §2)",
        .scorer = keta__score_sum,
    },
};

size_t keta_instrument_count(void)
{
    return sizeof instruments / sizeof instruments[0];
}

const keta_instrument *keta_instrument_at(size_t i)
{
    return i < keta_instrument_count() ? &instruments[i] : NULL;
}

const keta_instrument *keta_instrument_find(const char *id)
{
    if (id == NULL)
        return NULL;
    for (size_t i = 0; i < keta_instrument_count(); i++)
        if (strcmp(instruments[i].id, id) == 0)
            return &instruments[i];
    return NULL;
}

const char *keta_domain_name(keta_domain d)
{
    static const char *const names[KETA_DOMAIN_COUNT] = {
        "low_mood",     "anhedonia",         "fatigue", "concentration",
        "hopelessness", "suicidal_thoughts", "sleep",   "appetite",
    };
    return (unsigned)d < KETA_DOMAIN_COUNT ? names[d] : "unknown";
}

const char *keta_licence_name(keta_licence l)
{
    switch (l) {
    case KETA_LICENCE_FREE:
        return "free";
    case KETA_LICENCE_PUBLIC_DOMAIN:
        return "public_domain";
    case KETA_LICENCE_TERMS_UNCONFIRMED:
        return "terms_unconfirmed";
    case KETA_LICENCE_PERMISSION:
        return "permission_required";
    }
    return "unknown";
}

const char *keta_risk_name(keta_risk r)
{
    switch (r) {
    case KETA_RISK_NONE:
        return "none";
    case KETA_RISK_LOW:
        return "low";
    case KETA_RISK_MODERATE:
        return "moderate";
    case KETA_RISK_HIGH:
        return "high";
    }
    return "unknown";
}
