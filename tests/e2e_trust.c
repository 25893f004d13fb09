/* What another user can plant for the library to trip over: a FIFO or
 * another user's file at the log path, a FIFO at the growth counter. The
 * library never blocks on them and never writes into another user's file;
 * Python runs on as it would. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/harness.h"

#define OTHER_UID 4242

static size_t count_of(const char *text, const char *needle)
{
	size_t n = 0;
	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* `py -m app` under the library and env, stopped after 20 s (a hang shows as
 * exit 124); the run must have printed the sample's output. */
static struct pcr_result *run_app_bounded(const struct pcr_fixture *f, const struct pcr_interp *py,
					  const char *const *env)
{
	struct pcr_result *r = malloc(sizeof *r);
	pcr_run_redirected(r, f, f->tree, env,
			   (const char *[]){ "/usr/bin/timeout", "20", py->path, "-m", "app", NULL });
	cr_assert_eq(r->status, 0, "%s: exit %d (124: it hung)\n%s", py->label, r->status, r->err);
	cr_assert(strstr(r->out, "version: "), "%s: %s", py->label, r->out);
	return r;
}

/* The README's own example, /tmp/pcr.log, is a name anyone can take first. */
static void log_fifo(const struct pcr_interp *py, struct pcr_fixture *f)
{
	char log[PATH_MAX], setting[PATH_MAX + 32];
	PCR_PATH(log, "%s/pcr.log", f->dir);
	cr_assert(mkfifo(log, 0666) == 0);
	PCR_PATH(setting, "PYCACHE_REDIRECT_LOG=2:file:%s", log);
	struct pcr_result *r = run_app_bounded(f, py, (const char *[]){ setting, NULL });
	cr_assert_eq(count_of(r->err, "warning: log file"), 1, "%s: %s", py->label, r->err);
	cr_assert(strstr(r->err, " -> "), "%s: the rewrites go to stderr instead: %s", py->label,
		  r->err);
	pcr_assert_sample_cached(f, py, "", "after a run logging to a FIFO");
	free(r);
}

Test(trust, a_fifo_at_the_log_path_is_not_waited_on)
{
	pcr_each_python(log_fifo);
}

static void log_foreign(const struct pcr_interp *py, struct pcr_fixture *f)
{
	char log[PATH_MAX], setting[PATH_MAX + 32];
	PCR_PATH(log, "%s/pcr.log", f->dir);
	pcr_write_file(log, "");
	cr_assert(chown(log, OTHER_UID, OTHER_UID) == 0 && chmod(log, 0666) == 0);
	PCR_PATH(setting, "PYCACHE_REDIRECT_LOG=2:file:%s", log);
	struct pcr_result *r = run_app_bounded(f, py, (const char *[]){ setting, NULL });
	cr_assert_eq(count_of(r->err, "warning: log file"), 1, "%s: %s", py->label, r->err);
	struct stat st;
	cr_assert(stat(log, &st) == 0);
	cr_assert_eq(st.st_size, 0, "%s: %lld bytes of the user's imports went into another "
		     "user's file", py->label, (long long)st.st_size);
	free(r);
}

Test(trust, another_user_s_log_file_gets_nothing)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to give a file to another uid");
	pcr_each_python(log_foreign);
}

/* The user's own log file (made by the user, any mode) is written. */
static void log_own(const struct pcr_interp *py, struct pcr_fixture *f)
{
	char log[PATH_MAX], setting[PATH_MAX + 32];
	PCR_PATH(log, "%s/pcr.log", f->dir);
	pcr_write_file(log, "");
	cr_assert(chmod(log, 0644) == 0);
	PCR_PATH(setting, "PYCACHE_REDIRECT_LOG=2:file:%s", log);
	struct pcr_result *r = run_app_bounded(f, py, (const char *[]){ setting, NULL });
	cr_assert_str_empty(r->err, "%s: %s", py->label, r->err);
	static char text[1 << 20];
	cr_assert_gt(pcr_read_file(log, text, sizeof text), 0, "%s: nothing logged", py->label);
	cr_assert(strstr(text, " -> "), "%s: %s", py->label, text);
	free(r);
}

Test(trust, the_user_s_own_log_file_is_written)
{
	pcr_each_python(log_own);
}

/* A FIFO in place of the growth counter: a cold import goes on, caching. */
static void counter_fifo(const struct pcr_interp *py, struct pcr_fixture *f)
{
	char path[PATH_MAX];
	cr_assert(mkdir(f->root, 0700) == 0);
	PCR_PATH(path, "%s/v1", f->root);
	cr_assert(mkdir(path, 0700) == 0);
	PCR_PATH(path, "%s/v1/usage", f->root);
	cr_assert(mkfifo(path, 0600) == 0);
	free(run_app_bounded(f, py, NULL));
	pcr_assert_sample_cached(f, py, "", "with a FIFO for a counter");
}

Test(trust, a_fifo_at_the_counter_is_not_waited_on)
{
	pcr_each_python(counter_fifo);
}
