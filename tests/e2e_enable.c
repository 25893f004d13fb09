/* pycache-redirect enable / disable / status: the start-up block of bash,
 * zsh and fish against a HOME of the fixture's, the user's environment.d
 * file parsed as systemd parses it, /etc/ld.so.preload in a private mount
 * namespace over a copy-on-write /etc (never the machine's own), and bad
 * input: clear errors, exit 1, nothing changed. The redirect itself is
 * tested with the first interpreter found: what is tested here is how it is
 * switched on. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/harness.h"

#define OTHER_UID "4242"
#define BEGIN "# >>> pycache-redirect >>>\n"
#define GENERATOR "/usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator"

/* What a user's start-up file held before: kept byte for byte. */
static const char user_lines[] = "# my settings\n"
				 "alias ll='ls -l'\n"
				 "export PCR_TEST_MINE=kept\n";

/* The environment of every run: a HOME of the fixture's, the start-up files'
 * directories under it, and the fixture's cache root; then extra. */
struct home {
	char home[PATH_MAX + 8], config[PATH_MAX + 32], zdot[PATH_MAX + 16], dir[PATH_MAX + 32];
	const char *env[16];
};

static void home_init(struct home *h, const struct harness_fixture *f, const char *const *extra)
{
	HARNESS_PATH(h->home, "HOME=%s/home", f->dir);
	HARNESS_PATH(h->config, "XDG_CONFIG_HOME=%s/home/.config", f->dir);
	HARNESS_PATH(h->zdot, "ZDOTDIR=%s/home", f->dir);
	HARNESS_PATH(h->dir, "PYCACHE_REDIRECT_DIR=%s", f->root);
	char path[PATH_MAX];
	HARNESS_PATH(path, "%s/home", f->dir);
	if (!harness_exists(path))
		cr_assert(mkdir(path, 0755) == 0);
	size_t n = 0;
	for (; extra && *extra && n < 10; extra++)
		h->env[n++] = *extra; /* first: the first of a name is the one read */
	h->env[n++] = h->home;
	h->env[n++] = h->config;
	h->env[n++] = h->zdot;
	h->env[n++] = h->dir;
	h->env[n++] = "SHELL=/bin/bash";
	h->env[n] = NULL;
}

static struct harness_result *cli(const struct harness_fixture *f, const char *const *extra,
				  const char *const *args)
{
	struct home h;
	home_init(&h, f, extra);
	return harness_cli(f, NULL, h.env, args);
}

static struct harness_result *run(const struct harness_fixture *f, const char *const *extra,
				  const char *const *argv)
{
	struct home h;
	home_init(&h, f, extra);
	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	harness_run(r, f->tree, h.env, argv);
	return r;
}

static void assert_exit(const struct harness_result *r, int status, const char *what)
{
	cr_assert_eq(r->status, status, "%s: exit %d, not %d\nout: %s\nerr: %s", what, r->status,
		     status, r->out, r->err);
}

/* ---- --shell ---- */

struct shell_case {
	const char *name;
	const char *file; /* under the fixture's home */
	bool own_file;    /* fish's: a file of its own, removed by disable */
	/* the shell's arguments before the command: an interactive one's */
	const char *flag;
	const char *print_preload; /* the command that prints LD_PRELOAD */
};

static void shell_enables(const struct shell_case *c)
{
	char shell[PATH_MAX];
	if (!harness_have_program(c->name, shell, sizeof shell))
		cr_skip_test("%s is not installed (tests/setup --tests installs it)", c->name);
	const struct harness_interp *py = harness_first_python();
	struct harness_fixture f;
	harness_fixture_init(&f);
	char rc[PATH_MAX], before[1 << 12], after[1 << 14], arg[32];
	HARNESS_PATH(rc, "%s/home/%s", f.dir, c->file);
	HARNESS_PATH(arg, "--shell=%s", c->name);
	struct home h;
	home_init(&h, &f, NULL);
	/* A start-up file of the user's own beside fish's, or the one itself. */
	char mine[PATH_MAX];
	if (c->own_file)
		HARNESS_PATH(mine, "%s/home/.config/fish/config.fish", f.dir);
	else
		HARNESS_PATH(mine, "%s", rc);
	char made[PATH_MAX + 16];
	HARNESS_PATH(made, "mkdir -p \"$(dirname '%s')\"", mine);
	cr_assert_eq(system(made), 0);
	harness_write_file(mine, user_lines);

	struct harness_result *r = cli(&f, NULL, (const char *[]){ "enable", arg, NULL });
	assert_exit(r, 0, "enable");
	cr_assert(strstr(r->out, rc) && strstr(r->out, "to undo: pycache-redirect disable"),
		  "enable does not say what it changed and how to undo it:\n%s", r->out);
	free(r);
	r = cli(&f, NULL, (const char *[]){ "enable", "--shell", c->name, NULL });
	assert_exit(r, 0, "second enable");
	cr_assert(strstr(r->out, "already enabled"), "%s", r->out);
	free(r);
	cr_assert_gt(harness_read_file(rc, after, sizeof after), 0);
	cr_assert_eq(harness_count_of(after, BEGIN), 1, "not one block:\n%s", after);
	harness_read_file(mine, before, sizeof before);
	if (c->own_file)
		cr_assert_str_eq(before, user_lines, "config.fish was touched");
	else
		cr_assert(strncmp(after, user_lines, strlen(user_lines)) == 0,
			  "the user's lines are not kept:\n%s", after);

	/* A new shell of the user's: the library preloaded, Python redirected. */
	char script[PATH_MAX * 2];
	HARNESS_PATH(script, "cd '%s' && '%s' -m app && %s", f.tree, py->path, c->print_preload);
	r = run(&f, NULL, (const char *[]){ shell, c->flag, script, NULL });
	assert_exit(r, 0, c->name);
	cr_assert(strstr(r->out, PCR_TEST_LIBRARY),
		  "%s: LD_PRELOAD does not name the library:\n%s%s", c->name, r->out, r->err);
	harness_assert_tree_clean(&f, py);
	harness_assert_sample_cached(&f, py, "", c->name);
	free(r);

	r = cli(&f, NULL, (const char *[]){ "status", NULL });
	assert_exit(r, 0, "status");
	cr_assert(strstr(r->out, rc), "status does not name %s: %s", rc, r->out);
	free(r);

	r = cli(&f, NULL, (const char *[]){ "disable", arg, NULL });
	assert_exit(r, 0, "disable");
	cr_assert(strstr(r->out, "to undo: pycache-redirect enable"), "%s", r->out);
	free(r);
	if (c->own_file) {
		cr_assert(!harness_exists(rc), "disable left %s", rc);
	} else {
		harness_read_file(rc, after, sizeof after);
		cr_assert_str_eq(after, user_lines, "disable did not restore the file");
	}
	r = cli(&f, NULL, (const char *[]){ "disable", arg, NULL });
	assert_exit(r, 0, "second disable");
	cr_assert(strstr(r->out, "already disabled"), "%s", r->out);
	free(r);
	r = cli(&f, NULL, (const char *[]){ "status", NULL });
	assert_exit(r, 1, "status with nothing on");
	free(r);
	harness_fixture_fini(&f);
}

