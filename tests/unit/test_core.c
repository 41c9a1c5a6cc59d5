/* src/core: errors, bounded buffers, JSON helpers. */
#include <string.h>

#include "keta_test.h"
#include "keta/core.h"
#include "keta/json.h"

static void error_table_names_and_messages(void **state)
{
    (void)state;
    assert_string_equal(keta_errname(KETA_OK), "KETA_OK");
    assert_string_equal(keta_errname(KETA_ERANGE), "KETA_ERANGE");
    assert_string_equal(keta_strerror(KETA_ERANGE), "value out of range");
    assert_string_equal(keta_errname((keta_err)999), "KETA_EUNKNOWN");
    assert_string_equal(keta_strerror((keta_err)-1), "unknown error");
    for (int i = 0; i < KETA_ERR_COUNT; i++) {
        assert_non_null(strstr(keta_errname((keta_err)i), "KETA_"));
        assert_true(strlen(keta_strerror((keta_err)i)) > 0);
    }
}

static void error_detail_is_bounded(void **state)
{
    (void)state;
    keta_error err;
    char long_field[400];
    memset(long_field, 'f', sizeof long_field - 1);
    long_field[sizeof long_field - 1] = '\0';
    keta_err rc = keta_error_set(&err, KETA_EINVAL, long_field, "value %d", 7);
    assert_int_equal(rc, KETA_EINVAL);
    assert_int_equal(strlen(err.field), KETA_ERROR_FIELD_MAX - 1);
    assert_string_equal(err.message, "value 7");
    assert_int_equal(keta_error_set(NULL, KETA_ENOMEM, "x", "y"), KETA_ENOMEM);
    keta_error_clear(&err);
    assert_int_equal(err.code, KETA_OK);
    assert_string_equal(err.field, "");
}

static void buffer_refuses_past_its_maximum(void **state)
{
    (void)state;
    keta_buf b;
    keta_buf_init(&b, 10);
    assert_string_equal(keta_buf_str(&b), "");
    assert_int_equal(keta_buf_puts(&b, "0123456789"), KETA_OK);
    assert_int_equal(b.len, 10);
    assert_int_equal(keta_buf_puts(&b, "x"), KETA_ETOOBIG);
    assert_string_equal(keta_buf_str(&b), "0123456789");
    keta_buf_free(&b);
    keta_buf_init(&b, 1000);
    for (int i = 0; i < 100; i++)
        assert_int_equal(keta_buf_printf(&b, "%d,", i % 10), KETA_OK);
    assert_int_equal(b.len, 200);
    assert_int_equal(keta_buf_printf(&b, "%0900d", 1), KETA_ETOOBIG);
    assert_int_equal(b.len, 200);
    keta_buf_free(&b);
    keta_buf_free(NULL);
}

static keta_err parse(const char *text, json_t **out, keta_error *err)
{
    return keta_json_parse(text, strlen(text), 1000, 4, out, err);
}

static void json_parse_is_strict(void **state)
{
    (void)state;
    json_t *v;
    keta_error err;
    assert_int_equal(parse("{\"a\":1}", &v, &err), KETA_OK);
    json_decref(v);
    assert_int_equal(parse("{\"a\":1,\"a\":2}", &v, &err), KETA_EPARSE);
    assert_null(v);
    assert_non_null(strstr(err.message, "duplicate"));
    assert_int_equal(parse("{\"a\":1} x", &v, &err), KETA_EPARSE);
    assert_int_equal(parse("{\"a\":", &v, &err), KETA_EPARSE);
    assert_non_null(strstr(err.message, "line 1"));
    assert_int_equal(parse("[[[[1]]]]", &v, &err), KETA_OK); /* depth 4 of 4 */
    json_decref(v);
    assert_int_equal(parse("[[[[[1]]]]]", &v, &err), KETA_ETOOBIG);
    assert_int_equal(parse("[[[\"[[[[[[\"]]]", &v, &err), KETA_OK); /* brackets in strings */
    json_decref(v);
    char big[1100];
    memset(big, ' ', sizeof big);
    big[0] = '{';
    big[sizeof big - 2] = '}';
    big[sizeof big - 1] = '\0';
    assert_int_equal(parse(big, &v, &err), KETA_ETOOBIG);
    assert_int_equal(keta_json_parse("{\"a\":\"x\0y\"}", 11, 100, 4, &v, &err), KETA_EPARSE);
}

