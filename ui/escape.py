"""One escaping helper for every user-controlled string the app shows through Markdown.

Ids, values, category and column names and file names come from uploaded files. Streamlit renders
`st.markdown`, `st.write`, captions, alerts, subheaders, metric and widget labels as GitHub-flavoured
Markdown, so an id `![p](http://host/x.png)` would make every visitor's browser fetch that address,
and `[text](http://x)` would become a link. `md(text)` makes such text show literally:

- every ASCII punctuation character gets a backslash (CommonMark: "any ASCII punctuation character
  may be backslash-escaped", and then stands for itself), so no emphasis, code, heading, list, table,
  link, image, HTML tag, entity, LaTeX `$` or Streamlit `:color[...]` directive can start;
- GitHub's *literal* autolinks (`http://…`, `www.…`, `name@host.tld`) are found in the text after
  escapes are resolved, so a WORD JOINER (U+2060, invisible) is put after `:`, after `www` and after
  `@` to keep them plain text;
- line breaks and tabs become spaces (a value never starts a new block).

Pages call `md()` at display time on each user string they put into Markdown; messages from `core`
(Problem texts) embed values and file names and are escaped whole (ui/messages.py).
"""

from __future__ import annotations

import re
import string

WORD_JOINER = "\u2060"
_PUNCTUATION = frozenset(string.punctuation)
_AUTOLINK = re.compile(r"(?i)(?<=www)(?=\\\.)|(?<=\\:)|(?<=\\@)")


def md(text: object) -> str:
    """`text` (any object, shown via str) escaped so Markdown shows it literally and renders no
    link, image or HTML."""
    plain = str(text).replace("\r\n", " ").replace("\r", " ").replace("\n", " ").replace("\t", " ")
    escaped = "".join("\\" + char if char in _PUNCTUATION else char for char in plain)
    return _AUTOLINK.sub(WORD_JOINER, escaped)


def md_join(items, separator: str = ", ") -> str:
    """Each item escaped with md(), joined by `separator` (which is our own Markdown)."""
    return separator.join(md(item) for item in items)


def unescape(text: str) -> str:
    """The text md() escaped, back (for tests and for reading a label as the visitor sees it)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text.replace(WORD_JOINER, ""))