Test(enable, shell_bash)
{
	shell_enables(&(struct shell_case){ "bash", ".bashrc", false, "-ic",
					    "printf '%s\\n' \"$LD_PRELOAD\"" });
}

Test(enable, shell_zsh)
{
	shell_enables(&(struct shell_case){ "zsh", ".zshrc", false, "-ic",
					    "printf '%s\\n' \"$LD_PRELOAD\"" });
}

Test(enable, shell_fish)
{
	shell_enables(&(struct shell_case){ "fish", ".config/fish/conf.d/pycache-redirect.fish",
					    true, "-c", "printf '%s\\n' $LD_PRELOAD" });
}

/* The shell comes from $SHELL when --shell names none; bash without it. */
Test(enable, shell_defaults_to_shells_name)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	char zshrc[PATH_MAX];
	HARNESS_PATH(zshrc, "%s/home/.zshrc", f.dir);
	struct harness_result *r = cli(&f, (const char *[]){ "SHELL=/usr/bin/zsh", NULL },
				       (const char *[]){ "enable", NULL });
	assert_exit(r, 0, "enable");
	cr_assert(harness_exists(zshrc), "no %s:\n%s", zshrc, r->out);
	free(r);
	r = cli(&f, (const char *[]){ "SHELL=/bin/tcsh", NULL },
		(const char *[]){ "enable", NULL });
	assert_exit(r, 1, "enable with SHELL=tcsh");
	cr_assert(strstr(r->err, "--shell"), "%s", r->err);
	free(r);
	harness_fixture_fini(&f);
}

/* A start-up file that is a link (a dotfile manager's) is followed: its
 * target gets the block, the link stays a link. */
Test(enable, shell_follows_a_linked_start_up_file)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	char rc[PATH_MAX], target[PATH_MAX], text[1 << 12];
	HARNESS_PATH(rc, "%s/home/.bashrc", f.dir);
	HARNESS_PATH(target, "%s/dotfiles-bashrc", f.dir);
	harness_write_file(target, user_lines);
	struct harness_result *r = cli(&f, NULL, (const char *[]){ "status", NULL });
	free(r); /* made the home */
	cr_assert(symlink(target, rc) == 0);
	r = cli(&f, NULL, (const char *[]){ "enable", "--shell", "bash", NULL });
	assert_exit(r, 0, "enable");
	cr_assert(strstr(r->out, "symbolic link"), "%s", r->out);
	free(r);
	struct stat st;
	cr_assert(lstat(rc, &st) == 0 && S_ISLNK(st.st_mode), "the link was replaced");
	harness_read_file(target, text, sizeof text);
	cr_assert_eq(harness_count_of(text, BEGIN), 1, "%s", text);
	harness_fixture_fini(&f);
}

/* ---- bad input for --shell: a clear error, exit 1, nothing changed ---- */

/* Root with another user's HOME (sudo -E): that user's link from their
 * .bashrc to a file of root's must not make root append to it, and root
 * makes no file of its own in their home. */
Test(enable, another_users_start_up_file_is_refused_to_root)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to act on another user's home");
	struct harness_fixture f;
	harness_fixture_init(&f);
	char home[PATH_MAX], rc[PATH_MAX], victim[PATH_MAX], text[1 << 12];
	HARNESS_PATH(home, "%s/home", f.dir);
	HARNESS_PATH(rc, "%s/.bashrc", home);
	HARNESS_PATH(victim, "%s/roots-file", f.dir);
	harness_write_file(victim, "root:x:0:0\n");
	cr_assert(mkdir(home, 0755) == 0 && chown(home, 4242, 4242) == 0);
	struct harness_result *r = cli(&f, NULL, (const char *[]){ "enable", NULL });
	assert_exit(r, 1, "enable in another user's home");
	cr_assert(strstr(r->err, "uid 4242") && strstr(r->err, "nothing changed"), "%s", r->err);
	cr_assert(!harness_exists(rc), "root made %s", rc);
	free(r);
	cr_assert(symlink(victim, rc) == 0 && lchown(rc, 4242, 4242) == 0);
	r = cli(&f, NULL, (const char *[]){ "enable", NULL });
	assert_exit(r, 1, "enable through another user's link");
	cr_assert(strstr(r->err, "link of uid 4242") && strstr(r->err, "nothing changed"), "%s",
		  r->err);
	free(r);
	harness_read_file(victim, text, sizeof text);
	cr_assert_str_eq(text, "root:x:0:0\n", "root's file was changed through the link");
	harness_fixture_fini(&f);
}

