/*
 * Macros in zip-based documents, whatever the file is named: Office Open
 * XML (a vbaProject.bin part, or a macro-enabled content type or macro
 * sheets in [Content_Types].xml), OpenDocument (Basic modules, scripts),
 * and the marks of a Java archive (a manifest and classes).
 */
#define _GNU_SOURCE		/* memmem */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "content_int.h"

#define OX_TYPES	"[Content_Types].xml"

static const char *
ox_base(const char *name)
{
	const char	*slash = strrchr(name, '/');

	return slash != NULL ? slash + 1 : name;
}

static int
ox_prefix(const char *name, const char *prefix)
{
	return strncasecmp(name, prefix, strlen(prefix)) == 0;
}

static int
ox_suffix(const char *name, const char *suffix)
{
	size_t	n = strlen(name), m = strlen(suffix);

	return n >= m && strcasecmp(name + n - m, suffix) == 0;
}

/* Which application a part name belongs to. */
static const char *
ox_app(const char *name)
{
	if (ox_prefix(name, "word/"))
		return "a Word document";
	if (ox_prefix(name, "xl/"))
		return "an Excel workbook";
	if (ox_prefix(name, "ppt/"))
		return "a PowerPoint presentation";
	if (ox_prefix(name, "visio/"))
		return "a Visio drawing";
	return NULL;
}

static int
ox_found(struct content_ooxml *ox, const char *app, const char *why)
{
	if (app != NULL)
		ox->app = app;
	if (ox->app == NULL)
		ox->app = "an Office document";
	ox->why = why;
	return 1;
}

int
content_ooxml_name(struct content_ooxml *ox, const char *name)
{
	const char	*base = ox_base(name);

	if (ox->app == NULL)
		ox->app = ox_app(name);
	if (strcasecmp(base, "vbaProject.bin") == 0 ||
	    strcasecmp(base, "vbaProjectSignature.bin") == 0)
		return ox_found(ox, ox_app(name), "vbaProject.bin");
	/* OpenDocument: Basic/LIBRARY/MODULE.xml beside the indexes. */
	if (ox_prefix(name, "Basic/") && strchr(name + 6, '/') != NULL &&
	    ox_suffix(name, ".xml") && strcasecmp(base, "script-lb.xml") != 0 &&
	    strcasecmp(base, "dialog-lb.xml") != 0 &&
	    strcasecmp(base, "script-lc.xml") != 0 &&
	    strcasecmp(base, "dialog-lc.xml") != 0)
		return ox_found(ox, "an OpenDocument file", "Basic modules");
	if (ox_prefix(name, "Scripts/") && name[8] != '\0' &&
	    name[strlen(name) - 1] != '/')
		return ox_found(ox, "an OpenDocument file", "scripts");
	if (strcasecmp(name, "META-INF/MANIFEST.MF") == 0)
		ox->manifest = 1;
	if (ox_suffix(name, ".class"))
		ox->classes = 1;
	return 0;
}

int
content_ooxml_wants(const char *name)
{
	return strcasecmp(name, OX_TYPES) == 0;
}

/* The application a macro-enabled content type at at belongs to. */
static const char *
ox_type_app(const char *text, const char *at)
{
	const char	*from = at - text > 80 ? at - 80 : text;
	size_t		 n = at - from;

	if (memmem(from, n, "ms-word", 7) != NULL)
		return "a Word document";
	if (memmem(from, n, "ms-excel", 8) != NULL)
		return "an Excel workbook";
	if (memmem(from, n, "ms-powerpoint", 13) != NULL)
		return "a PowerPoint presentation";
	return NULL;
}

void
content_ooxml_data(struct content_ooxml *ox, const char *name,
    const unsigned char *p, size_t len)
{
	char		*text, *at;
	size_t		 i;

	if (!content_ooxml_wants(name) || ox->why != NULL || len == 0)
		return;
	if ((text = malloc(len + 1)) == NULL)
		return;
	for (i = 0; i < len; i++)
		text[i] = p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 :
		    p[i] == '\0' ? ' ' : (char)p[i];
	text[len] = '\0';
	if ((at = strstr(text, "macroenabled")) != NULL)
		ox_found(ox, ox_type_app(text, at),
		    "a macro-enabled content type");
	else if (strstr(text, "vnd.ms-office.vbaproject") != NULL)
		ox_found(ox, NULL, "a VBA project content type");
	else if (strstr(text, "macrosheet") != NULL)
		ox_found(ox, "an Excel workbook", "Excel 4.0 macro sheets");
	free(text);
}
