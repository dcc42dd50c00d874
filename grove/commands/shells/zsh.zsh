#compdef kubectl-grove
# zsh completion for kubectl-grove: add `source <(kubectl-grove completion zsh)` to ~/.zshrc (after compinit).
# The candidates come from `kubectl-grove __complete ARG... CURRENT` (cobra's protocol: `value<TAB>description`
# lines, then `:N` with the directive bits 1 error, 2 no space, 4 no files, 8 extensions, 16 directories).
_kubectl_grove() {
    local out directive line ext
    local -a lines comps globs nospace
    out=$(${words[1]} __complete "${(@)words[2,CURRENT-1]}" "${words[CURRENT]}" 2>/dev/null) || return 1
    lines=("${(@f)out}")
    directive=${lines[-1]#:}
    [[ $directive == <-> ]] || return 1
    lines=("${(@)lines[1,-2]}")
    (( directive & 1 )) && return 1
    if (( directive & 8 )); then
        for ext in $lines; do globs+=("*.${ext}"); done
        _files -g "(${(j:|:)globs})"
        return
    fi
    if (( directive & 16 )); then
        _files -/
        return
    fi
    for line in $lines; do
        [[ -z $line ]] && continue
        if [[ $line == *$'\t'* ]]; then
            comps+=("${${line%%$'\t'*}//:/\\:}:${line#*$'\t'}")
        else
            comps+=("${line//:/\\:}")
        fi
    done
    (( directive & 2 )) && nospace=(-S '')
    if (( ${#comps} )); then
        _describe -t values 'kubectl-grove' comps $nospace
    elif (( !(directive & 4) )); then
        _files
    fi
}
compdef _kubectl_grove kubectl-grove
