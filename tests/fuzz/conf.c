/*
 * The configuration parser: the input is an outfilterd.conf, loaded over
 * the defaults from a memory file.  Invariants: a refusal always says why
 * and names the file; a loaded configuration has a value for every
 * setting.
 */
#define _GNU_SOURCE		/* memfd_create */
#include <sys/mman.h>

#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "conf.h"

static int	fuzz_fd = -1;
static char	fuzz_path[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if ((fuzz_fd = memfd_create("outfilterd.conf", 0)) == -1) {
		perror("memfd_create");
		abort();
	}
	snprintf(fuzz_path, sizeof fuzz_path, "/proc/self/fd/%d", fuzz_fd);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	*c;
	char		*cause = NULL;
	int		 i;

	if (size > 256 * 1024)
		return 0;
	if (ftruncate(fuzz_fd, 0) == -1 ||
	    pwrite(fuzz_fd, data, size, 0) != (ssize_t)size)
		abort();
	if ((c = conf_load(fuzz_path, "/var/empty/outfilter", &cause)) ==
	    NULL) {
		FUZZ_CHECK(cause != NULL && cause[0] != '\0',
		    "refused without a cause");
		FUZZ_CHECK(strncmp(cause, fuzz_path, strlen(fuzz_path)) == 0,
		    "cause \"%s\" does not name the file", cause);
		free(cause);
		return 0;
	}
	FUZZ_CHECK(cause == NULL, "loaded, yet a cause: %s", cause);
	for (i = 0; i < CONF_NSETTINGS; i++)
		FUZZ_CHECK(c->v[i].text != NULL, "[%s] %s has no value",
		    conf_settings[i].section, conf_settings[i].key);
	conf_unref(c);
	return 0;
}
