#ifndef RAM_GLOB_H
#define RAM_GLOB_H

/*
 * Glob helpers inside the module; the public ones (match, overlap,
 * covers) are declared in ram/policy.h.
 */

/* Is the glob one or more '*' only, so that it matches every name? */
int ram_glob_all_stars(const char *glob);

#endif