Test(enable, shell_start_up_file_that_is_a_directory_is_refused)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	char rc[PATH_MAX];
	HARNESS_PATH(rc, "%s/home/.bashrc", f.dir);
	HARNESS_PATH(rc, "%s/home", f.dir);
	cr_assert(mkdir(rc, 0755) == 0);
	HARNESS_PATH(rc, "%s/home/.bashrc", f.dir);
	cr_assert(mkdir(rc, 0755) == 0);
	struct harness_result *r = cli(&f, NULL, (const char *[]){ "enable", NULL });
	assert_exit(r, 1, "enable over a directory");
	cr_assert(strstr(r->err, rc) && strstr(r->err, "directory") &&
		      strstr(r->err, "nothing changed"),
		  "%s", r->err);
	free(r);
	struct stat st;
	cr_assert(lstat(rc, &st) == 0 && S_ISDIR(st.st_mode));
	harness_fixture_fini(&f);
}

/* A read-only bind mount over the start-up file (as a managed home has
 * it): the error, and the file's bytes as they were. */
Test(enable, unwritable_start_up_file_is_left_as_it_was)
{
	if (!harness_can_mount())
		cr_skip_test("needs root and a private mount namespace for a read-only bind mount");
	struct harness_fixture f;
	harness_fixture_init(&f);
	char rc[PATH_MAX], text[1 << 12], script[PATH_MAX * 3];
	HARNESS_PATH(rc, "%s/home", f.dir);
	cr_assert(mkdir(rc, 0755) == 0);
	HARNESS_PATH(rc, "%s/home/.bashrc", f.dir);
	harness_write_file(rc, user_lines);
	HARNESS_PATH(script,
		     "mount --bind '%s' '%s' && mount -o remount,bind,ro '%s' && exec '%s' enable",
		     rc, rc, rc, PCR_TEST_CLI);
	struct harness_result *r = run(
	    &f, NULL, (const char *[]){ "/usr/bin/unshare", "-m", "/bin/sh", "-c", script, NULL });
	assert_exit(r, 1, "enable on a read-only file");
	cr_assert(strstr(r->err, rc) && strstr(r->err, "nothing changed"), "%s", r->err);
	harness_read_file(rc, text, sizeof text);
	cr_assert_str_eq(text, user_lines, "the file changed");
	char tmp[PATH_MAX + 8];
	HARNESS_PATH(tmp, "%s/home", f.dir);
	cr_assert_eq(harness_count_files(tmp, ""), 1, "a temporary file was left in %s", tmp);
	free(r);
	harness_fixture_fini(&f);
}

/* ---- --user ---- */

Test(enable, user_environment_file)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	char file[PATH_MAX], text[1 << 12], expect[PATH_MAX * 3];
	HARNESS_PATH(file, "%s/home/.config/environment.d/60-pycache-redirect.conf", f.dir);
	struct harness_result *r = cli(&f, NULL, (const char *[]){ "enable", "--user", NULL });
	assert_exit(r, 0, "enable --user");
	cr_assert(strstr(r->out, file) && strstr(r->out, "to undo"), "%s", r->out);
	free(r);
	r = cli(&f, NULL, (const char *[]){ "enable", "--user", NULL });
	assert_exit(r, 0, "second enable --user");
	cr_assert(strstr(r->out, "already enabled"), "%s", r->out);
	free(r);
	cr_assert_gt(harness_read_file(file, text, sizeof text), 0, "no %s", file);
	HARNESS_PATH(expect,
		     "\nLD_PRELOAD=%s${LD_PRELOAD:+:$LD_PRELOAD}\nPYCACHE_REDIRECT_DIR=%s\n",
		     PCR_TEST_LIBRARY, f.root);
	cr_assert(strstr(text, expect), "%s\nnot in:\n%s", expect, text);

	/* As systemd's user manager reads it, before and after another
	 * LD_PRELOAD. */
	if (access(GENERATOR, X_OK) == 0) {
		const char *script =
		    "set -a; eval \"$(" GENERATOR ")\"; "
		    "printf '%s|%s|%s\\n' \"$LD_PRELOAD\" \"$PYCACHE_REDIRECT_DIR\" "
		    "\"${TOX_TESTENV_PASSENV# }\"";
		/* This machine's own TOX_TESTENV_PASSENV (OPENBLAS_*) kept out;
		 * systemd takes an empty one for set, hence the space. */
		const char *plain[] = { "TOX_TESTENV_PASSENV=", NULL };
		const char *keep[] = { "LD_PRELOAD=/nonexistent/other.so",
				       "TOX_TESTENV_PASSENV=", NULL };
		for (int i = 0; i < 2; i++) {
			r = run(&f, i ? keep : plain,
				(const char *[]){ "/bin/sh", "-c", script, NULL });
			HARNESS_PATH(expect,
				     "%s%s|%s|LD_PRELOAD PYCACHE_REDIRECT* HOME XDG_CACHE_HOME\n",
				     PCR_TEST_LIBRARY, i ? ":/nonexistent/other.so" : "", f.root);
			cr_assert_str_eq(r->out, expect, "systemd reads:\n%s%s", r->out, r->err);
			free(r);
		}
	} else {
		cr_log_warn("systemd's environment.d generator is not installed: the file is "
			    "checked as text only");
	}
	r = cli(&f, NULL, (const char *[]){ "status", NULL });
	assert_exit(r, 0, "status");
	cr_assert(strstr(r->out, "user environment"), "%s", r->out);
	free(r);
	r = cli(&f, NULL, (const char *[]){ "disable", "--user", NULL });
	assert_exit(r, 0, "disable --user");
	cr_assert(!harness_exists(file), "disable left %s", file);
	free(r);
	r = cli(&f, NULL, (const char *[]){ "disable", "--user", NULL });
	cr_assert(strstr(r->out, "already disabled"), "%s", r->out);
	free(r);
	harness_fixture_fini(&f);
}

