/* Parsing, normalising and comparing address ranges (see cidr.h). */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"

static const uint8_t cidr_mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

static int
cidr_is_mapped(const uint8_t a[16])
{
	return memcmp(a, cidr_mapped, sizeof cidr_mapped) == 0;
}

int
cidr_addr_parse(const char *s, uint8_t addr[16])
{
	struct in_addr	v4;

	if (inet_pton(AF_INET, s, &v4) == 1) {
		memcpy(addr, cidr_mapped, sizeof cidr_mapped);
		memcpy(addr + 12, &v4, 4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1)
		return 0;
	return -1;
}

/* Fill lo and hi of c from an address and a prefix length. */
static void
cidr_span(struct cidr *c, const uint8_t addr[16], int len)
{
	int	i, bits;

	for (i = 0; i < 16; i++) {
		bits = len - i * 8;
		if (bits >= 8) {
			c->lo[i] = c->hi[i] = addr[i];
		} else if (bits <= 0) {
			c->lo[i] = 0;
			c->hi[i] = 0xff;
		} else {
			c->lo[i] = addr[i] & (uint8_t)(0xff << (8 - bits));
			c->hi[i] = c->lo[i] | (uint8_t)(0xff >> bits);
		}
	}
	c->len = len;
	c->v4 = len >= 96 && cidr_is_mapped(c->lo);
}

/* The prefix length as typed: digits only, within the family's width. */
static int
cidr_prefix(const char *s, int max)
{
	int	n = 0;

	if (*s == '\0' || strlen(s) > 3)
		return -1;
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		n = n * 10 + (*s - '0');
	}
	return n <= max ? n : -1;
}

int
cidr_parse(const char *s, struct cidr *c, char *err, size_t errlen)
{
	char	 buf[CIDR_TEXT_MAX], want[CIDR_TEXT_MAX], *slash;
	uint8_t	 addr[16];
	int	 len, v4;

	if (strlen(s) >= sizeof buf) {
		snprintf(err, errlen, "\"%.64s...\" is not an IP address or "
		    "range", s);
		return -1;
	}
	strcpy(buf, s);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash = '\0';
	if (cidr_addr_parse(buf, addr) == -1) {
		snprintf(err, errlen, "\"%s\" is not an IP address or range",
		    s);
		return -1;
	}
	v4 = strchr(buf, ':') == NULL;
	len = 128;
	if (slash != NULL &&
	    (len = cidr_prefix(slash + 1, v4 ? 32 : 128)) == -1) {
		snprintf(err, errlen, "\"%s\" has a bad prefix length "
		    "(0 to %d)", s, v4 ? 32 : 128);
		return -1;
	}
	if (slash != NULL && v4)
		len += 96;
	cidr_span(c, addr, len);
	if (memcmp(c->lo, addr, 16) != 0) {
		cidr_format(c, want, sizeof want);
		snprintf(err, errlen, "\"%s\" has host bits set: did you mean "
		    "%s?", s, want);
		return -1;
	}
	return 0;
}

void
cidr_format(const struct cidr *c, char *buf, size_t len)
{
	char	a[INET6_ADDRSTRLEN];
	int	max = c->v4 ? 32 : 128, plen = c->v4 ? c->len - 96 : c->len;

	if (c->v4)
		inet_ntop(AF_INET, c->lo + 12, a, sizeof a);
	else
		inet_ntop(AF_INET6, c->lo, a, sizeof a);
	if (plen == max)
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s/%d", a, plen);
}

int
cidr_overlaps(const struct cidr *a, const struct cidr *b)
{
	return memcmp(a->lo, b->hi, 16) <= 0 && memcmp(b->lo, a->hi, 16) <= 0;
}

int
cidr_contains(const struct cidr *outer, const struct cidr *inner)
{
	return memcmp(outer->lo, inner->lo, 16) <= 0 &&
	    memcmp(inner->hi, outer->hi, 16) <= 0;
}

int
cidr_contains_addr(const struct cidr *c, const uint8_t addr[16])
{
	return memcmp(c->lo, addr, 16) <= 0 && memcmp(addr, c->hi, 16) <= 0;
}

int
cidr_equal(const struct cidr *a, const struct cidr *b)
{
	return memcmp(a->lo, b->lo, 16) == 0 && a->len == b->len;
}

const struct cidr *
cidr_longest_match(const struct cidr *v, size_t n, const uint8_t addr[16])
{
	const struct cidr	*best = NULL;
	size_t			 i;

	for (i = 0; i < n; i++) {
		if (cidr_contains_addr(&v[i], addr) &&
		    (best == NULL || v[i].len > best->len))
			best = &v[i];
	}
	return best;
}
