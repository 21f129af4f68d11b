# fish completion for procrun(1)
#
# The option lists below are checked against `procrun COMMAND --help` by the
# test suite (tests/e2e/completions_test.cpp), so they cannot drift.

# The options that take a value (the next word, unless written --opt=value).
set -g __procrun_value_opts -f --procfile -d --root -e --env -c -m --formation --concurrency -p --port -t --timeout -a --app -u --user -l --log -r --run --image --template-dir --format -q --quiet --output --log-dir --log-max-size --log-keep --can-die --exit-with --restart -n --lines --log-memory --log-memory-bytes

# The index among the words of the command (the first word after procrun that
# is neither an option nor an option's value), or nothing.
function __procrun_command_index
    set -l tokens (commandline -opc)
    set -l skip 0
    for i in (seq 2 (count $tokens))
        if test $skip -eq 1
            set skip 0
            continue
        end
        switch $tokens[$i]
            case '--*=*'
            case '-*'
                contains -- $tokens[$i] $__procrun_value_opts; and set skip 1
            case '*'
                echo $i
                return
        end
    end
    return 1
end

# The command on the command line, or nothing; with arguments, whether it is
# one of them.
function __procrun_command
    set -l tokens (commandline -opc)
    set -l i (__procrun_command_index)
    test -n "$i"; or return 1
    set -l t $tokens[$i]
    if set -q argv[1]
        contains -- $t $argv
    else
        echo $t
    end
end

# The process types of the Procfile the command line points at
# (-f/--procfile, else -d/--root/Procfile, else ./Procfile).
function __procrun_process_types
    set -l tokens (commandline -opc)
    set -l procfile
    set -l root .
    for i in (seq (count $tokens))
        switch $tokens[$i]
            case -f --procfile
                set procfile $tokens[(math $i + 1)]
            case '--procfile=*'
                set procfile (string replace -- --procfile= '' $tokens[$i])
            case -d --root
                set root $tokens[(math $i + 1)]
            case '--root=*'
                set root (string replace -- --root= '' $tokens[$i])
        end
    end
    test -n "$procfile"; or set procfile $root/Procfile
    test -r "$procfile"; or return
    string replace -rf '^\s*([A-Za-z0-9_-]+):.*' '$1' <$procfile
end

# The number of words after the command that are not options or their values.
function __procrun_positionals
    set -l tokens (commandline -opc)
    set -l first (__procrun_command_index)
    if test -z "$first"
        echo 0
        return
    end
    set -l n 0
    set -l skip 0
    for t in $tokens[(math $first + 1)..-1]
        if test $skip -eq 1
            set skip 0
            continue
        end
        switch $t
            case '--*=*'
            case '-*'
                contains -- $t $__procrun_value_opts; and set skip 1
            case '*'
                set n (math $n + 1)
        end
    end
    echo $n
end

# --restart [NAME=]POLICY: a policy, or a process type and '=' then a policy.
function __procrun_restart_values
    set -l token (string replace -r -- '^--restart=' '' (commandline -ct))
    set -l policies no\t'An exit is final' on-failure\t'Restart after a non-zero exit or a signal' always\t'Restart after any exit'
    if string match -q -- '*=*' $token
        set -l name (string split -m1 = -- $token)[1]
        printf '%s\n' $name=$policies
    else
        printf '%s\n' $policies
        printf '%s=\tProcess type\n' (__procrun_process_types)
    end
end

complete -c procrun -f

