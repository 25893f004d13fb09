/* Never silently off: whenever Python started with the current settings
 * would not be redirected, `env` and `run` say why on stderr (one line,
 * with the fix), env still prints its lines and exits 0 (it runs in
 * start-up files), run still runs the command (but for a refused root),
 * and doctor reports a problem and exits 1. Every run names a root of the
 * fixture, or keeps the fallback in a private /tmp: no test touches the
 * user's cache. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "tests/harness.h"

/* The LD_PRELOAD line env prints for sh. */
static void assert_env_lines(const struct harness_result *r, const char *what)
{
	cr_assert_eq(r->status, 0, "%s: env exited %d: %s", what, r->status, r->err);
	cr_assert(strstr(r->out, "export LD_PRELOAD=") && strstr(r->out, PCR_TEST_LIBRARY),
		  "%s: env printed no LD_PRELOAD line:\n%s", what, r->out);
}

/* The line of doctor's output that starts with verdict and holds what. */
static bool doctor_says(const char *out, const char *verdict, const char *what)
{
	for (const char *line = out; *line;) {
		size_t n = strcspn(line, "\n");
		if (strncmp(line, verdict, strlen(verdict)) == 0) {
			char buf[1 << 13];
			snprintf(buf, sizeof buf, "%.*s", (int)n, line);
			if (strstr(buf, what))
				return true;
		}
		line += n + (line[n] == '\n');
	}
	return false;
}

struct reason {
	const char *name;
	const char *env[4]; /* beside PYCACHE_REDIRECT_DIR (unless one is given) */
	const char *env_says;
	const char *doctor_says; /* in a "problem" line */
};

/* env, run and doctor in one environment: each says the reason. */
static void check_reason(struct harness_fixture *f, const struct reason *c)
{
	char dir[PATH_MAX + 32];
	HARNESS_PATH(dir, "PYCACHE_REDIRECT_DIR=%s", f->root);
	const char *env[8] = { 0 };
	size_t n = 0;
	bool names_dir = false;
	for (size_t i = 0; c->env[i]; i++) {
		names_dir = names_dir || strncmp(c->env[i], "PYCACHE_REDIRECT_DIR=", 21) == 0;
		env[n++] = c->env[i];
	}
	if (!names_dir)
		env[n++] = dir;

	struct harness_result *r = harness_cli(f, NULL, env, (const char *[]){ "env", NULL });
	assert_env_lines(r, c->name);
	cr_assert(strstr(r->err, "pycache-redirect: env: ") && strstr(r->err, c->env_says),
		  "%s: env did not say '%s' on stderr:\n%s", c->name, c->env_says, r->err);
	free(r);

	r = harness_cli(f, NULL, env, (const char *[]){ "doctor", NULL });
	cr_assert_eq(r->status, 1, "%s: doctor exited %d:\n%s", c->name, r->status, r->out);
	cr_assert(doctor_says(r->out, "problem ", c->doctor_says),
		  "%s: doctor has no problem with '%s':\n%s", c->name, c->doctor_says, r->out);
	free(r);
}