static void json_keys_and_fields(void **state)
{
    (void)state;
    json_t *v;
    keta_error err;
    static const char *const allowed[] = {"weight_kg", "age_y", NULL};
    static const char *const required[] = {"weight_kg", NULL};
    assert_int_equal(parse("{\"weight_kg\":70,\"colour\":1}", &v, &err), KETA_OK);
    assert_int_equal(keta_json_check_keys(v, "/patient", allowed, required, &err), KETA_EKEY);
    assert_string_equal(err.field, "/patient/colour");
    assert_non_null(strstr(err.message, "weight_kg, age_y"));
    json_decref(v);

    assert_int_equal(parse("{\"age_y\":40}", &v, &err), KETA_OK);
    assert_int_equal(keta_json_check_keys(v, "", allowed, required, &err), KETA_EKEY);
    assert_string_equal(err.field, "/weight_kg");
    int64_t age = 0;
    assert_int_equal(keta_json_get_int(v, "", "age_y", 0, 120, false, &age, NULL, &err), KETA_OK);
    assert_int_equal(age, 40);
    assert_int_equal(keta_json_get_int(v, "", "age_y", 50, 120, false, &age, NULL, &err),
                     KETA_ERANGE);
    assert_string_equal(err.field, "/age_y");
    assert_non_null(strstr(err.message, "from 50 to 120, got 40"));
    bool present = true;
    assert_int_equal(keta_json_get_int(v, "", "weight_kg", 0, 9, true, &age, &present, &err),
                     KETA_OK);
    assert_false(present);
    json_decref(v);

    assert_int_equal(parse("{\"w\":2.0,\"s\":\"x\",\"n\":2.5}", &v, &err), KETA_OK);
    assert_int_equal(keta_json_get_int(v, "", "w", 0, 9, false, &age, NULL, &err), KETA_ETYPE);
    assert_int_equal(keta_json_get_int(v, "", "s", 0, 9, false, &age, NULL, &err), KETA_ETYPE);
    assert_non_null(strstr(err.message, "got string"));
    double d = 0;
    assert_int_equal(keta_json_get_number(v, "", "n", 0, 9, false, &d, NULL, &err), KETA_OK);
    assert_close(d, 2.5, 0, 0);
    assert_int_equal(keta_json_get_number(v, "", "n", 3, 9, false, &d, NULL, &err), KETA_ERANGE);
    json_decref(v);
}

static void json_pointer_escapes_odd_keys(void **state)
{
    (void)state;
    json_t *v;
    keta_error err;
    static const char *const allowed[] = {"a", NULL};
    assert_int_equal(parse("{\"x/y~z\":1}", &v, &err), KETA_OK);
    assert_int_equal(keta_json_check_keys(v, "", allowed, NULL, &err), KETA_EKEY);
    assert_string_equal(err.field, "/x~1y~0z");
    json_decref(v);
}

/* One decoder for "one of these names", shared by pk, pd, clinic and popsim. */
static void json_choice_names_the_accepted_values(void **state)
{
    (void)state;
    static const char *const routes[] = {"iv", "im", NULL};
    keta_error err;
    int i = -1;
    json_t *v = json_string("im");
    assert_int_equal(keta_json_choice(v, "/route", "route", routes, &i, &err), KETA_OK);
    assert_int_equal(i, 1);
    json_decref(v);
    v = json_string("nasal\x01\xc3\xa9");
    assert_int_equal(keta_json_choice(v, "/route", "route", routes, &i, &err), KETA_EINVAL);
    assert_string_equal(err.field, "/route");
    assert_string_equal(err.message, "unknown route 'nasal\?\?\?'; expected one of: iv, im");
    json_decref(v);
    v = json_integer(3);
    assert_int_equal(keta_json_choice(v, "/route", "route", routes, &i, &err), KETA_ETYPE);
    json_decref(v);
    assert_int_equal(keta_json_choice(NULL, "/route", "route", routes, &i, &err), KETA_EKEY);
    assert_string_equal(err.message, "missing required field 'route'; expected one of: iv, im");
    assert_int_equal(i, 1); /* untouched on error */
}

static void json_dump_prints_short_reals(void **state)
{
    (void)state;
    json_t *v = json_pack("{s:f,s:f}", "p", -57.1, "d", 41.0);
    char *s = keta_json_dump(v, false);
    assert_string_equal(s, "{\"p\":-57.1,\"d\":41.0}");
    keta_free(s);
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(error_table_names_and_messages),
        cmocka_unit_test(error_detail_is_bounded),
        cmocka_unit_test(buffer_refuses_past_its_maximum),
        cmocka_unit_test(json_parse_is_strict),
        cmocka_unit_test(json_keys_and_fields),
        cmocka_unit_test(json_pointer_escapes_odd_keys),
        cmocka_unit_test(json_dump_prints_short_reals),
        cmocka_unit_test(json_choice_names_the_accepted_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
