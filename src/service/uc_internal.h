/*
 * Internal to src/service: what the use-case adapters (uc_*.c) share. Each uc_<group>.c
 * defines one table, terminated by a zeroed entry, listed in usecase.c.
 */
#ifndef KETA_SERVICE_UC_INTERNAL_H
#define KETA_SERVICE_UC_INTERNAL_H

#include "keta/usecase.h"

extern const keta_usecase keta__uc_records[];
extern const keta_usecase keta__uc_clinical[];
extern const keta_usecase keta__uc_selfreport[];
extern const keta_usecase keta__uc_staff[];
extern const keta_usecase keta__uc_engine[];
extern const keta_usecase keta__uc_intake[];
extern const keta_usecase keta__uc_outcomes[];
extern const keta_usecase keta__uc_sessions[];

/* Body sizes of the doors. */
#define KETA__UC_SMALL_BODY ((size_t)4 * 1024)
#define KETA__UC_NOTE_BODY  ((size_t)(KETA_NOTE_MAX + 1024) * 2)
#define KETA__UC_JSON_BODY  ((size_t)KETA_JSON_TEXT_MAX)

/*
 * The string member key of body: KETA_ETYPE naming "/key" when it is not a string or holds
 * a NUL; when absent, "" if optional, else the same error. Borrowed from body.
 */
keta_err keta__uc_string(const json_t *body, const char *key, bool optional, const char **out,
                         keta_error *err);

/* Keep *out = v (NULL: KETA_ENOMEM). */
keta_err keta__uc_answer(json_t *v, json_t **out);

/* {"id": id} */
keta_err keta__uc_created(int64_t id, json_t **out);

/* A list answer: {name: items} made from items (consumed; NULL: KETA_ENOMEM). */
keta_err keta__uc_list(const char *name, json_t *items, json_t **out);

/* Set key to a string, or to null when s is "" (for optional times and codes). */
keta_err keta__uc_set_opt_string(json_t *o, const char *key, const char *s);

/* The body must be an object with no members (a POST that takes none): else KETA_EINVAL. */
keta_err keta__uc_no_body(const json_t *body, keta_error *err);

/* An alert as the API shows it (uc_clinical.c); NULL when out of memory. */
json_t *keta__uc_alert_json(const keta_alert_record *a);

/* What vitals.record answers (uc_sessions.c): {"id", "alerts", "hold", "paused",
   "monitor_status", "next_bp_due", "repeat_bp_due", "bp_overdue"}. */
keta_err keta__uc_vitals_result(const keta_vitals_result *r, json_t **out);

#endif
