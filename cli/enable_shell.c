/* enable --shell / disable --shell: a marked block in the shell's start-up
 * file that runs `pycache-redirect env` in every interactive shell:
 *
 *   # >>> pycache-redirect >>>
 *   ...the eval line...
 *   # <<< pycache-redirect <<<
 *
 * bash's ~/.bashrc, zsh's ${ZDOTDIR:-$HOME}/.zshrc; fish gets a file of its
 * own, ${XDG_CONFIG_HOME:-~/.config}/fish/conf.d/pycache-redirect.fish, which
 * fish reads before config.fish. The rest of the file is never touched. A
 * start-up file that is a symbolic link (dotfile managers: stow, yadm,
 * chezmoi's symlink mode) is followed on purpose: its target is edited in
 * place of the link, and the output says so. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "enable.h"

const char *const pcr_cli_shells[PCR_CLI_SHELLS] = { "bash", "zsh", "fish" };

bool pcr_cli_shell_known(const char *name)
{
	for (size_t i = 0; i < PCR_CLI_SHELLS; i++)
		if (strcmp(name, pcr_cli_shells[i]) == 0)
			return true;
	return false;
}

const char *pcr_cli_login_shell(void)
{
	const char *shell = getenv("SHELL");
	if (!shell || !*shell)
		return "bash";
	const char *slash = strrchr(shell, '/');
	const char *name = slash ? slash + 1 : shell;
	for (size_t i = 0; i < PCR_CLI_SHELLS; i++)
		if (strcmp(name, pcr_cli_shells[i]) == 0)
			return pcr_cli_shells[i];
	return NULL;
}

/* An absolute directory from the environment, or NULL. */
static const char *absolute_env(const char *name)
{
	const char *v = getenv(name);
	return v && v[0] == '/' ? v : NULL;
}

bool pcr_cli_shell_file(const char *shell, char *out, size_t outsz)
{
	const char *home = absolute_env("HOME");
	if (!home)
		return false;
	int n;
	if (strcmp(shell, "zsh") == 0) {
		const char *zdot = absolute_env("ZDOTDIR");
		n = snprintf(out, outsz, "%s/.zshrc", zdot ? zdot : home);
	} else if (strcmp(shell, "fish") == 0) {
		const char *config = absolute_env("XDG_CONFIG_HOME");
		n = config ? snprintf(out, outsz, "%s/fish/conf.d/pycache-redirect.fish", config)
			   : snprintf(out, outsz, "%s/.config/fish/conf.d/pycache-redirect.fish",
				      home);
	} else {
		n = snprintf(out, outsz, "%s/.bashrc", home);
	}
	return n > 0 && (size_t)n < outsz;
}

/* s in single quotes for sh (fish: false), into out at *used. */
static void quote(bool fish, const char *s, char *out, size_t size, size_t *used)
{
	char buf[2 * PATH_MAX + 8];
	size_t n = 0;
	buf[n++] = '\'';
	for (; *s && n + 5 < sizeof buf; s++) {
		if (!fish && *s == '\'') {
			memcpy(buf + n, "'\\''", 4);
			n += 4;
			continue;
		}
		if (fish && (*s == '\'' || *s == '\\'))
			buf[n++] = '\\';
		buf[n++] = *s;
	}
	buf[n++] = '\'';
	buf[n] = '\0';
	int w = snprintf(out + *used, size - *used, "%s", buf);
	if (w > 0)
		*used += (size_t)w;
}