/* A setting environment.d would read as its own syntax is refused. */
Test(enable, user_setting_with_a_space_is_refused)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	char file[PATH_MAX];
	HARNESS_PATH(file, "%s/home/.config/environment.d/60-pycache-redirect.conf", f.dir);
	struct harness_result *r =
	    cli(&f, (const char *[]){ "PYCACHE_REDIRECT_DIR=/tmp/a b", NULL },
		(const char *[]){ "enable", "--user", NULL });
	assert_exit(r, 1, "enable --user with a space in the root");
	cr_assert(strstr(r->err, "PYCACHE_REDIRECT_DIR=/tmp/a b"), "%s", r->err);
	cr_assert(!harness_exists(file), "%s was written", file);
	free(r);
	harness_fixture_fini(&f);
}

/* ---- --system, in a private mount namespace over a copy of /etc ---- */

/* The machine's /etc, copy-on-write: writes land in f->dir/etc-upper. */
static const char overlay[] =
    "set -u; mkdir -p \"$D/etc-upper\" \"$D/etc-work\" && "
    "mount -t overlay overlay -o "
    "\"lowerdir=/etc,upperdir=$D/etc-upper,workdir=$D/etc-work\" /etc || exit 99; ";

/* script run as root in its namespace, with $D the fixture's directory,
 * $CLI the command, $PY the interpreter, $TREE the sample tree. */
static struct harness_result *in_etc_overlay(const struct harness_fixture *f,
					     const struct harness_interp *py, const char *script)
{
	char all[1 << 13], d[PATH_MAX + 8], tree[PATH_MAX + 8], pyv[PATH_MAX + 8];
	HARNESS_PATH(all, "%s%s", overlay, script);
	HARNESS_PATH(d, "D=%s", f->dir);
	HARNESS_PATH(tree, "TREE=%s", f->tree);
	HARNESS_PATH(pyv, "PY=%s", py->path);
	const char *env[] = { d, tree, pyv, "CLI=" PCR_TEST_CLI, NULL };
	struct harness_result *r = malloc(sizeof *r);
	cr_assert(r);
	harness_run(r, f->dir, env,
		    (const char *[]){ "/usr/bin/unshare", "-m", "/bin/sh", "-c", all, NULL });
	cr_assert_neq(r->status, 99, "cannot mount an overlay over /etc: %s", r->err);
	return r;
}

static void need_system_tools(void)
{
	char setpriv[PATH_MAX];
	if (!harness_can_mount() || !harness_have_program("setpriv", setpriv, sizeof setpriv))
		cr_skip_test("needs root, setpriv and a private mount namespace (an overlay "
			     "over /etc)");
}

/* A library that is in every glibc and does nothing: the other line a
 * machine's /etc/ld.so.preload may hold. */
static const char *other_library(void)
{
	static const char *const candidates[] = { "/lib/x86_64-linux-gnu/libdl.so.2",
						  "/lib/aarch64-linux-gnu/libdl.so.2",
						  "/lib64/libdl.so.2", "/lib/libdl.so.2" };
	for (size_t i = 0; i < sizeof candidates / sizeof *candidates; i++)
		if (harness_exists(candidates[i]))
			return candidates[i];
	cr_skip_test("no libdl.so.2 to stand for another preloaded library");
	return NULL;
}

/* Whether the cache under dir/home records an entry for the directory
 * source (a <key>.src that holds its path). */
static bool entry_recorded(const char *dir, const char *home, const char *source)
{
	char cmd[3 * PATH_MAX];
	HARNESS_PATH(cmd, "grep -qrxF --include='*.src' -- '%s' '%s/%s/.cache/pycache-redirect/v2'",
		     source, dir, home);
	return system(cmd) == 0;
}

