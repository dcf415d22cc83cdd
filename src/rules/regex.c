/* regex — rule patterns compiled with PCRE2 (UTF, invalid UTF-8
 * tolerated) and matched under limits, so that no pattern and no input can
 * stall a worker.  A pattern is JIT-compiled once it has been used a few
 * times: a single message on stdin does not pay for JIT-compiling hundreds
 * of patterns it tries once, an archive gets JIT speed after a few
 * records.  Before running a pattern, a cheap test looks for the literal
 * text any match must contain (e.g. "mailbox full" in
 * '(?i)\bmailbox (is )?full'): most rules fail there without running PCRE2
 * at all.  Compiled code is shared read-only between threads; match data
 * and the JIT stack are per thread. */
#define _GNU_SOURCE             /* memmem */
#include "rules/rules-private.h"
#include "core/literals.h"

#include <stddef.h>
#include <string.h>

/* Limits: a legitimate rule on a bounce of a few hundred kilobytes stays far
 * below them; a catastrophic pattern stops within milliseconds. */
#define MATCH_LIMIT 1000000u
#define DEPTH_LIMIT 10000u
#define HEAP_LIMIT_KIB 16384u
#define JIT_STACK_START (32 * 1024)
#define JIT_STACK_MAX (1024 * 1024)
/* Interpreted matches before a pattern is JIT-compiled. */
#define JIT_AFTER_USES 8
/* Passed literal tests before a pattern is split into its branches. */
#define SPLIT_AFTER_PASSES 2
/* PCRE2_UCP: \s, \w, \d and \b by Unicode properties, which the text of
 * bounces in every language needs; and without it PCRE2 10.42's JIT, under
 * PCRE2_MATCH_INVALID_UTF, fails \S on non-ASCII letters that the
 * interpreter matches, so a verdict would change once a pattern is JIT-
 * compiled (tests/011-batch-equals-single.sh). */
#define COMPILE_OPTIONS (PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF)

static GPrivate thread_match_data = G_PRIVATE_INIT((GDestroyNotify) pcre2_match_data_free);
static GPrivate thread_jit_stack = G_PRIVATE_INIT((GDestroyNotify) pcre2_jit_stack_free);

/* The JIT asks for its stack through this callback, so each thread gets its
 * own while the match context stays shared. */
static pcre2_jit_stack *
jit_stack_for_thread(void *unused)
{
    (void) unused;
    pcre2_jit_stack *stack = g_private_get(&thread_jit_stack);
    if (!stack) {
        stack = pcre2_jit_stack_create(JIT_STACK_START, JIT_STACK_MAX, NULL);
        g_private_set(&thread_jit_stack, stack);
    }
    return stack;
}

static pcre2_match_context *
shared_match_context(void)
{
    static pcre2_match_context *ctx;
    if (g_once_init_enter(&ctx)) {
        pcre2_match_context *c = pcre2_match_context_create(NULL);
        pcre2_set_match_limit(c, MATCH_LIMIT);
        pcre2_set_depth_limit(c, DEPTH_LIMIT);
        pcre2_set_heap_limit(c, HEAP_LIMIT_KIB);
        pcre2_jit_stack_assign(c, jit_stack_for_thread, NULL);
        g_once_init_leave(&ctx, c);
    }
    return ctx;
}

/* One ovector pair is enough: only the whole match is reported. */
static pcre2_match_data *
match_data_for_thread(void)
{
    pcre2_match_data *md = g_private_get(&thread_match_data);
    if (!md) {
        md = pcre2_match_data_create(1, NULL);
        g_private_set(&thread_match_data, md);
    }
    return md;
}

/* ---- required literals ---------------------------------------------------- */

/* A small reader of PCRE2 syntax that finds, for a pattern, a set of
 * literal strings one of which every match contains: a run of plain
 * characters in a sequence, the union over the branches of an alternation.
 * It is conservative: whatever it does not understand (inline options other
 * than a leading (?i), \x escapes, \Q…\E, (?x) …) makes it give up, and the
 * pattern then always runs.  Non-ASCII characters are literals too (the
 * rules' wording in other languages would otherwise leave whole
 * alternations without any): all of them in a case-sensitive pattern; in
 * a caseless one only those whose caseless partners the subject's
 * lower-case copy folds together (see fold_char), the others end a run. */

#define MAX_NEEDLES 64

typedef struct {
    const char *p, *end;
    gboolean caseless;
    gboolean failed;
} LitReader;

typedef enum { ATOM_CHAR, ATOM_GROUP, ATOM_OTHER } AtomKind;

typedef struct {
    AtomKind kind;
    char ch[4];                 /* ATOM_CHAR: one character, UTF-8, lower case when caseless */
    guint n;                    /* ATOM_CHAR: its bytes */
    GPtrArray *req;             /* ATOM_GROUP: what the group requires, NULL: nothing known */
} Atom;

static GPtrArray *read_alternation(LitReader *lr);

static gsize
shortest(const GPtrArray *req)
{
    gsize n = G_MAXSIZE;
    for (guint i = 0; i < req->len; i++)
        n = MIN(n, strlen(req->pdata[i]));
    return n;
}

/* The more selective of two requirements (either may be NULL); frees the other. */
static GPtrArray *
better(GPtrArray *a, GPtrArray *b)
{
    if (!a || !b)
        return a ? a : b;
    gsize la = shortest(a), lb = shortest(b);
    gboolean keep_a = la != lb ? la > lb : a->len <= b->len;
    g_ptr_array_unref(keep_a ? b : a);
    return keep_a ? a : b;
}

