/* pip and pipx, offline, through the project's own build back end
 * (pyproject.toml, cli/pip_backend.py), on a copy of the checkout: `pip
 * wheel` makes a wheel with an honest tag and a valid RECORD, which `pip
 * install --no-index` puts into a venv; `pip install .` and `pipx install .`
 * work with no index at all; and each installed command finds the library
 * beside it and runs Python with the tree left clean and the pycs in the
 * cache under HOME. The copy keeps no build artefact. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/harness.h"

/* The checkout copied (without .git, build directories and bytecode) to
 * argv[2]; argv[3] is the tests' build directory, wherever it is. */
static const char copy_script[] =
    "import os, shutil, sys\n"
    "src, dst, build = (os.path.realpath(p) for p in sys.argv[1:4])\n"
    "def skip(d, names):\n"
    "    return [n for n in names if n in ('.git', '__pycache__')\n"
    "            or (os.path.realpath(d) == src and n.startswith('build'))\n"
    "            or os.path.realpath(os.path.join(d, n)) == build]\n"
    "shutil.copytree(src, dst, symlinks=True, ignore=skip)\n";

/* Every path under argv[1] but what Python's import of the back end
 * caches (cli/__pycache__, see the README), a line each. */
static const char list_script[] = "import os, sys\n"
				  "top = sys.argv[1]\n"
				  "for d, dirs, files in os.walk(top):\n"
				  "    dirs[:] = sorted(n for n in dirs if n != '__pycache__')\n"
				  "    for n in sorted(dirs + files):\n"
				  "        print(os.path.relpath(os.path.join(d, n), top))\n";

struct kit {
	const struct harness_interp *py;
	char home[PATH_MAX];         /* f->dir/home: HOME of every child */
	char checkout[PATH_MAX];     /* f->dir/checkout: the copy */
	char venv[PATH_MAX];         /* f->dir/venv */
	char pip[PATH_MAX + 16];     /* venv/bin/pip */
	char env_home[PATH_MAX + 8]; /* HOME=... */
	const char *env[6];          /* HOME, and pip offline, without a config */
	char listed[1 << 15];        /* the copy's files before the build */
};

/* f's kit: the first interpreter's venv with pip (skips without the venv
 * module or ensurepip: Debian's python3-venv), a HOME, the copy. */
