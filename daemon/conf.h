/* outfilterd.conf: the settings table (settings.def) and its parser. */
#ifndef OF_CONF_H
#define OF_CONF_H

#include <sys/types.h>
#include <sys/socket.h>
#include <stddef.h>

#include "ipc.h"

enum conf_type {
	CT_STRING, CT_PATH, CT_INT, CT_BOOL, CT_DURATION, CT_LISTEN, CT_UIDS,
	CT_ENDPOINT, CT_NEXTHOP, CT_LOGLEVEL, CT_FACILITY, CT_USER,
	CT_SPAMENGINE, CT_SPAMFAIL, CT_URL, CT_REMOTE
};

#define CONF_RESTART	0x1	/* SIGHUP leaves it alone */

/* CONF_paths_state_dir, CONF_control_endpoint, ...: section_key */
enum conf_id {
#define SETTING(sec, key, ...) CONF_##sec##_##key,
#include "settings.def"
#undef SETTING
	CONF_NSETTINGS
};

struct conf_setting {
	const char	*section;
	const char	*key;
	enum conf_type	 type;
	const char	*def;
	long long	 min, max;
	int		 flags;
	const char	*help;
};

extern const struct conf_setting conf_settings[CONF_NSETTINGS];

/* One address:port of a CT_LISTEN list. */
struct conf_listen {
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 text[64];	/* as written back: [::1]:2525 */
};

struct conf_value {
	char			*text;	/* canonical form, resolved */
	long long		 num;	/* CT_INT, CT_BOOL, CT_DURATION, CT_LOGLEVEL, CT_FACILITY, CT_SPAMFAIL (1: pass) */
	struct conf_listen	*listen;	/* CT_LISTEN */
	uid_t			*uids;		/* CT_UIDS */
	size_t			 n;		/* entries of listen or uids */
	int			 line;		/* where the file set it; 0: default */
};

/*
 * A loaded configuration.  It never changes once loaded, so threads share
 * it; conf_ref/conf_unref count its holders.
 */
struct config {
	char			*file;		/* NULL: the embedded defaults */
	struct conf_value	 v[CONF_NSETTINGS];
	int			 refs;
};

/*
 * Load file (NULL: the embedded defaults) over the defaults; relative
 * paths are taken from basedir (NULL: the working directory).  Returns
 * NULL with *cause ("FILE:LINE: key: reason") on error.
 */
struct config	*conf_load(const char *file, const char *basedir,
		    char **cause);
struct config	*conf_ref(struct config *);
void		 conf_unref(struct config *);

/* The setting by section and key, or -1. */
int		 conf_find(const char *section, const char *key);

const char	*conf_str(const struct config *, enum conf_id);
long long	 conf_int(const struct config *, enum conf_id);
const struct conf_listen *conf_listen(const struct config *, enum conf_id,
		    size_t *n);
int		 conf_has_uid(const struct config *, enum conf_id, uid_t);
/* The path of an ipc:// endpoint (resolved), or NULL. */
const char	*conf_ipc_path(const struct config *);

/*
 * After a reload: keep the CONF_RESTART settings of old in new (they stay
 * in force until a restart) and call changed() for each that differs.
 */
void		 conf_keep_restart(struct config *new, const struct config *old,
		    void (*changed)(const struct conf_setting *, const char *was,
		    const char *now));

/* Parsers exposed for tests and other files; 0 or -1 with why filled. */
int		 conf_parse_listen(const char *text, struct conf_listen **out,
		    size_t *n, char *why, size_t whylen);

/*
 * "FILE:LINE: " of the line that set id (of alt when id is a default),
 * for a refusal found after the file was read; "" when neither was set
 * in the file.
 */
const char	*conf_where(const struct config *, enum conf_id id,
		    enum conf_id alt, char *buf, size_t len);

#endif