static GPtrArray *
single(GString *run)
{
    GPtrArray *req = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(req, g_strndup(run->str, run->len));
    g_string_truncate(run, 0);
    return req;
}

static gboolean
at(const LitReader *lr, const char *s)
{
    gsize n = strlen(s);
    return (gsize) (lr->end - lr->p) >= n && memcmp(lr->p, s, n) == 0;
}

static void
fail(LitReader *lr)
{
    lr->failed = TRUE;
    lr->p = lr->end;
}

/* [...] — skipped whole (bt_skip_class); only its end matters. */
static void
skip_class(LitReader *lr)
{
    const char *after = bt_skip_class(lr->p);
    if (after)
        lr->p = after;
    else
        fail(lr);
}

/* After '(': the group's kind.  Returns FALSE for groups whose content must
 * not count (lookarounds, comments); fails on options and the rest. */
static gboolean
open_group(LitReader *lr)
{
    if (*lr->p == '*') {        /* (*VERB) */
        fail(lr);
        return FALSE;
    }
    if (*lr->p != '?')
        return TRUE;            /* a capturing group */
    static const char *const plain[] = { "?:", "?>", "?|" };
    static const char *const look[] = { "?=", "?!", "?<=", "?<!" };
    for (gsize i = 0; i < G_N_ELEMENTS(plain); i++)
        if (at(lr, plain[i])) {
            lr->p += strlen(plain[i]);
            return TRUE;
        }
    for (gsize i = 0; i < G_N_ELEMENTS(look); i++)
        if (at(lr, look[i])) {
            lr->p += strlen(look[i]);
            return FALSE;
        }
    if (at(lr, "?<") || at(lr, "?P<") || at(lr, "?'")) {     /* a named group */
        const char *close = lr->p;
        while (close < lr->end && *close != '>' && *close != '\'')
            close++;
        if (close < lr->end && close > lr->p + 2) {
            lr->p = close + 1;
            return TRUE;
        }
    }
    fail(lr);
    return FALSE;
}

static Atom
read_group(LitReader *lr)
{
    Atom a = { .kind = ATOM_OTHER };
    lr->p++;
    gboolean counts = lr->p < lr->end && open_group(lr);
    if (lr->failed)
        return a;
    GPtrArray *req = read_alternation(lr);
    if (lr->p >= lr->end || *lr->p != ')') {
        if (req)
            g_ptr_array_unref(req);
        fail(lr);
        return a;
    }
    lr->p++;
    if (counts) {
        a.kind = ATOM_GROUP;
        a.req = req;
    } else if (req) {
        g_ptr_array_unref(req);
    }
    return a;
}

static Atom
read_escape(LitReader *lr)
{
    Atom a = { .kind = ATOM_OTHER };
    if (lr->p + 1 >= lr->end) {
        fail(lr);
        return a;
    }
    char c = lr->p[1];
    lr->p += 2;
    if ((guchar) c >= 0x80 || (g_ascii_isalnum(c) && !strchr("dDwWsShHvVbBAzZGRXKntrfea", c)))
        fail(lr);               /* \x41, \1, \p{L}, \Q, \N …: give up */
    else if (!g_ascii_isalnum(c)) {
        a.kind = ATOM_CHAR;     /* \. \- \/ …: the character itself */
        a.ch[0] = c;
        a.n = 1;
    }
    return a;
}

/* The lower-case form under which a caseless needle may hold `c`, or 0
 * when it may not.  PCRE2's caseless matching (UTF + UCP) equates a
 * character with its case partners, and subject_prepare folds only some
 * of them: Latin-1 letters (but not å, ß, ÿ, µ, whose partners lie outside
 * Latin-1: U+212B, U+1E9E, U+0178, U+039C) and the basic Cyrillic block
 * U+0400-U+045F (whose old letter forms U+1C80-U+1C88 a subject is checked
 * for, like KELVIN SIGN).  Characters of scripts without case are taken
 * as they are: CJK, kana, Hangul, and Hebrew, Arabic (with its
 * supplement and presentation forms), the Indic scripts, Thai and Lao,
 * whose letters Unicode gives no other case (a Persian or Hebrew phrase
 * would otherwise leave only the space between its words as a needle,
 * which nearly every text holds). */
static gboolean
is_caseless_script(gunichar c)
{
    return (c >= 0x3000 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7A3)
        || (c >= 0x0590 && c <= 0x06FF) || (c >= 0x0750 && c <= 0x077F)
        || (c >= 0x0900 && c <= 0x0EFF) || (c >= 0xFB50 && c <= 0xFDFF)
        || (c >= 0xFE70 && c <= 0xFEFF);
}

static gunichar
fold_char(gunichar c)
{
    if (is_caseless_script(c))
        return c;
    if (c >= 0xC0 && c <= 0xFE && c != 0xD7 && c != 0xF7 && c != 0xC5 && c != 0xE5 && c != 0xDF)
        return c <= 0xDE ? c + 0x20 : c;
    if (c >= 0x400 && c <= 0x45F)
        return c <= 0x40F ? c + 0x50 : c <= 0x42F ? c + 0x20 : c;
    return 0;
}

/* One UTF-8 character, whole: a literal when fold_char allows it. */
static Atom
read_utf8_char(LitReader *lr)
{
    Atom a = { .kind = ATOM_OTHER };
    const char *start = lr->p;
    lr->p++;
    while (lr->p < lr->end && ((guchar) *lr->p & 0xC0) == 0x80)
        lr->p++;
    gunichar c = g_utf8_get_char_validated(start, lr->p - start);
    if (c == (gunichar) -1 || c == (gunichar) -2)
        return a;
    gunichar lit = lr->caseless ? fold_char(c) : c;
    if (lit) {
        a.kind = ATOM_CHAR;
        a.n = (guint) g_unichar_to_utf8(lit, a.ch);
    }
    return a;
}

