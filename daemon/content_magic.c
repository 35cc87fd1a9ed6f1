/*
 * What a blob is, by its first bytes (magic numbers), what packed an
 * executable, and which names are scripts.
 */
#define _GNU_SOURCE		/* memmem */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "content_int.h"

static uint16_t
mg_le16(const unsigned char *p)
{
	return p[0] | p[1] << 8;
}

static uint32_t
mg_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint32_t
mg_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* s (n bytes) at offset off of p. */
static int
mg_at(const unsigned char *p, size_t len, size_t off, const char *s, size_t n)
{
	return off + n <= len && memcmp(p + off, s, n) == 0;
}

/*
 * MZ with e_lfanew pointing at "PE\0\0".  When e_lfanew lies past the
 * bytes at hand (a head of a longer blob), "MZ" and a pointer inside the
 * whole blob suffice.
 */
static int
mg_pe(const unsigned char *p, size_t len, uint64_t full)
{
	uint32_t	off;

	if (len < 0x40 || p[0] != 'M' || p[1] != 'Z')
		return 0;
	off = mg_le32(p + 0x3c);
	if ((uint64_t)off + 4 <= len)
		return memcmp(p + off, "PE\0\0", 4) == 0;
	return len < full && (uint64_t)off + 4 <= full;
}

static int
mg_macho_fat(const unsigned char *p, size_t len)
{
	uint32_t	n;

	if (len < 8 || mg_be32(p) != 0xcafebabe)
		return 0;
	/* A Java class file shares the magic; its version is >= 45. */
	n = mg_be32(p + 4);
	return n > 0 && n < 32;
}

static int
mg_iso(const unsigned char *p, size_t len)
{
	static const size_t	 at[] = { 0x8001, 0x8801, 0x9001 };
	size_t			 i;

	for (i = 0; i < sizeof at / sizeof at[0]; i++)
		if (mg_at(p, len, at[i], "CD001", 5))
			return 1;
	return 0;
}

static int
mg_pdf(const unsigned char *p, size_t len)
{
	size_t	n = len < 1024 ? len : 1024;

	return n >= 5 && memmem(p, n, "%PDF-", 5) != NULL;
}

/*
 * BinHex 4.0: its banner line, then a line starting with ':' (readers
 * look for the banner anywhere in a text).
 */
static int
mg_binhex(const unsigned char *p, size_t len)
{
	static const char	 banner[] = "(This file must be converted "
				    "with BinHex";
	const unsigned char	*at = p, *end = p + len, *nl;

	while ((at = memmem(at, end - at, banner, sizeof banner - 1)) !=
	    NULL) {
		if (at == p || at[-1] == '\n' || at[-1] == '\r') {
			if ((nl = memchr(at, '\n', end - at)) == NULL)
				return 0;
			while (nl < end && (*nl == '\n' || *nl == '\r' ||
			    *nl == ' ' || *nl == '\t'))
				nl++;
			if (nl < end && *nl == ':')
				return 1;
		}
		at += sizeof banner - 1;
	}
	return 0;
}

enum content_kind
content_magic(const unsigned char *p, size_t len, uint64_t full)
{
	static const unsigned char lnk[20] = { 0x4c, 0, 0, 0, 0x01, 0x14,
	    0x02, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0x46 };
	static const unsigned char ole2[8] = { 0xd0, 0xcf, 0x11, 0xe0, 0xa1,
	    0xb1, 0x1a, 0xe1 };
	uint32_t	m;

	if (mg_pe(p, len, full))
		return CK_PE;
	if (len >= 6 && memcmp(p, "\177ELF", 4) == 0 &&
	    (p[4] == 1 || p[4] == 2) && (p[5] == 1 || p[5] == 2))
		return CK_ELF;
	if (len >= 4) {
		m = mg_be32(p);
		if (m == 0xfeedface || m == 0xfeedfacf || m == 0xcefaedfe ||
		    m == 0xcffaedfe)
			return CK_MACHO;
	}
	if (mg_macho_fat(p, len))
		return CK_MACHO_FAT;
	if (len >= sizeof lnk && memcmp(p, lnk, sizeof lnk) == 0)
		return CK_LNK;
	if (len >= 8 && memcmp(p, "ITSF", 4) == 0 && mg_le32(p + 4) == 3)
		return CK_CHM;
	if (len >= 8 && memcmp(p, ole2, 8) == 0)
		return CK_OLE2;
	if (mg_at(p, len, 0, "PK\3\4", 4) || mg_at(p, len, 0, "PK\5\6", 4) ||
	    mg_at(p, len, 0, "PK\7\10PK\3\4", 8))
		return CK_ZIP;
	if (mg_at(p, len, 0, "7z\274\257\047\034", 6))
		return CK_7Z;
	if (mg_at(p, len, 0, "Rar!\032\007", 6))
		return CK_RAR;
	if (mg_at(p, len, 0, "MSCF\0\0\0\0", 8))
		return CK_CAB;
	if (mg_at(p, len, 0, "\037\213\010", 3))
		return CK_GZIP;
	if (mg_at(p, len, 0, "BZh", 3) && len >= 10 && p[3] >= '1' &&
	    p[3] <= '9' && (memcmp(p + 4, "1AY&SY", 6) == 0 ||
	    memcmp(p + 4, "\027rE8P\220", 6) == 0))
		return CK_BZIP2;
	if (mg_at(p, len, 0, "\3757zXZ\0", 6))
		return CK_XZ;
	if (mg_at(p, len, 257, "ustar", 5))
		return CK_TAR;
	if (mg_at(p, len, 0, "07070", 5) && len > 5 &&
	    (p[5] == '1' || p[5] == '2' || p[5] == '7'))
		return CK_CPIO;
	if (len >= 26 && (mg_le16(p) == 070707 ||
	    (p[0] == 0x71 && p[1] == 0xc7)))
		return CK_CPIO;
	if (mg_iso(p, len))
		return CK_ISO;
	if (mg_pdf(p, len))
		return CK_PDF;
	/* TNEF (winmail.dat), its signature 0x223e9f78 little-endian. */
	if (len >= 6 && mg_le32(p) == 0x223e9f78)
		return CK_TNEF;
	if (mg_binhex(p, len))
		return CK_BINHEX;
	return CK_DATA;
}

