/* pycache-redirect doctor: what it finds healthy, what it finds wrong, and
 * its --json. Every run names the fixture's root (PYCACHE_REDIRECT_DIR) and
 * a HOME of its own: no test looks at the user's cache or start-up files. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/harness.h"

static struct harness_result *doctor(const struct harness_fixture *f, const char *const *extra_env,
				     const char *flag)
{
	static char dir[PATH_MAX + 32], home[PATH_MAX + 32], config[PATH_MAX + 32],
	    zdot[PATH_MAX + 32];
	HARNESS_PATH(dir, "PYCACHE_REDIRECT_DIR=%s", f->root);
	HARNESS_PATH(home, "HOME=%s", f->dir);
	HARNESS_PATH(config, "XDG_CONFIG_HOME=%s/.config", f->dir);
	HARNESS_PATH(zdot, "ZDOTDIR=%s", f->dir);
	const char *env[12] = { dir, home, config, zdot, NULL };
	for (size_t i = 0; extra_env && extra_env[i] && i < 6; i++)
		env[i + 4] = extra_env[i];
	const char *args[] = { "doctor", flag, NULL };
	return harness_cli(f, NULL, env, args);
}

/* The line of out that starts with verdict ("ok " or "problem ") and
 * holds what, or NULL. */
static const char *line_with(const char *out, const char *verdict, const char *what)
{
	for (const char *line = out; *line;) {
		size_t n = strcspn(line, "\n");
		char buf[1 << 13];
		snprintf(buf, sizeof buf, "%.*s", (int)n, line);
		if (strncmp(buf, verdict, strlen(verdict)) == 0 && strstr(buf, what))
			return line;
		line += n;
		if (*line)
			line++;
	}
	return NULL;
}

static size_t problems(const char *out)
{
	size_t n = 0;
	for (const char *p = out; (p = strstr(p, "problem ")); p++)
		if (p == out || p[-1] == '\n')
			n++;
	return n;
}

/* The redirect switched on in the fixture's HOME, as enable does it (the
 * library in doctor's own LD_PRELOAD would make the root in its children). */
static void switch_on(const struct harness_fixture *f)
{
	char rc[PATH_MAX];
	HARNESS_PATH(rc, "%s/.bashrc", f->dir);
	harness_write_file(rc, "# >>> pycache-redirect >>>\n"
			       "command -v pycache-redirect >/dev/null && "
			       "eval \"$(pycache-redirect env)\"\n"
			       "# <<< pycache-redirect <<<\n");
}

Test(doctor, healthy_setup_exits_0_and_tries_every_interpreter)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	switch_on(&f);
	struct harness_result *r = doctor(&f, NULL, NULL);
	cr_assert_eq(r->status, 0, "exit %d:\n%s%s", r->status, r->out, r->err);
	cr_assert_eq(problems(r->out), 0, "%s", r->out);
	cr_assert(line_with(r->out, "ok ", "will be created"), "%s", r->out);
	cr_assert(line_with(r->out, "ok ", "library:"), "%s", r->out);
	cr_assert(line_with(r->out, "ok ", "activation: switched on by the shell start-up block"),
		  "%s", r->out);
	cr_assert(line_with(r->out, "ok ", "import /usr/bin/python3"), "%s", r->out);
	const struct harness_interp *list;
	size_t n = harness_interpreters(&list);
	for (size_t i = 0; i < n; i++) {
		/* doctor tries the machine's own, not the sid root's, nor the build
		 * directory's musl one (which env and doctor name when it is on PATH:
		 * e2e_warn) */
		if (list[i].in_root || strncmp(list[i].libc, "musl", 4) == 0)
			continue;
		char real[PATH_MAX];
		cr_assert(realpath(list[i].path, real), "%s", list[i].path);
		cr_assert(line_with(r->out, "ok ", real), "%s not reported ok:\n%s", real, r->out);
	}
	/* It looked without creating the root, and left no temporary tree. */
	cr_assert(!harness_exists(f.root), "doctor created %s", f.root);
	free(r);
	harness_fixture_fini(&f);
}