static void kit_init(struct kit *k, struct harness_fixture *f)
{
	k->py = harness_first_python();
	if (k->py->in_root) {
		harness_fixture_fini(f); /* a skip leaves nothing behind */
		cr_skip_test("the first interpreter runs in the sid root; a venv of the host's "
			     "is wanted");
	}
	HARNESS_PATH(k->home, "%s/home", f->dir);
	cr_assert_eq(mkdir(k->home, 0700), 0);
	HARNESS_PATH(k->env_home, "HOME=%s", k->home);
	/* No pip.conf of the machine's (an index, find-links): offline means
	 * the project alone. */
	const char *env[] = { k->env_home,          "PIP_CONFIG_FILE=/dev/null",
			      "PIP_NO_INDEX=1",     "PIP_DISABLE_PIP_VERSION_CHECK=1",
			      "PIP_NO_CACHE_DIR=1", NULL };
	memcpy(k->env, env, sizeof env);

	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	HARNESS_PATH(k->venv, "%s/venv", f->dir);
	harness_run(r, f->dir, k->env,
		    (const char *[]){ k->py->path, "-m", "venv", k->venv, NULL });
	if (r->status != 0) {
		harness_fixture_fini(f);
		cr_skip_test("%s -m venv fails (Debian: apt-get install python3-venv, which "
			     "tests/setup --tests installs): %s",
			     k->py->label, r->err);
	}
	HARNESS_PATH(k->pip, "%s/bin/pip", k->venv);
	if (!harness_exists(k->pip)) {
		harness_fixture_fini(f);
		cr_skip_test("the venv of %s has no pip (ensurepip missing: python3-venv)",
			     k->py->label);
	}

	HARNESS_PATH(k->checkout, "%s/checkout", f->dir);
	harness_run(r, f->dir, k->env,
		    (const char *[]){ k->py->path, "-c", copy_script, PCR_TEST_SOURCE_DIR,
				      k->checkout, PCR_TEST_BUILD_DIR, NULL });
	cr_assert_eq(r->status, 0, "copying the checkout: %s", r->err);
	harness_run(r, f->dir, k->env,
		    (const char *[]){ k->py->path, "-c", list_script, k->checkout, NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert(strlen(r->out) < sizeof k->listed - 1, "a checkout of %zu bytes of names",
		  strlen(r->out));
	memcpy(k->listed, r->out, strlen(r->out) + 1);
	cr_assert(strstr(k->listed, "pyproject.toml\n") &&
		      strstr(k->listed, "cli/pip_backend.py\n"),
		  "the copy lacks the back end:\n%s", k->listed);
	free(r);
}

/* The copy holds what it held before pip built it: no build directory,
 * no wheel, no .egg-info. */
static void assert_checkout_unchanged(const struct kit *k)
{
	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	harness_run(r, k->home, k->env,
		    (const char *[]){ k->py->path, "-c", list_script, k->checkout, NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert_str_eq(r->out, k->listed, "pip's build left files in the checkout");
	free(r);
}

/* command (installed under prefix) runs `python -m app` in f's tree with
 * HOME only: the tree stays clean, the pycs land in HOME's cache, and the
 * library preloaded is the one under prefix/lib/pycache-redirect. */
static void assert_runs_clean(const struct kit *k, struct harness_fixture *f, const char *command,
			      const char *prefix, const char *python)
{
	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	char library[PATH_MAX + 64], line[PATH_MAX + 80];
	HARNESS_PATH(library, "%s/lib/pycache-redirect/libpycache-redirect.so", prefix);
	cr_assert(harness_exists(library), "no %s", library);
	const char *env[] = { k->env_home, NULL };

	harness_run(r, f->tree, env,
		    (const char *[]){ command, "run", "--", "/bin/sh", "-c",
				      "printf '%s\\n' \"$LD_PRELOAD\"", NULL });
	cr_assert_eq(r->status, 0, "%s run: %s", command, r->err);
	HARNESS_PATH(line, "%s\n", library);
	cr_assert_str_eq(r->out, line, "the LD_PRELOAD of %s run", command);

	harness_run(r, f->tree, env,
		    (const char *[]){ command, "run", "--", python, "-m", "app", NULL });
	cr_assert_eq(r->status, 0, "%s run -- %s -m app: %s%s", command, python, r->out, r->err);
	cr_assert_not(strstr(r->err, "ld.so"), "the loader complained: %s", r->err);
	harness_assert_tree_clean(f, k->py);
	struct harness_fixture under_home = *f;
	HARNESS_PATH(under_home.root, "%s/.cache/pycache-redirect", k->home);
	harness_assert_sample_cached(&under_home, k->py, "", command);
	free(r);
}

/* The library installed under prefix finds the command installed with it
 * (prefix/bin, two levels up) when its writes call for the cleanup: an
 * orphan entry goes. Preloaded by hand, so that nothing but the library
 * knows where the command is. */
static void assert_library_starts_the_cleanup(const struct kit *k, struct harness_fixture *f,
					      const char *prefix, const char *python)
{
	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	char preload[PATH_MAX + 80], dir_env[PATH_MAX + 32];
	HARNESS_PATH(preload, "LD_PRELOAD=%s/lib/pycache-redirect/libpycache-redirect.so", prefix);
	HARNESS_PATH(dir_env, "PYCACHE_REDIRECT_DIR=%s", f->root);
	const char *const env[] = { k->env_home, preload, dir_env, NULL };

	/* A package imported once, then removed: an orphan. */
	char scratch[PATH_MAX], init[PATH_MAX + 16], gone[PATH_MAX], usage[PATH_MAX + 16];
	HARNESS_PATH(scratch, "%s/scratch", f->tree);
	cr_assert_eq(mkdir(scratch, 0755), 0);
	HARNESS_PATH(init, "%s/__init__.py", scratch);
	harness_write_file(init, "X = 1\n");
	harness_run(r, f->tree, env, (const char *[]){ python, "-c", "import scratch", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	layout_central_of_dir(gone, sizeof gone, f->root, scratch, NULL);
	cr_assert(harness_exists(gone), "no central directory %s", gone);
	harness_rmtree(scratch);

	/* The growth counter just short of 64 MiB: the next writes cross it. */
	HARNESS_PATH(usage, "%s/v2/usage", f->root);
	cr_assert_eq(truncate(usage, 64 * 1024 - 1), 0);
	harness_run(r, f->tree, env, (const char *[]){ python, "-m", "app", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	for (int i = 0; i < 100 && harness_exists(gone); i++)
		usleep(100000);
	cr_assert(!harness_exists(gone), "the cleanup of %s/bin/pycache-redirect did not run",
		  prefix);
	free(r);
}

/* What the files in dir named in names (n of them) need, as objdump reads
 * them: the tag they earn. manylinux_2_X_x86_64 when they need glibc alone
 * (X its newest version they name), else linux_x86_64. Empty when there is
 * no objdump. */
static void expected_tag(const char *dir, const char *const *names, size_t n, char *tag,
			 size_t size)
{
	char objdump[PATH_MAX];
	tag[0] = '\0';
	if (!harness_have_program("objdump", objdump, sizeof objdump))
		return;
	static const char *const glibc_only[] = { "libc.so.6",  "libm.so.6",
						  "libdl.so.2", "libpthread.so.0",
						  "librt.so.1", "ld-linux-x86-64.so.2" };
	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	int newest = 0;
	bool others = false;
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX + 32];
		HARNESS_PATH(path, "%s/%s", dir, names[i]);
		harness_run(r, dir, NULL, (const char *[]){ objdump, "-p", path, NULL });
		cr_assert_eq(r->status, 0, "objdump -p %s: %s", path, r->err);
		for (const char *p = r->out; (p = strstr(p, "NEEDED"));) {
			p += strlen("NEEDED");
			p += strspn(p, " ");
			size_t len = strcspn(p, "\n"), known = 0;
			for (size_t j = 0; j < sizeof glibc_only / sizeof *glibc_only; j++)
				known += strlen(glibc_only[j]) == len &&
					 strncmp(p, glibc_only[j], len) == 0;
			others |= known == 0;
		}
		for (const char *p = r->out; (p = strstr(p, "GLIBC_2."));) {
			p += strlen("GLIBC_2.");
			int minor = atoi(p);
			newest = minor > newest ? minor : newest;
		}
	}
	cr_assert_gt(newest, 0, "objdump names no GLIBC_2.x version");
	if (others)
		snprintf(tag, size, "linux_x86_64");
	else
		snprintf(tag, size, "manylinux_2_%d_x86_64", newest);
	free(r);
}

/* The back end's verdict on the library alone, which needs glibc alone:
 * the manylinux branch, against objdump's reading. python -B: no pyc of the
 * back end in the tree under test. */
static void assert_library_alone_is_manylinux(const struct kit *k, const char *dir)
{
	static const char *const library[] = { "libpycache-redirect.so" };
	char tag[64], line[96], path[PATH_MAX + 32];
	expected_tag(dir, library, 1, tag, sizeof tag);
	if (!tag[0])
		return;
	cr_assert(strncmp(tag, "manylinux_2_", 12) == 0,
		  "objdump finds the library needs more than glibc: %s", tag);
	HARNESS_PATH(path, "%s/%s", dir, library[0]);
	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	harness_run(r, dir, k->env,
		    (const char *[]){ k->py->path, "-B", "-c",
				      "import sys; sys.path.insert(0, sys.argv[1]); "
				      "import pip_backend; "
				      "print(pip_backend._platform_tag(sys.argv[2:])[0])",
				      PCR_TEST_SOURCE_DIR "/cli", path, NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	HARNESS_PATH(line, "%s\n", tag);
	cr_assert_str_eq(r->out, line, "the back end's tag for the library alone");
	free(r);
}

/* The one .whl in dir, into path (PATH_MAX + 256). */
static void only_wheel(const char *dir, char *path)
{
	DIR *d = opendir(dir);
	cr_assert(d, "no %s", dir);
	int count = 0;
	for (struct dirent *e; (e = readdir(d));) {
		size_t n = strlen(e->d_name);
		if (n > 4 && strcmp(e->d_name + n - 4, ".whl") == 0) {
			harness_format(path, PATH_MAX + 256, "%s/%s", dir, e->d_name);
			count++;
		}
	}
	closedir(d);
	cr_assert_eq(count, 1, "%d wheels in %s", count, dir);
}

/* pip wheel --no-index of k's checkout into f's dist/ (named in dist, of
 * PATH_MAX bytes), with env. */
static void pip_wheel(struct harness_result *r, const struct kit *k,
		      const struct harness_fixture *f, const char *const *env, char *dist)
{
	harness_format(dist, PATH_MAX, "%s/dist", f->dir);
	harness_run(r, f->dir, env,
		    (const char *[]){ k->pip, "wheel", "--no-index", "--no-deps", "-w", dist,
				      k->checkout, NULL });
}

/* pip wheel --no-index of the copy: the wheel's name, tag, RECORD and
 * members are right (tests/check_wheel.py), its tag is what its files need
 * (objdump; the back end would tag the library alone manylinux), and
 * installed with pip install --no-index into a fresh venv, its command
 * (executable) runs Python with the tree clean, and its library starts the
 * venv's command for the cleanup. */
Test(wheel, pip_wheel_builds_offline_and_installs_into_a_venv)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	struct kit k;
	kit_init(&k, &f);
	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	char dist[PATH_MAX], wheel[PATH_MAX + 256];
	pip_wheel(r, &k, &f, k.env, dist);
	cr_assert_eq(r->status, 0, "pip wheel: %s%s", r->out, r->err);
	assert_checkout_unchanged(&k);
	only_wheel(dist, wheel);

	char checker[PATH_MAX + 32], elf[PATH_MAX];
	HARNESS_PATH(checker, "%s/tests/check_wheel.py", PCR_TEST_SOURCE_DIR);
	HARNESS_PATH(elf, "%s/elf", f.dir);
	cr_assert_eq(mkdir(elf, 0700), 0);
	harness_run(r, f.dir, k.env,
		    (const char *[]){ k.py->path, checker, wheel, PCR_TEST_VERSION, elf, NULL });
	cr_assert_eq(r->status, 0, "%s: %s%s", wheel, r->out, r->err);
	static const char *const both[] = { "pycache-redirect", "libpycache-redirect.so" };
	char tag[64], line[96];
	expected_tag(elf, both, 2, tag, sizeof tag);
	if (tag[0]) {
		HARNESS_PATH(line, "tag %s\n", tag);
		cr_assert(strncmp(r->out, line, strlen(line)) == 0,
			  "the wheel's platform is not %s, what its files need:\n%s", tag, r->out);
	} else {
		cr_log_info("no objdump on PATH: the tag is not checked against the files");
	}
	assert_library_alone_is_manylinux(&k, elf);
	cr_log_info("%s: %s", wheel, r->out);

	harness_run(r, f.dir, k.env,
		    (const char *[]){ k.pip, "install", "--no-index", wheel, NULL });
	cr_assert_eq(r->status, 0, "pip install the wheel: %s%s", r->out, r->err);
	char command[PATH_MAX + 32], python[PATH_MAX + 32];
	HARNESS_PATH(command, "%s/bin/pycache-redirect", k.venv);
	HARNESS_PATH(python, "%s/bin/python", k.venv);
	struct stat st;
	cr_assert(stat(command, &st) == 0 && (st.st_mode & 0111) == 0111,
		  "%s is not executable by all (mode %o)", command, (unsigned)st.st_mode);
	assert_runs_clean(&k, &f, command, k.venv, python);
	assert_library_starts_the_cleanup(&k, &f, k.venv, python);
	free(r);
	harness_fixture_fini(&f);
}

/* pip install . from the copy, no index: the same command in the venv, and
 * the copy as it was. */
Test(wheel, pip_install_from_the_checkout_offline)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	struct kit k;
	kit_init(&k, &f);
	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	harness_run(r, k.checkout, k.env,
		    (const char *[]){ k.pip, "install", "--no-index", ".", NULL });
	cr_assert_eq(r->status, 0, "pip install .: %s%s", r->out, r->err);
	assert_checkout_unchanged(&k);
	char command[PATH_MAX + 32], python[PATH_MAX + 32];
	HARNESS_PATH(command, "%s/bin/pycache-redirect", k.venv);
	HARNESS_PATH(python, "%s/bin/python", k.venv);
	assert_runs_clean(&k, &f, command, k.venv, python);
	free(r);
	harness_fixture_fini(&f);
}

/* pipx install . (PIPX_HOME and PIPX_BIN_DIR in f's directory): its bin
 * entry is a link into pipx's venv, and the command, run through the link,
 * resolves its own path (/proc/self/exe) and finds the library there. */
Test(wheel, pipx_install_links_a_command_that_finds_its_library)
{
	char pipx[PATH_MAX];
	if (!harness_have_program("pipx", pipx, sizeof pipx))
		cr_skip_test("pipx is not on PATH (tests/setup --tests installs Debian's)");
	struct harness_fixture f;
	harness_fixture_init(&f);
	struct kit k;
	kit_init(&k, &f);
	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	char pipx_home[PATH_MAX + 16], pipx_bin[PATH_MAX + 16], pipx_man[PATH_MAX + 16];
	HARNESS_PATH(pipx_home, "PIPX_HOME=%s/pipx", f.dir);
	HARNESS_PATH(pipx_bin, "PIPX_BIN_DIR=%s/bin", f.dir);
	HARNESS_PATH(pipx_man, "PIPX_MAN_DIR=%s/man", f.dir);
	const char *env[] = { k.env[0],  k.env[1], k.env[2], k.env[3], k.env[4],
			      pipx_home, pipx_bin, pipx_man, NULL };
	/* pipx's venvs are of the interpreter it runs on; it is told which. */
	harness_run(r, k.checkout, env,
		    (const char *[]){ pipx, "install", "--python", k.py->path, ".", NULL });
	cr_assert_eq(r->status, 0, "pipx install .: %s%s", r->out, r->err);
	assert_checkout_unchanged(&k);

	char link[PATH_MAX + 32], target[PATH_MAX], prefix[PATH_MAX + 32], python[PATH_MAX + 64];
	HARNESS_PATH(link, "%s/bin/pycache-redirect", f.dir);
	HARNESS_PATH(prefix, "%s/pipx/venvs/pycache-redirect", f.dir);
	HARNESS_PATH(python, "%s/bin/python", prefix);
	ssize_t n = readlink(link, target, sizeof target - 1);
	cr_assert_gt(n, 0, "%s is not a link (pipx links its apps)", link);
	target[n] = '\0';
	cr_assert(strncmp(target, prefix, strlen(prefix)) == 0, "%s links to %s", link, target);
	assert_runs_clean(&k, &f, link, prefix, python);
	free(r);
	harness_fixture_fini(&f);
}

/* Without cmake on PATH, pip's build stops and says what the build needs
 * (the packages of xxHash and jemalloc among them), and makes no wheel. */
Test(wheel, without_cmake_the_build_says_what_it_needs)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	struct kit k;
	kit_init(&k, &f);
	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	char dist[PATH_MAX], path[PATH_MAX + 16];
	HARNESS_PATH(path, "PATH=%s/nothing", f.dir);
	const char *env[] = { k.env[0], k.env[1], k.env[2], k.env[3], k.env[4], path, NULL };
	pip_wheel(r, &k, &f, env, dist);
	cr_assert_neq(r->status, 0, "pip wheel without cmake: %s%s", r->out, r->err);
	const char *all = strstr(r->out, "cmake is not installed") ? r->out : r->err;
	cr_assert(strstr(all, "pycache-redirect: error: cmake is not installed") &&
		      strstr(all, "libxxhash-dev") && strstr(all, "libjemalloc-dev"),
		  "pip wheel without cmake:\n%s%s", r->out, r->err);
	cr_assert_eq(harness_count_files(f.dir, ".whl"), 0, "a wheel without cmake");
	assert_checkout_unchanged(&k);
	free(r);
	harness_fixture_fini(&f);
}
