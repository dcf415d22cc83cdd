/* replay — runs a fuzz target's LLVMFuzzerTestOneInput on files, without
 * libFuzzer, under the normal build: `make check` replays every crash the
 * fuzzers ever found (tests/fuzz/regressions/TARGET/) and the seeds the
 * fuzzers start from.  Linked once per target (FUZZ_TARGET names it).
 *
 *   replay-TARGET [--tap] [PATH…]   files, or directories walked recursively;
 *                                   without PATH, the target's own inputs
 *
 * A crash or a sanitizer report ends the process, which fails the test. */
#include "fuzz.h"

#include <stdio.h>

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

typedef struct {
    const char *dir;        /* under the source tree */
    const char *suffix;     /* only files ending so; NULL: every file */
} InputSet;

/* The seed inputs of each target, as tests/fuzz/make-seeds.sh also takes them. */
static const struct {
    const char *target;
    InputSet inputs[3];
} seeds[] = {
    { "triage",   { { "fixtures", ".eml" } } },
    { "annotate", { { "fixtures", ".eml" } } },
    { "source",   { { "fixtures", ".eml" }, { "fixtures", ".mbox" } } },
    { "rules",    { { "rules", ".yaml" }, { "tests/data/rules", ".yaml" } } },
    { "layouts",  { { "rules/layouts", ".yaml" } } },
    { "dns",      { { "tests/fuzz/seeds/dns", NULL } } },
    { "resend",   { { "tests/fuzz/seeds/resend", NULL } } },
};

static guint
replay_file(const char *path)
{
    g_autofree char *data = NULL;
    gsize len;
    if (!g_file_get_contents(path, &data, &len, NULL)) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        exit(1);
    }
    /* a copy of exactly `len` bytes, so ASan sees reads past the end */
    g_autofree uint8_t *copy = g_memdup2(data, len);
    LLVMFuzzerTestOneInput(copy, len);
    return 1;
}

static int
compare_paths(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Files under `path` (sorted, recursive) ending in `suffix`. */
static guint
replay_path(const char *path, const char *suffix, gboolean top)
{
    if (!top && !g_file_test(path, G_FILE_TEST_EXISTS))
        return 0;
    if (!g_file_test(path, G_FILE_TEST_IS_DIR)) {
        if (!top && suffix && !g_str_has_suffix(path, suffix))
            return 0;
        if (!top && g_str_has_suffix(path, "README.md"))
            return 0;
        return replay_file(path);
    }
    GDir *d = g_dir_open(path, 0, NULL);
    if (!d)
        return 0;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(d)))
        if (name[0] != '.')
            g_ptr_array_add(names, g_build_filename(path, name, NULL));
    g_dir_close(d);
    g_ptr_array_sort(names, compare_paths);
    guint n = 0;
    for (guint i = 0; i < names->len; i++)
        n += replay_path(names->pdata[i], suffix, FALSE);
    return n;
}

int
main(int argc, char **argv)
{
    gboolean tap = argc > 1 && strcmp(argv[1], "--tap") == 0;
    if (tap) {
        argv++;
        argc--;
    }
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    if (argc > 1) {
        guint n = 0;
        for (int i = 1; i < argc; i++)
            n += replay_path(argv[i], NULL, TRUE);
        printf("%s%u inputs replayed through %s\n", tap ? "1..1\nok 1 - " : "", n, FUZZ_TARGET);
        return 0;
    }
    /* the target's own inputs: its regressions, then its seeds */
    g_autoptr(GPtrArray) sets = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(sets, g_strdup_printf("tests/fuzz/regressions/%s", FUZZ_TARGET));
    g_ptr_array_add(sets, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(seeds); i++) {
        if (strcmp(seeds[i].target, FUZZ_TARGET) != 0)
            continue;
        for (gsize j = 0; j < G_N_ELEMENTS(seeds[i].inputs) && seeds[i].inputs[j].dir; j++) {
            g_ptr_array_add(sets, g_strdup(seeds[i].inputs[j].dir));
            g_ptr_array_add(sets, g_strdup(seeds[i].inputs[j].suffix));
        }
    }
    if (tap)
        printf("1..%u\n", sets->len / 2);
    for (guint i = 0; i < sets->len; i += 2) {
        g_autofree char *dir = g_build_filename(fuzz_srcdir(), sets->pdata[i], NULL);
        guint n = replay_path(dir, sets->pdata[i + 1], FALSE);
        /* a seed set that is missing or empty would test nothing; a target
         * may have no regression yet */
        gboolean ok = n > 0 || i == 0;
        printf("%s %u - %s %s: %u inputs replayed\n", ok ? "ok" : "not ok", i / 2 + 1,
               FUZZ_TARGET, (char *) sets->pdata[i], n);
        if (!ok && !tap)
            return 1;
    }
    return 0;
}
