# fish completion for kubectl-grove: `kubectl-grove completion fish > ~/.config/fish/completions/kubectl-grove.fish`.
# The candidates come from `kubectl-grove __complete ARG... CURRENT` (cobra's protocol: `value<TAB>description`
# lines, then `:N` with the directive bits 1 error, 2 no space, 4 no files, 8 extensions, 16 directories).
function __kubectl_grove_complete
    set -l tokens (commandline -opc)
    set -l current (commandline -ct)
    set -l out ($tokens[1] __complete $tokens[2..-1] "$current" 2>/dev/null)
    or return
    set -l directive (string replace -r '^:' '' -- $out[-1])
    string match -qr '^[0-9]+$' -- $directive; or return
    set -e out[-1]
    if test (math "$directive % 2") -eq 1
        return
    end
    if test (math "floor($directive / 8) % 2") -eq 1
        set -l pattern '\.('(string join '|' (string escape --style=regex -- $out))')$'
        for name in $current*
            if test -d $name
                echo $name/
            else if string match -qr -- $pattern $name
                echo $name
            end
        end
        return
    end
    if test (math "floor($directive / 16) % 2") -eq 1
        __fish_complete_directories $current
        return
    end
    if test (count $out) -eq 0; and test (math "floor($directive / 4) % 2") -eq 0
        __fish_complete_path $current
        return
    end
    printf '%s\n' $out
end
complete -c kubectl-grove -f -a '(__kubectl_grove_complete)'
