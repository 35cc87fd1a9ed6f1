/*
 * IPv4 and IPv6 addresses and ranges.  Every address is kept as 16 bytes,
 * IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d), so ::ffff:192.0.2.1 and
 * 192.0.2.1 are one address and one ordering covers both families.
 */
#ifndef OF_CIDR_H
#define OF_CIDR_H

#include <stddef.h>
#include <stdint.h>

#define CIDR_TEXT_MAX	64	/* longest normal form, with its NUL */

struct cidr {
	uint8_t	lo[16];		/* first address */
	uint8_t	hi[16];		/* last address */
	int	len;		/* prefix length over 128 bits */
	int	v4;		/* inside ::ffff:0:0/96: shown as IPv4 */
};

/*
 * Parse "addr" or "addr/len".  A range with host bits set (192.0.2.1/24)
 * is refused rather than widened: a typo must not hand a whole network to
 * a user; the message names the range that was probably meant.  Returns
 * 0, or -1 with a sentence naming the text in err.
 */
int	cidr_parse(const char *, struct cidr *, char *err, size_t errlen);
/* A single address; 0 or -1. */
int	cidr_addr_parse(const char *, uint8_t addr[16]);
/* The normal form: IPv4 for mapped ranges, no "/len" for one address. */
void	cidr_format(const struct cidr *, char *buf, size_t len);

int	cidr_overlaps(const struct cidr *, const struct cidr *);
int	cidr_contains(const struct cidr *outer, const struct cidr *inner);
int	cidr_contains_addr(const struct cidr *, const uint8_t addr[16]);
int	cidr_equal(const struct cidr *, const struct cidr *);
/* The narrowest of n ranges holding addr, or NULL. */
const struct cidr *cidr_longest_match(const struct cidr *, size_t n,
	    const uint8_t addr[16]);

#endif
