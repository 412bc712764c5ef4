"""A generated section of a Markdown file, kept between two marker comments so the rest of
the file (hand-written text, other generated sections) stays as it is."""
import os


def replace_section(path, begin, end, block, heading=""):
    """Puts `block` between the `begin` and `end` markers of `path`, replacing what was there;
    appends `heading` and the markers when the file lacks them (creating the file if needed)."""
    section = f"{begin}\n{block.rstrip()}\n{end}"
    old = open(path).read() if os.path.exists(path) else ""
    if begin in old and end in old:
        new = old[:old.index(begin)] + section + old[old.index(end) + len(end):]
    else:
        new = (old.rstrip("\n") + "\n\n" if old.strip() else "") + heading + section + "\n"
    with open(path, "w") as f:
        f.write(new)


def read_section(path, begin, end):
    """The text between the markers of `path`, or None when the file or a marker is missing."""
    if not os.path.exists(path):
        return None
    text = open(path).read()
    if begin not in text or end not in text:
        return None
    return text[text.index(begin) + len(begin):text.index(end)]