int
content_is_archive(enum content_kind k)
{
	return k >= CK_ZIP && k <= CK_XZ;
}

const char *
content_kind_what(enum content_kind k)
{
	switch (k) {
	case CK_PE:
		return "a Windows executable";
	case CK_ELF:
		return "a Linux executable (ELF)";
	case CK_MACHO:
		return "a macOS executable (Mach-O)";
	case CK_MACHO_FAT:
		return "a macOS universal executable (Mach-O)";
	case CK_LNK:
		return "a Windows shortcut";
	case CK_CHM:
		return "a compiled HTML help file";
	case CK_TNEF:
		return "a TNEF (winmail.dat) container";
	case CK_BINHEX:
		return "a BinHex file";
	default:
		return "a file";
	}
}

/* Section names that packers and protectors leave in a PE. */
static const struct {
	const char	*section;
	size_t		 n;		/* bytes compared */
	const char	*packer;
} mg_sections[] = {
	{ "UPX0", 4, "UPX" },
	{ "UPX1", 4, "UPX" },
	{ "UPX2", 4, "UPX" },
	{ ".aspack", 7, "ASPack" },
	{ ".adata", 6, "ASPack" },
	{ ".petite", 7, "Petite" },
	{ "MEW", 3, "MEW" },
	{ ".WWP32", 6, "WWPack32" },
	{ "pec1", 4, "PECompact" },
	{ "PEC2", 4, "PECompact" },
	{ ".MPRESS", 7, "MPRESS" },
	{ ".nsp0", 5, "NsPack" },
	{ ".themida", 8, "Themida" },
	{ ".vmp0", 5, "VMProtect" },
};

static const char *
mg_pe_packer(const unsigned char *p, size_t len)
{
	uint32_t	off;
	size_t		at, i, j, nsec;

	off = mg_le32(p + 0x3c);
	if ((uint64_t)off + 24 > len)
		return NULL;
	nsec = mg_le16(p + off + 6);
	at = (size_t)off + 24 + mg_le16(p + off + 20);
	for (i = 0; i < nsec && i < 96 && at + 40 * (i + 1) <= len; i++) {
		for (j = 0; j < sizeof mg_sections / sizeof mg_sections[0];
		    j++) {
			if (memcmp(p + at + 40 * i, mg_sections[j].section,
			    mg_sections[j].n) == 0)
				return mg_sections[j].packer;
		}
	}
	return NULL;
}

const char *
content_packer(const unsigned char *p, size_t len, enum content_kind k)
{
	const char	*packer = NULL;
	size_t		 n = len < 4096 ? len : 4096;

	if (k == CK_PE)
		packer = mg_pe_packer(p, len);
	/* UPX's own header, in every format it packs. */
	if (packer == NULL && memmem(p, n, "UPX!", 4) != NULL)
		packer = "UPX";
	return packer;
}

/* Extensions Windows runs or opens as programs. */
static const struct {
	const char	*ext;
	const char	*what;
} mg_scripts[] = {
	{ "js", "a JavaScript file" },
	{ "jse", "an encoded JScript file" },
	{ "vbs", "a VBScript file" },
	{ "vbe", "an encoded VBScript file" },
	{ "wsf", "a Windows Script File" },
	{ "wsh", "a Windows Script Host file" },
	{ "hta", "an HTML application" },
	{ "ps1", "a PowerShell script" },
	{ "psm1", "a PowerShell module" },
	{ "bat", "a batch file" },
	{ "cmd", "a batch file" },
	{ "scr", "a screen saver (a Windows program)" },
	{ "pif", "a program information file" },
	{ "cpl", "a Control Panel program" },
	{ "lnk", "a Windows shortcut" },
	{ "jar", "a Java archive" },
};

const char *
content_script(const char *name)
{
	const char	*dot;
	size_t		 len, i, n;

	if (name == NULL)
		return NULL;
	/* Windows drops trailing dots and spaces: "x.js. " runs x.js. */
	len = strlen(name);
	while (len > 0 && (name[len - 1] == '.' || name[len - 1] == ' '))
		len--;
	for (dot = NULL, i = 0; i < len; i++) {
		if (name[i] == '.')
			dot = name + i;
		else if (name[i] == '/' || name[i] == '\\')
			dot = NULL;
	}
	if (dot == NULL)
		return NULL;
	n = len - (size_t)(dot + 1 - name);
	for (i = 0; i < sizeof mg_scripts / sizeof mg_scripts[0]; i++) {
		if (strlen(mg_scripts[i].ext) == n &&
		    strncasecmp(dot + 1, mg_scripts[i].ext, n) == 0)
			return mg_scripts[i].what;
	}
	return NULL;
}