/* The block for shell into out; its length, 0 when it does not fit. */
static size_t block(const char *shell, char *out, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	/* By its absolute path: the shell that reads the block may not have
	 * this PATH (a venv active now, a prefix a later line adds). By name
	 * only when this program cannot tell where it is. */
	bool by_name = n <= 0;
	if (!by_name)
		self[n] = '\0';
	bool fish = strcmp(shell, "fish") == 0;
	size_t used = 0;
	used += (size_t)snprintf(out, size,
				 PCR_CLI_BLOCK_BEGIN "# `" PCR_CLI_NAME
						     " enable` added this block; `" PCR_CLI_NAME
						     " disable` removes it.\n");
	if (by_name && fish)
		used += (size_t)snprintf(out + used, size - used,
					 "command -q " PCR_CLI_NAME "; and " PCR_CLI_NAME
					 " env --shell fish | source\n");
	else if (by_name)
		used += (size_t)snprintf(out + used, size - used,
					 "command -v " PCR_CLI_NAME
					 " >/dev/null && eval \"$(" PCR_CLI_NAME " env)\"\n");
	else {
		const char *test = fish ? "test -x " : "[ -x ";
		used += (size_t)snprintf(out + used, size - used, "%s", test);
		quote(fish, self, out, size, &used);
		used += (size_t)snprintf(out + used, size - used, "%s",
					 fish ? "; and " : " ] && eval \"$(");
		quote(fish, self, out, size, &used);
		used += (size_t)snprintf(out + used, size - used, "%s",
					 fish ? " env --shell fish | source\n" : " env)\"\n");
	}
	used += (size_t)snprintf(out + used, size - used, PCR_CLI_BLOCK_END);
	return used < size ? used : 0;
}

/* The line at p (up to end) is exactly mark (which ends in \n; the file's
 * last line may lack it). */
static bool line_is(const char *p, const char *end, const char *mark)
{
	size_t n = strlen(mark) - 1;
	return (size_t)(end - p) >= n && memcmp(p, mark, n) == 0 && (p + n == end || p[n] == '\n');
}

/* The next line after p. */
static const char *next_line(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	return nl ? nl + 1 : end;
}

/* text without its blocks into out, the blocks into gone (each as big as
 * text), the offset of the first block in *at (len when none); false when
 * a mark is unpaired. */
static bool without_blocks(const char *text, size_t len, char *out, size_t *outlen, size_t *at,
			   char *gone, size_t *gonelen)
{
	const char *end = text + len;
	const char *p = text;
	size_t o = 0;
	*at = len;
	bool inside = false;
	*gonelen = 0;
	while (p < end) {
		const char *next = next_line(p, end);
		bool kept_line = false;
		if (!inside && line_is(p, end, PCR_CLI_BLOCK_BEGIN)) {
			inside = true;
			if (*at == len)
				*at = o;
		} else if (inside && line_is(p, end, PCR_CLI_BLOCK_END)) {
			inside = false;
		} else if (!inside && line_is(p, end, PCR_CLI_BLOCK_END)) {
			return false;
		} else if (!inside) {
			memcpy(out + o, p, (size_t)(next - p));
			o += (size_t)(next - p);
			kept_line = true;
		}
		if (!kept_line) {
			memcpy(gone + *gonelen, p, (size_t)(next - p));
			*gonelen += (size_t)(next - p);
		}
		p = next;
	}
	*outlen = o;
	return !inside;
}

bool pcr_cli_shell_enabled(const char *shell)
{
	char path[PATH_MAX], why[PATH_MAX + 128];
	struct pcr_cli_text t;
	struct stat st;
	if (!pcr_cli_shell_file(shell, path, sizeof path) || lstat(path, &st) < 0)
		return false;
	/* Nothing is opened through another user's link, nor anything but a
	 * file (a device's open can do something): status and doctor run as
	 * root with any HOME. */
	if (!S_ISREG(st.st_mode) &&
	    !(S_ISLNK(st.st_mode) && (st.st_uid == 0 || st.st_uid == geteuid())))
		return false;
	if (!pcr_cli_text_read(path, &t, why, sizeof why) || !t.bytes)
		return false;
	bool found = false;
	for (const char *p = t.bytes, *end = t.bytes + t.len; p < end && !found;
	     p = next_line(p, end))
		found = line_is(p, end, PCR_CLI_BLOCK_BEGIN);
	pcr_cli_text_free(&t);
	return found;
}

