/* The Debian package that cpack -G DEB makes of this build: lintian finds
 * no error in it, it holds the library in its multiarch plugin directory,
 * and, unpacked into a scratch root, its command runs Python with the tree
 * left clean, naming the library with the loader's $LIB. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/harness.h"

#define PACKAGED_LIBRARY "usr/lib/x86_64-linux-gnu/pycache-redirect/libpycache-redirect.so"

/* The package of this build, made into f's directory; its path into deb
 * (PATH_MAX + 64). Skips the test where there is no cpack or dpkg-deb, or
 * no amd64 package (the paths below are amd64's). */
static void make_package(const struct harness_fixture *f, char *deb, char *dpkg_deb)
{
	char cpack[PATH_MAX], out[PATH_MAX];
	if (!harness_have_program("cpack", cpack, sizeof cpack) ||
	    !harness_have_program("dpkg-deb", dpkg_deb, PATH_MAX))
		cr_skip_test("cpack or dpkg-deb is not on PATH (tests/setup installs cmake, "
			     "which has cpack, and Debian has dpkg-deb)");
	HARNESS_PATH(out, "%s/deb", f->dir);
	harness_format(deb, PATH_MAX + 64, "%s/pycache-redirect_" PCR_TEST_VERSION "-1_amd64.deb",
		       out);
	struct harness_result *r = malloc(sizeof *r);
	harness_run(r, f->dir, NULL,
		    (const char *[]){ cpack, "-G", "DEB", "--config",
				      PCR_TEST_BUILD_DIR "/CPackConfig.cmake", "-B", out, NULL });
	cr_assert_eq(r->status, 0, "%s%s", r->out, r->err);
	if (!harness_exists(deb))
		cr_skip_test("no amd64 package here (another architecture): %s", r->out);
	free(r);
}

/* lintian, as Debian runs it on an upload: no error. Its warnings and
 * notes are shown (the README lists the ones left, and why). */
Test(package, lintian_finds_no_error)
{
	char lintian[PATH_MAX];
	if (!harness_have_program("lintian", lintian, sizeof lintian))
		cr_skip_test("lintian is not on PATH (tests/setup --tests installs it)");
	struct harness_fixture f;
	harness_fixture_init(&f);
	char deb[PATH_MAX + 64], dpkg_deb[PATH_MAX];
	make_package(&f, deb, dpkg_deb);
	struct harness_result *r = malloc(sizeof *r);
	/* --no-cfg: no ~/.lintianrc of the user's drops or adds a check.
	 * TMPDIR: lintian leaves its index files (mldbm-elf-*) behind. */
	char tmpdir[PATH_MAX + 8];
	HARNESS_PATH(tmpdir, "TMPDIR=%s", f.dir);
	harness_run(r, f.dir, (const char *[]){ tmpdir, NULL },
		    (const char *[]){ lintian, "--no-cfg", "--fail-on", "error", "--display-level",
				      ">=info", deb, NULL });
	cr_assert_eq(harness_count_of(r->out, "\nE: ") + (strncmp(r->out, "E: ", 3) == 0), 0,
		     "lintian reports errors:\n%s", r->out);
	cr_assert_eq(r->status, 0, "lintian exits %d:\n%s%s", r->status, r->out, r->err);
	for (const char *line = r->out; *line;) {
		size_t n = strcspn(line, "\n");
		if (n > 3 && line[1] == ':' && line[2] == ' ')
			cr_log_info("lintian: %.*s", (int)n, line);
		line += n + (line[n] == '\n');
	}
	free(r);
	harness_fixture_fini(&f);
}

/* What the package holds: the library in /usr/lib/<triplet>/pycache-redirect/
 * (nowhere the loader searches, so no ldconfig, and no maintainer script but
 * the prerm that takes enable --system's line out),
 * the command, its manual page gzipped, its completions, the copyright and
 * changelog; and the dependencies that dpkg-shlibdeps finds. */
