# bash completion for procrun(1)                                 -*- shell-script -*-
#
# The option lists below are checked against `procrun COMMAND --help` by the
# test suite (tests/e2e/completions_test.cpp), so they cannot drift.

_procrun_commands="check start run export status restart stop kill signal scale mcp connect logs attach"
_procrun_export_formats="systemd supervisord runit launchd upstart inittab compose kubernetes"

# Options every command takes: the control commands (status, restart, stop, kill, signal, scale)
# only these, the others these and the rest of the project options.
_procrun_root_opts="-h --help -f --procfile -d --root"
_procrun_project_opts="$_procrun_root_opts -e --env -c -m --formation --concurrency
    -p --port -t --timeout --strict"
# Before the command: the project options (procrun -f Procfile.dev start).
_procrun_top_opts="$_procrun_project_opts -v --version"
_procrun_check_opts="$_procrun_project_opts --format --werror --color --no-color"
_procrun_start_opts="$_procrun_project_opts --color --no-color --no-timestamp --no-prefix
    --can-die --exit-with --restart --pty --watch --no-watch --interactive -q --quiet --output --log-dir --log-max-size
    --log-keep -D --daemon --log-memory --log-memory-bytes"
_procrun_run_opts="$_procrun_project_opts"
_procrun_export_opts="$_procrun_project_opts -a --app -u --user -l --log -r --run --image
    --secret --template-dir"
_procrun_status_opts="$_procrun_root_opts --json"
_procrun_restart_opts="$_procrun_root_opts"
_procrun_stop_opts="$_procrun_root_opts"
_procrun_kill_opts="$_procrun_root_opts"
_procrun_signal_opts="$_procrun_root_opts"
_procrun_mcp_opts="$_procrun_root_opts"
_procrun_connect_opts="$_procrun_root_opts"
# logs: -f is --follow, and the Procfile is --procfile only.
_procrun_logs_opts="-h --help --procfile -d --root -n --lines -f --follow --json --color --no-color"
_procrun_attach_opts="$_procrun_root_opts -n --lines --color --no-color"
_procrun_scale_opts="$_procrun_root_opts"

# Signals `procrun signal` is most often given (any name or number is accepted).
_procrun_signals="HUP INT QUIT USR1 USR2 TERM ALRM WINCH CONT STOP TSTP KILL PWR"

_procrun_restart_policies="no on-failure always"

# Options that take a value (the next word, or after '=').
_procrun_value_opts="-f --procfile -d --root -e --env -c -m --formation --concurrency -p --port
    -t --timeout --format -q --quiet -a --app -u --user -l --log -r --run --image --template-dir
    --output --log-dir --log-max-size --log-keep --can-die --exit-with --restart --interactive -n --lines
    --log-memory --log-memory-bytes"

# The process types of the Procfile the command line points at
# (-f/--procfile, else -d/--root/Procfile, else ./Procfile).
_procrun_process_types() {
    local procfile="" root="." i w
    for ((i = 1; i < ${#words[@]} - 1; i++)); do
        w=${words[i]}
        case $w in
            -f | --procfile) procfile=${words[i + 1]} ;;
            --procfile=*) procfile=${w#--procfile=} ;;
            -d | --root) root=${words[i + 1]} ;;
            --root=*) root=${w#--root=} ;;
        esac
    done
    [[ -z $procfile ]] && procfile=$root/Procfile
    procfile=${procfile/#\~/$HOME}
    [[ -r $procfile ]] || return 0
    sed -n 's/^[[:space:]]*\([A-Za-z0-9_-][A-Za-z0-9_-]*\):.*/\1/p' -- "$procfile" 2>/dev/null
}

# The index in COMP_WORDS of word $1 of the command line with `--opt=value`
# and `name=value` joined (bash splits them at '=').
_procrun_raw_index() {
    local j n=0 join=0
    for ((j = 1; j < ${#COMP_WORDS[@]}; j++)); do
        if [[ ${COMP_WORDS[j]} == "=" ]]; then
            join=1
        elif ((join)); then
            join=0
        elif ((++n == $1)); then
            break
        fi
    done
    echo "$j"
}

_procrun_is_value_opt() {
    local o
    for o in $_procrun_value_opts; do
        [[ $1 == "$o" ]] && return 0
    done
    return 1
}

# Completes the value of option $1 (the word being completed is $cur).
_procrun_complete_value() {
    case $1 in
        -f | --procfile | -e | --env)
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            ;;
        -d | --root | -l | --log | -r | --run | --template-dir | --log-dir)
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -d -- "$cur")
            ;;
        --format)
            mapfile -t COMPREPLY < <(compgen -W "human json github" -- "$cur")
            ;;
        --output)
            mapfile -t COMPREPLY < <(compgen -W "text json" -- "$cur")
            ;;
        -q | --quiet | --can-die | --exit-with | --interactive)
            mapfile -t COMPREPLY < <(compgen -W "$(_procrun_process_types)" -- "$cur")
            ;;
        --restart)
            # [NAME=]POLICY: after NAME=, the policy (bash replaces only what
            # follows the '='); before it, a policy or a process type and '='.
            if [[ $cur == *=* ]]; then
                mapfile -t COMPREPLY < <(compgen -W "$_procrun_restart_policies" -- "${cur#*=}")
            else
                local -a types
                mapfile -t types < <(compgen -W "$(_procrun_process_types)" -- "$cur")
                mapfile -t COMPREPLY < <(compgen -W "$_procrun_restart_policies" -- "$cur")
                if ((${#types[@]} > 0)); then
                    COMPREPLY+=("${types[@]/%/=}")
                    compopt -o nospace 2>/dev/null
                fi
            fi
            ;;
        -u | --user)
            mapfile -t COMPREPLY < <(compgen -u -- "$cur")
            ;;
        *)
            COMPREPLY=()
            ;;
    esac
}