Test(enable, system_file_for_every_user_but_dpkgs_scripts)
{
	need_system_tools();
	const struct harness_interp *py = harness_first_python();
	if (py->in_root)
		cr_skip_test(
		    "the first interpreter runs in the sid root, which has no /etc of ours");
	struct harness_fixture f;
	harness_fixture_init(&f);
	char script[1 << 13], text[1 << 12], expect[PATH_MAX * 2], path[PATH_MAX];
	const char *other = other_library();
	/* tox under it too, when it is here: it passes no LD_PRELOAD on, and
	 * needs none. HOME is passed, so that the cache is the one under it
	 * (tox 3 passes none: the fallback, /tmp/pycache-redirect-4242, would
	 * be the machine's). */
	char tox[PATH_MAX];
	bool have_tox = harness_have_program("tox", tox, sizeof tox);
	if (have_tox) {
		HARNESS_PATH(path, "%s/tox.ini", f.dir);
		harness_write_file(path, "[tox]\nskipsdist = true\nenvlist = py\n"
					 "toxworkdir = {homedir}/toxwork\n[testenv]\n"
					 "skip_install = true\nsitepackages = true\n"
					 "passenv = HOME\ncommands = python -m app\n");
	} else {
		cr_log_warn("tox is not installed: the system file is not tried under tox");
	}
	/* The other user's tree (theirs: without the library, Python would
	 * write in it) and home; root's copy of the sample. */
	cr_assert(chmod(f.dir, 0755) == 0);
	HARNESS_PATH(
	    script,
	    "cp -r \"$D/src\" \"$D/rootsrc\" && cp -r \"$D/src\" \"$D/asked\" && "
	    "cp -r \"$D/src\" \"$D/dpkgsrc\" && "
	    "mkdir \"$D/home4242\" && chown -R " OTHER_UID ":" OTHER_UID
	    " \"$D/src\" \"$D/home4242\" && "
	    "printf '# a comment of the admin\\n%s\\n' > /etc/ld.so.preload && "
	    "\"$CLI\" enable --system > \"$D/enable.out\" 2>&1; echo $? >> \"$D/enable.out\"; "
	    "\"$CLI\" enable --system > \"$D/enable2.out\" 2>&1; "
	    "cp /etc/ld.so.preload \"$D/enabled\"; stat -c '%%a %%u %%g' /etc/ld.so.preload > "
	    "\"$D/mode\"; "
	    "cd \"$D/src\" && env -i HOME=\"$D/home4242\" PATH=/usr/bin:/bin "
	    "setpriv --reuid=" OTHER_UID " --regid=" OTHER_UID " --clear-groups "
	    "\"$PY\" -m app > \"$D/user.out\" 2>&1; "
	    "cd \"$D/rootsrc\" && env -i HOME=\"$D\" PATH=/usr/bin:/bin \"$PY\" -m app > "
	    "\"$D/root.out\" 2>&1; "
	    "cd \"$D/dpkgsrc\" && env -i HOME=\"$D\" PATH=/usr/bin:/bin "
	    "DPKG_MAINTSCRIPT_PACKAGE=python3-sample \"$PY\" -m app > \"$D/dpkg.out\" 2>&1; "
	    "if [ -e \"$D/tox.ini\" ]; then cp -r \"$D/src\" \"$D/toxsrc\" && "
	    "cp \"$D/tox.ini\" \"$D/toxsrc/\" && mkdir \"$D/toxhome\" && chown -R " OTHER_UID
	    ":" OTHER_UID " \"$D/toxsrc\" \"$D/toxhome\" && cd \"$D/toxsrc\" && "
	    "env -i HOME=\"$D/toxhome\" "
	    "PATH=/usr/bin:/bin setpriv --reuid=" OTHER_UID " --regid=" OTHER_UID
	    " --clear-groups tox -q > \"$D/tox.out\" 2>&1; echo $? >> \"$D/tox.out\"; fi; "
	    "cd \"$D/asked\" && env -i HOME=\"$D\" PATH=/usr/bin:/bin "
	    "PYCACHE_REDIRECT_DIR=\"$D/rootcache\" \"$CLI\" run -- \"$PY\" -m app > "
	    "\"$D/asked.out\" 2>&1; "
	    "\"$CLI\" disable --system > \"$D/disable.out\" 2>&1; echo $? >> \"$D/disable.out\"; "
	    "cp /etc/ld.so.preload \"$D/disabled\"",
	    other);
	struct harness_result *r = in_etc_overlay(&f, py, script);
	cr_assert_eq(r->status, 0, "%s%s", r->out, r->err);
	free(r);

	HARNESS_PATH(path, "%s/enable.out", f.dir);
	harness_read_file(path, text, sizeof text);
	cr_assert(strstr(text, "added to /etc/ld.so.preload") && strstr(text, "\n0\n"), "%s", text);
	HARNESS_PATH(path, "%s/enable2.out", f.dir);
	harness_read_file(path, text, sizeof text);
	cr_assert(strstr(text, "already enabled"), "%s", text);
	HARNESS_PATH(path, "%s/enabled", f.dir);
	harness_read_file(path, text, sizeof text);
	HARNESS_PATH(expect, "# a comment of the admin\n%s\n%s\n", other, PCR_TEST_LIBRARY);
	cr_assert_str_eq(text, expect, "/etc/ld.so.preload after enable");
	HARNESS_PATH(path, "%s/mode", f.dir);
	harness_read_file(path, text, sizeof text);
	cr_assert_str_eq(text, "644 0 0\n");

	/* The other user, with no LD_PRELOAD at all: their cache, a clean tree. */
	HARNESS_PATH(path, "%s/user.out", f.dir);
	harness_read_file(path, text, sizeof text);
	cr_assert(strstr(text, "version: 1"), "the other user's Python: %s", text);
	cr_assert_eq(harness_count_bytecode(f.tree, NULL, 0), 0,
		     "the other user's tree got pycs: %s", text);
	HARNESS_PATH(path, "%s/home4242/.cache/pycache-redirect", f.dir);
	cr_assert_eq(harness_count_files(path, ".pyc"), HARNESS_SAMPLE_MODULES,
		     "the other user's cache: %s", text);
	if (have_tox) {
		HARNESS_PATH(path, "%s/tox.out", f.dir);
		harness_read_file(path, text, sizeof text);
		cr_assert(strstr(text, "version: 1") && strstr(text, "\n0\n"), "tox: %s", text);
		HARNESS_PATH(path, "%s/toxsrc", f.dir);
		cr_assert_eq(harness_count_bytecode(path, NULL, 0), 0,
			     "tox's run wrote in the tree");
		HARNESS_PATH(path, "%s/toxhome/.cache/pycache-redirect", f.dir);
		cr_assert_geq(harness_count_files(path, ".pyc"), HARNESS_SAMPLE_MODULES,
			      "tox's run: no pycs in %s", path);
		HARNESS_PATH(path, "%s/toxsrc/app", f.dir);
		cr_assert(entry_recorded(f.dir, "toxhome", path), "tox's Python: no entry for %s",
			  path);
	}
	/* Root's Python, with no LD_PRELOAD either: root's cache, a clean tree
	 * (a container that runs as root). */
	HARNESS_PATH(path, "%s/rootsrc", f.dir);
	cr_assert_eq(harness_count_bytecode(path, NULL, 0), 0, "root's Python wrote in the tree");
	HARNESS_PATH(path, "%s/.cache/pycache-redirect", f.dir);
	cr_assert_eq(harness_count_files(path, ".pyc"), HARNESS_SAMPLE_MODULES,
		     "root's Python did not fill root's cache");
	/* dpkg's maintainer scripts (py3compile): in the tree, where the package
	 * ships them and every user reads them. */
	HARNESS_PATH(path, "%s/dpkgsrc", f.dir);
	cr_assert_eq(harness_count_files(path, ".pyc"), HARNESS_SAMPLE_MODULES,
		     "dpkg's script did not write in the tree");
	/* Root that asks for it (run) is redirected. */
	HARNESS_PATH(path, "%s/asked", f.dir);
	cr_assert_eq(harness_count_bytecode(path, NULL, 0), 0, "run as root wrote in the tree");
	HARNESS_PATH(path, "%s/rootcache", f.dir);
	cr_assert_eq(harness_count_files(path, ".pyc"), HARNESS_SAMPLE_MODULES);

	HARNESS_PATH(path, "%s/disable.out", f.dir);
	harness_read_file(path, text, sizeof text);
	cr_assert(strstr(text, "removed from /etc/ld.so.preload") && strstr(text, "\n0\n"), "%s",
		  text);
	HARNESS_PATH(path, "%s/disabled", f.dir);
	harness_read_file(path, text, sizeof text);
	HARNESS_PATH(expect, "# a comment of the admin\n%s\n", other);
	cr_assert_str_eq(text, expect, "/etc/ld.so.preload after disable");
	harness_fixture_fini(&f);
}