Test(warn, env_and_doctor_name_each_reason_it_is_off)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	char prefix[PATH_MAX + 32], open_root[PATH_MAX], open_dir[PATH_MAX + 32];
	HARNESS_PATH(prefix, "PYTHONPYCACHEPREFIX=%s/prefix", f.dir);
	HARNESS_PATH(open_root, "%s/open", f.dir);
	cr_assert(mkdir(open_root, 0700) == 0 && chmod(open_root, 0777) == 0);
	HARNESS_PATH(open_dir, "PYCACHE_REDIRECT_DIR=%s", open_root);
	const struct reason cases[] = {
		{ "switched off",
		  { "PYCACHE_REDIRECT=0", NULL },
		  "note: PYCACHE_REDIRECT=0 switches the redirect off; unset PYCACHE_REDIRECT",
		  "switched off" },
		{ "PYTHONDONTWRITEBYTECODE",
		  { "PYTHONDONTWRITEBYTECODE=1", NULL },
		  "warning: PYTHONDONTWRITEBYTECODE=1: Python writes no bytecode",
		  "PYTHONDONTWRITEBYTECODE=1" },
		{ "PYTHONPYCACHEPREFIX",
		  { prefix, NULL },
		  "; unset PYTHONPYCACHEPREFIX",
		  "PYTHONPYCACHEPREFIX=" },
		{ "a relative root",
		  { "PYCACHE_REDIRECT_DIR=cache", NULL },
		  "warning: PYCACHE_REDIRECT_DIR must be an absolute path",
		  "configuration: PYCACHE_REDIRECT_DIR" },
		{ "a root open to others",
		  { open_dir, NULL },
		  "is writable by group or others: Python will not be redirected; chmod 700",
		  "is writable by group or others" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		check_reason(&f, &cases[i]);
	harness_fixture_fini(&f);
}

/* With nothing in the way, env and run say nothing at all. */
Test(warn, nothing_said_when_python_is_redirected)
{
	const struct harness_interp *py = harness_first_python();
	struct harness_fixture f;
	harness_fixture_init(&f);
	char dir[PATH_MAX + 32];
	HARNESS_PATH(dir, "PYCACHE_REDIRECT_DIR=%s", f.root);
	const char *env[] = { dir, NULL };
	struct harness_result *r = harness_cli(&f, NULL, env, (const char *[]){ "env", NULL });
	assert_env_lines(r, "a healthy set-up");
	cr_assert_str_empty(r->err, "env said: %s", r->err);
	free(r);
	r = harness_cli(&f, NULL, env, (const char *[]){ "run", py->path, "-m", "app", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert_str_empty(r->err, "run said: %s", r->err);
	harness_assert_tree_clean(&f, py);
	free(r);
	harness_fixture_fini(&f);
}

/* run says why too, and runs the command all the same. */
Test(warn, run_says_why_and_runs_the_command)
{
	const struct harness_interp *py = harness_first_python();
	struct harness_fixture f;
	harness_fixture_init(&f);
	struct harness_result *r = harness_cli(
	    &f, NULL, (const char *[]){ "PYTHONDONTWRITEBYTECODE=1", NULL },
	    (const char *[]){ "run", "--dir", f.root, "--", py->path, "-m", "app", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert(strstr(r->out, "version: 1"), "the command did not run: %s", r->out);
	cr_assert(strstr(r->err, "pycache-redirect: run: warning: PYTHONDONTWRITEBYTECODE=1"), "%s",
		  r->err);
	free(r);
	harness_fixture_fini(&f);
}

/* A default root that is refused: the fallback, with a note (not off, so
 * doctor has no problem with the root); the fallback refused too (someone
 * took its name), a warning and doctor's problem. The fallback lives in a
 * private /tmp. */
Test(warn, fallback_root_is_a_note_and_both_refused_a_warning)
{
	if (!harness_can_mount())
		cr_skip_test("needs root and unshare(1) for a private /tmp");
	struct harness_fixture f;
	harness_fixture_init(&f);
	char open_root[PATH_MAX], xdg[PATH_MAX + 32], fallback[64];
	HARNESS_PATH(open_root, "%s/open", f.dir);
	cr_assert(mkdir(open_root, 0700) == 0 && chmod(open_root, 0777) == 0);
	HARNESS_PATH(xdg, "XDG_CACHE_HOME=%s", open_root);
	HARNESS_PATH(fallback, "/tmp/pycache-redirect-%lu", (unsigned long)geteuid());
	const char *env[] = { xdg, NULL };

	struct harness_result *r = harness_cli(&f, NULL, env, (const char *[]){ "env", NULL });
	assert_env_lines(r, "a refused default root");
	char note[PATH_MAX + 64];
	HARNESS_PATH(note, "pycache-redirect: env: note: the cache root %s/pycache-redirect",
		     open_root);
	cr_assert(strstr(r->err, note) && strstr(r->err, fallback) && !strstr(r->err, "warning"),
		  "%s", r->err);
	free(r);
	r = harness_cli(&f, NULL, env, (const char *[]){ "doctor", NULL });
	cr_assert(doctor_says(r->out, "ok ", "the library uses /tmp/pycache-redirect-"), "%s",
		  r->out);
	free(r);

	char script[PATH_MAX * 2];
	HARNESS_PATH(script,
		     "mkdir -m 777 %s && chmod 777 %s && '%s' env; echo \"exit $?\"; '%s' doctor",
		     fallback, fallback, PCR_TEST_CLI, PCR_TEST_CLI);
	r = malloc(sizeof *r);
	harness_run_with_private_tmp(r, &f, env, (const char *[]){ "/bin/sh", "-c", script, NULL });
	cr_assert(strstr(r->out, "export LD_PRELOAD=") && strstr(r->out, "exit 0\n"), "%s\n%s",
		  r->out, r->err);
	char warning[PATH_MAX + 64];
	HARNESS_PATH(warning, "and its fallback %s is writable by group or others", fallback);
	cr_assert(strstr(r->err, "env: warning: the cache root") && strstr(r->err, warning), "%s",
		  r->err);
	cr_assert(doctor_says(r->out, "problem ", "and its fallback"), "%s", r->out);
	free(r);
	harness_fixture_fini(&f);
}

/* A library file found beside the command that is not this version's
 * (here libz): env names it and the fix, and exits 0 with its lines;
 * doctor reports it. */
Test(warn, env_names_a_library_that_is_not_ours)
{
	const char *other = "/usr/lib/x86_64-linux-gnu/libz.so.1";
	if (!harness_exists(other))
		cr_skip_test("no %s to stand for another library", other);
	struct harness_fixture f;
	harness_fixture_init(&f);
	char bin[PATH_MAX], cli[PATH_MAX + 32], lib[PATH_MAX + 32], cmd[PATH_MAX * 4];
	HARNESS_PATH(bin, "%s/bin", f.dir);
	HARNESS_PATH(cli, "%s/pycache-redirect", bin);
	HARNESS_PATH(lib, "%s/libpycache-redirect.so", bin);
	HARNESS_PATH(cmd, "mkdir %s && cp '%s' %s && cp %s %s", bin, PCR_TEST_CLI, cli, other, lib);
	cr_assert_eq(system(cmd), 0);
	char dir[PATH_MAX + 32];
	HARNESS_PATH(dir, "PYCACHE_REDIRECT_DIR=%s", f.root);
	struct harness_result *r = malloc(sizeof *r);
	harness_run(r, f.tree, (const char *[]){ dir, NULL }, (const char *[]){ cli, "env", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert(strstr(r->out, lib), "%s", r->out);
	cr_assert(strstr(r->err, "env: warning: ") &&
		      strstr(r->err, "is not pycache-redirect's library") &&
		      strstr(r->err, "rebuild or reinstall"),
		  "%s", r->err);
	/* doctor would load it (libz loads): it reads the file first. */
	harness_run(r, f.tree, (const char *[]){ dir, NULL },
		    (const char *[]){ cli, "doctor", NULL });
	cr_assert_eq(r->status, 1, "%s", r->out);
	cr_assert(doctor_says(r->out, "problem ", "is not pycache-redirect's library"), "%s",
		  r->out);
	free(r);
	harness_fixture_fini(&f);
}

/* f->dir/bin/python3, a copy of program, first on PATH; the PATH entry. */
static void python3_on_path(const struct harness_fixture *f, const char *program, char *path,
			    size_t size, char *copy, size_t copysize)
{
	char cmd[PATH_MAX * 3];
	harness_format(copy, copysize, "%s/bin/python3", f->dir);
	HARNESS_PATH(cmd, "mkdir -p %s/bin && cp '%s' %s", f->dir, program, copy);
	cr_assert_eq(system(cmd), 0);
	harness_format(path, size, "PATH=%s/bin:%s", f->dir, getenv("PATH"));
}

/* env, run python3 and doctor, with env, each name python3 (copy) and
 * says what (" is statically linked"); run still runs it. */
static void assert_python3_named(const struct harness_fixture *f, const char *const *env,
				 const char *copy, const char *what)
{
	struct harness_result *r = harness_cli(f, NULL, env, (const char *[]){ "env", NULL });
	assert_env_lines(r, what);
	char says[PATH_MAX + 64];
	HARNESS_PATH(says, "env: warning: %s%s", copy, what);
	cr_assert(strstr(r->err, says), "env did not say '%s':\n%s", says, r->err);
	free(r);
	r = harness_cli(f, NULL, env, (const char *[]){ "run", "python3", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	HARNESS_PATH(says, "run: warning: %s%s", copy, what);
	cr_assert(strstr(r->err, says), "run did not say '%s':\n%s", says, r->err);
	free(r);
	r = harness_cli(f, NULL, env, (const char *[]){ "doctor", NULL });
	cr_assert_eq(r->status, 1, "%s", r->out);
	cr_assert(doctor_says(r->out, "problem ", what), "%s", r->out);
	free(r);
}

/* No library where the command looks (a copy of the command alone): env
 * says so and exits 0 with no lines, so that the start-up file that runs
 * it goes on; doctor exits 1, and so does status, though LD_PRELOAD names
 * the library. */
Test(warn, env_without_a_library_says_so_and_exits_0)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	char bin[PATH_MAX], cli[PATH_MAX + 32], cmd[PATH_MAX * 3];
	HARNESS_PATH(bin, "%s/bin", f.dir);
	HARNESS_PATH(cli, "%s/pycache-redirect", bin);
	HARNESS_PATH(cmd, "mkdir %s && cp '%s' %s", bin, PCR_TEST_CLI, cli);
	cr_assert_eq(system(cmd), 0);
	if (harness_exists(PCR_TEST_INSTALLED_LIBRARY))
		cr_skip_test("%s is installed: the copy would find it", PCR_TEST_INSTALLED_LIBRARY);
	char dir[PATH_MAX + 32];
	HARNESS_PATH(dir, "PYCACHE_REDIRECT_DIR=%s", f.root);
	struct harness_result *r = malloc(sizeof *r);
	harness_run(r, f.tree, (const char *[]){ dir, NULL }, (const char *[]){ cli, "env", NULL });
	cr_assert_eq(r->status, 0, "env: exit %d\n%s", r->status, r->err);
	cr_assert(!strstr(r->out, "LD_PRELOAD"), "%s", r->out);
	cr_assert(strstr(r->err, "libpycache-redirect.so"), "%s", r->err);
	harness_run(r, f.tree, (const char *[]){ dir, NULL },
		    (const char *[]){ cli, "doctor", NULL });
	cr_assert_eq(r->status, 1, "doctor: %s", r->out);
	/* LD_PRELOAD names it, yet nothing is there to load: not "on". */
	char preload[PATH_MAX + 64];
	HARNESS_PATH(preload, "LD_PRELOAD=%s/libpycache-redirect.so", bin);
	harness_run(r, f.tree, (const char *[]){ dir, preload, NULL },
		    (const char *[]){ cli, "status", NULL });
	cr_assert_eq(r->status, 1, "status: %s%s", r->out, r->err);
	cr_assert(strstr(r->out, "off here") && strstr(r->err, "libpycache-redirect.so"), "%s%s",
		  r->out, r->err);
	free(r);
	harness_fixture_fini(&f);
}

/* A statically linked python3 first on PATH (a program that holds CPython's
 * runtime, as a static Python does): LD_PRELOAD cannot reach it. env and
 * run say so; doctor reports it. A static launcher without Python in it
 * (tests/in_root) passes LD_PRELOAD on to what it starts: nothing said. */
Test(warn, static_python_is_named)
{
#ifndef PCR_TEST_STATIC_PYTHON
	cr_skip_test("no static test program in a sanitizer build");
#else
	struct harness_fixture f;
	harness_fixture_init(&f);
	char path[PATH_MAX * 2], copy[PATH_MAX], dir[PATH_MAX + 32];
	HARNESS_PATH(dir, "PYCACHE_REDIRECT_DIR=%s", f.root);
	python3_on_path(&f, PCR_TEST_STATIC_PYTHON, path, sizeof path, copy, sizeof copy);
	const char *env[] = { path, dir, NULL };
	assert_python3_named(&f, env, copy, " is statically linked");
	struct harness_result *r =
	    harness_cli(&f, NULL, env, (const char *[]){ "run", "python3", NULL });
	cr_assert(strstr(r->out, "static python ran"), "run did not run it: %s", r->out);
	free(r);

	/* A script whose #! line runs it through env: named as well. */
	char script[PATH_MAX + 32];
	HARNESS_PATH(script, "%s/bin/tool", f.dir);
	harness_write_file(script, "#!/usr/bin/env python3\n");
	cr_assert(chmod(script, 0755) == 0);
	r = harness_cli(&f, NULL, env, (const char *[]){ "run", "tool", NULL });
	cr_assert(strstr(r->err, "is statically linked") && strstr(r->err, "(run by tool)"), "%s",
		  r->err);
	free(r);

	python3_on_path(&f, PCR_TEST_BUILD_DIR "/tests/in_root", path, sizeof path, copy,
			sizeof copy);
	r = harness_cli(&f, NULL, env, (const char *[]){ "env", NULL });
	assert_env_lines(r, "a static launcher");
	cr_assert_str_empty(r->err, "a launcher without Python: %s", r->err);
	free(r);
	harness_fixture_fini(&f);
#endif
}

/* A python3 that runs on musl's loader: the glibc build of the library
 * cannot load into it (it would fail to start, exit 127, with it in
 * LD_PRELOAD), so env, run and doctor name it. Any musl program shows it:
 * the musl one the build makes. */
Test(warn, musl_python_is_named)
{
#ifndef PCR_TEST_MUSL_STAT64
	cr_skip_test("no musl program (musl-gcc, from musl-tools, builds one)");
#else
	struct harness_fixture f;
	harness_fixture_init(&f);
	char path[PATH_MAX * 2], copy[PATH_MAX], dir[PATH_MAX + 32], says[PATH_MAX + 64];
	HARNESS_PATH(dir, "PYCACHE_REDIRECT_DIR=%s", f.root);
	python3_on_path(&f, PCR_TEST_MUSL_STAT64, path, sizeof path, copy, sizeof copy);
	const char *env[] = { path, dir, NULL };
	struct harness_result *r = harness_cli(&f, NULL, env, (const char *[]){ "env", NULL });
	assert_env_lines(r, "a musl python3");
	HARNESS_PATH(says, "env: warning: %s runs on musl (", copy);
	cr_assert(strstr(r->err, says) && strstr(r->err, "a musl build of the library"),
		  "env did not say '%s':\n%s", says, r->err);
	free(r);
	r = harness_cli(&f, NULL, env, (const char *[]){ "run", "python3", NULL });
	HARNESS_PATH(says, "run: warning: %s runs on musl (", copy);
	cr_assert(strstr(r->err, says), "run did not say '%s':\n%s", says, r->err);
	cr_assert_eq(r->status, 127, "a musl program with the glibc build preloaded: %d\n%s",
		     r->status, r->err);
	free(r);
	r = harness_cli(&f, NULL, env, (const char *[]){ "doctor", NULL });
	cr_assert_eq(r->status, 1, "%s", r->out);
	cr_assert(doctor_says(r->out, "problem ", " runs on musl ("), "%s", r->out);
	free(r);
	harness_fixture_fini(&f);
#endif
}

/* A set-user-ID python3 of another user first on PATH: the loader drops
 * LD_PRELOAD for it. env and run name it and the fix; run runs it. */
Test(warn, setuid_program_is_named)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to give a program another owner");
	struct harness_fixture f;
	harness_fixture_init(&f);
	struct statvfs v;
	if (statvfs(f.dir, &v) == 0 && (v.f_flag & ST_NOSUID))
		cr_skip_test("%s is on a nosuid mount", f.dir);
	char path[PATH_MAX * 2], copy[PATH_MAX], dir[PATH_MAX + 32];
	HARNESS_PATH(dir, "PYCACHE_REDIRECT_DIR=%s", f.root);
	python3_on_path(&f, "/bin/true", path, sizeof path, copy, sizeof copy);
	cr_assert(chown(copy, 4242, 4242) == 0 && chmod(copy, 04755) == 0);
	const char *env[] = { path, dir, NULL };
	assert_python3_named(&f, env, copy, " is set-user-ID");
	struct harness_result *r = harness_cli(&f, NULL, env, (const char *[]){ "env", NULL });
	cr_assert(strstr(r->err, "sudo pycache-redirect run --"), "%s", r->err);
	free(r);
	harness_fixture_fini(&f);
}