Test(doctor, group_writable_root_is_a_problem_with_the_fix)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	cr_assert(mkdir(f.root, 0700) == 0 && chmod(f.root, 0770) == 0);
	struct harness_result *r = doctor(&f, NULL, NULL);
	cr_assert_eq(r->status, 1, "exit %d:\n%s", r->status, r->out);
	const char *line = line_with(r->out, "problem ", "writable by group or others");
	cr_assert(line, "%s", r->out);
	char fix[PATH_MAX + 16];
	HARNESS_PATH(fix, "chmod 700 %s", f.root);
	cr_assert(strstr(line, fix), "no fix in: %s", r->out);
	free(r);
	harness_fixture_fini(&f);
}

Test(doctor, a_file_that_is_no_library_is_named)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	char fake[PATH_MAX], var[PATH_MAX + 32];
	HARNESS_PATH(fake, "%s/libpycache-redirect.so", f.dir);
	harness_write_file(fake, "not an ELF object\n");
	HARNESS_PATH(var, "PYCACHE_REDIRECT_LIBRARY=%s", fake);
	struct harness_result *r = doctor(&f, (const char *[]){ var, NULL }, NULL);
	cr_assert_eq(r->status, 1, "exit %d:\n%s", r->status, r->out);
	const char *line = line_with(r->out, "problem ", "library:");
	cr_assert(line, "%s", r->out);
	cr_assert(strstr(line, fake) && strstr(line, "does not load"), "%s", r->out);
	free(r);
	harness_fixture_fini(&f);
}

/* The JSON parses with Python's json.load(sys.stdin), and says what the
 * text says: the count of problems, and /usr/bin/python3's verdict. */
static void json_agrees(struct harness_fixture *f, const char *what)
{
	switch_on(f);
	struct harness_result *text = doctor(f, NULL, NULL);
	struct harness_result *json = doctor(f, NULL, "--json");
	cr_assert_eq(json->status, text->status, "%s: --json exits %d, text %d", what, json->status,
		     text->status);
	char file[PATH_MAX], script[PATH_MAX * 2];
	HARNESS_PATH(file, "%s/doctor.json", f->dir);
	harness_write_file(file, json->out);
	HARNESS_PATH(
	    script,
	    "/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); "
	    "c=d[\"checks\"]; assert d[\"activation\"] == [\"shell\"], d; "
	    "assert all(set(x) >= {\"name\",\"ok\",\"detail\"} for x in c); "
	    "print(sum(not x[\"ok\"] for x in c), d[\"ok\"], "
	    "[x[\"ok\"] for x in c if x[\"name\"].startswith(\"import /usr/bin/python3\")])' "
	    "< '%s'",
	    file);
	struct harness_result *py = malloc(sizeof *py);
	harness_run(py, f->dir, NULL, (const char *[]){ "/bin/sh", "-c", script, NULL });
	cr_assert_eq(py->status, 0, "%s: invalid JSON (%s):\n%s", what, py->err, json->out);
	char expect[64];
	size_t n = problems(text->out);
	bool python_ok = line_with(text->out, "ok ", "import /usr/bin/python3") != NULL;
	HARNESS_PATH(expect, "%zu %s [%s]\n", n, n ? "False" : "True",
		     python_ok ? "True" : "False");
	cr_assert_str_eq(py->out, expect, "%s: text says:\n%s", what, text->out);
	free(py);
	free(json);
	free(text);
}

Test(doctor, json_is_valid_with_the_same_verdicts)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	json_agrees(&f, "healthy");
	cr_assert(mkdir(f.root, 0700) == 0 && chmod(f.root, 0770) == 0);
	json_agrees(&f, "group-writable root");
	harness_fixture_fini(&f);
}

Test(doctor, bad_usage_exits_2)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	const char *const cases[][3] = {
		{ "doctor", "extra", NULL },
		{ "doctor", "--no-such-option", NULL },
		{ "doctor", "--json=yes", NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct harness_result *r = harness_cli(&f, NULL, NULL, cases[i]);
		cr_assert_eq(r->status, 2, "case %zu (%s): exit %d", i, cases[i][1], r->status);
		cr_assert(strstr(r->err, "pycache-redirect"), "case %zu: %s", i, r->err);
		cr_assert_str_empty(r->out, "case %zu wrote on stdout", i);
		free(r);
	}
	harness_fixture_fini(&f);
}