# procrun [--help | --version] COMMAND
complete -c procrun -n 'not __procrun_command' -s h -l help -d 'Print help and exit'
complete -c procrun -n 'not __procrun_command' -s v -l version -d 'Print the version and exit'
# The project options, before the command too (procrun -f Procfile.dev start).
set -l top 'not __procrun_command'
complete -c procrun -n $top -s f -l procfile -r -F -d 'Procfile to read'
complete -c procrun -n $top -s d -l root -x -a '(__fish_complete_directories)' -d 'Directory the processes run in'
complete -c procrun -n $top -s e -l env -r -F -d 'Env file(s), later ones override earlier ones'
complete -c procrun -n $top -s c -l formation -x -d 'How many of each process type (all=1,web=2)'
complete -c procrun -n $top -s m -l concurrency -x -d 'How many of each process type (all=1,web=2)'
complete -c procrun -n $top -s p -l port -x -d 'Base port'
complete -c procrun -n $top -s t -l timeout -x -d 'Seconds from SIGTERM to SIGKILL'
complete -c procrun -n $top -l strict -d 'Accept only Cloud Native Buildpacks / Kubernetes names'
complete -c procrun -n 'not __procrun_command' -a check -d 'Validate the Procfile, env files and config'
complete -c procrun -n 'not __procrun_command' -a start -d 'Start every process with prefixed output'
complete -c procrun -n 'not __procrun_command' -a run -d 'Run one process type or any command'
complete -c procrun -n 'not __procrun_command' -a export -d 'Write the processes out for an init system'
complete -c procrun -n 'not __procrun_command' -a status -d 'Show the processes of the running procrun'
complete -c procrun -n 'not __procrun_command' -a restart -d 'Restart processes of the running procrun'
complete -c procrun -n 'not __procrun_command' -a stop -d 'Stop processes of the running procrun'
complete -c procrun -n 'not __procrun_command' -a kill -d 'Stop the running procrun and its processes'
complete -c procrun -n 'not __procrun_command' -a signal -d 'Send a signal to processes of the running procrun'
complete -c procrun -n 'not __procrun_command' -a mcp -d 'Serve the Model Context Protocol for coding agents'
complete -c procrun -n 'not __procrun_command' -a connect -d 'Type into one process of the running procrun'
complete -c procrun -n 'not __procrun_command' -a logs -d 'Show the recent output of the running procrun'
complete -c procrun -n 'not __procrun_command' -a attach -d 'Follow the output of the running procrun'
complete -c procrun -n 'not __procrun_command' -a scale -d 'Change how many instances the running procrun runs'

# Options every command takes (logs: --procfile only, its -f is --follow).
complete -c procrun -n __procrun_command -s h -l help -d 'Print help and exit'
complete -c procrun -n '__procrun_command; and not __procrun_command logs' -s f -l procfile -r -F -d 'Procfile to read'
complete -c procrun -n '__procrun_command logs' -l procfile -r -F -d 'Procfile to read'
complete -c procrun -n __procrun_command -s d -l root -x -a '(__fish_complete_directories)' -d 'Directory the processes run in'

# Options every command but the control commands (status, restart, stop, kill, signal, scale) takes.
set -l any "__procrun_command check start run export"
complete -c procrun -n $any -s e -l env -r -F -d 'Env file(s), later ones override earlier ones'
complete -c procrun -n $any -s c -l formation -x -d 'How many of each process type (all=1,web=2)'
complete -c procrun -n $any -s m -l concurrency -x -d 'How many of each process type (all=1,web=2)'
complete -c procrun -n $any -s p -l port -x -d 'Base port'
complete -c procrun -n $any -s t -l timeout -x -d 'Time from SIGTERM to SIGKILL (seconds, 500ms, 1m)'
complete -c procrun -n $any -l strict -d 'Accept only Cloud Native Buildpacks / Kubernetes names'

# procrun check
complete -c procrun -n '__procrun_command check' -l format -x -a 'human json github' -d 'Output format'
complete -c procrun -n '__procrun_command check' -l werror -d 'Treat warnings as errors'
complete -c procrun -n '__procrun_command check' -l color -d 'Force colour on'
complete -c procrun -n '__procrun_command check' -l no-color -d 'Force colour off'

# procrun start [NAME...]
complete -c procrun -n '__procrun_command start' -l color -d 'Force colour on'
complete -c procrun -n '__procrun_command start' -l no-color -d 'Force colour off'
complete -c procrun -n '__procrun_command start' -l no-timestamp -d 'Do not print the time on each line'
complete -c procrun -n '__procrun_command start' -l no-prefix -d 'Print lines without time, name or colour'
complete -c procrun -n '__procrun_command start' -l can-die -x -a '(__procrun_process_types)' -d 'May exit without stopping the others'
complete -c procrun -n '__procrun_command start' -l exit-with -x -a '(__procrun_process_types)' -d 'Its exit stops everything'
complete -c procrun -n '__procrun_command start' -l restart -x -a '(__procrun_restart_values)' -d 'Restart policy: [NAME=]POLICY'
complete -c procrun -n '__procrun_command start' -l pty -d 'Run every process on a pseudo-terminal'
complete -c procrun -n '__procrun_command start' -l watch -d 'Restart a process type when a file it watches changes'
complete -c procrun -n '__procrun_command start' -l no-watch -d 'Do not watch files for this run'
complete -c procrun -n '__procrun_command start' -l interactive -x -a '(__procrun_process_types)' -d 'Send what is typed here to this process'
complete -c procrun -n '__procrun_command start' -s D -l daemon -d 'Run in the background once everything has started'
complete -c procrun -n '__procrun_command start' -s q -l quiet -x -a '(__procrun_process_types)' -d 'Hide the output of a process type'
complete -c procrun -n '__procrun_command start' -l output -x -a 'text json' -d 'Output format'
complete -c procrun -n '__procrun_command start' -l log-dir -x -a '(__fish_complete_directories)' -d 'Also write the lines to log files here'
complete -c procrun -n '__procrun_command start' -l log-max-size -x -d 'Rotate a log file before it passes SIZE (K, M, G)'
complete -c procrun -n '__procrun_command start' -l log-keep -x -d 'Rotated files kept per log file'
complete -c procrun -n '__procrun_command start' -l log-memory -x -d 'Lines of output kept per instance for procrun logs'
complete -c procrun -n '__procrun_command start' -l log-memory-bytes -x -d 'Bytes of output kept per instance (K, M)'
complete -c procrun -n '__procrun_command start' -a '(__procrun_process_types)' -d 'Process type'

