"""One escaping helper for every user-controlled string the app shows through Markdown.

Ids, values, category and column names and file names come from uploaded files. Streamlit renders
`st.markdown`, `st.write`, captions, alerts, subheaders, metric and widget labels as GitHub-flavoured
Markdown, so an id `![p](http://host/x.png)` would make every visitor's browser fetch that address,
and `[text](http://x)` would become a link. `md(text)` makes such text show literally:

- the characters that open inline Markdown get a backslash (CommonMark: an escaped ASCII
  punctuation character stands for itself): `\\` `` ` `` `*` `_` `~` `[` `]` `<` `>` `&` `$` `|` `#`,
  so no emphasis, code, link, image (`![` needs its `[`), HTML tag, autolink `<…>`, entity, LaTeX,
  table cell, heading or Streamlit `:color[…]` directive can start; a leading `-`, `+`, `=` or
  `12.`/`12)` is escaped too, so a value at the start of a line never becomes a list item;
- GitHub's *literal* autolinks (`scheme://…`, `www.…`, `name@host.tld`) are found in the text after
  escapes are resolved, so a WORD JOINER (U+2060, invisible) goes between `scheme:` and `//`,
  after `www` and after `@`, keeping them plain text;
- line breaks and tabs become spaces (a value never starts a new block).
Other punctuation (`.,:;'"()=!?%/+-`) is left as typed: it cannot start any of the above.

Pages call `md()` at display time on each user string they put into Markdown; messages from `core`
(Problem texts) embed values and file names and are escaped whole (ui/messages.py).
"""

from __future__ import annotations

import re

WORD_JOINER = "\u2060"
INLINE_MARKUP = frozenset("\\`*_~[]<>&$|#")
_LEADING_MARKER = re.compile(r"^(\s*)([-+=]|\d+[.)])")  # list item, setext underline, ordered list
_AUTOLINK = re.compile(r"(?<=[A-Za-z]:)(?=//)|(?i:(?<=www)(?=\.))|(?<=@)")


def md(text: object) -> str:
    """`text` (any object, shown via str) escaped so Markdown shows it literally and renders no
    link, image or HTML."""
    plain = str(text).replace("\r\n", " ").replace("\r", " ").replace("\n", " ").replace("\t", " ")
    escaped = "".join("\\" + char if char in INLINE_MARKUP else char for char in plain)
    escaped = _LEADING_MARKER.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], escaped, count=1)
    return _AUTOLINK.sub(WORD_JOINER, escaped)


def md_join(items, separator: str = ", ") -> str:
    """Each item escaped with md(), joined by `separator` (which is our own Markdown)."""
    return separator.join(md(item) for item in items)


def unescape(text: str) -> str:
    """The text md() escaped, back (for tests and for reading a label as the visitor sees it)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text.replace(WORD_JOINER, ""))