Test(package, holds_the_library_in_its_plugin_directory)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	char deb[PATH_MAX + 64], dpkg_deb[PATH_MAX];
	make_package(&f, deb, dpkg_deb);
	struct harness_result *r = malloc(sizeof *r);
	harness_run(r, f.dir, NULL, (const char *[]){ dpkg_deb, "-c", deb, NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	static const char *const files[] = {
		"./usr/bin/pycache-redirect\n",
		"./" PACKAGED_LIBRARY "\n",
		"./usr/share/man/man1/pycache-redirect.1.gz\n",
		"./usr/share/doc/pycache-redirect/copyright\n",
		"./usr/share/doc/pycache-redirect/changelog.Debian.gz\n",
		"./usr/share/bash-completion/completions/pycache-redirect\n",
		"./usr/share/fish/vendor_completions.d/pycache-redirect.fish\n",
		"./usr/share/zsh/vendor-completions/_pycache-redirect\n",
	};
	for (size_t i = 0; i < sizeof files / sizeof *files; i++)
		cr_assert(strstr(r->out, files[i]), "the package lacks %s%s", files[i], r->out);
	cr_assert_eq(harness_count_of(r->out, "libpycache-redirect.so"), 1,
		     "one copy of the library, in its directory:\n%s", r->out);
	harness_run(r, f.dir, NULL, (const char *[]){ dpkg_deb, "-f", deb, "Depends", NULL });
	cr_assert(strstr(r->out, "libc6") && strstr(r->out, "libjemalloc"), "Depends: %s", r->out);
	harness_run(r, f.dir, NULL, (const char *[]){ dpkg_deb, "-I", deb, NULL });
	cr_assert_not(strstr(r->out, "postinst") || strstr(r->out, "postrm"),
		      "maintainer scripts (ldconfig?) in the package:\n%s", r->out);
	cr_assert(strstr(r->out, " prerm"), "no prerm in the package:\n%s", r->out);
	free(r);
	harness_fixture_fini(&f);
}

/* The package, unpacked with dpkg-deb -x into f.dir/root (PATH_MAX bytes). */
static void unpack_package(const struct harness_fixture *f, char *unpacked)
{
	char deb[PATH_MAX + 64], dpkg_deb[PATH_MAX];
	make_package(f, deb, dpkg_deb);
	harness_format(unpacked, PATH_MAX, "%s/root", f->dir);
	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	harness_run(r, f->dir, NULL, (const char *[]){ dpkg_deb, "-x", deb, unpacked, NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	free(r);
}

/* Unpacked into a scratch root (dpkg-deb -x), the command finds its library
 * there and names it with $LIB, which the loader expands to that library:
 * Python runs through run and through env's lines with the tree left clean
 * and its bytecode in the cache, and doctor finds the library loads. */
Test(package, unpacked_command_runs_python_with_the_tree_clean)
{
	const struct harness_interp *py = harness_first_python();
	struct harness_fixture f;
	harness_fixture_init(&f);
	char unpacked[PATH_MAX];
	unpack_package(&f, unpacked);
	struct harness_result *r = malloc(sizeof *r);
	char bin[PATH_MAX + 32], library[PATH_MAX + 96], spelled[PATH_MAX + 96];
	HARNESS_PATH(bin, "%s/usr/bin/pycache-redirect", unpacked);
	HARNESS_PATH(library, "%s/" PACKAGED_LIBRARY, unpacked);
	HARNESS_PATH(spelled, "%s/usr/$LIB/pycache-redirect/libpycache-redirect.so", unpacked);
	cr_assert(harness_exists(library), "no %s", library);

	harness_run(r, f.tree, NULL,
		    (const char *[]){ bin, "run", "--dir", f.root, "--", "/bin/sh", "-c",
				      "printf '%s\\n' \"$LD_PRELOAD\"", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	char line[PATH_MAX + 100];
	HARNESS_PATH(line, "%s\n", spelled);
	cr_assert_str_eq(r->out, line, "run's LD_PRELOAD");

	harness_run(
	    r, f.tree, NULL,
	    (const char *[]){ bin, "run", "--dir", f.root, "--", py->path, "-m", "app", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert_not(strstr(r->err, "ld.so"), "the loader complained: %s", r->err);
	harness_assert_tree_clean(&f, py);
	harness_assert_sample_cached(&f, py, "", "the packaged command's run");

	/* The shell start-up way: eval "$(pycache-redirect env)", then Python
	 * in a tree of its own. */
	char script[3 * PATH_MAX], dir[PATH_MAX + 32];
	HARNESS_PATH(script, "eval \"$('%s' env)\" && '%s' -m app", bin, py->path);
	HARNESS_PATH(dir, "PYCACHE_REDIRECT_DIR=%s", f.root);
	harness_rmtree(f.root);
	harness_run(r, f.tree, (const char *[]){ dir, NULL },
		    (const char *[]){ "/bin/sh", "-c", script, NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert_not(strstr(r->err, "ld.so"), "the loader complained: %s", r->err);
	harness_assert_tree_clean(&f, py);
	harness_assert_sample_cached(&f, py, "", "python after eval of the packaged env");

	harness_run(r, f.tree, (const char *[]){ dir, NULL },
		    (const char *[]){ bin, "doctor", NULL });
	HARNESS_PATH(line, "library: %s loads (LD_PRELOAD names it %s:", library, spelled);
	const char *found = strstr(r->out, line);
	cr_assert(found, "doctor:\n%s", r->out);
	while (found > r->out && found[-1] != '\n')
		found--;
	cr_assert(strncmp(found, "ok ", 3) == 0, "doctor:\n%s", r->out);
	free(r);
	harness_fixture_fini(&f);
}

/* The packaged library finds the packaged command (three levels up, in
 * usr/bin) when its writes call for the cleanup: an orphan goes. */
Test(package, unpacked_library_starts_the_packaged_cleanup)
{
	const struct harness_interp *py = harness_first_python();
	struct harness_fixture f;
	harness_fixture_init(&f);
	char unpacked[PATH_MAX];
	unpack_package(&f, unpacked);
	struct harness_result *r = malloc(sizeof *r);
	char preload[PATH_MAX + 128], dir_env[PATH_MAX + 32];
	HARNESS_PATH(preload, "LD_PRELOAD=%s/" PACKAGED_LIBRARY, unpacked);
	HARNESS_PATH(dir_env, "PYCACHE_REDIRECT_DIR=%s", f.root);
	const char *const env[] = { preload, dir_env, NULL };

	/* A package imported once, then removed: an orphan. */
	char scratch[PATH_MAX], init[PATH_MAX + 16], gone[PATH_MAX], usage[PATH_MAX + 16];
	HARNESS_PATH(scratch, "%s/scratch", f.tree);
	cr_assert_eq(mkdir(scratch, 0755), 0);
	HARNESS_PATH(init, "%s/__init__.py", scratch);
	harness_write_file(init, "X = 1\n");
	harness_run(r, f.tree, env, (const char *[]){ py->path, "-c", "import scratch", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	layout_central_of_dir(gone, sizeof gone, f.root, scratch, NULL);
	cr_assert(harness_exists(gone));
	harness_rmtree(scratch);

	/* The growth counter just short of 64 MiB: the next writes cross it. */
	HARNESS_PATH(usage, "%s/v2/usage", f.root);
	cr_assert_eq(truncate(usage, 64 * 1024 - 1), 0);
	harness_run(r, f.tree, env, (const char *[]){ py->path, "-m", "app", NULL });
	cr_assert_eq(r->status, 0, "%s", r->err);
	for (int i = 0; i < 100 && harness_exists(gone); i++)
		usleep(100000);
	cr_assert(!harness_exists(gone), "the packaged cleanup did not run");
	harness_assert_sample_cached(&f, py, "", "after the cleanup");
	free(r);
	harness_fixture_fini(&f);
}

/* The package's prerm, run as dpkg runs it on removal, in a private mount
 * namespace over a copy-on-write /etc and /usr/bin (the packaged command at
 * /usr/bin/pycache-redirect): it takes out the library's entry of
 * /etc/ld.so.preload and keeps the others; on an upgrade it keeps them all. */
Test(package, prerm_takes_its_line_out_of_ld_so_preload)
{
	char unshare[PATH_MAX];
	if (geteuid() != 0 || !harness_have_program("unshare", unshare, sizeof unshare))
		cr_skip_test("needs root and unshare for a copy-on-write /etc");
	static const char *const others[] = { "/lib/x86_64-linux-gnu/libdl.so.2" };
	if (!harness_exists(others[0]))
		cr_skip_test("no %s to stand for another preloaded library", others[0]);
	struct harness_fixture f;
	harness_fixture_init(&f);
	char deb[PATH_MAX + 64], dpkg_deb[PATH_MAX], script[1 << 12], text[1 << 12], path[PATH_MAX];
	make_package(&f, deb, dpkg_deb);
	HARNESS_PATH(
	    script,
	    "set -e; cd '%s'; '%s' -e '%s' control; '%s' -x '%s' root; "
	    "for d in etc usr/bin; do mkdir -p \"u-$d\" \"w-$d\"; "
	    "mount -t overlay overlay -o \"lowerdir=/$d,upperdir=u-$d,workdir=w-$d\" \"/$d\"; "
	    "done; cp root/usr/bin/pycache-redirect /usr/bin/; "
	    "printf '# the admin\\n%%s\\n/usr/$LIB/pycache-redirect/libpycache-redirect.so\\n' "
	    "'%s' > /etc/ld.so.preload; "
	    "control/prerm upgrade; cp /etc/ld.so.preload upgraded; "
	    "control/prerm remove; cp /etc/ld.so.preload removed",
	    f.dir, dpkg_deb, deb, dpkg_deb, deb, others[0]);
	struct harness_result *r = malloc(sizeof *r);
	harness_run(r, f.dir, NULL,
		    (const char *[]){ unshare, "-m", "/bin/sh", "-c", script, NULL });
	cr_assert_eq(r->status, 0, "%s%s", r->out, r->err);
	HARNESS_PATH(path, "%s/upgraded", f.dir);
	harness_read_file(path, text, sizeof text);
	cr_assert(strstr(text, "libpycache-redirect.so"), "an upgrade took the line out:\n%s",
		  text);
	HARNESS_PATH(path, "%s/removed", f.dir);
	harness_read_file(path, text, sizeof text);
	char expect[PATH_MAX];
	HARNESS_PATH(expect, "# the admin\n%s\n", others[0]);
	cr_assert_str_eq(text, expect, "after the removal:\n%s", r->out);
	free(r);
	harness_fixture_fini(&f);
}
