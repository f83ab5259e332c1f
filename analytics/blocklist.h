/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Blocklists: named lists of addresses and prefixes (IPv4 and IPv6) loaded from Emerging
 * Threats block rules (bracketed address lists inside Suricata rules), Spamhaus DROP/EDROP
 * (`CIDR ; SBL…`) or plain files (one address or CIDR a line), and a longest-prefix match
 * over all of them: a hash table of the single IPv4 addresses (and one of the IPv6 ones),
 * then a multibit trie for each family, whose first level takes 16 bits, with the prefixes
 * pushed to its leaves: an address in no listed network, nearly every one, costs a hash
 * probe and one read. Built once, then read-only (the daemon swaps a whole set on reload).
 */
#ifndef FH_ANALYTICS_BLOCKLIST_H
#define FH_ANALYTICS_BLOCKLIST_H

#include <stddef.h>
#include <stdint.h>

#include "dataplane/flow.h"

struct fh_blocklist_set;

struct fh_blocklist_match {
	const char *list; /* list name */
	struct fh_ip net;
	unsigned plen128;
	const char *note; /* e.g. the Spamhaus SBL id, or "" */
};

struct fh_blocklist_set *fh_blocklist_set_new(void);
void fh_blocklist_set_free(struct fh_blocklist_set *s);

/*
 * Load a file as list `name` (format detected from the content). Bad lines are skipped and
 * counted (*bad) with the first one described in err as `file:line: reason`. Returns the
 * number of prefixes loaded, or -1 with err when the file cannot be read or nothing in it
 * parses.
 */
int fh_blocklist_load(struct fh_blocklist_set *s, const char *name, const char *path,
	unsigned *bad, char *err, size_t errlen);

/* Add one prefix (plen in 128-bit terms) to list `name`. Returns 0 or -ENOMEM. */
int fh_blocklist_add(struct fh_blocklist_set *s, const char *name, const struct fh_ip *net,
	unsigned plen128, const char *note);

/* Longest-prefix match. Returns 1 and fills m, or 0. Any thread (read-only). */
int fh_blocklist_lookup(const struct fh_blocklist_set *s, const struct fh_ip *ip,
	struct fh_blocklist_match *m);

/* The set's lists, in the order they were loaded: names[i] and entries[i] (its prefixes; one
 * that an earlier list holds too counts for that one) for i below the return value, at most
 * max. */
unsigned fh_blocklist_lists(const struct fh_blocklist_set *s, const char **names,
	uint32_t *entries, unsigned max);

/* The memory the set takes, in bytes. */
size_t fh_blocklist_bytes(const struct fh_blocklist_set *s);

#endif
