# PowerShell completion for kubectl-grove: add `kubectl-grove completion powershell | Out-String | Invoke-Expression`
# to your profile. The candidates come from `kubectl-grove __complete ARG... CURRENT` (cobra's protocol:
# `value<TAB>description` lines, then `:N` with the directive bits 1 error, 2 no space, 4 no files, 8 extensions,
# 16 directories).
Register-ArgumentCompleter -Native -CommandName 'kubectl-grove' -ScriptBlock {
    param($WordToComplete, $CommandAst, $CursorPosition)
    $words = @($CommandAst.CommandElements |
        Where-Object { $_.Extent.StartOffset -lt $CursorPosition } |
        ForEach-Object { $_.Extent.Text })
    if ($WordToComplete -ne '' -and $words.Count -gt 1) { $words = $words[0..($words.Count - 2)] }
    $current = $WordToComplete
    if ($current -eq '' -and $PSVersionTable.PSVersion -lt [version]'7.3') { $current = '""' }
    $arguments = @('__complete') + @($words | Select-Object -Skip 1) + @($current)
    $out = @(& $words[0] @arguments 2>$null)
    if ($out.Count -eq 0 -or $out[-1] -notmatch '^:(\d+)$') { return }
    $directive = [int]$Matches[1]
    if ($directive -band 1) { return }
    $lines = if ($out.Count -gt 1) { $out[0..($out.Count - 2)] } else { @() }
    if ($directive -band 8) {
        Get-ChildItem -Path "$WordToComplete*" -ErrorAction SilentlyContinue |
            Where-Object { $f = $_; $_.PSIsContainer -or ($lines | Where-Object { $f.Name.EndsWith(".$_") }) } |
            ForEach-Object { [System.Management.Automation.CompletionResult]::new($_.Name, $_.Name, 'ProviderItem', $_.Name) }
        return
    }
    if ($directive -band 16) {
        Get-ChildItem -Path "$WordToComplete*" -Directory -ErrorAction SilentlyContinue |
            ForEach-Object { [System.Management.Automation.CompletionResult]::new($_.Name, $_.Name, 'ProviderContainer', $_.Name) }
        return
    }
    foreach ($line in $lines) {
        if ($line -eq '') { continue }
        $value, $description = $line -split "`t", 2
        if (-not $description) { $description = $value }
        $text = if ($directive -band 2) { $value } else { "$value " }
        [System.Management.Automation.CompletionResult]::new($text, $value, 'ParameterValue', $description)
    }
}