static Atom
read_atom(LitReader *lr)
{
    Atom a = { .kind = ATOM_OTHER };
    guchar c = (guchar) *lr->p;
    if (c == '(')
        return read_group(lr);
    if (c == '\\')
        return read_escape(lr);
    if (c == '[') {
        skip_class(lr);
        return a;
    }
    if (c >= 0x80)
        return read_utf8_char(lr);
    if (strchr("*+?{}]", c)) {
        fail(lr);
        return a;
    }
    lr->p++;
    if (c != '.' && c != '^' && c != '$') {
        a.kind = ATOM_CHAR;
        a.ch[0] = lr->caseless ? g_ascii_tolower((char) c) : (char) c;
        a.n = 1;
    }
    return a;
}

static gboolean
read_number(LitReader *lr, guint *n)
{
    if (lr->p >= lr->end || !g_ascii_isdigit(*lr->p))
        return FALSE;
    *n = 0;
    while (lr->p < lr->end && g_ascii_isdigit(*lr->p) && *n < 100000)
        *n = *n * 10 + (guint) (*lr->p++ - '0');
    return TRUE;
}

/* ?, *, +, {n}, {n,}, {n,m} and their lazy or possessive forms; none is
 * {1}.  Only whether the atom is required (min) and repeated (max) matter. */
static void
read_quantifier(LitReader *lr, guint *min, gboolean *repeated)
{
    *min = 1;
    *repeated = FALSE;
    if (lr->p >= lr->end)
        return;
    char c = *lr->p;
    if (c == '?' || c == '*' || c == '+') {
        lr->p++;
        *min = c == '+';
        *repeated = c != '?';
    } else if (c == '{') {
        lr->p++;
        guint lo, hi = 0;
        if (!read_number(lr, &lo)) {
            fail(lr);
            return;
        }
        gboolean comma = lr->p < lr->end && *lr->p == ',';
        if (comma)
            lr->p++;
        gboolean has_hi = comma && read_number(lr, &hi);
        if (lr->p >= lr->end || *lr->p != '}') {
            fail(lr);
            return;
        }
        lr->p++;
        *min = lo;
        *repeated = comma ? !has_hi || hi > 1 : lo > 1;
    } else {
        return;
    }
    if (lr->p < lr->end && (*lr->p == '?' || *lr->p == '+'))
        lr->p++;
}

static GPtrArray *
read_sequence(LitReader *lr)
{
    GPtrArray *best = NULL;
    g_autoptr(GString) run = g_string_new(NULL);
    while (lr->p < lr->end && *lr->p != '|' && *lr->p != ')') {
        Atom a = read_atom(lr);
        guint min;
        gboolean repeated;
        read_quantifier(lr, &min, &repeated);
        if (lr->failed) {
            if (a.req)
                g_ptr_array_unref(a.req);
            break;
        }
        if (a.kind == ATOM_CHAR && min >= 1) {
            g_string_append_len(run, a.ch, a.n);
            if (!repeated)
                continue;
        }
        if (run->len)
            best = better(best, single(run));
        if (a.kind == ATOM_GROUP && min >= 1)
            best = better(best, a.req);
        else if (a.req)
            g_ptr_array_unref(a.req);
    }
    if (run->len)
        best = better(best, single(run));
    return best;
}

/* Every branch must require something, else the whole requires nothing. */
static GPtrArray *
read_alternation(LitReader *lr)
{
    GPtrArray *all = read_sequence(lr);
    while (lr->p < lr->end && *lr->p == '|') {
        lr->p++;
        GPtrArray *branch = read_sequence(lr);
        if (all && branch) {
            for (guint i = 0; i < branch->len; i++)
                g_ptr_array_add(all, g_strdup(branch->pdata[i]));
        } else if (all) {
            g_clear_pointer(&all, g_ptr_array_unref);
        }
        if (branch)
            g_ptr_array_unref(branch);
    }
    return all;
}

/* Leading options: (?i) makes the literals caseless; m, s and n do not
 * change which characters match; anything else gives up. */
static void
read_leading_options(LitReader *lr)
{
    if (!at(lr, "(?"))
        return;
    const char *q = lr->p + 2;
    while (q < lr->end && *q && strchr("imsn", *q))
        q++;
    if (q == lr->p + 2 || q >= lr->end || *q != ')')
        return;                 /* not plain leading options: read_group fails on it */
    lr->caseless = memchr(lr->p + 2, 'i', q - lr->p - 2) != NULL;
    lr->p = q + 1;
}

/* NULL when nothing is known to be required. */
static char **
required_literals(const char *pattern, gboolean *caseless)
{
    LitReader lr = { .p = pattern, .end = pattern + strlen(pattern) };
    read_leading_options(&lr);
    GPtrArray *req = read_alternation(&lr);
    if (lr.p < lr.end)
        lr.failed = TRUE;       /* an unbalanced ')' */
    if (req && (lr.failed || req->len > MAX_NEEDLES))
        g_clear_pointer(&req, g_ptr_array_unref);
    if (!req)
        return NULL;
    *caseless = lr.caseless;
    g_ptr_array_add(req, NULL);
    return (char **) g_ptr_array_free(req, FALSE);
}

/* ---- subjects ------------------------------------------------------------- */

