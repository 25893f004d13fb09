/* The command's help: the whole of it (--help, help), and one command's
 * (COMMAND --help, help COMMAND), from one table, so that the two never
 * disagree; and the command a mistyped name most likely meant. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Each command's lines of the help, its synopsis first. */
static const struct {
	const char *name, *text;
} commands[] = {
	{ "run", "  run [OPTIONS] [--] CMD [ARGS...]\n"
		 "                      run CMD with the library preloaded; options end at CMD\n"
		 "      --dir DIR       use DIR as the cache root (PYCACHE_REDIRECT_DIR)\n"
		 "      --scope python|all\n"
		 "                      which processes redirect (PYCACHE_REDIRECT_SCOPE)\n"
		 "      --log 0|1|2     log to stderr (PYCACHE_REDIRECT_LOG)\n" },
	{ "env", "  env [--shell sh|bash|zsh|fish|docker]\n"
		 "                      print the lines that switch the redirect on for a\n"
		 "                      shell (default sh, which bash and zsh read) or a\n"
		 "                      Dockerfile, and have tox pass it on; warn when\n"
		 "                      Python would still not be redirected\n" },
	{ "where", "  where [PATH]        print the cache root; with PATH, where the cache keeps\n"
		   "                      that __pycache__ path or Python 2 pyc, or the\n"
		   "                      __pycache__ of that source directory (or of a source\n"
		   "                      file's directory)\n" },
	{ "stats", "  stats [--json] [--zero]\n"
		   "                      what the cache holds: entries, files, size, source\n"
		   "                      trees, orphans (source directory gone), oldest and\n"
		   "                      newest file; and what it did: hits, misses, in-tree\n"
		   "                      reads, refusals; --zero sets those to 0\n" },
	{ "ls", "  ls [DIR] [--json]   the cached files of the tree DIR (default: the current\n"
		"                      directory), per source directory, with their sizes\n" },
	{ "clear", "  clear [DIR] [--dry-run]\n"
		   "                      remove the whole cache, or the entries of the tree DIR;\n"
		   "                      --dry-run only says what would go\n" },
	{ "prune", "  prune [--orphans] [--older-than AGE] [--max-size SIZE] [--dry-run]\n"
		   "                      remove orphans, then entries not used for AGE (30d,\n"
		   "                      12h; units s m h d w), then the least recently used\n"
		   "                      until the cache takes at most SIZE on disk (500M,\n"
		   "                      2G, 4096B; B, then K M G T in 1024 steps, a bare\n"
		   "                      number in G);\n"
		   "                      --dry-run only says what would go;\n"
		   "                      with no rule: orphans, then down to 90% of the\n"
		   "                      size limit (config max-size)\n"
		   "      --auto          silently: the orphans, and down to 90% when the\n"
		   "                      library's count says the cache is past its limit\n" },
	{ "config", "  config [max-size [SIZE|none|default]]\n"
		    "                      every setting, its value and where it comes from\n"
		    "                      (as ccache -p); max-size: show or set the size\n"
		    "                      limit on disk, kept in the cache root (default 5G);\n"
		    "                      past it, the next run or env prunes the cache to\n"
		    "                      90% of it in the background (0 or none: no limit)\n" },
	{ "adopt", "  adopt [DIR] [--remove] [--dry-run]\n"
		   "                      move the pycs of the real __pycache__ directories of\n"
		   "                      the tree DIR (default: .), left from before the\n"
		   "                      redirect, into the cache, and remove the emptied\n"
		   "                      directories; --remove deletes them instead; one that\n"
		   "                      holds anything but pycs is left, and said so\n" },
	{ "enable", "  enable [--shell [SHELL] | --user | --system] [--dry-run]\n"
		    "                      switch the redirect on for good, and say what changed:\n"
		    "      --shell [SHELL] a block in the start-up file of SHELL (bash, zsh,\n"
		    "                      fish; default $SHELL's) that runs env (the default)\n"
		    "      --user          the user's systemd environment (environment.d), read\n"
		    "                      by the desktop session, its IDEs and user services\n"
		    "      --system        /etc/ld.so.preload, for every program on the machine\n"
		    "                      (root only; dpkg's maintainer scripts pass through)\n"
		    "      --dry-run       only say what would change\n" },
	{ "disable", "  disable [--shell [SHELL] | --user | --system] [--dry-run]\n"
		     "                      take out what enable added, and nothing else\n" },
	{ "status", "  status              which ways of switching the redirect on are in\n"
		    "                      effect here; exit 1 when none is\n" },
	{ "doctor", "  doctor [--json]     check that the redirect can work here: the\n"
		    "                      configuration, the root (owner, mode, free space),\n"
		    "                      the library, LD_PRELOAD, what switches it on, and a\n"
		    "                      real import through the library for each Python\n"
		    "                      found; exit 1 on a problem, with the fix\n" },
	{ "help", "  help [COMMAND]      print this help, or COMMAND's (as COMMAND --help)\n" },
};

