# bash completion for pycache-redirect                      -*- shell-script -*-
# Installed to share/bash-completion/completions/pycache-redirect; or source it.

_pycache_redirect()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local commands="run env where stats ls clear prune config adopt enable disable status doctor help"
	local i command="" command_at=0
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) command=${COMP_WORDS[i]}; command_at=$i; break ;;
		esac
	done

	if [[ -z $command ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--help --version" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		fi
		return
	fi

	case $command in
	run)
		# After the command to run, complete as for that command.
		for ((i = command_at + 1; i < COMP_CWORD; i++)); do
			case ${COMP_WORDS[i]} in
			--dir | --scope | --log) ((i++)) ;;
			--) ((i++)); break ;;
			-*) ;;
			*) break ;;
			esac
		done
		if ((i < COMP_CWORD)); then
			COMP_WORDS=("${COMP_WORDS[@]:i}")
			COMP_CWORD=$((COMP_CWORD - i))
			if ((COMP_CWORD == 0)); then
				COMPREPLY=($(compgen -c -- "$cur"))
			elif declare -F _command_offset >/dev/null; then
				_command_offset 0
			else
				COMPREPLY=($(compgen -f -- "$cur"))
			fi
			return
		fi
		case $prev in
		--dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
		--scope) COMPREPLY=($(compgen -W "python all" -- "$cur")); return ;;
		--log) COMPREPLY=($(compgen -W "0 1 2" -- "$cur")); return ;;
		esac
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--dir --scope --log --help --" -- "$cur"))
		else
			COMPREPLY=($(compgen -c -- "$cur"))
		fi
		;;
	env)
		if [[ $prev == --shell ]]; then
			COMPREPLY=($(compgen -W "sh bash zsh fish docker" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "--shell --help" -- "$cur"))
		fi
		;;
	where | clear)
		if [[ $cur == -* ]]; then
			local flags="--help"
			[[ $command == clear ]] && flags="--dry-run --help"
			COMPREPLY=($(compgen -W "$flags" -- "$cur"))
		else
			COMPREPLY=($(compgen -d -- "$cur"))
		fi
		;;
	ls)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--json --help" -- "$cur"))
		else
			COMPREPLY=($(compgen -d -- "$cur"))
		fi
		;;
	stats)
		COMPREPLY=($(compgen -W "--json --help" -- "$cur"))
		;;
	prune)
		case $prev in
		--older-than) COMPREPLY=($(compgen -W "12h 1d 30d 4w" -- "$cur")); return ;;
		--max-size) COMPREPLY=($(compgen -W "500M 1G 2G" -- "$cur")); return ;;
		esac
		COMPREPLY=($(compgen -W "--orphans --older-than --max-size --dry-run --auto --help" -- "$cur"))
		;;
	config)
		case $prev in
		config) COMPREPLY=($(compgen -W "max-size --help" -- "$cur")) ;;
		max-size) COMPREPLY=($(compgen -W "500M 1G 2G 5G none default" -- "$cur")) ;;
		esac
		;;
	adopt)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--remove --dry-run --help" -- "$cur"))
		else
			COMPREPLY=($(compgen -d -- "$cur"))
		fi
		;;
	enable | disable)
		if [[ $prev == --shell ]]; then
			COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "--shell --user --system --dry-run --help" -- "$cur"))
		fi
		;;
	status)
		COMPREPLY=($(compgen -W "--help" -- "$cur"))
		;;
	doctor)
		COMPREPLY=($(compgen -W "--json --help" -- "$cur"))
		;;
	help)
		((COMP_CWORD == command_at + 1)) && COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		;;
	esac
} &&
	complete -F _pycache_redirect pycache-redirect
