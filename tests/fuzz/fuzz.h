/* fuzz — what the libFuzzer targets share: the shipped rules and layouts
 * loaded once, a private temporary directory for the loaders that only read
 * directories, and a quiet GLib.  Each target defines
 * LLVMFuzzerTestOneInput (and may define LLVMFuzzerInitialize); the same
 * file links with libFuzzer (make fuzz) or with replay.c (make check). */
#pragma once

#include "config.h"
#include "core/core.h"
#include "extract/extract.h"
#include "rules/rules.h"

#include <glib/gstdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The source tree: BT_SRCDIR when set (make check), else where the build
 * was configured from. */
static inline const char *
fuzz_srcdir(void)
{
    const char *s = g_getenv("BT_SRCDIR");
    return s && *s ? s : BT_ABS_SRCDIR;
}

/* GLib's g_warning/g_critical abort under G_DEBUG=fatal-warnings; a fuzz
 * input may legitimately make a library warn, which is not a crash.  Every
 * log line is dropped so the fuzzer's output stays readable. */
static inline void
fuzz_drop_log(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data)
{
    (void) domain; (void) level; (void) message; (void) data;
}

/* The private directories a process made (fuzz_cleanup removes them). */
static char *fuzz_cache_dir, *fuzz_tmp_dir;

static inline void
fuzz_remove_tree(const char *path)
{
    GDir *d = g_dir_open(path, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *child = g_build_filename(path, name, NULL);
        if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
            fuzz_remove_tree(child);
        else
            g_unlink(child);
    }
    if (d)
        g_dir_close(d);
    g_rmdir(path);
}

/* Removes the private directories, at exit. */
static inline void
fuzz_cleanup(void)
{
    if (fuzz_cache_dir)
        fuzz_remove_tree(fuzz_cache_dir);
    if (fuzz_tmp_dir)
        fuzz_remove_tree(fuzz_tmp_dir);
}


static inline void
fuzz_init_glib(void)
{
    static gboolean done;
    if (done)
        return;
    done = TRUE;
    g_log_set_default_handler(fuzz_drop_log, NULL);
    atexit(fuzz_cleanup);
    /* the rule loader keeps a cache of valid rule sets: keep it private */
    fuzz_cache_dir = g_build_filename(g_get_tmp_dir(), "bt-fuzz-cache-XXXXXX", NULL);
    if (g_mkdtemp(fuzz_cache_dir))
        g_setenv("XDG_CACHE_HOME", fuzz_cache_dir, TRUE);
    g_mime_init();
}

/* The shipped layouts and rules, loaded once per process; abort() if they
 * do not load, since then nothing the fuzzer finds would mean anything. */
static inline BtExtractor *
fuzz_extractor(void)
{
    static BtExtractor *ex;
    if (!ex) {
        fuzz_init_glib();
        g_autofree char *dir = g_build_filename(fuzz_srcdir(), "rules", "layouts", NULL);
        const char *dirs[] = { dir, NULL };
        g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
        ex = bt_extractor_new(dirs, errors, NULL);
        if (!ex)
            abort();
    }
    return ex;
}

static inline BtRuleSet *
fuzz_rules(void)
{
    static BtRuleSet *rs;
    if (!rs) {
        fuzz_init_glib();
        g_autofree char *dir = g_build_filename(fuzz_srcdir(), "rules", NULL);
        const char *dirs[] = { dir, NULL };
        g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
        rs = bt_ruleset_load(dirs, errors, NULL);
        if (!rs)
            abort();
    }
    return rs;
}

/* A fresh, empty private directory (the same path on every call in one
 * process, emptied of what the last input left). */
static inline const char *
fuzz_tmpdir(void)
{
    if (!fuzz_tmp_dir) {
        fuzz_tmp_dir = g_build_filename(g_get_tmp_dir(), "bt-fuzz-XXXXXX", NULL);
        if (!g_mkdtemp(fuzz_tmp_dir))
            abort();
    }
    const char *dir = fuzz_tmp_dir;
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        g_unlink(path);
    }
    if (d)
        g_dir_close(d);
    return dir;
}

/* Writes `data` to dir/name; abort() when it cannot (a full /tmp is not a
 * finding, but silently testing nothing would be worse). */
static inline char *
fuzz_write_file(const char *dir, const char *name, const uint8_t *data, size_t size)
{
    char *path = g_build_filename(dir, name, NULL);
    if (!g_file_set_contents(path, (const char *) data, (gssize) size, NULL))
        abort();
    return path;
}

/* GMime's parser over `size` bytes (no copy); NULL when it finds no message. */
static inline GMimeMessage *
fuzz_parse_message(const void *data, size_t size)
{
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer((const char *) data, size);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
    GMimeMessage *mime = g_mime_parser_construct_message(parser, NULL);
    g_object_unref(parser);
    g_object_unref(stream);
    return mime;
}
