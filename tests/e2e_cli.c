/* The pycache-redirect command, as a user runs it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/harness.h"

/* The command in f's tree. Tests that run Python through it name the root
 * (--dir or PYCACHE_REDIRECT_DIR): none writes to the user's cache. */
static struct harness_result *cli(const struct harness_fixture *f, const char *const *env,
				  const char *const *args)
{
	return harness_cli(f, NULL, env, args);
}

static void run_redirects(const struct harness_interp *py, struct harness_fixture *f)
{
	struct harness_result *r =
	    cli(f, NULL,
		(const char *[]){ "run", "--dir", f->root, "--", py->path, "-m", "app", NULL });
	if (strncmp(py->libc, "musl", 4) == 0) {
		/* The command is glibc's, and so is the library it preloads: a
		 * musl Python cannot start with it, and run says so first. */
		cr_expect_neq(r->status, 0, "%s: ran with the glibc build", py->label);
		cr_expect(strstr(r->err, "runs on musl") && strstr(r->err, "cannot load"),
			  "%s: no warning: %s", py->label, r->err);
		free(r);
		return;
	}
	cr_assert_eq(r->status, 0, "%s: %s", py->label, r->err);
	cr_assert(strstr(r->out, "version: 1"));
	harness_assert_tree_clean(f, py);
	harness_assert_sample_cached(f, py, "", "pycache-redirect run");
	free(r);
}

Test(cli, run_redirects_every_interpreter) { harness_each_python(run_redirects); }

Test(cli, run_exits_with_the_commands_status)
{
	const struct harness_interp *py = harness_first_python();
	struct harness_fixture f;
	harness_fixture_init(&f);
	struct harness_result *r = cli(&f, NULL,
				       (const char *[]){ "run", "--dir", f.root, py->path, "-c",
							 "import sys; sys.exit(7)", NULL });
	cr_assert_eq(r->status, 7, "%s", r->err);
	free(r);
	r = cli(&f, NULL, (const char *[]){ "run", "--", "no-such-command-pcr", NULL });
	cr_assert_eq(r->status, 127);
	cr_assert(strstr(r->err, "no-such-command-pcr"), "%s", r->err);
	free(r);
	harness_fixture_fini(&f);
}

/* What `env` prints, evaluated by a POSIX shell, switches the redirect on for
 * the Python that shell starts, and keeps an LD_PRELOAD that was there. */
