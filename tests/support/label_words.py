"""Words and styles that random labels are made of in the renderer tests: wide (CJK) and emoji cells, symbols the views
print, an empty word."""

WORDS = ("Gang", "svc-00017-0", "✓ healthy", "⏱ 4m12s", "decode", "prefill", "GPU 8/8", "ラック-a1", "🚀", "(base)", "")
STYLES = ("", "bold", "dim", "red", "bold cyan", "yellow on blue", "green italic")