/* A file the command made alone goes again with disable. */
Test(enable, system_file_made_by_enable_goes_with_disable)
{
	need_system_tools();
	struct harness_fixture f;
	harness_fixture_init(&f);
	struct harness_result *r =
	    in_etc_overlay(&f, harness_first_python(),
			   "rm -f /etc/ld.so.preload; \"$CLI\" enable --system >/dev/null && "
			   "test -f /etc/ld.so.preload && \"$CLI\" disable --system && "
			   "! test -e /etc/ld.so.preload");
	assert_exit(r, 0, "enable then disable");
	free(r);
	harness_fixture_fini(&f);
}

/* disable takes out every entry named libpycache-redirect.so, wherever it
 * is and however it shares a line, and keeps the rest of each line. */
Test(enable, system_disable_takes_out_only_the_librarys_entries)
{
	need_system_tools();
	struct harness_fixture f;
	harness_fixture_init(&f);
	const char *other = other_library();
	char script[1 << 12], text[1 << 12], expect[1 << 12], path[PATH_MAX];
	HARNESS_PATH(script,
		     "printf '%%s /usr/$LIB/pycache-redirect/libpycache-redirect.so # note\n"
		     "/old/place/libpycache-redirect.so\n  # indented comment\n"
		     "/x/libpycache-redirect.so.bak\n' '%s' > /etc/ld.so.preload && "
		     "\"$CLI\" disable --system > \"$D/out\" && "
		     "cp /etc/ld.so.preload \"$D/after\"",
		     other);
	struct harness_result *r = in_etc_overlay(&f, harness_first_python(), script);
	assert_exit(r, 0, "disable --system");
	free(r);
	HARNESS_PATH(path, "%s/after", f.dir);
	harness_read_file(path, text, sizeof text);
	HARNESS_PATH(expect, "%s # note\n  # indented comment\n/x/libpycache-redirect.so.bak\n",
		     other);
	cr_assert_str_eq(text, expect, "/etc/ld.so.preload after disable");
	HARNESS_PATH(path, "%s/out", f.dir);
	harness_read_file(path, text, sizeof text);
	cr_assert(strstr(text, "/old/place/libpycache-redirect.so") &&
		      strstr(text, "/usr/$LIB/pycache-redirect/libpycache-redirect.so"),
		  "disable does not name what it removed:\n%s", text);
	harness_fixture_fini(&f);
}

/* Each case: what is at /etc/ld.so.preload (a shell command), the command's
 * arguments, and what its error must say. The file is compared byte for byte
 * before and after. */
static void system_refuses(const char *setup, const char *prefix, const char *args,
			   const char *says)
{
	need_system_tools();
	struct harness_fixture f;
	harness_fixture_init(&f);
	char script[1 << 12];
	HARNESS_PATH(script,
		     "%s; (ls -la /etc/ld.so.preload; cat /etc/ld.so.preload) > \"$D/before\" "
		     "2>&1; %s \"$CLI\" %s; s=$?; (ls -la /etc/ld.so.preload; "
		     "cat /etc/ld.so.preload) > \"$D/after\" 2>&1; ls /etc | grep pcr-tmp; exit $s",
		     setup, prefix, args);
	struct harness_result *r = in_etc_overlay(&f, harness_first_python(), script);
	assert_exit(r, 1, args);
	cr_assert(strstr(r->err, says), "%s: the error does not say '%s':\n%s", args, says, r->err);
	cr_assert(strstr(r->err, "nothing changed"), "%s", r->err);
	cr_assert(!strstr(r->out, "pcr-tmp"), "a temporary file was left: %s", r->out);
	char before[1 << 12], after[1 << 12], path[PATH_MAX];
	HARNESS_PATH(path, "%s/before", f.dir);
	harness_read_file(path, before, sizeof before);
	HARNESS_PATH(path, "%s/after", f.dir);
	harness_read_file(path, after, sizeof after);
	cr_assert_str_eq(after, before, "/etc/ld.so.preload changed");
	harness_fixture_fini(&f);
}

Test(enable, system_file_that_is_a_directory_is_refused)
{
	system_refuses("rm -f /etc/ld.so.preload; mkdir /etc/ld.so.preload", "", "enable --system",
		       "directory");
}

Test(enable, system_file_with_a_nul_byte_is_refused)
{
	system_refuses("printf '/x.so\\0\\n' > /etc/ld.so.preload", "", "enable --system",
		       "NUL byte");
	system_refuses("printf '/x/libpycache-redirect.so\\0\\n' > /etc/ld.so.preload", "",
		       "disable --system", "NUL byte");
}

/* musl's loader reads no /etc/ld.so.preload: where the system's programs
 * are musl's (/bin/sh runs on its loader, as Alpine's busybox does: here a
 * musl program mounted over it), enable --system refuses and says what
 * does work; status and doctor say it too. */