/* The file to edit: path, or the target of the link at path; said when
 * it is a link. false with the reason on stderr. */
static bool resolve(const char *path, char *out, size_t outsz, bool dry_run)
{
	struct stat st;
	if (lstat(path, &st) < 0 || !S_ISLNK(st.st_mode)) {
		pcr_cli_format(out, outsz, "%s", path);
		return true;
	}
	/* Another user's link could point root at any file of root's. */
	if (st.st_uid != geteuid()) {
		pcr_cli_error("%s is a symbolic link of uid %lu, not of this user (uid %lu): "
			      "edit it as its owner; nothing changed",
			      path, (unsigned long)st.st_uid, (unsigned long)geteuid());
		return false;
	}
	char real[PATH_MAX];
	if (!realpath(path, real)) {
		pcr_cli_error("%s is a symbolic link whose target cannot be followed (%s); "
			      "fix or remove the link",
			      path, strerror(errno));
		return false;
	}
	printf("%s is a symbolic link: %s its target, %s\n", path,
	       dry_run ? "would edit" : "editing", real);
	pcr_cli_format(out, outsz, "%s", real);
	return true;
}

/* bash's login shells (ssh, a console) read the first of ~/.bash_profile,
 * ~/.bash_login and ~/.profile, not ~/.bashrc: Debian's ~/.profile reads
 * ~/.bashrc, a ~/.bash_profile of the user's own may not. Said, not
 * changed: the file is the user's. */
static void warn_login_profile(void)
{
	const char *home = getenv("HOME");
	static const char *const names[] = { ".bash_profile", ".bash_login" };
	for (size_t i = 0; home && home[0] == '/' && i < 2; i++) {
		char path[PATH_MAX], why[PATH_MAX + 128];
		struct pcr_cli_text t;
		pcr_cli_format(path, sizeof path, "%s/%s", home, names[i]);
		struct stat st;
		if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
		    !pcr_cli_text_read(path, &t, why, sizeof why) || !t.bytes)
			continue;
		bool reads = strstr(t.bytes, ".bashrc") != NULL;
		pcr_cli_text_free(&t);
		if (!reads)
			pcr_cli_error(
			    "warning: %s does not read ~/.bashrc: bash's login shells (ssh, a "
			    "console) will not switch the redirect on; add "
			    "'[ -f ~/.bashrc ] && . ~/.bashrc' to it",
			    path);
		return; /* bash reads the first it finds */
	}
}