static void head(FILE *out)
{
	fputs("usage: " PCR_CLI_NAME " [--help] [--version] COMMAND [ARGS...]\n"
	      "\n"
	      "Keeps Python's __pycache__ out of source trees: " PCR_LIBRARY_NAME ",\n"
	      "preloaded, redirects every __pycache__ file to a per-user cache.\n"
	      "\n"
	      "Commands:\n",
	      out);
}

static void foot(FILE *out)
{
	fputs("\n"
	      "Options:\n"
	      "  -h, --help          print this help and exit\n"
	      "  -V, --version       print the version and exit\n"
	      "\n"
	      "Environment:\n"
	      "  PYCACHE_REDIRECT=0        switch the redirect off\n"
	      "  PYCACHE_REDIRECT_DIR      the cache root, an absolute path; default\n"
	      "                            $XDG_CACHE_HOME/pycache-redirect, else\n"
	      "                            $HOME/.cache/pycache-redirect, else\n"
	      "                            /tmp/pycache-redirect-<uid>\n"
	      "  PYCACHE_REDIRECT_SCOPE    python (default): only processes that run Python;\n"
	      "                            all: every process the library is loaded into\n"
	      "  PYCACHE_REDIRECT_LOG      0 silent (default), 1 warnings, 2 every rewrite;\n"
	      "                            N:file:PATH or file:PATH to log to a file\n"
	      "  PYCACHE_REDIRECT_MAX_SIZE the size limit on disk (2G; 0 or none: no\n"
	      "                            limit), over config max-size and the default, 5G\n"
	      "  PYCACHE_REDIRECT_LIBRARY  the library to preload (default: found beside\n"
	      "                            this program, else in ../LIBDIR/" PCR_PLUGIN_DIR "/\n"
	      "                            from it, else in " PCR_INSTALL_LIBDIR "/" PCR_PLUGIN_DIR
	      ")\n"
	      "\n"
	      "Example:\n"
	      "  " PCR_CLI_NAME " run -- python3 -m pytest\n"
	      "  eval \"$(" PCR_CLI_NAME " env)\"       # in ~/.bashrc: always on\n"
	      "\n"
	      "Exit status: 0 ok, 1 a failure, 2 bad usage; run exits with CMD's status,\n"
	      "127 when CMD is not found, 126 when it cannot be executed.\n",
	      out);
}

void pcr_cli_help(FILE *out)
{
	head(out);
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		fputs(commands[i].text, out);
	foot(out);
}

bool pcr_cli_command_help(const char *name, FILE *out)
{
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
		if (strcmp(commands[i].name, name) != 0)
			continue;
		/* "usage: pycache-redirect " and the synopsis, then the rest,
		 * the words beside a short synopsis under it as the others are. */
		const char *text = commands[i].text + 2, *eol = strchr(text, '\n');
		const char *gap = strstr(text, "  ");
		fputs("usage: " PCR_CLI_NAME " ", out);
		if (gap && gap < eol) {
			fprintf(out, "%.*s\n%22s%s", (int)(gap - text), text, "",
				gap + strspn(gap, " "));
		} else {
			fputs(text, out);
		}
		fputs("\nThe environment, the exit status and the other commands: " PCR_CLI_NAME
		      " --help\n",
		      out);
		return true;
	}
	return false;
}

/* The edit distance of a and b (insertions, deletions, substitutions and
 * swaps of neighbours), for names of a few letters. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 31 || lb > 31)
		return 32;
	size_t d[32][32];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

const char *pcr_cli_suggest_command(const char *name)
{
	const char *best = NULL;
	size_t best_d = 3; /* two edits at most: "stat", "prnue", "confg" */
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
		size_t n = strlen(name);
		/* A prefix of one command alone ("doc", "pru") names it. */
		size_t d = n >= 2 && strncmp(commands[i].name, name, n) == 0
			       ? 1
			       : distance(name, commands[i].name);
		if (d < best_d) {
			best_d = d;
			best = commands[i].name;
		}
	}
	return best;
}
