# fish completion for pycache-redirect
# Installed to share/fish/vendor_completions.d/pycache-redirect.fish.

set -l commands run env where stats ls clear prune config adopt doctor help
complete -c pycache-redirect -f
complete -c pycache-redirect -n "not __fish_seen_subcommand_from $commands" -s h -l help -d 'print the help'
complete -c pycache-redirect -n "not __fish_seen_subcommand_from $commands" -s V -l version -d 'print the version'
complete -c pycache-redirect -n "not __fish_seen_subcommand_from $commands" -a run -d 'run a command with the library preloaded'
complete -c pycache-redirect -n "not __fish_seen_subcommand_from $commands" -a env -d 'the lines that switch the redirect on'
complete -c pycache-redirect -n "not __fish_seen_subcommand_from $commands" -a where -d 'where the cache keeps a path'
complete -c pycache-redirect -n "not __fish_seen_subcommand_from $commands" -a stats -d 'what the cache holds'
complete -c pycache-redirect -n "not __fish_seen_subcommand_from $commands" -a ls -d 'the cached files of a tree'
complete -c pycache-redirect -n "not __fish_seen_subcommand_from $commands" -a clear -d 'remove the cache, or a tree of it'
complete -c pycache-redirect -n "not __fish_seen_subcommand_from $commands" -a prune -d 'remove orphans, the old, down to a size'
complete -c pycache-redirect -n "not __fish_seen_subcommand_from $commands" -a config -d 'the settings and their sources'
complete -c pycache-redirect -n "not __fish_seen_subcommand_from $commands" -a adopt -d 'move a tree\'s old __pycache__ into the cache'
complete -c pycache-redirect -n "not __fish_seen_subcommand_from $commands" -a doctor -d 'check that the redirect can work here'
complete -c pycache-redirect -n "not __fish_seen_subcommand_from $commands" -a help -d 'the help, or a command\'s'

complete -c pycache-redirect -n "__fish_seen_subcommand_from $commands" -l help -d 'this command\'s help'
complete -c pycache-redirect -n "__fish_seen_subcommand_from run" -l dir -x -a '(__fish_complete_directories)' -d 'the cache root'
complete -c pycache-redirect -n "__fish_seen_subcommand_from run" -l scope -x -a 'python all' -d 'which processes redirect'
complete -c pycache-redirect -n "__fish_seen_subcommand_from run" -l log -x -a '0 1 2' -d 'log to stderr'
complete -c pycache-redirect -n "__fish_seen_subcommand_from run" -a '(__fish_complete_command)'
complete -c pycache-redirect -n "__fish_seen_subcommand_from env" -l shell -x -a 'sh bash zsh fish docker' -d 'the syntax'
complete -c pycache-redirect -n "__fish_seen_subcommand_from stats ls doctor" -l json -d 'JSON output'
complete -c pycache-redirect -n "__fish_seen_subcommand_from clear prune adopt" -l dry-run -d 'only say what would be done'
complete -c pycache-redirect -n "__fish_seen_subcommand_from adopt" -l remove -d 'delete them instead'
complete -c pycache-redirect -n "__fish_seen_subcommand_from prune" -l orphans -d 'entries whose source is gone'
complete -c pycache-redirect -n "__fish_seen_subcommand_from prune" -l auto -d 'the cleanup, when it is due'
complete -c pycache-redirect -n "__fish_seen_subcommand_from prune" -l older-than -x -a '12h 1d 30d 4w' -d 'not used for AGE'
complete -c pycache-redirect -n "__fish_seen_subcommand_from prune" -l max-size -x -a '500M 1G 2G' -d 'down to SIZE'
complete -c pycache-redirect -n "__fish_seen_subcommand_from config; and not __fish_seen_subcommand_from max-size" -a max-size -d 'the size limit'
complete -c pycache-redirect -n "__fish_seen_subcommand_from max-size" -a '500M 1G 2G 5G none default'
complete -c pycache-redirect -n "__fish_seen_subcommand_from where ls clear adopt" -a '(__fish_complete_directories)'
complete -c pycache-redirect -n "__fish_seen_subcommand_from help" -a "$commands"
