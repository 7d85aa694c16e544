#!/usr/bin/env python3
"""Checks the size rules of src/: no source file over 600 lines, no function over 100 lines.

Tables of data (an initialiser after '=') are not functions. A lambda counts as part of the
function around it. Prints each breach and exits 1 when there is one.
Usage: tools/check_sizes.py [ROOT] [--max-file N] [--max-function N]
"""
import argparse
import pathlib
import re
import sys

CONTROL = re.compile(r'^(if|for|while|switch|catch|do|else|try|return|case)\b')


def strip(text):
    """Blanks comments, strings and character literals, keeping newlines (line numbers stay)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith('//', i):
            j = text.find('\n', i)
            j = n if j < 0 else j
            out.append(' ' * (j - i)); i = j
        elif text.startswith('/*', i):
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r'[^\n]', ' ', text[i:j])); i = j
        elif text.startswith('R"', i):
            m = re.match(r'R"([^(]*)\(', text[i:])
            end = text.find(')' + (m.group(1) if m else '') + '"', i)
            j = n if end < 0 else end + len(m.group(1) if m else '') + 2
            out.append(re.sub(r'[^\n]', ' ', text[i:j])); i = j
        elif c in '"\'':
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == '\\' else 1
            out.append(' ' * (min(j, n - 1) - i + 1)); i = j + 1
        else:
            out.append(c); i += 1
    return ''.join(out)


def functions(text):
    """(name, first line, line count) of each outermost function body."""
    found, stack, head_start = [], [], 0
    for i, c in enumerate(text):
        if c in ';}':
            if c == '}' and stack:
                kind, start_line, name = stack.pop()
                if kind == 'fn':
                    found.append((name, start_line, text.count('\n', 0, i) + 1 - start_line + 1))
            head_start = i + 1
        elif c == '{':
            head = ' '.join(text[head_start:i].split())
            in_fn = any(k == 'fn' for k, _, _ in stack)
            is_fn = (not in_fn and head.endswith(tuple([')', 'const', 'noexcept', 'override', 'final'])) or
                     (not in_fn and re.search(r'\)\s*(const\s*)?(noexcept\s*)?:\s*\w', head) is not None))
            is_fn = is_fn and '(' in head and not CONTROL.match(head) and not re.search(r'=\s*[^=]*\($', head.split('(')[0] + '(')
            if is_fn and '=' in head.split('(')[0]:
                is_fn = False
            name = head.split('(')[0].split()[-1] if is_fn and head.split('(')[0].split() else '?'
            stack.append(('fn' if is_fn else 'block', text.count('\n', 0, i) + 1, name))
            head_start = i + 1
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('root', nargs='?', default=str(pathlib.Path(__file__).resolve().parent.parent))
    ap.add_argument('--max-file', type=int, default=600)
    ap.add_argument('--max-function', type=int, default=100)
    a = ap.parse_args()
    bad = 0
    files = sorted(pathlib.Path(a.root, 'src').rglob('*.cpp')) + sorted(pathlib.Path(a.root, 'include').rglob('*.h'))
    for f in files:
        text = f.read_text(errors='replace')
        rel = f.relative_to(a.root)
        lines = text.count('\n')
        if lines > a.max_file:
            print(f'{rel}: {lines} lines (limit {a.max_file})'); bad += 1
        for name, line, count in functions(strip(text)):
            if count > a.max_function:
                print(f'{rel}:{line}: function {name} is {count} lines (limit {a.max_function})'); bad += 1
    print(f'{len(files)} files checked, {bad} over the limits')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
