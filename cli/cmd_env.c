/* env [--shell sh|bash|zsh|fish|docker]: print the lines that switch the redirect on
 * in that syntax, with the library's path quoted for it, and the current
 * PYCACHE_REDIRECT_DIR / _SCOPE / _LOG so that the lines reproduce the
 * setting of this environment. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/config.h"
#include "cli.h"

/* sh: single quotes; a quote ends them, is escaped, and they start again. */
static void quote_sh(const char *s)
{
	putchar('\'');
	for (; *s; s++)
		if (*s == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*s);
	putchar('\'');
}

/* fish: single quotes, inside which only \' and \\ are escapes. */
static void quote_fish(const char *s)
{
	putchar('\'');
	for (; *s; s++) {
		if (*s == '\'' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('\'');
}

/* Dockerfile: bare when nothing in s is special to the instruction parser. */
static bool docker_bare(const char *s)
{
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789/._-+,@%=") == strlen(s);
}

/* The inside of a Dockerfile double-quoted string: \ escapes ", \ and $. */
static void escape_docker(const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\' || *s == '$')
			putchar('\\');
		putchar(*s);
	}
}

static void quote_docker(const char *s)
{
	if (docker_bare(s)) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	escape_docker(s);
	putchar('"');
}

/* Each prepends the library to what LD_PRELOAD already holds, unless it is
 * there already (a .bashrc runs again in every nested shell). */
static void preload_sh(const char *library)
{
	fputs("case \":${LD_PRELOAD-}:\" in *:", stdout);
	quote_sh(library);
	fputs(":*) ;; *) export LD_PRELOAD=", stdout);
	quote_sh(library);
	fputs("\"${LD_PRELOAD:+:$LD_PRELOAD}\" ;; esac\n", stdout);
}

static void preload_fish(const char *library)
{
	/* fish exports a list joined by spaces, which the loader accepts. */
	fputs("contains -- ", stdout);
	quote_fish(library);
	fputs(" $LD_PRELOAD; or set -gx LD_PRELOAD ", stdout);
	quote_fish(library);
	fputs(" $LD_PRELOAD\n", stdout);
}

static void preload_docker(const char *library)
{
	/* ${VAR:+word} is Dockerfile syntax too: it keeps an LD_PRELOAD that an
	 * earlier ENV set. */
	const char *keep = "${LD_PRELOAD:+:$LD_PRELOAD}";
	fputs("ENV LD_PRELOAD=", stdout);
	if (docker_bare(library)) {
		printf("%s%s\n", library, keep);
		return;
	}
	putchar('"');
	escape_docker(library);
	printf("%s\"\n", keep);
}

/* The fish pattern that finds TOX4_OVERRIDE: \* is a star there. */
#define TOX4_STAR "pass_env+=LD_PRELOAD,PYCACHE_REDIRECT\\*,HOME,XDG_CACHE_HOME"
#define TOX4_OVERRIDE_GLOB \
	"testenv." TOX4_STAR ";env_run_base." TOX4_STAR ";tool.tox.env_run_base." TOX4_STAR
#define TOX_NAMES PCR_CLI_TOX_NAMES
#define TOX4_OVERRIDE PCR_CLI_TOX4_OVERRIDE

/* Each appends, unless already there (a .bashrc runs again in every nested
 * shell), and keeps what the variable held. */
static void tox_sh(void)
{
	fputs("case \" ${TOX_TESTENV_PASSENV-} \" in *' " TOX_NAMES " '*) ;; *) export "
	      "TOX_TESTENV_PASSENV=\"${TOX_TESTENV_PASSENV:+$TOX_TESTENV_PASSENV }" TOX_NAMES
	      "\" ;; esac\n"
	      "case \";${TOX_OVERRIDE-};\" in *';" TOX4_OVERRIDE ";'*) ;; *) export "
	      "TOX_OVERRIDE=\"${TOX_OVERRIDE:+$TOX_OVERRIDE;}" TOX4_OVERRIDE "\" ;; esac\n",
	      stdout);
}

static void tox_fish(void)
{
	/* One string each: fish would join a list with spaces, and \* is a
	 * star in string match's glob. */
	fputs("string match -q -- '* LD_PRELOAD PYCACHE_REDIRECT\\* HOME XDG_CACHE_HOME *' "
	      "\" $TOX_TESTENV_PASSENV \"; or set -gx TOX_TESTENV_PASSENV (string join -- ' ' "
	      "$TOX_TESTENV_PASSENV '" TOX_NAMES "')\n"
	      "string match -q -- "
	      "'*;" TOX4_OVERRIDE_GLOB ";*' "
	      "\";$TOX_OVERRIDE;\"; or set -gx TOX_OVERRIDE (string join -- ';' $TOX_OVERRIDE "
	      "'" TOX4_OVERRIDE "')\n",
	      stdout);
}

static void tox_docker(void)
{
	fputs("ENV TOX_TESTENV_PASSENV=\"${TOX_TESTENV_PASSENV:+$TOX_TESTENV_PASSENV }" TOX_NAMES
	      "\"\n"
	      "ENV TOX_OVERRIDE=\"${TOX_OVERRIDE:+$TOX_OVERRIDE;}" TOX4_OVERRIDE "\"\n",
	      stdout);
}

struct shell {
	const char *name;
	const char *comment; /* the first line */
	const char *assign;  /* before a variable's name: "export " */
	const char *equals;  /* between the name and the value: "=" */
	void (*quote)(const char *s);
	void (*preload)(const char *library);
	void (*tox)(void);
};

static const struct shell shells[] = {
	{ "sh",
	  "# " PCR_CLI_NAME ": eval \"$(" PCR_CLI_NAME " env)\" switches the "
	  "redirect on in sh, bash, zsh",
	  "export ", "=", quote_sh, preload_sh, tox_sh },
	{ "fish",
	  "# " PCR_CLI_NAME ": \"" PCR_CLI_NAME " env --shell fish | source\" "
	  "switches the redirect on in fish",
	  "set -gx ", " ", quote_fish, preload_fish, tox_fish },
	{ "docker",
	  "# " PCR_CLI_NAME ": Dockerfile lines that switch the redirect on "
	  "(the library must be at this path in the image)",
	  "ENV ", "=", quote_docker, preload_docker, tox_docker },
};

/* bash and zsh read sh's lines as they are. */
static const struct shell *find_shell(const char *name)
{
	if (strcmp(name, "bash") == 0 || strcmp(name, "zsh") == 0)
		name = "sh";
	for (size_t i = 0; i < sizeof shells / sizeof *shells; i++)
		if (strcmp(name, shells[i].name) == 0)
			return &shells[i];
	return NULL;
}

enum { OPT_SHELL = PCR_CLI_OPT_HELP + 1 };

static const struct option options[] = {
	{ "shell", required_argument, NULL, OPT_SHELL },
	PCR_CLI_HELP_OPTION,
	{ NULL, 0, NULL, 0 },
};

int pcr_cli_env(int argc, char **argv)
{
	const struct shell *shell = &shells[0];
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:h", options, NULL)) != -1) {
		switch (c) {
		case OPT_SHELL:
			shell = find_shell(optarg);
			if (!shell)
				return pcr_cli_usage_error("env: --shell takes sh, bash, zsh, "
							   "fish or docker, not '%s'",
							   optarg);
			break;
		default: return pcr_cli_common_option(argv[0], c, argv);
		}
	}
	if (optind < argc)
		return pcr_cli_usage_error("env: unexpected argument '%s'", argv[optind]);

	/* No library: said on stderr, no lines, and still exit 0, as for every
	 * other reason: a start-up file runs this, and must not fail for it. */
	char library[PATH_MAX];
	if (!pcr_cli_find_preload_or_say(library, sizeof library))
		return PCR_CLI_OK;
	/* Every reason the lines would leave Python unredirected, on stderr; the
	 * lines all the same, and exit 0: a start-up file runs this. */
	pcr_cli_warn_if_off("env", NULL);
	pcr_cli_upkeep();

	puts(shell->comment);
	shell->preload(library);
	shell->tox();
	static const char *const settings[] = { PCR_ENV_DIR, PCR_ENV_SCOPE, PCR_ENV_LOG };
	for (size_t i = 0; i < sizeof settings / sizeof *settings; i++) {
		const char *value = getenv(settings[i]);
		if (!value || !*value)
			continue;
		printf("%s%s%s", shell->assign, settings[i], shell->equals);
		shell->quote(value);
		putchar('\n');
	}
	return PCR_CLI_OK;
}
