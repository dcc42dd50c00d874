"""``CodeView``: a highlighted document drawn a line at a time, only the lines in view, with numbers, search
matches and the marked line."""

from __future__ import annotations

from rich.style import Style
from textual.app import App, ComposeResult

from grove.views.tui.widgets import code_view
from grove.views.tui.widgets.code_view import CodeView

CODE = "".join(f"key{i}: value-{i}  # line {i}\n" for i in range(1, 201))


class _Viewer(App[None]):
    def compose(self) -> ComposeResult:
        yield CodeView(lexer="yaml", theme="ansi_dark")


def _text(view: CodeView, y: int) -> str:
    return view.render_line(y).text


async def test_the_lines_in_view_are_drawn_with_their_numbers_and_scroll() -> None:
    app = _Viewer()
    async with app.run_test(size=(30, 12)) as pilot:
        view = app.query_one(CodeView)
        view.show(CODE)
        await pilot.pause()
        assert view.virtual_size.height == 200  # the newline at the end makes no line of its own
        assert view.virtual_size.width == len("  200 key200: value-200  # line 200")
        assert _text(view, 0).startswith("    1 key1: value-1  # line")
        view.scroll_to(y=150, animate=False)
        await pilot.pause()
        assert _text(view, 0).startswith("  151 key151: value-151")
        width = view.scrollable_content_region.width
        assert all(len(_text(view, y)) == width for y in range(view.size.height))
        view.scroll_to(x=6, animate=False)
        await pilot.pause()
        assert _text(view, 0).startswith("key151: value-151")
        view.scroll_end(animate=False)
        await pilot.pause()
        assert _text(view, view.scrollable_content_region.height - 1).startswith("  200 ")


async def test_matches_are_styled_and_the_current_one_marks_its_line() -> None:
    app = _Viewer()
    async with app.run_test(size=(50, 12)) as pilot:
        view = app.query_one(CodeView)
        matches = [(2, 0, 4), (2, 6, 11), (3, 0, 4)]
        view.show(CODE, matches, current=1)
        await pilot.pause()

        def styles_of(y: int, word: str) -> list[Style]:
            strip = view.render_line(y)
            at = strip.text.index(word)
            out, x = [], 0
            for segment in strip:
                if x <= at < x + len(segment.text) and segment.style is not None:
                    out.append(segment.style)
                x += len(segment.text)
            return out

        assert view.render_line(1).text.startswith("❱   2 key2: value-2")  # the current match's line
        assert view.render_line(0).text.startswith("    1 ") and view.render_line(2).text.startswith("    3 ")
        current = styles_of(1, "value")[0]
        other = styles_of(2, "key3")[0]
        assert current.bgcolor == code_view.CURRENT_MATCH_STYLE.bgcolor
        assert other.bgcolor == code_view.MATCH_STYLE.bgcolor
        assert styles_of(3, "key4")[0].bgcolor != code_view.MATCH_STYLE.bgcolor  # no match on line 4
        # the same document with no matches: nothing styled, no line marked, the text not highlighted again
        lines = view.lines
        view.show(CODE)
        assert view.lines is lines
        assert not view.render_line(1).text.startswith("❱")
        assert styles_of(1, "value")[0].bgcolor != code_view.CURRENT_MATCH_STYLE.bgcolor