/* A subject is prepared once, on its first literal test: an ASCII
 * lower-case copy for caseless needles; which byte pairs it holds, hashed
 * into a small bit set and compared in lower case, so that a needle one of
 * whose pairs is missing is ruled out without searching the text (most
 * are); and whether it holds KELVIN SIGN or LATIN SMALL LETTER LONG S, the
 * only non-ASCII characters PCRE2's caseless matching equates with ASCII
 * letters (k and s), or the old Cyrillic letter forms equated with basic
 * Cyrillic ones.  The copy also folds Latin-1 and basic Cyrillic capitals
 * (fold_two_byte_letters), the non-ASCII letters needles may hold. */

static inline guchar
lower(guchar c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static inline guint
pair_hash(guchar lower_a, guchar lower_b)
{
    return ((guint) lower_a * 61u + (guint) lower_b) % BT_SUBJECT_PAIR_BITS;
}

void
bt_subject_init(BtSubject *subj)
{
    memset(subj, 0, offsetof(BtSubject, pairs));
}

/* The ASCII stand-in for the typographic quote whose UTF-8 is E2 80 c, or 0. */
static char
ascii_quote(guchar c)
{
    switch (c) {
    case 0x98: case 0x99: case 0x9B: case 0xB2:    /* ‘ ’ ‛ ′ */
        return '\'';
    case 0x9C: case 0x9D:                           /* “ ” */
        return '"';
    default:
        return 0;
    }
}

/* `str` with its typographic quotes made ASCII, or NULL when it has none. */
static char *
plain_quotes(const char *str, gsize len, gsize *out_len)
{
    const char *p = str ? memchr(str, 0xE2, len) : NULL;
    gboolean found = FALSE;
    for (; p && p + 2 < str + len && !found; p = memchr(p + 1, 0xE2, str + len - p - 1))
        found = (guchar) p[1] == 0x80 && ascii_quote((guchar) p[2]);
    if (!found)
        return NULL;
    char *out = g_malloc(len + 1);
    gsize n = 0;
    for (gsize i = 0; i < len; i++) {
        char q = i + 2 < len && (guchar) str[i] == 0xE2 && (guchar) str[i + 1] == 0x80
                     ? ascii_quote((guchar) str[i + 2]) : 0;
        if (q) {
            out[n++] = q;
            i += 2;
        } else {
            out[n++] = str[i];
        }
    }
    out[n] = '\0';
    *out_len = n;
    return out;
}

void
bt_subject_set(BtSubject *subj, const char *str, gsize len)
{
    g_clear_pointer(&subj->plain, g_free);
    subj->plain = plain_quotes(str, len, &len);
    subj->str = subj->plain ? subj->plain : str;
    subj->len = len;
    subj->prepared = FALSE;
}

void
bt_subject_free(BtSubject *subj)
{
    g_free(subj->lower);
    g_free(subj->plain);
    bt_subject_init(subj);
}

/* Lower-cases, in place, the two-byte letters fold_char lets needles hold:
 * Latin-1 capitals U+00C0-U+00DE (C3 80-9E, not U+00D7) and Cyrillic
 * capitals U+0400-U+042F; the byte length never changes.  A lead byte
 * followed by a continuation byte is a whole character whatever comes
 * before it, so invalid UTF-8 elsewhere does not matter. */
static void
fold_two_byte_letters(guchar *s, gsize len)
{
    for (gsize i = 0; i + 1 < len; i++) {
        guchar b = s[i + 1];
        if (s[i] == 0xC3 && b >= 0x80 && b <= 0x9E && b != 0x97) {
            s[i + 1] = b + 0x20;
        } else if (s[i] == 0xD0 && b >= 0x80 && b <= 0xAF) {
            /* U+0400-040F -> U+0450-045F; 0410-041F -> 0430-043F; 0420-042F -> 0440-044F */
            if (b <= 0x8F) {
                s[i] = 0xD1;
                s[i + 1] = b + 0x10;
            } else if (b <= 0x9F) {
                s[i + 1] = b + 0x20;
            } else {
                s[i] = 0xD1;
                s[i + 1] = b - 0x20;
            }
        }
    }
}

static void
subject_prepare(BtSubject *subj)
{
    if (subj->prepared)
        return;
    subj->scanned = FALSE;
    if (subj->lower_size < subj->len + 1) {
        g_free(subj->lower);
        subj->lower_size = MAX(subj->len + 1, 64);
        subj->lower = g_malloc(subj->lower_size);
    }
    guchar *out = (guchar *) subj->lower;
    /* eight bytes at a time: this runs over every text of every record */
    gboolean non_ascii = bt_ascii_strdown_into(subj->lower, subj->str, subj->len);
    if (non_ascii)
        fold_two_byte_letters(out, subj->len);
    subj->odd_fold = non_ascii ? -1 : FALSE;     /* looked for when needed */
    subj->non_ascii = non_ascii;
    subj->lower[subj->len] = '\0';
    subj->prepared = TRUE;
    subj->paired = FALSE;
}

/* The byte pairs of a prepared subject, on its first needle test: the
 * candidate index reads most texts' lower-case copy without testing a
 * needle on them. */
static void
subject_pair(BtSubject *subj)
{
    if (subj->paired)
        return;
    const guchar *low = (const guchar *) subj->lower;
    memset(subj->pairs, 0, sizeof subj->pairs);
    for (gsize i = 1; i < subj->len; i++) {
        guint h = pair_hash(low[i - 1], low[i]);
        subj->pairs[h / 64] |= G_GUINT64_CONSTANT(1) << (h % 64);
    }
    subj->paired = TRUE;
}

/* How rare a byte of a lower-case needle is in running text, by the order
 * of English letter frequencies; any other byte counts as fairly rare. */
static guint
byte_rarity(guchar c)
{
    /* 1 + the place in " etaoinsrhldcumfpgwybvkxjqz"; 0: not there */
    static const guint8 place[256] = {
        [' '] = 1, ['e'] = 2, ['t'] = 3, ['a'] = 4, ['o'] = 5, ['i'] = 6, ['n'] = 7, ['s'] = 8,
        ['r'] = 9, ['h'] = 10, ['l'] = 11, ['d'] = 12, ['c'] = 13, ['u'] = 14, ['m'] = 15,
        ['f'] = 16, ['p'] = 17, ['g'] = 18, ['w'] = 19, ['y'] = 20, ['b'] = 21, ['v'] = 22,
        ['k'] = 23, ['x'] = 24, ['j'] = 25, ['q'] = 26, ['z'] = 27,
    };
    return place[c] ? place[c] - 1u : 20;
}

/* The two pairs (of the first `n_pairs`) whose bytes are rarest: the
 * likeliest to be missing from a subject.  Which ones only changes how
 * soon a needle is ruled out, never whether it is. */
static void
needle_pick_rare(BtNeedle *n, const guchar *folded)
{
    guint best[2] = { 0, 0 }, score[2] = { 0, 0 };
    for (guint i = 0; i < n->n_pairs; i++) {
        guint sc = byte_rarity(folded[i]) + byte_rarity(folded[i + 1]) + 1;
        if (sc > score[0]) {
            best[1] = best[0];
            score[1] = score[0];
            best[0] = i;
            score[0] = sc;
        } else if (sc > score[1]) {
            best[1] = i;
            score[1] = sc;
        }
    }
    n->rare[0] = n->pairs[best[0]];
    n->rare[1] = n->pairs[score[1] ? best[1] : best[0]];
}

/* The pairs are hashed from the needle folded as subject_prepare folds the
 * subject, whatever case the needle itself is compared in. */
static void
needle_init(BtNeedle *n, char *text)
{
    n->text = text;
    n->len = strlen(text);
    n->n_pairs = 0;
    g_autofree guchar *folded = g_malloc(n->len + 1);
    for (gsize i = 0; i < n->len; i++)
        folded[i] = lower(text[i]);
    fold_two_byte_letters(folded, n->len);
    for (gsize i = 1; i < n->len && n->n_pairs < G_N_ELEMENTS(n->pairs); i++)
        n->pairs[n->n_pairs++] = (guint16) pair_hash(folded[i - 1], folded[i]);
    if (n->n_pairs)
        needle_pick_rare(n, folded);
}

/* Two pairs of each needle side by side, in the struct when there are
 * few needles; none when a needle has no pair (a one-byte needle). */
static void
quick_compute(BtRegex *re)
{
    re->n_quick = 0;
    for (guint i = 0; i < re->n_needles; i++)
        if (!re->needles[i].n_pairs)
            return;
    re->quick = re->n_needles <= BT_QUICK_NEEDLES ? re->quick_inline : g_new(guint16, 2 * re->n_needles);
    for (guint i = 0; i < re->n_needles; i++) {
        re->quick[2 * i] = re->needles[i].rare[0];
        re->quick[2 * i + 1] = re->needles[i].rare[1];
    }
    re->n_quick = re->n_needles;
}

static void
needles_compute(BtRegex *re)
{
    g_autofree char **texts = required_literals(re->pattern, &re->caseless);
    if (!texts)
        return;
    re->n_needles = g_strv_length(texts);
    re->needles = g_new(BtNeedle, re->n_needles);
    for (guint i = 0; i < re->n_needles; i++) {
        needle_init(&re->needles[i], texts[i]);     /* takes the string */
        re->odd_fold |= re->caseless && strpbrk(texts[i], "ks\xD0\xD1");
    }
    quick_compute(re);
}

/* A long alternation of phrases ("a|b|…|z") passes the literal test as soon
 * as one common word of any branch occurs, and then costs PCRE2 a try of
 * every branch at every position.  Split into its branches, each with its
 * own literals, only the branches whose literals occur run.  Splitting and
 * compiling the branches costs more than a few whole matches, so a
 * pattern is split only once it has passed its literal test
 * SPLIT_AFTER_PASSES times: a single message does not pay for it. */
static void
branches_compute(BtRegex *re)
{
    g_auto(GStrv) parts = bt_pattern_branches(re->pattern);
    if (!parts)
        return;
    re->branches = g_ptr_array_new_with_free_func((GDestroyNotify) bt_regex_free);
    for (guint i = 0; parts[i]; i++) {
        BtRegex *b = bt_regex_new(parts[i], NULL);      /* no `where`: a branch never warns */
        needles_compute(b);
        b->needles_ready = TRUE;
        g_ptr_array_add(re->branches, b);
    }
}

/* The literals are worked out on the first test, not at load: a run on one
 * message tries only some of the patterns.  The test of whether they are
 * ready is inlined: it runs hundreds of times per message. */
G_GNUC_NO_INLINE static void
needles_prepare(BtRegex *re)
{
    G_LOCK_DEFINE_STATIC(needles);
    G_LOCK(needles);
    if (!re->needles_ready) {
        needles_compute(re);
        g_atomic_int_set(&re->needles_ready, TRUE);
    }
    G_UNLOCK(needles);
}

static inline void
ensure_needles(BtRegex *re)
{
    if (G_UNLIKELY(!g_atomic_int_get(&re->needles_ready)))
        needles_prepare(re);
}

void
bt_regex_split_now(BtRegex *re)
{
    G_LOCK_DEFINE_STATIC(branches);
    G_LOCK(branches);
    if (!re->branches_ready) {
        branches_compute(re);
        g_atomic_int_set(&re->branches_ready, TRUE);
    }
    G_UNLOCK(branches);
}

/* The branches to run instead of the whole pattern, counting this pass of
 * the literal test; NULL while the pattern runs whole. */
static GPtrArray *
branches_for(BtRegex *re)
{
    if (g_atomic_int_get(&re->branches_ready))
        return re->branches;
    if (g_atomic_int_add(&re->passes, 1) + 1 < SPLIT_AFTER_PASSES)
        return NULL;
    bt_regex_split_now(re);
    return re->branches;
}

/* Does the subject hold byte `a`, then `b`, then (when `c_hi` is not 0) a
 * byte from `c_lo` to `c_hi`?  Found from each `a` by memchr: a whole
 * text of a few KB is searched so more cheaply than by memmem. */
static gboolean
holds_sequence(const BtSubject *subj, guchar a, guchar b, guchar c_lo, guchar c_hi)
{
    const char *end = subj->str + subj->len;
    gsize need = c_hi ? 3 : 2;
    for (const char *p = memchr(subj->str, a, subj->len); p; p = memchr(p + 1, a, (gsize) (end - p - 1))) {
        if ((gsize) (end - p) < need)
            return FALSE;
        if ((guchar) p[1] == b && (!c_hi || ((guchar) p[2] >= c_lo && (guchar) p[2] <= c_hi)))
            return TRUE;
    }
    return FALSE;
}

static inline gboolean
pair_may_occur(const BtSubject *subj, guchar a, guchar b)
{
    guint h = pair_hash(a, b);
    return (subj->pairs[h / 64] >> (h % 64)) & 1;
}

/* With the byte pairs made, a subject that lacks the first two bytes of
 * all three is not searched: the lower-case copy keeps each of these
 * pairs where the text has it (neither byte is one that folding changes,
 * nor does either follow one). */
static gboolean
odd_fold_pairs_absent(const BtSubject *subj)
{
    return subj->paired && !pair_may_occur(subj, 0xE2, 0x84) && !pair_may_occur(subj, 0xC5, 0xBF)
           && !pair_may_occur(subj, 0xE1, 0xB2);
}

static gboolean
subject_has_odd_fold(BtSubject *subj)
{
    if (subj->odd_fold < 0)
        /* U+212A KELVIN SIGN, U+017F LONG S, and U+1C80-U+1C88, old forms
         * of в д о с т ъ ѣ ꙋ that caseless matching equates with them */
        subj->odd_fold = !odd_fold_pairs_absent(subj)
                         && (holds_sequence(subj, 0xE2, 0x84, 0xAA, 0xAA) || holds_sequence(subj, 0xC5, 0xBF, 0, 0)
                             || holds_sequence(subj, 0xE1, 0xB2, 0x80, 0x88));
    return subj->odd_fold;
}

static inline gboolean
pair_hash_occurs(const BtSubject *subj, guint h)
{
    return (subj->pairs[h / 64] >> (h % 64)) & 1;
}

/* May needle i occur?  FALSE when the subject lacks one of its two rare
 * pairs, as needle_occurs would find. */
static inline gboolean
quick_may_occur(const BtRegex *re, guint i, const BtSubject *subj)
{
    return pair_hash_occurs(subj, re->quick[2 * i]) && pair_hash_occurs(subj, re->quick[2 * i + 1]);
}

static gboolean
needle_occurs(const BtNeedle *n, gboolean caseless, const BtSubject *subj)
{
    if (n->len > subj->len)
        return FALSE;
    for (guint i = 0; i < n->n_pairs; i++)
        if (!(subj->pairs[n->pairs[i] / 64] & (G_GUINT64_CONSTANT(1) << (n->pairs[i] % 64))))
            return FALSE;
    return memmem(caseless ? subj->lower : subj->str, subj->len, n->text, n->len) != NULL;
}

/* The literal test of a pattern whose needles the subject's scan holds
 * (bt_regex_index_text): the scan of the lower-case copy, made once for
 * all such patterns, rules needles out as the byte pairs do, and a needle
 * it keeps is searched as needle_occurs searches it.  The odd-fold test
 * is the same, without pairs (they only spare its searches). */
static gboolean
scanned_may_match(BtRegex *re, BtSubject *subj)
{
    if (!subj->scanned) {
        guint words = (bt_ac_count(subj->scan) + 63) / 64;
        memset(subj->scan_present, 0, words * sizeof(guint64));
        bt_ac_scan(subj->scan, subj->lower, subj->len, subj->scan_present);
        subj->scanned = TRUE;
    }
    for (guint i = 0; i < re->n_needles; i++) {
        const BtNeedle *n = &re->needles[i];
        if (bt_ac_bit(subj->scan_present, re->text_ids[i])
            && memmem(re->caseless ? subj->lower : subj->str, subj->len, n->text, n->len))
            return TRUE;
    }
    return re->odd_fold && subject_has_odd_fold(subj);
}

/* FALSE only when no match is possible: no required literal occurs. */
static gboolean
may_match(BtRegex *re, BtSubject *subj)
{
    ensure_needles(re);
    if (!re->needles)
        return TRUE;
    subject_prepare(subj);
    if (subj->scan && re->text_owner == subj->scan_owner)
        return scanned_may_match(re, subj);
    subject_pair(subj);
    if (re->n_quick) {
        /* the needle array is read only for the needles `quick` keeps */
        for (guint i = 0; i < re->n_quick; i++)
            if (quick_may_occur(re, i, subj) && needle_occurs(&re->needles[i], re->caseless, subj))
                return TRUE;
    } else {
        for (guint i = 0; i < re->n_needles; i++)
            if (needle_occurs(&re->needles[i], re->caseless, subj))
                return TRUE;
    }
    return re->odd_fold && subject_has_odd_fold(subj);
}

/* ---- compiling -------------------------------------------------------------- */

BtRegex *
bt_regex_new(const char *pattern, const char *where)
{
    BtRegex *re = g_new0(BtRegex, 1);
    re->pattern = g_strdup(pattern);
    re->where = g_strdup(where);
    return re;
}

/* Column (1-based) of byte `offset` of the pattern when the scalar's source
 * text is the pattern itself on one line (plain, or quoted without escapes);
 * otherwise the scalar's own column. */
static gsize
pattern_column(const yaml_node_t *node, const char *pattern, gsize offset)
{
    gsize col = node->start_mark.column + 1;
    gsize source_chars = node->end_mark.index - node->start_mark.index;
    glong chars = g_utf8_strlen(pattern, -1);
    gsize quotes = node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? 0 : 2;
    gboolean one_line = node->start_mark.line == node->end_mark.line;
    gboolean verbatim = node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE
                        || node->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE
                        || node->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    if (!one_line || !verbatim || source_chars != (gsize) chars + quotes)
        return col;
    if (offset > strlen(pattern))
        offset = strlen(pattern);
    return col + quotes / 2 + (gsize) g_utf8_pointer_to_offset(pattern, pattern + offset);
}

BtRegex *
bt_regex_compile(BtLoadCtx *ctx, const yaml_node_t *node, const char *pattern)
{
    g_autofree char *where = g_strdup_printf("%s:%zu:%zu", ctx->file, (gsize) node->start_mark.line + 1,
                                             (gsize) node->start_mark.column + 1);
    if (ctx->trusted)
        return bt_regex_new(pattern, where);
    int errcode;
    PCRE2_SIZE erroffset;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR) pattern, PCRE2_ZERO_TERMINATED, COMPILE_OPTIONS,
                                     &errcode, &erroffset, NULL);
    if (!code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(errcode, msg, sizeof msg);
        bt_load_error_at(ctx, node->start_mark.line + 1, pattern_column(node, pattern, erroffset),
                         "bad regex: %s (at offset %zu)", (const char *) msg, (gsize) erroffset);
        return NULL;
    }
    BtRegex *re = bt_regex_new(pattern, where);
    re->code = code;
    return re;
}