Test(enable, system_refuses_where_the_system_is_musl)
{
#ifndef PCR_TEST_MUSL_STAT64
	cr_skip_test("no musl program (musl-gcc, from musl-tools, builds one)");
#else
	system_refuses("mount --bind '" PCR_TEST_MUSL_STAT64 "' /bin/sh", "", "enable --system",
		       "this system's C library is musl (/bin/sh runs on /lib/ld-musl-");
	need_system_tools();
	struct harness_fixture f;
	harness_fixture_init(&f);
	struct harness_result *r = in_etc_overlay(
	    &f, harness_first_python(),
	    "mount --bind '" PCR_TEST_MUSL_STAT64 "' /bin/sh; echo /x/libpycache-redirect.so > "
	    "/etc/ld.so.preload; \"$CLI\" status; echo \"status $?\"; \"$CLI\" doctor");
	cr_assert(strstr(r->out, "note: this system's C library is musl") &&
		      strstr(r->out, "off: nothing switches the redirect on here") &&
		      strstr(r->out, "status 1"),
		  "the system file counted on musl:\n%s", r->out);
	cr_assert(strstr(r->out, "ok       C library: musl ("), "%s", r->out);
	free(r);
	harness_fixture_fini(&f);
#endif
}

Test(enable, library_path_with_a_space_is_refused)
{
	system_refuses("mkdir -p \"$D/x y\" && cp '" PCR_TEST_LIBRARY "' \"$D/x y/\"",
		       "PYCACHE_REDIRECT_LIBRARY=\"$D/x y/libpycache-redirect.so\"",
		       "enable --system", "space");
}

/* A library that another user could replace would run their code in every
 * process of the machine, root's too. */
Test(enable, library_another_user_may_change_is_refused)
{
	system_refuses("mkdir -p \"$D/theirs\" && cp '" PCR_TEST_LIBRARY "' \"$D/theirs/\" && "
		       "chmod 755 \"$D\" && chown -R " OTHER_UID " \"$D/theirs\"",
		       "PYCACHE_REDIRECT_LIBRARY=\"$D/theirs/libpycache-redirect.so\"",
		       "enable --system", "not owned by root");
}

Test(enable, system_needs_root)
{
	system_refuses("chmod 755 \"$D\"",
		       "setpriv --reuid=" OTHER_UID " --regid=" OTHER_UID " --clear-groups",
		       "enable --system", "only root");
}

/* ---- usage ---- */

Test(enable, bad_usage_exits_2)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	const char *const cases[][4] = {
		{ "enable", "--shell", "tcsh", NULL },
		{ "enable", "--user", "--system", NULL },
		{ "disable", "--shell=bash", "--user", NULL },
		{ "enable", "extra", NULL, NULL },
		{ "status", "extra", NULL, NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct harness_result *r = cli(&f, NULL, cases[i]);
		assert_exit(r, 2, cases[i][1]);
		cr_assert_str_empty(r->out, "case %zu wrote on stdout", i);
		free(r);
	}
	harness_fixture_fini(&f);
}

/* --dry-run says what would change and changes nothing. */
Test(enable, dry_run_changes_nothing)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	char rc[PATH_MAX], text[1 << 12];
	struct harness_result *r =
	    cli(&f, NULL, (const char *[]){ "enable", "--shell", "bash", "--dry-run", NULL });
	assert_exit(r, 0, "enable --dry-run");
	cr_assert(strstr(r->out, "would add") && strstr(r->out, "nothing changed"), "%s", r->out);
	free(r);
	HARNESS_PATH(rc, "%s/home/.bashrc", f.dir);
	cr_assert(!harness_exists(rc), "--dry-run made %s", rc);
	harness_write_file(rc, user_lines);
	r = cli(&f, NULL, (const char *[]){ "enable", NULL });
	free(r);
	r = cli(&f, NULL, (const char *[]){ "disable", "--dry-run", NULL });
	assert_exit(r, 0, "disable --dry-run");
	cr_assert(strstr(r->out, "would remove"), "%s", r->out);
	free(r);
	harness_read_file(rc, text, sizeof text);
	cr_assert_eq(harness_count_of(text, BEGIN), 1, "--dry-run removed the block");
	harness_fixture_fini(&f);
}

/* ---- what the start-up files name, and where they are ---- */

/* The command and its library copied into dir (then given to uid 4242 when
 * theirs is set); the copy's enable --shell bash is refused, naming dir,
 * and writes no .bashrc. */
static void copy_is_refused(const struct harness_fixture *f, const char *dir, bool theirs,
			    const char *what)
{
	char cmd[PATH_MAX + 32], rc[PATH_MAX], script[4 * PATH_MAX];
	HARNESS_PATH(cmd, "%s/pycache-redirect", dir);
	HARNESS_PATH(rc, "%s/home/.bashrc", f->dir);
	HARNESS_PATH(script, "mkdir -p '%s' && cp '%s' '%s' '%s/' && %s '%s'", dir, PCR_TEST_CLI,
		     PCR_TEST_LIBRARY, dir, theirs ? "chown -R " OTHER_UID : "ls >/dev/null", dir);
	struct harness_result *r = run(f, NULL, (const char *[]){ "/bin/sh", "-c", script, NULL });
	assert_exit(r, 0, "the copies");
	free(r);
	struct home h;
	home_init(&h, f, NULL);
	r = malloc(sizeof *r);
	cr_assert(r);
	harness_run(r, f->dir, h.env, (const char *[]){ cmd, "enable", "--shell", "bash", NULL });
	assert_exit(r, 1, what);
	cr_assert(strstr(r->err, dir) && strstr(r->err, "nothing changed"), "%s: %s", what, r->err);
	cr_assert(!harness_exists(rc), "%s: %s was written", what, rc);
	free(r);
}

/* The command and its library copied into a directory of uid 4242's: a
 * start-up block or an environment.d file naming them would run whatever
 * that user puts there, as this user (root here). Refused, nothing made. */
