/* rss — run a command and report its wall time and peak resident set size.
 *
 *   bench/rss [-o FILE] COMMAND [ARG...]
 *
 * The command keeps this program's stdin, stdout and stderr. When it ends,
 * one line "wall_s W user_s U sys_s S maxrss_kb K status X" goes to FILE
 * (appended) or to stderr. Peak RSS is ru_maxrss from wait4(), so it covers
 * the command and any children it waited for; wall time is measured around
 * fork/exec/wait on the monotonic clock. The exit status is the command's
 * (128 + signal number if it was killed), so scripts can still check it. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double) (now.tv_sec - start->tv_sec) + (double) (now.tv_nsec - start->tv_nsec) / 1e9;
}

static double
timeval_seconds(const struct timeval *tv)
{
    return (double) tv->tv_sec + (double) tv->tv_usec / 1e6;
}

/* Turns a wait status into a shell-style exit code. */
static int
exit_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 1;
}

static int
report(const char *out_path, double wall, const struct rusage *ru, int code)
{
    FILE *out = stderr;
    if (out_path && !(out = fopen(out_path, "a"))) {
        fprintf(stderr, "rss: %s: %s\n", out_path, strerror(errno));
        return -1;
    }
    fprintf(out, "wall_s %.6f user_s %.6f sys_s %.6f maxrss_kb %ld status %d\n",
            wall, timeval_seconds(&ru->ru_utime), timeval_seconds(&ru->ru_stime),
            ru->ru_maxrss, code);
    if (out != stderr)
        fclose(out);
    return 0;
}

int
main(int argc, char **argv)
{
    const char *out_path = NULL;
    int first = 1;
    if (argc > 2 && strcmp(argv[1], "-o") == 0) {
        out_path = argv[2];
        first = 3;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: rss [-o FILE] COMMAND [ARG...]\n");
        return 2;
    }

    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "rss: fork: %s\n", strerror(errno));
        return 1;
    }
    if (pid == 0) {
        execvp(argv[first], &argv[first]);
        fprintf(stderr, "rss: %s: %s\n", argv[first], strerror(errno));
        _exit(127);
    }

    int status;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "rss: wait4: %s\n", strerror(errno));
            return 1;
        }
    }
    double wall = seconds_since(&start);
    int code = exit_code(status);
    if (report(out_path, wall, &ru, code) < 0)
        return 1;
    return code;
}