/* ---- matching ----------------------------------------------------------------- */

static gboolean
is_limit_error(int rc)
{
    return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT
           || rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT
           || rc == PCRE2_ERROR_NOMEMORY;
}

static void
warn_once(BtRegex *re, const char *what, int rc)
{
    if (!g_atomic_int_compare_and_exchange(&re->warned, 0, 1))
        return;
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(rc, msg, sizeof msg);
    g_warning("%s: %s (%s); treated as no match", re->where ? re->where : re->pattern, what,
              (const char *) msg);
}

/* The interpreted code, compiled on first use for a pattern that was
 * validated earlier (bt_regex_new); threads that race both compile and one
 * copy is kept. */
static const pcre2_code *
interpreted_code(BtRegex *re)
{
    pcre2_code *code = g_atomic_pointer_get(&re->code);
    if (code)
        return code;
    int errcode;
    PCRE2_SIZE erroffset;
    code = pcre2_compile((PCRE2_SPTR) re->pattern, PCRE2_ZERO_TERMINATED, COMPILE_OPTIONS,
                         &errcode, &erroffset, NULL);
    if (!code) {
        if (re->where)
            warn_once(re, "pattern does not compile", errcode);
        return NULL;
    }
    return bt_pcre2_code_publish(&re->code, code);
}