Test(enable, a_command_or_library_another_user_may_change_is_refused)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to give a directory to another user");
	struct harness_fixture f;
	harness_fixture_init(&f);
	char theirs[PATH_MAX], lib[PATH_MAX + 64], conf[PATH_MAX];
	HARNESS_PATH(theirs, "%s/theirs", f.dir);
	HARNESS_PATH(lib, "PYCACHE_REDIRECT_LIBRARY=%s/libpycache-redirect.so", theirs);
	HARNESS_PATH(conf, "%s/home/.config/environment.d/60-pycache-redirect.conf", f.dir);
	copy_is_refused(&f, theirs, true, "enable --shell of another user's command");
	/* The build's own command, naming their library. */
	struct harness_result *r =
	    cli(&f, (const char *[]){ lib, NULL }, (const char *[]){ "enable", "--user", NULL });
	assert_exit(r, 1, "enable --user of another user's library");
	cr_assert(strstr(r->err, theirs) && strstr(r->err, "nothing changed"), "%s", r->err);
	cr_assert(!harness_exists(conf), "%s was written", conf);
	free(r);
	harness_fixture_fini(&f);
}

/* Root with another user's environment (sudo -E): their ~/.config/
 * environment.d is a link to a directory of root's (/etc/environment.d,
 * which every user's session reads). Root writes nothing there. */
Test(enable, root_writes_nothing_through_another_users_config_link)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to act on another user's home");
	struct harness_fixture f;
	harness_fixture_init(&f);
	char home[PATH_MAX], system[PATH_MAX], link[PATH_MAX + 32];
	HARNESS_PATH(home, "%s/home", f.dir);
	HARNESS_PATH(system, "%s/system-environment.d", f.dir);
	HARNESS_PATH(link, "%s/.config/environment.d", home);
	cr_assert(mkdir(home, 0755) == 0 && mkdir(system, 0755) == 0);
	char config[PATH_MAX + 16];
	HARNESS_PATH(config, "%s/.config", home);
	cr_assert(mkdir(config, 0755) == 0 && symlink(system, link) == 0);
	cr_assert(lchown(link, 4242, 4242) == 0 && chown(config, 4242, 4242) == 0 &&
		  chown(home, 4242, 4242) == 0);
	struct harness_result *r = cli(&f, NULL, (const char *[]){ "enable", "--user", NULL });
	assert_exit(r, 1, "enable --user through another user's link");
	cr_assert(strstr(r->err, "another user") && strstr(r->err, "nothing changed"), "%s",
		  r->err);
	cr_assert_eq(harness_count_files(system, ""), 0, "root wrote into %s", system);
	free(r);
	harness_fixture_fini(&f);
}

/* The loader reads /etc/ld.so.preload for every user: a library only root
 * can read would make every other program print the loader's error. */
Test(enable, system_library_other_users_cannot_read_is_refused)
{
	system_refuses("mkdir -m 700 \"$D/private\" && cp '" PCR_TEST_LIBRARY "' \"$D/private/\"",
		       "PYCACHE_REDIRECT_LIBRARY=\"$D/private/libpycache-redirect.so\"",
		       "enable --system", "other users");
}

/* A start-up block whose env would print an LD_PRELOAD the loader splits
 * at a space: refused, as enable --user and --system refuse it. */
Test(enable, shell_library_path_with_a_space_is_refused)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	char dir[PATH_MAX];
	HARNESS_PATH(dir, "%s/x y", f.dir);
	copy_is_refused(&f, dir, false, "enable --shell with a space in the library's path");
	harness_fixture_fini(&f);
}

/* status (and doctor) run as root with another user's HOME open nothing
 * through that user's links: a link named .zshrc to a file of root's is
 * not followed (strace shows every open). */
Test(enable, status_opens_nothing_through_another_users_link)
{
	char strace[PATH_MAX];
	if (geteuid() != 0 || !harness_have_program("strace", strace, sizeof strace))
		cr_skip_test("needs root and strace");
	struct harness_fixture f;
	harness_fixture_init(&f);
	char home[PATH_MAX], link[PATH_MAX + 16], target[PATH_MAX];
	HARNESS_PATH(home, "%s/home", f.dir);
	HARNESS_PATH(link, "%s/.zshrc", home);
	HARNESS_PATH(target, "%s/roots-secret", f.dir);
	harness_write_file(target, "secret\n");
	cr_assert(mkdir(home, 0755) == 0 && chown(home, 4242, 4242) == 0);
	cr_assert(symlink(target, link) == 0 && lchown(link, 4242, 4242) == 0);
	struct harness_result *r = run(&f, NULL,
				       (const char *[]){ strace, "-f", "-e", "trace=open,openat",
							 PCR_TEST_CLI, "status", NULL });
	cr_assert(strstr(r->err, "openat"), "no trace: %s", r->err);
	cr_assert(!strstr(r->err, "roots-secret") && !strstr(r->err, ".zshrc\""),
		  "status opened through the link:\n%s", r->err);
	free(r);
	harness_fixture_fini(&f);
}

/* bash's login shells read ~/.bash_profile, not ~/.bashrc: one that does
 * not read ~/.bashrc gets the block's effect nowhere, and enable says so
 * (and says nothing of one that reads it). */
Test(enable, a_bash_profile_that_skips_bashrc_is_named)
{
	struct harness_fixture f;
	harness_fixture_init(&f);
	char home[PATH_MAX], profile[PATH_MAX + 16];
	HARNESS_PATH(home, "%s/home", f.dir);
	HARNESS_PATH(profile, "%s/.bash_profile", home);
	cr_assert(mkdir(home, 0755) == 0);
	harness_write_file(profile, "export PS1='$ '\n");
	struct harness_result *r =
	    cli(&f, NULL, (const char *[]){ "enable", "--shell", "bash", NULL });
	assert_exit(r, 0, "enable");
	cr_assert(strstr(r->err, ".bash_profile does not read ~/.bashrc"), "%s", r->err);
	free(r);
	r = cli(&f, NULL, (const char *[]){ "disable", "--shell", "bash", NULL });
	free(r);
	harness_write_file(profile, "[ -f ~/.bashrc ] && . ~/.bashrc\n");
	r = cli(&f, NULL, (const char *[]){ "enable", "--shell", "bash", NULL });
	assert_exit(r, 0, "enable");
	cr_assert(!strstr(r->err, "does not read"), "%s", r->err);
	free(r);
	harness_fixture_fini(&f);
}
