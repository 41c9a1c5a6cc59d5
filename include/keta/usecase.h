/*
 * keta use cases in JSON: every use case of the service layer in one table, each with its
 * one JSON form. The HTTP API (src/http/usecases.c) makes a route of each entry and the
 * `keta` command (src/cli/cmd_usecase.c) a subcommand, so a use case is decoded, called and
 * encoded the same way whichever door it came through.
 *
 * An entry's run function decodes call->body strictly (unknown keys refused, each error
 * naming its field as a JSON pointer), calls one keta_service_* function (which authorizes,
 * validates and writes in one transaction with its audit entry) and encodes the answer as a
 * JSON object (lists as {"<things>": [...]}).
 *
 * Thread safety: the table is constant; run functions are as thread safe as the service.
 */
#ifndef KETA_USECASE_H
#define KETA_USECASE_H

#include <stddef.h>
#include <stdint.h>

#include "keta/json.h"
#include "keta/service.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KETA_USECASE_MAX_PARAMS 3   /* {name} segments of a path */
#define KETA_USECASE_MAX_QUERY  4   /* query arguments of one use case */
#define KETA_USECASE_QUERY_MAX  128 /* bytes of one query argument's value */

/* The role bit of keta_role r (KETA_ROLE_BIT(NURSE)), for keta_usecase.roles. */
#define KETA_ROLE_BIT(r) (1u << KETA_ROLE_##r)
#define KETA_ROLES_ANY_STAFF                                                        \
    (KETA_ROLE_BIT(FRONT_DESK) | KETA_ROLE_BIT(NURSE) | KETA_ROLE_BIT(PRESCRIBER) | \
     KETA_ROLE_BIT(THERAPIST) | KETA_ROLE_BIT(ADMIN))
#define KETA_ROLES_ANYONE (KETA_ROLES_ANY_STAFF | KETA_ROLE_BIT(PATIENT))

/* One call: what the door decoded from the path, the query and the body. */
typedef struct keta_usecase_call {
    /* The path's {name} segments in pattern order: id[i] is the value parsed as a record id
       when the name ends in "_id" (else 0); param[i] the text as given. */
    int64_t id[KETA_USECASE_MAX_PARAMS];
    const char *param[KETA_USECASE_MAX_PARAMS];
    const json_t *body; /* POST: the parsed JSON object; GET: NULL */
    /* The values of usecase->query[i], NULL when absent (at most KETA_USECASE_QUERY_MAX - 1
       bytes each, checked by the door). */
    const char *query[KETA_USECASE_MAX_QUERY];
} keta_usecase_call;

/*
 * Run a use case for actor (NULL on a public one). On KETA_OK *out is a new JSON object
 * (caller-owned); on an error *out is NULL and err says why, naming the field.
 */
typedef keta_err (*keta_usecase_fn)(keta_service *svc, const keta_actor *actor,
                                    const keta_usecase_call *call, json_t **out, keta_error *err);

typedef struct keta_usecase {
    const char *name;   /* "vitals.record": the command `keta vitals record` */
    const char *method; /* "GET" or "POST" */
    const char *path;   /* "/api/v1/sessions/{session_id}/vitals" */
    unsigned roles;     /* KETA_ROLE_BIT()s that may call it (the service checks again); 0 public */
    size_t body_max;    /* bytes of JSON body accepted; 0 for a GET */
    unsigned status;    /* the HTTP status of success: 200, or 201 for a create */
    const char *const *query; /* NULL-terminated names of the query arguments; NULL none */
    keta_usecase_fn run;
    const char *summary; /* one line: `keta help`, `keta serve --routes` */
} keta_usecase;

/* The i-th use case (0-based), or NULL past the last. */
const keta_usecase *keta_usecase_at(size_t i);

/* The use case named name ("vitals.record"), or NULL. */
const keta_usecase *keta_usecase_find(const char *name);

/*
 * The use case of a command: group "vitals", verb "record" names "vitals.record"; a verb
 * written with dashes ("lift-hold") names the use case with underscores ("lift_hold").
 * NULL when there is none.
 */
const keta_usecase *keta_usecase_of_command(const char *group, const char *verb);

/* Whether any use case belongs to group ("vitals"). */
bool keta_usecase_group_exists(const char *group);

/*
 * Parse a record id as the doors accept it: 1 to 2^53, decimal, no sign or leading zero.
 * false for anything else.
 */
bool keta_usecase_parse_id(const char *s, int64_t *out);

#ifdef __cplusplus
}
#endif

#endif
