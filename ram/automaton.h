#ifndef RAM_AUTOMATON_H
#define RAM_AUTOMATON_H

#include <stddef.h>

struct mg_error;

/*
 * Exact emptiness of a combination of glob languages, the one decision
 * the policy analysis is built on. A question is a list of parts; each
 * part is a union of globs and is either required (a name must match one
 * of its globs) or excluded (a name must match none of them). The answer
 * says whether some name satisfies every part at once.
 *
 * Globs are the policy language's: '*' any run, '?' one byte, anything
 * else itself without regard to ASCII case. Names are byte strings
 * without NUL; the empty name counts as a name.
 *
 * The search is a breadth-first walk of the subset construction over the
 * product of all parts, and is bounded (ram_fa_set_limit). Past the
 * bound the answer is "some name exists", logged as a warning: callers
 * ask "is anything granted", and an unfinished search must never read as
 * "nothing is".
 *
 * A ram_fa holds scratch memory reused from one question to the next; it
 * belongs to one thread at a time. The globs are borrowed: they must stay
 * valid until the question is answered.
 */
struct ram_fa;

struct ram_fa *ram_fa_new(void);
void ram_fa_free(struct ram_fa *fa);

/* Forget the parts of the last question, keeping the memory. */
void ram_fa_clear(struct ram_fa *fa);

/* Start a new part; later globs go into it. Returns 0, or -1 (memory). */
int ram_fa_part(struct ram_fa *fa, int exclude);

/* Add a glob to the current part. Returns 0, or -1 (memory, no part). */
int ram_fa_glob(struct ram_fa *fa, const char *glob);

/*
 * 1 when some name satisfies every part, 0 when none does, -1 with err
 * when memory ran out. A required part without globs matches nothing; an
 * excluded part without globs excludes nothing.
 */
int ram_fa_nonempty(struct ram_fa *fa, struct mg_error *err);

/*
 * After an answer of 1 found by the search (not by the bound), the
 * shortest name that satisfies every part, in out. Returns 0, or -1 when
 * there is none to give or it does not fit.
 */
int ram_fa_witness(const struct ram_fa *fa, char *out, size_t cap);

/* The most states one question may explore unless told otherwise. */
#define RAM_FA_DEFAULT_LIMIT 200000

/* The most states one question may explore; 0 restores the default. */
void ram_fa_set_limit(struct ram_fa *fa, size_t states);

/* States explored by the last question (benchmarks and tests). */
size_t ram_fa_explored(const struct ram_fa *fa);

/* Whether the last question stopped at the bound. */
int ram_fa_bounded(const struct ram_fa *fa);

#endif
