// SPDX-License-Identifier: MIT
/*
 * Module parameters, parsed as the kernel's kernel/params.c does:
 * integers with kstrto*() rules (base 0: 0x hex, 0 octal; range-checked),
 * bools as kstrtobool() (y/Y/1/on, n/N/0/off; a bare `name` is true),
 * charp pointing at a copy, strings copied into their array, arrays as
 * comma-separated lists. '-' and '_' match each other in names (parameq).
 *
 * Errors are reported with the kernel's texts, under the module's name:
 *   mymod: unknown parameter 'foo' ignored      (a warning; loading goes on)
 *   mymod: `abc' invalid for parameter `irq'    (-EINVAL: the load fails)
 *   mymod: `...' too large for parameter `name' (-ENOSPC)
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bh/log.h>
#include <bh/runtime.h>

#include "modrun.h"

/* Copies given to charp parameters, freed after unload. */
static char **charps;
static size_t nr_charps;

static bool parameq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a == '-' ? '_' : *a, y = *b == '-' ? '_' : *b;
		if (x != y)
			return false;
	}
	return *a == *b;
}

/* kstrtoull()/kstrtoll(): the whole string, one trailing newline. */
static int parse_ull(const char *s, unsigned long long *out)
{
	if (*s == '+')
		s++;
	if (*s == '-' || *s == '\0' || *s == ' ')
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno == ERANGE)
		return -ERANGE;
	if (end == s || (*end && !(end[0] == '\n' && end[1] == '\0')))
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_ll(const char *s, long long *out)
{
	unsigned long long v;
	int err;
	if (*s == '-') {
		err = parse_ull(s + 1, &v);
		if (err)
			return err;
		if (v > (unsigned long long)LLONG_MAX + 1)
			return -ERANGE;
		*out = (long long)(0 - v);
		return 0;
	}
	err = parse_ull(s, &v);
	if (err)
		return err;
	if (v > LLONG_MAX)
		return -ERANGE;
	*out = (long long)v;
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	if (!s) { /* a bare name: true (KERNEL_PARAM_OPS_FL_NOARG) */
		*out = true;
		return 0;
	}
	switch (s[0]) {
	case 'y':
	case 'Y':
	case '1':
		*out = true;
		return 0;
	case 'n':
	case 'N':
	case '0':
		*out = false;
		return 0;
	case 'o':
	case 'O':
		if (s[1] == 'n' || s[1] == 'N') {
			*out = true;
			return 0;
		}
		if (s[1] == 'f' || s[1] == 'F') {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* One value into element `i` of the parameter. */
static int set_one(const struct bh_modinfo *p, size_t i, const char *val)
{
	long long s = 0;
	unsigned long long u = 0;
	bool b = false;
	int err = 0;
	char *addr = p->addr;

	switch (p->type) {
	case BH_PARAM_BOOL:
	case BH_PARAM_INVBOOL:
		err = parse_bool(val, &b);
		if (!err)
			((bool *)addr)[i] = p->type == BH_PARAM_BOOL ? b : !b;
		return err;
	case BH_PARAM_CHARP: {
		if (!val)
			return -EINVAL;
		if (strlen(val) > 1024) /* param_set_charp()'s limit */
			return -ENOSPC;
		char *copy = strdup(val);
		char **grown =
			realloc(charps, (nr_charps + 1) * sizeof(*grown));
		if (!copy || !grown) {
			free(copy);
			if (grown)
				charps = grown;
			return -ENOMEM;
		}
		charps = grown;
		charps[nr_charps++] = copy;
		((char **)addr)[i] = copy;
		return 0;
	}
	case BH_PARAM_STRING:
		if (!val)
			return -EINVAL;
		if (strlen(val) + 1 > p->size)
			return -ENOSPC;
		strcpy(addr, val);
		return 0;
	}
	if (!val)
		return -EINVAL;
	switch (p->type) {
	case BH_PARAM_SHORT:
	case BH_PARAM_INT:
	case BH_PARAM_LONG:
		err = parse_ll(val, &s);
		break;
	default:
		err = parse_ull(val, &u);
	}
	if (err)
		return err;
	switch (p->type) {
	case BH_PARAM_BYTE:
		if (u > UCHAR_MAX)
			return -ERANGE;
		((unsigned char *)addr)[i] = (unsigned char)u;
		return 0;
	case BH_PARAM_SHORT:
		if (s < SHRT_MIN || s > SHRT_MAX)
			return -ERANGE;
		((short *)addr)[i] = (short)s;
		return 0;
	case BH_PARAM_USHORT:
		if (u > USHRT_MAX)
			return -ERANGE;
		((unsigned short *)addr)[i] = (unsigned short)u;
		return 0;
	case BH_PARAM_INT:
		if (s < INT_MIN || s > INT_MAX)
			return -ERANGE;
		((int *)addr)[i] = (int)s;
		return 0;
	case BH_PARAM_UINT:
	case BH_PARAM_HEXINT:
		if (u > UINT_MAX)
			return -ERANGE;
		((unsigned int *)addr)[i] = (unsigned int)u;
		return 0;
	case BH_PARAM_LONG:
		if (s < LONG_MIN || s > LONG_MAX)
			return -ERANGE;
		((long *)addr)[i] = (long)s;
		return 0;
	case BH_PARAM_ULONG:
		if (u > ULONG_MAX)
			return -ERANGE;
		((unsigned long *)addr)[i] = (unsigned long)u;
		return 0;
	case BH_PARAM_ULLONG:
		((unsigned long long *)addr)[i] = u;
		return 0;
	}
	return -EINVAL;
}

/* param_array_set(): comma-separated, at most p->size values. */
static int set_array(struct module_image *m, const struct bh_modinfo *p,
		     const char *val)
{
	if (!val)
		return -EINVAL;
	char *copy = strdup(val);
	if (!copy)
		return -ENOMEM;
	unsigned int n = 0;
	int err = 0;
	char *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (n >= p->size) {
			bh_printk(BH_LOG_ERR,
				  "%s: can only take %u arguments\n", p->name,
				  p->size);
			err = -EINVAL;
			break;
		}
		err = set_one(p, n, tok);
		if (err)
			break;
		n++;
	}
	free(copy);
	if (!err && p->nump)
		*p->nump = n;
	(void)m;
	return err;
}

int modrun_set_params(struct module_image *m, int argc, char **argv)
{
	for (int a = 0; a < argc; a++) {
		char *arg = argv[a];
		char *eq = strchr(arg, '=');
		const char *val = eq ? eq + 1 : NULL;
		char name[256];
		size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
		if (len >= sizeof(name))
			len = sizeof(name) - 1;
		memcpy(name, arg, len);
		name[len] = '\0';

		const struct bh_modinfo *p = NULL;
		for (size_t i = 0; i < m->nr_info && !p; i++)
			if (m->info[i]->kind == BH_MODINFO_PARAM &&
			    parameq(m->info[i]->name, name))
				p = m->info[i];
		if (!p) {
			/* unknown_module_param_cb(): not fatal since 2.6.35 */
			bh_printk(BH_LOG_WARNING,
				  "%s: unknown parameter '%s' ignored\n",
				  m->name, name);
			continue;
		}
		int err = p->size && p->type != BH_PARAM_STRING
				  ? set_array(m, p, val)
				  : set_one(p, 0, val);
		if (err == -ENOSPC)
			bh_printk(BH_LOG_ERR,
				  "%s: `%s' too large for parameter `%s'\n",
				  m->name, val ? val : "", name);
		else if (err)
			bh_printk(BH_LOG_ERR,
				  "%s: `%s' invalid for parameter `%s'\n",
				  m->name, val ? val : "", name);
		if (err)
			return err;
	}
	return 0;
}

void modrun_free_params(void)
{
	for (size_t i = 0; i < nr_charps; i++)
		free(charps[i]);
	free(charps);
	charps = NULL;
	nr_charps = 0;
}