# procrun run NAME|COMMAND [ARG...]
complete -c procrun -n '__procrun_command run; and test (__procrun_positionals) -eq 0' -a '(__procrun_process_types)' -d 'Process type'
complete -c procrun -n '__procrun_command run; and test (__procrun_positionals) -eq 0' -a '(__fish_complete_command)'
complete -c procrun -n '__procrun_command run; and test (__procrun_positionals) -ge 1' -F

# procrun export FORMAT DIR
complete -c procrun -n '__procrun_command export' -s a -l app -x -d 'Application name prefixing every unit'
complete -c procrun -n '__procrun_command export' -s u -l user -x -a '(__fish_complete_users)' -d 'Account the processes run as'
complete -c procrun -n '__procrun_command export' -s l -l log -x -a '(__fish_complete_directories)' -d 'Log directory'
complete -c procrun -n '__procrun_command export' -s r -l run -x -a '(__fish_complete_directories)' -d 'Pid file directory'
complete -c procrun -n '__procrun_command export' -l image -x -d 'Container image (compose, kubernetes)'
complete -c procrun -n '__procrun_command export' -l secret -d 'Put every variable into the Kubernetes Secret'
complete -c procrun -n '__procrun_command export' -l template-dir -x -a '(__fish_complete_directories)' -d 'Templates overriding the built-in ones'
complete -c procrun -n '__procrun_command export; and test (__procrun_positionals) -eq 0' -a 'systemd supervisord runit launchd upstart inittab compose kubernetes' -d 'Format'
complete -c procrun -n '__procrun_command export; and test (__procrun_positionals) -eq 1' -x -a '(__fish_complete_directories)'

# procrun status | restart [NAME...] | stop NAME... | kill | signal SIGNAL NAME...
complete -c procrun -n '__procrun_command status' -l json -d 'Print the reply as one JSON object'
complete -c procrun -n '__procrun_command restart stop' -a '(__procrun_process_types)' -d 'Process type'
complete -c procrun -n '__procrun_command signal; and test (__procrun_positionals) -eq 0' -x -a 'HUP INT QUIT USR1 USR2 TERM ALRM WINCH CONT STOP TSTP KILL PWR' -d 'Signal'
complete -c procrun -n '__procrun_command signal; and test (__procrun_positionals) -ge 1' -x -a '(__procrun_process_types)' -d 'Process type'

# procrun connect NAME[.N]
complete -c procrun -n '__procrun_command connect; and test (__procrun_positionals) -eq 0' -x -a '(__procrun_process_types)' -d 'Process type'
# procrun logs [NAME...] | attach
complete -c procrun -n '__procrun_command logs attach' -s n -l lines -x -d 'How many of the last lines'
complete -c procrun -n '__procrun_command logs' -s f -l follow -d 'Then follow new lines until Ctrl-C'
complete -c procrun -n '__procrun_command logs' -l json -d 'One JSON object per line'
complete -c procrun -n '__procrun_command logs attach' -l color -d 'Force colour on'
complete -c procrun -n '__procrun_command logs attach' -l no-color -d 'Force colour off'
complete -c procrun -n '__procrun_command logs' -a '(__procrun_process_types)' -d 'Process type'
complete -c procrun -n '__procrun_command scale' -x -a '(__procrun_process_types | string replace -r \$ =)' -d 'TYPE=N'
