# bash completion for kubectl-grove: add `source <(kubectl-grove completion bash)` to ~/.bashrc.
# (`kubectl grove <TAB>` needs nothing of this: kubectl asks kubectl_complete-grove itself.)
# The candidates come from `kubectl-grove __complete ARG... CURRENT`: one a line (value, then a tab and a
# description), then `:N`, cobra's directive bits: 1 error, 2 no space, 4 no files, 8 files with these
# extensions, 16 directories only.
_kubectl_grove() {
    local line=${COMP_LINE:0:COMP_POINT} cur words out directive i
    read -ra words <<<"$line"
    if [[ $line == *[[:space:]] ]]; then
        cur=""
    else
        cur=${words[${#words[@]}-1]}
        unset 'words[${#words[@]}-1]'
    fi
    out=$("${words[0]}" __complete "${words[@]:1}" "$cur" 2>/dev/null) || return 0
    local -a lines
    mapfile -t lines <<<"$out"
    directive=${lines[${#lines[@]}-1]#:}
    [[ $directive =~ ^[0-9]+$ ]] || return 0
    unset 'lines[${#lines[@]}-1]'
    COMPREPLY=()
    (( directive & 1 )) && return 0
    if (( directive & 8 )); then
        compopt -o filenames 2>/dev/null
        for i in "${lines[@]}"; do
            mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -X "!*.${i}" -- "$cur")
        done
        mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -d -- "$cur")
        return 0
    fi
    if (( directive & 16 )); then
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -d -- "$cur")
        return 0
    fi
    # bash replaces only the text after the last `=` or `:` of the word (COMP_WORDBREAKS)
    local cut=""
    [[ $cur == *[=:]* ]] && cut=${cur%"${cur##*[=:]}"}
    for i in "${lines[@]}"; do
        [[ -n $i ]] || continue
        i=${i%%$'\t'*}
        COMPREPLY+=("${i#"$cut"}")
    done
    (( directive & 2 )) && compopt -o nospace 2>/dev/null
    if (( ${#COMPREPLY[@]} == 0 && !(directive & 4) )); then
        compopt -o default 2>/dev/null
    fi
    return 0
}
complete -F _kubectl_grove kubectl-grove
