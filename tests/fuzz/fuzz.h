/*
 * Shared by the libFuzzer targets: an assertion that stays on in every
 * build and says what broke, so libFuzzer keeps the input as a crash.
 */
#ifndef OF_FUZZ_H
#define OF_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

#define FUZZ_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant broken: %s: ",	\
		    __FILE__, __LINE__, #cond);				\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

/* 1 when the n bytes at s are printable ASCII (0x20-0x7e). */
static inline int
fuzz_printable(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

/* A NUL-terminated copy of the input (malloc'ed; aborts when out of memory). */
static inline char *
fuzz_strndup(const uint8_t *data, size_t size)
{
	char	*s;

	if ((s = malloc(size + 1)) == NULL)
		abort();
	if (size > 0)
		__builtin_memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
