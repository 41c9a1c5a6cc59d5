/*
 * The use-case routes: one route per entry of the service's use-case table
 * (include/keta/usecase.h), all answered by one handler. The handler turns the path's
 * {name} segments and the query into a keta_usecase_call, runs the use case as the caller
 * (or with no actor on a public one) and answers its JSON with the entry's status.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "keta/usecase.h"

#define MAX_UC_ROUTES 160

static keta_http_route table[MAX_UC_ROUTES + 1];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* The role bits of the HTTP layer for a use case's keta_role bits. */
static unsigned http_roles(unsigned roles)
{
    unsigned bits = 0;
    for (int r = 0; r < KETA_ROLE_COUNT; r++)
        if (roles & (1u << r))
            bits |= keta_http_role_from_name(keta_role_name((keta_role)r));
    return bits;
}

static bool ends_with_id(const char *name, size_t len)
{
    return len >= 3 && memcmp(name + len - 3, "_id", 3) == 0;
}

static keta_err run(const keta_http_request *req, const keta_http_principal *who,
                    keta_http_reply *reply, keta_error *err)
{
    const keta_usecase *uc = req->route->data;
    keta_service *svc = NULL;
    const keta_actor *actor = keta__http_clinic_caller(who, &svc);
    if (svc == NULL)
        return keta_error_set(err, KETA_EBUSY, "", "the clinic database is not open");
    keta_usecase_call call;
    memset(&call, 0, sizeof call);
    for (unsigned i = 0; i < req->n_params && i < KETA_USECASE_MAX_PARAMS; i++) {
        call.param[i] = req->param_value[i];
        if (ends_with_id(req->param_name[i], req->param_name_len[i]) &&
            !keta_usecase_parse_id(req->param_value[i], &call.id[i])) {
            char field[KETA_HTTP_PARAM_MAX];
            (void)snprintf(field, sizeof field, "%.*s", (int)req->param_name_len[i],
                           req->param_name[i]);
            return keta_error_set(err, KETA_ENOTFOUND, field, "no such record");
        }
    }
    for (size_t q = 0; uc->query != NULL && uc->query[q] != NULL && q < KETA_USECASE_MAX_QUERY;
         q++) {
        const char *v = keta_http_request_query(req, uc->query[q]);
        if (v != NULL && strlen(v) >= KETA_USECASE_QUERY_MAX)
            return keta_error_set(err, KETA_ETOOBIG, uc->query[q],
                                  "a query argument has at most %d bytes",
                                  KETA_USECASE_QUERY_MAX - 1);
        call.query[q] = v;
    }
    call.body = keta_http_request_json(req);
    json_t *out = NULL;
    keta_err rc = uc->run(svc, actor, &call, &out, err);
    if (rc != KETA_OK) {
        json_decref(out);
        return rc;
    }
    rc = keta_http_reply_json(reply, uc->status, out);
    json_decref(out);
    return rc;
}

static void build(void)
{
    size_t n = 0;
    const keta_usecase *uc;
    for (size_t i = 0; (uc = keta_usecase_at(i)) != NULL && n < MAX_UC_ROUTES; i++) {
        table[n] = (keta_http_route){uc->method,   uc->path,    run, http_roles(uc->roles),
                                     uc->body_max, uc->summary, uc};
        n++;
    }
    memset(&table[n], 0, sizeof table[n]);
}

const keta_http_route *keta_http_usecase_routes(void)
{
    (void)pthread_once(&once, build);
    return table;
}