/* The code to run: interpreted until the pattern is used often, then its
 * JIT copy (core/lazyjit.h). */
static const pcre2_code *
code_for_match(BtRegex *re, gsize len)
{
    const pcre2_code *code = interpreted_code(re);
    return code ? bt_lazy_jit_pick(&re->lazy, code, JIT_AFTER_USES, len) : NULL;
}

gboolean
bt_regex_match(BtRegex *re, const char *subject, gsize len, gsize *start, gsize *end)
{
    return bt_regex_match_from(re, subject, len, 0, start, end);
}

gboolean
bt_regex_match_from(BtRegex *re, const char *subject, gsize len, gsize from, gsize *start, gsize *end)
{
    const pcre2_code *code = code_for_match(re, len);
    if (!code || from > len)
        return FALSE;
    pcre2_match_data *md = match_data_for_thread();
    int rc = pcre2_match(code, (PCRE2_SPTR) subject, len, from, 0, md, shared_match_context());
    if (rc >= 0) {     /* 0: matched, the ovector was too small for the groups */
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        *start = ov[0];
        *end = ov[1] >= ov[0] ? ov[1] : ov[0];
        return TRUE;
    }
    if (is_limit_error(rc))
        warn_once(re, "pattern gave up", rc);
    return FALSE;
}

