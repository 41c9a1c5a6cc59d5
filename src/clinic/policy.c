/*
 * The clinic policy table: every rule with its default, range, unit and source.
 * Sources cite ../shared/reference/clinic.md by section; [U] marks a default that no
 * retrieved source fixes (clinic.md §7), which a clinic should review before going live.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define OFF(f) offsetof(keta_policy, f)
#define INT(id, f, def, lo, hi, unit, cmp, meaning, src)                            \
    {                                                                               \
        id, KETA_RULE_INT, OFF(f), def, lo, hi, NULL, NULL, unit, cmp, meaning, src \
    }
#define NUM(id, f, def, lo, hi, unit, cmp, meaning, src)                               \
    {                                                                                  \
        id, KETA_RULE_NUMBER, OFF(f), def, lo, hi, NULL, NULL, unit, cmp, meaning, src \
    }
#define BOOL(id, f, def, meaning, src)                                          \
    {                                                                           \
        id, KETA_RULE_BOOL, OFF(f), def, 0, 1, NULL, NULL, "", "", meaning, src \
    }
#define CHOICE(id, f, def, lo, hi, names, meaning, src)                              \
    {                                                                                \
        id, KETA_RULE_CHOICE, OFF(f), def, lo, hi, NULL, names, "", "", meaning, src \
    }
#define FIXED(id, meaning, src)                                           \
    {                                                                     \
        id, KETA_RULE_FIXED, 0, 0, 0, 0, NULL, NULL, "", "", meaning, src \
    }

/* One drug-library field of entry E (a string literal) at index IDX. */
#define DL(E, IDX, FIELD, def, lo, hi, unit, cmp, meaning, src) \
    NUM("drug_library." E "." #FIELD, drug_library[IDX].FIELD, def, lo, hi, unit, cmp, meaning, src)
#define DL_MGKG(E, IDX, smin, smax, hmax, src)                                                     \
    DL(E, IDX, soft_min_mg_per_kg, smin, 0, 2, "mg/kg", "<",                                       \
       "dose below this warns and needs a reason (0: no lower limit)", src),                       \
        DL(E, IDX, soft_max_mg_per_kg, smax, 0.05, 10, "mg/kg", ">",                               \
           "dose above this warns and needs a documented reason", src),                            \
        DL(E, IDX, hard_max_mg_per_kg, hmax, 0.05, 10, "mg/kg", ">", "dose above this is refused", \
           src)
#define DL_MG(E, IDX, smax, hmax, src)                                    \
    DL(E, IDX, soft_max_mg, smax, 1, 1000, "mg", ">",                     \
       "total dose above this warns and needs a documented reason", src), \
        DL(E, IDX, hard_max_mg, hmax, 1, 1000, "mg", ">", "total dose above this is refused", src)
#define DL_RATE(E, IDX, smax, hmax, src)                                         \
    DL(E, IDX, soft_max_rate_mg_per_kg_per_h, smax, 0.1, 20, "mg/kg/h", ">",     \
       "infusion rate above this warns and needs a documented reason", src),     \
        DL(E, IDX, hard_max_rate_mg_per_kg_per_h, hmax, 0.1, 20, "mg/kg/h", ">", \
           "infusion rate above this is refused", src)

static const char *const nausea_names[] = {"none", "minimal", "moderate", "severe", NULL};
static const char *const risk_names[] = {"none", "low", "moderate", "high", NULL};

#define U_DEFAULT "keta default [U]: no retrieved source sets a number (clinic.md §7)"

static const keta_policy_rule rules[] = {
    /* ---- blood pressure ---- */
    INT("bp.review_systolic_mmhg", bp.review_systolic_mmhg, 140, 100, 220, "mmHg", ">",
        "pre-dose systolic above this needs a prescriber's documented review before dosing (not "
        "an automatic hold)",
        "clinic.md §1.1 (>140/90 evaluate, attributed to Sanacora 2017 [U]); §1.4 clinic rule "
        "[S]; §1.6 esketamine label >140/90 caution [S->label]"),
    INT("bp.review_diastolic_mmhg", bp.review_diastolic_mmhg, 90, 60, 140, "mmHg", ">",
        "pre-dose diastolic above this needs a prescriber's documented review before dosing",
        "clinic.md §1.1 [U]; §1.4 [S]; §1.6 [S->label]"),
    INT("bp.hold_systolic_mmhg", bp.hold_systolic_mmhg, 180, 120, 250, "mmHg", ">=",
        "systolic at or above this alerts nurse and prescriber and pauses dosing pending a "
        "decision; the session cannot close until it is resolved",
        "clinic.md §6 scenario 3 (configured >=180 systolic); §1.1 180/100 hold [U: attributed to "
        "Sanacora 2017]; Yip 2022 'aggressive approach' [V]"),
    INT("bp.hold_diastolic_mmhg", bp.hold_diastolic_mmhg, 100, 70, 150, "mmHg",
        ">=", "diastolic at or above this alerts and pauses dosing pending a decision",
        "clinic.md §6 scenario 3 (>=100-110 diastolic; keta takes the lower bound); §1.1 [U]"),
    INT("bp.rise_alert_systolic_mmhg", bp.rise_alert_systolic_mmhg, 40, 10, 100, "mmHg",
        ">=", "a systolic rise from the pre-dose baseline of at least this alerts",
        "clinic.md §1.6 label ISI (>=40 mmHg systolic rises in 8-19% on esketamine)"),
    INT("bp.rise_alert_diastolic_mmhg", bp.rise_alert_diastolic_mmhg, 25, 5, 60, "mmHg",
        ">=", "a diastolic rise from the pre-dose baseline of at least this alerts",
        "clinic.md §1.6 label ISI (>=25 mmHg diastolic rises)"),
    INT("bp.low_alert_systolic_mmhg", bp.low_alert_systolic_mmhg, 90, 60, 120, "mmHg",
        "<=", "systolic at or below this alerts (hypotension)", U_DEFAULT),
    INT("bp.recheck_after_alert_min", bp.recheck_after_alert_min, 5, 1, 30, "min", "",
        "after a BP alert or hold, a repeat BP is due within this many minutes",
        "clinic.md §6 scenario 3 (repeat BP within a configurable interval); number [U]"),
    INT("bp.interval_during_min", bp.interval_during_min, 10, 5, 30, "min", ">",
        "during dosing a BP older than this is overdue",
        "clinic.md §1.4 Dunlop 2018 and Yale 2024 (BP every 10 min)"),
    INT("bp.interval_after_min", bp.interval_after_min, 15, 5, 60, "min", ">",
        "after dosing until discharge a BP older than this is overdue",
        "clinic.md §1.4 Dunlop 2018 (every 15 min after)"),
    /* ---- heart rate, oxygen, breathing, sedation, dissociation ---- */
    INT("hr.hold_bpm", hr.hold_bpm, 110, 80, 200, "/min",
        ">=", "heart rate at or above this alerts and pauses dosing pending a decision",
        "clinic.md §1.1 (HR >110 stop/hold, attributed to Sanacora 2017 [U])"),
    INT("hr.low_alert_bpm", hr.low_alert_bpm, 50, 30, 70, "/min",
        "<=", "heart rate at or below this alerts (bradycardia)", U_DEFAULT),
    INT("spo2.alert_pct", spo2.alert_pct, 94, 85, 99, "%", "<=", "SpO2 at or below this alerts",
        "clinic.md §1.6 (pulse oximetry; respiratory depression) and §1.7 REMS; number [U]"),
    INT("spo2.hold_pct", spo2.hold_pct, 90, 75, 98, "%",
        "<=", "SpO2 at or below this pauses dosing and calls the prescriber",
        "clinic.md §1.6; number [U]"),
    INT("rr.alert_per_min", rr.alert_per_min, 10, 4, 16, "/min", "<=",
        "respiratory rate at or below this alerts", "clinic.md §1.6 respiratory depression; [U]"),
    INT("rr.hold_per_min", rr.hold_per_min, 8, 4, 14, "/min",
        "<=", "respiratory rate at or below this pauses dosing and calls the prescriber",
        "clinic.md §1.6; number [U]"),
    INT("sedation.alert_moaas", sedation.alert_moaas, 3, 0, 4, "MOAA/s",
        "<=", "MOAA/s at or below this alerts (5 = responds readily to name)",
        "clinic.md §1.6 (sedation by MOAA/s in 48-61%); number [U]"),
    INT("sedation.hold_moaas", sedation.hold_moaas, 1, 0, 4, "MOAA/s", "<=",
        "MOAA/s at or below this pauses dosing and calls the prescriber (0 = loss of "
        "consciousness)",
        "clinic.md §1.6 (loss of consciousness 0.3-0.4%); number [U]"),
    INT("dissociation.alert_cadss", dissociation.alert_cadss, 40, 1, 92, "CADSS", ">=",
        "CADSS at or above this alerts", "clinic.md §1.6 (CADSS), §2 (23-item 0-92 [U]); [U]"),
    /* ---- discharge ---- */
    INT("discharge.observe_after_iv_min", discharge.observe_after_iv_min, 30, 0, 240, "min", "<",
        "minimum observation after the end of an IV infusion before discharge",
        "clinic.md §6 scenario 17 (discharge 30 min after the end); §1.9"),
    INT("discharge.observe_after_im_min", discharge.observe_after_im_min, 30, 0, 240, "min", "<",
        "minimum observation after an IM or SC injection",
        "clinic.md §1.5 (~30 min after IM, northruppsychiatry.com [S])"),
    INT("discharge.observe_after_oral_min", discharge.observe_after_oral_min, 60, 0, 360, "min",
        "<", "minimum observation after an in-clinic oral or sublingual dose", U_DEFAULT),
    INT("discharge.bp_return_systolic_mmhg", discharge.bp_return_systolic_mmhg, 20, 5, 60, "mmHg",
        ">", "the last systolic must be within this of baseline",
        "clinic.md §1.9 RCEM (vital signs back to baseline); §6 scenario 17; number [U]"),
    INT("discharge.bp_return_diastolic_mmhg", discharge.bp_return_diastolic_mmhg, 15, 5, 40, "mmHg",
        ">", "the last diastolic must be within this of baseline",
        "clinic.md §1.9 RCEM; number [U]"),
    INT("discharge.min_moaas", discharge.min_moaas, 5, 3, 5, "MOAA/s", "<",
        "MOAA/s must be at least this (back to pre-treatment verbalization and awareness)",
        "clinic.md §1.2 and §1.9 ACEP 2011"),
    BOOL("discharge.require_escort", discharge.require_escort, 1,
         "a responsible adult escort must be recorded; without one discharge is blocked and the "
         "prescriber notified",
         "clinic.md §1.9 RCEM; §6 scenario 17"),
    CHOICE("discharge.max_nausea", discharge.max_nausea, KETA_NAUSEA_MINIMAL, 0, 3, nausea_names,
           "the most nausea that still allows discharge", "clinic.md §1.9 RCEM (minimal nausea)"),
    INT("discharge.no_driving_h", discharge.no_driving_h, 24, 12, 72, "h", "",
        "discharge instructions: no driving for this long (esketamine: until the next day after "
        "restful sleep)",
        "clinic.md §1.9 nervanamedical.com [S]; §1.6 label"),
    INT("discharge.no_decisions_h", discharge.no_decisions_h, 24, 0, 72, "h", "",
        "discharge instructions: no important decisions for this long",
        "clinic.md §1.9 nervanamedical.com [S]"),
    INT("discharge.avoid_opioids_benzodiazepines_h", discharge.avoid_opioids_benzodiazepines_h, 4,
        0, 48, "h", "", "discharge instructions: avoid opioids and benzodiazepines for this long",
        "clinic.md §1.9 nervanamedical.com [S]"),
    INT("discharge.avoid_alcohol_cannabis_h", discharge.avoid_alcohol_cannabis_h, 24, 0, 72, "h",
        "", "discharge instructions: avoid alcohol and cannabis for this long",
        "clinic.md §1.9 nervanamedical.com [S]"),
    /* ---- esketamine REMS ---- */
    INT("rems.min_monitoring_min", rems.min_monitoring_min, 120, 120, 480, "min", "<",
        "monitoring from the first device to discharge lasts at least this (the REMS floor is 120)",
        "clinic.md §1.7 REMS (>=2 h and until resolution); §6 scenario 7"),
    INT("rems.bp_check_min", rems.bp_check_min, 40, 30, 60, "min", "",
        "the post-dose BP is due this long after the first device",
        "clinic.md §1.6 label (reassess ~40 min after); §1.7 PMF; §6 scenario 7"),
    INT("rems.bp_check_window_min", rems.bp_check_window_min, 10, 0, 20, "min", "",
        "a BP this close to the due time counts as the post-dose BP", U_DEFAULT),
    INT("rems.pre_dose_bp_max_age_min", rems.pre_dose_bp_max_age_min, 60, 5, 240, "min", ">",
        "the pre-dose BP must be taken at most this long before the first device", U_DEFAULT),
    INT("rems.pre_discharge_bp_max_age_min", rems.pre_discharge_bp_max_age_min, 15, 5, 60, "min",
        ">", "the pre-discharge BP must be at most this old at discharge", U_DEFAULT),
    INT("rems.device_interval_min", rems.device_interval_min, 5, 5, 15, "min", "<",
        "minimum wait between nasal devices", "clinic.md §1.6 label (wait 5 min between devices)"),
    INT("rems.form_due_days", rems.form_due_days, 7, 1, 7, "days", ">",
        "the REMS patient monitoring form is due this many calendar days after the session",
        "clinic.md §1.7 (submit within 7 days; calendar days per lucido-go [S]); §6 scenario 8"),
    BOOL("rems.require_pulse_oximetry", rems.require_pulse_oximetry, 1,
         "pulse-oximetry readings are required during esketamine monitoring",
         "clinic.md §1.6 (monitor respiratory status including pulse oximetry), §1.7, §6 "
         "scenario 7"),
    INT("rems.caution_systolic_mmhg", rems.caution_systolic_mmhg, 140, 120, 200, "mmHg", ">",
        "pre-dose systolic above this: administration only after the prescriber documents the "
        "risk/benefit judgment",
        "clinic.md §1.6 label §2 via droracle [S->label]; §6 scenario 6"),
    INT("rems.caution_diastolic_mmhg", rems.caution_diastolic_mmhg, 90, 70, 120, "mmHg", ">",
        "pre-dose diastolic above this: as rems.caution_systolic_mmhg",
        "clinic.md §1.6 [S->label]; §6 scenario 6"),
    INT("rems.elderly_age_y", rems.elderly_age_y, 65, 60, 90, "years",
        ">=", "from this age the esketamine day-1 dose is 28 mg",
        "clinic.md §1.6 (MIMS Hong Kong label >=65 start 28 mg; US label not verified [U])"),
    /* ---- eligibility, escalation ---- */
    INT("eligibility.min_age_y", eligibility.min_age_y, 18, 0, 30, "years", "<",
        "patients younger than this are not eligible",
        "clinic.md §1.6 (esketamine: adults); §6 scenario 1 (adult)"),
    INT("eligibility.trd_min_failed_trials", eligibility.trd_min_failed_trials, 2, 1, 6, "trials",
        ">=", "treatment resistance: at least this many adequate antidepressant trials failed",
        "common TRD definition [U: not in clinic.md]; §6 scenario 1 (3 failed trials)"),
    INT("escalation.after_session", escalation.after_session, 3, 2, 6, "session", "",
        "non-response is assessed after this infusion; escalation applies to the rest",
        "clinic.md §1.3 Cusin 2017 (infusions 1-3 then 4-6); §6 scenario 2"),
    INT("escalation.nonresponse_percent", escalation.nonresponse_percent, 50, 10, 90, "%", "<",
        "a PHQ-9 drop from baseline below this is non-response",
        "clinic.md §6 scenario 2; §2 (response >=50% drop)"),
    NUM("escalation.mg_per_kg", escalation.mg_per_kg, 0.75, 0.5, 1.0, "mg/kg", "",
        "escalated dose offered (prescriber approval required; never automatic)",
        "clinic.md §1.3 Cusin 2017 (0.75 mg/kg over 45 min); §6 scenario 2"),
    INT("escalation.duration_min", escalation.duration_min, 45, 40, 100, "min", "",
        "duration of an escalated infusion", "clinic.md §1.3 Cusin 2017"),
    /* ---- outcomes ---- */
    INT("outcome.response_percent", outcome.response_percent, 50, 20, 90, "%",
        ">=", "response: a drop from baseline of at least this",
        "clinic.md §2 (PHQ-9 NCQA/MNCM; MADRS; HAM-D and QIDS by convention [U])"),
    INT("outcome.phq9_remission_max", outcome.phq9_remission_max, 4, 0, 9, "PHQ-9", "<=",
        "PHQ-9 remission: total at or below this (<5)", "clinic.md §2 (NQF 0710/1884); §6 sc. 15"),
    INT("outcome.gad7_remission_max", outcome.gad7_remission_max, 4, 0, 9, "GAD-7",
        "<=", "GAD-7 remission: total at or below this",
        "keta instruments default; clinic.md §2 found no formal rule [U]"),
    INT("outcome.qids_sr16_remission_max", outcome.qids_sr16_remission_max, 5, 0, 10, "QIDS", "<=",
        "QIDS-SR16 remission: total at or below this", "clinic.md §2 (STAR*D, Trivedi 2006 [S])"),
    INT("outcome.hamd17_remission_max", outcome.hamd17_remission_max, 7, 0, 12, "HAM-D",
        "<=", "HAM-D 17 remission: total at or below this", "clinic.md §2 (Frank 1991)"),
    INT("outcome.madrs_remission_max", outcome.madrs_remission_max, 12, 0, 20, "MADRS",
        "<=", "MADRS remission: total at or below this",
        "clinic.md §2 (PMC10769130 <=12; <=10 variant [U]); §6 scenario 14"),
    INT("relapse.phq9_min", relapse.phq9_min, 10, 5, 27, "PHQ-9",
        ">=", "after remission, PHQ-9 at or above this counts towards a possible relapse",
        "clinic.md §6 scenario 16 (configurable); PHQ-9 moderate band from §2 [U]"),
    INT("relapse.qids_sr16_min", relapse.qids_sr16_min, 11, 6, 27, "QIDS",
        ">=", "as relapse.phq9_min for QIDS-SR16", "QIDS moderate band, clinic.md §2 [U]"),
    INT("relapse.hamd17_min", relapse.hamd17_min, 17, 8, 52, "HAM-D",
        ">=", "as relapse.phq9_min for HAM-D 17", "HAM-D moderate band, clinic.md §2 [U]"),
    INT("relapse.madrs_min", relapse.madrs_min, 20, 7, 60, "MADRS",
        ">=", "as relapse.phq9_min for MADRS", "MADRS moderate band, clinic.md §2 [U]"),
    INT("relapse.consecutive", relapse.consecutive, 2, 1, 6, "scores", ">=",
        "this many consecutive scores at or above the relapse threshold flag a possible relapse",
        "clinic.md §6 scenario 16 (configurable); number [U]"),
    /* ---- suicidality, crisis text ---- */
    INT("suicide.phq9_item9_min", suicide.phq9_item9_min, 1, 1, 3, "item", ">=",
        "PHQ-9 item 9 at or above this: clinician alert, C-SSRS screen before the next dose, "
        "crisis text",
        "clinic.md §2 (any answer above 'not at all' calls for a structured assessment [S]); §6 "
        "scenario 11"),
    INT("suicide.qids_sr16_item12_min", suicide.qids_sr16_item12_min, 1, 1, 3, "item",
        ">=", "QIDS-SR16 item 12 at or above this: as suicide.phq9_item9_min",
        "clinic.md §2.1 (item 12 = suicidal thoughts); threshold [U]"),
    INT("suicide.hamd17_item3_min", suicide.hamd17_item3_min, 1, 1, 4, "item",
        ">=", "HAM-D item 3 at or above this: as suicide.phq9_item9_min",
        "clinic.md §2.1 (item 3 = suicide); threshold [U]"),
    INT("suicide.madrs_item10_min", suicide.madrs_item10_min, 1, 1, 6, "item",
        ">=", "MADRS item 10 at or above this: as suicide.phq9_item9_min",
        "clinic.md §2.1 (item 10 = suicidal thoughts); threshold [U]"),
    CHOICE("suicide.cssrs_hold_risk", suicide.cssrs_hold_risk, 3, 2, 3, risk_names,
           "C-SSRS screener risk at or above this holds dosing until a prescriber records a "
           "safety assessment",
           "clinic.md §6 scenario 12 (high risk blocks dosing)"),
    {"crisis.text", KETA_RULE_TEXT, OFF(crisis.text), 0, 1, KETA_POLICY_TEXT_MAX - 1,
     "If you are thinking about suicide or are in crisis, call or text 988 (Suicide and Crisis "
     "Lifeline, US) now, or go to the nearest emergency department.",
     NULL, "", "", "crisis text shown to the patient when a suicide item alerts",
     "clinic.md §6 scenario 11 (e.g. 988 in the US); §3 CamCOPS #382"},
    /* ---- at-home programmes ---- */
    INT("home.hold_systolic_mmhg", home.hold_systolic_mmhg, 140, 110, 200, "mmHg", ">",
        "home check-in systolic above this: do not take today's dose pending clinician contact",
        "clinic.md §1.8 (FDA 2023: no onsite monitoring at home), same as bp.review (§1.1, §1.6); "
        "§6 scenario 20"),
    INT("home.hold_diastolic_mmhg", home.hold_diastolic_mmhg, 90, 60, 130, "mmHg", ">",
        "home check-in diastolic above this: do not take today's dose",
        "clinic.md §1.8; §6 scenario 20"),
    INT("home.checkin_max_age_h", home.checkin_max_age_h, 24, 1, 48, "h", ">",
        "a home dose needs a check-in no older than this", "clinic.md §1.8 (daily check-ins)"),
    /* ---- maintenance ---- */
    INT("maintenance.start_interval_days", maintenance.start_interval_days, 14, 7, 56, "days", "",
        "first maintenance interval after induction",
        "[U] keta default, before the median 18 days to relapse (clinic.md §1.3 Murrough 2013; "
        "Andrade 2017: dose before the effect wears off)"),
    INT("maintenance.min_interval_days", maintenance.min_interval_days, 7, 1, 28, "days", "",
        "shortest interval the suggestion offers", U_DEFAULT),
    INT("maintenance.max_interval_days", maintenance.max_interval_days, 56, 14, 180, "days", "",
        "longest interval the suggestion offers", U_DEFAULT),
    INT("maintenance.step_days", maintenance.step_days, 7, 1, 28, "days", "",
        "the interval is lengthened or shortened by this", U_DEFAULT),
    INT("maintenance.stable_checks", maintenance.stable_checks, 3, 1, 12, "scores",
        ">=", "this many consecutive scores in remission suggest a longer interval", U_DEFAULT),
    /* ---- patient self-report links, emergency access ---- */
    INT("self_report.link_expiry_h", self_report.link_expiry_h, 72, 1, 336, "h", ">",
        "a one-time self-report link (a questionnaire answered from home) expires this long "
        "after it is made",
        "[U] keta default: no retrieved source sets a number (clinic.md §6 scenario 11: PHQ-9 "
        "submitted from home; §7)"),
    INT("break_glass.max_min", break_glass.max_min, 60, 5, 720, "min", ">",
        "the longest time a break-glass (emergency access) declaration for one patient lasts",
        "[U] keta default; clinic.md §5 (HIPAA 164.312(a) emergency access procedure; OpenEMR "
        "break-glass users always logged) and §6 scenario 18"),
    /* ---- drug library ---- */
    DL_MGKG("ketamine_iv", KETA_DR_KETAMINE_IV, 0.1, 0.75, 1.0,
            "clinic.md §1.3 (0.5 standard; 0.1-0.75 Andrade 2017; 0.75 Cusin 2017; 1.0 only as a "
            "trial arm, Fava 2018 [U])"),
    DL_MG("ketamine_iv", KETA_DR_KETAMINE_IV, 100, 150, U_DEFAULT),
    DL_RATE("ketamine_iv", KETA_DR_KETAMINE_IV, 1.5, 3.0,
            "[U] keta default: 1.5 = 1.0 mg/kg over 40 min; 3.0 = 0.5 mg/kg over 10 min "
            "(clinic.md §1.3: 0.5 mg/kg over 40 min is the standard)"),
    DL_MGKG("ketamine_im", KETA_DR_KETAMINE_IM, 0.1, 0.75, 1.0,
            "clinic.md §1.5 (no psychiatric IM standard; analgesic 0.5-1 mg/kg, PMC6020109) [U]"),
    DL_MG("ketamine_im", KETA_DR_KETAMINE_IM, 100, 150, U_DEFAULT),
    DL_MGKG("ketamine_sc", KETA_DR_KETAMINE_SC, 0.1, 0.75, 1.0, "clinic.md §1.5 (as IM) [U]"),
    DL_MG("ketamine_sc", KETA_DR_KETAMINE_SC, 100, 150, U_DEFAULT),
    DL_MGKG("ketamine_oral", KETA_DR_KETAMINE_ORAL, 0.25, 3.0, 7.0,
            "clinic.md §1.5 (oral 0.25-7.0 mg/kg; 2.0-2.5 mg/kg ~ IV exposure, Andrade 2017)"),
    DL_MG("ketamine_oral", KETA_DR_KETAMINE_ORAL, 200, 300,
          "clinic.md §1.5 (fixed oral doses 25-300 mg, Andrade 2017); soft limit [U]"),
    DL_MGKG("ketamine_sublingual", KETA_DR_KETAMINE_SUBLINGUAL, 0.1, 2.0, 7.0,
            "clinic.md §1.5 and §1.8 (~25% bioavailability) [U]"),
    DL_MG("ketamine_sublingual", KETA_DR_KETAMINE_SUBLINGUAL, 120, 300,
          "clinic.md §1.8 (daily troches 10-120 mg, Joyous [V vendor]); §1.5 (up to 300 mg)"),
    DL_MG("esketamine_intranasal", KETA_DR_ESKETAMINE_INTRANASAL, 84, 84,
          "clinic.md §1.6 label (56 or 84 mg)"),
    /* ---- fixed rules: set by a label, the REMS or a protocol ---- */
    FIXED("rems.patient_enrollment",
          "an outpatient esketamine session needs the patient's REMS enrollment on file before "
          "administration (hard stop)",
          "clinic.md §1.7 (spravatorems.com: enroll before first treatment); §6 scenario 5"),
    FIXED("rems.bp_serious_risk",
          "no esketamine when the prescriber attests that a BP or intracranial-pressure rise poses "
          "a serious risk",
          "clinic.md §1.6 label; §6 scenario 6"),
    FIXED("rems.form_required_field",
          "the REMS patient monitoring form cannot be final while a required field is empty",
          "clinic.md §1.7 (PMF 11/2021 required fields); §6 scenario 8"),
    FIXED("rems.form_total_time",
          "the form's total time runs from the first device to the end of monitoring",
          "clinic.md §1.7 PMF; §6 scenario 7"),
    FIXED("rems.form_overdue", "a REMS form not submitted by its due date is overdue",
          "clinic.md §1.7; §6 scenario 8"),
    FIXED("label.esketamine.device_28mg", "esketamine doses are whole 28 mg devices",
          "clinic.md §1.6 (28 mg per device)"),
    FIXED("label.esketamine.day1_dose",
          "esketamine day 1 is 56 mg (28 mg from rems.elderly_age_y); 84 mg is not selectable",
          "clinic.md §1.6 label; §6 scenario 5"),
    FIXED("label.esketamine.84mg_after_56mg", "84 mg only after an initial 56 mg dose",
          "clinic.md §1.6 label"),
    FIXED("label.esketamine.mdsi_dose",
          "MDD with acute suicidal ideation: 84 mg twice weekly for 4 weeks, 56 mg for "
          "tolerability; beyond 4 weeks not systematically evaluated",
          "clinic.md §1.6 (spravatohcp.com/mdsi)"),
    FIXED("label.esketamine.maintenance_interval",
          "from week 9 esketamine is given weekly or every 2 weeks", "clinic.md §1.6 label"),
    FIXED("protocol.escalation_prescriber_approval",
          "a dose escalation is only offered; it needs a prescriber's approval and is never "
          "automatic (no step to 1.0 mg/kg without an explicit order)",
          "clinic.md §6 scenario 2; §1.3"),
    FIXED("protocol.esketamine_end_of_induction",
          "evaluate benefit at the end of the esketamine induction (week 4)",
          "clinic.md §1.6 label; §6 scenario 9"),
    FIXED("protocol.missed_session",
          "after a missed session the schedule continues; if the score worsened, a return to the "
          "previous frequency is offered",
          "clinic.md §1.6 (nursing drug guide [S]); §6 scenario 9"),
    FIXED("monitor.unresolved_hold",
          "a session cannot close while a hold is unresolved (no decision recorded)",
          "clinic.md §6 scenario 3"),
    FIXED("monitor.bp_overdue", "a BP is overdue by bp.interval_during_min / bp.interval_after_min",
          "clinic.md §1.4 Dunlop 2018"),
    FIXED("discharge.alert_oriented",
          "discharge needs the patient alert and oriented (pre-treatment awareness)",
          "clinic.md §1.9 ACEP 2011, RCEM"),
    FIXED("discharge.vitals_required", "discharge needs a vital-sign set after dosing",
          "clinic.md §1.9"),
    FIXED("home.checkin_required", "each home dose needs a check-in with a blood pressure first",
          "clinic.md §1.8 (daily check-ins; BP monitor sent home, Mindbloom [V vendor])"),
    FIXED("home.side_effects",
          "a reported serious side effect (breathing problems, excessive sedation, distressing "
          "dissociation, urinary symptoms): do not take the dose pending clinician contact",
          "clinic.md §1.8 (FDA 2023 case of slowed breathing; daily side-effect check-ins); §1.1 "
          "cystitis"),
};

size_t clinic__policy_table_count(void)
{
    return sizeof rules / sizeof rules[0];
}

/* The policy table, then the eligibility findings' rules (eligibility.c). */
size_t keta_policy_rule_count(void)
{
    return clinic__policy_table_count() + clinic__eligibility_rule_count();
}

const keta_policy_rule *keta_policy_rule_at(size_t i)
{
    if (i < clinic__policy_table_count())
        return &rules[i];
    return clinic__eligibility_rule_at(i - clinic__policy_table_count());
}

const keta_policy_rule *keta_policy_rule_find(const char *id)
{
    if (id == NULL)
        return NULL;
    for (size_t i = 0; i < clinic__policy_table_count(); i++)
        if (strcmp(rules[i].id, id) == 0)
            return &rules[i];
    return clinic__eligibility_rule_find(id);
}

const char *keta_drug_route_name(keta_drug_route dr)
{
    static const char *const names[KETA_DR_COUNT] = {
        "ketamine_iv",   "ketamine_im",         "ketamine_sc",
        "ketamine_oral", "ketamine_sublingual", "esketamine_intranasal"};
    return (unsigned)dr < KETA_DR_COUNT ? names[dr] : NULL;
}

void clinic__policy_set(keta_policy *p, const keta_policy_rule *r, double v)
{
    char *base = (char *)p + r->offset;
    switch (r->type) {
    case KETA_RULE_INT:
    case KETA_RULE_CHOICE: {
        int iv = (int)v;
        memcpy(base, &iv, sizeof iv);
        break;
    }
    case KETA_RULE_NUMBER:
        memcpy(base, &v, sizeof v);
        break;
    case KETA_RULE_BOOL: {
        bool bv = v != 0;
        memcpy(base, &bv, sizeof bv);
        break;
    }
    case KETA_RULE_TEXT:
    case KETA_RULE_FIXED:
        break;
    }
}

double clinic__policy_value(const keta_policy *p, const keta_policy_rule *r)
{
    const char *base = (const char *)p + r->offset;
    switch (r->type) {
    case KETA_RULE_INT:
    case KETA_RULE_CHOICE: {
        int iv;
        memcpy(&iv, base, sizeof iv);
        return iv;
    }
    case KETA_RULE_NUMBER: {
        double dv;
        memcpy(&dv, base, sizeof dv);
        return dv;
    }
    case KETA_RULE_BOOL: {
        bool bv;
        memcpy(&bv, base, sizeof bv);
        return bv ? 1 : 0;
    }
    case KETA_RULE_TEXT:
    case KETA_RULE_FIXED:
        break;
    }
    return 0;
}

void keta_policy_init(keta_policy *p)
{
    memset(p, 0, sizeof *p);
    (void)snprintf(p->name, sizeof p->name, "keta-default");
    for (size_t i = 0; i < clinic__policy_table_count(); i++) {
        const keta_policy_rule *r = &rules[i];
        if (r->type == KETA_RULE_TEXT)
            (void)snprintf((char *)p + r->offset, KETA_POLICY_TEXT_MAX, "%s", r->def_text);
        else if (r->type != KETA_RULE_FIXED)
            clinic__policy_set(p, r, r->def);
    }
}

keta_err keta_policy_get(const keta_policy *p, const char *id, double *out)
{
    const keta_policy_rule *r = keta_policy_rule_find(id);
    if (r == NULL)
        return KETA_ENOTFOUND;
    if (r->type == KETA_RULE_TEXT || r->type == KETA_RULE_FIXED)
        return KETA_ETYPE;
    *out = clinic__policy_value(p, r);
    return KETA_OK;
}

int keta_policy_suicide_item_min(const keta_policy *p, const char *instrument_id, const char **rule)
{
    static const struct {
        const char *instrument, *rule;
        size_t offset;
    } items[] = {
        {"phq9", "suicide.phq9_item9_min", OFF(suicide.phq9_item9_min)},
        {"qids_sr16", "suicide.qids_sr16_item12_min", OFF(suicide.qids_sr16_item12_min)},
        {"hamd17", "suicide.hamd17_item3_min", OFF(suicide.hamd17_item3_min)},
        {"madrs", "suicide.madrs_item10_min", OFF(suicide.madrs_item10_min)},
    };
    for (size_t i = 0; instrument_id != NULL && i < sizeof items / sizeof items[0]; i++) {
        if (strcmp(items[i].instrument, instrument_id) == 0) {
            int v;
            memcpy(&v, (const char *)p + items[i].offset, sizeof v);
            if (rule != NULL)
                *rule = items[i].rule;
            return v;
        }
    }
    if (rule != NULL)
        *rule = NULL;
    return 0;
}

/* One relation between two rules: value(a) must be <= value(b). */
typedef struct {
    const char *a, *b;
} rule_order;

keta_err keta_policy_validate(const keta_policy *p, keta_error *err)
{
    static const rule_order orders[] = {
        {"bp.review_systolic_mmhg", "bp.hold_systolic_mmhg"},
        {"bp.review_diastolic_mmhg", "bp.hold_diastolic_mmhg"},
        {"bp.low_alert_systolic_mmhg", "bp.review_systolic_mmhg"},
        {"spo2.hold_pct", "spo2.alert_pct"},
        {"rr.hold_per_min", "rr.alert_per_min"},
        {"sedation.hold_moaas", "sedation.alert_moaas"},
        {"hr.low_alert_bpm", "hr.hold_bpm"},
        {"rems.bp_check_window_min", "rems.bp_check_min"},
        {"maintenance.min_interval_days", "maintenance.start_interval_days"},
        {"maintenance.start_interval_days", "maintenance.max_interval_days"},
    };
    char field[KETA_ERROR_FIELD_MAX];
    for (size_t i = 0; i < sizeof orders / sizeof orders[0]; i++) {
        double a, b;
        if (keta_policy_get(p, orders[i].a, &a) != KETA_OK ||
            keta_policy_get(p, orders[i].b, &b) != KETA_OK)
            return keta_error_set(err, KETA_EINVAL, "", "policy table: bad order rule");
        if (a > b) {
            clinic__rule_pointer(orders[i].a, field, sizeof field);
            return keta_error_set(err, KETA_ERANGE, field, "%s (%g) must not exceed %s (%g)",
                                  orders[i].a, a, orders[i].b, b);
        }
    }
    for (int d = 0; d < KETA_DR_COUNT; d++) {
        const keta_drug_limits *l = &p->drug_library[d];
        const struct {
            double lo, hi;
            const char *lo_name, *hi_name;
        } pairs[] = {
            {l->soft_min_mg_per_kg, l->soft_max_mg_per_kg, "soft_min_mg_per_kg",
             "soft_max_mg_per_kg"},
            {l->soft_max_mg_per_kg, l->hard_max_mg_per_kg, "soft_max_mg_per_kg",
             "hard_max_mg_per_kg"},
            {l->soft_max_mg, l->hard_max_mg, "soft_max_mg", "hard_max_mg"},
            {l->soft_max_rate_mg_per_kg_per_h, l->hard_max_rate_mg_per_kg_per_h,
             "soft_max_rate_mg_per_kg_per_h", "hard_max_rate_mg_per_kg_per_h"},
        };
        for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
            if (pairs[k].hi > 0 && pairs[k].lo > pairs[k].hi) {
                (void)snprintf(field, sizeof field, "/drug_library/%s/%s",
                               keta_drug_route_name((keta_drug_route)d), pairs[k].lo_name);
                return keta_error_set(err, KETA_ERANGE, field,
                                      "drug_library.%s.%s (%g) must not exceed %s (%g)",
                                      keta_drug_route_name((keta_drug_route)d), pairs[k].lo_name,
                                      pairs[k].lo, pairs[k].hi_name, pairs[k].hi);
            }
        }
    }
    return KETA_OK;
}

void clinic__rule_pointer(const char *id, char *dst, size_t cap)
{
    size_t n = 0;
    if (cap == 0)
        return;
    if (n + 1 < cap)
        dst[n++] = '/';
    for (const char *c = id; *c != '\0' && n + 1 < cap; c++)
        dst[n++] = (char)(*c == '.' ? '/' : *c);
    dst[n] = '\0';
}