_procrun() {
    local cur prev
    local -a words
    local cword
    if declare -F _get_comp_words_by_ref >/dev/null; then
        # bash-completion: keep --opt=value together as one word.
        _get_comp_words_by_ref -n = cur prev words cword
    else
        # Plain bash splits `--opt=value` into `--opt`, `=`, `value` (and
        # `web=2` into `web`, `=`, `2`): join them again, as bash-completion does.
        local j w join=0
        words=()
        cword=0
        for ((j = 0; j < ${#COMP_WORDS[@]}; j++)); do
            w=${COMP_WORDS[j]}
            if [[ $w == "=" ]] && ((${#words[@]} > 0)); then
                words[${#words[@]} - 1]+=$w
                join=1
            elif ((join)); then
                words[${#words[@]} - 1]+=$w
                join=0
            else
                words+=("$w")
            fi
            ((j == COMP_CWORD)) && cword=$((${#words[@]} - 1))
        done
        cur=${words[cword]}
        prev=""
        ((cword > 0)) && prev=${words[cword - 1]}
    fi
    COMPREPLY=()

    # The command, and the positional words after it.
    local cmd="" i w first=0
    local -a positionals=()
    for ((i = 1; i < cword; i++)); do
        w=${words[i]}
        if [[ -z $cmd ]]; then
            case $w in
                check | start | run | export | status | restart | stop | kill | signal | scale | mcp | connect | logs | attach) cmd=$w ;;
                --*=*) ;;
                -*) _procrun_is_value_opt "$w" && ((i++)) ;;
            esac
            continue
        fi
        if [[ $cmd == run && ${#positionals[@]} -gt 0 ]]; then
            positionals+=("$w")
            continue
        fi
        case $w in
            --) ;;
            --*=*) ;;
            -f) [[ $cmd == logs ]] || ((i++)) ;;
            -*)
                _procrun_is_value_opt "$w" && ((i++))
                ;;
            *)
                ((${#positionals[@]} == 0)) && first=$i
                positionals+=("$w")
                ;;
        esac
    done

    # `procrun run NAME|COMMAND ARGS...`: after the first word, complete as the
    # command itself would be completed.
    if [[ $cmd == run && ${#positionals[@]} -gt 0 ]]; then
        if declare -F _command_offset >/dev/null; then
            _command_offset "$(_procrun_raw_index "$first")"
        else
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        fi
        return 0
    fi

    # --opt=value
    if [[ $cur == --*=* ]]; then
        local opt=${cur%%=*}
        cur=${cur#*=}
        _procrun_complete_value "$opt"
        return 0
    fi
    # --opt value
    if [[ $prev == -* ]] && _procrun_is_value_opt "$prev" && ! [[ $cmd == logs && $prev == -f ]]; then
        _procrun_complete_value "$prev"
        return 0
    fi

    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "$_procrun_top_opts" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$_procrun_commands" -- "$cur")
        fi
        return 0
    fi

    if [[ $cur == -* ]]; then
        local opts_var="_procrun_${cmd}_opts"
        mapfile -t COMPREPLY < <(compgen -W "${!opts_var}" -- "$cur")
        return 0
    fi

    case $cmd in
        start | restart | stop | logs)
            mapfile -t COMPREPLY < <(compgen -W "$(_procrun_process_types)" -- "$cur")
            ;;
        connect)
            ((${#positionals[@]} == 0)) &&
                mapfile -t COMPREPLY < <(compgen -W "$(_procrun_process_types)" -- "$cur")
            ;;
        signal)
            if ((${#positionals[@]} == 0)); then
                mapfile -t COMPREPLY < <(compgen -W "$_procrun_signals" -- "$cur")
            else
                mapfile -t COMPREPLY < <(compgen -W "$(_procrun_process_types)" -- "$cur")
            fi
            ;;
        scale)
            # TYPE=N: the type, then the count is the user's.
            if [[ $cur != *=* ]]; then
                mapfile -t COMPREPLY < <(compgen -S = -W "$(_procrun_process_types)" -- "$cur")
                compopt -o nospace 2>/dev/null
            fi
            ;;
        run)
            mapfile -t COMPREPLY < <(compgen -W "$(_procrun_process_types)" -- "$cur")
            local -a commands
            mapfile -t commands < <(compgen -c -- "$cur")
            ((${#cur} > 0)) && COMPREPLY+=("${commands[@]}")
            ;;
        export)
            if ((${#positionals[@]} == 0)); then
                mapfile -t COMPREPLY < <(compgen -W "$_procrun_export_formats" -- "$cur")
            elif ((${#positionals[@]} == 1)); then
                compopt -o filenames 2>/dev/null
                mapfile -t COMPREPLY < <(compgen -d -- "$cur")
            fi
            ;;
    esac
    return 0
}

complete -F _procrun procrun