/* The leftmost match of the branches, ties to the earliest: the match of
 * the whole pattern.  FALSE with `*whole` set when a branch does not
 * compile on its own, so the caller runs the pattern whole. */
static gboolean
search_branches(BtRegex *re, BtSubject *subj, gsize *start, gsize *end, gboolean *whole)
{
    gboolean found = FALSE;
    for (guint i = 0; i < re->branches->len && !(found && *start == 0); i++) {
        BtRegex *b = re->branches->pdata[i];
        gsize s, e;
        if (!may_match(b, subj))
            continue;
        if (!interpreted_code(b)) {
            *whole = TRUE;
            return FALSE;
        }
        if (bt_regex_match(b, subj->str, subj->len, &s, &e) && (!found || s < *start)) {
            *start = s;
            *end = e;
            found = TRUE;
        }
    }
    return found;
}

gboolean
bt_regex_search(BtRegex *re, BtSubject *subj, gsize *start, gsize *end)
{
    if (!subj->str || !may_match(re, subj))
        return FALSE;
    if (branches_for(re)) {
        gboolean whole = FALSE;
        gboolean found = search_branches(re, subj, start, end, &whole);
        if (!whole)
            return found;
    }
    return bt_regex_match(re, subj->str, subj->len, start, end);
}

GStrv
bt_regex_needles(BtRegex *re, gboolean *caseless)
{
    ensure_needles(re);
    *caseless = re->caseless;
    if (!re->needles)
        return NULL;
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    for (guint i = 0; i < re->n_needles; i++)
        g_strv_builder_add(b, re->needles[i].text);
    return g_strv_builder_end(b);
}