int pcr_cli_switch_shell(const struct pcr_cli_switch *sw)
{
	const char *shell = sw->shell;
	char named[PATH_MAX], path[PATH_MAX], why[2 * PATH_MAX];
	if (!pcr_cli_shell_file(shell, named, sizeof named)) {
		pcr_cli_error("%s --shell: HOME is not set to an absolute directory (or the path "
			      "is too long): cannot find %s's start-up file",
			      sw->on ? "enable" : "disable", shell);
		return PCR_CLI_FAILURE;
	}
	if (!resolve(named, path, sizeof path, sw->dry_run))
		return PCR_CLI_FAILURE;
	struct pcr_cli_text t;
	if (!pcr_cli_text_read(path, &t, why, sizeof why)) {
		pcr_cli_error("%s; nothing changed", why);
		return PCR_CLI_FAILURE;
	}
	char mine[2 * (2 * PATH_MAX + 8) + 512];
	size_t mine_len = block(shell, mine, sizeof mine);
	size_t old_len = t.bytes ? t.len : 0;
	/* Room for the file, a newline and the block. */
	char *out = malloc(old_len + 1 + sizeof mine), *gone = malloc(old_len + 1);
	if (!out || !gone || !mine_len) {
		pcr_cli_text_free(&t);
		free(out);
		free(gone);
		pcr_cli_error("out of memory");
		return PCR_CLI_FAILURE;
	}
	size_t kept, at, gone_len;
	if (!without_blocks(t.bytes ? t.bytes : "", old_len, out, &kept, &at, gone, &gone_len)) {
		pcr_cli_error("%s has a '%.*s' line without its pair: fix the file by hand; "
			      "nothing changed",
			      path, (int)strlen(PCR_CLI_BLOCK_BEGIN) - 1, PCR_CLI_BLOCK_BEGIN);
		goto fail;
	}
	size_t new_len = kept;
	if (sw->on) {
		/* In place of the first block, else at the end (after the
		 * PATH the file sets up), on a line of its own. */
		size_t gap = at == old_len && kept && out[kept - 1] != '\n';
		if (at == old_len)
			at = kept;
		memmove(out + at + gap + mine_len, out + at, kept - at);
		if (gap)
			out[at] = '\n';
		memcpy(out + at + gap, mine, mine_len);
		new_len = kept + gap + mine_len;
	}
	char undo[64];
	pcr_cli_format(undo, sizeof undo, PCR_CLI_NAME " %s --shell %s",
		       sw->on ? "disable" : "enable", shell);
	if (new_len == old_len && (old_len == 0 || memcmp(out, t.bytes, old_len) == 0) &&
	    (t.bytes || !sw->on)) {
		printf("already %s: %s %s the " PCR_CLI_NAME " block\n",
		       sw->on ? "enabled" : "disabled", path, sw->on ? "holds" : "has no");
		goto done;
	}
	if (!pcr_cli_text_ours(path, &t, why, sizeof why) ||
	    (sw->on && !pcr_cli_named_files_trusted(true, why, sizeof why))) {
		pcr_cli_error("%s; nothing changed", why);
		goto fail;
	}
	if (t.bytes && access(path, W_OK) < 0) {
		pcr_cli_error("%s is not writable (%s): make it writable, or %s the block "
			      "yourself; nothing changed",
			      path, strerror(errno), sw->on ? "add" : "remove");
		goto fail;
	}
	/* fish's file is its own: when nothing else is left, it goes. */
	bool remove = !sw->on && new_len == 0 && strcmp(shell, "fish") == 0;
	if (!sw->dry_run) {
		bool ok = remove
			      ? unlink(path) == 0 ||
				    (pcr_cli_format(why, sizeof why, "cannot remove %s: %s", path,
						    strerror(errno)),
				     false)
			      : (t.bytes || pcr_cli_make_parents(path, why, sizeof why)) &&
				    pcr_cli_text_replace(path, out, new_len, t.bytes ? &t.st : NULL,
							 0644, why, sizeof why);
		if (!ok) {
			pcr_cli_error("%s; nothing changed", why);
			goto fail;
		}
	}
	const char *verb = sw->on ? (sw->dry_run ? "would add to" : "added to")
				  : (sw->dry_run ? "would remove from" : "removed from");
	printf("%s %s%s:\n", verb, path,
	       !t.bytes ? " (a new file)"
	       : remove ? " (and the file, which held nothing else)"
			: "");
	if (sw->on)
		pcr_cli_print_indented(mine, mine_len);
	else
		pcr_cli_print_indented(gone, gone_len);
	if (sw->dry_run)
		printf("dry run: nothing changed\n");
	else if (sw->on) {
		printf("new %s shells switch the redirect on (this one: run the line above)\n",
		       shell);
		if (strcmp(shell, "bash") == 0)
			warn_login_profile();
	} else
		printf("new %s shells start without it (this one keeps its LD_PRELOAD)\n", shell);
	printf("to undo: %s\n", undo);
done:
	pcr_cli_text_free(&t);
	free(out);
	free(gone);
	return PCR_CLI_OK;
fail:
	pcr_cli_text_free(&t);
	free(out);
	free(gone);
	return PCR_CLI_FAILURE;
}
