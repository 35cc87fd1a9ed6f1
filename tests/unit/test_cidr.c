/* Address ranges: parsing, normal form, overlap, containment, IPv4-mapped. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "../../db/cidr.h"

static const struct {
	const char	*in;
	const char	*norm;	/* NULL: refused */
	const char	*err;	/* part of the refusal */
} parse_cases[] = {
	{ "192.0.2.1", "192.0.2.1", NULL },
	{ "192.0.2.1/32", "192.0.2.1", NULL },
	{ "192.0.2.128/25", "192.0.2.128/25", NULL },
	{ "0.0.0.0/0", "0.0.0.0/0", NULL },
	{ "10.0.0.0/8", "10.0.0.0/8", NULL },
	{ "2001:db8::/32", "2001:db8::/32", NULL },
	{ "2001:DB8:1::/48", "2001:db8:1::/48", NULL },
	{ "2001:db8::1", "2001:db8::1", NULL },
	{ "::/0", "::/0", NULL },
	{ "::ffff:192.0.2.130", "192.0.2.130", NULL },
	{ "::ffff:192.0.2.0/120", "192.0.2.0/24", NULL },
	{ "192.0.2.1/24", NULL, "did you mean 192.0.2.0/24" },
	{ "2001:db8::1/32", NULL, "did you mean 2001:db8::/32" },
	{ "192.0.2.300/24", NULL, "192.0.2.300/24" },
	{ "192.0.2.0/33", NULL, "prefix length" },
	{ "192.0.2.0/", NULL, "prefix length" },
	{ "192.0.2.0/-1", NULL, "prefix length" },
	{ "192.0.2.0/2x", NULL, "prefix length" },
	{ "2001:db8::/129", NULL, "prefix length" },
	{ "", NULL, "not an IP address" },
	{ "example.com", NULL, "example.com" },
	{ "192.0.2", NULL, "not an IP address" },
	{ "1.2.3.4 ", NULL, "not an IP address" },
	{ "2001:db8:::1", NULL, "not an IP address" },
};

static void
test_parse_table(void **state)
{
	struct cidr	c;
	char		err[256], out[CIDR_TEXT_MAX];
	size_t		i;
	int		rc;

	for (i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
		err[0] = '\0';
		rc = cidr_parse(parse_cases[i].in, &c, err, sizeof err);
		if (parse_cases[i].norm != NULL) {
			if (rc != 0)
				fail_msg("%s refused: %s", parse_cases[i].in, err);
			cidr_format(&c, out, sizeof out);
			assert_string_equal(out, parse_cases[i].norm);
		} else {
			if (rc != -1)
				fail_msg("%s accepted", parse_cases[i].in);
			if (strstr(err, parse_cases[i].err) == NULL)
				fail_msg("%s: \"%s\" lacks \"%s\"",
				    parse_cases[i].in, err, parse_cases[i].err);
		}
	}
}

static struct cidr
cidr_of(const char *s)
{
	struct cidr	c;
	char		err[256];

	if (cidr_parse(s, &c, err, sizeof err) != 0)
		fail_msg("%s: %s", s, err);
	return c;
}

static const struct {
	const char	*a, *b;
	int		 overlap, a_holds_b;
} pair_cases[] = {
	{ "192.0.2.0/24", "192.0.2.128/25", 1, 1 },
	{ "192.0.2.128/25", "192.0.2.0/24", 1, 0 },
	{ "192.0.2.0/25", "192.0.2.128/25", 0, 0 },
	{ "192.0.2.128/25", "192.0.2.200", 1, 1 },
	{ "192.0.2.128/25", "192.0.2.127", 0, 0 },
	{ "192.0.2.128/25", "::ffff:192.0.2.130", 1, 1 },
	{ "2001:db8::/32", "2001:db8:1::/48", 1, 1 },
	{ "2001:db8:1::/48", "2001:db8:2::/48", 0, 0 },
	{ "::/0", "10.0.0.1", 1, 1 },
	{ "0.0.0.0/0", "2001:db8::1", 0, 0 },
	{ "10.0.0.0/8", "10.0.0.0/8", 1, 1 },
};

static void
test_overlap_table(void **state)
{
	struct cidr	a, b;
	size_t		i;

	for (i = 0; i < sizeof pair_cases / sizeof pair_cases[0]; i++) {
		a = cidr_of(pair_cases[i].a);
		b = cidr_of(pair_cases[i].b);
		if (cidr_overlaps(&a, &b) != pair_cases[i].overlap ||
		    cidr_overlaps(&b, &a) != pair_cases[i].overlap)
			fail_msg("overlap %s %s", pair_cases[i].a,
			    pair_cases[i].b);
		if (cidr_contains(&a, &b) != pair_cases[i].a_holds_b)
			fail_msg("contains %s %s", pair_cases[i].a,
			    pair_cases[i].b);
	}
}

static void
test_mapped_is_ipv4(void **state)
{
	uint8_t		a[16], b[16];
	struct cidr	x = cidr_of("::ffff:192.0.2.1"), y = cidr_of("192.0.2.1");

	assert_int_equal(cidr_addr_parse("192.0.2.1", a), 0);
	assert_int_equal(cidr_addr_parse("::ffff:192.0.2.1", b), 0);
	assert_memory_equal(a, b, 16);
	assert_true(cidr_equal(&x, &y));
	assert_true(x.v4);
	assert_int_equal(cidr_addr_parse("192.0.2.256", a), -1);
}

static void
test_longest_match(void **state)
{
	struct cidr	v[3];
	uint8_t		a[16];

	v[0] = cidr_of("10.0.0.0/8");
	v[1] = cidr_of("10.1.0.0/16");
	v[2] = cidr_of("2001:db8::/32");
	assert_int_equal(cidr_addr_parse("10.1.2.3", a), 0);
	assert_ptr_equal(cidr_longest_match(v, 3, a), &v[1]);
	assert_int_equal(cidr_addr_parse("10.2.0.1", a), 0);
	assert_ptr_equal(cidr_longest_match(v, 3, a), &v[0]);
	assert_int_equal(cidr_addr_parse("::ffff:10.1.0.9", a), 0);
	assert_ptr_equal(cidr_longest_match(v, 3, a), &v[1]);
	assert_int_equal(cidr_addr_parse("192.0.2.1", a), 0);
	assert_null(cidr_longest_match(v, 3, a));
	assert_int_equal(cidr_addr_parse("2001:db8::5", a), 0);
	assert_ptr_equal(cidr_longest_match(v, 3, a), &v[2]);
	assert_true(cidr_contains_addr(&v[2], a));
	assert_false(cidr_contains_addr(&v[0], a));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_overlap_table),
		cmocka_unit_test(test_mapped_is_ipv4),
		cmocka_unit_test(test_longest_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