Test(cli, env_lines_switch_it_on_in_sh)
{
	const struct harness_interp *py = harness_first_python();
	struct harness_fixture f;
	harness_fixture_init(&f);
	char dir[PATH_MAX + 32], script[PATH_MAX * 2];
	HARNESS_PATH(dir, "PYCACHE_REDIRECT_DIR=%s", f.root);
	HARNESS_PATH(script,
		     "eval \"$('%s' env)\" && eval \"$('%s' env)\" && echo \"$LD_PRELOAD\" && "
		     "'%s' -m app",
		     PCR_TEST_CLI, PCR_TEST_CLI, py->path);
	const char *env[] = { dir, "LD_PRELOAD=/lib/x86_64-linux-gnu/libc.so.6", NULL };
	struct harness_result *r = malloc(sizeof *r);
	harness_run(r, f.tree, env, (const char *[]){ "/bin/sh", "-c", script, NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
#ifdef PCR_TEST_ASAN_RUNTIME /* the harness preloads it ahead of what the test sets */
	const char *was = PCR_TEST_ASAN_RUNTIME ":/lib/x86_64-linux-gnu/libc.so.6\n";
#else
	const char *was = "/lib/x86_64-linux-gnu/libc.so.6\n";
#endif
	cr_assert(strncmp(r->out, PCR_TEST_LIBRARY ":", strlen(PCR_TEST_LIBRARY) + 1) == 0 &&
		      strncmp(r->out + strlen(PCR_TEST_LIBRARY) + 1, was, strlen(was)) == 0,
		  "LD_PRELOAD after two evals: %s", r->out);
	cr_assert_eq(harness_count_bytecode(f.tree, NULL, 0), 0);
	cr_assert_eq(harness_count_files(f.root, ".pyc"), HARNESS_SAMPLE_MODULES, "%s", r->err);
	free(r);
	harness_fixture_fini(&f);
}

/* bash and zsh take sh's lines, by their own names too; bash runs them. */
Test(cli, env_takes_bash_and_zsh_by_name)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	struct harness_result *sh = cli(&f, NULL, (const char *[]){ "env", NULL });
	cr_assert_eq(sh->status, 0, "%s", sh->err);
	const char *const names[] = { "sh", "bash", "zsh" };
	for (size_t i = 0; i < 3; i++) {
		struct harness_result *r =
		    cli(&f, NULL, (const char *[]){ "env", "--shell", names[i], NULL });
		cr_assert_eq(r->status, 0, "--shell %s: %s", names[i], r->err);
		cr_assert_str_eq(r->out, sh->out, "--shell %s", names[i]);
		free(r);
	}
	char script[PATH_MAX * 2];
	HARNESS_PATH(script, "eval \"$('%s' env --shell bash)\" && echo \"$LD_PRELOAD\"",
		     PCR_TEST_CLI);
	struct harness_result *r = malloc(sizeof *r);
	harness_run(r, f.tree, NULL, (const char *[]){ "/bin/bash", "-c", script, NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert(strstr(r->out, PCR_TEST_LIBRARY), "%s", r->out);
	free(r);
	free(sh);
	harness_fixture_fini(&f);
}

Test(cli, where_names_what_the_library_writes)
{
	const struct harness_interp *py = harness_first_python();
	struct harness_fixture f;
	harness_fixture_init(&f);
	char dir[PATH_MAX + 32], expect[PATH_MAX + 1], src[PATH_MAX];
	HARNESS_PATH(dir, "PYCACHE_REDIRECT_DIR=%s", f.root);
	const char *env[] = { dir, NULL };

	struct harness_result *r = cli(&f, env, (const char *[]){ "where", NULL });
	HARNESS_PATH(expect, "%s\n", f.root);
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert_str_eq(r->out, expect);
	free(r);

	r = cli(&f, env, (const char *[]){ "run", py->path, "-m", "app", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	free(r);

	/* A source directory, relative to the current one, and a path inside
	 * __pycache__ both answer with where the library really wrote. */
	HARNESS_PATH(src, "%s/app", f.tree);
	layout_central_of_dir(expect, sizeof expect, f.root, src, NULL);
	r = cli(&f, env, (const char *[]){ "where", "app", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert(strncmp(r->out, expect, strlen(expect)) == 0 && r->out[strlen(expect)] == '\n',
		  "where app: %s, expected %s", r->out, expect);
	free(r);
	char pyc[64], central[PATH_MAX];
	HARNESS_PATH(pyc, "app/__pycache__/text.%s.pyc", py->tag);
	HARNESS_PATH(central, "%s/text.%s.pyc\n", expect, py->tag);
	r = cli(&f, env, (const char *[]){ "where", pyc, NULL });
	cr_assert_str_eq(r->out, central);
	central[strlen(central) - 1] = '\0';
	cr_assert(harness_exists(central), "where names %s, which the library did not write",
		  central);
	free(r);

	/* A source file: the entry of its directory. */
	HARNESS_PATH(central, "%s\n", expect);
	r = cli(&f, env, (const char *[]){ "where", "app/text.py", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert_str_eq(r->out, central, "where app/text.py");
	free(r);
	/* Nothing there: no entry, exit 1. */
	r = cli(&f, env, (const char *[]){ "where", "app/no-such-dir", NULL });
	cr_assert_eq(r->status, 1);
	cr_assert(strstr(r->err, "no such file or directory"), "%s", r->err);
	cr_assert_str_empty(r->out);
	free(r);
	harness_fixture_fini(&f);
}

Test(cli, bad_usage_exits_2_with_a_hint)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	const char *const cases[][5] = {
		{ NULL },
		{ "frobnicate", NULL },
		{ "run", NULL },
		{ "run", "--dir", NULL },
		{ "run", "--dir", "cache", "true", NULL },
		{ "env", "--shell", "csh", NULL },
		{ "where", "a", "b", NULL },
		{ "--no-such-option", NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct harness_result *r = cli(&f, NULL, cases[i]);
		cr_assert_eq(r->status, 2, "case %zu (%s): exit %d", i,
			     cases[i][0] ? cases[i][0] : "", r->status);
		cr_assert(strstr(r->err, "pycache-redirect"), "case %zu: %s", i, r->err);
		cr_assert_str_empty(r->out, "case %zu wrote on stdout", i);
		free(r);
	}
	harness_fixture_fini(&f);
}

Test(cli, help_and_version)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	struct harness_result *r = cli(&f, NULL, (const char *[]){ "--help", NULL });
	cr_assert_eq(r->status, 0);
	cr_assert(strstr(r->out, "usage: pycache-redirect") &&
		  strstr(r->out, "PYCACHE_REDIRECT_DIR"));
	free(r);
	r = cli(&f, NULL, (const char *[]){ "--version", NULL });
	cr_assert_eq(r->status, 0);
	cr_assert(strncmp(r->out, "pycache-redirect ", 17) == 0, "%s", r->out);
	free(r);
	harness_fixture_fini(&f);
}

/* cmake --install puts the library in lib/pycache-redirect/ and the
 * command in bin/, and the installed command finds the installed library
 * and names it by its path: a prefix other than /usr has no multiarch
 * libdir, so no $LIB. */
Test(cli, installed_command_finds_installed_library)
{
	const struct harness_interp *py = harness_first_python();
	char cmake[PATH_MAX];
	if (!harness_have_program("cmake", cmake, sizeof cmake))
		cr_skip_test("cmake is not on PATH");
	struct harness_fixture f;
	harness_fixture_init(&f);
	char prefix[PATH_MAX], bin[PATH_MAX + 32];
	HARNESS_PATH(prefix, "%s/prefix", f.dir);
	struct harness_result *r = malloc(sizeof *r);
	harness_run(
	    r, f.dir, NULL,
	    (const char *[]){ cmake, "--install", PCR_TEST_BUILD_DIR, "--prefix", prefix, NULL });
	cr_assert_eq(r->status, 0, "%s%s", r->out, r->err);
	HARNESS_PATH(bin, "%s/bin/pycache-redirect", prefix);
	harness_run(r, f.tree, NULL,
		    (const char *[]){ bin, "run", "--dir", f.root, "--", "/bin/sh", "-c",
				      "echo \"$LD_PRELOAD\"", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	/* Configured for /usr/local, the libdir is lib: a plain path. (For /usr
	 * it is lib/<triplet>, which the command names with $LIB, as in the
	 * package: e2e_package.) */
	char library[PATH_MAX + 64];
	HARNESS_PATH(library, "%s/" PCR_TEST_LIBDIR "/pycache-redirect/libpycache-redirect.so\n",
		     prefix);
	if (strcmp(PCR_TEST_LIBDIR, "lib") == 0)
		cr_assert_str_eq(r->out, library, "the installed command preloads %s", r->out);
	library[strlen(library) - 1] = '\0';
	cr_assert(harness_exists(library), "no library at %s", library);
	harness_run(
	    r, f.tree, NULL,
	    (const char *[]){ bin, "run", "--dir", f.root, "--", py->path, "-m", "app", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	harness_assert_tree_clean(&f, py);
	harness_assert_sample_cached(&f, py, "", "the installed command");
	char man[PATH_MAX + 64];
	HARNESS_PATH(man, "%s/share/man/man1/pycache-redirect.1.gz", prefix);
	cr_assert(harness_exists(man), "no man page at %s", man);
	HARNESS_PATH(man, "%s/share/bash-completion/completions/pycache-redirect", prefix);
	cr_assert(harness_exists(man), "no bash completion at %s", man);
	free(r);
	harness_fixture_fini(&f);
}

/* A root the library would refuse would leave the redirect off without a
 * word (and the tree full of __pycache__): run says so and runs nothing. */
Test(cli, run_refuses_a_root_the_library_would_refuse)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	cr_assert(mkdir(f.root, 0700) == 0 && chmod(f.root, 0770) == 0);
	char marker[PATH_MAX], script[PATH_MAX + 16];
	HARNESS_PATH(marker, "%s/ran", f.dir);
	HARNESS_PATH(script, "touch %s", marker);
	struct harness_result *r =
	    cli(&f, NULL,
		(const char *[]){ "run", "--dir", f.root, "--", "/bin/sh", "-c", script, NULL });
	cr_assert_eq(r->status, 1, "exit %d: %s", r->status, r->err);
	cr_assert(strstr(r->err, "writable by group or others"), "%s", r->err);
	cr_assert_not(harness_exists(marker), "the command ran anyway");
	free(r);
	harness_fixture_fini(&f);
}

/* The commands --help lists, in its order, "help" included. */
static size_t help_commands(const struct harness_fixture *f, char names[][32], size_t max)
{
	struct harness_result *r = cli(f, NULL, (const char *[]){ "--help", NULL });
	cr_assert_eq(r->status, 0);
	const char *commands = strstr(r->out, "\nCommands:\n");
	cr_assert(commands, "%s", r->out);
	size_t n = 0;
	for (const char *line = commands + 11; *line && *line != '\n' && n < max;
	     line = strchr(line, '\n') + 1)
		if (line[0] == ' ' && line[1] == ' ' && line[2] != ' ' &&
		    sscanf(line, " %31[a-z]", names[n]) == 1)
			n++;
	free(r);
	cr_assert_geq(n, 7, "found %zu commands in --help", n);
	return n;
}

static int cmp_names(const void *a, const void *b) { return strcmp(a, b); }

/* The fish completion offers what --help lists (fish sorts them), and the
 * values of the options that take a fixed set. */
Test(cli, fish_completion_completes)
{
	char fish[PATH_MAX];
	if (!harness_have_program("fish", fish, sizeof fish))
		cr_skip_test("fish is not on PATH (tests/setup --tests installs it)");
	struct harness_fixture f;
	harness_fixture_init(&f);
	const char *script =
	    "source $argv[1]\n"
	    "complete -C 'pycache-redirect ' | string split -f1 \\t | string join ' '\n"
	    "complete -C 'pycache-redirect env --shell ' | string split -f1 \\t | "
	    "string join ' '\n"
	    "complete -C 'pycache-redirect clear --d' | string split -f1 \\t\n"
	    "complete -C 'pycache-redirect help pr' | string split -f1 \\t\n"
	    "true\n"; /* string split fails on a line without a tab */
	struct harness_result *r = malloc(sizeof *r);
	harness_run(r, f.tree, (const char *[]){ "HOME=/nonexistent", NULL },
		    (const char *[]){ fish, "--no-config", "-c", script, "--",
				      PCR_TEST_SOURCE_DIR "/cli/pycache-redirect.fish", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	char names[32][32], expect[1024] = "";
	size_t n = help_commands(&f, names, 32);
	qsort(names, n, sizeof *names, cmp_names);
	for (size_t i = 0; i < n; i++) {
		strcat(expect, names[i]);
		strcat(expect, i + 1 < n ? " " : "\n");
	}
	strcat(expect, "bash docker fish sh zsh\n--dry-run\nprune\n");
	cr_assert_str_eq(r->out, expect, "the fish completion and --help disagree");
	free(r);
	harness_fixture_fini(&f);
}

/* The zsh completion's commands are --help's, in its order, and zsh reads
 * the file. */
Test(cli, zsh_completion_lists_every_command)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	char text[8192];
	cr_assert_gt(
	    harness_read_file(PCR_TEST_SOURCE_DIR "/cli/_pycache-redirect", text, sizeof text), 0);
	char names[32][32], listed[1024] = "", expect[1024] = "";
	size_t n = help_commands(&f, names, 32);
	for (size_t i = 0; i < n; i++) {
		strcat(expect, names[i]);
		strcat(expect, " ");
	}
	const char *p = strstr(text, "commands=(");
	cr_assert(p, "no commands=( in the zsh completion");
	for (p = strchr(p, '\n') + 1; *p != ')'; p = strchr(p, '\n') + 1) {
		char name[32];
		cr_assert_eq(sscanf(p, " '%31[a-z]:", name), 1, "%.40s", p);
		strcat(listed, name);
		strcat(listed, " ");
	}
	cr_assert_str_eq(listed, expect, "the zsh completion and --help disagree");
	char zsh[PATH_MAX];
	if (harness_have_program("zsh", zsh, sizeof zsh)) {
		struct harness_result *r = malloc(sizeof *r);
		harness_run(r, f.tree, NULL,
			    (const char *[]){ zsh, "-n",
					      PCR_TEST_SOURCE_DIR "/cli/_pycache-redirect", NULL });
		cr_assert_eq(r->status, 0, "zsh -n: %s", r->err);
		free(r);
	} else {
		fprintf(stderr, "e2e: zsh is not on PATH: its reading of the file not checked\n");
	}
	harness_fixture_fini(&f);
}

/* The manual page (cli/pycache-redirect.1) has a synopsis line for every
 * command that --help lists. */
Test(cli, manual_page_covers_every_command)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	char names[32][32];
	size_t n = help_commands(&f, names, 32);
	static char page[1 << 16];
	cr_assert_gt(
	    harness_read_file(PCR_TEST_SOURCE_DIR "/cli/pycache-redirect.1", page, sizeof page), 0);
	for (size_t i = 0; i < n; i++) {
		char synopsis[64];
		HARNESS_PATH(synopsis, ".B pycache-redirect %s\n", names[i]);
		cr_assert(strcmp(names[i], "help") == 0 || strstr(page, synopsis),
			  "the manual page has no synopsis of '%s'", names[i]);
	}
	harness_fixture_fini(&f);
}

/* The bash completion (cli/pycache-redirect.bash) offers the commands --help
 * lists, and the values of the options that take a fixed set. */
Test(cli, bash_completion_completes)
{
	char bash[PATH_MAX];
	if (!harness_have_program("bash", bash, sizeof bash))
		cr_skip_test("bash is not on PATH");
	struct harness_fixture f;
	harness_fixture_init(&f);
	const char *script = "source \"$0\"\n"
			     "t() { COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); COMPREPLY=();"
			     " _pycache_redirect; echo \"${COMPREPLY[*]}\"; }\n"
			     "t pycache-redirect ''\n"
			     "t pycache-redirect st\n"
			     "t pycache-redirect env --shell ''\n"
			     "t pycache-redirect run --scope ''\n"
			     "t pycache-redirect ls --j\n"
			     "complete -p pycache-redirect\n";
	struct harness_result *r = malloc(sizeof *r);
	harness_run(r, f.tree, NULL,
		    (const char *[]){ bash, "--norc", "-c", script,
				      PCR_TEST_SOURCE_DIR "/cli/pycache-redirect.bash", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	char names[32][32], expect[1024] = "";
	size_t n = help_commands(&f, names, 32);
	for (size_t i = 0; i < n; i++) {
		strcat(expect, names[i]);
		strcat(expect, i + 1 < n ? " " : "\n");
	}
	strcat(expect, "stats status\nsh bash zsh fish docker\npython all\n--json\n"
		       "complete -F _pycache_redirect pycache-redirect\n");
	cr_assert_str_eq(r->out, expect, "the completion and --help disagree");
	free(r);
	harness_fixture_fini(&f);
}

/* The Dockerfile lines, exactly: the library before an LD_PRELOAD an earlier
 * ENV set, the names tox passes on after the ones an earlier ENV set, a
 * value with a space quoted. */
Test(cli, env_docker_lines_are_exact)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	struct harness_result *r =
	    harness_cli(&f, NULL, (const char *[]){ "PYCACHE_REDIRECT_DIR=/var/c d", NULL },
			(const char *[]){ "env", "--shell", "docker", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	char expect[PATH_MAX * 2];
	HARNESS_PATH(
	    expect,
	    "# pycache-redirect: Dockerfile lines that switch the redirect on (the library "
	    "must be at this path in the image)\n"
	    "ENV LD_PRELOAD=%s${LD_PRELOAD:+:$LD_PRELOAD}\n"
	    "ENV TOX_TESTENV_PASSENV=\"${TOX_TESTENV_PASSENV:+$TOX_TESTENV_PASSENV }LD_PRELOAD "
	    "PYCACHE_REDIRECT* HOME XDG_CACHE_HOME\"\n"
	    "ENV TOX_OVERRIDE=\"${TOX_OVERRIDE:+$TOX_OVERRIDE;}"
	    "testenv.pass_env+=LD_PRELOAD,PYCACHE_REDIRECT*,HOME,XDG_CACHE_HOME;"
	    "env_run_base.pass_env+=LD_PRELOAD,PYCACHE_REDIRECT*,HOME,XDG_CACHE_HOME;"
	    "tool.tox.env_run_base.pass_env+=LD_PRELOAD,PYCACHE_REDIRECT*,HOME,XDG_CACHE_HOME\"\n"
	    "ENV PYCACHE_REDIRECT_DIR=\"/var/c d\"\n",
	    PCR_TEST_LIBRARY);
	cr_assert_str_eq(r->out, expect);
	free(r);
	harness_fixture_fini(&f);
}

/* COMMAND --help and help COMMAND print that command's part of the help,
 * the same words --help has for it, and exit 0; a mistyped command or help
 * topic gets the command it most likely meant. */
Test(cli, each_command_has_its_own_help)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	struct harness_result *all = cli(&f, NULL, (const char *[]){ "--help", NULL });
	char names[32][32];
	size_t n = help_commands(&f, names, 32);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i], "help") == 0)
			continue;
		struct harness_result *r =
		    cli(&f, NULL, (const char *[]){ names[i], "--help", NULL });
		cr_assert_eq(r->status, 0, "%s --help: %s", names[i], r->err);
		char usage[64];
		HARNESS_PATH(usage, "usage: pycache-redirect %s", names[i]);
		cr_assert(strncmp(r->out, usage, strlen(usage)) == 0, "%s --help:\n%s", names[i],
			  r->out);
		cr_assert(!strstr(r->out, "\nCommands:\n"), "%s --help is the whole help",
			  names[i]);
		/* Its last line is the same line in the whole help. */
		const char *end = strstr(r->out, "\n\nThe environment");
		cr_assert(end, "%s --help:\n%s", names[i], r->out);
		const char *last = end;
		while (last > r->out && last[-1] != '\n')
			last--;
		char line[256];
		HARNESS_PATH(line, "%.*s\n", (int)(end - last), last);
		const char *words = line + strspn(line, " "); /* a synopsis' words move down */
		cr_assert(strstr(all->out, words), "%s --help: '%s' is not in --help", names[i],
			  words);
		struct harness_result *h =
		    cli(&f, NULL, (const char *[]){ "help", names[i], NULL });
		cr_assert_eq(h->status, 0);
		cr_assert_str_eq(h->out, r->out, "help %s differs from %s --help", names[i],
				 names[i]);
		free(h);
		free(r);
	}
	free(all);
	const char *const typos[][3] = {
		{ "stat", NULL }, { "prnue", NULL }, { "doc", NULL }, { "help", "confg" }
	};
	const char *const meant[] = { "stats", "prune", "doctor", "config" };
	for (size_t i = 0; i < sizeof meant / sizeof *meant; i++) {
		struct harness_result *r = cli(&f, NULL, typos[i]);
		cr_assert_eq(r->status, 2, "%s", typos[i][0]);
		char want[64];
		HARNESS_PATH(want, "did you mean '%s'?", meant[i]);
		cr_assert(strstr(r->err, want), "%s %s: %s", typos[i][0],
			  typos[i][1] ? typos[i][1] : "", r->err);
		cr_assert_str_empty(r->out);
		free(r);
	}
	struct harness_result *r = cli(&f, NULL, (const char *[]){ "xyzzy", NULL });
	cr_assert_eq(r->status, 2);
	cr_assert(strstr(r->err, "unknown command 'xyzzy'") && !strstr(r->err, "did you mean"),
		  "%s", r->err);
	free(r);
	harness_fixture_fini(&f);
}

/* PYCACHE_REDIRECT_LIBRARY names this project's library or is refused: a
 * real shared object that is another library (libc exports every hook and
 * thousands more; libz none) is not put in LD_PRELOAD, and run runs
 * nothing. Read from the file: nothing of it is loaded. */
Test(cli, run_refuses_a_library_that_is_not_ours)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	char marker[PATH_MAX + 16], script[PATH_MAX * 2];
	HARNESS_PATH(marker, "%s/ran", f.dir);
	HARNESS_PATH(script, "touch '%s'", marker);
	const char *const others[] = { "/lib/x86_64-linux-gnu/libc.so.6",
				       "/usr/lib/x86_64-linux-gnu/libz.so.1", "/bin/sh" };
	for (size_t i = 0; i < 3; i++) {
		if (!harness_exists(others[i]))
			continue;
		char var[PATH_MAX + 32];
		HARNESS_PATH(var, "PYCACHE_REDIRECT_LIBRARY=%s", others[i]);
		struct harness_result *r =
		    cli(&f, (const char *[]){ var, NULL },
			(const char *[]){ "run", "/bin/sh", "-c", script, NULL });
		cr_assert_eq(r->status, 1, "%s: exit %d", others[i], r->status);
		cr_assert(strstr(r->err, "is not pycache-redirect's library") ||
			      strstr(r->err, "is not a shared object"),
			  "%s: %s", others[i], r->err);
		cr_assert_not(harness_exists(marker), "%s: the command ran", others[i]);
		free(r);
	}
	char var[PATH_MAX + 32];
	HARNESS_PATH(var, "PYCACHE_REDIRECT_LIBRARY=%s", PCR_TEST_LIBRARY);
	struct harness_result *r = cli(&f, (const char *[]){ var, NULL },
				       (const char *[]){ "run", "/bin/sh", "-c", script, NULL });
	cr_assert_eq(r->status, 0, "the library itself: %s", r->err);
	cr_assert(harness_exists(marker));
	free(r);
	harness_fixture_fini(&f);
}
