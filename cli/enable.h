/* The pieces of enable and disable (cli/cmd_enable.c parses their options):
 * the start-up files they edit (enable_files.c), the three ways of switching
 * the redirect on, each enabled, disabled and detected by one file
 * (enable_shell.c, enable_user.c, enable_system.c), and which of them is in
 * effect here, for doctor and status (activation.c). */
#ifndef PCR_CLI_ENABLE_H
#define PCR_CLI_ENABLE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/* A start-up file, read whole. The largest one read: a start-up file
 * bigger than this is not one enable edits. */
#define PCR_CLI_TEXT_MAX (1u << 20)
struct pcr_cli_text {
	char *bytes; /* malloc'ed, NUL-terminated; NULL when the file is missing */
	size_t len;
	struct stat st; /* the file's, when it exists */
};

/* path read whole into t: t->bytes NULL when it does not exist. false, with
 * why, when it is not a regular file, holds a NUL byte, is too big or
 * cannot be read. Links are followed (the caller decides about them). */
bool pcr_cli_text_read(const char *path, struct pcr_cli_text *t, char *why, size_t whysz);
void pcr_cli_text_free(struct pcr_cli_text *t);

/* Whether this user may edit the start-up file at path (as read into t):
 * it is theirs, or, missing, the directory it would be made in is. Else
 * root, whose HOME may be another user's (sudo -E), would write where that
 * user points a link (/etc/passwd), or leave root's files in their home.
 * false, with why. */
bool pcr_cli_text_ours(const char *path, const struct pcr_cli_text *t, char *why, size_t whysz);

/* path replaced by len bytes, atomically: a temporary file beside it,
 * written, given the owner, group and mode of like (NULL: a new file of
 * mode and the process's owner), synced, renamed over path. On failure
 * nothing is left and path is as it was. false, with why. */
bool pcr_cli_text_replace(const char *path, const char *bytes, size_t len, const struct stat *like,
			  mode_t mode, char *why, size_t whysz);

/* Every directory above path made that is missing (the umask's modes, as
 * mkdir -p makes them). false, with why. */
bool pcr_cli_make_parents(const char *path, char *why, size_t whysz);

/* cli/trusted.c: whether dir (may_be_missing: or the directory that would
 * be made there), every directory on the way to it, links followed, can be
 * changed by root and uid alone: the cache root's walk for uid, a last
 * directory of root's taken too. false with why. */
bool pcr_cli_dir_trusted(const char *dir, unsigned long uid, bool may_be_missing, char *why,
			 size_t whysz);

/* Whether the file at path (as named and as resolved) is root's or uid's,
 * writable by no one else, in a trusted directory; for_everyone: and read
 * by every user (a library in /etc/ld.so.preload). false with why. */
bool pcr_cli_file_trusted(const char *path, unsigned long uid, bool for_everyone, char *why,
			  size_t whysz);

/* Whether what a start-up file would run is trusted for this user: the
 * library the command finds (at a path LD_PRELOAD can hold), and with
 * with_command this program itself. false with why. */
bool pcr_cli_named_files_trusted(bool with_command, char *why, size_t whysz);

/* Lines on stdout, each indented: what a change adds or removes. */
void pcr_cli_print_indented(const char *text, size_t len);

/* What the user asked: switch on or off, or only say what would change. */
struct pcr_cli_switch {
	bool on;
	bool dry_run;
	const char *shell; /* --shell's shell: bash, zsh or fish */
};

/* Each does what sw asks, says on stdout what it changed (the file, the
 * lines) and how to undo it, or that nothing needed to change; an exit
 * code (PCR_CLI_FAILURE with the reason on stderr, nothing changed). */
int pcr_cli_switch_shell(const struct pcr_cli_switch *sw);
int pcr_cli_switch_user(const struct pcr_cli_switch *sw);
int pcr_cli_switch_system(const struct pcr_cli_switch *sw);

/* The shells --shell knows; whether name is one; and the one $SHELL names (bash when it is
 * unset); NULL when $SHELL names one that enable does not know. */
#define PCR_CLI_SHELLS 3
extern const char *const pcr_cli_shells[PCR_CLI_SHELLS];
bool pcr_cli_shell_known(const char *name);
const char *pcr_cli_login_shell(void);

/* Where each keeps its line: the start-up file of shell, the user's
 * environment.d file, the system file. false when the path cannot be made
 * (HOME unset, too long). */
bool pcr_cli_shell_file(const char *shell, char *out, size_t outsz);
bool pcr_cli_user_file(char *out, size_t outsz);
#define PCR_CLI_SYSTEM_FILE "/etc/ld.so.preload"

/* Whether each holds the redirect's line, quietly (a file that cannot be
 * read holds none). */
bool pcr_cli_shell_enabled(const char *shell);
bool pcr_cli_user_enabled(void);
bool pcr_cli_system_enabled(void);

/* The marks around the block in a shell's start-up file. */
#define PCR_CLI_BLOCK_BEGIN "# >>> pycache-redirect >>>\n"
#define PCR_CLI_BLOCK_END "# <<< pycache-redirect <<<\n"

/* The ways the redirect is switched on here, as a set. */
enum {
	PCR_CLI_ACTIVE_PRELOAD = 1, /* this process's LD_PRELOAD names the library */
	PCR_CLI_ACTIVE_USER = 2,    /* the user's environment.d file */
	PCR_CLI_ACTIVE_SHELL = 4,   /* a shell's start-up block */
	PCR_CLI_ACTIVE_SYSTEM = 8,  /* /etc/ld.so.preload */
};
unsigned pcr_cli_activation(void);

/* Which ways of the set a are in effect, in words ("LD_PRELOAD, the shell
 * start-up block (~/.bashrc)"), into buf; "" for none. */
void pcr_cli_activation_words(unsigned a, char *buf, size_t size);

#endif