/* A copy of a pattern not yet used (no needles, no JIT copy, no branches),
 * made where the caller's memory is (`into`, sizeof(BtRegex) bytes); the
 * original's struct is freed, its parts now belong to the copy, which
 * bt_regex_clear releases. */
BtRegex *
bt_regex_move(BtRegex *re, void *into)
{
    g_assert(!re->needles_ready && !re->branches_ready && !re->lazy.jit);
    BtRegex *copy = memcpy(into, re, sizeof *re);
    g_free(re);
    return copy;
}

void
bt_regex_free(BtRegex *re)
{
    if (!re)
        return;
    bt_regex_clear(re);
    g_free(re);
}

void
bt_regex_clear(BtRegex *re)
{
    pcre2_code_free(re->code);
    bt_lazy_jit_clear(&re->lazy);
    g_free(re->pattern);
    g_free(re->where);
    for (guint i = 0; i < re->n_needles; i++)
        g_free(re->needles[i].text);
    g_free(re->needles);
    if (re->quick != re->quick_inline)
        g_free(re->quick);
    g_free(re->text_ids);
    if (re->branches)
        g_ptr_array_unref(re->branches);
}

/* ---- for the rules' candidate index (candidates.c) -------------------------- */

gboolean
bt_regex_has_literals(BtRegex *re)
{
    ensure_needles(re);
    return re->needles != NULL;
}

/* Each literal as subject_prepare folds a subject, so that it occurs in a
 * subject's lower-case copy whenever needle_occurs would find it. */
void
bt_regex_each_literal(BtRegex *re, void (*fn)(const char *folded, gsize len, gpointer data), gpointer data)
{
    ensure_needles(re);
    for (guint i = 0; i < re->n_needles; i++) {
        const BtNeedle *n = &re->needles[i];
        g_autofree guchar *folded = g_malloc(n->len + 1);
        for (gsize k = 0; k < n->len; k++)
            folded[k] = lower(n->text[k]);
        fold_two_byte_letters(folded, n->len);
        fn((const char *) folded, n->len, data);
    }
}

/* A needle found in the text (in it, or caseless in its lower-case copy)
 * occurs in the copy as the scan sees it (ASCII lowered, every other byte
 * alike), and its byte pairs in the copy's, unless it starts inside a
 * character or ends on the lead byte of one that folding rewrites
 * (fold_two_byte_letters): such a pattern keeps the pairs. */
static gboolean
needle_scans_like_pairs(const BtNeedle *n)
{
    if (!n->len)
        return FALSE;
    guchar first = (guchar) n->text[0], last = (guchar) n->text[n->len - 1];
    return !(first >= 0x80 && first <= 0xBF) && last != 0xC3 && last != 0xD0;
}

gboolean
bt_regex_index_text(BtRegex *re, BtAcScan *ac, gconstpointer owner)
{
    ensure_needles(re);
    if (!re->needles || re->text_owner)
        return FALSE;
    for (guint i = 0; i < re->n_needles; i++)
        if (!needle_scans_like_pairs(&re->needles[i]))
            return FALSE;
    re->text_ids = g_new(guint, re->n_needles);
    for (guint i = 0; i < re->n_needles; i++) {
        const BtNeedle *n = &re->needles[i];
        g_autofree char *folded = g_malloc(n->len);
        for (gsize k = 0; k < n->len; k++)
            folded[k] = (char) lower(n->text[k]);
        re->text_ids[i] = bt_ac_add(ac, folded, n->len);
    }
    re->text_owner = owner;
    return TRUE;
}

void
bt_subject_use_scan(BtSubject *subj, const BtAcScan *ac, gconstpointer owner, guint64 *present)
{
    subj->scan = ac;
    subj->scan_owner = owner;
    subj->scan_present = present;
    subj->scanned = FALSE;
}

const char *
bt_subject_lower(BtSubject *subj, gboolean *odd_fold)
{
    subject_prepare(subj);
    *odd_fold = subj->odd_fold && subject_has_odd_fold(subj);
    return subj->lower;
}

gboolean
bt_subject_non_ascii(BtSubject *subj)
{
    subject_prepare(subj);
    return subj->non_ascii;
}
